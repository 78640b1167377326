"""The Silver checks: for each table, what it declares and how a build's result is judged.

Each table's specs and its evaluation stand together below. Every check is answered from the
build's typed result (`transforms/results.py`, the same from local Spark and from Glue) plus what
the catalog measured across the table, so a check never runs Spark and is unit-tested without it.
A failed check of ERROR severity on a blocking check fails the step and holds the watermark.
"""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    PartitionsDefinition,
)

from wistia_assets.assets.silver.coverage import PullCoverage
from wistia_assets.transforms.personal_columns import FORBIDDEN_SILVER_COLUMNS
from wistia_assets.transforms.results import (
    DimMediaResult,
    FactEventsResult,
    FactMediaByDateResult,
    FactResult,
    SilverResult,
)

# Above this share of quarantined Bronze lines the run warns (the data is still written).
QUARANTINE_WARN_SHARE = 0.05
# Warn when events and plays of a day disagree by more than this share (late events, sessions
# Wistia counts differently); the numbers are always in the metadata.
RECONCILIATION_WARN_SHARE = 0.10
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
DOCTOR = "run `wistia-assets doctor`"
WARN, ERROR = AssetCheckSeverity.WARN, AssetCheckSeverity.ERROR

# Each check's name, spelled once: the specs and the results below both use these.
NO_PERSONAL_DATA = "no_personal_data"
QUARANTINE_SHARE = "quarantine_share"
EVENT_KEY_UNIQUE = "event_key_unique"
RECONCILES_WITH_PLAY_COUNT = "reconciles_with_play_count"
EVENTS_COVER_PLAYS = "events_cover_plays"
RECEIVED_AT_ON_PARTITION_DAY = "received_at_on_partition_day"
NO_UNKNOWN_FIELDS = "no_unknown_fields"
ONE_ROW_PER_DATE = "one_row_per_date"
MEDIA_ID_UNIQUE = "media_id_unique"
EVERY_MEDIA_PRESENT = "every_media_present"
CHANNEL_KNOWN = "channel_known"


def _result(
    table: str,
    name: str,
    passed: bool,
    severity: AssetCheckSeverity,
    description: str | None = None,
    **metadata: Any,
) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=table,
        check_name=name,
        passed=bool(passed),
        severity=severity,
        description=description,
        metadata={
            k: (MetadataValue.json(v) if isinstance(v, dict | list) else v)
            for k, v in metadata.items()
        },
    )


# --- Checks every Silver table has -------------------------------------------------------------


def _no_personal_data_spec(table: str, description: str, partitions=None) -> AssetCheckSpec:
    return AssetCheckSpec(
        NO_PERSONAL_DATA,
        asset=table,
        description=description,
        blocking=True,
        partitions_def=partitions,
    )


def _no_personal_data(table: str, result: SilverResult) -> AssetCheckResult:
    """No forbidden column in the written schema, no IP/e-mail-looking value in the file."""
    forbidden = sorted({name for name, _ in result.schema} & FORBIDDEN_SILVER_COLUMNS)
    values = {k: v for k, v in result.personal_values.items() if v}
    return _result(
        table,
        NO_PERSONAL_DATA,
        not forbidden and not values,
        ERROR,
        forbidden_columns_present=forbidden,
        personal_looking_values=values,
    )


def _quarantine_share_spec(table: str, partitions) -> AssetCheckSpec:
    return AssetCheckSpec(
        QUARANTINE_SHARE,
        asset=table,
        description="share of quarantined lines",
        partitions_def=partitions,
    )


def _quarantine_share(table: str, result: FactResult) -> AssetCheckResult:
    share = result.quarantined / result.bronze_rows if result.bronze_rows else 0.0
    return _result(
        table,
        QUARANTINE_SHARE,
        share <= QUARANTINE_WARN_SHARE,
        WARN,
        share=round(share, 6),
        quarantined=result.quarantined,
        reasons=result.quarantine_reasons,
    )


# --- fact_events -------------------------------------------------------------------------------


