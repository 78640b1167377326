"""One place for each concern: Settings reads the environment, deployments.py decides by
deployment, aws.py builds the AWS clients, and each resource's backend is a class chosen there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, materialize
from dagster_pyspark import LazyPySparkResource

import wistia_assets
from wistia_assets.aws import aws_client
from wistia_assets.commands import query
from wistia_assets.commands.materialize import _lake
from wistia_assets.commands.package_glue import GLUE_MODULES
from wistia_assets.deployments import AWS, BY_NAME, LOCAL, deployment_for, resources_for
from wistia_assets.resources.alerts import LogAlerts, SnsAlerts
from wistia_assets.resources.catalog import DuckDbCatalog, GlueAthenaCatalog
from wistia_assets.resources.silver_engine import GlueEngine, TransformEngine
from wistia_assets.resources.spark_engine import LocalSparkEngine
from wistia_assets.resources.watermarks import DynamoWatermarks, SqliteWatermarks
from wistia_assets.settings import DEPLOYMENTS, ConfigError, Settings
from wistia_assets_tests.support.aws_settings import AWS_ENV

PACKAGE = Path(wistia_assets.__file__).parent


def package_sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))]


def test_every_deployment_settings_accepts_is_described():
    assert set(BY_NAME) == set(DEPLOYMENTS)


def test_the_local_deployment_picks_local_backends(tmp_path):
    settings = Settings.from_env({"WISTIA_LAKE_ROOT": str(tmp_path)})
    resources = resources_for(settings)
    assert isinstance(resources["watermarks"], SqliteWatermarks)
    assert resources["watermarks"].sqlite_path == str(tmp_path / "_state" / "watermarks.sqlite")
    assert isinstance(resources["alerts"], LogAlerts)
    assert isinstance(resources["silver"], LocalSparkEngine)
    assert isinstance(resources["catalog"], DuckDbCatalog)


def test_the_aws_deployment_picks_aws_backends_with_one_endpoint_and_region():
    resources = resources_for(Settings.from_env(AWS_ENV))
    assert isinstance(resources["watermarks"], DynamoWatermarks)
    assert isinstance(resources["alerts"], SnsAlerts)
    assert isinstance(resources["silver"], GlueEngine)
    assert isinstance(resources["catalog"], GlueAthenaCatalog)
    for key in ("lake", "watermarks", "alerts", "silver", "catalog"):
        assert resources[key].endpoint_url == "http://127.0.0.1:9", key
        assert resources[key].region == "eu-west-1", key


def test_what_each_deployment_answers_instead_of_a_name_comparison(tmp_path):
    local = Settings.from_env({"WISTIA_LAKE_ROOT": str(tmp_path)})
    aws = Settings.from_env(AWS_ENV)
    assert deployment_for(local) is LOCAL and deployment_for(aws) is AWS
    # The schedule and the automation sensor: on by themselves in AWS only.
    assert (LOCAL.starts_on_its_own, AWS.starts_on_its_own) == (False, True)
    # Spark steps: the local pool without retries; Glue's pool with one retry a minute later.
    assert (LOCAL.spark_pool, LOCAL.spark_retry_policy) == ("spark", None)
    assert AWS.spark_pool == "glue" and AWS.spark_retry_policy.max_retries == 1
    # `query` and the run summary's DuckDB counts: a local lake only.
    assert (LOCAL.has_local_duckdb, AWS.has_local_duckdb) == (True, False)
    # Where the lake is (the run header; where `report --out` copies from).
    assert LOCAL.lake_roots(local) == (str(tmp_path.resolve()), str(tmp_path.resolve()))
    assert AWS.lake_roots(aws) == ("s3://raw-b", "s3://clean-s")
    assert _lake(local) == str(tmp_path.resolve())
    assert _lake(aws) == "s3://raw-b + s3://clean-s"
    # The erase job's runs: in AWS they ask ECS for the erase role (EcsRunLauncher's tag).
    assert (LOCAL.runs_in_ecs_tasks, AWS.runs_in_ecs_tasks) == (False, True)
    role = "arn:aws:iam::123456789012:role/wistia-platform-EraseTaskRole-AbC"
    with_role = Settings.from_env({**AWS_ENV, "ERASE_TASK_ROLE_ARN": role})
    assert LOCAL.erase_run_tags(local) == {} and AWS.erase_run_tags(aws) == {}
    assert AWS.erase_run_tags(with_role) == {"ecs/task_overrides": f'{{"taskRoleArn": "{role}"}}'}


def test_query_refuses_the_aws_deployment_with_one_line(monkeypatch):
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    args = type("Args", (), {"smoke": True, "sql": None})()
    with pytest.raises(ConfigError) as error:
        query.main(args)
    assert "Athena" in str(error.value) and "\n" not in str(error.value)


def test_no_module_compares_deployment_names_outside_settings_and_deployments():
    allowed = {PACKAGE / "settings" / "__init__.py", PACKAGE / "deployments.py"}
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path, text in package_sources()
        if path not in allowed
        for n, line in enumerate(text.splitlines(), 1)
        if re.search(r"deployment\s*(==|!=)|(==|!=)\s*['\"](local|aws)['\"]", line)
    ]
    assert offenders == []


def test_the_local_engine_hashes_with_the_key_from_settings(tmp_path, monkeypatch):
    """WISTIA_HASH_KEY reaches the engine through Settings (not the process environment), inside
    a Dagster run, and never shows in the resource's repr (what Dagster logs and displays)."""
    monkeypatch.setenv("WISTIA_HASH_KEY", "the-environment-is-not-asked")
    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(tmp_path), "WISTIA_HASH_KEY": "key-from-settings-7f3a"}
    )
    engine = resources_for(settings)["silver"]
    assert "key-from-settings-7f3a" not in repr(engine)
    seen = []

    @asset
    def hashing(silver: TransformEngine) -> None:
        seen.append(silver._hash_key())

    assert materialize(
        [hashing], resources={"silver": engine}, instance=DagsterInstance.ephemeral()
    ).success
    assert seen == [b"key-from-settings-7f3a"]
    assert not (tmp_path / "hash_key").exists()


