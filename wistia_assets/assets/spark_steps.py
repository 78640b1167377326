"""How a step that runs Spark (Silver and Gold) is scheduled: its pool and its retry policy."""

from __future__ import annotations

from dagster import Backoff, RetryPolicy

from wistia_assets.settings import Settings


def spark_step(settings: Settings) -> dict:
    """`pool` and `retry_policy` for a Spark asset of `settings.deployment`.

    A Glue run can fail for reasons that pass (capacity, a lost executor): retry once. A local
    Spark failure is a bug or bad data and fails the same way again: no retry, no waiting.
    """
    if settings.deployment == "aws":
        return {
            "pool": "glue",
            "retry_policy": RetryPolicy(max_retries=1, delay=60, backoff=Backoff.EXPONENTIAL),
        }
    return {"pool": "spark", "retry_policy": None}
