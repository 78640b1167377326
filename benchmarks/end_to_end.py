"""End-to-end benchmark: the wall time of `make run` (7 days x 2 media) and where it goes.

    .venv/bin/python -m benchmarks.end_to_end            # this checkout and the baseline
    .venv/bin/python -m benchmarks.end_to_end --quick    # 1 day x 2 media
    .venv/bin/python -m benchmarks.end_to_end --baseline REF | --compare DIR | --no-baseline

Unless told otherwise the same invocation runs the baseline too: the product of commit
`checkout.BASELINE_REF` (the design before issue 18), exported with `git archive` into a
temporary folder and run with this virtualenv, alternating with this checkout's, and prints the
ratio of their wall times.

`wistia-assets run --days N` runs in a child process (`end_to_end_probe`) on the embedded
defaults (the built-in sandbox API, the local lake, local Spark), in a temporary folder with its
own DAGSTER_HOME (a copy of dagster.local.yaml, as `make run` makes) and WISTIA_LAKE_ROOT, with
Python's bytecode kept as that version's own Makefile keeps it for `make run` (not as the shell
that started the harness does: `checkout.make_python_env`). Two
independent sources say where the time went:

- the probe's stopwatches around the parts the CLI calls (Spark session start, the Bronze
  ingestion functions, each Silver transform, the DuckDB catalog, watermarks, each Dagster run,
  the definitions, the summary);
- the Dagster event log of the runs: each step's STEP_START -> STEP_SUCCESS.

What the stopwatches do not cover inside a step is Dagster's own work there (event log writes,
metadata and check results); what the steps do not cover inside a run is Dagster's run
machinery (planning, resources, run start and end). Exits 1 when the two sources disagree (a
step shorter than the work timed inside it) or the run failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import machine, report
from benchmarks.checkout import BASELINE_REF, env_for, export_ref, makefile_of, product_path
from benchmarks.sandbox_process import REPO_ROOT

# Settings that would move the run off the embedded defaults (the developer's shell may set
# them); WISTIA_SPARK_DRIVER_MEMORY is kept: it is how this machine's Spark must be sized.
_KEEP = {"WISTIA_SPARK_DRIVER_MEMORY"}
_DROP = ("WISTIA_", "DAGSTER_", "MEDIA_IDS", "BRONZE_BUCKET", "SILVER_BUCKET")
STEP_EVENTS = ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE")


@dataclass
class StepTime:
    step: str
    run_label: str
    seconds: float


@dataclass
class EndToEnd:
    days: int
    wall_s: float  # the child process, spawn to exit, as the parent saw it
    exit_code: int
    probe: dict  # the probe's JSON
    spawned: float  # parent's monotonic at spawn
    steps: list[StepTime] = field(default_factory=list)
    events_per_run: list[int] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)  # each run's job, oldest first
    ranged_runs: int = 0  # runs of a range of (day, media) partitions
    load: str = ""
    output_tail: str = ""

    def spent(self, bucket: str, label: str | None = None) -> float:
        return sum(
            end - start
            for start, end, name in self.probe["intervals"].get(bucket, [])
            if label is None or name == label
        )

    def spark_start(self) -> float:
        """The CLI's first getOrCreate (JVM + SparkContext, or the wait for the session started
        early on another thread); later calls return the running one."""
        calls = self.probe["intervals"].get("spark_start", [])
        return calls[0][1] - calls[0][0] if calls else 0.0

    def step_total(self, step: str | None = None) -> float:
        return sum(s.seconds for s in self.steps if step is None or s.step == step)

    def breakdown(self) -> list[tuple[str, float, str]]:
        """(part, seconds, how it was measured); the parts add up to the wall time."""
        imported, ended = self.probe["imported"], self.probe["ended"]
        runs = self.spent("runs")
        first_run = min((s for s, _, _ in self.probe["intervals"]["runs"]), default=ended)
        spark = self.spark_start()
        bronze = self.spent("bronze_api")
        silver = {t: self.spent("silver", t) for t in ("fact_events", "fact_media_by_date")}
        dim = self.spent("silver", "dim_media")
        catalog = self.spent("catalog") + self.spent("watermarks")
        # Gold's steps whole (their Spark, charts and Dagster time): the report's share of a run.
        gold = self.step_total("media_daily") + self.step_total("media_report")
        in_steps = self.step_total() - spark - bronze - sum(silver.values()) - dim - catalog - gold
        around_steps = runs - self.step_total()
        setup = first_run - imported
        summary = self.spent("summary")
        parts = [
            ("Python start + imports", imported - self.spawned, "spawn -> CLI imported"),
            ("CLI setup: definitions, instance", setup, "CLI imported -> first run"),
            ("Spark session start", spark, "first SparkSession getOrCreate"),
            ("Wistia API -> Bronze (sandbox)", bronze, "ingest_* calls in bronze_ingest"),
            ("Silver fact_events", silver["fact_events"], "run_partition(s)(fact_events)"),
            (
                "Silver fact_media_by_date",
                silver["fact_media_by_date"],
                "run_partition(s)(fact_media_by_date)",
            ),
            ("Silver dim_media", dim, "run_dim_media"),
            ("checks: DuckDB catalog + watermarks", catalog, "catalog queries, advance()"),
            ("Gold media_daily + media_report", gold, "their steps (event log)"),
            ("Dagster inside steps", in_steps, "steps (event log) - the above"),
            ("Dagster around steps", around_steps, "runs - steps (event log)"),
            ("summary + smoke queries", summary, "print_summary"),
        ]
        other = self.wall_s - sum(seconds for _, seconds, _ in parts)
        parts.append(("other: between runs, exit", other, "wall - the above"))
        return parts


def _env(home: Path, lake: Path, product: Path | None, makefile: Path) -> dict[str, str]:
    env = env_for(product, makefile)
    env = {k: v for k, v in env.items() if k in _KEEP or not k.startswith(_DROP)}
    env.update(DAGSTER_HOME=str(home), WISTIA_LAKE_ROOT=str(lake), DAGSTER_DEPLOYMENT="local")
    return env


def read_steps(home: Path) -> tuple[list[StepTime], list[int], list[str], int]:
    """Each step's duration, each run's event count and job, from the Dagster event log; and how
    many runs were of a range of partitions."""
    from dagster import DagsterInstance

    from wistia_assets.orchestration.jobs import RANGE_START_TAG

    instance = DagsterInstance.from_config(str(home))
    steps, counts, jobs, ranged = [], [], [], 0
    try:
        for run in reversed(instance.get_runs()):  # oldest first
            label = run.tags.get("dagster/partition") or run.job_name
            jobs.append(run.job_name)
            ranged += run.job_name == "wistia_window" and RANGE_START_TAG in run.tags
            started: dict[str, float] = {}
            events = instance.all_logs(run.run_id)
            counts.append(sum(1 for e in events if e.dagster_event is not None))
            for entry in events:
                kind = entry.dagster_event.event_type_value if entry.dagster_event else None
                if kind == "STEP_START":
                    started[entry.step_key] = entry.timestamp
                elif kind in STEP_EVENTS and entry.step_key in started:
                    seconds = entry.timestamp - started.pop(entry.step_key)
                    steps.append(StepTime(entry.step_key, label, seconds))
    finally:
        instance.dispose()
    return steps, counts, jobs, ranged


def measure(days: int, *, checkout: Path | None = None) -> EndToEnd:
    """One `wistia-assets run --days N` from an empty lake and an empty instance; the product
    of `checkout` (another version of the repository) instead of this one's when given."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        work = Path(tmp)
        product = product_path(checkout, work) if checkout is not None else None
        home, lake = work / "dagster_home", work / "lake"
        home.mkdir()
        shutil.copy(REPO_ROOT / "dagster.local.yaml", home / "dagster.yaml")
        timings = work / "timings.json"
        spawned = time.monotonic()
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "benchmarks.end_to_end_probe",
                "--timings",
                str(timings),
                "--",
                "run",
                "--days",
                str(days),
            ],
            capture_output=True,
            text=True,
            cwd=work,
            env=_env(home, lake, product, makefile_of(checkout)),
            timeout=3600,
            check=False,
        )
        wall = time.monotonic() - spawned
        load = machine.load()
        if not timings.exists():
            raise RuntimeError(f"the run wrote no timings:\n{completed.stderr[-4000:]}")
        probe = json.loads(timings.read_text())
        steps, counts, jobs, ranged = read_steps(home)
    return EndToEnd(
        days=days,
        wall_s=wall,
        exit_code=completed.returncode,
        probe=probe,
        spawned=spawned,
        steps=steps,
        events_per_run=counts,
        jobs=jobs,
        ranged_runs=ranged,
        load=load,
        output_tail=(completed.stdout + completed.stderr)[-4000:],
    )


