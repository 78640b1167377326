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
- Dagster's SQLite connections (`reuse_sqlite_connections`): its SQLite storages build a new
  SQLAlchemy engine for every statement group and dispose of it after (`create_engine(...,
  poolclass=NullPool)`), so each of a run's ~60 events opens its database, lets SQLAlchemy
  inspect it, and closes it, which in WAL mode checkpoints and deletes the log. Dagster has no
  setting for it; the engines (and one open connection each) are kept per database instead.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dagster import AssetCheckEvaluation, AssetCheckKey, DagsterInstance

# (module, name) of each private name used below: the test imports each one.
PRIVATE_NAMES = (
    ("dagster._core.event_api", "PartitionKeyFilter"),
    ("dagster._core.storage.asset_check_execution_record", "AssetCheckExecutionRecordStatus"),
    ("dagster._core.storage.runs.sqlite", "SqliteRunStorage"),
    ("dagster._core.storage.event_log.sqlite.sqlite_event_log", "SqliteEventLogStorage"),
    ("dagster._core.storage.schedules.sqlite.sqlite_schedule_storage", "SqliteScheduleStorage"),
    ("dagster._core.storage.sqlite", "SQLITE_BUSY_TIMEOUT_SECONDS"),
    ("dagster._core.storage.event_log.sqlite.sqlite_event_log", "INDEX_SHARD_NAME"),
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


# Databases whose engine (and idle connection) this process keeps, the least recently used
# dropped first: a run's database is written ~60 times while the run goes on, then rarely; the
# index and runs databases all the time.
KEPT_DATABASES = 16


def _checkpoint_every_commit(dbapi_connection, _record) -> None:
    # Dagster's databases are in WAL mode. A connection closed after each statement group, as
    # Dagster's are, wrote the log back into the database file on close; the UI's live event
    # stream watches a run's database file (`SqliteEventLogStorageWatchdog`), not its log. So a
    # kept connection to a run's database writes the log back after every commit, as closing
    # did. (The index, runs and schedules databases are watched by no one: SQLite's default,
    # every ~4 MB of log.)
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=1")


class KeptEngines:
    """One SQLAlchemy engine per SQLite database (by connection string), holding one idle
    connection, for the `KEPT_DATABASES` used last. A forked child forgets its parent's engines
    (their connections are the parent's), as SQLAlchemy asks of engines that cross a fork."""

    def __init__(self, size: int = KEPT_DATABASES):
        self._engines: OrderedDict[str, Any] = OrderedDict()
        self._tables: set[tuple[str, str]] = set()
        self._size = size
        self._lock = threading.Lock()

    def engine(
        self, conn_string: str, timeout: float | None = None, *, watched: bool = False
    ) -> Any:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import QueuePool

        with self._lock:
            engine = self._engines.pop(conn_string, None)
            if engine is None:
                # One connection kept idle; another thread's, at the same time, closed after use.
                engine = create_engine(
                    conn_string,
                    poolclass=QueuePool,
                    pool_size=1,
                    max_overflow=8,
                    **({} if timeout is None else {"connect_args": {"timeout": timeout}}),
                )
                if watched:
                    event.listen(engine, "connect", _checkpoint_every_commit)
            self._engines[conn_string] = engine
            while len(self._engines) > self._size:
                _string, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    def drop(self, conn_string: str) -> None:
        """Close the kept connection to a database that is about to be created (again): Dagster
        deletes a run's database files when it wipes the event log."""
        with self._lock:
            engine = self._engines.pop(conn_string, None)
            self._tables = {t for t in self._tables if t[0] != conn_string}
        if engine is not None:
            engine.dispose()

    def has_table(self, conn_string: str, table: str, timeout: float | None = None) -> bool:
        # Migrations only ever add tables: one seen is there for good.
        if (conn_string, table) in self._tables:
            return True
        engine = self.engine(conn_string, timeout)
        with engine.connect() as conn:
            found = bool(engine.dialect.has_table(conn, table))
        if found:
            self._tables.add((conn_string, table))
        return found

    def forget(self) -> None:
        for engine in self._engines.values():
            engine.dispose(close=False)
        self._engines.clear()
        self._lock = threading.Lock()


KEPT = KeptEngines()


def reuse_sqlite_connections() -> None:
    """Make Dagster's SQLite event log, run and schedule storages of this process keep an engine
    and an open connection per database (`KeptEngines`) instead of building, connecting and
    disposing of one for each statement group: a window run's ~70 events took ~2x as long.
    Dagster's statements, transactions and locks are unchanged: each `connect()` still yields
    a connection inside a transaction. Idempotent."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
        INDEX_SHARD_NAME,
        SqliteEventLogStorage,
    )
    from dagster._core.storage.runs.sqlite import SqliteRunStorage
    from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import (
        SqliteScheduleStorage,
    )
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

    if getattr(SqliteEventLogStorage, "reuses_sqlite_connections", False):
        return

    @contextmanager
    def event_log_connect(self, shard: str) -> Iterator[Any]:
        with self._db_lock:
            conn_string = self.conn_string_for_shard(shard)
            if shard not in self._initialized_dbs:
                KEPT.drop(conn_string)
            engine = KEPT.engine(
                conn_string, SQLITE_BUSY_TIMEOUT_SECONDS, watched=shard != INDEX_SHARD_NAME
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        conn_string = self.conn_string_for_shard(INDEX_SHARD_NAME)
        return KEPT.has_table(conn_string, table_name, SQLITE_BUSY_TIMEOUT_SECONDS)

    @contextmanager
    def storage_connect(self) -> Iterator[Any]:
        with KEPT.engine(self._conn_string).connect() as conn, conn.begin():
            yield conn

    SqliteEventLogStorage._connect = event_log_connect
    SqliteEventLogStorage.has_table = has_table
    SqliteRunStorage.connect = storage_connect
    SqliteScheduleStorage.connect = storage_connect
    marked: Any = SqliteEventLogStorage
    marked.reuses_sqlite_connections = True
    os.register_at_fork(after_in_child=KEPT.forget)
