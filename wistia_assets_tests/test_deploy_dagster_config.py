"""deploy/dagster.yaml and deploy/workspace.yaml are valid for Dagster 1.13, and build the
instance they describe.

Schema validation covers the file as the ECS tasks read it (Postgres storage included). The
instance itself is then built from the same file with SQLite storage swapped in (the dev
environment has neither Postgres nor dagster-postgres), against moto: EcsRunLauncher resolves
its task definition there, and the entrypoint writes the pool limits into it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import DagsterInstance
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.workspace.config_schema import WORKSPACE_CONFIG_SCHEMA
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from wistia_assets_tests.support.deploy import (
    DEPLOY,
    ECS_ENV,
    INSTANCE_YAML,
    cfn_template,
    instance_config,
)


def env_names(node) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(env_names(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(env_names(v) for v in node)) if node else set()
    return set()


def test_instance_yaml_matches_the_schema(tmp_path, monkeypatch):
    for name, value in ECS_ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML.read_text())
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    # The RDS certificate is verified against the CA bundle the image carries.
    assert config["storage"]["postgres"]["postgres_db"]["params"] == {
        "sslmode": "verify-full",
        "sslrootcert": "/opt/dagster/rds-global-bundle.pem",
    }
    # ECS tag values refuse `|`, which every multi-partition key holds.
    allow = config["run_launcher"]["config"]["propagate_tags"]["allow_list"]
    assert "dagster/partition" not in allow
    # The pluggable classes' own schemas (the instance schema only checks module/class).
    for key, cls in (
        ("run_launcher", EcsRunLauncher),
        ("run_coordinator", QueuedRunCoordinator),
        ("compute_logs", S3ComputeLogManager),
    ):
        result = validate_config(cls.config_type(), config[key]["config"])
        assert result.success, (key, result.errors)


def test_workspace_points_at_the_code_server():
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    result = validate_config(WORKSPACE_CONFIG_SCHEMA, workspace)
    assert result.success, result.errors
    (location,) = workspace["load_from"]
    assert location["grpc_server"]["location_name"] == "wistia_assets"
    assert location["grpc_server"]["port"] == 4000


def test_every_env_var_the_yaml_reads_is_set_by_the_task_definitions():
    body = cfn_template("platform.yaml")
    launcher = {"DAGSTER_RUN_TASK_DEFINITION"}  # only processes that build the launcher
    needs = env_names(instance_config()) - launcher
    assert launcher <= env_names(instance_config())
    workspace = env_names(yaml.safe_load((DEPLOY / "workspace.yaml").read_text()))
    wanted = {
        "webserver": needs | launcher | workspace,
        "daemon": needs | launcher | workspace,
        "code-server": needs,
        "run": needs,
    }
    for task in body["Resources"].values():
        if task["Type"] != "AWS::ECS::TaskDefinition":
            continue
        (container,) = task["Properties"]["ContainerDefinitions"]
        have = {e["Name"] for e in container["Environment"]}
        have |= {s["Name"] for s in container["Secrets"]}
        missing = wanted[container["Name"]] - have
        assert not missing, f"{container['Name']} lacks {missing}"
    assert instance_config()["run_launcher"]["config"]["container_name"] == "run"


def test_instance_builds_with_the_deploy_settings(ecs_instance):
    instance, run_td = ecs_instance
    launcher = instance.run_launcher
    assert isinstance(launcher, EcsRunLauncher)
    assert launcher.task_definition == run_td
    assert launcher.secrets_tags == []  # no account-wide ListSecrets
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_max_resume_run_attempts == 0
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
    assert instance.run_retries_retry_on_asset_or_op_failure is False
    concurrency = instance.get_concurrency_config()
    assert concurrency.pool_config.default_pool_limit == 1
    assert concurrency.run_queue_config.max_concurrent_runs == 8


def test_entrypoint_sets_the_pool_limits(tmp_path):
    (tmp_path / "dagster.yaml").write_text(
        yaml.safe_dump({"storage": {"sqlite": {"base_dir": str(tmp_path / "storage")}}})
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DAGSTER_POOL_LIMITS": "wistia_api=2,glue=4",
    }
    entrypoint = DEPLOY / "entrypoint.sh"
    subprocess.run(["bash", str(entrypoint), "set-pools"], env=env, check=True, timeout=120)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        assert storage.get_concurrency_info("wistia_api").slot_count == 2
        assert storage.get_concurrency_info("glue").slot_count == 4

    bad = subprocess.run(
        ["bash", str(entrypoint), "set-pools"],
        env={**env, "DAGSTER_POOL_LIMITS": "wistia_api=one"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 64 and "not <pool>=<limit>" in bad.stderr


def test_entrypoint_passes_run_commands_through():
    # EcsRunLauncher overrides the command with `dagster api execute_run ...`.
    result = subprocess.run(
        ["bash", str(DEPLOY / "entrypoint.sh"), "echo", json.dumps({"run": 1})],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == '{"run": 1}'
