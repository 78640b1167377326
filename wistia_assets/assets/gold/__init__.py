"""Gold: the weekly media report and the daily table it is drawn from.

- `media_daily` (daily partitions): one row per UTC day and media with the report's metrics,
  rebuilt by Spark (local, or the Glue job through the `silver` engine) once every media's facts
  of the day exist. A range of days is one run and one Spark job (single-run backfill policy).
- `media_report` (unpartitioned): the last 7 complete days (or the range asked for in its run
  config) as a self-contained HTML file under `reports/wistia/` in the lake, and, on the
  materialization, the summary table, the comparisons and the key charts. The figures are
  computed by Spark too; this step only draws and writes (matplotlib, no Spark, no Parquet), so
  it runs in the ECS run task as it is.

Both refresh themselves (declarative automation, the `wistia_automation` sensor): a day of
`media_daily` after its facts were rebuilt, the report after `media_daily` or `dim_media` was.
"""

# No `from __future__ import annotations`: Dagster reads the assets' annotations as objects.
import time
import warnings
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetSelection,
    AutomationCondition,
    BackfillPolicy,
    Backoff,
    Config,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    RetryPolicy,
    asset,
)
from dagster._utils.warnings import BetaWarning
from pydantic import Field

from wistia_assets.assets.bronze import OWNERS
from wistia_assets.assets.column_schema import declared_schema, written_schema
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import SilverEngine
from wistia_assets.settings import ConfigError, Settings, parse_date
from wistia_assets.storage.layout import REPORTS

