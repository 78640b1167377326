"""The doctor's reasoning from pulls to findings, on hand-made pulls: which end is exclusive when
the events' times alone cannot tell (by_date's counts decide, or it stays undecided), where a day
starts across a daylight-saving change, which zones are named first, which day is probed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from wistia_assets.doctor import choose_day
from wistia_assets.wistia.account_days import (
    DayBounds,
    Pull,
    day_start,
    format_offset,
    keyed_events,
    window_semantics,
    zone_offset,
)

D = date(2026, 11, 20)
NEXT, PREV = D + timedelta(days=1), D - timedelta(days=1)


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def pull(start: date, end: date, *times: datetime, prefix: str = "e") -> Pull:
    ordered = sorted(times, reverse=True)
    return Pull(start, end, tuple((f"{prefix}{i}", t) for i, t in enumerate(ordered)), True)


def test_a_one_day_window_with_events_is_inclusive():
    found = window_semantics(pull(D, D, at(D, 3)), pull(D, NEXT), pull(PREV, D), None, {D: 1})
    assert found.value == "inclusive"


def test_where_the_one_day_window_falls_in_utc_tells_which_end_is_excluded():
    # (D, D+1) holds events from D 01:00 to D 23:00 UTC: too early for any zone's D+1.
    later = pull(D, NEXT, at(D, 1), at(D, 23), prefix="d")
    earlier = pull(PREV, D, at(PREV, 1), at(PREV, 23), prefix="p")
    found = window_semantics(pull(D, D), later, earlier, None, {D: 2, NEXT: 2, PREV: 2})
    assert found.value == "end-exclusive"


def test_when_times_cannot_tell_by_date_counts_decide_or_it_stays_undecided():
    # Events only just before midnight UTC: D or D+1 in some zone either way.
    later = pull(D, NEXT, *(at(NEXT, 0) - timedelta(minutes=m) for m in range(5)), prefix="d")
    earlier = pull(PREV, D, *(at(D, 0) - timedelta(minutes=m) for m in range(3)), prefix="p")
    plays = {PREV: 3, D: 5, NEXT: 40}
    assert window_semantics(pull(D, D), later, earlier, None, plays).value == "end-exclusive"
    same = {PREV: 5, D: 5, NEXT: 5}
    undecided = window_semantics(pull(D, D), later, earlier, None, same)
    assert undecided.value is None and "unclear" in undecided.reason


def test_empty_windows_on_a_day_with_plays_point_at_the_token_or_exclusive_ends():
    empty = (pull(D, D), pull(D, NEXT), pull(PREV, D))
    nothing = window_semantics(*empty, None, {D: 7})
    assert nothing.value is None and "may not read events" in nothing.reason
    wider = pull(PREV, NEXT, at(D, 5))
    assert window_semantics(*empty, wider, {D: 7}).value == "exclusive"


def test_the_day_start_is_bounded_by_the_neighbours_and_matched_to_zones():
    # New York, the night clocks fall back (2026-11-01, 25 h): starts at UTC-04:00, next -05:00.
    day = date(2026, 11, 1)
    bounds = DayBounds(
        day,
        before=at(day, 4) - timedelta(minutes=20),
        first=at(day, 4) + timedelta(minutes=10),
        last=at(day + timedelta(days=1), 5) - timedelta(minutes=25),
        after=at(day + timedelta(days=1), 5) + timedelta(minutes=5),
    )
    start = day_start(bounds)
    assert start.describe() == "00:00 UTC-04:00 on 2026-11-01"
    assert start.fits(ZoneInfo("America/New_York"))
    assert not start.fits(ZoneInfo("America/Santo_Domingo"))  # -04:00 all year: not at the end
    assert start.zones[0] == "America/New_York"
    assert not start.fits(ZoneInfo("UTC"))


def test_offsets_print_like_iso():
    assert format_offset(timedelta(hours=-5)) == "UTC-05:00"
    assert format_offset(timedelta(hours=5, minutes=45)) == "UTC+05:45"
    assert zone_offset(ZoneInfo("Asia/Kathmandu"), D) == timedelta(hours=5, minutes=45)


def test_keyed_events_keep_each_key_once_and_skip_what_has_no_time():
    records = [
        {"event_key": "a", "received_at": "2026-11-20T10:00:00Z"},
        {"event_key": "a", "received_at": "2026-11-20T10:00:00Z"},  # page drift
        {"event_key": "b", "received_at": "not a time"},
        {"received_at": "2026-11-20T09:00:00Z"},
        {"event_key": "c", "received_at": "2026-11-20T08:00:00.000+00:00"},
    ]
    assert [k for k, _ in keyed_events(records)] == ["a", "c"]


def test_the_probe_day_has_plays_on_both_sides_and_is_cheap_to_read():
    today = date(2026, 11, 29)
    plays = {
        "m1": {today - timedelta(days=n): (0 if n in (5, 7) else 900) for n in range(1, 22)},
        "m2": {today - timedelta(days=n): (0 if n == 9 else 120) for n in range(1, 22)},
    }
    media, day = choose_day(plays, today)
    assert media == "m2" and day == today - timedelta(days=3)  # cheapest, then most recent
    assert choose_day(plays, today, media_id="m1") == ("m1", today - timedelta(days=3))
    assert choose_day(plays, today, day=today - timedelta(days=6), media_id="m1") == (
        "m1",
        today - timedelta(days=6),
    )  # pinned: neighbours without plays are accepted
    assert choose_day({"m": {}}, today) is None
