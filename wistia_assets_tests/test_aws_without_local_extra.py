"""The aws deployment needs none of the `local` extra (pyspark, py4j, DuckDB, pyarrow,
dagster-pyspark), which the ECS image leaves out.

In a subprocess where importing any of them fails, as in the image: the aws definitions load and
resolve, every module of the package imports except the named local-only ones (so a new module on
the aws path that reaches for Spark or DuckDB fails here, not in production), and a CLI command
that does need them says so in one line. `make image-test` proves the same in the built image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from wistia_assets.commands.errors import LOCAL_EXTRA

# Modules that need the local extra, and why: Spark transforms (run on Glue or locally), the local
# engine, DuckDB (Athena's local stand-in) and the command built on it.
LOCAL_ONLY = {
    "wistia_assets.glue.silver_job",
    "wistia_assets.resources.spark_engine",
    "wistia_assets.catalog.duckdb_catalog",
    "wistia_assets.commands.query",
}
LOCAL_ONLY_PACKAGES = ("wistia_assets.transforms.",)
# Plain-Python modules inside those packages that the aws deployment imports.
AWS_NEEDS = {"wistia_assets.transforms.report", "wistia_assets.transforms.personal_columns"}

AWS_ENV = {
    "DAGSTER_DEPLOYMENT": "aws",
    "WISTIA_API_TOKEN": "t",
    "MEDIA_IDS": "abcd1234,efgh5678",
    "BRONZE_BUCKET": "b",
    "SILVER_BUCKET": "s",
    "PIPES_BUCKET": "p",
    "DDB_TABLE": "t",
    "GLUE_JOB_NAME": "j",
    "GLUE_DATABASE": "d",
    "ATHENA_WORKGROUP": "w",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "WISTIA_HASH_KEY_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
}

BLOCKER = textwrap.dedent(f"""
    import importlib.abc, sys
    class LocalExtraMissing(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {sorted(LOCAL_EXTRA)!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
    sys.meta_path.insert(0, LocalExtraMissing())
    """)


def run_without_local_extra(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WISTIA_", "MEDIA_"))}
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code), *args],
        env={**env, **AWS_ENV},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_aws_definitions_load_without_the_local_extra():
    out = run_without_local_extra("""
        import wistia_assets
        repo = wistia_assets.defs.get_repository_def()
        print(sorted(k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()))
        print(wistia_assets.defs.resources["silver"].__class__.__name__)
        """)
    assert out.returncode == 0, out.stderr
    keys, engine = out.stdout.strip().splitlines()[-2:]
    assert "fact_events" in keys and "dim_media" in keys
    assert engine == "GlueEngine"


def test_only_the_named_modules_need_the_local_extra():
    out = run_without_local_extra("""
        import importlib, json, pkgutil, wistia_assets
        failed = {}
        for info in pkgutil.walk_packages(wistia_assets.__path__, "wistia_assets."):
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as exc:
                failed[info.name] = exc.name
        print(json.dumps(failed))
        """)
    assert out.returncode == 0, out.stderr
    failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(failed.values()) <= LOCAL_EXTRA, failed
    expected_local = {
        name
        for name in failed
        if name in LOCAL_ONLY or (name.startswith(LOCAL_ONLY_PACKAGES) and name not in AWS_NEEDS)
    }
    assert set(failed) == expected_local, set(failed) ^ expected_local
    assert set(failed) >= LOCAL_ONLY, "a module listed as local-only no longer needs the extra"
    assert not AWS_NEEDS & set(failed)


def test_a_command_that_needs_the_local_extra_says_so():
    out = run_without_local_extra(
        "import sys; from wistia_assets.cli import main; sys.exit(main(sys.argv[1:]))",
        "query",
        "SELECT 1",
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: duckdb is not installed: this command needs the local deployment's packages "
        "(pip install 'wistia_assets[local]'); the ECS image carries only the aws deployment"
    )
