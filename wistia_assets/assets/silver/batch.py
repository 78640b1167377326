"""`silver_facts` over a range of windows: built together, recorded window by window.

A run of several windows (`wistia-assets run` of several days: one range of days x media)
builds each fact table's partitions in the same Spark jobs (`TransformEngine.build_partitions`;
each job costs ~0.1 s of scheduling however small the day, so fourteen windows one at a time
were fourteen times the jobs). Dagster would record one materialization with the same
metadata for every partition of a ranged run, and its check results without a partition, so
each window is recorded here as a run of that window alone records it: its own
materialization and metadata, its own check evaluations (the Gold days' `held_back` reads them
per partition), its watermark moved only when its blocking checks passed. A window whose
blocking check failed fails the step after every window was recorded, with one line naming each
(the others keep their materializations and watermarks).
"""

# No `from __future__ import annotations`: kept like the asset modules that import it.
from collections.abc import Iterator

from dagster import AssetCheckEvaluation, AssetExecutionContext, AssetMaterialization, Failure

from wistia_assets.assets.metadata import result_metadata
from wistia_assets.assets.silver import checks
from wistia_assets.assets.silver.judging import (
    judge_fact_events,
    log_built,
    not_buildable,
    settle_watermark,
)
from wistia_assets.orchestration.held_back import blocking_check_keys
from wistia_assets.partitions import Window
from wistia_assets.resources.catalog import SilverCatalog, TableChangedDuringScan
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.storage.partition import BronzeNotIngested
from wistia_assets.transforms.results import FactMediaByDateResult


def windows_of(context: AssetExecutionContext, media_ids: tuple[str, ...]) -> list[Window]:
    """The run's windows, oldest day first, then in the configured media order."""
    windows = [Window.parse(key) for key in context.partition_keys]
    return sorted(windows, key=lambda w: (w.day, media_ids.index(w.media_id)))


def record_batch(
    context: AssetExecutionContext,
    settings: Settings,
    silver: TransformEngine,
    catalog: SilverCatalog,
    watermarks: WatermarksResource,
    tables: list[str],
) -> Iterator[AssetMaterialization | AssetCheckEvaluation]:
    """Build `tables` for the run's windows; yield each window's materialization and check
    evaluations (yielded, not logged: Dagster drops the events a step logged but had not yet
    emitted when the step raises, and a failed window fails the step after all of them)."""
    windows = windows_of(context, settings.media_ids)
    blocking = set(blocking_check_keys())
    play_counts: dict[Window, int] = {}
    failed: list[str] = []
    for table in tables:
        try:
            results = silver.build_partitions(context, table, windows)
        except BronzeNotIngested as exc:
            raise not_buildable(exc, f"{table} of {len(windows)} windows") from None
        table_duplicates = None
        if table == "fact_events":
            # The whole table after the batch's write: one scan for every window.
            try:
                table_duplicates = catalog.duplicate_event_keys()
            except TableChangedDuringScan as exc:
                raise not_buildable(exc, f"fact_events of {len(windows)} windows") from None
        for window, result in zip(windows, results, strict=True):
            if isinstance(result, FactMediaByDateResult):
                play_counts[window] = result.play_count
                judged = checks.fact_media_by_date_checks(result)
            else:
                judged = judge_fact_events(
                    result,
                    window,
                    settings,
                    catalog,
                    play_counts.get(window),
                    table_duplicates=table_duplicates,
                )
            log_built(context, table, window, result)
            yield AssetMaterialization(
                asset_key=table,
                partition=window.key,
                metadata=result_metadata(result, engine=silver.kind),
            )
            for judgement in judged:
                yield checks.as_evaluation(judgement, window.key, blocking)
            if not settle_watermark(context, watermarks, table, window, judged):
                names = ", ".join(
                    checks.check_key(c).name for c in checks.blocking_failures(judged)
                )
                failed.append(f"{table} {window.key} ({names})")
    if failed:
        raise Failure(
            description=(
                f"{len(failed)} of {len(windows) * len(tables)} partitions failed a blocking "
                f"check (watermark not advanced): {'; '.join(failed)}"
            ),
            allow_retries=False,
        )
