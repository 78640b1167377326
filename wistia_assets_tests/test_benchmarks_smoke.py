"""The benchmark harnesses on tiny configurations, so they cannot rot unnoticed.

The benchmarks themselves are not part of the suite (minutes, and timings are not assertions);
this only checks that what they report adds up: the client's counts against the sandbox's
request log, its 60 s window counter against the sandbox's own, rows against events; the DuckDB
baseline's output against Spark's (the Silver ratio compares equal work only if they match);
Spark jobs and seconds per phase against the run's; the end-to-end parts against the wall time.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks import report
from benchmarks.bronze_days import BronzeDay
from benchmarks.budget import inconsistencies as budget_inconsistencies
from benchmarks.checkout import BASELINE_REF, env_for, export_ref, makefile_of, product_path
from benchmarks.duckdb_baseline import run_baseline
from benchmarks.end_to_end import EndToEnd, StepTime, jobs_lines, plan_runs, ratio_lines
from benchmarks.end_to_end import inconsistencies as end_to_end_inconsistencies
from benchmarks.end_to_end_probe import COUNTED, TARGETS, resolve
from benchmarks.ingestion import Plan, measure_budget, measure_memory
from benchmarks.memory import inconsistencies as memory_inconsistencies
from benchmarks.process_start import main as process_start
from benchmarks.silver import (
    HASH_KEY,
    compare_outputs,
    measure_step,
    measure_throughput,
    run_spark,
    step_inconsistencies,
)
from benchmarks.silver import Plan as SilverPlan
from benchmarks.spark_jobs import PHASE_LABELS
from benchmarks.windows import max_in_window, minimum_requests
from wistia_assets.sandbox import LoggedRequest, RequestLog
from wistia_assets.transforms.results import to_json
from wistia_assets_tests.support.transforms import MEDIA_A, fixture_lines, write_bronze

FIXTURE_DAY = "2026-11-20"

TINY = Plan(
    rate_per_minute=600,
    latency_ms=20,
    days=2,
    memory_events=(1_000, 3_000),
    tuned_prefetch=2,
    tuned_windows=2,
)


def quiet(_text: str) -> None:
    pass


@pytest.mark.timeout(60)
def test_the_rate_budget_numbers_agree_with_the_sandbox_request_log():
    runs, loads = measure_budget(TINY, progress=quiet)

    assert [r.config.prefetch for r in runs] == [1, 2, 2, 2]
    assert [r.config.concurrency for r in runs] == [1, 1, 2, 2]
    # the last is WISTIA_POOL_SLOTS=2: two runs, each with half the budget of its own
    assert [r.config.budgets for r in runs] == [1, 1, 1, 2]
    for run in runs:
        assert budget_inconsistencies(run) == []
        assert len(run.pulls) == 2 * TINY.days
        assert run.events == runs[0].events > 0  # the same windows every time
        assert run.requests >= run.minimum_requests
        assert run.over_budget == 0
        assert run.budget_share > 0
    # one page at a time never asks past the end of a window
    assert runs[0].requests == runs[0].minimum_requests
    text = report.budget_table(runs, loads)
    assert len(text.splitlines()) == 2 + len(runs)
    # seconds long, so the initial burst dominates: the harness must not call the goal met
    assert all(r.elapsed_s < 60 for r in runs)
    assert report.verdicts(runs, [])[0].endswith("reads high (the initial burst)")


@pytest.mark.timeout(60)
def test_the_memory_probe_reports_a_whole_day_and_its_peak():
    runs = measure_memory(TINY, progress=quiet)

    plain = [r for r in runs if not r.faults]
    drifting = [r for r in runs if r.faults]
    assert [r.events for r in plain] == list(TINY.memory_events)
    assert [r.events for r in drifting] == [TINY.memory_events[-1]]
    for run in runs:
        assert memory_inconsistencies(run) == []
        assert run.peak_kb >= run.rss_before_kb > 0
        # the probe's own peak, not its parent's (pytest is bigger than any probe here)
        assert run.peak_kb < 400 * 1024
    for run in plain:
        assert run.pages == minimum_requests(run.events, 100) and run.reads == 1
    for run in drifting:  # every page shifted: the day was read twice
        assert run.reads == 2 and run.pages >= 2 * minimum_requests(run.events, 100)
    verdicts = report.verdicts([], runs)
    assert any("peak RSS, 3,000 vs 1,000 events" in line for line in verdicts)
    assert any("peak RSS, 3,000 re-read (drift) vs 1,000 events" in line for line in verdicts)
    cells = [
        [c.strip() for c in line.split("|")[1:4]] for line in report.memory_table(runs).split("\n")
    ]
    assert ["3,000", "drift: every page shifts", "2"] in cells


def test_the_window_counter_agrees_with_the_sandbox_request_log():
    rng = random.Random(3)
    # bursts, gaps and requests exactly 60 s apart, where half-open windows matter
    times = sorted(rng.uniform(0, 300) for _ in range(400)) + [400.0, 460.0, 520.0, 520.0]
    log = RequestLog()
    for n, t in enumerate(times, start=1):
        log.append(LoggedRequest(n, datetime.now(UTC), t, "GET", "/", "events", {}, 200, None, "r"))

    for seconds in (1.0, 10.0, 60.0):
        assert max_in_window(times, seconds) == log.max_in_window(seconds)
    assert max_in_window([0.0, 60.0], 60.0) == 1


def test_minimum_requests_counts_the_empty_page_after_exact_full_pages():
    assert minimum_requests(0, 100) == 1
    assert minimum_requests(99, 100) == 1
    assert minimum_requests(100, 100) == 2
    assert minimum_requests(250, 100) == 3


# --- Silver and end to end: the harness's own bookkeeping, on tiny days ----------------------

SILVER_TINY = SilverPlan(
    sizes=(300,),
    repetitions=1,
    step_repetitions=1,
    attempts=1,
    # Enough duplicates and quarantine lines in 300 events to compare both outputs on them.
    faults="drift=1,drift_turns=4,bad=0.02,foreign=0.02",
    warm_up=False,
)


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_the_duckdb_baseline_writes_what_spark_writes_on_the_transform_fixtures(spark, tmp_path):
    """Both payload eras, every quarantine reason, a duplicate, garbage lines, a line of the
    next UTC day: the baseline's rules must give Spark's rows (every column), quarantine and
    counts, or its ratio lies."""
    # The legacy records keep their format (no fraction of a second) on the fixture's day, so
    # their typing is compared row by row rather than routed away to 2014.
    legacy = [
        line.replace("2014-01-27", FIXTURE_DAY) for line in fixture_lines("events_legacy.ndjson")
    ]
    parts = [fixture_lines("events_current.ndjson"), legacy]
    lines = [line for part in parts for line in part]
    manifest = write_bronze(tmp_path, "events", FIXTURE_DAY, MEDIA_A, lines, lines_per_part=15)
    day = BronzeDay(
        lake=tmp_path,
        dt=FIXTURE_DAY,
        media_id=MEDIA_A,
        events=len(lines),
        lines=manifest["rows"],
        part_keys=tuple(part["key"] for part in manifest["parts"]),
        foreign=1,
    )
    assert len(day.part_keys) == 2

    metrics = to_json(run_spark(spark, day))
    baseline = run_baseline(day, tmp_path / "duckdb", hash_key=HASH_KEY)

    assert compare_outputs(day, metrics, baseline) == []
    assert baseline.rows == metrics["rows"] == 10
    assert baseline.duplicates_removed == 1 and baseline.quarantined == 8
    assert baseline.routed_away == metrics["routed_away"] == 1  # ev-c-003, of the 21st
    assert baseline.unknown_fields == metrics["unknown_fields"] == {"attributes": 1}
    assert len(baseline.preview) == 5
    # The check itself can fail: a baseline that lost a row is caught.
    broken = replace(baseline, rows=baseline.rows - 1)
    assert any("rows Spark" in p for p in compare_outputs(day, metrics, broken))


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_the_silver_throughput_row_compares_equal_work(spark, tmp_path):
    (row,) = measure_throughput(spark, SILVER_TINY, tmp_path, progress=quiet)

    assert row.problems == []  # same rows, event_key set and quarantine as Spark
    assert row.day.lines == row.spark_metrics["bronze_rows"] > row.spark_metrics["rows"]
    assert row.spark_metrics["duplicates_removed"] > 0 and row.baseline.quarantined > 0
    assert row.spark_metrics["rows"] == row.baseline.rows
    assert row.spark_s and row.duckdb_s and row.spread >= 1.0
    assert 0 <= row.baseline.hash_seconds <= row.baseline.seconds
    assert len(report.silver_table([row]).splitlines()) == 3


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_the_step_profile_splits_a_run_into_phases_that_add_up(spark, tmp_path):
    # fact_events only: its run has every phase; two days (the one before, then the measured).
    profile = measure_step(spark, tmp_path, 1, events=40, tables=("fact_events",), progress=quiet)

    assert step_inconsistencies(profile) == []
    for table in ("fact_events",):
        (run,) = profile.runs[table]
        assert run.jobs > 0 and run.seconds > 0
        assert sum(s for s, _ in run.phases.values()) == pytest.approx(run.seconds)
        assert sum(n for _, n in run.phases.values()) == run.jobs
        assert run.phases["write Silver"][1] > 0  # the wrapped helpers exist in the runner
    text = report.step_table(profile, PHASE_LABELS)
    assert "| total" in text and len(text.splitlines()) == 2 + len(PHASE_LABELS) + 1 + 2


def test_every_part_the_end_to_end_probe_times_exists():
    """A renamed product function would silently drop out of the breakdown: resolve them all."""
    for module, path, _, _ in TARGETS:
        owner, name, original = resolve(module, path)
        assert callable(original), f"{module}:{path}"
    for module, path, _ in COUNTED:
        owner, name, original = resolve(module, path)
        assert callable(original), f"{module}:{path}"


def test_the_end_to_end_baseline_is_the_product_of_the_baseline_commit(tmp_path):
    """The default comparison runs the product of BASELINE_REF: exported, it is a package that
    `product_path` accepts, and it is that commit's code (not this checkout's)."""
    import subprocess

    checkout = export_ref(BASELINE_REF, tmp_path / "base")
    assert product_path(checkout, tmp_path / "work").joinpath("wistia_assets").is_dir()
    session = checkout / "wistia_assets" / "transforms" / "session.py"
    committed = subprocess.run(
        ["git", "show", f"{BASELINE_REF}:wistia_assets/transforms/session.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    ).stdout
    assert session.read_text() == committed


def test_a_baseline_that_uses_the_class_archive_gets_the_class_path_it_was_trained_with(
    tmp_path,
):
    """`make` trains the class archive with the local file system's jar on the class path, and a
    JVM with another class path ignores the archive: `041cffd` (stop 27) used the archive but had
    no jar, so its export puts the jar on its class path, and nothing else changes."""
    from wistia_assets.transforms.session import LOCAL_FS_JAR

    assert LOCAL_FS_JAR.is_file(), f"{LOCAL_FS_JAR} is missing: make writes it"
    session = export_ref("041cffd", tmp_path / "base") / "wistia_assets/transforms/session.py"
    text = session.read_text()
    added = [line for line in text.splitlines() if "extraClassPath" in line]
    assert added == [
        f'        "spark.driver.extraClassPath": {str(LOCAL_FS_JAR)!r},  # benchmarks/checkout.py'
    ]
    assert "fs.file.impl" not in text  # its file system stays Hadoop's own


def test_each_version_runs_with_the_python_bytecode_its_own_makefile_gives_make_run(
    tmp_path, monkeypatch
):
    """The baseline's Makefile made every process compile the modules it imported; this one's
    caches their bytecode under .venv/pycache. Each is measured as its own `make run` starts it,
    whatever the shell running the harness sets."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as on this machine's shells
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    root = Path(__file__).parents[1]
    baseline = export_ref(BASELINE_REF, tmp_path / "base")

    theirs = env_for(None, makefile_of(baseline))
    assert theirs["PYTHONDONTWRITEBYTECODE"] == "1"
    assert "PYTHONPYCACHEPREFIX" not in theirs

    ours = env_for(None, makefile_of(None))
    assert "PYTHONDONTWRITEBYTECODE" not in ours
    assert ours["PYTHONPYCACHEPREFIX"] == str(root / ".venv" / "pycache")


