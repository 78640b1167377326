"""Where a Silver run's time goes: Spark jobs and seconds per phase of `run_partition`.

Jobs are counted with a job group (Spark's own status tracker): every job the calling thread
starts while the group is set is tagged with it. Phases are timed by wrapping the module-level
helpers of the shared partition build (`transforms/partition_build.py`) for the duration of a
measurement; whatever is not in a wrapped helper (parsing, counting, deduplicating before the
write) is the remainder.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession

from wistia_assets.transforms import partition_build

# partition_build attribute -> phase label. Missing attributes are skipped (older versions name
# the single-partition helpers; since stop 29 a build of one window or several uses the plural).
PHASES = {
    "replace_partition": "write Silver",
    "replace_quarantine": "write quarantine",
    "replace_quarantines": "write quarantine",
    "preview_rows": "preview",
    "preview_partitions": "preview",
    "scan_written": "read-back scan",
    "scan_partitions": "read-back scan",
}
BEFORE_WRITE = "parse, count, dedup"
# Each phase once, in order, then what comes before them.
PHASE_LABELS = [*dict.fromkeys(PHASES.values()), BEFORE_WRITE]

_groups = itertools.count()


@dataclass
class Measured:
    seconds: float
    jobs: int
    phases: dict[str, tuple[float, int]] = field(default_factory=dict)  # label -> (s, jobs)
    result: Any = field(default=None, repr=False)  # what the call returned


class JobCounter:
    """Counts the Spark jobs this thread starts inside `with counter.group():`."""

    def __init__(self, spark: SparkSession):
        self.spark = spark
        self._group: str | None = None

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        sc = self.spark.sparkContext
        self._group = f"bench-{next(_groups)}"
        sc.setJobGroup(self._group, "benchmark measurement")
        try:
            yield
        finally:
            sc.setLocalProperty("spark.jobGroup.id", None)
            sc.setLocalProperty("spark.job.description", None)

    def jobs(self) -> int:
        if self._group is None:
            return 0
        return len(self.spark.sparkContext.statusTracker().getJobIdsForGroup(self._group))


@contextlib.contextmanager
def phase_timers(counter: JobCounter) -> Iterator[dict[str, list[float]]]:
    """Wrap the partition build's phase helpers; yields label -> [seconds, jobs] accumulated."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    originals: dict[str, Callable] = {}

    def wrap(name: str, label: str, original: Callable) -> Callable:
        def timed(*args, **kwargs):
            jobs, started = counter.jobs(), time.monotonic()
            try:
                return original(*args, **kwargs)
            finally:
                totals[label][0] += time.monotonic() - started
                totals[label][1] += counter.jobs() - jobs

        return timed

    for name, label in PHASES.items():
        original = getattr(partition_build, name, None)
        if original is not None:
            originals[name] = original
            setattr(partition_build, name, wrap(name, label, original))
    try:
        yield totals
    finally:
        for name, original in originals.items():
            setattr(partition_build, name, original)


def measure(spark: SparkSession, call: Callable[[], Any], *, phases: bool = False) -> Measured:
    """Run `call()` once: wall seconds, Spark jobs, (optionally) the split by phase, and what it
    returned."""
    counter = JobCounter(spark)
    with counter.group():
        if phases:
            with phase_timers(counter) as totals:
                started = time.monotonic()
                result = call()
                seconds = time.monotonic() - started
        else:
            totals = {}
            started = time.monotonic()
            result = call()
            seconds = time.monotonic() - started
        jobs = counter.jobs()
    split = {label: (s, int(n)) for label, (s, n) in totals.items()}
    if phases:
        split[BEFORE_WRITE] = (
            seconds - sum(s for s, _ in split.values()),
            jobs - sum(n for _, n in split.values()),
        )
    return Measured(seconds, jobs, split, result)
