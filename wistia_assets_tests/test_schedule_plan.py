"""What a daily tick asks for: yesterday + the overlap re-pulls (one more for an account whose
days are not UTC days), catch-up from the oldest watermark, bounded by the start date and
Wistia's two-year retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from wistia_assets.orchestration.plan import catch_up_start, plan_tick, repull_days
from wistia_assets.watermarks.store import Watermark
from wistia_assets.wistia.windows import account_day_span, event_window, settles_at

A, B = "aaaa1111", "bbbb2222"
START = date(2026, 1, 1)


def keys(windows):
    return [w.key for w in windows]


def test_normal_tick_is_yesterday_and_the_day_before_for_every_media():
    windows = plan_tick(date(2026, 11, 21), [A, B], {A: date(2026, 11, 19), B: None}, START)
    assert keys(windows) == [
        f"2026-11-19|{A}",
        f"2026-11-19|{B}",
        f"2026-11-20|{A}",
        f"2026-11-20|{B}",
    ]


def test_missed_days_are_caught_up_from_the_oldest_watermark():
    # A's last good day is the 15th: the tick of the 21st re-pulls the 15th and builds 16..20.
    windows = plan_tick(
        date(2026, 11, 21), [A, B], {A: date(2026, 11, 15), B: date(2026, 11, 19)}, START
    )
    assert [w.key for w in windows if w.media_id == A] == [
        f"2026-11-{d}|{A}" for d in range(15, 21)
    ]
    assert [w.key for w in windows if w.media_id == B] == [f"2026-11-19|{B}", f"2026-11-20|{B}"]


def test_catch_up_is_bounded_by_start_date_and_retention():
    windows = plan_tick(date(2026, 11, 21), [A], {A: date(2020, 1, 1)}, date(2026, 11, 18))
    assert keys(windows) == [f"2026-11-{d}|{A}" for d in (18, 19, 20)]
    windows = plan_tick(date(2026, 11, 21), [A], {A: date(2020, 1, 1)}, date(2020, 1, 1))
    assert windows[0].day == date(2024, 11, 21)  # 730 days back, no further
    assert len(windows) == 730


def test_nothing_before_the_start_date_even_on_the_first_tick():
    assert keys(plan_tick(date(2026, 1, 2), [A], {}, START)) == [f"2026-01-01|{A}"]
    assert plan_tick(date(2026, 1, 1), [A], {}, START) == []


# --- account time zones: how often a day is re-pulled ---------------------------------------

TICK = time(2, 15, tzinfo=UTC)
SANDBOX_LATEST_LATE = timedelta(hours=20)  # the sandbox's late cohorts: 1-20 h after close


def zone_of(offset_hours: int) -> ZoneInfo:
    # Etc/GMT signs are POSIX's, inverted: Etc/GMT+5 is UTC-5.
    return ZoneInfo("UTC") if offset_hours == 0 else ZoneInfo(f"Etc/GMT{-offset_hours:+d}")


def pulls_of(day: date, zone: ZoneInfo, ticks=range(1, 6)) -> list[datetime]:
    """The moments of the daily ticks that pull `day`."""
    moments = [datetime.combine(day + timedelta(days=n), TICK) for n in ticks]
    return [m for m in moments if day in repull_days(m, zone)]


def account_day_closes(day: date, zone: ZoneInfo) -> datetime:
    return account_day_span(event_window(day, zone).last_account_day, zone)[1]


@pytest.mark.parametrize("offset", range(-12, 15))
def test_the_last_pull_of_a_day_comes_after_it_settled_for_every_offset(offset):
    zone = zone_of(offset)
    for day in (date(2026, 11, 20), date(2026, 12, 31), date(2027, 2, 28)):
        pulls = pulls_of(day, zone)
        closes = account_day_closes(day, zone)
        assert pulls[0] == datetime.combine(day + timedelta(days=1), TICK)  # yesterday, first
        assert pulls[-1] >= settles_at(day, zone) == closes + timedelta(days=1)
        # The sandbox's latest late event has arrived by the last pull, whatever the offset.
        assert pulls[-1] >= closes + SANDBOX_LATEST_LATE
        # Consecutive ticks: no pull skipped in between.
        gaps = [b - a for a, b in zip(pulls, pulls[1:], strict=False)]
        assert gaps == [timedelta(days=1)] * (len(pulls) - 1)
        # A UTC account (and up to 2 h west of it) keeps the 1-day overlap: two pulls.
        assert len(pulls) == (2 if -2 <= offset <= 0 else 3), offset


@pytest.mark.parametrize("offset", [-12, -7, 1, 9, 14])
def test_the_one_day_overlap_alone_would_miss_late_events_of_such_an_account(offset):
    """Why the plan changed: with two pulls, the last one comes before the account day that
    closes the UTC day has had its late events (the sandbox delivers them up to 20 h on). At
    -3 h .. -6 h two pulls still catch the sandbox's, but with 21-24 h of grace where a UTC
    account gets 26 h: the plan keeps at least a day for every zone."""
    zone = zone_of(offset)
    day = date(2026, 11, 20)
    second_pull = datetime.combine(day + timedelta(days=2), TICK)
    assert second_pull < account_day_closes(day, zone) + SANDBOX_LATEST_LATE


def test_daylight_saving_changes_the_number_of_pulls_with_the_offset():
    london = ZoneInfo("Europe/London")
    assert len(pulls_of(date(2026, 1, 15), london)) == 2  # GMT
    assert len(pulls_of(date(2026, 7, 15), london)) == 3  # BST, UTC+1


def test_a_non_utc_tick_re_pulls_three_days_and_catches_up_one_day_earlier():
    tokyo = ZoneInfo("Asia/Tokyo")
    tick = datetime(2026, 11, 21, 2, 15, tzinfo=UTC)
    windows = plan_tick(date(2026, 11, 21), [A], {A: None}, START, tick_at=tick, zone=tokyo)
    assert keys(windows) == [f"2026-11-{d}|{A}" for d in (18, 19, 20)]
    # The steady state: the watermark at the 20th after yesterday's tick asks for nothing more.
    steady = plan_tick(
        date(2026, 11, 21), [A], {A: date(2026, 11, 19)}, START, tick_at=tick, zone=tokyo
    )
    assert keys(steady) == keys(windows)
    # Missed ticks: from the day before the watermark, which had been pulled twice only.
    windows = plan_tick(
        date(2026, 11, 21), [A], {A: date(2026, 11, 15)}, START, tick_at=tick, zone=tokyo
    )
    assert keys(windows) == [f"2026-11-{d}|{A}" for d in range(14, 21)]
    assert catch_up_start(date(2026, 11, 15), None, tick, ZoneInfo("UTC")) == date(2026, 11, 15)


def watermark(day: date, moved_at: datetime) -> Watermark:
    return Watermark("events", A, day, moved_at.isoformat().replace("+00:00", "Z"))


def test_catch_up_re_pulls_only_the_days_that_had_not_settled_when_the_watermark_moved():
    """The daemon was down from the 16th: the watermark (the 15th) last moved in the tick of
    the 16th, which pulled the 15th for the first time — it needs its re-pull. An operator who
    set the watermark to the 15th today said the 15th is done: only later days are built."""
    tick = datetime(2026, 11, 21, 2, 15, tzinfo=UTC)
    built = watermark(date(2026, 11, 15), datetime(2026, 11, 16, 2, 40, tzinfo=UTC))
    windows = plan_tick(date(2026, 11, 21), [A], {A: built}, START, tick_at=tick)
    assert keys(windows) == [f"2026-11-{d}|{A}" for d in range(15, 21)]
    by_operator = watermark(date(2026, 11, 15), datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    windows = plan_tick(date(2026, 11, 21), [A], {A: by_operator}, START, tick_at=tick)
    assert keys(windows) == [f"2026-11-{d}|{A}" for d in range(16, 21)]
    # Set to a recent day, the re-pulls of late events still come: they are every tick's.
    recent = watermark(date(2026, 11, 19), datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    assert keys(plan_tick(date(2026, 11, 21), [A], {A: recent}, START, tick_at=tick)) == [
        f"2026-11-{d}|{A}" for d in (19, 20)
    ]