def test_the_local_engine_refuses_to_hash_without_a_key_or_a_key_file(tmp_path):
    engine = LocalSparkEngine(
        pyspark=LazyPySparkResource(spark_config={}),
        bronze_root=tmp_path.as_uri(),
        silver_root=tmp_path.as_uri(),
    )
    with pytest.raises(ConfigError, match="set WISTIA_HASH_KEY") as error:
        engine._hash_key()
    assert "\n" not in str(error.value)


def test_without_a_key_the_local_engine_keeps_one_in_the_key_file(tmp_path):
    key_file = tmp_path / "config" / "hash_key"
    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(tmp_path / "lake"), "WISTIA_HASH_KEY_FILE": str(key_file)}
    )
    engine = resources_for(settings)["silver"]
    first = engine._hash_key()
    assert len(first) == 64 and key_file.stat().st_mode & 0o777 == 0o600
    assert engine._hash_key() == first  # the same key on every build


@pytest.mark.parametrize(("steps", "c1_only"), [(1, True), (6, True), (7, False), (14, False)])
def test_the_local_engine_starts_its_jvm_for_the_silver_steps_it_will_run(tmp_path, steps, c1_only):
    """`run` asks the engine for a process of its Silver steps: a few start the JVM with C1
    only, many with both compilers (session.MANY_BUILDS); the rest of the configuration, the
    roots and the key are the deployment's own, and the engine it came from is unchanged."""
    from wistia_assets.transforms.session import C1_ONLY

    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(tmp_path), "WISTIA_HASH_KEY": "key-from-settings-7f3a"}
    )
    engine = resources_for(settings)["silver"]
    tuned = engine.for_silver_steps(steps)
    config = tuned.pyspark.spark_config
    assert (C1_ONLY in config["spark.driver.extraJavaOptions"].split()) is c1_only
    for key, value in engine.pyspark.spark_config.items():
        if key != "spark.driver.extraJavaOptions":
            assert config[key] == value
    assert (tuned.bronze_root, tuned.silver_root) == (engine.bronze_root, engine.silver_root)
    assert tuned._hash_key() == b"key-from-settings-7f3a"
    assert C1_ONLY in engine.pyspark.spark_config["spark.driver.extraJavaOptions"].split()
    # `run` starts the JVM before the engine exists (`session.EarlyStart`), with this session: a
    # session already running keeps its start-up settings whatever a later builder asks.
    from wistia_assets.transforms.session import local_session_conf

    assert local_session_conf(settings.spark_driver_memory, steps) == config
    # Glue's JVM is its own: the aws engine is the same object whatever the steps.
    glue = GlueEngine(
        job_name="j",
        pipes_bucket="p",
        bronze_root="s3://b",
        silver_root="s3://s",
        hash_key_secret_id="k",
    )
    assert glue.for_silver_steps(steps) is glue


