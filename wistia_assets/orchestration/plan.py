"""Which (day, media) windows a daily tick must (re)build — pure date logic, no Dagster.

A day window is closed only after the day ends and late events keep arriving, so each tick
builds yesterday and re-pulls the day before (the 1-day overlap). If days were missed (daemon
down, a failed day), the tick also requests every day from the oldest watermark of that media
onward — the watermark day itself included, as its own overlap re-pull — bounded by the
partitions' start date and by Wistia's two-year retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from wistia_assets.partitions import RETENTION_DAYS, Window, days

OVERLAP_DAYS = 2  # yesterday + the day before


def plan_tick(
    tick_day: date,
    media_ids: Iterable[str],
    watermarks: Mapping[str, date | None],
    start_date: date,
) -> list[Window]:
    """Windows for a tick that fires on `tick_day` (UTC), oldest day first, then media order.

    `watermarks` maps media id -> the oldest watermark over that media's datasets (None when the
    media has never completed a build: then no catch-up, just the normal pair; history is a
    backfill an operator starts on purpose).
    """
    last = tick_day - timedelta(days=1)
    floor = max(start_date, tick_day - timedelta(days=RETENTION_DAYS))
    windows = []
    for media_id in media_ids:
        first = last - timedelta(days=OVERLAP_DAYS - 1)
        mark = watermarks.get(media_id)
        if mark is not None:
            first = min(first, mark)
        first = max(first, floor)
        windows += [Window(day, media_id) for day in days(first, last)]
    return sorted(windows, key=lambda w: (w.day, list(media_ids).index(w.media_id)))
