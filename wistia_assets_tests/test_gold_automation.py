"""The report refreshes itself: a day of media_daily is requested once every media's facts of
that day exist (any day, not only the latest: the daily tick re-pulls the day before), and the
report after media_daily or dim_media changed; a day whose Silver partition (any media) failed a
blocking check is not requested until a later pull of it passes. Evaluated with Dagster's own
automation evaluator over recorded materializations and check results, so no Spark runs here."""

from __future__ import annotations

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    MultiPartitionKey,
    evaluate_automation_conditions,
    materialize,
    multi_asset,
)

from wistia_assets.assets.silver.checks import fact_events_specs, fact_media_by_date_specs
from wistia_assets.definitions import build_defs
from wistia_assets.orchestration.held_back import GOLD_SOURCES, held_back
from wistia_assets.partitions import window_partitions
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings

A, B = SANDBOX_MEDIA_IDS
GOLD = {AssetKey("media_daily"), AssetKey("media_report")}
SETTINGS = Settings.from_env({"WISTIA_START_DATE": "2026-11-01"})


def _materialized(instance, key: str, partition=None) -> None:
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def _facts(instance, day: str, media: str) -> None:
    """Both facts of (day, media) with their checks passed, as the Silver step reports them (a
    day whose checks never reported is not requested)."""
    assert _pulled(instance, SETTINGS, day, media)


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


def _pulled(instance, settings, day: str, media: str, failing: str | None = None) -> bool:
    """A run that materializes both facts of (day, media) with the project's own check specs,
    `failing` (a check name) failing with ERROR severity, as the Silver step reports them;
    returns whether the run succeeded (Dagster fails it on a failed blocking check)."""
    partitions = window_partitions(settings)
    specs = [*fact_events_specs(partitions), *fact_media_by_date_specs(partitions)]

    @multi_asset(
        specs=[AssetSpec(k, partitions_def=partitions) for k in GOLD_SOURCES],
        check_specs=specs,
        partitions_def=partitions,
    )
    def pulled_facts():
        for key in GOLD_SOURCES:
            yield MaterializeResult(
                asset_key=key,
                check_results=[
                    AssetCheckResult(
                        asset_key=key,
                        check_name=s.name,
                        passed=s.name != failing,
                        severity=AssetCheckSeverity.ERROR,
                        description=(
                            f"{key} {day}|{media}: no events" if s.name == failing else None
                        ),
                    )
                    for s in specs
                    if s.asset_key == AssetKey(key)
                ],
            )

    partition = str(MultiPartitionKey({"date": day, "media_id": media}))
    return materialize(
        [pulled_facts], instance=instance, partition_key=partition, raise_on_error=False
    ).success


def test_a_day_whose_silver_failed_a_blocking_check_waits_until_a_later_pull_passes():
    settings = Settings.from_env({"WISTIA_START_DATE": "2026-11-01"})
    defs = build_defs(settings)
    instance = DagsterInstance.ephemeral()
    cursor = None

    def tick() -> dict[AssetKey, set[str]]:
        nonlocal cursor
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = result.cursor
        return {
            r.key: set(r.true_subset.expensively_compute_partition_keys())
            for r in result.results
            if r.key == AssetKey("media_daily") and r.true_subset.size
        }

    assert tick() == {}  # the first tick sets the cursor that "updated since" is measured from
    # Day 18 passes for both media; day 19 fails for B only (A passed: one media is not enough).
    assert _pulled(instance, settings, "2026-11-18", A)
    assert _pulled(instance, settings, "2026-11-18", B)
    assert _pulled(instance, settings, "2026-11-19", A)
    assert not _pulled(instance, settings, "2026-11-19", B, failing="events_cover_plays")
    assert tick() == {AssetKey("media_daily"): {"2026-11-18"}}
    assert tick() == {}  # day 19 stays held, tick after tick
    # Every other path reads the same from the instance, with the check's message.
    held = held_back(instance, ["2026-11-18", "2026-11-19"], [A, B])
    assert [(h.day, h.media_id, h.check, h.message) for h in held["2026-11-19"]] == [
        (
            "2026-11-19",
            B,
            "fact_events:events_cover_plays",
            f"fact_events 2026-11-19|{B}: no events",
        )
    ]
    assert set(held) == {"2026-11-19"}
    # A later pull of B's day passes: the day follows by itself, once.
    assert _pulled(instance, settings, "2026-11-19", B)
    assert tick() == {AssetKey("media_daily"): {"2026-11-19"}}
    assert tick() == {}
    assert held_back(instance, ["2026-11-19"], [A, B]) == {}
    # A blocking check of the other fact holds the day as well.
    assert not _pulled(instance, settings, "2026-11-20", A, failing="one_row_per_date")
    assert _pulled(instance, settings, "2026-11-20", B)
    assert tick() == {}
    assert [h.check for h in held_back(instance, ["2026-11-20"], [A, B])["2026-11-20"]] == [
        "fact_media_by_date:one_row_per_date"
    ]
