"""How a step that runs Spark (Silver and Gold) is scheduled: its pool and its retry policy."""

from __future__ import annotations

from wistia_assets.deployments import deployment_for
from wistia_assets.settings import Settings


def spark_step(settings: Settings) -> dict:
    """`pool` and `retry_policy` for a Spark asset of `settings.deployment` (see
    `Deployment.spark_pool` and `Deployment.spark_retry_policy` for why they differ)."""
    deployment = deployment_for(settings)
    return {"pool": deployment.spark_pool, "retry_policy": deployment.spark_retry_policy}
