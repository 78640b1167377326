"""A viewer's erasure without Spark: the request hashed before anything (bad input changes
nothing, and no raw value is echoed), ingestion dropping a suppressed viewer's events before
Bronze (including a key first met with their e-mail), the Bronze rewrite keeping every other
line byte for byte, an interrupted erasure finishing when run again, the erasure records in
SQLite and in DynamoDB (moto), and the local Bronze retention.

The Silver and Gold rebuilds are the callbacks `eraser.apply` is given; the real ones (Dagster
runs through the Spark engine) are in test_erasure_end_to_end.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import date
from pathlib import Path

import pytest

from wistia_assets.erasure import bronze, eraser
from wistia_assets.erasure.bronze import Hit
from wistia_assets.erasure.records import (
    DONE,
    PENDING,
    DynamoErasureStore,
    Erasure,
    SqliteErasureStore,
    erasure_id,
)
from wistia_assets.erasure.retention import remove_expired
from wistia_assets.erasure.suppression import Suppression
from wistia_assets.erasure.viewer import EMAIL, VISITOR_KEY, Hasher, Viewer
from wistia_assets.ingestion import ingest_events
from wistia_assets.sandbox import SandboxWistia
from wistia_assets.settings import SANDBOX_MEDIA_IDS
from wistia_assets.storage.layout import BRONZE_EVENTS, window_partition
from wistia_assets.storage.objects import LocalStore
from wistia_assets_tests.conftest import create_watermark_table
from wistia_assets_tests.support.cli import assert_one_line_error, cli, environment
from wistia_assets_tests.support.wistia import sandbox_client

KEY = b"erasure-test-key"
A, B = SANDBOX_MEDIA_IDS
DAYS = [date(2026, 11, 20), date(2026, 11, 21)]
SEED = 41


def silver_hash(value: str) -> str:
    """What Silver's `keyed_hash` UDF computes (transforms/pii.py)."""
    return hmac.new(KEY, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


# -- the request -----------------------------------------------------------------------------


def test_a_visitor_key_hashes_as_silvers_visitor_hash():
    hasher = Hasher(KEY)
    assert hasher.subject(VISITOR_KEY, " v20250312_abc ") == silver_hash("v20250312_abc")
    # E-mail addresses are one person whatever their case.
    assert hasher.subject(EMAIL, "Jane.Doe@Example.COM") == hasher("jane.doe@example.com")


def test_an_email_is_found_wherever_an_event_carries_it():
    hasher = Hasher(KEY)
    viewer = Viewer(hasher, email_hashes={hasher("jane.doe@example.com")})
    base = {"visitor_key": "v1", "email": None, "conversion_data": {}, "embed_url": None}
    carriers = [
        {**base, "email": "Jane.Doe@example.com"},
        {**base, "conversion_data": {"email": "jane.doe@example.com", "first_name": "Jane"}},
        {**base, "embed_url": "https://x.example.com/p?email=jane.doe%40example.com&utm=1"},
    ]
    for record in carriers:
        matched, new_key = viewer.match(record)
        assert matched and new_key == hasher("v1")
    assert viewer.match({**base, "email": "john@example.com"}) == (False, None)
    # A line the quarantine kept because it is not JSON is searched as text.
    assert viewer.match_line(b'{"visitor_key":"v1","email":"jane.doe@example.com"')[0]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--email", ""], ["--email is empty"]),
        (["--email", "   "], ["--email is empty"]),
        (["--email", "jane.doe-at-example.com"], ["not an e-mail address"]),
        (["--visitor-key", "has a space"], ["not a Wistia visitor key"]),
        (["--email", "jane@example.com", "--visitor-key", "v1"], ["not allowed with"]),
        ([], ["one of the arguments"]),
        (["--list", "--dry-run"], ["--dry-run and --hash-only go with"]),
        (["--email", "jane@example.com", "--dry-run", "--hash-only"], ["not allowed with"]),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(tmp_path, monkeypatch, args, fragments):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    key_file = tmp_path / "hash_key"
    monkeypatch.setenv("WISTIA_HASH_KEY_FILE", str(key_file))
    code, out, err = cli("erase", *args)
    assert_one_line_error(code, err, *fragments)
    assert "jane" not in err and "has a space" not in err  # the value is never echoed
    assert not (tmp_path / "lake").exists() and not key_file.exists()


# -- a small lake pulled from the sandbox ------------------------------------------------------


@pytest.fixture
def lake(tmp_path):
    """Bronze events of two days x two media, and a viewer with an e-mail on both media."""
    sandbox = SandboxWistia(seed=SEED, events_per_day="150-200")
    store = LocalStore(tmp_path / "lake")
    with sandbox_client(sandbox) as client:
        for day in DAYS:
            for media in (A, B):
                ingest_events(client, store, day, media, source="sandbox")
    return sandbox, store


def all_lines(store) -> dict[str, list[bytes]]:
    return {
        p: list(bronze.lines_of(store, p)) for p, _, _ in bronze.partitions(store, BRONZE_EVENTS)
    }


def a_viewer(store, *, with_email: bool) -> tuple[str, str | None]:
    """The visitor key (and e-mail) of the viewer with the most events in the lake."""
    counts: dict[str, int] = {}
    seen_in: dict[str, set[str]] = {}
    emails: dict[str, str] = {}
    for partition, lines in all_lines(store).items():
        for line in lines:
            record = json.loads(line)
            key = record.get("visitor_key")
            counts[key] = counts.get(key, 0) + 1
            seen_in.setdefault(key, set()).add(partition)
            if record.get("email"):
                emails[key] = record["email"]
    keys = [k for k in counts if not with_email or k in emails]
    key = max(keys, key=lambda k: (len(seen_in[k]), counts[k]))
    return key, emails.get(key)


def raw_of(store, key: str, email: str | None) -> list[tuple[str, bytes]]:
    needles = [key.encode()] + (
        [email.encode(), email.replace("@", "%40").encode()] if email else []
    )
    return [
        (p, line)
        for p, lines in all_lines(store).items()
        for line in lines
        if any(n.lower() in line.lower() for n in needles)
    ]


def test_erasing_by_email_rewrites_exactly_the_viewers_lines(lake):
    _, store = lake
    key, email = a_viewer(store, with_email=True)
    before = all_lines(store)
    manifests = {p: (store.path(p) / "_manifest.json").read_bytes() for p in before}
    theirs = {(p, line) for p, line in raw_of(store, key, email)}
    assert theirs and len({p for p, _ in theirs}) >= 2

    records = SqliteErasureStore(store.root / "_state" / "erasures.sqlite")
    hasher = Hasher(KEY)
    subject = hasher.subject(EMAIL, email)
    plan = eraser.plan(
        store=records,
        bronze_store=store,
        silver_store=store,
        hasher=hasher,
        kind=EMAIL,
        subject_hash=subject,
        find_silver=None,
    )
    # The visitor key seen with the address is linked (its events without the address go too).
    assert silver_hash(key) in plan.viewer.visitor_hashes
    rebuilt = []
    done = eraser.apply(
        plan,
        store=records,
        bronze_store=store,
        silver_store=store,
        rebuild_silver=rebuilt.append,
        rebuild_gold=rebuilt.append,
        find_silver=None,
    )
    after = all_lines(store)
    for partition, lines in before.items():
        kept = [line for line in lines if (partition, line) not in theirs]
        assert after[partition] == kept  # every other line, byte for byte, in order
        if len(kept) == len(lines):  # untouched: the same manifest, the same files
            assert (store.path(partition) / "_manifest.json").read_bytes() == manifests[partition]
    assert raw_of(store, key, email) == []
    assert done.status == DONE and done.events_removed == len(theirs)
    touched = sorted({p.split("dt=")[1].replace("/media_id=", "|") for p, _ in theirs})
    assert rebuilt[0] == touched == done.partitions
    # The record holds hashes only.
    text = (store.root / "_state" / "erasures.sqlite").read_bytes()
    assert email.encode() not in text and key.encode() not in text
    assert subject.encode() in text and silver_hash(key).encode() in text


def test_an_interrupted_erasure_leaves_whole_partitions_and_finishes_when_run_again(
    lake, monkeypatch
):
    _, store = lake
    key, _ = a_viewer(store, with_email=False)
    before = all_lines(store)
    records = SqliteErasureStore(store.root / "_state" / "erasures.sqlite")
    hasher = Hasher(KEY)
    subject = hasher.subject(VISITOR_KEY, key)

    def run(rewrite=bronze.rewrite):
        monkeypatch.setattr(bronze, "rewrite", rewrite)
        plan = eraser.plan(
            store=records,
            bronze_store=store,
            silver_store=store,
            hasher=hasher,
            kind=VISITOR_KEY,
            subject_hash=subject,
            find_silver=None,
        )
        return eraser.apply(
            plan,
            store=records,
            bronze_store=store,
            silver_store=store,
            rebuild_silver=lambda keys: None,
            rebuild_gold=lambda days: None,
            find_silver=None,
        )

    real = bronze.rewrite
    calls = []

    def killed_on_second(store_, partition, viewer, **kw):
        calls.append(partition)
        if len(calls) == 2:
            # The process dies while the second partition's new part is being written.
            with pytest.raises(RuntimeError):
                from wistia_assets.storage.partition import PartitionWriter

                with PartitionWriter(store_, partition) as writer:
                    writer.write_lines([b'{"half":\n'])
                    raise RuntimeError("killed")
            raise KeyboardInterrupt
        return real(store_, partition, viewer, **kw)

    with pytest.raises(KeyboardInterrupt):
        run(killed_on_second)
    assert records.get(erasure_id(subject)).status == PENDING
    middle = all_lines(store)
    for partition, lines in before.items():
        kept = [line for line in lines if key.encode() not in line]
        assert middle[partition] in (lines, kept)  # before or after, never half
    done = run()
    assert done.status == DONE
    assert done.events_removed == sum(
        1 for lines in before.values() for line in lines if key.encode() in line
    )
    assert raw_of(store, key, None) == []


# -- suppression at ingestion ------------------------------------------------------------------


def test_a_suppressed_viewer_never_reaches_bronze_and_is_counted(lake, tmp_path):
    sandbox, store = lake
    key, email = a_viewer(store, with_email=True)
    theirs = len(raw_of(store, key, email))
    records = SqliteErasureStore(tmp_path / "erasures.sqlite")
    hasher = Hasher(KEY)
    # Asked by e-mail before the lake knew them: only the e-mail's hash is recorded.
    subject = hasher.subject(EMAIL, email)
    records.put(
        Erasure(
            erasure_id(subject),
            EMAIL,
            subject,
            "2026-11-19T00:00:00Z",
            DONE,
            email_hashes=[subject],
        )
    )
    fresh = LocalStore(tmp_path / "fresh")
    suppressed = 0
    with sandbox_client(sandbox) as client:
        for day in DAYS:
            for media in (A, B):
                suppression = Suppression(records, hasher)
                manifest = ingest_events(
                    client, fresh, day, media, source="sandbox", suppression=suppression
                )
                suppression.save()
                suppressed += manifest["suppressed"]
                partition = window_partition(BRONZE_EVENTS, day, media)
                assert manifest["rows"] == len(list(bronze.lines_of(fresh, partition)))
    assert raw_of(fresh, key, email) == []
    record = records.get(erasure_id(subject))
    # The key met with the address was learned, and its events without the address went too.
    assert silver_hash(key) in record.visitor_hashes
    assert suppressed >= 1 and record.events_suppressed == suppressed
    # Every other event arrived.
    assert sum(len(v) for v in all_lines(fresh).values()) + theirs == sum(
        len(v) for v in all_lines(store).values()
    )


# -- the records in DynamoDB -------------------------------------------------------------------


def test_erasure_records_in_the_watermark_table(aws_endpoint):
    from wistia_assets.aws import aws_client
    from wistia_assets.watermarks.store import DynamoWatermarkStore

    client = aws_client("dynamodb", endpoint_url=aws_endpoint, region="us-east-1")
    table = create_watermark_table(aws_endpoint)
    watermarks = DynamoWatermarkStore(table, client)
    watermarks.advance("events", A, date(2026, 11, 20))
    store = DynamoErasureStore(table, client, watermarks.key_attributes)
    h = Hasher(KEY)("v1")
    store.put(Erasure(erasure_id(h), VISITOR_KEY, h, "2026-12-01T00:00:00Z", visitor_hashes=[h]))
    store.count_suppressed({erasure_id(h): 3})
    store.link(erasure_id(h), VISITOR_KEY, {"abc"})
    [record] = store.all()
    assert record.events_suppressed == 3 and record.visitor_hashes == sorted([h, "abc"])
    # The watermarks do not see the erasure items, and the other way round.
    assert [(w.dataset, w.media_id) for w in watermarks.all()] == [("events", A)]


# -- retention --------------------------------------------------------------------------------


def test_retention_removes_bronze_older_than_the_setting(lake, tmp_path, monkeypatch):
    _, store = lake
    old = window_partition(BRONZE_EVENTS, DAYS[0], A)
    hundred_days = time.time() - 100 * 86_400
    for path in Path(store.path(old)).iterdir():
        os.utime(path, (hundred_days, hundred_days))
    gone = remove_expired(store, 90)
    assert [g.partition for g in gone] == [old]
    assert not store.list_keys(old)
    assert len(bronze.partitions(store, BRONZE_EVENTS)) == 3


def test_retention_command_uses_wistia_bronze_retention_days(lake, monkeypatch):
    _, store = lake
    monkeypatch.setenv("WISTIA_LAKE_ROOT", str(store.root))
    monkeypatch.setenv("WISTIA_BRONZE_RETENTION_DAYS", "30")
    forty_days = time.time() - 40 * 86_400
    young = window_partition(BRONZE_EVENTS, DAYS[1], B)
    for p, _, _ in bronze.partitions(store, BRONZE_EVENTS):
        if p != young:
            for path in Path(store.path(p)).iterdir():
                os.utime(path, (forty_days, forty_days))
    code, out, _ = cli("retention", "--dry-run")
    assert code == 0 and "would remove 3 Bronze partition(s) older than 30 days" in out
    assert len(bronze.partitions(store, BRONZE_EVENTS)) == 4
    code, out, _ = cli("retention")
    assert code == 0 and [p for p, _, _ in bronze.partitions(store, BRONZE_EVENTS)] == [young]
    monkeypatch.setenv("WISTIA_BRONZE_RETENTION_DAYS", "0")
    code, _, err = cli("retention")
    assert_one_line_error(code, err, "WISTIA_BRONZE_RETENTION_DAYS=0 is out of range")


def test_a_viewer_not_in_the_lake_is_recorded_and_listed_by_hash_only(tmp_path, monkeypatch):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WISTIA_HASH_KEY", KEY.decode())
    code, out, err = cli("erase", "--visitor-key", "v20250101_not-seen-yet")
    assert code == 0, err
    assert "the viewer is in no partition of the lake" in out and "done" in out
    code, out, _ = cli("erase", "--list")
    assert code == 0 and silver_hash("v20250101_not-seen-yet") in out and " done " in out
    everything = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"not-seen-yet" not in everything and "not-seen-yet" not in out


def test_the_dagster_job_takes_the_hash_never_the_value(tmp_path, monkeypatch):
    """`erase_viewer` launched with what `erase --hash-only` prints records the erasure; a value
    that is not a hash (the e-mail pasted by mistake) fails without being repeated."""
    from dagster import DagsterInstance

    from wistia_assets.definitions import build_defs
    from wistia_assets.erasure.job import ERASE_JOB
    from wistia_assets.settings import Settings

    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WISTIA_HASH_KEY", KEY.decode())
    code, out, _ = cli("erase", "--email", "Jane.Doe@example.com", "--hash-only")
    assert code == 0
    subject = out.split("subject_hash: ")[1].strip()
    assert subject == Hasher(KEY)("jane.doe@example.com")
    assert not (tmp_path / "lake").exists()  # --hash-only changes nothing

    job = build_defs(Settings.from_env()).resolve_job_def(ERASE_JOB)
    instance = DagsterInstance.ephemeral()

    def launch(value: str):
        config = {"ops": {"erase": {"config": {"kind": "email", "subject_hash": value}}}}
        return job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)

    # A run in flight may have read the suppression list before the erasure existed: the job
    # records the erasure pending (ingestion drops the viewer from now on) and stops there.
    from dagster import DagsterRun, DagsterRunStatus

    ingesting = instance.add_run(
        DagsterRun(job_name="wistia_window", run_id="0" * 36, status=DagsterRunStatus.STARTED)
    )
    stopped = launch(subject)
    assert not stopped.success
    [failure] = [e for e in stopped.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "1 other run(s) are in progress (wistia_window)" in message
    store = SqliteErasureStore(tmp_path / "lake" / "_state" / "erasures.sqlite")
    [record] = store.all()
    assert record.status == PENDING and record.email_hashes == [subject]
    instance.report_run_failed(ingesting)

    assert launch(subject).success
    [record] = store.all()
    assert record.status == DONE and record.email_hashes == [subject]
    failed = launch("jane.doe@example.com")
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "not a 64-character" in message and "jane" not in message


def test_in_aws_the_job_refuses_to_start_without_its_role(monkeypatch):
    """Without ERASE_TASK_ROLE_ARN the run would go under the run task's role, which may not
    read Bronze: the job says which setting is missing before it changes or reads anything."""
    from dagster import DagsterInstance

    from wistia_assets.definitions import build_defs
    from wistia_assets.erasure.job import ERASE_JOB
    from wistia_assets.settings import Settings
    from wistia_assets_tests.support.aws_settings import AWS_ENV

    # AWS_ENDPOINT_URL: nothing listens there, a call made before the check fails differently.
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    job = build_defs(Settings.from_env()).resolve_job_def(ERASE_JOB)
    assert "ecs/task_overrides" not in job.run_tags
    config = {"kind": "visitor_key", "subject_hash": "a" * 64}
    result = job.execute_in_process(
        run_config={"ops": {"erase": {"config": config}}},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("ERASE_TASK_ROLE_ARN is not set") and "EraseTaskRole" in message


def test_the_catalog_finds_the_viewers_silver_partitions(tmp_path):
    """The search the aws job makes with Athena, run on the local catalog (DuckDB) with the same
    SQL: the partitions holding the visitor hashes, with their row counts; nothing else."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from wistia_assets.erasure.silver import catalog_finder
    from wistia_assets.resources.catalog import DuckDbCatalog

    mine, other = Hasher(KEY)("v-mine"), Hasher(KEY)("v-other")
    layout = {
        ("2026-11-10", "abcd1234"): [mine, other, mine],
        ("2026-11-11", "abcd1234"): [other],
        ("2026-11-11", "efgh5678"): [mine],
    }
    for (day, media), hashes in layout.items():
        folder = tmp_path / f"silver/wistia/fact_events/dt={day}/media_id={media}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"visitor_hash": hashes}), folder / "part-00000.parquet")
    find = catalog_finder(DuckDbCatalog(lake_root=str(tmp_path)))
    assert find(None, {mine}) == [
        Hit("silver", "2026-11-10", "abcd1234", 2),
        Hit("silver", "2026-11-11", "efgh5678", 1),
    ]
    assert find(None, set()) == []
    assert find(None, {Hasher(KEY)("v-nobody")}) == []
    with pytest.raises(ValueError, match="64-character") as refused:
        find(None, {"jane.doe@example.com"})
    assert "jane" not in str(refused.value)
