"""The project is a `dg` project, and `dg` loads what the ECS webserver and daemon load: the
definitions `dg list defs` reports (through `[tool.dg]` in pyproject.toml) are the ones of the
module workspace.yaml names, asset by asset, check by check, job, schedule, sensor, resource;
and `tag:pii=true` selects the Bronze assets in a `dg` selection."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).with_name("dg")

pytestmark = pytest.mark.slow  # each `dg` call starts a Python that loads the definitions


def _dg(tmp_path, *args: str) -> dict:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "WISTIA_LAKE_ROOT": str(tmp_path / "l")}
    (tmp_path / "dagster.yaml").write_text("")
    out = subprocess.run(
        [str(DG), *args, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _workspace_defs():
    """`defs` of the module workspace.yaml names (the one loadable target: test_defs.py)."""
    (target,) = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"]
    return importlib.import_module(target["python_module"]["module_name"]).defs


def test_dg_and_the_workspace_load_the_same_definitions(tmp_path):
    listed = _dg(tmp_path, "list", "defs")
    defs = _workspace_defs()
    graph = defs.resolve_asset_graph()
    assert {a["asset_key"] for a in listed["assets"]} == {
        k.to_user_string() for k in graph.get_all_asset_keys()
    }
    assert {c["key"] for c in listed["asset_checks"]} == {
        f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys
    }
    assert {j["name"] for j in listed["jobs"]} == {
        j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")
    }
    assert {(s["name"], s["cron_schedule"]) for s in listed["schedules"]} == {
        (s.name, s.cron_schedule) for s in defs.schedules
    }
    assert {s["name"] for s in listed["sensors"]} == {s.name for s in defs.sensors}
    assert {r["name"] for r in listed["resources"]} == set(defs.resources)


def test_a_dg_selection_of_tag_pii_true_is_the_bronze_assets(tmp_path):
    listed = _dg(tmp_path, "list", "defs", "--assets", "tag:pii=true")
    assert {a["asset_key"] for a in listed["assets"]} == {
        "bronze_events",
        "bronze_media_by_date",
        "bronze_media_metadata",
    }
