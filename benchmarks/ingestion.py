"""Ingestion benchmark: rate-budget use and memory, measured side by side in one run.

    .venv/bin/python -m benchmarks.ingestion            # the full measurement, ~15 minutes
    .venv/bin/python -m benchmarks.ingestion --quick    # a smoke run, ~20 seconds

1. Rate budget: a backfill of 2 media x N days against the sandbox over loopback HTTP (its own
   process) with 200 ms latency per request, once per client configuration on the same windows.
   Reports the share of the configured budget used, the busiest 60 s window against the budget,
   and requests per day window against the minimum.
2. Memory: peak RSS of ingesting one day of 10,000 vs 1,000,000 events, each in a fresh process,
   the sandbox in another, no latency, a budget too high to wait on; and the largest day again
   with page drift all day long, so the pull re-reads it (two reads, the first one's digest
   held while the second runs).

Prints markdown tables and exits 1 only when the harness's own counts disagree (a broken
measurement), never because a number missed a goal: timings are for comparing, not asserting.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

from benchmarks import machine, report
from benchmarks.budget import BudgetConfig, BudgetRun, day_windows, run_budget, settled_day
from benchmarks.budget import inconsistencies as budget_inconsistencies
from benchmarks.memory import MemoryRun, drift_faults, measure_day
from benchmarks.memory import inconsistencies as memory_inconsistencies
from benchmarks.sandbox_process import SandboxProcess
from wistia_assets.settings import Settings

DEFAULTS = Settings()


@dataclass(frozen=True)
class Plan:
    rate_per_minute: float
    latency_ms: int
    days: int  # per media, for the rate-budget backfill
    memory_events: tuple[int, ...]  # day sizes, smallest first
    tuned_prefetch: int
    tuned_windows: int

    def configs(self) -> tuple[BudgetConfig, ...]:
        rate = self.rate_per_minute
        default = DEFAULTS.page_prefetch
        return (
            BudgetConfig("one page at a time", rate, prefetch=1),
            BudgetConfig(f"WISTIA_PAGE_PREFETCH default ({default})", rate, prefetch=default),
            BudgetConfig(
                f"tuned: {self.tuned_windows} windows at once",
                rate,
                prefetch=self.tuned_prefetch,
                concurrency=self.tuned_windows,
            ),
            BudgetConfig(
                f"WISTIA_POOL_SLOTS={self.tuned_windows}: {self.tuned_windows} runs, "
                f"1/{self.tuned_windows} each",
                rate,
                prefetch=default,
                concurrency=self.tuned_windows,
                split_budget=True,
            ),
        )


# The repo's per-process budget (WISTIA_RATE_LIMIT_PER_MINUTE): with 200 ms per request it needs
# more than one request in flight, which is what the comparison is about. 180 days x 2 media is
# ~1,200 requests: 2.5 minutes at full budget, longer for the configurations that waste it.
FULL = Plan(
    rate_per_minute=DEFAULTS.rate_limit_per_minute,
    latency_ms=200,
    days=180,
    memory_events=(10_000, 1_000_000),
    tuned_prefetch=DEFAULTS.page_prefetch,
    tuned_windows=2,
)
QUICK = Plan(
    rate_per_minute=DEFAULTS.rate_limit_per_minute,
    latency_ms=200,
    days=3,
    memory_events=(10_000, 50_000),
    tuned_prefetch=DEFAULTS.page_prefetch,
    tuned_windows=2,
)


def measure_budget(plan: Plan, *, progress=print) -> tuple[list[BudgetRun], list[str]]:
    """Every configuration on the same windows, one after the other, one sandbox process."""
    runs, loads = [], []
    with SandboxProcess(faults=f"latency_ms={plan.latency_ms}") as sandbox:
        windows = day_windows(sandbox.media_ids, plan.days, last_day=settled_day())
        for config in plan.configs():
            progress(f"  rate budget: {config.label} ...")
            runs.append(run_budget(sandbox.url, windows, config, sandbox.take_log))
            loads.append(machine.load())
    return runs, loads


def measure_memory(plan: Plan, *, progress=print) -> list[MemoryRun]:
    runs = []
    for events in plan.memory_events:
        progress(f"  memory: one day of {events:,} events ...")
        runs.append(measure_day(events, settled_day()))
    largest = plan.memory_events[-1]
    progress(f"  memory: one day of {largest:,} events, drifting while it is read ...")
    runs.append(measure_day(largest, settled_day(), faults=drift_faults(largest)))
    return runs


def say(text: str) -> None:
    """Progress goes to stderr: stdout is the report, to paste as is."""
    print(text, file=sys.stderr, flush=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ingestion", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smoke mode (~20 s) instead of the full")
    p.add_argument("--rate", type=float, help="budget, requests/minute (default: the setting)")
    p.add_argument("--days", type=int, help="days per media in the rate-budget backfill")
    p.add_argument("--windows", type=int, help="windows at once in the tuned run (2)")
    p.add_argument("--only", choices=("budget", "memory"), help="run one half only")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    overrides = {"rate_per_minute": args.rate, "days": args.days, "tuned_windows": args.windows}
    plan = replace(
        QUICK if args.quick else FULL, **{k: v for k, v in overrides.items() if v is not None}
    )

    say(f"machine: {machine.describe()}; load {machine.load()}")
    budget_runs, loads = measure_budget(plan, progress=say) if args.only != "memory" else ([], [])
    memory_runs = measure_memory(plan, progress=say) if args.only != "budget" else []

    print(f"\nMachine: {machine.describe()}.\n")
    if budget_runs:
        first = budget_runs[0]
        print(
            f"Rate budget: {plan.rate_per_minute:g} requests/minute, {plan.latency_ms} ms latency "
            f"per request, {len(first.pulls)} day windows ({len(first.pulls) // plan.days} media x "
            f"{plan.days} days, "
            f"{first.events:,} events, {first.events / len(first.pulls):.0f} per window).\n"
        )
        print(report.budget_table(budget_runs, loads))
    if memory_runs:
        print("\nMemory: one Bronze day, each in a fresh process, sandbox in another.\n")
        print(report.memory_table(memory_runs))
    print("\n" + "\n".join(report.verdicts(budget_runs, memory_runs)))

    problems = [p for r in budget_runs for p in budget_inconsistencies(r)]
    problems += [p for r in memory_runs for p in memory_inconsistencies(r)]
    for problem in problems:
        print(f"HARNESS INCONSISTENT: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
