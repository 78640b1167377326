"""`media_report`: the weekly media report, drawn from the Gold days and Silver (Spark computes
the figures, this step only draws and writes: it runs in the ECS run task as it is)."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
import time
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AutomationCondition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from wistia_assets.assets.bronze import OWNERS, layer_tags
from wistia_assets.assets.catalog_metadata import catalog_metadata
from wistia_assets.assets.spark_steps import spark_step
from wistia_assets.orchestration.freshness import gold_freshness
from wistia_assets.orchestration.held_back import held_back, withdraw_gold_days
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.settings import ConfigError, Settings, parse_date
from wistia_assets.storage.layout import REPORTS

DEFAULT_DAYS = 7

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
    if config.start is not None and config.end is not None:
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


def held_reasons(figures, held: dict) -> dict[str, list[str]]:
    """Day -> one sentence per failed check, the media named as the report names it."""
    labels = {m.media_id: m.label for m in figures.media}
    return {
        day: [f"{labels.get(r.media_id, r.media_id)}: {r.check} failed: {r.message}" for r in why]
        for day, why in held.items()
    }


def report_key(first: date, last: date) -> str:
    return f"{REPORTS}/media_report_{first}_{last}.html"


def build_media_report(settings: Settings):
    media_ids = tuple(settings.media_ids)

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
        tags=layer_tags("gold", pii=False),
        metadata=catalog_metadata(settings, "media_report"),
        automation_condition=REPORT_AUTOMATION,
        freshness_policy=gold_freshness(settings),
        **spark_step(settings),
    )
    def media_report(
        context: AssetExecutionContext,
        config: ReportRange,
        silver: TransformEngine,
        lake: LakeResource,
    ) -> MaterializeResult:
        from wistia_assets.media_report.figures import ReportFigures
        from wistia_assets.media_report.page import coverage, render

        try:
            first, last = report_range(config)
        except ConfigError as exc:
            raise Failure(description=f"media_report: {exc}", allow_retries=False) from None
        days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
        # A held day's Gold is withdrawn before the figures are read (the automation leaves an
        # older build of it in place when it holds the day): the report never counts it.
        held = held_back(context.instance, days, media_ids)
        withdraw_gold_days(lake.silver, held)
        try:
            data = silver.build_report_figures(
                context, first.isoformat(), last.isoformat(), media_ids
            )
        except (ValueError, RuntimeError) as exc:
            raise Failure(description=f"media_report {first}..{last}: {exc}") from None
        figures = ReportFigures.from_result(data)
        figures.held = held_reasons(figures, held)
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
                "days_held_back": MetadataValue.json(figures.held),
                "summary": MetadataValue.md(report.summary_markdown),
                "comparisons": MetadataValue.md("\n".join(f"- {s}" for s in report.sentences)),
                "trend_chart": MetadataValue.md(f"![daily trend]({report.chart_pngs['trends']})"),
                "engagement_chart": MetadataValue.md(
                    f"![engagement]({report.chart_pngs['engagement']})"
                ),
                "audience_chart": MetadataValue.md(f"![audience]({report.chart_pngs['audience']})"),
                "html_bytes": len(html),
                "figures_seconds": data.elapsed_seconds,
                "render_seconds": render_seconds,
                "engine": silver.kind,
            }
        )

    return media_report
