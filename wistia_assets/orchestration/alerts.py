"""Run-failure alerting: one record per failed run with partition, asset, error, x-request-id.

The sensor reads the failed run's step failures from the event log: the asset(s) of the failed
step, the one-line error our assets raise (`dagster.Failure` descriptions are written for people),
and the Wistia `x-request-id` our Bronze step attaches, so whoever is paged can quote it to
Wistia support without opening the UI.
"""

from __future__ import annotations

from typing import Any

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from wistia_assets.resources.alerts import AlertsResource

SENSOR_NAME = "wistia_run_failure_alerts"


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def describe_failure(context: RunFailureSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    alert: dict[str, Any] = {
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "tick": run.tags.get("wistia/tick"),
        "assets": sorted(k.to_user_string() for k in (run.asset_selection or [])),
        "error": context.failure_event.message,
        "failed_steps": [],
    }
    records = context.instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    for record in records:
        event = record.dagster_event
        data = event.step_failure_data
        step: dict[str, Any] = {"step": event.step_key}
        if data.user_failure_data is not None:
            step["error"] = data.user_failure_data.description
            metadata = {k: _plain(v) for k, v in (data.user_failure_data.metadata or {}).items()}
            if "x-request-id" in metadata:
                step["x_request_id"] = metadata["x-request-id"]
            if "status" in metadata:
                step["status"] = metadata["status"]
        elif data.error is not None:
            step["error"] = data.error.message.strip().splitlines()[0]
        alert["failed_steps"].append(step)
    if alert["failed_steps"]:
        first = alert["failed_steps"][0]
        alert["error"] = first.get("error") or alert["error"]
        alert["x_request_id"] = first.get("x_request_id")
    return alert


def build_failure_sensor(jobs):
    @run_failure_sensor(
        name=SENSOR_NAME,
        monitored_jobs=list(jobs),
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
