"""The API request that covers a UTC day, for each account time zone and window reading.

A wrong request is silent (a day of another zone, or nothing at all), so each case is spelled out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from wistia_assets.settings import ConfigError, Settings
from wistia_assets.wistia.windows import event_window

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
