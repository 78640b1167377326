"""Everything that differs by deployment, in one place (`DAGSTER_DEPLOYMENT=local|aws`).

`local` is the embedded default: a lake folder, SQLite watermarks, local PySpark, DuckDB, and the
built-in sandbox API unless a token is set (pyspark, dagster-pyspark and duckdb come from the
package's `local` extra and are imported only when the local set is built). `aws` is production:
S3, DynamoDB, Glue + Pipes, the Glue catalog and Athena. Both run the same assets; only these
objects differ. Every AWS client honours `AWS_ENDPOINT_URL` (`aws.py`), so the `aws` set runs
against a moto server in tests.

Code elsewhere asks the `Deployment` (`deployment_for(settings)`) what it needs — whether the
schedule starts on its own, the Spark steps' pool, whether there is a local DuckDB, where the
lake is — instead of comparing deployment names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from dagster import Backoff, RetryPolicy

from wistia_assets.resources.alerts import LogAlerts, SnsAlerts
from wistia_assets.resources.catalog import DuckDbCatalog, GlueAthenaCatalog
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets.resources.watermarks import DynamoWatermarks, SqliteWatermarks
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.settings import ConfigError, Settings

STATE_DIR = "_state"
# The run tag dagster-aws's EcsRunLauncher merges into RunTask's `overrides` (JSON).
ECS_TASK_OVERRIDES = "ecs/task_overrides"


def wistia_resource(settings: Settings) -> WistiaApiResource:
    """The API model of `settings`; locally without a token, the sandbox of the WISTIA_SANDBOX_*
    variables (a typo fails at load time with the variable's name)."""
    sandbox = SandboxConfig.from_env() if settings.uses_sandbox else None
    return WistiaApiResource.for_settings(settings, sandbox)


def local_resources(settings: Settings) -> dict[str, Any]:
    # Local-only packages (the `local` extra: pyspark, dagster-pyspark), imported here so that
    # the aws deployment loads without them: the ECS image does not carry them.
    from dagster_pyspark import LazyPySparkResource

    from wistia_assets.resources.spark_engine import LocalSparkEngine
    from wistia_assets.transforms.session import local_spark_conf

    root = settings.lake_root.resolve()
    lake = LakeResource(bronze_root=root.as_uri(), silver_root=root.as_uri())
    return {
        "wistia": wistia_resource(settings),
        "lake": lake,
        "watermarks": SqliteWatermarks(sqlite_path=str(root / STATE_DIR / "watermarks.sqlite")),
        "silver": LocalSparkEngine(
            pyspark=LazyPySparkResource(
                spark_config=local_spark_conf(driver_memory=settings.spark_driver_memory)
            ),
            bronze_root=lake.bronze_root,
            silver_root=lake.silver_root,
            # A resource dependency, not config: Dagster shows config values in the UI; the
            # Secret reaches the engine as an object and prints only as asterisks.
            **({"hash_key": settings.hash_key} if settings.hash_key else {}),
            hash_key_file=str(settings.hash_key_file.expanduser()),
            channels=settings.channels,
        ),
        "catalog": DuckDbCatalog(lake_root=str(root)),
        "alerts": LogAlerts(log_path=str(root / STATE_DIR / "run_failures.jsonl")),
    }


def _required(value: str | None, variable: str) -> str:
    """A setting the aws deployment cannot run without. `Settings.from_env` already refuses to
    start without it; a Settings built otherwise gets the same refusal, not a None resource."""
    if value is None:
        raise ConfigError(f"{variable} is not set: the aws deployment needs it")
    return value


class AwsEndpoint(TypedDict):
    endpoint_url: str | None
    region: str


def aws_resources(settings: Settings) -> dict[str, Any]:
    bronze_root, silver_root = _aws_lake(settings)
    # Every AWS resource's endpoint (moto, LocalStack, or None for AWS) and region.
    aws = AwsEndpoint(endpoint_url=settings.aws_endpoint_url, region=settings.aws_region)
    return {
        "wistia": wistia_resource(settings),
        "lake": LakeResource(
            bronze_root=bronze_root,
            silver_root=silver_root,
            **aws,
        ),
        "watermarks": DynamoWatermarks(
            table=settings.ddb_table,
            key_attributes=(
                ",".join(settings.ddb_key_attributes) if settings.ddb_key_attributes else None
            ),
            **aws,
        ),
        "silver": GlueEngine(
            job_name=settings.glue_job_name,
            pipes_bucket=_required(settings.pipes_bucket, "PIPES_BUCKET (or BRONZE_BUCKET)"),
            bronze_root=bronze_root,
            silver_root=silver_root,
            hash_key_secret_id=_required(settings.hash_key_secret_id, "WISTIA_HASH_KEY_SECRET_ID"),
            channels=settings.channels,
            **aws,
        ),
        "catalog": GlueAthenaCatalog(
            database=settings.glue_database,
            silver_bucket=_required(settings.silver_bucket, "SILVER_BUCKET"),
            workgroup=settings.athena_workgroup,
            **aws,
        ),
        "alerts": SnsAlerts(
            topic_arn=settings.alerts_topic_arn,
            **aws,
        ),
    }


@dataclass(frozen=True)
class Deployment:
    """What the rest of the code needs to know about a deployment, beside its resources."""

    name: str
    resources: Callable[[Settings], dict[str, Any]]
    # The daily schedule and the automation sensor start RUNNING (a deploy turns them on); locally
    # `make dev` must never call anything by surprise, so they start STOPPED.
    starts_on_its_own: bool
    # The Dagster pool of every Spark (Silver and Gold) step.
    spark_pool: str
    # A Glue run can fail for reasons that pass (capacity, a lost executor): retry once. A local
    # Spark failure is a bug or bad data and fails the same way again: no retry, no waiting.
    spark_retry_policy: RetryPolicy | None
    # The lake is a local folder DuckDB reads (`wistia-assets query`, the run summary's counts and
    # smoke queries); in AWS the tables are queried with Athena.
    has_local_duckdb: bool
    # (bronze, silver) lake roots: a folder, or s3:// buckets.
    lake_roots: Callable[[Settings], tuple[str, str]]
    # Each run is an ECS task (EcsRunLauncher) whose role is the run task definition's.
    runs_in_ecs_tasks: bool
    # Run tags of the `erase_viewer` job: what its runs need beside the job itself.
    erase_run_tags: Callable[[Settings], dict[str, str]]


def _local_lake(settings: Settings) -> tuple[str, str]:
    root = str(settings.lake_root.resolve())
    return root, root


def _aws_lake(settings: Settings) -> tuple[str, str]:
    bronze = _required(settings.bronze_bucket, "BRONZE_BUCKET")
    silver = _required(settings.silver_bucket, "SILVER_BUCKET")
    return f"s3://{bronze}", f"s3://{silver}"


def _no_tags(settings: Settings) -> dict[str, str]:
    return {}


def _erase_under_its_role(settings: Settings) -> dict[str, str]:
    """The erase run asks ECS for the platform stack's EraseTaskRole (read and rewrite Bronze
    events) instead of the run task definition's RunTaskRole (which may not read Bronze):
    EcsRunLauncher merges the `ecs/task_overrides` run tag into RunTask's `overrides`. Without
    the role the job refuses to start (erasure/job.py) rather than fail on its first read."""
    if settings.erase_task_role_arn is None:
        return {}
    return {ECS_TASK_OVERRIDES: json.dumps({"taskRoleArn": settings.erase_task_role_arn})}


LOCAL = Deployment(
    name="local",
    resources=local_resources,
    starts_on_its_own=False,
    spark_pool="spark",
    spark_retry_policy=None,
    has_local_duckdb=True,
    lake_roots=_local_lake,
    runs_in_ecs_tasks=False,
    erase_run_tags=_no_tags,
)
AWS = Deployment(
    name="aws",
    resources=aws_resources,
    starts_on_its_own=True,
    spark_pool="glue",
    spark_retry_policy=RetryPolicy(max_retries=1, delay=60, backoff=Backoff.EXPONENTIAL),
    has_local_duckdb=False,
    lake_roots=_aws_lake,
    runs_in_ecs_tasks=True,
    erase_run_tags=_erase_under_its_role,
)
# Settings validates DAGSTER_DEPLOYMENT against settings.DEPLOYMENTS: the same names.
BY_NAME = {deployment.name: deployment for deployment in (LOCAL, AWS)}


def deployment_for(settings: Settings) -> Deployment:
    return BY_NAME[settings.deployment]


def resources_for(settings: Settings) -> dict[str, Any]:
    return deployment_for(settings).resources(settings)
