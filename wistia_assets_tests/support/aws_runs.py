"""What the aws deployment's tests do on moto the same way: queue Athena's answer to the
duplicates check, and build one day of Gold on the Glue stand-in."""

from __future__ import annotations

import json
from datetime import date

import httpx

from wistia_assets.orchestration.jobs import GOLD_DAYS_JOB


def seed_athena(endpoint: str, value: str) -> None:
    """moto answers Athena queries from a queue of results; queue the duplicates count."""
    rows = [{"Data": [{"VarCharValue": "duplicates"}]}, {"Data": [{"VarCharValue": value}]}]
    body = json.dumps({"results": [{"rows": rows}]}).encode()
    httpx.post(f"{endpoint}/moto-api/static/athena/query-results", content=body).raise_for_status()


def build_gold_day(defs, instance, day: date):
    """One `media_daily_build` run for `day`, as the CLI and the automation launch it."""
    days = defs.resolve_job_def(GOLD_DAYS_JOB).execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": str(day),
            "dagster/asset_partition_range_end": str(day),
        },
    )
    assert days.success
    return days
