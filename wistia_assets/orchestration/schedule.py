"""The daily schedule: yesterday + the overlap re-pulls for every media, plus catch-up.

Each (day, media) window is its own run of `wistia_window` (Bronze then Silver). Run keys carry
the tick's day, so evaluating the same tick twice launches nothing new, while tomorrow's tick can
still re-pull today's windows. Watermarks are read here and written only by the Silver assets
after a partition succeeded, one day after the other (`watermarks/store.py`), so a failed day is
requested again by every tick until it succeeds or an operator moves the watermark.

Each run carries `wistia/first-day`: the first day this tick asked for its media. A media without
a watermark gets one at the day before it with its first build (`origin`), so that the older day
of a first tick, if it fails, is still wanted by the next.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from wistia_assets.deployments import deployment_for
from wistia_assets.orchestration.plan import plan_tick, repull_days
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.watermarks.store import DATASETS, Watermark, WatermarkStore

SCHEDULE_NAME = "wistia_daily"


def oldest_watermarks(store: WatermarkStore, media_ids) -> dict[str, Watermark | None]:
    """Per media, the watermark of the dataset that lags (the earliest move on a tie)."""
    marks = {}
    for media_id in media_ids:
        known = [m for m in (store.mark(ds, media_id) for ds in DATASETS) if m is not None]
        marks[media_id] = min(known, key=lambda m: (m.last_date, m.updated_at)) if known else None
    return marks


FIRST_DAY_TAG = "wistia/first-day"


def run_requests(settings: Settings, store: WatermarkStore, tick_at: datetime) -> list[RunRequest]:
    tick_at = tick_at.astimezone(UTC)
    tick_day = tick_at.date()
    zone = settings.account_timezone
    marks = oldest_watermarks(store, settings.media_ids)
    windows = plan_tick(
        tick_day, settings.media_ids, marks, settings.start_date, tick_at=tick_at, zone=zone
    )
    daily = set(repull_days(tick_at, zone))
    first_day: dict[str, date] = {}
    for w in windows:
        first_day.setdefault(w.media_id, w.day)
    return [
        RunRequest(
            run_key=f"{tick_day.isoformat()}/{w.key}",
            partition_key=w.key,
            tags={
                "wistia/tick": tick_day.isoformat(),
                "wistia/reason": "daily" if w.day in daily else "catch-up",
                FIRST_DAY_TAG: first_day[w.media_id].isoformat(),
            },
        )
        for w in windows
    ]


def watermark_origin(tags) -> date | None:
    """The day before the first day the run's tick asked for (None for a run no tick made)."""
    first = tags.get(FIRST_DAY_TAG)
    return date.fromisoformat(first) - timedelta(days=1) if first else None


def build_daily_schedule(settings: Settings, window_job):
    @schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.schedule_cron,
        execution_timezone="UTC",
        job=window_job,
        # A deploy turns it on in AWS; locally `make dev` must never call anything by surprise.
        default_status=(
            DefaultScheduleStatus.RUNNING
            if deployment_for(settings).starts_on_its_own
            else DefaultScheduleStatus.STOPPED
        ),
        description=(
            f"On cron `{settings.schedule_cron}` in UTC (WISTIA_SCHEDULE_CRON; by default daily at "
            "02:15): for every media, build yesterday and re-pull the day before "
            "(late events; one day more when the account's days are not UTC days), plus every "
            "day since the oldest watermark when days were missed or failed."
        ),
    )
    def wistia_daily(context: ScheduleEvaluationContext, watermarks: WatermarksResource):
        # Evaluated from the UI ("Test schedule") there may be no scheduled time: days are UTC
        # days, so the fallback is today in UTC, not in the server's time zone.
        moment = context.scheduled_execution_time or datetime.now(UTC)
        requests = run_requests(settings, watermarks.store(), moment)
        if not requests:
            return SkipReason(f"nothing to build for the tick of {moment.astimezone(UTC).date()}")
        return requests

    return wistia_daily
