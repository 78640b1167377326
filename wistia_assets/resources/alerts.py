"""Where run-failure alerts go: the log and a JSONL file locally (`LogAlerts`), an SNS topic in
AWS (`SnsAlerts`). `deployments.py` picks one, as it picks the Silver engine and the catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.aws import aws_client


class AlertsResource(ConfigurableResource):
    """Interface: record one alert, return where it went."""

    log_path: str | None = Field(default=None, description="JSONL file of recorded failures")

    def notify(self, alert: dict[str, Any]) -> str:
        raise NotImplementedError

    def _append_to_log(self, alert: dict[str, Any]) -> None:
        if self.log_path:
            path = Path(self.log_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(alert, sort_keys=True) + "\n")


class LogAlerts(AlertsResource):
    """The `local` deployment: one JSON line per failure in `log_path` (the log shows it too)."""

    def notify(self, alert: dict[str, Any]) -> str:
        self._append_to_log(alert)
        return self.log_path or "log"


class SnsAlerts(AlertsResource):
    """The `aws` deployment: one SNS message per failure (and a JSON line if `log_path` is set)."""

    topic_arn: str | None = Field(default=None, description="SNS topic for run-failure alerts")
    endpoint_url: str | None = None
    region: str = "us-east-1"

    def notify(self, alert: dict[str, Any]) -> str:
        self._append_to_log(alert)
        if not self.topic_arn:
            raise ValueError("the sns alert backend needs ALERTS_TOPIC_ARN")
        sns = aws_client("sns", endpoint_url=self.endpoint_url, region=self.region)
        subject = f"wistia_assets run failed: {alert.get('partition') or alert.get('job')}"
        sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject[:100],  # SNS limit
            Message=json.dumps(alert, indent=2, sort_keys=True),
        )
        return self.topic_arn
