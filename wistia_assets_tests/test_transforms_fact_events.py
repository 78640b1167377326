"""fact_events end to end on a local lake: typing of both payload eras, quarantine reasons,
deduplication, routing by received_at's UTC day, the media_id shadowing trap, personal data,
determinism of re-runs, the neighbour guard and zero-row partitions. Runs share one Spark
session; each scenario runs its partitions once and asserts many facts about the result (a
Silver run costs ~2 s)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wistia_assets.storage.objects import LocalStore
from wistia_assets.storage.partition import PartitionWriter
from wistia_assets.transforms.bronze_reader import BronzeNotIngested
from wistia_assets.transforms.results import from_json, to_json
from wistia_assets.transforms.runner import run_partition
from wistia_assets.transforms.schema import FACT_EVENTS, FORBIDDEN_SILVER_COLUMNS
from wistia_assets.transforms.silver_writes import remove_stale_staging
from wistia_assets_tests.support.transforms import (
    HASH_KEY,
    MEDIA_A,
    MEDIA_B,
    fixture_lines,
    parquet_files,
    partition_dir,
    personal_looking_values,
    read_quarantine,
    read_rows,
    write_bronze,
)

pytestmark = pytest.mark.spark

DAY = "2026-11-20"
PART_KEY = (
    f"bronze/wistia/events/dt={DAY}/media_id={MEDIA_A}/part-00000-20261121T020000Zabc123.json"
)


def run_events(spark, root, dt, media_id=MEDIA_A, hash_key=HASH_KEY):
    uri = f"file://{root}"
    return run_partition(
        spark,
        table="fact_events",
        dt=dt,
        media_id=media_id,
        bronze_root=uri,
        silver_root=uri,
        hash_key=hash_key,
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return tmp_path_factory.mktemp("lake")


@pytest.fixture(scope="module")
def current(spark, lake):
    """The current-era fixture day, plus a part a killed pull left behind (not in the manifest)."""
    write_bronze(lake, "events", DAY, MEDIA_A, fixture_lines("events_current.ndjson"))
    unlisted = lake / f"bronze/wistia/events/dt={DAY}/media_id={MEDIA_A}/part-00000-killed.json"
    unlisted.write_text(
        fixture_lines("events_current.ndjson")[0].replace("ev-c-004", "ev-unlisted")
    )
    metrics = run_events(spark, lake, DAY)
    rows = read_rows(partition_dir(lake, "fact_events", DAY, MEDIA_A))
    return metrics, {row["event_key"]: row for row in rows}, rows


@pytest.fixture(scope="module")
def legacy(spark, lake):
    """The legacy-era fixture day, written by the real Bronze writer."""
    store = LocalStore(lake)
    partition = f"bronze/wistia/events/dt=2014-01-27/media_id={MEDIA_A}"
    with PartitionWriter(store, partition, run_token="20140128T020000Zlegacy") as writer:
        writer.write_records(json.loads(line) for line in fixture_lines("events_legacy.ndjson"))
        writer.commit(dataset="events", dt="2014-01-27", media_id=MEDIA_A, source="fixture")
    metrics = run_events(spark, lake, "2014-01-27")
    rows = read_rows(partition_dir(lake, "fact_events", "2014-01-27", MEDIA_A))
    return metrics, {row["event_key"]: row for row in rows}


def test_current_era_is_typed(current):
    _, by_key, _ = current
    first = by_key["ev-c-001"]
    assert first["received_at"] == datetime(2026, 11, 20, 17, 24, 53, tzinfo=UTC)
    assert first["event_date"] == date(2026, 11, 20)
    assert first["percent_viewed"] == 0.5
    assert first["conversion_type"] is None  # "" -> null
    assert first["has_conversion"] is False  # {}
    assert (first["browser"], first["browser_version"], first["platform"]) == (
        "Chrome",
        "118.0",
        "Mac",
    )
    assert first["is_mobile"] is False
    assert first["payload_era"] == "current"
    assert (first["country"], first["region"], first["city"]) == ("US", "Florida", "Miami")

    converted = by_key["ev-c-002"]
    assert converted["conversion_type"] == "form"
    assert converted["has_conversion"] is True
    assert converted["percent_viewed"] == 1.0  # 1 is a fraction, not a legacy 1 %

    phone = by_key["ev-c-004"]
    assert phone["received_at"] == datetime(2026, 11, 20, 21, 0, 0, 250000, tzinfo=UTC)
    assert phone["percent_viewed"] == 0.25  # numeric string
    assert phone["browser_version"] == "17"  # sent as a number
    assert phone["is_mobile"] is True
    # `conversion_data: ""` is a marker of the old payloads.
    assert by_key["ev-c-005"]["payload_era"] == "legacy"
    assert by_key["ev-c-005"]["has_conversion"] is False


def test_legacy_era_is_typed(legacy):
    metrics, by_key = legacy
    assert metrics.rows == 5 and metrics.quarantined == 0
    assert by_key["lg-001"]["received_at"] == datetime(2014, 1, 27, 22, 42, 53, tzinfo=UTC)
    assert by_key["lg-001"]["percent_viewed"] == pytest.approx(0.45)  # legacy percent / 100
    assert by_key["lg-002"]["percent_viewed"] == 1.0  # "100" as a string
    assert by_key["lg-003"]["percent_viewed"] == 0.8
    assert by_key["lg-004"]["percent_viewed"] == 1.0
    assert by_key["lg-005"]["percent_viewed"] == 0.0
    assert by_key["lg-001"]["conversion_type"] == "0"  # int -> string
    assert by_key["lg-002"]["conversion_type"] == "3"
    assert by_key["lg-001"]["has_conversion"] is False  # ""
    assert by_key["lg-002"]["has_conversion"] is True
    assert by_key["lg-001"]["browser_version"] == "26"
    assert {row["payload_era"] for row in by_key.values()} == {"legacy"}
    assert by_key["lg-001"]["region"] == "WA"


def test_duplicates_are_removed_and_counted(current):
    metrics, by_key, rows = current
    assert metrics.duplicates_removed == 1
    assert len(rows) == len(by_key) == metrics.rows == metrics.distinct_event_keys == 5
    assert set(by_key) == {"ev-c-001", "ev-c-002", "ev-c-004", "ev-c-005", "ev-c-006"}


def test_every_quarantine_reason_is_counted_and_written_to_bronze(current, lake):
    metrics, _, _ = current
    other = f"record media_id={MEDIA_B} differs from partition media_id={MEDIA_A}"
    expected = {
        8: "missing event_key",
        9: "missing event_key",
        10: "unparsable received_at",
        11: "percent_viewed out of range",
        12: "percent_viewed out of range",
        13: "percent_viewed not a number",
        14: other,
        15: "unparsable JSON",
    }
    assert metrics.quarantined == 8
    assert metrics.quarantine_reasons == {
        "missing event_key": 2,
        "unparsable received_at": 1,
        "percent_viewed out of range": 2,
        "percent_viewed not a number": 1,
        other: 1,
        "unparsable JSON": 1,
    }
    quarantined = read_quarantine(lake, "events", DAY, MEDIA_A)
    assert {row["line_no"]: row["reason"] for row in quarantined} == expected
    lines = fixture_lines("events_current.ndjson")
    for row in quarantined:
        assert row["part_key"] == PART_KEY
        assert row["line"] == lines[row["line_no"] - 1]  # the raw line, byte for byte
    assert metrics.quarantine_location.endswith(
        f"bronze/wistia/_quarantine/events/dt={DAY}/media_id={MEDIA_A}"
    )


def test_a_record_of_another_media_is_quarantined_not_shadowed_by_the_path(current, lake):
    """The path says media_id=A; the record says B. Spark's partition discovery would make the
    path win; here the record's own field is read and the event is not A's."""
    _, by_key, _ = current
    assert "ev-other-media" not in by_key
    (quarantined,) = [
        r for r in read_quarantine(lake, "events", DAY, MEDIA_A) if "ev-other-media" in r["line"]
    ]
    assert MEDIA_A in quarantined["reason"] and MEDIA_B in quarantined["reason"]
    assert not (lake / f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA_B}").exists()


def test_only_parts_listed_in_the_manifest_are_read(current):
    metrics, by_key, _ = current
    assert "ev-unlisted" not in by_key
    assert metrics.bronze_rows == metrics.bronze_manifest_rows == 15
    assert metrics.bronze_parts == 1
    assert metrics.bronze_run_token == "20261121T020000Zabc123"


def test_unknown_fields_are_reported_and_another_days_event_is_routed_away(current, lake):
    metrics, by_key, rows = current
    assert metrics.unknown_fields == {"attributes": 1}
    # ev-c-003 was received at 00:10 UTC on the 21st, in the pull for the 20th (the request
    # spans account days): the 21st's partition holds it. Not here, not quarantined, counted.
    assert "ev-c-003" not in by_key
    assert all(row["received_at"].date() == date(2026, 11, 20) for row in rows)
    assert metrics.routed_away == metrics.routed_away_events == 1
    assert not any("ev-c-003" in r["line"] for r in read_quarantine(lake, "events", DAY, MEDIA_A))
    assert metrics.out_of_day == 0 and metrics.out_of_day_share == 0.0
    assert metrics.bronze_events == 6  # every distinct valid event of the pull
    # Every distinct valid event of the pull by quarter hour, for the checks that need the
    # account's day: ev-c-001 at 17:24:53 falls in 17:15, ev-c-003 in the 21st's first one.
    histogram = metrics.received_histogram
    assert histogram.counts == {
        "2026-11-20T08:00Z": 1,
        "2026-11-20T09:00Z": 1,
        "2026-11-20T17:15Z": 1,
        "2026-11-20T18:00Z": 1,
        "2026-11-20T21:00Z": 1,
        "2026-11-21T00:00Z": 1,
    }
    assert (histogram.earlier, histogram.later) == (0, 0)


def test_silver_holds_no_personal_data(current, legacy, lake):
    _, by_key, rows = current
    names = {name for name, _ in current[0].schema}
    assert not names & FORBIDDEN_SILVER_COLUMNS
    assert [f.name for f in FACT_EVENTS.fields] == list(rows[0])
    assert personal_looking_values(lake / "silver") == []
    for row in [*rows, *legacy[1].values()]:
        url = row["embed_url"]
        assert url is None or not any(mark in url for mark in ("?", "#", "@", "secret", "8443"))
        assert "token" not in json.dumps(row, default=str).lower()
    assert by_key["ev-c-001"]["embed_url"] == "https://www.example.com/landing/page"
    assert by_key["ev-c-001"]["embed_host"] == "www.example.com"
    assert by_key["ev-c-004"]["embed_url"] == "https://shop.example.org/p/redacted/view"
    assert by_key["ev-c-005"]["embed_host"] == "ip-address"
    assert by_key["ev-c-006"]["embed_url"] is None  # "not a url"
    assert legacy[1]["lg-001"]["embed_url"] == "http://blog.example.net/2014/01/post.html"


def test_identifiers_are_hmac_sha256_with_the_callers_key(current, legacy):
    _, by_key, _ = current

    def expected(value: str) -> str:
        return hmac.new(HASH_KEY, value.encode(), hashlib.sha256).hexdigest()

    assert by_key["ev-c-001"]["visitor_hash"] == expected("visitor-ev-c-001")
    assert by_key["ev-c-001"]["ip_hash"] == expected("203.0.113.7")
    assert legacy[1]["lg-001"]["ip_hash"] == expected("2001:db8::1")
    # Null visitor_key and empty ip -> null, not the hash of "".
    assert by_key["ev-c-005"]["visitor_hash"] is None
    assert by_key["ev-c-005"]["ip_hash"] is None
    assert len({row["visitor_hash"] for row in by_key.values()}) == 5  # one null, four visitors


def test_the_result_survives_json_and_the_preview_is_small_and_pii_free(current):
    metrics, _, _ = current
    # How a Glue run sends it back: the same typed result on the Dagster side.
    assert from_json(json.loads(json.dumps(to_json(metrics)))) == metrics
    assert metrics.location.endswith(f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA_A}")
    assert metrics.schema[-2:] == [["dt", "string"], ["media_id", "string"]]
    preview = metrics.preview
    assert 0 < len(preview) <= 5
    assert all(isinstance(v, str | None) for row in preview for v in row.values())
    assert not {"visitor_hash", "ip_hash", "city", "embed_url"} & set(preview[0])
    assert HASH_KEY.decode() not in json.dumps(to_json(metrics))


def test_keyed_hash_changes_with_the_key(spark):
    from wistia_assets.transforms.pii import keyed_hash

    frame = spark.createDataFrame([("visitor-1",), ("",), (None,)], "v string")
    rows = frame.select(
        keyed_hash("v", b"key-one"), keyed_hash("v", b"key-one"), keyed_hash("v", b"key-two")
    ).collect()
    first, again, other = ([row[i] for row in rows] for i in range(3))
    assert first == again and first[1:] == [None, None]
    assert first[0] != other[0]
    with pytest.raises(ValueError):
        keyed_hash("v", b"")


def test_reruns_are_identical_and_event_keys_unique_across_the_table(spark, tmp_path):
    write_bronze(tmp_path, "events", DAY, MEDIA_A, fixture_lines("events_current.ndjson"))
    write_bronze(tmp_path, "events", "2026-11-21", MEDIA_A, fixture_lines("events_next_day.ndjson"))
    folder = partition_dir(tmp_path, "fact_events", DAY, MEDIA_A)
    next_folder = partition_dir(tmp_path, "fact_events", "2026-11-21", MEDIA_A)

    def run_day():
        metrics = run_events(spark, tmp_path, DAY)
        (only_file,) = parquet_files(folder)  # one file: the previous run's was replaced
        return read_rows(folder), only_file.read_bytes(), metrics.quarantine_reasons

    first = run_day()
    # Both pulls hold ev-c-003 (received 00:10 on the 21st; the requests overlap): the 21st
    # keeps it, the 20th routed it away; nobody quarantines it.
    next_day = run_events(spark, tmp_path, "2026-11-21")
    assert next_day.neighbours_checked is True
    assert next_day.quarantine_reasons == {}
    assert sorted(row["event_key"] for row in read_rows(next_folder)) == ["ev-c-003", "ev-c-007"]
    next_rows = read_rows(next_folder)

    # Two more runs of the first day: the same rows, the same bytes, the next day untouched.
    assert first == run_day() == run_day()
    assert read_rows(next_folder) == next_rows
    rows = first[0]
    assert [(r["received_at"], r["event_key"]) for r in rows] == sorted(
        (r["received_at"], r["event_key"]) for r in rows
    )
    keys = [row["event_key"] for row in read_rows(tmp_path / "silver/wistia/fact_events")]
    assert len(keys) == len(set(keys)) == 7


def test_a_key_sent_with_times_on_two_days_stays_in_the_day_written_first(spark, tmp_path):
    """Routing keeps every partition to its own day, so a key reaches two partitions only if
    the API sends it with two times (or a neighbour was built before routing): the neighbour
    guard keeps `event_key` unique across the table all the same."""
    write_bronze(tmp_path, "events", DAY, MEDIA_A, fixture_lines("events_current.ndjson"))
    again = json.loads(fixture_lines("events_current.ndjson")[3])  # ev-c-001, the 20th 17:24
    assert again["event_key"] == "ev-c-001"
    again["received_at"] = "2026-11-21T03:00:00.000Z"
    lines = [*fixture_lines("events_next_day.ndjson"), json.dumps(again)]
    write_bronze(tmp_path, "events", "2026-11-21", MEDIA_A, lines)

    run_events(spark, tmp_path, DAY)
    next_day = run_events(spark, tmp_path, "2026-11-21")
    assert next_day.quarantine_reasons == {f"event_key already in dt={DAY}": 1}
    next_folder = partition_dir(tmp_path, "fact_events", "2026-11-21", MEDIA_A)
    assert sorted(row["event_key"] for row in read_rows(next_folder)) == ["ev-c-003", "ev-c-007"]
    (clash,) = read_quarantine(tmp_path, "events", "2026-11-21", MEDIA_A)
    assert json.loads(clash["line"])["event_key"] == "ev-c-001"
    keys = [row["event_key"] for row in read_rows(tmp_path / "silver/wistia/fact_events")]
    assert len(keys) == len(set(keys)) == 7


def test_a_bad_record_of_another_day_is_judged_by_that_day_only(spark, tmp_path):
    """A broken record of the 21st in the 20th's pull is the 21st's to quarantine: counted as
    routed here, so overlapping pulls never quarantine it twice. A record whose time cannot be
    read cannot be routed: the partition that holds it quarantines it."""
    broken = json.loads(fixture_lines("events_next_day.ndjson")[0])  # ev-c-007, the 21st
    broken["percent_viewed"] = 250
    timeless = dict(broken, event_key="ev-no-time", received_at="soon")
    lines = [json.dumps(broken), json.dumps(timeless), fixture_lines("events_current.ndjson")[0]]
    write_bronze(tmp_path, "events", DAY, MEDIA_A, lines)
    write_bronze(tmp_path, "events", "2026-11-21", MEDIA_A, [json.dumps(broken)])

    day = run_events(spark, tmp_path, DAY)
    assert day.quarantine_reasons == {"unparsable received_at": 1}
    assert day.routed_away == 1 and day.rows == 1
    next_day = run_events(spark, tmp_path, "2026-11-21")
    assert next_day.quarantine_reasons == {"percent_viewed out of range": 1}
    assert next_day.routed_away == 0 and next_day.rows == 0


def test_a_zero_row_result_removes_the_partition_and_its_quarantine(spark, tmp_path):
    """A dynamic overwrite with no rows would leave the last run's files: they must go."""
    folder = partition_dir(tmp_path, "fact_events", DAY, MEDIA_A)
    other = partition_dir(tmp_path, "fact_events", DAY, MEDIA_B)
    quarantine = tmp_path / f"bronze/wistia/_quarantine/events/dt={DAY}/media_id={MEDIA_A}"
    for leftover in (
        folder / "part-00000-previous.c000.snappy.parquet",
        quarantine / "part-0.json",
    ):
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"from the previous run")
    other.mkdir(parents=True)
    pq.write_table(pa.table({"event_key": ["ev-b"]}), other / "part-00000-b.parquet")
    write_bronze(tmp_path, "events", DAY, MEDIA_A, [], run_token="20261122T020000Zempty1")

    metrics = run_events(spark, tmp_path, DAY)
    assert metrics.rows == 0 and metrics.partition_deleted is True
    assert metrics.quarantined == 0 and metrics.quarantine_location is None
    assert metrics.bronze_rows == 0 and metrics.preview == []
    assert not folder.exists() and not quarantine.exists()
    assert read_rows(other) == [{"event_key": "ev-b"}]  # another media's partition stays


