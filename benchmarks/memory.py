"""Peak memory of ingesting one Bronze day, small vs large: ingestion must stream.

Each day size gets its own sandbox process (the sandbox's events per day is one setting) and
each measurement its own fresh client process (`memory_probe`), so neither the sandbox's memory
nor an earlier measurement's peak is counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date

from benchmarks.sandbox_process import REPO_ROOT, SandboxProcess, child_env


@dataclass(frozen=True)
class MemoryRun:
    events: int  # the sandbox's events for that day
    rows: int  # rows the Bronze partition got
    pages: int
    requests: int
    bytes: int  # NDJSON bytes written
    seconds: float
    rss_before_kb: int
    peak_kb: int
    malloc_in_use_kb: int | None
    malloc_free_kb: int | None
    served: int  # requests the sandbox saw
    reads: int = 1  # reads of the window (2 when the pages shifted while it was read)
    faults: str = ""  # the sandbox's faults for the day ("" or drift)

    @property
    def growth_mb(self) -> float:
        """Peak above the process's size before the first request."""
        return (self.peak_kb - self.rss_before_kb) / 1024


def drift_faults(events: int) -> str:
    """One new event at the head per page turn, all day long: every page shifts, so the pull
    reads the day twice (and keeps its digest of the first read while it re-reads)."""
    return f"drift=1,drift_turns={max(1, events // 100)}"


def measure_day(events: int, day: date, *, faults: str = "", timeout: float = 1800.0) -> MemoryRun:
    """Ingest one day of exactly `events` events of the first sandbox media; no latency."""
    with SandboxProcess(events_per_day=str(events), faults=faults) as sandbox:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "benchmarks.memory_probe",
                "--url",
                sandbox.url,
                "--media-id",
                sandbox.media_ids[0],
                "--day",
                day.isoformat(),
            ],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=child_env(),
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"memory probe failed:\n{completed.stderr[-4000:]}")
        served = len(sandbox.take_log().requests)
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    return MemoryRun(events=events, served=served, faults=faults, **found)


def inconsistencies(run: MemoryRun) -> list[str]:
    problems = []
    if not run.faults and run.rows != run.events:
        problems.append(f"{run.events} events served as a day, {run.rows} rows in Bronze")
    if run.faults and (run.rows < run.events or run.reads < 2):
        problems.append(
            f"a drifting day of {run.events} events: {run.rows} rows in Bronze after "
            f"{run.reads} read(s), expected all events and a re-read"
        )
    if run.requests != run.served:
        problems.append(f"client sent {run.requests} requests, sandbox saw {run.served}")
    if run.peak_kb < run.rss_before_kb:
        problems.append("peak RSS below the RSS before the pull")
    return problems
