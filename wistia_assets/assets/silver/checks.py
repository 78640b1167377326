"""The Silver checks: for each table, what it declares and how a build's result is judged.

Each table's specs and its evaluation stand together below (fact_events' judgements of the pull's
coverage of the account's day in `coverage_checks.py`; each check's name in `check_result.py`).
Every check is answered from the build's typed result (`transforms/results.py`, the same from
local Spark and from Glue) plus what the catalog measured across the table, so a check never runs
Spark and is unit-tested without it.
A failed check of ERROR severity on a blocking check fails the step and holds the watermark.
"""

from __future__ import annotations

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSpec,
    PartitionsDefinition,
)

from wistia_assets.assets.silver.check_result import (
    CHANNEL_KNOWN,
    ERROR,
    EVENT_KEY_UNIQUE,
    EVENTS_COVER_PLAYS,
    EVERY_MEDIA_PRESENT,
    MEDIA_ID_UNIQUE,
    NO_PERSONAL_DATA,
    NO_UNKNOWN_FIELDS,
    ONE_ROW_PER_DATE,
    QUARANTINE_SHARE,
    RECEIVED_AT_ON_PARTITION_DAY,
    RECONCILES_WITH_PLAY_COUNT,
    WARN,
    check_key,
    check_result,
)
from wistia_assets.assets.silver.coverage import PullCoverage
from wistia_assets.assets.silver.coverage_checks import (
    MIN_EVENT_SHARE_OF_PLAYS,
    MIN_PLAYS_FOR_SHARE,
    OUTSIDE_REQUEST_WARN_SHARE,
    covers_plays,
    on_partition_day,
)
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
    return check_result(
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
    return check_result(
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
        reconciles = check_result(
            table,
            RECONCILES_WITH_PLAY_COUNT,
            False,
            WARN,
            note="fact_media_by_date has no row for this day yet",
            events=events,
        )
    else:
        gap = abs(events - play_count) / max(play_count, 1)
        reconciles = check_result(
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
        check_result(
            table,
            EVENT_KEY_UNIQUE,
            result.rows == result.distinct_event_keys and not table_duplicates,
            ERROR,
            rows=result.rows,
            distinct_event_keys=result.distinct_event_keys,
            duplicate_keys_in_table=table_duplicates if table_duplicates is not None else -1,
        ),
        covers_plays(where, play_count, coverage),
        reconciles,
        on_partition_day(where, result, coverage),
        check_result(
            table,
            NO_UNKNOWN_FIELDS,
            not result.unknown_fields,
            WARN,
            unknown_fields=result.unknown_fields,
        ),
    ]


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
        check_result(table, ONE_ROW_PER_DATE, result.rows == 1, ERROR, rows=result.rows),
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
        check_result(
            table,
            MEDIA_ID_UNIQUE,
            result.rows == result.distinct_media_ids,
            ERROR,
            rows=result.rows,
            distinct_media_ids=result.distinct_media_ids,
        ),
        check_result(table, EVERY_MEDIA_PRESENT, not missing, ERROR, missing=missing),
        check_result(
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
    key = check_key(result)
    return AssetCheckEvaluation(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        blocking=key in blocking,
        partition=partition,
    )


def blocking_failures(results: list[AssetCheckResult]) -> list[AssetCheckResult]:
    """The checks whose failure fails the step (ERROR severity): the watermark must not move."""
    return [c for c in results if not c.passed and c.severity == ERROR]