def test_the_end_to_end_report_gives_the_wall_ratio_and_jobs_per_build():
    def run(wall: float, jobs: dict[str, list[int]]) -> EndToEnd:
        probe = {"intervals": {}, "spark_jobs": jobs}
        return EndToEnd(days=1, wall_s=wall, exit_code=0, probe=probe, spawned=0.0)

    runs = [
        ("this checkout", run(40.0, {"fact_events": [6, 4, 4]})),
        ("compared: /old", run(80.0, {"fact_events": [16, 14, 14]})),
        ("compared: /old", run(100.0, {"fact_events": [16, 14, 14]})),
        ("this checkout", run(50.0, {"fact_events": [6, 4, 5]})),
    ]
    assert ratio_lines(runs) == [
        "- this checkout: median wall 45.0 s of 2",
        "- compared: /old: median wall 90.0 s of 2",
        "- **compared: /old / this checkout: 2.00x** (wall time ratio)",
    ]
    assert jobs_lines(runs) == [
        "- this checkout, fact_events: 3 builds, Spark jobs first 6, then 4-4 (median 4)",
        "- compared: /old, fact_events: 3 builds, Spark jobs first 16, then 14-14 (median 14)",
    ]


def test_the_end_to_end_breakdown_adds_up_to_the_wall_time():
    intervals = {
        "runs": [[10.0, 20.0, "2026-11-20|a"], [20.5, 30.0, "dim_media"]],
        "spark_start": [[11.0, 13.0, "getOrCreate"], [25.0, 25.01, "getOrCreate"]],
        "bronze_api": [[10.5, 10.7, "ingest_events"]],
        "silver": [[13.0, 15.0, "fact_events"], [15.0, 16.0, "fact_media_by_date"]],
        "catalog": [[16.0, 16.5, "duplicate_event_keys"]],
        "watermarks": [[16.5, 16.6, "advance"]],
        "summary": [[30.0, 31.0, "print_summary"]],
    }
    run = EndToEnd(
        days=1,
        wall_s=32.0,
        exit_code=0,
        probe={"started": 1.5, "imported": 2.0, "ended": 31.5, "intervals": intervals},
        spawned=1.0,
        steps=[
            StepTime("bronze_ingest", "a", 1.0),
            StepTime("silver_facts", "a", 7.0),
            StepTime("media_report", "media_report_build", 0.5),
        ],
        events_per_run=[40, 12],
        jobs=["wistia_window", "dim_media_refresh"],
    )
    parts = dict((name, seconds) for name, seconds, _ in run.breakdown())

    assert sum(parts.values()) == pytest.approx(32.0)
    assert parts["Spark session start"] == pytest.approx(2.0)  # the first call only
    assert parts["Gold media_daily + media_report"] == pytest.approx(0.5)
    assert parts["Dagster inside steps"] == pytest.approx(8.5 - 2.0 - 0.2 - 3.0 - 0.6 - 0.5)
    assert parts["Dagster around steps"] == pytest.approx(19.5 - 8.5)
    assert parts["CLI setup: definitions, instance"] == pytest.approx(8.0)
    assert end_to_end_inconsistencies(run) == [
        "Dagster runs by job {'wistia_window': 1, 'dim_media_refresh': 1}, expected "
        "{'wistia_window': 2, 'dim_media_refresh': 1}",
    ]
    assert len(report.end_to_end_table(run.breakdown(), run.wall_s).splitlines()) == 2 + 14


