"""Which cases run, in which order, and the machine they ran on."""

from __future__ import annotations

import os
import platform
import sys
import time

from reliability.matrix import CASES, Case, CaseResult, run_case


def _load() -> None:
    # Registration happens on import; process and security cases stop this process's Spark
    # session before they start subprocesses, so they run after the in-process ones.
    import reliability.cases  # noqa: F401
    import reliability.cases_process  # noqa: F401
    import reliability.cases_security  # noqa: F401


def select(*, names: list[str] | None = None, quick: bool = False) -> list[Case]:
    _load()
    if names:
        unknown = sorted(set(names) - CASES.keys())
        if unknown:
            raise SystemExit(f"unknown case(s): {', '.join(unknown)}; see --list")
        return [CASES[n] for n in CASES if n in names]
    return [c for c in CASES.values() if c.quick or not quick]


def run_all(cases: list[Case], *, keep: bool = False, progress: bool = False) -> list[CaseResult]:
    results = []
    for case in cases:
        if progress:
            print(f"-- {case.name}: {case.title}", file=sys.stderr, flush=True)
        result = run_case(case, keep=keep)
        if progress:
            verdict = "pass" if result.passed else "FAIL"
            print(f"   {verdict} in {result.seconds:.1f} s", file=sys.stderr, flush=True)
            for failure in result.failures:
                print(f"   ! {failure}", file=sys.stderr, flush=True)
        results.append(result)
    return results


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        # A shared machine: other jobs' load stretches every wall time here.
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
