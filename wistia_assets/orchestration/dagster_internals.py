"""Every private Dagster name the package uses, in one place, with why no public one does.

Dagster 1.13 has no public API for these; each is used through a function here so an upgrade
that moves one breaks this module alone, and `test_dagster_internals.py` names what moved.

- Check records per partition (`held_back.py`): the instance's public methods give the latest
  check evaluation of a check key across all partitions only; a Gold day needs the latest of
  each (day, media) partition. `event_log_storage.get_asset_check_partition_info` and
  `get_asset_check_execution_history(partition_filter=PartitionKeyFilter(...))` are what
  Dagster's own automation reads.
- Run storage type (`run_health.py`): whether runs execute on this host (SQLite storage) decides
  whether a run's recorded pid can be checked; `DagsterInstance` does not say.
- Concurrency slots (`run_health.py`): freeing the pool slots of a run whose process died; the
  daemon frees slots only of finished runs.
- Dagster's migration scripts (`read_migration_scripts_once`): its SQLite event log opens a
  database per run and reads its ~90 alembic migration scripts twice for each new one (to check,
  then stamp, its revision): ~0.1 s of every run, 1.9 s of the 17 runs of `run --days 7`. Dagster
  has no setting for it; the scripts cannot change while a process runs, so their revision map
  is read once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from dagster import AssetCheckEvaluation, AssetCheckKey, DagsterInstance

# (module, name) of each private name used below: the test imports each one.
PRIVATE_NAMES = (
    ("dagster._core.event_api", "PartitionKeyFilter"),
    ("dagster._core.storage.asset_check_execution_record", "AssetCheckExecutionRecordStatus"),
    ("dagster._core.storage.runs.sqlite", "SqliteRunStorage"),
)
# Methods of `instance.event_log_storage` used below (the test checks each exists).
EVENT_LOG_METHODS = (
    "get_asset_check_partition_info",
    "get_asset_check_execution_history",
    "free_concurrency_slots_for_run",
    "supports_global_concurrency_limits",
)


def latest_check_statuses(
    instance: DagsterInstance,
    keys: Sequence[AssetCheckKey],
    partitions: Sequence[str],
    status: str,
) -> Iterator[tuple[AssetCheckKey, str]]:
    """(check, partition) whose latest execution has `status` (`FAILED`, `SUCCEEDED`, ...)."""
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    wanted = AssetCheckExecutionRecordStatus[status]
    for info in instance.event_log_storage.get_asset_check_partition_info(
        list(keys), partition_keys=list(partitions)
    ):
        if info.latest_execution_status == wanted and info.partition_key is not None:
            yield info.check_key, info.partition_key


def latest_check_evaluation(
    instance: DagsterInstance, key: AssetCheckKey, partition: str
) -> AssetCheckEvaluation | None:
    """The latest evaluation of `key` on `partition` (None: never evaluated, or only planned)."""
    from dagster._core.event_api import PartitionKeyFilter

    records = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=1, partition_filter=PartitionKeyFilter(key=partition)
    )
    if not records or records[0].event is None:
        return None
    return records[0].event.asset_check_evaluation


def runs_on_this_host(instance: DagsterInstance) -> bool:
    """SQLite run storage: every run of the instance executes on this machine."""
    from dagster._core.storage.runs.sqlite import SqliteRunStorage

    return isinstance(instance.run_storage, SqliteRunStorage)


def free_pool_slots(instance: DagsterInstance, run_id: str) -> None:
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        storage.free_concurrency_slots_for_run(run_id)


DAGSTER_SCRIPTS = "dagster:"


def read_migration_scripts_once() -> None:
    """Keep, for this process, the alembic script directory of Dagster's own migrations (its
    revision map, once read), so a new run's event-log database reads no migration script.
    Alembic users outside Dagster's package get a new one each time, as before. Idempotent."""
    from alembic.script import ScriptDirectory

    if getattr(ScriptDirectory.from_config, "reads_dagster_scripts_once", False):
        return
    read = ScriptDirectory.from_config.__func__
    kept: dict[str, ScriptDirectory] = {}
    lock = threading.Lock()

    def from_config(cls, config):
        # Dagster names its scripts as a resource of its package ("dagster:_core/storage/...").
        location = config.get_main_option("script_location") or ""
        if cls is not ScriptDirectory or not location.startswith(DAGSTER_SCRIPTS):
            return read(cls, config)
        with lock:
            if location not in kept:
                kept[location] = read(cls, config)
            return kept[location]

    from_config.reads_dagster_scripts_once = True  # pyright: ignore[reportFunctionMemberAccess]
    kept_scripts = classmethod(from_config)
    ScriptDirectory.from_config = kept_scripts  # pyright: ignore[reportAttributeAccessIssue]