def test_an_unpulled_partition_is_a_clear_error(spark, tmp_path):
    with pytest.raises(
        BronzeNotIngested, match=rf"bronze_events for 2026-11-23\|{MEDIA_A} has not"
    ):
        run_events(spark, tmp_path, "2026-11-23")
    with pytest.raises(ValueError, match="hash_key"):
        run_events(spark, tmp_path, DAY, hash_key=None)
    with pytest.raises(ValueError, match="not a Wistia hashed media id"):
        run_events(spark, tmp_path, DAY, media_id="../etc")


def test_only_stale_staging_folders_of_killed_writes_are_removed(tmp_path):
    table = tmp_path / "silver/wistia/fact_events"
    stale = table / ".spark-staging-dead"
    live = table / ".spark-staging-live"
    for folder in (stale, live):
        (folder / f"dt={DAY}").mkdir(parents=True)
        (folder / f"dt={DAY}" / "part-0.parquet").write_bytes(b"x")
    old = time.time() - 7 * 3600
    for path in (stale, *stale.rglob("*")):
        os.utime(path, (old, old))
    removed = remove_stale_staging(LocalStore(tmp_path), "silver/wistia/fact_events")
    assert removed == ["silver/wistia/fact_events/.spark-staging-dead"]
    assert not stale.exists() and live.exists()


def test_stale_staging_on_s3_is_found_through_the_stores_listing(aws_endpoint):
    """The same rule on a bucket, through the store's own interface (S3 keeps no folders: a
    staging folder is the keys under its prefix, its age that of its newest object)."""
    import uuid

    import boto3

    from wistia_assets.storage.objects import S3Store

    bucket = f"silver-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    s3.create_bucket(Bucket=bucket)
    table = "silver/wistia/fact_events"
    keys = [
        f"{table}/.spark-staging-dead/dt={DAY}/part-0.parquet",
        f"{table}/.spark-staging-dead/dt={DAY}/part-1.parquet",
        f"{table}/dt={DAY}/media_id={MEDIA_A}/part-0.parquet",
    ]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    store = S3Store(bucket, s3)
    assert remove_stale_staging(store, table) == []  # just written: a live write
    later = time.time() + 7 * 3600
    assert remove_stale_staging(store, table, now=later) == [f"{table}/.spark-staging-dead"]
    assert store.list_keys(table) == [keys[2]]  # the partition itself is untouched