def test_the_spark_driver_memory_is_a_setting():
    assert Settings.from_env({}).spark_driver_memory == "2g"
    assert Settings.from_env({"WISTIA_SPARK_DRIVER_MEMORY": "1536M"}).spark_driver_memory == "1536m"
    with pytest.raises(ConfigError, match="WISTIA_SPARK_DRIVER_MEMORY='lots' is not a memory"):
        Settings.from_env({"WISTIA_SPARK_DRIVER_MEMORY": "lots"})
    engine = resources_for(Settings.from_env({"WISTIA_SPARK_DRIVER_MEMORY": "3g"}))["silver"]
    assert engine.pyspark.spark_config["spark.driver.memory"] == "3g"


def test_an_aws_client_gets_endpoint_region_and_retries_in_one_place(monkeypatch):
    client = aws_client("dynamodb", endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    assert (client.meta.endpoint_url, client.meta.region_name) == (
        "http://127.0.0.1:9",
        "eu-west-1",
    )
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    # Without Settings (the transforms inside the Glue job): the same variables Settings reads.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    client = aws_client("s3")
    assert (client.meta.endpoint_url, client.meta.region_name) == (
        "http://127.0.0.1:8",
        "ap-south-1",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    client = aws_client("s3")
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url.startswith("https://s3.")


def test_only_aws_py_builds_aws_clients():
    """The Glue entry script keeps its own: it runs on Glue with the job's arguments only."""
    builders = [
        str(path.relative_to(PACKAGE))
        for path, text in package_sources()
        if re.search(r"boto3\.(client|resource)\(|\.client\(\s*['\"]", text)
    ]
    assert builders == ["aws.py", "glue/silver_job.py"]


def test_only_settings_reads_the_environment():
    """Besides settings/declaration.py (which reads every model's variables, the sandbox's
    included): Dagster's and Spark's own variables, and a subprocess's environment."""
    allowed = {
        "settings/declaration.py",  # `read`: every model's variables, the sandbox's included
        "transforms/session.py",  # sets SPARK_LOCAL_IP / PYSPARK_PYTHON for Spark itself
        "commands/materialize.py",  # DAGSTER_HOME: Dagster's own variable
        "commands/package_glue.py",  # the environment of the `pip wheel` subprocess
    }
    readers = {
        str(path.relative_to(PACKAGE))
        for path, text in package_sources()
        if re.search(r"os\.environ|os\.getenv|getenv\(", text)
    }
    assert readers <= allowed, readers - allowed


def test_the_glue_package_carries_every_module_its_modules_import():
    """`package-glue` ships GLUE_MODULES only: a module they import from outside the list would
    fail on Glue with ModuleNotFoundError (aws.py joined the list with the client factory)."""
    shipped = set()
    for name in GLUE_MODULES:
        shipped |= (
            set((PACKAGE / name).rglob("*.py")) if (PACKAGE / name).is_dir() else {PACKAGE / name}
        )
    missing = set()
    for path in shipped:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "wistia_assets."
            ):
                top = node.module.split(".")[1]
                if not any((PACKAGE / n).stem == top or n == top for n in GLUE_MODULES):
                    missing.add(f"{path.relative_to(PACKAGE)} imports {node.module}")
    assert missing == set()


def test_only_the_local_deployment_starts_spark_in_the_cli_process(tmp_path):
    # `run` starts the JVM early only where Spark runs in its process; aws builds on Glue.
    from wistia_assets.commands.materialize import _start_spark_early

    aws = Settings.from_env(AWS_ENV)
    local = Settings.from_env({"WISTIA_LAKE_ROOT": str(tmp_path)})
    assert (local.runs_spark_here, aws.runs_spark_here) == (True, False)
    assert _start_spark_early(aws, 14, warm=True) is None
