"""Silver: typed, deduplicated, PII-free tables that analysts query (Athena; DuckDB locally).

`silver_facts` builds the two fact partitions of a (day, media) window in one step, so one Spark
session (local) or one Glue pool slot serves both, and the reconciliation of events against
`play_count` sees both results. `dim_media` is unpartitioned and refreshes itself whenever a new
metadata snapshot lands (eager automation). The Spark work is the runner in
`wistia_assets.transforms`, run locally or on Glue by the `silver` engine resource; metadata and
checks are built here from its metrics, identically for both engines.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Backoff,
    Failure,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from wistia_assets.assets.bronze import OWNERS
from wistia_assets.assets.column_schema import declared_schema, written_schema
from wistia_assets.partitions import Window, window_partitions
from wistia_assets.resources.catalog import SilverCatalog, TableChangedDuringScan
from wistia_assets.resources.silver_engine import SilverEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.storage.partition import BronzeNotIngested
from wistia_assets.transforms.report import check_outcomes, preview_markdown

SILVER_KINDS = {"spark", "glue", "athena", "s3"}
# Warn when events and plays of a day disagree by more than this share (late events, sessions
# Wistia counts differently); the numbers are always in the metadata.
RECONCILIATION_WARN_SHARE = 0.10
# Warn when more than this share of a partition's events fall on another UTC day than the
# partition's: it reveals the time zone of the API's day windows.
OUT_OF_DAY_WARN_SHARE = 0.05
DATASET_OF = {"fact_events": "events", "fact_media_by_date": "media_by_date"}

_DESCRIPTIONS = {
    "fact_events": (
        "One row per Wistia viewing event (deduplicated on event_key, the latest pull wins), "
        "typed: received_at (UTC timestamp), percent_viewed (0-1), geography (country, region, "
        "city), user agent (browser, platform, is_mobile), embed page. Partitioned by dt and "
        "media_id. Removed: ip, email, lat/lon, conversion_data, the heatmap token, query strings "
        "of embed_url; ip and visitor_key are replaced by keyed HMAC-SHA256 hashes (ip_hash, "
        "visitor_hash) for distinct counts. Records that break the schema are quarantined in the "
        "Bronze zone, never dropped silently."
    ),
    "fact_media_by_date": (
        "One row per media per day: load_count, play_count, hours_watched (hours), as Wistia's "
        "by_date stats report them; a pulled quiet day is a row of zeros."
    ),
    "dim_media": (
        "One row per media (Type-1: the latest metadata snapshot wins): title, url, channel "
        "(from MEDIA_CHANNELS, else derived from the media name: YT -> youtube, FB -> facebook, "
        "else unknown), created_at, updated_at, duration, project, tags."
    ),
}

# The freshness deadline of the daily schedule: by 06:00 UTC yesterday's partitions exist.
DAILY_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24)
)


def _specs(table: str, partitions) -> list[AssetCheckSpec]:
    common = {"asset": table}
    if table == "fact_events":
        return [
            AssetCheckSpec(
                "event_key_unique",
                description="event_key is unique in the partition and across all of fact_events",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "no_personal_data",
                description="no forbidden column (ip, email, lat, lon, conversion_data, raw "
                "visitor_key, ...) and no string value that looks like an IP or email address",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "reconciles_with_play_count",
                description=f"events vs fact_media_by_date.play_count of the day, warns beyond "
                f"{RECONCILIATION_WARN_SHARE:.0%}",
                additional_deps=["fact_media_by_date"],
                **common,
            ),
            AssetCheckSpec(
                "received_at_on_partition_day",
                description="share of events whose received_at UTC date is not the partition's "
                "(reveals the time zone of the API's day windows)",
                **common,
            ),
            AssetCheckSpec(
                "no_unknown_fields",
                description="fields the API sent that the pipeline does not know (new API "
                "fields): a warning, not a failure",
                **common,
            ),
            AssetCheckSpec("quarantine_share", description="share of quarantined lines", **common),
        ]
    if table == "fact_media_by_date":
        return [
            AssetCheckSpec(
                "one_row_per_date",
                description="a pulled day is exactly one row",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "no_personal_data",
                description="no forbidden column and no IP/email-looking value",
                blocking=True,
                **common,
            ),
            AssetCheckSpec("quarantine_share", description="share of quarantined lines", **common),
        ]
    return [
        AssetCheckSpec("media_id_unique", description="one row per media", blocking=True, **common),
        AssetCheckSpec(
            "every_media_present",
            description="every configured media (MEDIA_IDS) has a row",
            **common,
        ),
        AssetCheckSpec(
            "no_personal_data",
            description="no forbidden column and no IP/email-looking value",
            blocking=True,
            **common,
        ),
        AssetCheckSpec(
            "channel_known",
            description="every media has a channel other than 'unknown' (set MEDIA_CHANNELS)",
            **common,
        ),
    ]


def _severity(name: str) -> AssetCheckSeverity:
    return AssetCheckSeverity.WARN if name == "WARN" else AssetCheckSeverity.ERROR


def silver_metadata(metrics: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"dagster/row_count": int(metrics.get("rows", 0))}
    if metrics.get("schema"):
        metadata["dagster/column_schema"] = written_schema(metrics["table"], metrics["schema"])
    for key in (
        "duplicates_removed",
        "quarantined",
        "bronze_rows",
        "out_of_day_share",
        "play_count",
        "load_count",
        "hours_watched",
        "elapsed_seconds",
        "glue_run_id",
    ):
        if metrics.get(key) is not None:
            metadata[key] = metrics[key]
    for key in ("quarantine_reasons", "unknown_fields"):
        if metrics.get(key):
            metadata[key] = MetadataValue.json(metrics[key])
    if metrics.get("location"):
        metadata["location"] = MetadataValue.path(metrics["location"])
    if metrics.get("quarantine_location"):
        metadata["quarantine_location"] = MetadataValue.path(metrics["quarantine_location"])
    if "preview" in metrics:
        metadata["preview"] = MetadataValue.md(preview_markdown(metrics["preview"]))
    metadata["engine"] = metrics.get("engine", "spark")
    return metadata


def _check(table: str, name: str, passed: bool, severity: str, **metadata) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=table,
        check_name=name,
        passed=bool(passed),
        severity=_severity(severity),
        metadata={
            k: (MetadataValue.json(v) if isinstance(v, dict | list) else v)
            for k, v in metadata.items()
        },
    )


def check_results(
    table: str,
    metrics: dict[str, Any],
    *,
    table_duplicates: int | None = None,
    play_count: int | None = None,
    media_ids: tuple[str, ...] = (),
) -> list[AssetCheckResult]:
    """Every check of `table`, from the runner's metrics plus what the catalog measured."""
    outcomes = {o.name: o for o in check_outcomes(metrics)}
    results = []
    values = metrics.get("personal_values") or {}
    no_personal = outcomes["no_personal_data_columns"]
    results.append(
        _check(
            table,
            "no_personal_data",
            no_personal.passed and not any(values.values()),
            "ERROR",
            forbidden_columns_present=no_personal.metadata.get("forbidden_columns_present", []),
            personal_looking_values={k: v for k, v in values.items() if v},
        )
    )
    if "quarantine_share" in outcomes:
        q = outcomes["quarantine_share"]
        results.append(_check(table, "quarantine_share", q.passed, "WARN", **q.metadata))
    if table == "fact_events":
        unique = outcomes["event_key_unique"]
        results.append(
            _check(
                table,
                "event_key_unique",
                unique.passed and not table_duplicates,
                "ERROR",
                **unique.metadata,
                duplicate_keys_in_table=table_duplicates if table_duplicates is not None else -1,
            )
        )
        rows = int(metrics.get("rows", 0))
        if play_count is None:
            results.append(
                _check(
                    table,
                    "reconciles_with_play_count",
                    False,
                    "WARN",
                    note="fact_media_by_date has no row for this day yet",
                    events=rows,
                )
            )
        else:
            gap = abs(rows - play_count) / max(play_count, 1)
            results.append(
                _check(
                    table,
                    "reconciles_with_play_count",
                    gap <= RECONCILIATION_WARN_SHARE,
                    "WARN",
                    events=rows,
                    play_count=play_count,
                    gap_share=round(gap, 4),
                )
            )
        share = float(metrics.get("out_of_day_share") or 0.0)
        results.append(
            _check(
                table,
                "received_at_on_partition_day",
                share <= OUT_OF_DAY_WARN_SHARE,
                "WARN",
                out_of_day_share=share,
                min_received_at=metrics.get("min_received_at"),
                max_received_at=metrics.get("max_received_at"),
            )
        )
        unknown = metrics.get("unknown_fields") or {}
        results.append(
            _check(table, "no_unknown_fields", not unknown, "WARN", unknown_fields=unknown)
        )
    elif table == "fact_media_by_date":
        one = outcomes["one_row_per_date"]
        results.append(_check(table, "one_row_per_date", one.passed, "ERROR", **one.metadata))
    else:
        unique = outcomes["media_id_unique"]
        results.append(_check(table, "media_id_unique", unique.passed, "ERROR", **unique.metadata))
        present = set(metrics.get("media_ids") or [])
        missing = sorted(set(media_ids) - present)
        results.append(_check(table, "every_media_present", not missing, "ERROR", missing=missing))
        unknown_channel = sorted(metrics.get("unknown_channel_media_ids") or [])
        results.append(
            _check(
                table,
                "channel_known",
                not unknown_channel,
                "WARN",
                media_with_unknown_channel=unknown_channel,
            )
        )
    return results


