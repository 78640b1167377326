"""Markdown tables of the benchmarks: readable in a terminal, pasted as is into
docs/BENCHMARKS.md."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

from benchmarks.budget import BudgetRun
from benchmarks.memory import MemoryRun

if TYPE_CHECKING:  # the Silver harness imports Spark: the ingestion tables should not need it
    from benchmarks.silver import SilverRow, StepProfile

BUDGET_GOAL = 0.95
MEMORY_GOAL_MB = 50.0


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def budget_table(runs: Sequence[BudgetRun], loads: Sequence[str]) -> str:
    baseline = runs[0].elapsed_s
    rows = []
    for run, load in zip(runs, loads, strict=True):
        c = run.config
        windows = len(run.pulls)
        useful = run.minimum_requests / (c.rate_per_minute / 60.0 * run.elapsed_s)
        rows.append(
            [
                c.label,
                c.prefetch,
                c.concurrency,
                f"{run.requests} ({run.minimum_requests})",
                f"{run.requests / windows:.2f} ({run.minimum_requests / windows:.2f})",
                f"{run.elapsed_s:.1f}",
                f"{run.budget_share:.1%}",
                f"{useful:.1%}",
                f"{run.max_in_60s} / {int(c.rate_per_minute)}",
                run.over_budget,
                f"{baseline / run.elapsed_s:.2f}x",
                load,
            ]
        )
    header = [
        "run",
        "prefetch",
        "windows at once",
        "requests (minimum)",
        "per window (minimum)",
        "elapsed s",
        "budget used",
        "needed / budget",
        "busiest 60 s / budget",
        "over",
        "speed vs first",
        "load 1/5/15 after",
    ]
    return table(header, rows)


def memory_table(runs: Sequence[MemoryRun]) -> str:
    def mb(kb: int | None) -> str:
        return "n/a" if kb is None else f"{kb / 1024:.1f}"

    rows = [
        [
            f"{r.events:,}",
            "drift: every page shifts" if r.faults else "none",
            r.reads,
            f"{r.bytes / 1e6:,.0f}",
            r.pages,
            r.requests,
            f"{r.seconds:.1f}",
            mb(r.rss_before_kb),
            mb(r.peak_kb),
            f"{r.growth_mb:.1f}",
            f"{mb(r.malloc_in_use_kb)} / {mb(r.malloc_free_kb)}",
        ]
        for r in runs
    ]
    header = [
        "events in the day",
        "faults",
        "reads",
        "NDJSON MB",
        "pages",
        "requests",
        "ingest s",
        "RSS before MB",
        "peak RSS MB",
        "peak - before MB",
        "malloc in use / free MB",
    ]
    return table(header, rows)


def verdicts(budget: Sequence[BudgetRun], memory: Sequence[MemoryRun]) -> list[str]:
    lines = []
    if budget:
        best = max(budget, key=lambda r: r.budget_share)
        if best.elapsed_s < 60:
            # The bucket starts full: in a run shorter than a minute its burst is a large share
            # of the requests, and the share can exceed 100 %. Nothing to judge.
            verdict = "not judged: a run shorter than a minute reads high (the initial burst)"
        else:
            verdict = "met" if best.budget_share >= BUDGET_GOAL else "NOT met"
        lines.append(
            f"- budget used, best run ({best.config.label}): {best.budget_share:.1%} "
            f"(goal >= {BUDGET_GOAL:.0%}): {verdict}"
        )
        over = max(r.over_budget for r in budget)
        lines.append(
            f"- requests over the budget in any 60 s window, worst run: {over} (goal 0): "
            f"{'met' if over == 0 else 'NOT met'}"
        )
    plain = [r for r in memory if not r.faults]
    for run in [*plain[1:], *(r for r in memory if r.faults)]:
        diff = (run.peak_kb - plain[0].peak_kb) / 1024
        what = f"{run.events:,}{' re-read (drift)' if run.faults else ''}"
        lines.append(
            f"- peak RSS, {what} vs {plain[0].events:,} events: {diff:+.1f} MB "
            f"(goal within {MEMORY_GOAL_MB:.0f} MB): "
            f"{'met' if abs(diff) <= MEMORY_GOAL_MB else 'NOT met'}"
        )
    return lines


def _rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f}"


def silver_table(rows: Sequence[SilverRow]) -> str:
    """Spark vs the DuckDB baseline per Bronze day size; events are Bronze lines read."""
    body = []
    for r in rows:
        lines = r.day.lines
        body.append(
            [
                f"{r.day.events:,}",
                f"{lines:,}",
                f"{r.spark_metrics['rows']:,}",
                f"{r.spark_metrics['duplicates_removed']:,} / {r.spark_metrics['quarantined']:,}",
                f"{r.spark_median:.2f}",
                _rate(lines, r.spark_median),
                f"{r.duckdb_median:.2f}",
                _rate(lines, r.duckdb_median),
                f"{r.spark_median / r.duckdb_median:.1f}x",
                f"{r.hash_median:.2f}",
                f"{r.spread:.2f}",
                r.attempt,
                r.load,
            ]
        )
    header = [
        "events/day",
        "Bronze lines",
        "Silver rows",
        "dups / quarantined",
        "Spark s",
        "Spark events/s",
        "DuckDB s",
        "DuckDB events/s",
        "Spark s / DuckDB s",
        "of which HMAC s (DuckDB)",
        "slowest/fastest",
        "attempt",
        "load 1/5/15 after",
    ]
    return table(header, body)


def step_table(profile: StepProfile, phases: Sequence[str]) -> str:
    """Seconds and Spark jobs per phase of each table's median run, then the totals."""
    tables = list(profile.runs)
    medians = {t: profile.median(t) for t in tables}
    body = []
    for phase in phases:
        cells = [phase]
        for t in tables:
            seconds, jobs = medians[t].phases.get(phase, (0.0, 0))
            cells += [f"{seconds:.2f}", jobs]
        body.append(cells)
    total = ["total"]
    for t in tables:
        total += [f"**{medians[t].seconds:.2f}**", f"**{medians[t].jobs}**"]
    body.append(total)
    header = ["phase"]
    for t in tables:
        header += [f"{t} s", "jobs"]
    return table(header, body) + f"\n\n(load 1/5/15 after: {profile.load})"


