"""Where run-failure alerts go: the log and a JSONL file locally, an SNS topic in AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field


class AlertsResource(ConfigurableResource):
    backend: str = Field(description="'log' (local: log + JSONL file) or 'sns'")
    log_path: str | None = Field(default=None, description="JSONL file of recorded failures")
    topic_arn: str | None = Field(default=None, description="SNS topic for run-failure alerts")
    endpoint_url: str | None = None
    region: str = "us-east-1"

    def notify(self, alert: dict[str, Any]) -> str:
        """Record one alert; returns where it went."""
        if self.log_path:
            path = Path(self.log_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(alert, sort_keys=True) + "\n")
        if self.backend == "sns":
            if not self.topic_arn:
                raise ValueError("the sns alert backend needs ALERTS_TOPIC_ARN")
            import boto3

            sns = boto3.client(
                "sns", endpoint_url=self.endpoint_url or None, region_name=self.region
            )
            subject = f"wistia_assets run failed: {alert.get('partition') or alert.get('job')}"
            sns.publish(
                TopicArn=self.topic_arn,
                Subject=subject[:100],  # SNS limit
                Message=json.dumps(alert, indent=2, sort_keys=True),
            )
            return self.topic_arn
        return self.log_path or "log"