def _failure(exc: BronzeNotIngested | RuntimeError, what: str) -> Failure:
    # Neither is helped by running the step (and its Glue job) again right away.
    final = isinstance(exc, BronzeNotIngested | TableChangedDuringScan)
    return Failure(description=f"{what}: {exc}", allow_retries=not final)


def build_silver_assets(settings: Settings):
    partitions = window_partitions(settings)
    pool = "glue" if settings.deployment == "aws" else "spark"
    # A Glue run can fail for reasons that pass (capacity, a lost executor): retry once. A local
    # Spark failure is a bug or bad data and fails the same way again: no retry, no waiting.
    retry = (
        RetryPolicy(max_retries=1, delay=60, backoff=Backoff.EXPONENTIAL)
        if settings.deployment == "aws"
        else None
    )

    @multi_asset(
        name="silver_facts",
        specs=[
            AssetSpec(
                "fact_events",
                deps=["bronze_events"],
                group_name="silver",
                description=_DESCRIPTIONS["fact_events"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                partitions_def=partitions,
                freshness_policy=DAILY_FRESHNESS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "dedupe_key": "event_key",
                    "dagster/column_schema": declared_schema("fact_events"),
                },
                skippable=True,
            ),
            AssetSpec(
                "fact_media_by_date",
                deps=["bronze_media_by_date"],
                group_name="silver",
                description=_DESCRIPTIONS["fact_media_by_date"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                partitions_def=partitions,
                freshness_policy=DAILY_FRESHNESS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "dagster/column_schema": declared_schema("fact_media_by_date"),
                },
                skippable=True,
            ),
        ],
        check_specs=[*_specs("fact_events", partitions), *_specs("fact_media_by_date", partitions)],
        partitions_def=partitions,
        can_subset=True,
        pool=pool,
        retry_policy=retry,
    )
    def silver_facts(
        context: AssetExecutionContext,
        silver: SilverEngine,
        catalog: SilverCatalog,
        watermarks: WatermarksResource,
    ) -> Iterator[MaterializeResult]:
        window = Window.parse(context.partition_key)
        selected = {k.to_user_string() for k in context.selected_asset_keys}
        play_count = None
        # by_date first: the events' reconciliation check reads its play_count.
        for table in ("fact_media_by_date", "fact_events"):
            if table not in selected:
                continue
            try:
                metrics = silver.build_partition(context, table, window)
            except BronzeNotIngested as exc:
                raise _failure(exc, f"{table} {window.key}") from None
            metrics["engine"] = silver.kind
            if table == "fact_media_by_date":
                play_count = int(metrics.get("play_count", 0))
                checks = check_results(table, metrics)
            else:
                try:
                    if play_count is None:
                        play_count = catalog.play_count(window)
                    table_duplicates = catalog.duplicate_event_keys()
                except TableChangedDuringScan as exc:
                    raise _failure(exc, f"{table} {window.key}") from None
                checks = check_results(
                    table, metrics, table_duplicates=table_duplicates, play_count=play_count
                )
            context.log.info(
                f"{table} {window.key}: {metrics.get('rows')} rows, "
                f"{metrics.get('duplicates_removed')} duplicates removed, "
                f"{metrics.get('quarantined')} quarantined -> {metrics.get('location')}"
            )
            yield MaterializeResult(
                asset_key=table, metadata=silver_metadata(metrics), check_results=checks
            )
            blocking_failed = [
                c.check_name
                for c in checks
                if not c.passed and c.severity == AssetCheckSeverity.ERROR
            ]
            if blocking_failed:
                context.log.error(
                    f"{table} {window.key}: watermark not advanced, failed checks: "
                    f"{', '.join(blocking_failed)}"
                )
                continue
            # Only now is the partition done: the schedule's catch-up starts after it.
            if watermarks.store().advance(DATASET_OF[table], window.media_id, window.day):
                context.log.info(f"watermark {DATASET_OF[table]}/{window.media_id} -> {window.day}")

    @multi_asset(
        name="dim_media_build",
        specs=[
            AssetSpec(
                "dim_media",
                deps=["bronze_media_metadata"],
                group_name="silver",
                description=_DESCRIPTIONS["dim_media"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "scd": "type-1",
                    "dagster/column_schema": declared_schema("dim_media"),
                },
                # Fresh without anyone asking: any new metadata snapshot triggers a rebuild.
                automation_condition=AutomationCondition.eager(),
            )
        ],
        check_specs=_specs("dim_media", None),
        pool=pool,
        retry_policy=retry,
    )
    def dim_media(context: AssetExecutionContext, silver: SilverEngine):
        try:
            metrics = silver.build_dim_media(context)
        except BronzeNotIngested as exc:
            raise _failure(exc, "dim_media") from None
        metrics["engine"] = silver.kind
        checks = check_results(
            "dim_media",
            metrics,
            media_ids=settings.media_ids,
        )
        return MaterializeResult(
            asset_key="dim_media", metadata=silver_metadata(metrics), check_results=checks
        )

    return [silver_facts, dim_media]


__all__ = ["AssetKey", "build_silver_assets", "check_results", "silver_metadata"]
