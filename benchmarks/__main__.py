"""Every benchmark, one after the other: `python -m benchmarks [--quick]` (`make bench`).

    ingestion   rate-budget use and memory of Bronze ingestion   (~15 min, --quick ~25 s)
    silver      Spark's Silver throughput vs DuckDB, a step's profile (~20 min, --quick ~2 min)
    end_to_end  `make run`'s wall time and where it goes          (~3 min, --quick ~1 min)
    media_report  the report for 7 and 90 days x 2 media, HTML size (~4 min, --quick ~1 min)

Each runs in its own interpreter, so that one's Spark session or sandbox process neither slows
nor outlives the next. Reports go to stdout, progress to stderr; the exit code is 1 when any
harness found its own numbers inconsistent.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence

from benchmarks.sandbox_process import REPO_ROOT, child_env

HARNESSES = ("ingestion", "silver", "end_to_end", "media_report")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="every harness in its smoke mode")
    p.add_argument("--only", choices=HARNESSES, action="append", help="run these (repeatable)")
    args = p.parse_args(argv)
    failed = []
    for name in args.only or HARNESSES:
        print(f"\n# {name}\n", flush=True)
        command = [sys.executable, "-m", f"benchmarks.{name}", *(["--quick"] if args.quick else [])]
        code = subprocess.run(  # noqa: S603 - our own interpreter and modules
            command, cwd=REPO_ROOT, env=child_env(), check=False
        ).returncode
        if code:
            failed.append(f"{name} (exit {code})")
    if failed:
        print(f"benchmarks with inconsistent numbers: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
