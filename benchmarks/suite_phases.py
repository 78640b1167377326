"""`make test`'s two pytest phases in one process and on several workers, side by side.

    .venv/bin/python -m benchmarks.suite_phases                  # both phases, 1 process then 3
    .venv/bin/python -m benchmarks.suite_phases --phase slow --workers 2 3

Each phase runs exactly as `make test` runs it (the Makefile's own command, from `make -n test`),
once with `TEST_WORKERS=0` (one process) and once per worker count asked for, one after the
other, so that a change of the machine's load falls on the runs of one invocation alike. Prints
each run's wall time, the CPU it used (its own and its children's) and the ratio to one process.
Exits 1 when a run fails or the runs disagree on how many tests passed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks import machine
from benchmarks.sandbox_process import REPO_ROOT

PHASES = {"fast": 0, "slow": 1}  # index of the pytest line in `make -n test`
_PASSED = re.compile(r"(\d+) passed")


def phase_command(phase: str, workers: int) -> list[str]:
    """The pytest command `make test TEST_WORKERS=workers` runs for `phase`."""
    dry_run = subprocess.run(  # noqa: S603 - make, with our own arguments
        ["make", "-n", "test", f"TEST_WORKERS={workers}"],  # noqa: S607 - make from PATH
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in dry_run.splitlines() if "/pytest " in line]
    return shlex.split(lines[PHASES[phase]])


def run_phase(phase: str, workers: int) -> tuple[float, float, int | None, int]:
    """(wall s, CPU s of pytest and its children, tests passed, exit code)."""
    command = phase_command(phase, workers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - the Makefile's own pytest command
        [*command, "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env={  # what the Makefile exports
            "DAGSTER_HOME": str(REPO_ROOT / ".dagster_home"),
            **os.environ,
            "PYTHONPYCACHEPREFIX": str(REPO_ROOT / ".venv" / "pycache"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    passed = _PASSED.search(summary)
    if done.returncode:
        print(done.stdout[-3000:], file=sys.stderr)
    return wall, cpu, int(passed.group(1)) if passed else None, done.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=[*PHASES, "both"], default="both")
    parser.add_argument("--workers", type=int, nargs="+", default=[3])
    args = parser.parse_args(argv)
    phases = list(PHASES) if args.phase == "both" else [args.phase]
    print(machine.describe())
    print()
    print("| phase | workers | wall s | CPU s | passed | vs 1 process |")
    print("| --- | --- | --- | --- | --- | --- |")
    failed = False
    for phase in phases:
        results = {}
        for workers in (0, *args.workers):
            print(f"running the {phase} phase, TEST_WORKERS={workers}", file=sys.stderr)
            results[workers] = run_phase(phase, workers)
        serial = results[0][0]
        for workers, (wall, cpu, passed, code) in results.items():
            ratio = f"{serial / wall:.2f}x" if workers else ""
            label = workers or "1 process"
            print(f"| {phase} | {label} | {wall:.1f} | {cpu:.1f} | {passed} | {ratio} |")
            failed |= code != 0
        failed |= len({r[2] for r in results.values()}) != 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
