"""What a daily tick asks for: yesterday + the overlap re-pull, catch-up from the oldest
watermark, bounded by the start date and Wistia's two-year retention."""

from __future__ import annotations

from datetime import date

from wistia_assets.orchestration.plan import plan_tick

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
