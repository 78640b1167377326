"""`media_daily`: one row per UTC day and media, rebuilt from Silver by Spark (local or Glue)."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
from dagster import (
    AssetDep,
    AssetExecutionContext,
    AutomationCondition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MultiToSingleDimensionPartitionMapping,
    asset,
)

from wistia_assets.assets.bronze import OWNERS
from wistia_assets.assets.column_schema import declared_schema
from wistia_assets.assets.gold.checks import media_daily_checks, media_daily_specs
from wistia_assets.assets.metadata import result_metadata
from wistia_assets.assets.spark_steps import spark_step
from wistia_assets.resources.silver_engine import SilverEngine
from wistia_assets.settings import Settings

GOLD_KINDS = {"spark", "glue", "athena", "s3"}

# A day of media_daily: whenever one of its facts was rebuilt (the daily tick re-pulls the day
# before, a backfill rebuilds old days: no latest-window limit, unlike `eager()`), once none of
# them is missing or still running.
DAY_AUTOMATION = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("after the day's facts are rebuilt")


def build_media_daily(settings: Settings):
    days_partitions = DailyPartitionsDefinition(
        start_date=settings.start_date.isoformat(), timezone="UTC"
    )
    by_date = MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
    media_ids = tuple(settings.media_ids)

    @asset(
        name="media_daily",
        group_name="gold",
        description=(
            "One row per UTC day and media: loads, plays, play rate, hours watched (from "
            "fact_media_by_date) and viewing sessions, unique visitors, mean share watched, the "
            "shares that watched >= 25/50/75/95 %, mobile share (from fact_events). A day with "
            "no event is a row of zero sessions; a day whose Silver is not built has no row. "
            "Parquet under gold/wistia/media_daily/dt=YYYY-MM-DD/ (Athena: media_daily)."
        ),
        owners=OWNERS,
        kinds=GOLD_KINDS,
        partitions_def=days_partitions,
        deps=[
            AssetDep("fact_events", partition_mapping=by_date),
            AssetDep("fact_media_by_date", partition_mapping=by_date),
        ],
        metadata={
            "layer": "gold",
            "personal_data": "no",
            "dagster/column_schema": declared_schema("media_daily"),
        },
        check_specs=media_daily_specs(),
        backfill_policy=BackfillPolicy.single_run(),
        automation_condition=DAY_AUTOMATION,
        **spark_step(settings),
    )
    def media_daily(context: AssetExecutionContext, silver: SilverEngine) -> MaterializeResult:
        window = context.partition_key_range
        first, last = window.start, window.end
        try:
            result = silver.build_gold(context, "media_daily", first, last, media_ids)
        except (ValueError, RuntimeError) as exc:
            raise Failure(description=f"media_daily {first}..{last}: {exc}") from None
        context.log.info(f"media_daily {first}..{last}: {result.rows} rows -> {result.location}")
        return MaterializeResult(
            metadata=result_metadata(result, engine=silver.kind),
            check_results=media_daily_checks(result),
        )

    return media_daily
