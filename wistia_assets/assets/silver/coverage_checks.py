"""fact_events' judgements of a pull's coverage of the account's day: `events_cover_plays` (the
pull holds the events by_date's plays promise) and `received_at_on_partition_day` (Silver holds
its UTC day only; a pull outside the account days requested warns). Both read the pull's
received_at histogram in the account's zone (`coverage.PullCoverage`)."""

from __future__ import annotations

from dagster import AssetCheckResult

from wistia_assets.assets.silver.check_result import (
    DOCTOR,
    ERROR,
    EVENTS_COVER_PLAYS,
    RECEIVED_AT_ON_PARTITION_DAY,
    WARN,
    check_result,
)
from wistia_assets.assets.silver.coverage import PullCoverage
from wistia_assets.transforms.results import FactEventsResult

# Warn when more than this share of a pull's events lie outside the account days it asked for:
# the API reads the dates in another zone (or with other ends) than the settings say, and the
# events at the other edge of the UTC day may be missing.
OUTSIDE_REQUEST_WARN_SHARE = 0.01
# A day whose by_date counts plays fails (blocking) when the pull holds fewer events of that
# account day than this share of them. by_date's play_count is no identity with events (other
# teams saw it differ from the analytics plays by ~14 %, hours_watched may be derived, late
# events trail it), but half of it is beyond any of that: the events were not returned.
MIN_EVENT_SHARE_OF_PLAYS = 0.5
# Below this many plays a share says little: only "no events at all" fails such a day.
MIN_PLAYS_FOR_SHARE = 20


def covers_plays(where: str, play_count: int | None, cover: PullCoverage) -> AssetCheckResult:
    """`events_cover_plays`: a pull with (far) fewer events than by_date's plays of the day is
    a failure to explain, not a quiet day. The message names the likely cause and the command."""
    name = EVENTS_COVER_PLAYS
    metadata = {
        "play_count": play_count if play_count is not None else -1,
        "account_day": cover.day.isoformat(),
        "account_day_events": cover.account_day_events,
        "pull_events": cover.events,
        "outside_request": cover.outside_request,
        "request": {"start_date": cover.start_date, "end_date": cover.end_date},
        "account_timezone": cover.zone,
        "events_window": cover.semantics,
        # Always true since every build reports its histogram; kept for whoever reads it.
        "counted_in_account_zone": True,
    }
    if not play_count:
        note = "no by_date row to compare" if play_count is None else "by_date counts no play"
        return check_result("fact_events", name, True, ERROR, note, **metadata)
    floor = MIN_EVENT_SHARE_OF_PLAYS * play_count if play_count >= MIN_PLAYS_FOR_SHARE else 1
    if cover.account_day_events >= floor:
        return check_result("fact_events", name, True, ERROR, **metadata)
    if cover.events == 0:
        found = "the events pull returned no events"
        cause = (
            f"likely the events window (WISTIA_EVENTS_WINDOW={cover.semantics}: the API reads "
            f"start_date={cover.start_date}/end_date={cover.end_date} otherwise) or the "
            f"account's time zone (WISTIA_ACCOUNT_TIMEZONE={cover.zone})"
        )
    else:
        found = (
            f"the events pull holds {cover.account_day_events} events of that day "
            f"({cover.events} in all, {cover.outside_request} outside the days requested)"
        )
        first, second = (
            ("account's time zone", "events window")
            if cover.outside_request
            else ("events window", "account's time zone")
        )
        cause = f"likely the {first} or the {second} ({cover.settings})"
    message = (
        f"{where}: by_date counts {play_count} plays on the account's {cover.day} but {found}: "
        f"{cause}; {DOCTOR}"
    )
    return check_result("fact_events", name, False, ERROR, message, **metadata)


def on_partition_day(where: str, result: FactEventsResult, cover: PullCoverage) -> AssetCheckResult:
    """`received_at_on_partition_day`: Silver holds its UTC day only (error otherwise); a pull
    with events outside the account days requested warns that the settings are not the API's."""
    name = RECEIVED_AT_ON_PARTITION_DAY
    metadata = {
        "silver_out_of_day": result.out_of_day,
        "routed_away": result.routed_away,
        "routed_away_events": result.routed_away_events,
        "outside_request": cover.outside_request,
        "outside_request_share": round(cover.outside_share, 6),
        "request": {"start_date": cover.start_date, "end_date": cover.end_date},
        "min_received_at": result.min_received_at,
        "max_received_at": result.max_received_at,
    }
    if result.out_of_day:
        message = (
            f"{where}: {result.out_of_day} Silver rows were received on another UTC day than "
            "the partition's: routing by received_at failed; re-run the day and report the bug"
        )
        return check_result("fact_events", name, False, ERROR, message, **metadata)
    if cover.outside_share > OUTSIDE_REQUEST_WARN_SHARE:
        message = (
            f"{where}: {cover.outside_request} of {cover.events} events were received outside "
            f"the account days requested ({cover.start_date}..{cover.end_date} with "
            f"{cover.settings}): the API reads the window otherwise, and events at the other "
            f"edge of the UTC day may be missing; {DOCTOR}"
        )
        return check_result("fact_events", name, False, WARN, message, **metadata)
    return check_result("fact_events", name, True, ERROR, **metadata)
