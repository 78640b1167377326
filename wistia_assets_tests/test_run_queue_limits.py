"""Two runs of one media never run at once when the daemon launches them (schedule, backfills,
UI), in both instance configurations; and the daemon frees the pool slots of runs that died.

The queue limit is what keeps Silver's neighbour guard and Bronze's partition replacement from
racing (docs/RELIABILITY.md); `wistia-assets` runs bypass the queue and are serialised by the
pools instead (the reliability harness's `concurrent_same_partition` case). The check asks the
daemon's own dequeue logic, over each file's concurrency section (reliability/queue.py).
"""

from __future__ import annotations

import pytest

from reliability.queue import INSTANCE_FILES, dequeued, slot_freeing_seconds

A, B = "sbx1yt7k2q", "sbx2fb9m4w"


@pytest.mark.parametrize("deployment", sorted(INSTANCE_FILES))
def test_one_run_per_media_at_a_time_other_media_side_by_side(deployment):
    path = INSTANCE_FILES[deployment]
    queued = [f"2026-11-10|{A}", f"2026-11-11|{A}", f"2026-11-10|{A}", f"2026-11-10|{B}"]
    assert dequeued(path, queued) == [f"2026-11-10|{A}", f"2026-11-10|{B}"]
    # A run of A in progress: nothing more of A starts; B still does.
    assert dequeued(path, [f"2026-11-12|{A}", f"2026-11-12|{B}"], started=[f"2026-11-11|{A}"]) == [
        f"2026-11-12|{B}"
    ]


@pytest.mark.parametrize("deployment", sorted(INSTANCE_FILES))
def test_the_daemon_frees_pool_slots_of_runs_that_died(deployment):
    # Without it a run killed while holding the wistia_api slot blocks all ingestion forever:
    # marking the run failed does not release its slot.
    seconds = slot_freeing_seconds(INSTANCE_FILES[deployment])
    assert seconds is not None and 0 < seconds <= 600
