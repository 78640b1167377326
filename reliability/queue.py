"""The run queue's one-run-per-media limit, as the daemon applies it to each instance's config.

Runs the schedule, a backfill or the UI submit are queued; the daemon's QueuedRunCoordinator
dequeues them under `concurrency.runs.tag_concurrency_limits`. Both instance configurations (the
local `dagster.local.yaml` and the ECS `deploy/dagster.yaml`) must let at most one run per
`dagster/partition/media_id` value run at a time, while different media run side by side. The
check builds an instance from the file's `concurrency` (and run coordinator) sections on SQLite,
queues runs with the tags Dagster puts on multi-partition runs, and asks the daemon's own
selection logic which it would launch now.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
INSTANCE_FILES = {"local": REPO / "dagster.local.yaml", "aws": REPO / "deploy" / "dagster.yaml"}


def _instance_config(path: Path, base_dir: Path) -> dict:
    """The file's queueing and monitoring sections over SQLite storage (no Postgres, no ECS)."""
    config = yaml.safe_load(path.read_text())
    kept = {k: config[k] for k in ("concurrency", "run_monitoring", "run_retries") if k in config}
    kept["storage"] = {"sqlite": {"base_dir": str(base_dir / "storage")}}
    coordinator = config.get("run_coordinator")
    if coordinator:
        kept["run_coordinator"] = coordinator
    return kept


def dequeued(path: Path, queued: list[str], started: list[str] = ()) -> list[str]:
    """Partition keys (`day|media`) the daemon would launch now, given `queued` runs and
    `started` runs already in progress."""
    from dagster import DagsterInstance
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.storage.dagster_run import DagsterRunStatus
    from dagster._core.test_utils import create_run_for_test
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
        QueuedRunCoordinatorDaemon,
    )

    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="wistia_assets")),
            "__repository__",
        ),
        "wistia_window",
    )
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "dagster.yaml").write_text(yaml.safe_dump(_instance_config(path, home)))
        with DagsterInstance.from_config(str(home)) as instance:
            for status, keys in ((DagsterRunStatus.STARTED, started), (None, queued)):
                for key in keys:
                    day, media = key.split("|")
                    create_run_for_test(
                        instance,
                        job_name="wistia_window",
                        run_id=str(uuid.uuid4()),
                        status=status or DagsterRunStatus.QUEUED,
                        remote_job_origin=origin,
                        # The tags Dagster sets on a run of one multi-partition key.
                        tags={
                            "dagster/partition": key,
                            "dagster/partition/date": day,
                            "dagster/partition/media_id": media,
                        },
                    )
            daemon = QueuedRunCoordinatorDaemon(interval_seconds=5)
            daemon._logger = logging.getLogger("reliability.queue")  # noqa: SLF001
            runs = daemon._get_runs_to_dequeue(  # noqa: SLF001 - the daemon's own selection
                instance, instance.get_concurrency_config(), fixed_iteration_time=None
            )
            return sorted(run.tags["dagster/partition"] for run in runs)


def slot_freeing_seconds(path: Path) -> int | None:
    """`run_monitoring.free_slots_after_run_end_seconds`: without it the daemon never frees the
    pool slots of a run that died (run monitoring marks it failed; its slots stay claimed)."""
    config = yaml.safe_load(path.read_text())
    monitoring = config.get("run_monitoring") or {}
    if not monitoring.get("enabled"):
        return None
    return monitoring.get("free_slots_after_run_end_seconds")
