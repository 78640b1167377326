"""`wistia-assets <args>` in this process, with a stopwatch around each part of the run.

The child side of `benchmarks.end_to_end`: it wraps (never edits) the functions the CLI reaches
through module attributes, so the product runs unchanged and the wrappers go with the process.

    python -m benchmarks.end_to_end_probe --timings out.json -- run --days 7

`out.json` holds, in this process's `time.monotonic()` (CLOCK_MONOTONIC on Linux, one clock for
every process, so the parent can line it up with its own), every timed interval by bucket and the
CLI's exit code.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable

# bucket -> [(start, end, label)]
INTERVALS: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
# table -> Spark jobs of each build of it, in order (the first is cold)
SPARK_JOBS: dict[str, list[int]] = defaultdict(list)


def _timed(bucket: str, original: Callable, label: Callable[..., str] | None = None) -> Callable:
    @functools.wraps(original)
    def timed(*args, **kwargs):
        started = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            # The CLI's own thread only: what it waited for. Work on another thread (the JVM
            # started early, `session.EarlyStart`) overlaps the CLI's, and shows where the CLI
            # had to wait for it (its own getOrCreate then blocks until the session is made).
            if threading.current_thread() is threading.main_thread():
                name = label(*args, **kwargs) if label else original.__name__
                INTERVALS[bucket].append((started, time.monotonic(), name))

    return timed


def _counted(original: Callable, label: Callable[..., str]) -> Callable:
    """`original(spark, ...)` with the Spark jobs it starts counted (a job group, as
    `benchmarks.spark_jobs` counts them), by `label`."""

    @functools.wraps(original)
    def counted(spark, *args, **kwargs):
        from benchmarks.spark_jobs import JobCounter

        counter = JobCounter(spark)
        try:
            with counter.group():
                return original(spark, *args, **kwargs)
        finally:
            SPARK_JOBS[label(spark, *args, **kwargs)].append(counter.jobs())

    return counted


def _table(*args, **kwargs) -> str:
    return kwargs.get("table", "?")


def _dim_media(*args, **kwargs) -> str:
    return "dim_media"


def _run_label(job, label, *args, **kwargs) -> str:
    return label


# A Silver fact build: `run_partitions` (one window or several in the same Spark jobs; the
# runner's `run_partition` calls it), or `run_partition` in a version that predates it.
SILVER_BUILD = "run_partitions|run_partition"

# (module, attribute path, bucket, label of a call): where the CLI looks each part up at call
# time, so wrapping the attribute times every call. The smoke test checks they all resolve.
TARGETS: tuple[tuple[str, str, str, Callable[..., str] | None], ...] = (
    # The first getOrCreate starts the JVM and the SparkContext; later ones return it.
    ("pyspark.sql", "SparkSession.Builder.getOrCreate", "spark_start", None),
    ("wistia_assets.assets.bronze", "snapshot_media", "bronze_api", None),
    ("wistia_assets.assets.bronze", "ingest_media_by_date", "bronze_api", None),
    ("wistia_assets.assets.bronze", "ingest_events", "bronze_api", None),
    ("wistia_assets.transforms.runner", SILVER_BUILD, "silver", _table),
    ("wistia_assets.transforms.runner", "run_dim_media", "silver", _dim_media),
    ("wistia_assets.resources.catalog", "DuckDbCatalog.duplicate_event_keys", "catalog", None),
    ("wistia_assets.resources.catalog", "DuckDbCatalog.play_count", "catalog", None),
    ("wistia_assets.watermarks.store", "SqliteWatermarkStore.advance", "watermarks", None),
    ("wistia_assets.commands.materialize", "execute", "runs", _run_label),
    ("wistia_assets.commands.materialize", "dagster_instance", "setup", None),
    ("wistia_assets.definitions", "build_defs", "setup", None),
    ("wistia_assets.commands.summary", "print_summary", "summary", None),
)


def resolve(module: str, path: str) -> tuple[object, str, Callable]:
    """(owner, attribute name, current value) of `module:path`, e.g. a method of a class; of
    `a|b`, the first the module has."""
    if "|" in path:
        names = path.split("|")
        found = importlib.import_module(module)
        path = next((n for n in names if hasattr(found, n)), names[-1])
    owner: object = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name, getattr(owner, name)


# Spark builds whose jobs are counted: (module, attribute, label of a call).
COUNTED: tuple[tuple[str, str, Callable[..., str]], ...] = (
    ("wistia_assets.transforms.runner", SILVER_BUILD, _table),
    ("wistia_assets.transforms.runner", "run_dim_media", _dim_media),
)


def install() -> None:
    """Wrap the CLI's parts where it looks them up (module attributes, at call time)."""
    for module, path, label in COUNTED:
        owner, name, original = resolve(module, path)
        setattr(owner, name, _counted(original, label))
    for module, path, bucket, label in TARGETS:
        owner, name, original = resolve(module, path)
        setattr(owner, name, _timed(bucket, original, label))


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    p = argparse.ArgumentParser(prog="python -m benchmarks.end_to_end_probe")
    p.add_argument("--timings", required=True, help="where to write the intervals (JSON)")
    p.add_argument("cli", nargs=argparse.REMAINDER, help="-- then the wistia-assets arguments")
    args = p.parse_args(argv)
    cli_args = args.cli[1:] if args.cli[:1] == ["--"] else args.cli

    install()
    from wistia_assets.cli import main as cli_main

    imported = time.monotonic()
    code = cli_main(cli_args)
    ended = time.monotonic()
    with open(args.timings, "w", encoding="utf-8") as out:
        json.dump(
            {
                "started": started,
                "imported": imported,
                "ended": ended,
                "exit_code": code,
                "intervals": INTERVALS,
                "spark_jobs": SPARK_JOBS,
            },
            out,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
