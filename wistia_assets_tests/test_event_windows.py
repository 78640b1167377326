"""The API request that covers a UTC day, for each account time zone and window reading.

A wrong request is silent (a day of another zone, or nothing at all), so each case is spelled out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wistia_assets.settings import ConfigError, Settings
from wistia_assets.wistia.windows import (
    account_day_span,
    event_window,
    requested_span,
    settles_at,
)

DAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("zone", "semantics", "start", "end"),
    [
        ("UTC", "inclusive", "2026-11-20", "2026-11-20"),
        ("UTC", "end-exclusive", "2026-11-20", "2026-11-21"),
        ("UTC", "start-exclusive", "2026-11-19", "2026-11-20"),
        ("UTC", "exclusive", "2026-11-19", "2026-11-21"),
        # UTC-5: the UTC day is 19:00 of the 19th to 19:00 of the 20th, local time.
        ("America/New_York", "inclusive", "2026-11-19", "2026-11-20"),
        # UTC+9: 09:00 of the 20th to 09:00 of the 21st.
        ("Asia/Tokyo", "inclusive", "2026-11-20", "2026-11-21"),
        ("Asia/Tokyo", "end-exclusive", "2026-11-20", "2026-11-22"),
    ],
)
def test_request_covers_the_utc_day(zone, semantics, start, end):
    window = event_window(DAY, ZoneInfo(zone), semantics)
    assert window.params() == {"start_date": start, "end_date": end}


def test_only_a_utc_account_gets_exactly_the_day():
    assert event_window(DAY, ZoneInfo("UTC")).exact
    assert event_window(DAY, ZoneInfo("Europe/London")).exact  # GMT in November
    assert not event_window(DAY, ZoneInfo("America/New_York")).exact


def test_daylight_saving_moves_the_account_days():
    # New York is UTC-4 in July, UTC-5 in November: both still need the previous local day.
    summer = event_window(date(2026, 7, 1), ZoneInfo("America/New_York"))
    assert (summer.first_account_day, summer.last_account_day) == (
        date(2026, 6, 30),
        date(2026, 7, 1),
    )
    # London is UTC+1 in July: the UTC day ends at 01:00 local of the next day.
    london = event_window(date(2026, 7, 1), ZoneInfo("Europe/London"))
    assert (london.first_account_day, london.last_account_day) == (
        date(2026, 7, 1),
        date(2026, 7, 2),
    )


def test_routing_keeps_exactly_the_utc_day():
    window = event_window(DAY, ZoneInfo("Asia/Tokyo"))
    assert window.holds(datetime(2026, 11, 20, 0, 0, tzinfo=UTC))
    assert window.holds(datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC))
    assert not window.holds(datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    assert not window.holds(datetime(2026, 11, 19, 23, 59, 59, tzinfo=UTC))
    # An aware time in another zone is compared as the same instant.
    assert window.holds(datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))


def test_settings_take_an_iana_zone_and_a_window_reading():
    settings = Settings.from_env(
        {"WISTIA_ACCOUNT_TIMEZONE": "America/New_York", "WISTIA_EVENTS_WINDOW": "end-exclusive"}
    )
    assert settings.account_timezone == ZoneInfo("America/New_York")
    assert settings.events_window == "end-exclusive"
    defaults = Settings.from_env({})
    assert (str(defaults.account_timezone), defaults.events_window) == ("UTC", "inclusive")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WISTIA_ACCOUNT_TIMEZONE": "Mars/Olympus"}, "not a known IANA time zone"),
        ({"WISTIA_ACCOUNT_TIMEZONE": "-05:00"}, "not an IANA time zone name"),
        ({"WISTIA_ACCOUNT_TIMEZONE": "../../etc/passwd"}, "not an IANA time zone name"),
        ({"WISTIA_EVENTS_WINDOW": "half-open"}, "WISTIA_EVENTS_WINDOW='half-open' is not one of"),
    ],
)
def test_bad_zone_or_window_fails_at_start(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_account_day_spans_in_utc_follow_the_zone_and_daylight_saving():
    new_york = ZoneInfo("America/New_York")
    assert account_day_span(DAY, new_york) == (
        datetime(2026, 11, 20, 5, tzinfo=UTC),
        datetime(2026, 11, 21, 5, tzinfo=UTC),
    )
    # The day the clocks go back (1 November 2026) lasts 25 hours.
    start, end = account_day_span(date(2026, 11, 1), new_york)
    assert end - start == timedelta(hours=25)
    kolkata = account_day_span(DAY, ZoneInfo("Asia/Kolkata"))  # UTC+5:30
    assert kolkata[0] == datetime(2026, 11, 19, 18, 30, tzinfo=UTC)


def test_the_requested_span_and_when_a_utc_day_settles():
    tokyo = ZoneInfo("Asia/Tokyo")
    window = event_window(DAY, tokyo, "end-exclusive")  # asks (20, 22) for Tokyo's 20th-21st
    assert requested_span(window, tokyo) == (
        datetime(2026, 11, 19, 15, tzinfo=UTC),
        datetime(2026, 11, 21, 15, tzinfo=UTC),
    )
    # Tokyo's 21st closes at 15:00 UTC on the 21st; a day later the UTC 20th has settled.
    assert settles_at(DAY, tokyo) == datetime(2026, 11, 22, 15, tzinfo=UTC)
    assert settles_at(DAY, ZoneInfo("UTC")) == datetime(2026, 11, 22, tzinfo=UTC)
