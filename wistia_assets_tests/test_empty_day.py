"""No day is ever silently empty: a Wistia that reads a one-day events window as end-exclusive
returns `[]` for every day, while by_date counts the day's plays. Executed through the
`wistia_window` job against the sandbox over HTTP:

- the Silver step fails the blocking `events_cover_plays` check, whose one-line message names the
  likely setting and `wistia-assets doctor`;
- what Dagster 1.13 then does, observed rather than assumed: the step fails after yielding both
  materializations (`DagsterAssetCheckFailedError`, raised outside the user code, so no retry
  policy re-runs it), the run fails, and the run-failure sensor fires;
- the events watermark stays where it was (by_date's, whose checks passed, moves);
- the alert carries the check's message: JSONL locally, SNS in AWS (read back through SQS on
  moto);
- a genuinely quiet day (by_date zero, no events) passes; with WISTIA_EVENTS_WINDOW set to what
  the API does, the same day builds and the watermark moves.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    RetryPolicy,
    materialize,
    multi_asset,
)

from wistia_assets.definitions import build_defs
from wistia_assets.resources.alerts import AlertsResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.sandbox.api import json_reply
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.test_failure_alerts import alerts_topic_with_queue, tick

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MEDIA = SANDBOX_MEDIA_IDS[0]
DAY = date(2026, 11, 5)
QUIET_DAY = date(2026, 11, 6)
TOKEN = "empty-day-token-3c1a"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def read_end_date_exclusive(sandbox: SandboxWistia) -> None:
    """Make the sandbox read `end_date` as exclusive, one of the readings Wistia's docs allow:
    a one-day window (D, D) is then empty."""
    inclusive = sandbox.api.events

    def events(params):
        start, end = params.get("start_date"), params.get("end_date")
        if start and end:
            last = date.fromisoformat(end) - timedelta(days=1)
            if last < date.fromisoformat(start):
                return json_reply(200, [])
            params = {**params, "end_date": last.isoformat()}
        return inclusive(params)

    sandbox.api.events = events


def run_window(defs, instance, day: date):
    return defs.resolve_job_def("wistia_window").execute_in_process(
        partition_key=f"{day.isoformat()}|{MEDIA}",
        instance=instance,
        run_config=QUIET,
        raise_on_error=False,
    )


@pytest.fixture
def alerts_topic(moto_server):
    return (moto_server, *alerts_topic_with_queue(moto_server))


def test_an_empty_pull_on_a_day_with_plays_fails_holds_the_watermark_and_alerts(
    spark, tmp_path, alerts_topic
):
    endpoint, topic, sqs, queue = alerts_topic
    lake = tmp_path / "lake"
    env = {"WISTIA_LAKE_ROOT": str(lake), "WISTIA_START_DATE": "2026-11-01", "MEDIA_IDS": MEDIA}
    settings = Settings.from_env(env)
    instance = DagsterInstance.local_temp(tempdir=str(tmp_path))
    sandbox = SandboxWistia(
        seed=31, token=TOKEN, events_per_day=(40, 80), faults=f"zero_days={QUIET_DAY}"
    )
    read_end_date_exclusive(sandbox)
    plays = sandbox.ground_truth_by_date(MEDIA, DAY)["play_count"]
    assert plays > 0

    with serve(sandbox) as server:
        wistia = WistiaApiResource(base_url=server.url, token=TOKEN, rate_per_minute=6000)
        defs = build_defs(settings, resource_overrides={"wistia": wistia})
        store = defs.resources["watermarks"].store()
        for dataset in ("events", "media_by_date"):
            store.override(dataset, MEDIA, DAY - timedelta(days=1))
        local_alerts = defs.resources["alerts"]
        cursor = tick(defs, instance, alerts=local_alerts)

        result = run_window(defs, instance, DAY)

        # Dagster: both facts were materialized, then the step failed on the blocking check.
        assert not result.success
        materialized = {
            e.event_specific_data.materialization.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()
        }
        assert {"fact_events", "fact_media_by_date"} <= materialized
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "silver_facts"
        assert failure.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
        assert "events_cover_plays" in failure.step_failure_data.error.message
        retries = instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
        assert retries == []
        checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
        check = checks["events_cover_plays"]
        assert not check.passed and check.blocking
        message = check.description
        assert "\n" not in message
        assert message.startswith(
            f"fact_events {DAY}|{MEDIA}: by_date counts {plays} plays on the account's {DAY} "
            "but the events pull returned no events"
        )
        assert "WISTIA_EVENTS_WINDOW=inclusive" in message
        assert "WISTIA_ACCOUNT_TIMEZONE=UTC" in message
        assert message.endswith("run `wistia-assets doctor`")

        # The events watermark holds; by_date's build passed its own checks and moved.
        assert store.get("events", MEDIA) == DAY - timedelta(days=1)
        assert store.get("media_by_date", MEDIA) == DAY

        # The run-failure sensor fires and records the check's message (local: JSONL).
        cursor = tick(defs, instance, cursor, local_alerts)
        log = lake / "_state" / "run_failures.jsonl"
        (alert,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert alert["run_id"] == result.run_id
        assert alert["partition"] == f"{DAY}|{MEDIA}"
        assert alert["error"] == message
        assert alert["failed_checks"] == [
            {"asset": "fact_events", "check": "events_cover_plays", "message": message}
        ]
        assert alert["assets"] == ["fact_events", "fact_media_by_date"]

        # In AWS the same failure goes to the alerts topic.
        sns_alerts = AlertsResource(backend="sns", topic_arn=topic, endpoint_url=endpoint)
        aws_cursor = tick(defs, instance, alerts=sns_alerts)
        run_window(defs, instance, DAY)  # the next tick's attempt fails the same way
        tick(defs, instance, aws_cursor, sns_alerts)
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        (sent,) = received["Messages"]
        envelope = json.loads(sent["Body"])
        assert envelope["Subject"] == f"wistia_assets run failed: {DAY}|{MEDIA}"
        assert json.loads(envelope["Message"])["error"] == message
        assert store.get("events", MEDIA) == DAY - timedelta(days=1)

        # A genuinely quiet day: by_date zero, no events. It passes and is built.
        store.override("events", MEDIA, QUIET_DAY - timedelta(days=1))
        quiet = run_window(defs, instance, QUIET_DAY)
        assert quiet.success
        quiet_check = {c.check_name: c for c in quiet.get_asset_check_evaluations()}
        assert quiet_check["events_cover_plays"].passed
        assert quiet_check["events_cover_plays"].description == "by_date counts no play"
        assert store.get("events", MEDIA) == QUIET_DAY

        # What `doctor` would have said, set: the request (D, D+1) now returns the day.
        store.override("events", MEDIA, DAY - timedelta(days=1))
        fixed = Settings.from_env({**env, "WISTIA_EVENTS_WINDOW": "end-exclusive"})
        defs = build_defs(fixed, resource_overrides={"wistia": wistia})
        repaired = run_window(defs, instance, DAY)
        assert repaired.success
        assert store.get("events", MEDIA) == DAY
        (events,) = [
            e.event_specific_data.materialization
            for e in repaired.get_asset_materialization_events()
            if e.event_specific_data.materialization.asset_key.to_user_string() == "fact_events"
        ]
        truth = sandbox.ground_truth_events(MEDIA, DAY)
        assert events.metadata["dagster/row_count"].value == len(truth)


def test_dagster_fails_a_step_whose_blocking_check_fails_without_retrying_it():
    """Dagster 1.13 itself, in miniature: a multi-asset with a retry policy yields a failed
    blocking check and returns normally. The step fails once, with no retry, after the
    materialization was recorded; a failed check of WARN severity fails nothing."""
    calls = []

    def build(severity):
        @multi_asset(
            name=f"facts_{severity.lower()}",
            specs=[AssetSpec(f"table_{severity.lower()}")],
            check_specs=[
                AssetCheckSpec("covers", asset=f"table_{severity.lower()}", blocking=True)
            ],
            retry_policy=RetryPolicy(max_retries=2),
        )
        def facts():
            calls.append(severity)
            yield MaterializeResult(
                asset_key=f"table_{severity.lower()}",
                check_results=[
                    AssetCheckResult(
                        check_name="covers",
                        passed=False,
                        severity=getattr(AssetCheckSeverity, severity),
                        description="why, and what to run",
                    )
                ],
            )

        return facts

    failed = materialize([build("ERROR")], raise_on_error=False)
    assert not failed.success and calls == ["ERROR"]
    assert len(failed.get_asset_materialization_events()) == 1
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    assert failure.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
    warned = materialize([build("WARN")], raise_on_error=False)
    assert warned.success and calls == ["ERROR", "WARN"]