def fact_events_specs(partitions: PartitionsDefinition | None = None) -> list[AssetCheckSpec]:
    """`partitions`: the facts' (date x media_id) partitions, so that each partition has its own
    latest result (what a Gold day waits on); None where only the keys matter."""
    table = "fact_events"
    return [
        AssetCheckSpec(
            EVENT_KEY_UNIQUE,
            asset=table,
            description="event_key is unique in the partition and across all of fact_events",
            blocking=True,
            partitions_def=partitions,
        ),
        _no_personal_data_spec(
            table,
            "no forbidden column (ip, email, lat, lon, conversion_data, raw visitor_key, ...) and "
            "no string value that looks like an IP or email address",
            partitions,
        ),
        AssetCheckSpec(
            RECONCILES_WITH_PLAY_COUNT,
            asset=table,
            description=f"events vs fact_media_by_date.play_count of the day, warns beyond "
            f"{RECONCILIATION_WARN_SHARE:.0%}",
            additional_deps=["fact_media_by_date"],
            partitions_def=partitions,
        ),
        AssetCheckSpec(
            EVENTS_COVER_PLAYS,
            asset=table,
            description="when by_date counts plays on the account's day, the events pull holds "
            f"at least {MIN_EVENT_SHARE_OF_PLAYS:.0%} as many events of that day (from "
            f"{MIN_PLAYS_FOR_SHARE} plays; below, at least one): an empty pull is a quiet day "
            "only when by_date agrees",
            blocking=True,
            partitions_def=partitions,
            additional_deps=["fact_media_by_date"],
        ),
        AssetCheckSpec(
            RECEIVED_AT_ON_PARTITION_DAY,
            asset=table,
            description="every row's received_at is on the partition's UTC day (error); events "
            "of neighbouring days in the pull are routed to them (counted); events outside the "
            f"account days requested warn beyond {OUTSIDE_REQUEST_WARN_SHARE:.0%} (the API's "
            "zone or window is not the configured one)",
            blocking=True,
            partitions_def=partitions,
        ),
        AssetCheckSpec(
            NO_UNKNOWN_FIELDS,
            asset=table,
            description="fields the API sent that the pipeline does not know (new API fields): "
            "a warning, not a failure",
            partitions_def=partitions,
        ),
        _quarantine_share_spec(table, partitions),
    ]


def fact_events_checks(
    result: FactEventsResult,
    *,
    table_duplicates: int | None,
    play_count: int | None,
    coverage: PullCoverage,
) -> list[AssetCheckResult]:
    """`table_duplicates`: duplicate event keys across the whole table (None: no table yet);
    `play_count`: by_date's plays of the account's day (None: no row); `coverage`: the pull in
    the account's zone (`coverage.pull_coverage`)."""
    table = result.table
    where = f"{table} {result.dt}|{result.media_id}"
    # Events of the account's day (by_date's day), not of the UTC partition: the two differ by
    # the zone's offset, and only the first compares with play_count.
    events = coverage.account_day_events
    if play_count is None:
        reconciles = _result(
            table,
            RECONCILES_WITH_PLAY_COUNT,
            False,
            WARN,
            note="fact_media_by_date has no row for this day yet",
            events=events,
        )
    else:
        gap = abs(events - play_count) / max(play_count, 1)
        reconciles = _result(
            table,
            RECONCILES_WITH_PLAY_COUNT,
            gap <= RECONCILIATION_WARN_SHARE,
            WARN,
            events=events,
            play_count=play_count,
            gap_share=round(gap, 4),
        )
    return [
        _no_personal_data(table, result),
        _quarantine_share(table, result),
        _result(
            table,
            EVENT_KEY_UNIQUE,
            result.rows == result.distinct_event_keys and not table_duplicates,
            ERROR,
            rows=result.rows,
            distinct_event_keys=result.distinct_event_keys,
            duplicate_keys_in_table=table_duplicates if table_duplicates is not None else -1,
        ),
        _covers_plays(where, play_count, coverage),
        reconciles,
        _on_partition_day(where, result, coverage),
        _result(
            table,
            NO_UNKNOWN_FIELDS,
            not result.unknown_fields,
            WARN,
            unknown_fields=result.unknown_fields,
        ),
    ]


