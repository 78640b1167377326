"""Runs of the local Dagster instance whose process died: mark them failed, free their pool slots.

A run holds a slot of its step's pool (`wistia_api`, `spark`) in the instance's SQLite storage
while the step executes. A process that dies without cleaning up (SIGKILL, OOM kill, a laptop
that lost power) leaves its run STARTED and its slot claimed forever: every later run waits for
that slot without a word. Dagster's daemon frees slots only of runs that have *finished*, and the
local run launcher cannot tell that a run's process is gone, so `wistia-assets` checks before it
runs anything: a run whose every recorded process id is gone from this host is reported failed
and its slots are freed. (The aws deployment has ECS run monitoring for this; see
deploy/dagster.yaml.)

Only for SQLite instances, whose runs all execute on this host: a process id there means a
process here. A reused pid reads as alive, so the check errs on the side of waiting.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from wistia_assets.orchestration.dagster_internals import free_pool_slots, runs_on_this_host

ACTIVE = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
# Events that carry the pid of the process executing the run or one of its steps.
_PID_EVENTS = (DagsterEventType.ENGINE_EVENT, DagsterEventType.STEP_START)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            # A zombie has exited; only its parent has not collected it yet.
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True
    return True


def run_pids(instance: DagsterInstance, run_id: str) -> set[int]:
    pids: set[int] = set()
    for event_type in _PID_EVENTS:
        for entry in instance.all_logs(run_id, of_type=event_type):
            if entry.dagster_event is not None and entry.dagster_event.pid:
                pids.add(int(entry.dagster_event.pid))
    return pids


def fail_runs_whose_process_died(instance: DagsterInstance) -> list[str]:
    """Report dead runs failed and free their slots; returns one line per run handled."""
    if not runs_on_this_host(instance):
        return []
    handled = []
    for run in instance.get_runs(filters=RunsFilter(statuses=ACTIVE)):
        pids = run_pids(instance, run.run_id)
        # No pid recorded yet: the run is being set up right now, or never started; leave it.
        if not pids or any(process_alive(pid) for pid in pids):
            continue
        pid_list = ", ".join(str(p) for p in sorted(pids))
        instance.report_run_failed(
            run,
            message=f"The process of this run (pid {pid_list}) is gone (killed?); marked failed "
            "by wistia-assets so that its pool slots are freed.",
        )
        free_pool_slots(instance, run.run_id)
        partition = run.tags.get("dagster/partition", "")
        handled.append(
            f"run {run.run_id} ({run.job_name} {partition}) died with its process "
            f"(pid {pid_list}): marked failed, pool slots freed"
        )
    return handled
