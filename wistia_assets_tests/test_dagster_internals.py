"""The private Dagster names the package uses are the ones `orchestration/dagster_internals.py`
lists, and each still exists: an upgrade that moves one fails here, naming it, instead of deep in
a run. No other module of the package imports `dagster._...`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from dagster import DagsterInstance

from wistia_assets.orchestration.dagster_internals import EVENT_LOG_METHODS, PRIVATE_NAMES

PACKAGE = Path(__file__).resolve().parents[1] / "wistia_assets"
INTERNALS = PACKAGE / "orchestration" / "dagster_internals.py"
PRIVATE_IMPORT = re.compile(r"^\s*(?:from|import)\s+dagster\._", re.MULTILINE)


def test_each_private_name_still_exists_where_it_is_imported_from():
    for module, name in PRIVATE_NAMES:
        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise AssertionError(
                f"Dagster moved {module}.{name} (used by dagster_internals.py): {exc}"
            ) from None
        assert found is not None


def test_the_event_log_methods_used_still_exist():
    storage = DagsterInstance.ephemeral().event_log_storage
    missing = [m for m in EVENT_LOG_METHODS if not hasattr(storage, m)]
    assert not missing, f"Dagster's event log storage no longer has {missing}"


def test_only_the_internals_module_imports_private_dagster():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path != INTERNALS and PRIVATE_IMPORT.search(path.read_text())
    ]
    assert offenders == [], f"private Dagster imports outside dagster_internals.py: {offenders}"
    listed = {m for m, _ in PRIVATE_NAMES}
    used = set(re.findall(r"from (dagster\._[\w.]+) import", INTERNALS.read_text()))
    assert used == listed, f"imported {sorted(used)} but listed {sorted(listed)}"


def test_a_new_runs_event_log_reads_no_migration_script(tmp_path, monkeypatch):
    # Dagster's SQLite event log opens a database per run; without the kept revision map each one
    # read Dagster's ~90 migration scripts twice (~0.1 s a run).
    import alembic.util
    from dagster import job, op

    from wistia_assets.orchestration.dagster_internals import read_migration_scripts_once

    read_migration_scripts_once()
    read_migration_scripts_once()  # idempotent: wraps once
    loaded = []
    load = alembic.util.load_python_file
    monkeypatch.setattr(
        alembic.util, "load_python_file", lambda *a, **k: loaded.append(a) or load(*a, **k)
    )

    @op
    def noop():
        return None

    @job
    def one_op():
        noop()

    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert one_op.execute_in_process(instance=instance).success
        loaded.clear()
        assert one_op.execute_in_process(instance=instance).success
    # Stamping the new database still runs alembic's env.py, once: no revision script.
    scripts = [name for _folder, name in loaded if name != "env.py"]
    assert scripts == [], f"a second run read {len(scripts)} migration scripts"


def _three_lines_job():
    from dagster import job, op

    @op
    def says_three_things(context):
        for n in range(3):
            context.log.info(f"line {n}")

    @job
    def three_lines():
        says_three_things()

    return three_lines


def test_a_run_opens_its_database_once_and_another_process_reads_its_events(tmp_path, monkeypatch):
    # Dagster's SQLite storages built (and disposed of) an engine for each event, ~60 a run.
    import shutil
    import sqlite3
    import subprocess
    import sys

    import dagster._core.storage.event_log.sqlite.sqlite_event_log as event_log
    import sqlalchemy

    from wistia_assets.orchestration.dagster_internals import reuse_sqlite_connections

    reuse_sqlite_connections()
    reuse_sqlite_connections()  # idempotent
    job = _three_lines_job()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert job.execute_in_process(instance=instance).success
        built = []
        for module in (sqlalchemy, event_log):
            create = module.create_engine
            monkeypatch.setattr(
                module,
                "create_engine",
                lambda *a, create=create, **k: built.append(a[0]) or create(*a, **k),
            )
        result = job.execute_in_process(instance=instance)
        monkeypatch.undo()
        assert result.success
        events = len(instance.all_logs(result.run_id))
        assert events > 10
        # The second run's new database is the only one not opened before: one engine.
        assert len(built) == 1, built
        # The UI is another process: it sees every event of the run while this process still
        # holds its connections open.
        code = (
            "import sys; from dagster import DagsterInstance; "
            "i = DagsterInstance.from_config(sys.argv[1]); "
            "print(len(i.all_logs(sys.argv[2])))"
        )
        seen = subprocess.run(  # noqa: S603 - this interpreter
            [sys.executable, "-c", code, str(tmp_path), result.run_id],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
        assert int(seen) == events
        # The UI's live event stream watches the run's database file, not its write-ahead log:
        # every event must have reached the file itself (a copy without the log holds them all).
        shard = instance.event_log_storage.path_for_shard(result.run_id)  # pyright: ignore
        alone = tmp_path / "alone.db"
        shutil.copy(shard, alone)
        with sqlite3.connect(alone) as copy:
            (stored,) = copy.execute("SELECT COUNT(*) FROM event_logs").fetchone()
        assert stored == events
