"""The report refreshes itself: a day of media_daily is requested once every media's facts of
that day exist (any day, not only the latest: the daily tick re-pulls the day before), and the
report after media_daily or dim_media changed. Evaluated with Dagster's own automation
evaluator over recorded materializations, so no Spark runs here."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    MultiPartitionKey,
    evaluate_automation_conditions,
)

from wistia_assets.definitions import build_defs
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings

A, B = SANDBOX_MEDIA_IDS
GOLD = {AssetKey("media_daily"), AssetKey("media_report")}


def _materialized(instance, key: str, partition=None) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def _facts(instance, day: str, media: str) -> None:
    for key in ("fact_events", "fact_media_by_date"):
        _materialized(instance, key, MultiPartitionKey({"date": day, "media_id": media}))


def test_media_daily_then_the_report_follow_the_silver_of_a_day():
    defs = build_defs(Settings.from_env({"WISTIA_START_DATE": "2026-11-01"}))
    instance = DagsterInstance.ephemeral()
    cursor = None

    def tick() -> dict[AssetKey, set[str | None]]:
        nonlocal cursor
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        return {
            r.key: (
                set(r.true_subset.expensively_compute_partition_keys())
                if r.true_subset.is_partitioned
                else ({None} if r.true_subset.size else set())
            )
            for r in result.results
            if r.key in GOLD and r.true_subset.size
        }

    assert tick() == {}
    _facts(instance, "2026-11-19", A)
    assert tick() == {}  # the other media's facts of the day are still missing
    _facts(instance, "2026-11-19", B)
    assert tick() == {AssetKey("media_daily"): {"2026-11-19"}}
    assert tick() == {}  # requested once, not on every tick
    _materialized(instance, "media_daily", "2026-11-19")
    assert tick() == {AssetKey("media_report"): {None}}
    assert tick() == {}
    # The next tick re-pulls an older day: its Gold day follows, then the report.
    _facts(instance, "2026-11-12", A)
    _facts(instance, "2026-11-12", B)
    assert tick() == {AssetKey("media_daily"): {"2026-11-12"}}
    _materialized(instance, "dim_media")
    assert tick() == {AssetKey("media_report"): {None}}


def test_the_automation_sensor_targets_the_gold_assets():
    defs = build_defs(Settings.from_env({"WISTIA_START_DATE": "2026-11-01"}))
    sensor = defs.resolve_sensor_def("wistia_automation")
    graph = defs.resolve_asset_graph()
    targets = sensor.asset_selection.resolve(graph)
    assert targets == {AssetKey("dim_media"), AssetKey("media_daily"), AssetKey("media_report")}
