"""`media_daily`: one row per UTC day and media, rebuilt from Silver by Spark (local or Glue)."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
import dataclasses
from datetime import date, timedelta

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AutomationCondition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    asset,
)

from wistia_assets.assets.bronze import OWNERS, layer_tags
from wistia_assets.assets.catalog_metadata import catalog_metadata, media_daily_lineage
from wistia_assets.assets.column_schema import declared_schema
from wistia_assets.assets.gold.checks import media_daily_checks, media_daily_specs
from wistia_assets.assets.metadata import result_metadata
from wistia_assets.assets.spark_steps import spark_step
from wistia_assets.orchestration.freshness import gold_freshness
from wistia_assets.orchestration.held_back import held_back, spans, withdraw_gold_days
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.settings import Settings
from wistia_assets.transforms.results import MediaDailyResult

GOLD_KINDS = {"spark", "glue", "athena", "s3"}

# A day of media_daily: whenever one of its facts was rebuilt (the daily tick re-pulls the day
# before, a backfill rebuilds old days: no latest-window limit, unlike `eager()`), once none of
# them is missing or still running, and every media's facts of the day passed their blocking
# checks (their latest result, per partition). A day held by a failed check stays "updated
# since last handled", so it is requested as soon as a later pull of it passes.
# `all_deps_blocking_checks_passed()` alone is not enough here: over the (date x media) ->
# date mapping, a dep counts as matching when *one* media's partition of the day passed
# (measured in test_gold_automation.py), so no media's partition may have a failed one either.
ANY_BLOCKING_CHECK_FAILED = AutomationCondition.any_checks_match(
    AutomationCondition.check_failed(), blocking_only=True
).with_label("a blocking check failed")
DAY_AUTOMATION = (
    AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.any_deps_in_progress()
    & AutomationCondition.all_deps_blocking_checks_passed()
    & ~AutomationCondition.any_deps_match(ANY_BLOCKING_CHECK_FAILED)
    & ~AutomationCondition.in_progress()
).with_label("after the day's facts are rebuilt and passed their blocking checks")


def day_range(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def held_metadata(held: dict, withdrawn: list[str]) -> dict:
    """`held_back`: day -> why (always shown, so "none held" is visible too)."""
    return {
        "held_back": MetadataValue.json(
            {day: [r.line() for r in reasons] for day, reasons in held.items()}
        ),
        **({"withdrawn_days": MetadataValue.json(withdrawn)} if withdrawn else {}),
    }


def merged(results: list[MediaDailyResult]) -> MediaDailyResult:
    """One result for the spans built around held days (one span: that result as it is)."""
    if len(results) == 1:
        return results[0]
    return dataclasses.replace(
        results[0],
        first=results[0].first,
        last=results[-1].last,
        rows=sum(r.rows for r in results),
        missing={d: m for r in results for d, m in r.missing.items()},
        elapsed_seconds=round(sum(r.elapsed_seconds for r in results), 3),
    )


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
        tags=layer_tags("gold", pii=False),
        metadata={
            **catalog_metadata(settings, "media_daily"),
            "dagster/column_schema": declared_schema("media_daily"),
            "dagster/column_lineage": media_daily_lineage(),
        },
        check_specs=media_daily_specs(),
        freshness_policy=gold_freshness(settings),
        backfill_policy=BackfillPolicy.single_run(),
        automation_condition=DAY_AUTOMATION,
        **spark_step(settings),
    )
    def media_daily(
        context: AssetExecutionContext, silver: TransformEngine, lake: LakeResource
    ) -> MaterializeResult:
        window = context.partition_key_range
        first, last = window.start, window.end
        # Whatever launched this run (the automation never requests a held day; a backfill or
        # `dagster asset materialize` may), a day whose Silver failed a blocking check is held.
        held = held_back(context.instance, day_range(first, last), media_ids)
        withdrawn = withdraw_gold_days(lake.silver, held)
        for day, reasons in held.items():
            context.log.warning(
                f"media_daily {day} held back: " + "; ".join(r.line() for r in reasons)
            )
        built: list[MediaDailyResult] = []
        for a, b in spans(date.fromisoformat(first), date.fromisoformat(last), held):
            try:
                built.append(
                    silver.build_media_daily(context, a.isoformat(), b.isoformat(), media_ids)
                )
            except (ValueError, RuntimeError) as exc:
                raise Failure(description=f"media_daily {a}..{b}: {exc}") from None
        if not built:
            raise Failure(
                description=f"media_daily {first}..{last} held back: "
                + "; ".join(f"{d}: {r[0].line()}" for d, r in held.items()),
                allow_retries=False,
                metadata=held_metadata(held, withdrawn),
            )
        result = merged(built)
        context.log.info(f"media_daily {first}..{last}: {result.rows} rows -> {result.location}")
        return MaterializeResult(
            metadata={
                **result_metadata(result, engine=silver.kind),
                **held_metadata(held, withdrawn),
            },
            check_results=media_daily_checks(result),
        )

    return media_daily
