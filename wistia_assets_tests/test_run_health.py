"""A run whose process was SIGKILLed mid-step keeps its pool slot in the local instance; without
`fail_runs_whose_process_died` every later run of that pool waits forever (found by the
reliability harness: `wistia-assets rerun` after a kill hung). A live run is never touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, job, op

from wistia_assets.run_health import fail_runs_whose_process_died

REPO = Path(__file__).resolve().parent.parent

HOLDER = textwrap.dedent("""
    import time
    from dagster import DagsterInstance, job, op

    @op(pool="wistia_api")
    def hold():
        print("holding", flush=True)
        time.sleep(600)

    @job
    def holder():
        hold()

    holder.execute_in_process(instance=DagsterInstance.get())
    """)


@op(pool="wistia_api")
def quick():
    return 1


@job
def after_the_kill():
    quick()


@pytest.fixture
def instance(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The pools of `make run`: one wistia_api slot.
    shutil.copy(REPO / "dagster.local.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as inst:
        yield inst


def _start_holder(tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def _claimed(instance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info("wistia_api")
    return [slot.run_id for slot in info.claimed_slots]


def test_a_killed_run_is_marked_failed_and_its_slot_freed(instance, tmp_path):
    proc = _start_holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (dead,) = _claimed(instance)

    handled = fail_runs_whose_process_died(instance)

    assert len(handled) == 1 and dead in handled[0] and "pool slots freed" in handled[0]
    assert instance.get_run_by_id(dead).status == DagsterRunStatus.FAILURE
    assert _claimed(instance) == []
    # The next run of the pool gets its slot (before the fix it waited forever).
    finished = threading.Event()
    thread = threading.Thread(
        target=lambda: after_the_kill.execute_in_process(instance=instance) and finished.set(),
        daemon=True,
    )
    thread.start()
    thread.join(60)
    assert finished.is_set()
    assert fail_runs_whose_process_died(instance) == []


def test_a_live_run_keeps_its_slot(instance, tmp_path):
    proc = _start_holder(tmp_path)
    try:
        (live,) = _claimed(instance)
        assert fail_runs_whose_process_died(instance) == []
        assert instance.get_run_by_id(live).status == DagsterRunStatus.STARTED
        assert _claimed(instance) == [live]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