DEFAULT_DAYS = 7
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
# The report: after a media_daily day or dim_media changed, once no upstream run is in flight.
# Not "all deps present": a range may lack days, which the report then names as missing.
REPORT_AUTOMATION = (
    AutomationCondition.any_deps_match(AutomationCondition.newly_updated())
    .allow(AssetSelection.assets("media_daily", "dim_media"))
    .since_last_handled()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("after media_daily or dim_media is updated")


class ReportRange(Config):
    """Which days the report covers: the last `days` complete UTC days, or `start`..`end`."""

    days: int = Field(default=DEFAULT_DAYS, description="the last N complete UTC days")
    start: str | None = Field(default=None, description="first day, YYYY-MM-DD (with end)")
    end: str | None = Field(default=None, description="last day, YYYY-MM-DD (with start)")


def report_range(config: ReportRange, today: date | None = None) -> tuple[date, date]:
    """The (first, last) day of the report; refuses a half-given or impossible range."""
    yesterday = (today or datetime.now(UTC).date()) - timedelta(days=1)
    if (config.start is None) != (config.end is None):
        raise ConfigError("a report range needs both --from and --to (or neither, for --days)")
    if config.start is not None:
        first = parse_date(config.start, source="--from")
        last = parse_date(config.end, source="--to")
        if last < first:
            raise ConfigError(f"--to {last} is before --from {first}")
        if last > yesterday:
            raise ConfigError(
                f"--to {last} has not ended yet (UTC): the last complete day is {yesterday}"
            )
    else:
        if not 1 <= config.days <= 730:
            raise ConfigError(f"--days {config.days}: expected 1..730")
        last, first = yesterday, yesterday - timedelta(days=config.days - 1)
    if (last - first).days >= 730:
        raise ConfigError(f"{first}..{last}: a report covers at most 730 days")
    return first, last


def report_key(first: date, last: date) -> str:
    return f"{REPORTS}/media_report_{first}_{last}.html"


def build_gold_assets(settings: Settings):
    with warnings.catch_warnings():
        # Beta in Dagster 1.13 (the multi-to-daily mapping, single-run backfills), and exactly
        # what a daily table over (date x media) partitions needs.
        warnings.simplefilter("ignore", BetaWarning)
        return _gold_assets(settings)


def _gold_assets(settings: Settings):
    days_partitions = DailyPartitionsDefinition(
        start_date=settings.start_date.isoformat(), timezone="UTC"
    )
    by_date = MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
    pool = "glue" if settings.deployment == "aws" else "spark"
    retry = (
        RetryPolicy(max_retries=1, delay=60, backoff=Backoff.EXPONENTIAL)
        if settings.deployment == "aws"
        else None
    )
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
        check_specs=[
            AssetCheckSpec(
                "every_media_present",
                asset="media_daily",
                description="every configured media has a row for each day built (else the "
                "report shows that media's day as missing)",
            )
        ],
        backfill_policy=BackfillPolicy.single_run(),
        automation_condition=DAY_AUTOMATION,
        pool=pool,
        retry_policy=retry,
    )
    def media_daily(context: AssetExecutionContext, silver: SilverEngine) -> MaterializeResult:
        window = context.partition_key_range
        first, last = window.start, window.end
        try:
            metrics = silver.build_gold(context, "media_daily", first, last, media_ids)
        except (ValueError, RuntimeError) as exc:
            raise Failure(description=f"media_daily {first}..{last}: {exc}") from None
        missing = metrics.get("missing") or {}
        context.log.info(
            f"media_daily {first}..{last}: {metrics['rows']} rows -> {metrics['location']}"
        )
        return MaterializeResult(
            metadata={
                "dagster/row_count": int(metrics["rows"]),
                "dagster/column_schema": written_schema("media_daily", metrics["schema"]),
                "days": f"{first}..{last}",
                "missing": MetadataValue.json(missing),
                "location": MetadataValue.path(metrics["location"]),
                "engine": silver.kind,
                "elapsed_seconds": metrics.get("elapsed_seconds"),
                **({"glue_run_id": metrics["glue_run_id"]} if metrics.get("glue_run_id") else {}),
            },
            check_results=[
                AssetCheckResult(
                    check_name="every_media_present",
                    passed=not missing,
                    severity=AssetCheckSeverity.WARN,
                    metadata={"missing": MetadataValue.json(missing)},
                )
            ],
        )

    @asset(
        name="media_report",
        group_name="gold",
        description=(
            "The weekly media report: for the last 7 complete days (or a range from "
            "`wistia-assets report`), per media labelled with its title and channel, loads, "
            "plays, play rate, hours watched, sessions, unique visitors, share watched, where "
            "viewers come from and on what device, the daily trend, and each difference between "
            "the media in one sentence. A self-contained HTML file under reports/wistia/; the "
            "materialization shows the summary and the charts."
        ),
        owners=OWNERS,
        kinds={"python", "html", "s3"},
        deps=["media_daily", "dim_media", "fact_events"],
        metadata={"layer": "gold", "personal_data": "no"},
        automation_condition=REPORT_AUTOMATION,
        pool=pool,
        retry_policy=retry,
    )
    def media_report(
        context: AssetExecutionContext,
        config: ReportRange,
        silver: SilverEngine,
        lake: LakeResource,
    ) -> MaterializeResult:
        from wistia_assets.media_report.figures import ReportFigures
        from wistia_assets.media_report.page import coverage, render

        try:
            first, last = report_range(config)
        except ConfigError as exc:
            raise Failure(description=f"media_report: {exc}", allow_retries=False) from None
        try:
            data = silver.build_gold(
                context, "media_report", first.isoformat(), last.isoformat(), media_ids
            )
        except (ValueError, RuntimeError) as exc:
            raise Failure(description=f"media_report {first}..{last}: {exc}") from None
        figures = ReportFigures.from_json(data)
        source = "built-in sandbox (simulated data)" if settings.uses_sandbox else "Wistia API"
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        drawing = time.monotonic()
        report = render(figures, source=source, generated_at=generated)
        render_seconds = round(time.monotonic() - drawing, 3)
        key = report_key(first, last)
        html = report.html.encode()
        lake.silver.write_bytes(key, html)
        location = lake.silver.uri(key)
        context.log.info(f"media report {first}..{last} -> {location}")
        missing = figures.missing_by_day()
        return MaterializeResult(
            metadata={
                "report": MetadataValue.path(location),
                "report_key": key,
                "range": f"{first}..{last}",
                "coverage": coverage(figures),
                "days_missing": MetadataValue.json(
                    {day: [m.media_id for m in media] for day, media in missing.items()}
                ),
                "summary": MetadataValue.md(report.summary_markdown),
                "comparisons": MetadataValue.md("\n".join(f"- {s}" for s in report.sentences)),
                "trend_chart": MetadataValue.md(f"![daily trend]({report.chart_pngs['trends']})"),
                "engagement_chart": MetadataValue.md(
                    f"![engagement]({report.chart_pngs['engagement']})"
                ),
                "audience_chart": MetadataValue.md(f"![audience]({report.chart_pngs['audience']})"),
                "html_bytes": len(html),
                "figures_seconds": data.get("elapsed_seconds"),
                "render_seconds": render_seconds,
                "engine": silver.kind,
            }
        )

    return [media_daily, media_report]
