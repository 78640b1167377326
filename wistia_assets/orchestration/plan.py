"""Which (day, media) windows a daily tick must (re)build — pure date logic, no Dagster.

A day's events keep arriving after the day closed (late events), so a day is pulled again by
later ticks until a pull comes after it *settled*: `LATE_GRACE` after the last account day that
overlaps it closed (`wistia/windows.py`). For a UTC account that is the 1-day overlap: yesterday
and the day before. An account day that is not a UTC day closes later than the UTC day (west of
UTC) or overlaps the next UTC day (east of UTC): at the 02:15 tick two days on, it closed only
10-16 h before (offsets -12 h .. +14 h) and its late events may still be coming, so such an
account gets one more re-pull (three pulls of each day).

Days missed or failed are caught up from the oldest watermark of the media: every day after it
to yesterday, plus the days up to it that had not settled when it last moved (their last pull
may have come too early: the watermark day itself, for a UTC account, after missed ticks),
bounded by the partitions' start date and by Wistia's two-year retention. Watermarks move only
contiguously, so a failed day is requested by every tick until it is built or an operator moves
the watermark past it (`watermark set`: days up to the set day are done, unless still settling).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wistia_assets.partitions import RETENTION_DAYS, Window, days
from wistia_assets.watermarks.store import Watermark
from wistia_assets.wistia.windows import settles_at

TICK_INTERVAL = timedelta(days=1)  # the daily schedule


def repull_days(tick_at: datetime, zone: ZoneInfo) -> list[date]:
    """Days a tick at `tick_at` pulls whatever the watermarks say, oldest first: yesterday (UTC)
    and every earlier day that had not settled by the previous tick — so the last pull of each
    day comes after it settled."""
    tick_at = tick_at.astimezone(UTC)
    day = tick_at.date() - timedelta(days=1)
    wanted = [day]
    previous_tick = tick_at - TICK_INTERVAL
    while settles_at(day - timedelta(days=1), zone) > previous_tick:
        day -= timedelta(days=1)
        wanted.append(day)
    return wanted[::-1]


def catch_up_start(
    watermark: date, moved_at: datetime | None, tick_at: datetime, zone: ZoneInfo
) -> date:
    """The first day to rebuild when every day up to `watermark` is built and the watermark last
    moved at `moved_at`: the day after it, or the oldest day up to it that had not settled then.
    Unknown `moved_at`: the tick after the watermark's day, which built it as yesterday."""
    if moved_at is None:
        moved_at = datetime.combine(watermark + timedelta(days=1), tick_at.astimezone(UTC).timetz())
    start = watermark + timedelta(days=1)
    while settles_at(start - timedelta(days=1), zone) > moved_at:
        start -= timedelta(days=1)
    return start


def _frontier(mark: date | Watermark) -> tuple[date, datetime | None]:
    if isinstance(mark, Watermark):
        return mark.last_date, mark.moved_at
    return mark, None


def plan_tick(
    tick_day: date,
    media_ids: Iterable[str],
    watermarks: Mapping[str, Watermark | date | None],
    start_date: date,
    *,
    tick_at: datetime | None = None,
    zone: ZoneInfo = ZoneInfo("UTC"),
) -> list[Window]:
    """Windows for a tick that fires on `tick_day` (UTC; at `tick_at`, default its first
    moment), oldest day first, then media order.

    `watermarks` maps media id -> the oldest watermark over that media's datasets (None when the
    media has never completed a build: then no catch-up, just the re-pulls; history is a
    backfill an operator starts on purpose). A bare date is a watermark whose move time is not
    known.
    """
    tick_at = tick_at or datetime.combine(tick_day, time(0, tzinfo=UTC))
    media_ids = list(media_ids)
    last = tick_day - timedelta(days=1)
    floor = max(start_date, tick_day - timedelta(days=RETENTION_DAYS))
    repull_from = repull_days(tick_at, zone)[0]
    windows = []
    for media_id in media_ids:
        first = repull_from
        mark = watermarks.get(media_id)
        if mark is not None:
            first = min(first, catch_up_start(*_frontier(mark), tick_at, zone))
        first = max(first, floor)
        windows += [Window(day, media_id) for day in days(first, last)]
    return sorted(windows, key=lambda w: (w.day, media_ids.index(w.media_id)))
