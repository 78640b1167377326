"""The run-failure alert sensor driven the way the daemon drives it, a Bronze failure to alert on
(Wistia refuses a stale token), and an SNS topic on moto read back through SQS."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from dagster import AssetKey, build_sensor_context

from wistia_assets.orchestration.alerts import SENSOR_NAME
from wistia_assets.orchestration.jobs import WINDOW_ASSETS, WINDOW_JOB
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.settings import SANDBOX_MEDIA_IDS

MEDIA = SANDBOX_MEDIA_IDS[0]
PARTITION = f"2026-11-05|{MEDIA}"
STALE_TOKEN = "stale-token-2b7f"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def tick(defs, instance, cursor=None, alerts=None) -> str | None:
    """One evaluation of the alert sensor, the way the daemon does it (with the deployment's
    alerts resource, or `alerts`); returns the new cursor."""
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"alerts": alerts or defs.resources["alerts"]},
    )
    sensor.evaluate_tick(context)
    return context.cursor


def fail_in_bronze(defs, instance, *, job_name: str = WINDOW_JOB):
    job = (
        defs.resolve_job_def(job_name)
        if job_name == WINDOW_JOB
        else defs.resolve_implicit_global_asset_job_def()
    )
    result = job.execute_in_process(
        partition_key=PARTITION,
        instance=instance,
        asset_selection=[AssetKey(k) for k in WINDOW_ASSETS] if job_name != WINDOW_JOB else None,
        run_config=QUIET,
        raise_on_error=False,
    )
    assert not result.success
    return result.dagster_run


def stale_token_wistia(server) -> WistiaApiResource:
    return WistiaApiResource(
        wistia_base_url=server.url, wistia_api_token=STALE_TOKEN, rate_limit_per_minute=6000
    )


def alerts_topic_with_queue(endpoint: str) -> tuple[str, Any, str]:
    """An SNS alerts topic on moto and an SQS queue subscribed to it: (topic arn, sqs, url)."""
    sns = boto3.client("sns", endpoint_url=endpoint)
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    suffix = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=f"wistia-alerts-{suffix}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"wistia-oncall-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, sqs, queue