def test_the_end_to_end_run_expects_the_gold_pair_once_when_the_product_has_it():
    def run_of(jobs):
        probe = {"imported": 2.0, "ended": 3.0, "intervals": {"runs": []}}
        return EndToEnd(days=1, wall_s=3.0, exit_code=0, probe=probe, spawned=1.0, jobs=jobs)

    windows = ["wistia_window", "wistia_window", "dim_media_refresh"]
    assert end_to_end_inconsistencies(run_of(windows)) == []  # a checkout before the report
    assert (
        end_to_end_inconsistencies(run_of(windows + ["media_daily_build", "media_report_build"]))
        == []
    )
    assert end_to_end_inconsistencies(run_of(windows + ["media_daily_build"])) == [
        "Dagster runs by job {'wistia_window': 2, 'dim_media_refresh': 1, 'media_daily_build': 1}"
        ", expected {'wistia_window': 2, 'dim_media_refresh': 1, 'media_daily_build': 1, "
        "'media_report_build': 1}"
    ]


def test_a_compared_checkout_lends_only_its_product(tmp_path):
    """The other checkout's `wistia_assets` goes first on a child's path, never its harness."""
    other = tmp_path / "older"
    (other / "wistia_assets").mkdir(parents=True)
    (other / "wistia_assets" / "__init__.py").write_text("")
    (other / "benchmarks").mkdir()
    folder = product_path(other, tmp_path / "work")
    assert sorted(p.name for p in folder.iterdir()) == ["wistia_assets"]
    assert env_for(folder)["PYTHONPATH"].split(os.pathsep)[0] == str(folder)
    with pytest.raises(SystemExit, match="no wistia_assets"):
        product_path(tmp_path / "work", tmp_path / "elsewhere")


