"""Process start: what every `wistia-assets` command, pytest run, Dagster run worker and code server
pays before its first line of work, with and without cached bytecode.

    .venv/bin/python -m benchmarks.process_start            # 5 starts each, alternating
    .venv/bin/python -m benchmarks.process_start --reps 9

uv installs no bytecode, and with `PYTHONDONTWRITEBYTECODE=1` (the Makefile's setting until it
moved the cache to `.venv/pycache`) Python compiles every module it imports, in every process.
Each start imports what the CLI imports before its first run: Dagster, PySpark's SQL module and
the project's definitions, built. The two environments alternate, so a load change falls on both;
the cached one is warmed by one start before timing (the first `make` command does that).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from benchmarks import machine

IMPORTS = (
    "import dagster, pyspark.sql; "
    "from wistia_assets.definitions import build_defs; "
    "from wistia_assets.settings import Settings; "
    "build_defs(Settings.from_env())"
)


def _start(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [sys.executable, "-c", IMPORTS], env=env, check=True
    )
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="starts per environment (median)")
    args = parser.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX",)}
    with tempfile.TemporaryDirectory() as cache:
        compiled_each_time = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        cached = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        warm_up = _start(cached)
        times: dict[str, list[float]] = {"compiled each start": [], "cached bytecode": []}
        for _ in range(args.reps):
            times["compiled each start"].append(_start(compiled_each_time))
            times["cached bytecode"].append(_start(cached))
    print(machine.describe())
    print()
    print(f"Process start ({args.reps} each, alternating; median s): `python -c` importing")
    print("dagster, pyspark.sql and building the definitions.")
    print()
    print("| environment | median s | min s | max s |")
    print("| --- | --- | --- | --- |")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
            f"{max(values):.2f} |"
        )
    before = statistics.median(times["compiled each start"])
    after = statistics.median(times["cached bytecode"])
    print()
    print(f"- the first start, writing the cache: {warm_up:.2f} s")
    print(f"- **compiled each start / cached: {before / after:.2f}x**")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
