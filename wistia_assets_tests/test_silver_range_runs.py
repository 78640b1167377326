"""`run` of several windows: Bronze one run per window, the Silver facts one run per range, and
each window of the range recorded as a run of its own records it (issue 18).

The Silver run of a range builds every window in the same Spark jobs; Dagster would give every
partition of a ranged run the same materialization and its checks no partition, so the step
records each window itself. Observed here through the CLI, in-process against the sandbox: each
partition's own row count, its own check evaluations (what `held_back` reads), its watermark;
a blocking check failing in one window fails the run with a line naming it, holds its Gold day,
and leaves the other windows materialized and their watermarks moved.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter

from wistia_assets.assets.silver import batch
from wistia_assets.assets.silver.check_result import ERROR, EVENT_KEY_UNIQUE, check_result
from wistia_assets.commands.materialize import silver_ranges
from wistia_assets.orchestration.dagster_internals import latest_check_evaluation
from wistia_assets.partitions import Window
from wistia_assets.sandbox import SandboxWistia
from wistia_assets.watermarks.store import SqliteWatermarkStore
from wistia_assets_tests.support.cli import DAY, EVENTS_PER_DAY, SEED, A, B, cli, environment

BEFORE = DAY - timedelta(days=1)
RANGE = {
    "dagster/asset_partition_range_start": f"{BEFORE}|{A}",
    "dagster/asset_partition_range_end": f"{DAY}|{B}",
}


def test_the_pulled_windows_become_ranges_of_days_with_the_same_media():
    d = [DAY + timedelta(days=n) for n in range(4)]
    media = ("m1", "m2", "m3")
    every = [Window(day, m) for day in d for m in media]
    assert silver_ranges(every, media) == [(Window(d[0], "m1"), Window(d[3], "m3"))]
    # m2's pull failed on the second day: a range's media must be contiguous in the configured
    # order, and its days consecutive with the same media.
    pulled = [w for w in every if w != Window(d[1], "m2")]
    assert silver_ranges(pulled, media) == [
        (Window(d[0], "m1"), Window(d[0], "m3")),
        (Window(d[1], "m1"), Window(d[1], "m1")),
        (Window(d[1], "m3"), Window(d[1], "m3")),
        (Window(d[2], "m1"), Window(d[3], "m3")),
    ]
    # Every window is in exactly one range.
    covered = [
        Window(first.day + timedelta(days=n), m)
        for first, last in silver_ranges(pulled, media)
        for n in range((last.day - first.day).days + 1)
        for m in media[media.index(first.media_id) : media.index(last.media_id) + 1]
    ]
    assert sorted(covered, key=str) == sorted(pulled, key=str)


def test_a_long_run_is_built_a_week_at_a_time():
    """A backfill of months is several Silver runs of at most RANGE_DAYS days (one Spark batch
    never holds months of Bronze), which also makes the JVM keep both compilers."""
    from wistia_assets.commands.materialize import RANGE_DAYS
    from wistia_assets.transforms.session import MANY_BUILDS, jvm_options_for

    media = ("m1", "m2")
    days = [DAY + timedelta(days=n) for n in range(17)]
    ranges = silver_ranges([Window(day, m) for day in days for m in media], media)
    assert RANGE_DAYS == 7
    assert ranges == [
        (Window(days[0], "m1"), Window(days[6], "m2")),
        (Window(days[7], "m1"), Window(days[13], "m2")),
        (Window(days[14], "m1"), Window(days[16], "m2")),
    ]
    # `run --days 7` is one step (C1 only); 60 days are nine (both compilers).
    week = silver_ranges(
        [Window(days[0] + timedelta(n), m) for n in range(7) for m in media], media
    )
    assert len(week) == 1 < MANY_BUILDS
    two_months = [Window(days[0] + timedelta(n), m) for n in range(60) for m in media]
    assert len(silver_ranges(two_months, media)) == 9 >= MANY_BUILDS
    assert jvm_options_for(1) != jvm_options_for(9)


@pytest.mark.spark
@pytest.mark.slow
def test_a_range_records_each_window_and_a_failed_one_fails_alone(spark, tmp_path, monkeypatch):
    env = environment(tmp_path) | {"MEDIA_IDS": f"{A},{B}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    judge = batch.judge_fact_events

    def duplicates_in_b_on_day(result, window, *args, **kwargs):
        # What a blocking failure in one window looks like: B's copy of DAY has a duplicate key.
        judged = judge(result, window, *args, **kwargs)
        if window == Window(DAY, B):
            judged = [j for j in judged if j.check_name != EVENT_KEY_UNIQUE]
            judged.append(
                check_result(
                    "fact_events",
                    EVENT_KEY_UNIQUE,
                    False,
                    ERROR,
                    "1 event_key appears twice (forced by the test)",
                    duplicate_keys=1,
                )
            )
        return judged

    monkeypatch.setattr(batch, "judge_fact_events", duplicates_in_b_on_day)
    code, out, err = cli("run", "--days", "2", "--end-date", DAY.isoformat())
    assert code == 1, out + err

    (silver_line,) = [line for line in out.splitlines() if line.split()[1:2] == ["silver"]]
    assert silver_line.split()[:2] == ["FAIL", "silver"]
    assert f"{BEFORE}|{A}..{DAY}|{B}" in silver_line
    # The failed check, in the run's error and in the summary, named by its partition.
    assert "       error: 1 event_key appears twice (forced by the test)" in out
    assert f"error {DAY}|{B} fact_events.event_key_unique" in out
    assert f"hold media_daily {DAY}: held back" in out
    assert f"hold media_daily {BEFORE}" not in out

    instance = DagsterInstance.get()
    (ranged,) = instance.get_runs(RunsFilter(tags=RANGE))
    assert ranged.status == DagsterRunStatus.FAILURE
    # Each window's pull was a run of its own.
    pulls = instance.get_runs(
        RunsFilter(job_name="wistia_window", tags={"dagster/partition": f"{DAY}|{B}"})
    )
    assert [r.status for r in pulls] == [DagsterRunStatus.SUCCESS]

    sandbox = SandboxWistia(seed=SEED, events_per_day=EVENTS_PER_DAY)
    for day in (BEFORE, DAY):
        for media in (A, B):
            key = f"{day}|{media}"
            (record,) = instance.fetch_materializations(
                _filter(AssetKey("fact_events"), key), limit=1
            ).records
            assert record.run_id == ranged.run_id
            rows = record.asset_materialization.metadata["dagster/partition_row_count"].value
            assert rows == len(sandbox.ground_truth_events(media, day))  # its own, not a sum
            evaluation = latest_check_evaluation(
                instance, AssetCheckKey(AssetKey("fact_events"), EVENT_KEY_UNIQUE), key
            )
            assert evaluation is not None and evaluation.partition == key
            assert evaluation.passed is (key != f"{DAY}|{B}")

    state = Path(env["WISTIA_LAKE_ROOT"]) / "_state"
    watermarks = SqliteWatermarkStore(state / "watermarks.sqlite")
    assert watermarks.get("events", A) == DAY
    assert watermarks.get("events", B) == BEFORE  # not past the failed day
    assert watermarks.get("media_by_date", B) == DAY

    alerts = (state / "run_failures.jsonl").read_text().splitlines()
    (alert,) = [json.loads(line) for line in alerts]
    assert alert["partition"] == f"{BEFORE}|{A}...{DAY}|{B}"
    assert alert["run_id"] == ranged.run_id


def _filter(asset_key: AssetKey, partition: str):
    from dagster._core.storage.event_log.base import AssetRecordsFilter

    return AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition])
