"""Markdown tables of the ingestion benchmark: readable in a terminal, pasted as is into
docs/BENCHMARKS.md."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.budget import BudgetRun
from benchmarks.memory import MemoryRun

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
        met = best.budget_share >= BUDGET_GOAL
        lines.append(
            f"- budget used, best run ({best.config.label}): {best.budget_share:.1%} "
            f"(goal >= {BUDGET_GOAL:.0%}): {'met' if met else 'NOT met'}"
        )
        if best.elapsed_s < 60:
            # The bucket starts full: in a short run its burst is a large share of the requests.
            lines.append(
                "  (a run shorter than a minute reads high: the budget starts with a burst)"
            )
        over = max(r.over_budget for r in budget)
        lines.append(
            f"- requests over the budget in any 60 s window, worst run: {over} (goal 0): "
            f"{'met' if over == 0 else 'NOT met'}"
        )
    if len(memory) >= 2:
        diff = (memory[-1].peak_kb - memory[0].peak_kb) / 1024
        lines.append(
            f"- peak RSS, {memory[-1].events:,} vs {memory[0].events:,} events: {diff:+.1f} MB "
            f"(goal within {MEMORY_GOAL_MB:.0f} MB): "
            f"{'met' if abs(diff) <= MEMORY_GOAL_MB else 'NOT met'}"
        )
    return lines
