"""Judging and recording one Silver fact partition just built, in a step of one window
(`facts.py`) or of a range (`batch.py`), or by an erasure's rebuild: its checks, its log line,
its watermark."""

# No `from __future__ import annotations`: kept like the asset modules that import it.
from dagster import AssetCheckResult, Failure

from wistia_assets.assets.silver import checks
from wistia_assets.assets.silver.coverage import pull_coverage
from wistia_assets.orchestration.schedule import watermark_origin
from wistia_assets.partitions import Window
from wistia_assets.resources.catalog import SilverCatalog, TableChangedDuringScan
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.storage.partition import BronzeNotIngested
from wistia_assets.transforms.results import FactEventsResult

DATASET_OF = {"fact_events": "events", "fact_media_by_date": "media_by_date"}


def not_buildable(exc: Exception, what: str) -> Failure:
    """Bronze never pulled, or the table kept changing under a check's scan: running the step
    (and its Glue job) again right away helps neither."""
    return Failure(description=f"{what}: {exc}", allow_retries=False)


def judge_fact_events(
    result: FactEventsResult,
    window: Window,
    settings: Settings,
    catalog: SilverCatalog,
    play_count: int | None = None,
    table_duplicates: int | None = None,
) -> list[AssetCheckResult]:
    """fact_events' checks of a partition just built, wherever it was built (this step, an
    erasure's rebuild): the whole table's duplicates and by_date's plays from the catalog
    (`play_count`, `table_duplicates` when the caller already has them)."""
    try:
        if play_count is None:
            play_count = catalog.play_count(window)
        if table_duplicates is None:
            table_duplicates = catalog.duplicate_event_keys()
    except TableChangedDuringScan as exc:
        raise not_buildable(exc, f"fact_events {window.key}") from None
    return checks.fact_events_checks(
        result,
        table_duplicates=table_duplicates,
        play_count=play_count,
        coverage=pull_coverage(
            result.received_histogram,
            window.day,
            settings.account_timezone,
            settings.events_window,
        ),
    )


def build_one(context, silver: TransformEngine, table: str, window: Window):
    try:
        if table == "fact_media_by_date":
            return silver.build_fact_media_by_date(context, window)
        return silver.build_fact_events(context, window)
    except BronzeNotIngested as exc:
        raise not_buildable(exc, f"{table} {window.key}") from None


def log_built(context, table: str, window: Window, result) -> None:
    context.log.info(
        f"{table} {window.key}: {result.rows} rows, {result.duplicates_removed} "
        f"duplicates removed, {result.quarantined} quarantined -> {result.location}"
    )


def settle_watermark(
    context, watermarks: WatermarksResource, table: str, window: Window, judged: list
) -> bool:
    """Move the table's watermark of the window's media to its day when no blocking check
    failed (then the partition is done); say why it stays otherwise. Whether it was done."""
    failed = checks.blocking_failures(judged)
    if failed:
        for check in failed:
            if check.description:
                context.log.error(check.description)
        context.log.error(
            f"{table} {window.key}: watermark not advanced, failed checks: "
            f"{', '.join(checks.check_key(c).name for c in failed)}"
        )
        return False
    # Only now is the partition done. The watermark moves only to the day after it, so it
    # never passes a day that was not built: the schedule asks for that day again.
    store, dataset = watermarks.store(), DATASET_OF[table]
    origin = watermark_origin(context.run.tags)
    if store.advance(dataset, window.media_id, window.day, origin=origin):
        context.log.info(f"watermark {dataset}/{window.media_id} -> {window.day}")
    else:
        context.log.info(
            f"watermark {dataset}/{window.media_id} stays at "
            f"{store.get(dataset, window.media_id)} (built {window.day}; a watermark "
            "moves one day at a time)"
        )
    return True