def step_summary(run: EndToEnd) -> list[tuple[str, int, float, float, float, float]]:
    """(step, count, total, first, median of the rest, max) per step key, from the event log."""
    by_step: dict[str, list[float]] = defaultdict(list)
    for s in run.steps:
        by_step[s.step].append(s.seconds)
    rows = []
    for step, times in by_step.items():
        rest = times[1:] or times
        rows.append((step, len(times), sum(times), times[0], statistics.median(rest), max(times)))
    return rows


def inconsistencies(run: EndToEnd) -> list[str]:
    problems = []
    if run.exit_code != 0:
        problems.append(f"the run exited {run.exit_code}:\n{run.output_tail}")
    # One run per (day, media), plus (since stop 29) one Silver run per range of them, then
    # dim_media, then (since the media report) the Gold pair once; an older checkout given to
    # --compare has no Gold runs.
    expected = {"wistia_window": 2 * run.days + run.ranged_runs, "dim_media_refresh": 1}
    if "media_daily_build" in run.jobs or "media_report_build" in run.jobs:
        expected |= {"media_daily_build": 1, "media_report_build": 1}
    found = Counter(run.jobs)
    if found != Counter(expected):
        problems.append(f"Dagster runs by job {dict(found)}, expected {expected}")
    for part, seconds, _ in run.breakdown():
        # Each part is a difference of nested intervals: negative means they do not nest.
        if seconds < -0.05:
            problems.append(f"{part}: {seconds:.2f} s (the timings do not nest)")
    return problems


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.end_to_end", description=__doc__)
    p.add_argument("--quick", action="store_true", help="1 day x 2 media instead of 7 days")
    p.add_argument("--days", type=int, help="days per media (default 7, as `make run`)")
    p.add_argument("--rounds", type=int, default=1, help="runs of each product (1)")
    p.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also run another checkout's product (e.g. a `git worktree` of an older commit), "
        "alternating with this one's (instead of --baseline's)",
    )
    p.add_argument(
        "--baseline",
        default=BASELINE_REF,
        metavar="REF",
        help=f"the commit whose product runs beside this one's (default {BASELINE_REF}, "
        "the design before issue 18)",
    )
    p.add_argument("--no-baseline", action="store_true", help="run this checkout's product only")
    return p.parse_args(argv)


