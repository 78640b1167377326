"""Importing a part of the package does not build the Dagster definitions from the environment
(found by the reliability harness: dim_media's channel UDF failed in Spark's Python worker, whose
import of `wistia_assets.transforms.channels` built every definition and hit a settings error),
a bad `MEDIA_IDS` is the CLI's one-line error instead of a traceback, and Dagster still finds
`defs` in the module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WISTIA_API_TOKEN", "MEDIA_IDS")}
    return {**env, **extra}


def test_a_transform_imports_without_building_the_definitions():
    code = "import sys, wistia_assets.transforms.channels; print('dagster' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(WISTIA_API_TOKEN="t", MEDIA_IDS="../x"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_the_cli_reports_a_bad_media_ids_in_one_line(tmp_path):
    out = subprocess.run(
        [BIN / "wistia-assets", "run", "--days", "1"],
        env=_env(MEDIA_IDS="../x", DAGSTER_HOME=str(tmp_path)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: MEDIA_IDS: '../x' is not a Wistia hashed media id "
        "(expected 4-32 lower-case letters and digits, e.g. 'e4a27b971d')"
    ]


def test_dagster_still_finds_defs_in_the_module():
    import inspect

    from dagster import Definitions

    import wistia_assets

    members = dict(inspect.getmembers(wistia_assets))
    assert isinstance(members["defs"], Definitions)
    assert wistia_assets.defs is members["defs"]
