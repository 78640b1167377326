"""Run-failure alerting as the daemon runs it: the sensor's cursor is set on its first tick, a run
fails in Bronze (Wistia rejects the token), and the next tick records partition, assets, a
one-line error and Wistia's x-request-id — in `_state/run_failures.jsonl` locally, on the SNS
alerts topic in the aws deployment (read back through an SQS subscription on moto). A backfill
launched from the asset graph runs Dagster's implicit asset job: its failures alert too."""

from __future__ import annotations

import json
import uuid

from dagster import DagsterInstance

from wistia_assets.definitions import build_defs
from wistia_assets.orchestration.jobs import WINDOW_JOB
from wistia_assets.resources.alerts import SnsAlerts
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.support.alerts import (
    PARTITION,
    STALE_TOKEN,
    alerts_topic_with_queue,
    fail_in_bronze,
    stale_token_wistia,
    tick,
)

MEDIA = SANDBOX_MEDIA_IDS[0]
TOKEN = "alerts-token-9d3e"
BRONZE = ["bronze_events", "bronze_media_by_date", "bronze_media_metadata"]
SILVER = ["fact_events", "fact_media_by_date"]


def assert_describes_the_bronze_failure(alert: dict, run, sandbox: SandboxWistia) -> None:
    (request,) = sandbox.request_log.entries()  # the token was refused on the first call
    assert alert["run_id"] == run.run_id
    assert alert["partition"] == PARTITION
    assert alert["assets"] == BRONZE
    assert alert["assets_not_built"] == SILVER  # Silver was skipped: stale until repaired
    assert alert["x_request_id"] == request.request_id
    assert alert["status"] == 401
    error = alert["error"]
    assert "\n" not in error and len(error) <= 400
    assert error.startswith("Wistia rejected the API token (401") and "WISTIA_API_TOKEN" in error
    assert request.request_id in error
    assert STALE_TOKEN not in json.dumps(alert) and TOKEN not in json.dumps(alert)


def test_local_failures_are_recorded_in_the_lake_state_folder(tmp_path):
    lake = tmp_path / "lake"
    settings = Settings.from_env({"WISTIA_LAKE_ROOT": str(lake), "WISTIA_START_DATE": "2026-11-01"})
    instance = DagsterInstance.local_temp(tempdir=str(tmp_path))
    sandbox = SandboxWistia(token=TOKEN)
    with serve(sandbox) as server:
        defs = build_defs(settings, resource_overrides={"wistia": stale_token_wistia(server)})
        cursor = tick(defs, instance)  # first tick: the cursor starts at "now"
        scheduled = fail_in_bronze(defs, instance)
        log = lake / "_state" / "run_failures.jsonl"
        assert not log.exists()  # nothing is recorded until the sensor runs
        cursor = tick(defs, instance, cursor)
        (alert,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert alert["job"] == WINDOW_JOB
        assert_describes_the_bronze_failure(alert, scheduled, sandbox)

        # The same failure from a backfill launched in the UI: Dagster's implicit asset job.
        sandbox.request_log.clear()
        repair = fail_in_bronze(defs, instance, job_name="__ASSET_JOB")
        assert repair.job_name == "__ASSET_JOB"
        cursor = tick(defs, instance, cursor)
        lines = log.read_text().splitlines()
        assert len(lines) == 2  # the earlier failure is not recorded twice
        alert = json.loads(lines[1])
        assert alert["job"] == "__ASSET_JOB"
        assert_describes_the_bronze_failure(alert, repair, sandbox)

        tick(defs, instance, cursor)  # a quiet tick records nothing
        assert len(log.read_text().splitlines()) == 2


def test_aws_failures_are_published_to_the_alerts_topic(aws_endpoint, tmp_path):
    topic, sqs, queue = alerts_topic_with_queue(aws_endpoint)
    suffix = uuid.uuid4().hex[:8]
    settings = Settings.from_env(
        {
            "DAGSTER_DEPLOYMENT": "aws",
            "WISTIA_API_TOKEN": TOKEN,
            "MEDIA_IDS": MEDIA,
            "BRONZE_BUCKET": f"bronze-{suffix}",
            "SILVER_BUCKET": f"silver-{suffix}",
            "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key",
            "WISTIA_START_DATE": "2026-11-01",
            "ALERTS_TOPIC_ARN": topic,
            "AWS_ENDPOINT_URL": aws_endpoint,
        }
    )
    instance = DagsterInstance.local_temp(tempdir=str(tmp_path))
    sandbox = SandboxWistia(token=TOKEN)
    with serve(sandbox) as server:
        defs = build_defs(settings, resource_overrides={"wistia": stale_token_wistia(server)})
        assert isinstance(defs.resources["alerts"], SnsAlerts)
        cursor = tick(defs, instance)
        run = fail_in_bronze(defs, instance)
        tick(defs, instance, cursor)

    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5)
    (message,) = received["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == f"wistia_assets run failed: {PARTITION}"
    alert = json.loads(envelope["Message"])
    assert alert["job"] == WINDOW_JOB
    assert_describes_the_bronze_failure(alert, run, sandbox)
