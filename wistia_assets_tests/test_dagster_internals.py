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