def test_compared_end_to_end_runs_alternate_and_so_does_who_goes_first():
    runs = [label for label, _ in plan_runs(3, Path("/old"))]
    assert runs == [
        *("this checkout", "compared: /old"),
        *("compared: /old", "this checkout"),
        *("this checkout", "compared: /old"),
    ]
    assert plan_runs(2, None) == [("this checkout", None)] * 2


def test_the_media_report_benchmark_writes_silver_that_is_the_sandboxs_truth(tmp_path):
    """The report benchmark measures the report over Silver written from the sandbox's ground
    truth: every (day, media) partition exists, with the sandbox's own event and play counts."""
    import duckdb

    from benchmarks.media_report import _silver_from_sandbox
    from wistia_assets.sandbox import SandboxWistia
    from wistia_assets.settings import SANDBOX_MEDIA_IDS

    day = date(2026, 11, 20)
    rows = _silver_from_sandbox(tmp_path, day - timedelta(days=1), day)
    truth = SandboxWistia(clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    expected = {
        (d.isoformat(), m): len(truth.ground_truth_events(m, d))
        for d in (day - timedelta(days=1), day)
        for m in SANDBOX_MEDIA_IDS
    }
    con = duckdb.connect()
    counted = dict(
        ((dt, m), n)
        for dt, m, n in con.execute(
            f"SELECT dt, media_id, count(*) FROM read_parquet('{tmp_path}/silver/wistia/"
            "fact_events/*/*/*.parquet', hive_partitioning = true, hive_types = "
            "{'dt': VARCHAR, 'media_id': VARCHAR}) GROUP BY 1, 2"
        ).fetchall()
    )
    assert counted == expected and rows == sum(expected.values())
    plays = con.execute(
        f"SELECT sum(play_count) FROM read_parquet('{tmp_path}/silver/wistia/"
        "fact_media_by_date/*/*/*.parquet')"
    ).fetchone()[0]
    assert plays == rows


@pytest.mark.timeout(120)
def test_the_process_start_harness_times_both_environments(capsys):
    assert process_start(["--reps", "1"]) == 0
    out = capsys.readouterr().out
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| compiled") or line.startswith("| cached")
    ]
    assert len(rows) == 2, out
    for row in rows:
        median = float(row.split("|")[2])
        assert 0 < median < 120, row
    assert "compiled each start / cached:" in out


@pytest.mark.spark
@pytest.mark.timeout(600)
def test_the_jvm_options_harness_builds_the_same_rows_with_each_variant(capsys):
    from benchmarks.spark_jvm import main as spark_jvm

    assert spark_jvm(["--days", "2", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("| both", "| C1"))]
    assert len(rows) == 3, out
    for row in rows:
        start, cold, warm = (float(cell) for cell in row.split("|")[2:5])
        assert start > 0 and cold > 0 and warm > 0, row
    assert "Every variant wrote the same fact_events rows." in out
