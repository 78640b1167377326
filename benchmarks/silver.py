"""Silver benchmark: Spark's fact_events throughput next to a DuckDB baseline, and where the time
of a small partition goes.

    .venv/bin/python -m benchmarks.silver            # the full measurement, ~20 minutes
    .venv/bin/python -m benchmarks.silver --quick    # a smoke run, ~1-2 minutes

1. Throughput: `run_partition(table="fact_events")` on Bronze days of 10k, 100k and 1M events
   (sandbox records written by the real Bronze writer, with ~1 % page-drift duplicates and
   ~0.2 % records to quarantine), warm Spark session, each repetition followed by the DuckDB
   baseline (`duckdb_baseline.py`) on the same files, medians. The two outputs must hold the
   same rows (every column), the same event_key set and the same quarantine, or the ratio would
   compare different work.
2. Step: the Silver step of one `make run` partition (the sandbox's default day, ~300 events,
   no faults, the previous day already in Silver): seconds and Spark jobs per table and phase.

Prints markdown tables and exits 1 only when the harness's own numbers disagree (Spark and the
baseline did not produce the same data), never because a number missed a goal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
from pyspark.sql import SparkSession

from benchmarks import machine, report
from benchmarks.bronze_days import BronzeDay, write_bronze_day, write_bronze_days
from benchmarks.budget import settled_day
from benchmarks.checkout import env_for, product_path
from benchmarks.duckdb_baseline import BaselineRun, run_baseline
from benchmarks.spark_jobs import PHASE_LABELS, Measured, measure
from wistia_assets.transforms.results import to_json
from wistia_assets.transforms.runner import run_partition

# A fixed, made-up key: the benchmark hashes sandbox data only.
HASH_KEY = b"benchmark-hash-key-not-a-secret"
BIG_DAY = 500_000  # from this size on the Spark driver gets BIG_DRIVER_MEMORY (unless set)
BIG_DRIVER_MEMORY = "4g"
MAKE_RUN_EVENTS = "120-420"  # the sandbox's default day: what `make run` builds
TABLES = ("fact_media_by_date", "fact_events")


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]  # events per Bronze day, smallest first
    repetitions: int
    step_repetitions: int
    # A row is disturbed (a neighbour's job landed on it) when its slowest repetition took more
    # than this times its fastest; it is then measured again, up to `attempts` times in all.
    spread_limit: float = 1.5
    attempts: int = 3
    faults: str | None = None  # sandbox faults of the Bronze days; None: `realistic_faults`
    warm_up: bool = True  # one unmeasured Spark + DuckDB run before the first size


FULL = Plan(sizes=(10_000, 100_000, 1_000_000), repetitions=3, step_repetitions=5)
QUICK = Plan(sizes=(2_000, 10_000), repetitions=2, step_repetitions=2, attempts=1)


@dataclass
class SilverRow:
    day: BronzeDay
    spark_s: list[float]
    duckdb_s: list[float]
    hash_s: list[float]  # the baseline's Python HMAC share
    spark_metrics: dict[str, Any]
    baseline: BaselineRun
    load: str
    attempt: int = 1
    problems: list[str] = field(default_factory=list)

    @property
    def spark_median(self) -> float:
        return statistics.median(self.spark_s)

    @property
    def duckdb_median(self) -> float:
        return statistics.median(self.duckdb_s)

    @property
    def hash_median(self) -> float:
        return statistics.median(self.hash_s)

    @property
    def spread(self) -> float:
        """The larger max/min of the two series: 1.0 is a perfectly quiet machine."""
        return max(max(s) / min(s) for s in (self.spark_s, self.duckdb_s))


@dataclass
class StepProfile:
    lines: dict[str, list[int]]  # table -> Bronze lines of each day
    rows: dict[str, list[int]]  # table -> Silver rows written each day
    runs: dict[str, list[Measured]]  # table -> one measurement per day
    load: str

    def median(self, table: str) -> Measured:
        """The repetition with the median wall time (its phases add up to it)."""
        ordered = sorted(self.runs[table], key=lambda m: m.seconds)
        return ordered[(len(ordered) - 1) // 2]


def _silver_partition(day: BronzeDay, table: str = "fact_events") -> Path:
    return day.lake / f"silver/wistia/{table}/dt={day.dt}/media_id={day.media_id}"


def _quarantine_partition(day: BronzeDay) -> Path:
    return day.lake / f"bronze/wistia/_quarantine/events/dt={day.dt}/media_id={day.media_id}"


def run_spark(spark: SparkSession, day: BronzeDay, table: str = "fact_events") -> dict[str, Any]:
    return run_partition(
        spark,
        table=table,
        dt=day.dt,
        media_id=day.media_id,
        bronze_root=day.uri,
        silver_root=day.uri,
        hash_key=HASH_KEY if table == "fact_events" else None,
    )


def _duckdb_memory(spark: SparkSession) -> str:
    """The baseline gets the memory the Spark driver has (`2g` -> `2GB`)."""
    driver = spark.sparkContext.getConf().get("spark.driver.memory", "2g")
    return driver.upper().rstrip("B") + "B"


def compare_outputs(day: BronzeDay, spark_metrics: dict[str, Any], run: BaselineRun) -> list[str]:
    """Where Spark's output and the baseline's differ; empty when they did the same work."""
    problems = []
    names = ("rows", "duplicates_removed", "quarantine_reasons", "unknown_fields", "routed_away")
    for name in names:
        ours, theirs = spark_metrics[name], getattr(run, name)
        if ours != theirs:
            problems.append(f"{day.events} events: {name} Spark {ours} != DuckDB {theirs}")
    if spark_metrics["bronze_rows"] != day.lines or run.bronze_lines != day.lines:
        problems.append(
            f"{day.events} events: Bronze lines manifest {day.lines}, Spark "
            f"{spark_metrics['bronze_rows']}, DuckDB {run.bronze_lines}"
        )
    if spark_metrics["personal_values"] != run.personal_values:
        problems.append(
            f"{day.events} events: personal-value scan Spark {spark_metrics['personal_values']}"
            f" != DuckDB {run.personal_values}"
        )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        ours = f"read_parquet('{_silver_partition(day)}/*.parquet', hive_partitioning = false)"
        theirs = f"read_parquet('{run.parquet}', hive_partitioning = false)"
        if spark_metrics["rows"] or run.rows:
            checks = {
                "event_key set": "SELECT event_key FROM {a} EXCEPT SELECT event_key FROM {b}",
                "rows (every column)": "SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}",
            }
            for what, sql in checks.items():
                only_spark = con.execute(f"SELECT count(*) FROM ({sql.format(a=ours, b=theirs)})")
                only_spark = only_spark.fetchall()[0][0]
                only_duck = con.execute(f"SELECT count(*) FROM ({sql.format(a=theirs, b=ours)})")
                only_duck = only_duck.fetchall()[0][0]
                if only_spark or only_duck:
                    problems.append(
                        f"{day.events} events: {what} differ: {only_spark} only in Spark's, "
                        f"{only_duck} only in DuckDB's"
                    )
        if run.quarantined:
            columns = "reason, line, part_key, line_no"
            spec = "columns = {reason: 'VARCHAR', line: 'VARCHAR', part_key: 'VARCHAR', "
            spec += "line_no: 'BIGINT'}"
            a = f"SELECT {columns} FROM read_json('{_quarantine_partition(day)}/*.json', {spec})"
            b = f"SELECT {columns} FROM read_json('{run.parquet.parent.parent}/quarantine/*', "
            b += f"{spec})"
            differ = con.execute(
                f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})) + "
                f"(SELECT count(*) FROM ({b} EXCEPT ALL {a}))"
            ).fetchall()[0][0]
            if differ:
                problems.append(f"{day.events} events: {differ} quarantine rows differ")
    finally:
        con.close()
    return problems


def _measure_row(
    spark: SparkSession, day: BronzeDay, plan: Plan, work: Path, memory: str, attempt: int
) -> SilverRow:
    spark_s, duckdb_s, hash_s = [], [], []
    metrics: dict[str, Any] = {}
    baseline = None
    # Alternate the two so that a neighbour's burst of load falls on both, not on one.
    for _ in range(plan.repetitions):
        m = measure(spark, lambda: run_spark(spark, day))
        spark_s.append(m.seconds)
        metrics = to_json(m.result)
        baseline = run_baseline(day, work / "duckdb", hash_key=HASH_KEY, memory_limit=memory)
        duckdb_s.append(baseline.seconds)
        hash_s.append(baseline.hash_seconds)
    assert baseline is not None
    row = SilverRow(day, spark_s, duckdb_s, hash_s, metrics, baseline, machine.load(), attempt)
    row.problems = compare_outputs(day, metrics, baseline)
    return row


def measure_throughput(
    spark: SparkSession, plan: Plan, work: Path, *, progress: Callable[[str], None] = print
) -> list[SilverRow]:
    memory = _duckdb_memory(spark)
    day = settled_day()
    rows = []
    for n, events in enumerate(plan.sizes):
        progress(f"  silver: writing a Bronze day of {events:,} events ...")
        lake = work / f"lake-{events}"
        bronze = write_bronze_day(lake, events, day, faults=plan.faults)
        if n == 0 and plan.warm_up:
            # Warm-up, not measured: JIT, Python workers, DuckDB's extensions, the page cache.
            progress("  silver: warm-up ...")
            run_spark(spark, bronze)
            run_baseline(bronze, lake / "duckdb", hash_key=HASH_KEY, memory_limit=memory)
        best = None
        for attempt in range(1, plan.attempts + 1):
            progress(
                f"  silver: {events:,} events, {plan.repetitions} x (Spark, DuckDB), "
                f"attempt {attempt}, load {machine.load()}, "
                f"{machine.available_gib():.1f} GiB available ..."
            )
            row = _measure_row(spark, bronze, plan, lake, memory, attempt)
            if best is None or row.spread < best.spread:
                best = row
            if row.spread <= plan.spread_limit:
                break
            progress(f"  silver: disturbed (slowest/fastest {row.spread:.2f}), measuring again")
        assert best is not None
        rows.append(best)
    return rows


def measure_step(
    spark: SparkSession,
    work: Path,
    repetitions: int,
    *,
    events: int | str = MAKE_RUN_EVENTS,
    tables: tuple[str, ...] = TABLES,
    progress: Callable[[str], None] = print,
) -> StepProfile:
    """Both Silver tables of `repetitions` consecutive small days of one media, each built once
    after the day before, as `make run` builds them (the neighbour guard reads the day before)."""
    lake = work / "lake-step"
    last = settled_day()
    days = tuple(last - timedelta(days=n) for n in range(repetitions, -1, -1))
    bronze = write_bronze_days(lake, events, days, faults="", media_by_date=True)
    for table in tables:
        run_spark(spark, bronze[0], table)
    runs: dict[str, list[Measured]] = {table: [] for table in tables}
    rows: dict[str, list[int]] = {table: [] for table in tables}
    lines: dict[str, list[int]] = {table: [] for table in tables}
    progress(f"  silver step: both tables of {repetitions} consecutive days ...")
    for day in bronze[1:]:
        for table in tables:  # the asset's order: by_date first
            m = measure(spark, lambda t=table, d=day: run_spark(spark, d, t), phases=True)
            runs[table].append(m)
            rows[table].append(int(m.result.rows))
            lines[table].append(int(m.result.bronze_rows))
    return StepProfile(lines, rows, runs, machine.load())


def step_inconsistencies(profile: StepProfile) -> list[str]:
    """Days of the same shape (no faults) must start the same Spark jobs and write rows."""
    problems = []
    for table, runs in profile.runs.items():
        if len({m.jobs for m in runs}) != 1:
            problems.append(f"{table}: Spark jobs differ between days: {[m.jobs for m in runs]}")
        if not all(profile.rows[table]):
            problems.append(f"{table}: a day wrote no rows: {profile.rows[table]}")
    return problems


class StepWorker:
    """A `benchmarks.step_worker` child: its own Spark session, its own copy of the lake, and
    `product` (a `checkout.product_path`) first on its path when given."""

    def __init__(self, lake: Path, product: Path | None):
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.step_worker", "--lake", str(lake)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # Not the repository: `-m` puts the working folder first on the path, where it
            # would shadow `product`.
            cwd=lake.parent,
            env=env_for(product),
        )
        self.product = self._answer()["product"]

    def _answer(self) -> dict:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a step worker exited early (code {self._proc.wait()})")
        return json.loads(line)

    def build(self, day: BronzeDay, table: str) -> Measured:
        assert self._proc.stdin is not None
        request = {"dt": day.dt, "media_id": day.media_id, "table": table}
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer = self._answer()
        phases = {label: (s, int(n)) for label, (s, n) in answer["phases"].items()}
        return Measured(answer["seconds"], answer["jobs"], phases, answer)

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()  # EOF: the worker stops its session and exits
        try:
            self._proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self._proc.kill()  # our own child, by its PID
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def measure_step_paired(
    work: Path,
    repetitions: int,
    products: dict[str, Path | None],
    *,
    events: int | str = MAKE_RUN_EVENTS,
    progress: Callable[[str], None] = print,
) -> dict[str, StepProfile]:
    """`measure_step` for several checkouts at once, day by day in turn (the order alternates
    from day to day), each in its own worker on its own copy of the same Bronze: every day's
    builds run within seconds of each other, so a neighbour's load falls on all of them."""
    base = work / "lake-step-base"
    last = settled_day()
    days = tuple(last - timedelta(days=n) for n in range(repetitions, -1, -1))
    bronze = write_bronze_days(base, events, days, faults="", media_by_date=True)
    workers: dict[str, StepWorker] = {}
    try:
        for n, (label, product) in enumerate(products.items()):
            lake = work / f"lake-step-{n}"
            shutil.copytree(base, lake)
            workers[label] = StepWorker(lake, product)
            progress(f"  silver step: {label} runs {workers[label].product}")
        profiles = {label: StepProfile({}, {}, {}, "") for label in workers}
        for label, worker in workers.items():
            for table in TABLES:
                worker.build(bronze[0], table)  # the day before; also warms the session
                for field_ in (profiles[label].runs, profiles[label].rows, profiles[label].lines):
                    field_[table] = []
        progress(f"  silver step: both tables of {repetitions} consecutive days, in turn ...")
        for i, day in enumerate(bronze[1:]):
            order = list(workers) if i % 2 == 0 else list(reversed(workers))
            for label in order:
                for table in TABLES:
                    m = workers[label].build(day, table)
                    profiles[label].runs[table].append(m)
                    profiles[label].rows[table].append(m.result["rows"])
                    profiles[label].lines[table].append(m.result["bronze_rows"])
        load = machine.load()
        for profile in profiles.values():
            profile.load = load
    finally:
        for worker in workers.values():
            worker.close()
    return profiles


