"""Freshness policies that match the daily schedule (Dagster 1.13's `FreshnessPolicy.cron`).

What Dagster checks, and only that: at each deadline tick, the asset's *last materialization*
(of any partition) must be newer than the deadline minus `lower_bound_delta`; else the asset is
FAIL (red in the UI) until it materializes again. It does not check which partitions exist.

The deadline is the schedule's tick plus the hours a day's pull and builds take, so a changed
WISTIA_SCHEDULE_CRON moves it too. A cron that is not one tick a day at a fixed hour gets a
time window instead (materialized within a day plus those hours): a cron deadline's lower bound
may not exceed the cron's shortest interval, which Dagster checks and this module cannot know.
"""

from __future__ import annotations

import re
from datetime import timedelta

from dagster import FreshnessPolicy

from wistia_assets.settings import Settings

# Hours after the tick by which Gold and the report are built: the Silver windows (~minutes
# each, one Glue pool), the automation sensor's 5-minute interval, the Gold and report runs.
GOLD_HOURS_AFTER_TICK = 5
_DAILY = re.compile(r"^(\d{1,2}) (\d{1,2}) \* \* \*$")


def deadline_cron(schedule_cron: str, hours_after: int) -> str | None:
    """`M H+hours * * *` for a daily `M H * * *` cron; None for any other cron."""
    match = _DAILY.match(schedule_cron.strip())
    if not match:
        return None
    minute, hour = int(match[1]), int(match[2])
    return f"{minute} {(hour + hours_after) % 24} * * *"


def gold_freshness(settings: Settings) -> FreshnessPolicy:
    """media_daily and media_report: materialized in the 24 h before the deadline."""
    deadline = deadline_cron(settings.schedule_cron, GOLD_HOURS_AFTER_TICK)
    if deadline is None:
        return FreshnessPolicy.time_window(fail_window=timedelta(hours=24 + GOLD_HOURS_AFTER_TICK))
    return FreshnessPolicy.cron(deadline_cron=deadline, lower_bound_delta=timedelta(hours=24))
