"""The Silver checks that judge a day against the account's clock: `events_cover_plays` (no day is
silently empty) and `received_at_on_partition_day` (Silver holds its UTC day; a pull outside the
days requested means the settings are not the API's). From a build's typed result, no Spark.

by_date counts the account's day, the partition is a UTC day: the events compared with
`play_count` are those of the account's day, read from the pull's quarter-hour histogram.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetCheckSeverity

from wistia_assets.assets.silver.checks import fact_events_checks
from wistia_assets.assets.silver.coverage import pull_coverage
from wistia_assets.transforms.results import FactEventsResult
from wistia_assets_tests.silver_results import events_result, histogram

DAY = date(2026, 11, 20)
MEDIA = "e4a27b971d"
NEW_YORK = ZoneInfo("America/New_York")  # UTC-5 in November
UTC_ZONE = ZoneInfo("UTC")


def metrics(times: dict[str, int], *, rows: int | None = None, out_of_day: int = 0):
    """A build whose pull holds `times` ({"YYYY-MM-DDTHH:MM": events}, UTC quarter hours)."""
    on_day = sum(n for t, n in times.items() if t.startswith(DAY.isoformat()))
    return events_result(
        dt=DAY.isoformat(),
        media_id=MEDIA,
        rows=on_day if rows is None else rows,
        bronze_rows=sum(times.values()),
        out_of_day=out_of_day,
        received_histogram=histogram(times),
    )


def checks(run: FactEventsResult, play_count: int | None, zone=UTC_ZONE, semantics="inclusive"):
    cover = pull_coverage(run.received_histogram, DAY, zone, semantics)
    results = fact_events_checks(run, table_duplicates=0, play_count=play_count, coverage=cover)
    return {r.check_name: r for r in results}


def test_a_quiet_day_passes_and_so_does_a_day_by_date_has_not_seen():
    quiet = checks(metrics({}), play_count=0)["events_cover_plays"]
    assert quiet.passed and quiet.description == "by_date counts no play"
    unknown = checks(metrics({}), play_count=None)["events_cover_plays"]
    assert unknown.passed and unknown.description == "no by_date row to compare"


def test_an_empty_pull_on_a_day_with_plays_fails_with_the_cause_and_the_command():
    result = checks(metrics({}), play_count=240, semantics="inclusive")["events_cover_plays"]
    assert not result.passed and result.severity == AssetCheckSeverity.ERROR
    message = result.description
    assert "\n" not in message
    assert message.startswith(f"fact_events {DAY}|{MEDIA}: by_date counts 240 plays")
    assert "the events pull returned no events" in message
    # An empty pull is what a one-day window read as exclusive gives: the window comes first.
    assert message.index("WISTIA_EVENTS_WINDOW=inclusive") < message.index(
        "WISTIA_ACCOUNT_TIMEZONE=UTC"
    )
    assert "start_date=2026-11-20/end_date=2026-11-20" in message
    assert message.endswith("run `wistia-assets doctor`")
    assert result.metadata["play_count"].value == 240


def test_far_fewer_events_than_plays_fail_and_a_plausible_share_passes():
    # 100 plays: 49 events of the day fail (below half), 50 pass; by_date is no identity.
    day = {f"{DAY}T{h:02d}:00": 1 for h in range(24)}
    few = dict(day)
    few[f"{DAY}T12:00"] = 26  # 23 + 26 = 49
    assert not checks(metrics(few), play_count=100)["events_cover_plays"].passed
    enough = dict(day)
    enough[f"{DAY}T12:00"] = 27  # 50
    assert checks(metrics(enough), play_count=100)["events_cover_plays"].passed
    # A small day: one event is enough for 5 plays; none is not.
    assert checks(metrics({f"{DAY}T09:00": 1}), play_count=5)["events_cover_plays"].passed
    assert not checks(metrics({f"{DAY}T09:00": 0}), play_count=5)["events_cover_plays"].passed


def test_plays_are_compared_with_the_events_of_the_accounts_day_not_the_utc_day():
    """New York's 20th runs 05:00 UTC on the 20th to 05:00 on the 21st. The pull for UTC day
    20 spans New York's 19th and 20th; its UTC day holds 10 events of the 19th (00:00-05:00)
    and 20 of the 20th, and 40 more of the 20th come after midnight UTC: the 20th has 60."""
    times = {f"{DAY}T02:00": 10, f"{DAY}T12:00": 20, "2026-11-21T03:00": 40}
    times["2026-11-19T20:00"] = 30  # New York's 19th, also in the pull
    run = metrics(times)
    cover = pull_coverage(run.received_histogram, DAY, NEW_YORK, "inclusive")
    assert (cover.start_date, cover.end_date) == ("2026-11-19", "2026-11-20")
    assert cover.account_day_events == 60 and cover.events == 100
    assert cover.outside_request == 0
    # 60 events for 60 plays reconcile exactly, though the UTC partition has 30 rows.
    result = checks(run, play_count=60, zone=NEW_YORK)
    assert result["events_cover_plays"].passed
    assert result["reconciles_with_play_count"].passed
    assert result["reconciles_with_play_count"].metadata["events"].value == 60
    # Read as UTC the same pull would count 30 events of the day for 60 plays: a warning.
    assert not checks(run, play_count=60)["reconciles_with_play_count"].passed


def test_events_outside_the_requested_days_warn_and_name_the_time_zone_first():
    """Configured UTC, the API's days start at 00:00 UTC+9: the pull for (20, 20) runs from
    15:00 UTC on the 19th — hours the request, read as UTC days, never asked for."""
    times = {f"2026-11-19T{h:02d}:00": 2 for h in range(15, 24)}  # 18 outside
    times.update({f"{DAY}T{h:02d}:00": 2 for h in range(0, 15)})  # 30 of the day
    run = metrics(times)
    result = checks(run, play_count=48)
    day = result["received_at_on_partition_day"]
    assert not day.passed and day.severity == AssetCheckSeverity.WARN
    assert "18 of 48 events were received outside the account days requested" in day.description
    assert "WISTIA_ACCOUNT_TIMEZONE=UTC" in day.description
    assert day.description.endswith("run `wistia-assets doctor`")
    assert day.metadata["outside_request"].value == 18
    # With 100 plays, 30 events fail the blocking check: the zone is named first.
    cover = checks(run, play_count=100)["events_cover_plays"]
    assert not cover.passed
    assert "18 outside the days requested" in cover.description
    assert cover.description.index("time zone") < cover.description.index("events window")


def test_a_silver_row_of_another_utc_day_is_an_error():
    run = metrics({f"{DAY}T10:00": 3}, out_of_day=1)
    result = checks(run, play_count=3)["received_at_on_partition_day"]
    assert not result.passed and result.severity == AssetCheckSeverity.ERROR
    assert "1 Silver rows were received on another UTC day" in result.description


@pytest.mark.parametrize("offset", [-12, -5, 0, 9, 14])
def test_every_event_of_the_accounts_day_is_counted_once_whatever_the_offset(offset):
    """Quarter hours over the three UTC days around the partition, one event each: the account
    day is 96 of them for any whole-hour offset, and none lies outside the request."""
    zone = ZoneInfo(f"Etc/GMT{-offset:+d}") if offset else UTC_ZONE  # Etc signs are inverted
    start = datetime(2026, 11, 19, tzinfo=UTC)
    times = {
        (start + timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%M"): 1 for i in range(3 * 96)
    }
    cover = pull_coverage(metrics(times).received_histogram, DAY, zone, "inclusive")
    assert cover.account_day_events == 96
    request_days = 1 if offset == 0 else 2
    assert cover.events - cover.outside_request == request_days * 96