def say(text: str) -> None:
    """Progress goes to stderr: stdout is the report, to paste as is."""
    print(text, file=sys.stderr, flush=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.silver", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smoke mode (~1-2 min) instead of full")
    p.add_argument("--sizes", help="events per Bronze day, comma-separated (10000,100000,...)")
    p.add_argument("--reps", type=int, help="repetitions per size (median reported)")
    p.add_argument("--step-reps", type=int, help="days in the step profile (5)")
    p.add_argument(
        "--step-events", help=f"events per day in the step profile, N or LO-HI ({MAKE_RUN_EVENTS})"
    )
    p.add_argument("--only", choices=("throughput", "step"), help="run one half only")
    p.add_argument(
        "--compare",
        type=Path,
        action="append",
        metavar="CHECKOUT",
        help="the step of another checkout of the repository (e.g. a `git worktree` of an "
        "older commit) next to this one's, day by day in turn; repeatable",
    )
    return p.parse_args(argv)


def _plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    if args.sizes:
        plan = replace(plan, sizes=tuple(int(s) for s in args.sizes.split(",")))
    if args.reps:
        plan = replace(plan, repetitions=args.reps)
    if args.step_reps:
        plan = replace(plan, step_repetitions=args.step_reps)
    return plan


def spark_session(plan: Plan) -> SparkSession:
    from wistia_assets.transforms.session import local_spark_session

    if max(plan.sizes) >= BIG_DAY:
        # The persisted parse of a 1M-event day (~1 GB of lines) fits a 4 GB driver without
        # spilling; WISTIA_SPARK_DRIVER_MEMORY still wins when it is set.
        os.environ.setdefault("WISTIA_SPARK_DRIVER_MEMORY", BIG_DRIVER_MEMORY)
    return local_spark_session(app_name="wistia_assets_bench")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    plan = _plan(args)
    say(f"machine: {machine.describe()}; load {machine.load()}")
    say(f"  memory available: {machine.available_gib():.1f} GiB")
    throughput: list[SilverRow] = []
    step: StepProfile | None = None
    paired: dict[str, StepProfile] = {}
    driver = "?"
    step_events = args.step_events or MAKE_RUN_EVENTS
    with tempfile.TemporaryDirectory(prefix="bench-silver-") as work:
        if args.compare and args.only != "throughput":
            # First, before this process starts a session of its own: the workers get the
            # cores to themselves.
            products: dict[str, Path | None] = {
                f"compared: {c}": product_path(c, Path(work)) for c in args.compare
            }
            products["this checkout"] = None
            paired = measure_step_paired(
                Path(work), plan.step_repetitions, products, events=step_events, progress=say
            )
        if args.only != "step" or (not args.compare and args.only != "throughput"):
            spark = spark_session(plan)
            driver = spark.sparkContext.getConf().get("spark.driver.memory", "?")
            if args.only != "step":
                throughput = measure_throughput(spark, plan, Path(work), progress=say)
            if args.only != "throughput" and not args.compare:
                step = measure_step(
                    spark, Path(work), plan.step_repetitions, events=step_events, progress=say
                )

    print(f"\nMachine: {machine.describe()}.\n")
    if throughput:
        print(
            f'Throughput: `run_partition(table="fact_events")` on local Spark (local[2], driver '
            f"{driver}, warm session) vs the DuckDB baseline (2 threads, the same memory), "
            f"{plan.repetitions} repetitions each, alternating, medians.\n"
        )
        print(report.silver_table(throughput))
    if step:
        lines = step.lines["fact_events"]
        print(
            f"\nStep: the Silver step (both tables) of "
            f"{plan.step_repetitions} consecutive days of one media ({min(lines)}-{max(lines)} "
            "event lines, no faults), each built once after the day before; the median day.\n"
        )
        print(report.step_table(step, PHASE_LABELS))
    if paired:
        some = next(iter(paired.values()))
        lines = some.lines["fact_events"]
        print(
            f"\nStep, {len(paired)} checkouts day by day in turn (each its own Spark session and "
            f"copy of the lake): both tables of {plan.step_repetitions} consecutive days of one "
            f"media ({min(lines)}-{max(lines)} event lines, no faults); medians over the days.\n"
        )
        print(report.step_comparison_table(paired, PHASE_LABELS))
    problems = [p for row in throughput for p in row.problems]
    problems += step_inconsistencies(step) if step else []
    problems += [p for profile in paired.values() for p in step_inconsistencies(profile)]
    for problem in problems:
        print(f"HARNESS INCONSISTENT: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
