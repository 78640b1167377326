"""The suite runs the same started in the background as in a terminal's foreground.

A shell starts a background job without job control with SIGINT ignored; Dagster then ignores
SIGTERM too, and the processes of its compute-log capture never stop (conftest.py says how). A
run of `nohup make test &` hung in test_run_health until conftest restored both signals.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def test_this_test_process_can_be_interrupted_and_terminated():
    assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) != signal.SIG_IGN


# Ignored dispositions survive exec: this starts pytest as such a shell would.
IGNORING_BOTH = (
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, '-m', 'pytest', *sys.argv[1:]])"
)
PROBE = "test_this_test_process_can_be_interrupted_and_terminated"


def test_a_suite_started_with_the_signals_ignored_restores_them():
    run = subprocess.run(  # noqa: S603 - this interpreter, this test module
        [sys.executable, "-c", IGNORING_BOTH, "-q", "-p", "no:cacheprovider"]
        + [f"{Path(__file__)}::{PROBE}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
