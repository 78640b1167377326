"""No day is ever silently empty: a Wistia that reads one end of an events window as exclusive
returns `[]` for every one-day window, while by_date counts the day's plays. The sandbox plays
both readings (`events_window`: end-exclusive, start-exclusive); executed through the
`wistia_window` job against it over HTTP, with the pipeline's default settings:

- the Silver step fails the blocking `events_cover_plays` check, whose one-line message names the
  likely setting and `wistia-assets doctor`;
- what Dagster 1.13 then does, observed rather than assumed: the step fails after yielding both
  materializations (`DagsterAssetCheckFailedError`, raised outside the user code, so no retry
  policy re-runs it), the run fails, and the run-failure sensor fires;
- the events watermark stays where it was (by_date's, whose checks passed, moves);
- the alert carries the check's message: JSONL locally, SNS in AWS (read back through SQS on
  moto);
- `doctor`, asked about the same account, names the WISTIA_EVENTS_WINDOW the API uses; with it
  set, the same day builds, equals the sandbox's truth, and the watermark moves.

A genuinely quiet day (by_date zero, no events) passes and is built.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

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

from reliability.truth import check_window
from wistia_assets.definitions import build_defs
from wistia_assets.resources.alerts import SnsAlerts
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.conftest import doctor_recommends
from wistia_assets_tests.support.alerts import alerts_topic_with_queue, tick

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MEDIA = SANDBOX_MEDIA_IDS[0]
DAY = date(2026, 11, 5)
QUIET_DAY = date(2026, 11, 6)
TOKEN = "empty-day-token-3c1a"
HASH_KEY = "empty-day-hash-key-61d0"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


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


@pytest.mark.parametrize("window", ["end-exclusive", "start-exclusive"])
def test_an_excluded_end_fails_the_day_until_the_doctors_setting_is_applied(
    spark, tmp_path, alerts_topic, window
):
    endpoint, topic, sqs, queue = alerts_topic
    lake = tmp_path / "lake"
    env = {
        "WISTIA_LAKE_ROOT": str(lake),
        "WISTIA_START_DATE": "2026-11-01",
        "MEDIA_IDS": MEDIA,
        "WISTIA_HASH_KEY": HASH_KEY,  # the local engine takes it from Settings
    }
    settings = Settings.from_env(env)
    instance = DagsterInstance.local_temp(tempdir=str(tmp_path))
    sandbox = SandboxWistia(
        seed=31,
        token=TOKEN,
        events_per_day=(40, 80),
        events_window=window,
    )
    plays = sandbox.ground_truth_by_date(MEDIA, DAY)["play_count"]
    assert plays > 0

    with serve(sandbox) as server:
        wistia = WistiaApiResource(
            wistia_base_url=server.url, wistia_api_token=TOKEN, rate_limit_per_minute=6000
        )
        defs = build_defs(settings, resource_overrides={"wistia": wistia})
        store = defs.resources["watermarks"].store()
        for dataset in ("events", "media_by_date"):
            store.override(dataset, MEDIA, DAY - timedelta(days=1))
        local_alerts = defs.resources["alerts"]
        sns_alerts = SnsAlerts(topic_arn=topic, endpoint_url=endpoint)
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

        # The run-failure sensor fires and records the check's message (local: JSONL)...
        tick(defs, instance, cursor, local_alerts)
        log = lake / "_state" / "run_failures.jsonl"
        (alert,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert alert["run_id"] == result.run_id
        assert alert["partition"] == f"{DAY}|{MEDIA}"
        assert alert["error"] == message
        assert alert["failed_checks"] == [
            {"asset": "fact_events", "check": "events_cover_plays", "message": message}
        ]
        assert alert["assets"] == ["fact_events", "fact_media_by_date"]

        # ...and in AWS the same failure goes to the alerts topic (the same tick, SNS resource).
        tick(defs, instance, cursor, sns_alerts)
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        (sent,) = received["Messages"]
        envelope = json.loads(sent["Body"])
        assert envelope["Subject"] == f"wistia_assets run failed: {DAY}|{MEDIA}"
        assert json.loads(envelope["Message"])["error"] == message

        # What the message says to do: `doctor` names the window the API reads; set, the request
        # for the day covers it, the day builds as the sandbox's truth and the watermark moves.
        recommended = doctor_recommends(sandbox, datetime.now(UTC).date(), env)
        assert recommended == {"WISTIA_EVENTS_WINDOW": window}
        store.override("events", MEDIA, DAY - timedelta(days=1))
        fixed = Settings.from_env(env | recommended)
        defs = build_defs(fixed, resource_overrides={"wistia": wistia})
        repaired = run_window(defs, instance, DAY)
        assert repaired.success
        assert store.get("events", MEDIA) == DAY
        assert check_window(sandbox, lake, DAY, MEDIA, HASH_KEY) == []


def test_a_quiet_day_passes_and_is_built(spark, tmp_path):
    """by_date counts no play and the pull is empty: a fact, not a failure."""
    lake = tmp_path / "lake"
    env = {"WISTIA_LAKE_ROOT": str(lake), "WISTIA_START_DATE": "2026-11-01", "MEDIA_IDS": MEDIA}
    sandbox = SandboxWistia(seed=31, token=TOKEN, faults=f"zero_days={QUIET_DAY}")
    with serve(sandbox) as server:
        wistia = WistiaApiResource(
            wistia_base_url=server.url, wistia_api_token=TOKEN, rate_limit_per_minute=6000
        )
        defs = build_defs(Settings.from_env(env), resource_overrides={"wistia": wistia})
        store = defs.resources["watermarks"].store()
        store.override("events", MEDIA, QUIET_DAY - timedelta(days=1))
        quiet = run_window(defs, DagsterInstance.ephemeral(), QUIET_DAY)
    assert quiet.success
    quiet_check = {c.check_name: c for c in quiet.get_asset_check_evaluations()}
    assert quiet_check["events_cover_plays"].passed
    assert quiet_check["events_cover_plays"].description == "by_date counts no play"
    assert store.get("events", MEDIA) == QUIET_DAY


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