def _covers_plays(where: str, play_count: int | None, cover: PullCoverage) -> AssetCheckResult:
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
        return _result("fact_events", name, True, ERROR, note, **metadata)
    floor = MIN_EVENT_SHARE_OF_PLAYS * play_count if play_count >= MIN_PLAYS_FOR_SHARE else 1
    if cover.account_day_events >= floor:
        return _result("fact_events", name, True, ERROR, **metadata)
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
    return _result("fact_events", name, False, ERROR, message, **metadata)


def _on_partition_day(
    where: str, result: FactEventsResult, cover: PullCoverage
) -> AssetCheckResult:
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
        return _result("fact_events", name, False, ERROR, message, **metadata)
    if cover.outside_share > OUTSIDE_REQUEST_WARN_SHARE:
        message = (
            f"{where}: {cover.outside_request} of {cover.events} events were received outside "
            f"the account days requested ({cover.start_date}..{cover.end_date} with "
            f"{cover.settings}): the API reads the window otherwise, and events at the other "
            f"edge of the UTC day may be missing; {DOCTOR}"
        )
        return _result("fact_events", name, False, WARN, message, **metadata)
    return _result("fact_events", name, True, ERROR, **metadata)


# --- fact_media_by_date ------------------------------------------------------------------------


def fact_media_by_date_specs(
    partitions: PartitionsDefinition | None = None,
) -> list[AssetCheckSpec]:
    table = "fact_media_by_date"
    return [
        AssetCheckSpec(
            ONE_ROW_PER_DATE,
            asset=table,
            description="a pulled day is exactly one row",
            blocking=True,
            partitions_def=partitions,
        ),
        _no_personal_data_spec(
            table, "no forbidden column and no IP/email-looking value", partitions
        ),
        _quarantine_share_spec(table, partitions),
    ]


def fact_media_by_date_checks(result: FactMediaByDateResult) -> list[AssetCheckResult]:
    table = result.table
    return [
        _no_personal_data(table, result),
        _quarantine_share(table, result),
        _result(table, ONE_ROW_PER_DATE, result.rows == 1, ERROR, rows=result.rows),
    ]


# --- dim_media ---------------------------------------------------------------------------------


def dim_media_specs() -> list[AssetCheckSpec]:
    table = "dim_media"
    return [
        AssetCheckSpec(
            MEDIA_ID_UNIQUE, asset=table, description="one row per media", blocking=True
        ),
        AssetCheckSpec(
            EVERY_MEDIA_PRESENT,
            asset=table,
            description="every configured media (MEDIA_IDS) has a row",
        ),
        _no_personal_data_spec(table, "no forbidden column and no IP/email-looking value"),
        AssetCheckSpec(
            CHANNEL_KNOWN,
            asset=table,
            description="every media has a channel other than 'unknown' (set MEDIA_CHANNELS)",
        ),
    ]


def dim_media_checks(result: DimMediaResult, media_ids: tuple[str, ...]) -> list[AssetCheckResult]:
    """`media_ids`: the configured media (MEDIA_IDS)."""
    table = result.table
    missing = sorted(set(media_ids) - set(result.media_ids))
    return [
        _no_personal_data(table, result),
        _result(
            table,
            MEDIA_ID_UNIQUE,
            result.rows == result.distinct_media_ids,
            ERROR,
            rows=result.rows,
            distinct_media_ids=result.distinct_media_ids,
        ),
        _result(table, EVERY_MEDIA_PRESENT, not missing, ERROR, missing=missing),
        _result(
            table,
            CHANNEL_KNOWN,
            not result.unknown_channel_media_ids,
            WARN,
            media_with_unknown_channel=sorted(result.unknown_channel_media_ids),
        ),
    ]


def as_evaluation(
    result: AssetCheckResult, partition: str, blocking: set[AssetCheckKey]
) -> AssetCheckEvaluation:
    """`result` as the evaluation of `partition`, for a check run outside its asset's step (an
    erasure's rebuild logs it with `context.log_event`); `blocking`: the blocking checks' keys
    (`orchestration.held_back.blocking_check_keys`)."""
    return AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        blocking=AssetCheckKey(result.asset_key, result.check_name) in blocking,
        partition=partition,
    )


def blocking_failures(results: list[AssetCheckResult]) -> list[AssetCheckResult]:
    """The checks whose failure fails the step (ERROR severity): the watermark must not move."""
    return [c for c in results if not c.passed and c.severity == ERROR]