def step_comparison_table(profiles: dict[str, StepProfile], phases: Sequence[str]) -> str:
    """Per table and phase, the median seconds and the jobs of each checkout; then the whole
    step (both tables) and the day-by-day ratio of the last checkout to the first."""
    labels = list(profiles)
    tables = list(next(iter(profiles.values())).runs)
    body = []
    for t in tables:
        for phase in [*phases, "total"]:
            cells = [t if phase == phases[0] else "", phase]
            for label in labels:
                runs = profiles[label].runs[t]
                if phase == "total":
                    seconds, jobs = statistics.median(m.seconds for m in runs), runs[0].jobs
                    cells += [f"**{seconds:.2f}**", f"**{jobs}**"]
                else:
                    split = [m.phases.get(phase, (0.0, 0)) for m in runs]
                    cells += [f"{statistics.median(s for s, _ in split):.2f}", split[0][1]]
            body.append(cells)
    steps = {
        label: [sum(p.runs[t][i].seconds for t in tables) for i in range(len(p.runs[tables[0]]))]
        for label, p in profiles.items()
    }
    cells = ["both tables", "step"]
    for label in labels:
        jobs = sum(profiles[label].runs[t][0].jobs for t in tables)
        cells += [f"**{statistics.median(steps[label]):.2f}**", f"**{jobs}**"]
    body.append(cells)
    first, last = labels[0], labels[-1]
    ratios = [b / a for a, b in zip(steps[first], steps[last], strict=True)]
    header = ["table", "phase"]
    for label in labels:
        header += [f"{label} s", "jobs"]
    note = (
        f"\n\nStep time, {last} / {first}, day by day: median {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} days). "
        f"Load 1/5/15 after: {next(iter(profiles.values())).load}."
    )
    return table(header, body) + note


def end_to_end_table(parts: Sequence[tuple[str, float, str]], wall_s: float) -> str:
    rows = [
        [part, f"{seconds:.1f}", f"{seconds / wall_s:.0%}", how] for part, seconds, how in parts
    ]
    rows.append(["**total (wall)**", f"**{wall_s:.1f}**", "100%", "parent: spawn -> exit"])
    return table(["part", "seconds", "share", "measured as"], rows)


def end_to_end_runs_table(
    runs: Sequence[tuple[str, Sequence[tuple[str, float, str]], float, str]],
) -> str:
    """One column per run (label, breakdown, wall s, load after), one row per part."""
    parts = [part for part, _, _ in runs[0][1]]
    body = []
    for i, part in enumerate(parts):
        body.append([part, *[f"{breakdown[i][1]:.1f}" for _, breakdown, _, _ in runs]])
    body.append(["**total (wall)**", *[f"**{wall:.1f}**" for _, _, wall, _ in runs]])
    header = ["part", *[f"{n + 1}. {label} ({load})" for n, (label, _, _, load) in enumerate(runs)]]
    return table(header, body)


def steps_table(rows: Sequence[tuple[str, int, float, float, float, float]]) -> str:
    body = [
        [step, n, f"{total:.1f}", f"{first:.2f}", f"{rest:.2f}", f"{most:.2f}"]
        for step, n, total, first, rest, most in rows
    ]
    header = ["step", "runs", "total s", "first s", "median of the rest s", "max s"]
    return table(header, body)
