"""The Bronze assets through Dagster: exactly the server's records for a (day, media) window, in
the documented layout, through throttling and transient errors; a rejected token ends the run
after one request with one clear message and the token nowhere; the aws deployment on moto."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from dagster import DagsterInstance, materialize

from wistia_assets.assets.bronze import build_bronze_assets
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import Settings
from wistia_assets.storage.objects import LocalStore, S3Store
from wistia_assets.storage.partition import read_manifest
from wistia_assets_tests.support.bronze import DAY, MEDIA, bronze_events, materializations

KEY = f"{DAY.isoformat()}|{MEDIA}"
TOKEN = "tok-9f2c4e7a1b"
ALL_BRONZE = ["bronze_events", "bronze_media_by_date", "bronze_media_metadata"]


def bronze_assets():
    return build_bronze_assets(Settings.from_env({"WISTIA_START_DATE": "2026-01-01"}))


def wistia_for(server, token=TOKEN, **kw) -> WistiaApiResource:
    # Short backoff: the faults are real, the waits need not be.
    return WistiaApiResource(
        wistia_base_url=server.url,
        wistia_api_token=token,
        rate_limit_per_minute=6000,
        backoff_base=0.05,
        **kw,
    )


def run(server, lake, *, instance=None, token=TOKEN, selection=None, raise_on_error=True):
    return materialize(
        bronze_assets(),
        partition_key=KEY,
        selection=selection,
        resources={"wistia": wistia_for(server, token, max_attempts=8), "lake": lake},
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


@pytest.fixture
def local_lake(tmp_path):
    root = (tmp_path / "lake").resolve()
    return LakeResource(bronze_root=root.as_uri(), silver_root=root.as_uri())


def test_bronze_holds_exactly_the_servers_records_through_throttling_and_errors(local_lake):
    sandbox = SandboxWistia(
        token=TOKEN,
        faults="429=0.15,retry_after=0,503=0.1,5xx=0.1,truncate=0.05,reset=0.05",
        events_per_day=950,
        seed=11,
    )
    with serve(sandbox) as server:
        result = run(server, local_lake)
    assert result.success
    store = LocalStore(local_lake.bronze_root.removeprefix("file://"))
    records = bronze_events(store)
    truth = sandbox.ground_truth_events(MEDIA, DAY)
    assert len(truth) == 950
    assert [r["event_key"] for r in records] == [t["event_key"] for t in truth]
    assert records == truth  # every field as the API sent it

    # by_date and the media snapshot, in the documented layout.
    by_date = store.list_keys(f"bronze/wistia/media_by_date/dt={DAY}/media_id={MEDIA}")
    assert any(k.rsplit("/", 1)[1].startswith("part-") and k.endswith(".json") for k in by_date)
    snapshots = store.list_keys(f"bronze/wistia/media_metadata/media_id={MEDIA}")
    assert [k.rsplit("/", 1)[1] for k in snapshots] == ["_manifest.json", "doc.json"]
    assert json.loads(store.read_bytes(snapshots[1]))["hashed_id"] == MEDIA

    mats = {
        m.asset_key.to_user_string(): m.metadata
        for m in (
            e.event_specific_data.materialization for e in result.get_asset_materialization_events()
        )
    }
    events_meta = mats["bronze_events"]
    assert events_meta["dagster/partition_row_count"].value == 950
    assert events_meta["source"].value == "wistia"
    assert events_meta["pages"].value == 10
    assert events_meta["retries"].value > 0  # the faults were really met
    assert sandbox.request_log.count() > 12
    manifest = read_manifest(store, f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}")
    assert manifest["pages"] == 10 and len(manifest["request_ids"]) == 10
    # The request as sent, and what it means: a UTC account's day is the UTC day.
    assert manifest["window"] == {
        "start_date": str(DAY),
        "end_date": str(DAY),
        "utc_day": str(DAY),
        "account_timezone": "UTC",
        "account_days": [str(DAY), str(DAY)],
        "semantics": "inclusive",
    }


def test_rematerializing_replaces_the_partition(local_lake):
    sandbox = SandboxWistia(token=TOKEN, events_per_day=240, seed=3)
    with serve(sandbox) as server:
        for _ in range(3):
            assert run(server, local_lake, selection=["bronze_events"]).success
    store = LocalStore(local_lake.bronze_root.removeprefix("file://"))
    keys = store.list_keys(f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}")
    assert len(keys) == 2  # one part + the manifest: nothing stale, nothing duplicated
    assert len(bronze_events(store)) == 240


def test_events_appearing_during_the_days_last_pull_are_in_bronze_after_it(local_lake):
    # The second pull of the day (the overlap re-pull, its last) pages while new events appear
    # at its head, behind the reader: the pull reads the window again until it holds still.
    sandbox = SandboxWistia(
        token=TOKEN, events_per_day=420, late_share=0, faults="drift=3,drift_pull=2", seed=5
    )
    store = LocalStore(local_lake.bronze_root.removeprefix("file://"))
    truth = {t["event_key"] for t in sandbox.ground_truth_events(MEDIA, DAY)}
    with serve(sandbox) as server:
        first = run(server, local_lake, selection=["bronze_events"])
        assert {r["event_key"] for r in bronze_events(store)} < truth  # drift not yet shown
        last = run(server, local_lake, selection=["bronze_events"])

    assert {r["event_key"] for r in bronze_events(store)} == truth
    assert materializations(first)["bronze_events"]["reads"] == 1
    meta = materializations(last)["bronze_events"]
    assert meta["reads"] == 2 and meta["reread_requests"] >= 5 and meta["window_end"]
    manifest = read_manifest(store, f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}")
    assert manifest["reads"] == 2 and manifest["shifted_reads"] == 1
    assert manifest["reread_requests"] == meta["reread_requests"]
    # every events request of the second run is in its manifest, the re-read's included
    first_requests = materializations(first)["bronze_events"]["requests"]
    assert manifest["requests"] == sandbox.request_log.count(endpoint="events") - first_requests


@pytest.mark.parametrize("past_end", ["empty", "repeat", "404"])
def test_a_day_of_exactly_two_full_pages_is_bronze_once_whatever_comes_past_it(
    local_lake, past_end
):
    sandbox = SandboxWistia(token=TOKEN, events_per_day=200, past_end=past_end, seed=8)
    with serve(sandbox) as server:
        result = run(server, local_lake, selection=["bronze_events"])
    store = LocalStore(local_lake.bronze_root.removeprefix("file://"))
    assert bronze_events(store) == sandbox.ground_truth_events(MEDIA, DAY)
    ended = materializations(result)["bronze_events"]["window_end"]
    assert ended == {"empty": "empty page", "repeat": "repeat of page 2"}.get(
        past_end, "HTTP 404 on page 3"
    )


def test_rejected_token_fails_after_one_request_with_one_clear_message(local_lake):
    sandbox = SandboxWistia(token=TOKEN)
    instance = DagsterInstance.ephemeral()
    wrong = "wrong-token-7c1d9e"
    with serve(sandbox) as server:
        result = run(server, local_lake, instance=instance, token=wrong, raise_on_error=False)
    assert not result.success
    assert sandbox.request_log.count() == 1
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "rejected the API token" in message and "WISTIA_API_TOKEN" in message
    # The token appears in no log line, no event, no metadata of the run.
    records = instance.all_logs(result.run_id)
    assert records
    dump = "\n".join(r.user_message + repr(r.dagster_event) for r in records)
    assert wrong not in dump and TOKEN not in dump
    # Nothing was written: no half partition for Silver to read.
    store = LocalStore(local_lake.bronze_root.removeprefix("file://"))
    assert store.list_keys("bronze") == []


def test_unknown_media_names_the_media_and_is_not_retried(local_lake):
    sandbox = SandboxWistia(token=TOKEN)
    settings = Settings.from_env({"MEDIA_IDS": "zzzz9999", "WISTIA_API_TOKEN": "x"})
    with serve(sandbox) as server:
        result = materialize(
            build_bronze_assets(settings),
            partition_key=f"{DAY}|zzzz9999",
            resources={"wistia": wistia_for(server), "lake": local_lake},
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "zzzz9999" in failure.step_failure_data.user_failure_data.description
    assert sandbox.request_log.count() == 1


def test_aws_deployment_writes_the_documented_layout_to_s3(moto_server):
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    bucket = f"bronze-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    lake = LakeResource(
        bronze_root=f"s3://{bucket}", silver_root=f"s3://{bucket}", endpoint_url=moto_server
    )
    sandbox = SandboxWistia(token=TOKEN, events_per_day=150)
    with serve(sandbox) as server:
        assert run(server, lake).success
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    prefix = f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}/"
    parts = [k for k in keys if k.startswith(prefix + "part-") and k.endswith(".json")]
    assert len(parts) == 1 and prefix + "_manifest.json" in keys
    assert any(
        k.startswith(f"bronze/wistia/media_by_date/dt={DAY}/media_id={MEDIA}/part-") for k in keys
    )
    assert any(
        k.startswith(f"bronze/wistia/media_metadata/media_id={MEDIA}/load_ts=")
        and k.endswith("/doc.json")
        for k in keys
    )
    assert len(bronze_events(S3Store(bucket, s3))) == 150
