"""Run-failure alerting: one record per failed run with partition, asset, error, x-request-id.

The sensor reads the failed run's step failures from the event log: the asset(s) of the failed
step (from the run's execution plan: a scheduled run executes the whole job, so the run itself
names no asset selection), the one-line error our assets raise (`dagster.Failure` descriptions are
written for people), and the Wistia `x-request-id` our Bronze step attaches, so whoever is paged
can quote it to Wistia support without opening the UI.

It watches every job of the code location, not only the two named jobs: a backfill or a
"Materialize" launched from the asset graph runs Dagster's implicit asset job, and a failed repair
must page someone as surely as a failed scheduled run.

A blocking asset check that fails with ERROR severity fails its step after the step returned
(Dagster 1.13 raises `DagsterAssetCheckFailedError` outside the user code, so no retry policy
re-runs it), so the run fails and this sensor fires. Dagster's own message only lists the checks'
names; the alert carries the message the check wrote (its description: the cause and the
command that diagnoses it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from wistia_assets.orchestration.jobs import RANGE_END_TAG, RANGE_START_TAG
from wistia_assets.resources.alerts import AlertsResource

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

SENSOR_NAME = "wistia_run_failure_alerts"
# An alert is read on a phone and in an SNS e-mail subject: one line, bounded.
MAX_ERROR_CHARS = 400


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def one_line(text: str | None) -> str:
    """Collapse a multi-line message ("1 blocking asset check failed ...:\\nfact_events: ...")
    into one bounded line."""
    line = re.sub(r"\s+", " ", (text or "").strip())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."


def root_cause(error: SerializableErrorInfo) -> str:
    """The innermost error that is not a Dagster wrapper ("Error occurred while executing ...",
    "Exceeded max_retries"), prefixed with its class."""
    # cls_name is None for an error Dagster recorded without its class (a serialized string).
    while error.cause is not None and (
        (error.cls_name or "").startswith("Dagster")
        or error.message.startswith("Exceeded max_retries")
    ):
        error = error.cause
    message = error.message.strip()
    if error.cls_name is None or message.startswith(error.cls_name):
        return message
    return f"{error.cls_name}: {message}"


def _events(
    instance: DagsterInstance, run_id: str, of_type: DagsterEventType
) -> Iterator[DagsterEvent]:
    """The run's Dagster events of one type. A record of the event log may carry none (a plain
    log line); `of_type` selects Dagster events only, so one without is skipped, never read."""
    for record in instance.all_logs(run_id, of_type=of_type):
        if record.dagster_event is not None:
            yield record.dagster_event


def _step_assets(instance: DagsterInstance, run: DagsterRun) -> dict[str, list[str]]:
    """step key -> the asset keys it materializes, from the run's execution plan snapshot."""
    if not run.execution_plan_snapshot_id:
        return {}
    snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {
        step.key: sorted(
            out.properties.asset_key.to_user_string()
            for out in step.outputs
            if out.properties is not None and out.properties.asset_key is not None
        )
        for step in snapshot.steps
    }


def describe_failure(context: RunFailureSensorContext) -> dict[str, Any]:
    return describe_run_failure(
        context.instance, context.dagster_run, context.failure_event.message
    )


def _partition_range(tags) -> str | None:
    """`first...last` for a run of a range of partitions (the CLI's Silver of several days)."""
    first, last = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    return f"{first}...{last}" if first and last else None