def ratio_lines(runs: Sequence[tuple[str, EndToEnd]]) -> list[str]:
    """Each product's median wall time, and every other product's against the first's."""
    walls: dict[str, list[float]] = defaultdict(list)
    for label, run in runs:
        walls[label].append(run.wall_s)
    medians = {label: statistics.median(w) for label, w in walls.items()}
    mine = medians.get("this checkout")
    lines = [
        f"- {label}: median wall {m:.1f} s of {len(walls[label])}" for label, m in medians.items()
    ]
    if mine:
        for label, m in medians.items():
            if label != "this checkout":
                lines.append(f"- **{label} / this checkout: {m / mine:.2f}x** (wall time ratio)")
    return lines


def jobs_lines(runs: Sequence[tuple[str, EndToEnd]]) -> list[str]:
    """Spark jobs per table build, per product (first build, then the others)."""
    lines = []
    seen = set()
    for label, run in runs:
        if label in seen:
            continue
        seen.add(label)
        for table, counts in sorted(run.probe.get("spark_jobs", {}).items()):
            rest = counts[1:] or counts
            lines.append(
                f"- {label}, {table}: {len(counts)} builds, Spark jobs first {counts[0]}, "
                f"then {min(rest)}-{max(rest)} (median {statistics.median(rest):g})"
            )
    return lines


def plan_runs(rounds: int, compare: Path | None) -> list[tuple[str, Path | None]]:
    """(label, checkout) in the order to run them: with a comparison, the two alternate and the
    one that goes first alternates too, so a trend in the machine's load favours neither."""
    if compare is None:
        return [("this checkout", None)] * rounds
    pair = [("this checkout", None), (f"compared: {compare}", compare)]
    return [run for n in range(rounds) for run in (pair if n % 2 == 0 else pair[::-1])]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    days = args.days or (1 if args.quick else 7)
    say(f"machine: {machine.describe()}; load {machine.load()}")
    runs: list[tuple[str, EndToEnd]] = []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-baseline-") as tmp:
        compare = args.compare
        if compare is None and not args.no_baseline:
            compare = export_ref(args.baseline, Path(tmp) / args.baseline)
            say(f"  baseline: the product of {args.baseline}, exported to {compare}")
        for label, checkout in plan_runs(args.rounds, compare):
            say(f"  end to end: wistia-assets run --days {days} (2 media), {label}, fresh lake")
            runs.append((label, measure(days, checkout=checkout)))

    print(f"\nMachine: {machine.describe()}.\n")
    label, run = runs[0]
    if len(runs) == 1:
        print(
            f"End to end: `wistia-assets run --days {days}` on the embedded defaults, "
            f"{2 * days} partitions + dim_media + the Gold pair, a fresh lake and instance: "
            f"**{run.wall_s:.1f} s** wall (load 1/5/15 after: {run.load}).\n"
        )
        print(report.end_to_end_table(run.breakdown(), run.wall_s))
    else:
        print(
            f"End to end: `wistia-assets run --days {days}` on the embedded defaults, "
            f"{2 * days} partitions + dim_media + the Gold pair, each run from a fresh lake "
            "and instance, in this order; seconds per part (load 1/5/15 after each run in the "
            "header).\n"
        )
        print(
            report.end_to_end_runs_table(
                [(lbl, r.breakdown(), r.wall_s, r.load) for lbl, r in runs]
            )
        )
    if len(runs) > 1:
        print("\nWall time:\n")
        print("\n".join(ratio_lines(runs)))
    print("\nSpark jobs per table build:\n")
    print("\n".join(jobs_lines(runs)))
    shown = set()
    for label, run in runs:
        if label in shown:
            continue
        shown.add(label)
        print(f"\nSteps of the first run of {label}, from its Dagster event log (first = cold):\n")
        print(report.steps_table(step_summary(run)))
    events = run.events_per_run
    if events:
        print(
            f"\nDagster events per run: {min(events)}-{max(events)} "
            f"({sum(events)} in all), each a write to the SQLite event log."
        )
    problems = [p for _, r in runs for p in inconsistencies(r)]
    for problem in problems:
        print(f"HARNESS INCONSISTENT: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
