"""The daily schedule: yesterday + the overlap re-pull for every media, plus catch-up.

Each (day, media) window is its own run of `wistia_window` (Bronze then Silver). Run keys carry
the tick's day, so evaluating the same tick twice launches nothing new, while tomorrow's tick can
still re-pull today's windows. Watermarks are read here and written only by the Silver assets
after a partition succeeded, so a failed day is requested again by every tick until it succeeds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from wistia_assets.orchestration.plan import OVERLAP_DAYS, plan_tick
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.watermarks.store import DATASETS, WatermarkStore

SCHEDULE_NAME = "wistia_daily"


def oldest_watermarks(store: WatermarkStore, media_ids) -> dict[str, date | None]:
    marks = {}
    for media_id in media_ids:
        known = [d for d in (store.get(ds, media_id) for ds in DATASETS) if d is not None]
        marks[media_id] = min(known) if known else None
    return marks


def run_requests(settings: Settings, store: WatermarkStore, tick_day: date) -> list[RunRequest]:
    marks = oldest_watermarks(store, settings.media_ids)
    windows = plan_tick(tick_day, settings.media_ids, marks, settings.start_date)
    return [
        RunRequest(
            run_key=f"{tick_day.isoformat()}/{w.key}",
            partition_key=w.key,
            tags={
                "wistia/tick": tick_day.isoformat(),
                "wistia/reason": "daily" if (tick_day - w.day).days <= OVERLAP_DAYS else "catch-up",
            },
        )
        for w in windows
    ]


def build_daily_schedule(settings: Settings, window_job):
    @schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.schedule_cron,
        execution_timezone="UTC",
        job=window_job,
        # A deploy turns it on in AWS; locally `make dev` must never call anything by surprise.
        default_status=(
            DefaultScheduleStatus.RUNNING
            if settings.deployment == "aws"
            else DefaultScheduleStatus.STOPPED
        ),
        description=(
            "Daily at 02:15 UTC: for every media, build yesterday and re-pull the day before "
            "(late events), plus every day since the oldest watermark when days were missed."
        ),
    )
    def wistia_daily(context: ScheduleEvaluationContext, watermarks: WatermarksResource):
        # Evaluated from the UI ("Test schedule") there may be no scheduled time: days are UTC
        # days, so the fallback is today in UTC, not in the server's time zone.
        moment = context.scheduled_execution_time or datetime.now(UTC)
        tick_day = moment.astimezone(UTC).date()
        requests = run_requests(settings, watermarks.store(), tick_day)
        if not requests:
            return SkipReason(f"nothing to build for the tick of {tick_day}")
        return requests

    return wistia_daily