def describe_run_failure(
    instance: DagsterInstance, run: DagsterRun, failure_message: str | None
) -> dict[str, Any]:
    """The alert of one failed run, from the instance's event log (sensor and CLI alike)."""
    step_assets = _step_assets(instance, run)
    planned = sorted({a for assets in step_assets.values() for a in assets})
    alert: dict[str, Any] = {
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition") or _partition_range(run.tags),
        "tick": run.tags.get("wistia/tick"),
        "backfill": run.tags.get("dagster/backfill"),
        "assets": [],
        "error": one_line(failure_message),
        "x_request_id": None,
        "failed_steps": [],
    }
    for event in _events(instance, run.run_id, DagsterEventType.STEP_FAILURE):
        # The typed accessor: the event type was selected above, so this is StepFailureData.
        data = event.step_failure_data
        assets = step_assets.get(event.step_key) if event.step_key is not None else None
        step: dict[str, Any] = {"step": event.step_key, "assets": assets}
        if data.user_failure_data is not None:
            step["error"] = one_line(data.user_failure_data.description)
            metadata = {k: _plain(v) for k, v in (data.user_failure_data.metadata or {}).items()}
            if "x-request-id" in metadata:
                step["x_request_id"] = metadata["x-request-id"]
            if "status" in metadata:
                step["status"] = metadata["status"]
        elif data.error is not None:
            step["error"] = one_line(root_cause(data.error))
        alert["failed_steps"].append(step)
    failed_assets = {a for step in alert["failed_steps"] for a in step.get("assets") or []}
    # No step failed (the run worker died, a launch error): name what the run was to build.
    alert["assets"] = sorted(failed_assets) or sorted(
        k.to_user_string() for k in (run.asset_selection or [])
    )
    alert["failed_checks"] = failed_blocking_checks(instance, run.run_id)
    if alert["failed_checks"]:
        # The step's error says only "1 blocking asset check failed": the check says why.
        first = alert["failed_checks"][0]
        for step in alert["failed_steps"]:
            if "DagsterAssetCheckFailedError" in (step.get("error") or ""):
                step["error"] = one_line(first["message"])
    materialized = {
        event.asset_key.to_user_string()
        for event in _events(instance, run.run_id, DagsterEventType.ASSET_MATERIALIZATION)
        if event.asset_key is not None
    }
    # Downstream of the failure (Silver after a failed Bronze): what is now stale or missing.
    alert["assets_not_built"] = [a for a in planned if a not in materialized | failed_assets]
    if alert["failed_steps"]:
        first = alert["failed_steps"][0]
        alert["error"] = first.get("error") or alert["error"]
        alert["x_request_id"] = first.get("x_request_id")
        if first.get("status") is not None:
            alert["status"] = first["status"]
    return alert


def failed_blocking_checks(instance: DagsterInstance, run_id: str) -> list[dict[str, str]]:
    """The blocking checks of the run that failed with ERROR severity: asset, check, message."""
    failed = []
    for event in _events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.asset_check_evaluation_data
        if evaluation.passed or not evaluation.blocking:
            continue
        if evaluation.severity.value != "ERROR":
            continue
        asset = evaluation.asset_key.to_user_string()
        failed.append(
            {
                "asset": asset,
                "check": evaluation.check_name,
                "message": one_line(evaluation.description)
                or f"{asset}: blocking check {evaluation.check_name} failed",
            }
        )
    return failed


def build_failure_sensor():
    @run_failure_sensor(
        name=SENSOR_NAME,
        # No monitored_jobs: every job of this code location, the implicit asset job of UI
        # backfills and "Materialize" included (see the module docstring).
        # Recording a failure calls nothing external locally (log + file), so it is on from the
        # start; in AWS it publishes to the alerts topic.
        default_status=DefaultSensorStatus.RUNNING,
        description="Records every failed run (partition, asset, error, Wistia x-request-id) "
        "and notifies: the SNS alerts topic in AWS, the log and _state/run_failures.jsonl locally.",
    )
    def wistia_run_failure_alerts(context: RunFailureSensorContext, alerts: AlertsResource):
        alert = describe_failure(context)
        target = alerts.notify(alert)
        context.log.error(
            f"run {alert['run_id']} failed: partition={alert['partition']} "
            f"assets={','.join(alert['assets'])} error={alert['error']} "
            f"x-request-id={alert.get('x_request_id')} -> {target}"
        )

    return wistia_run_failure_alerts
