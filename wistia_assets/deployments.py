"""Resources by deployment name, in one place (`DAGSTER_DEPLOYMENT=local|aws`).

`local` is the embedded default: a lake folder, SQLite watermarks, local PySpark, DuckDB, and the
built-in sandbox API unless a token is set (pyspark, dagster-pyspark and duckdb come from the
package's `local` extra and are imported only when the local set is built). `aws` is production:
S3, DynamoDB, Glue + Pipes, the Glue catalog and Athena. Both run the same assets; only these
objects differ. Every AWS client honours `AWS_ENDPOINT_URL`, so the `aws` set runs against a moto
server in tests.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from wistia_assets.resources.alerts import AlertsResource
from wistia_assets.resources.catalog import DuckDbCatalog, GlueAthenaCatalog
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import GlueSilverEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.settings import Settings

STATE_DIR = "_state"


def sandbox_config(env=None) -> dict[str, Any]:
    """The sandbox knobs (WISTIA_SANDBOX_*) as the resource's fields, validated by the sandbox's
    own parser so a typo fails at load time with the variable's name."""
    from wistia_assets.sandbox.config import SandboxConfig

    return SandboxConfig.from_env(env).resource_fields()


def wistia_resource(settings: Settings) -> WistiaApiResource:
    return WistiaApiResource(
        base_url=settings.wistia_base_url,
        # EnvVar: Dagster resolves it at run time and shows only the variable's name in the UI.
        token=EnvVar("WISTIA_API_TOKEN") if settings.wistia_api_token else None,
        sandbox=settings.uses_sandbox,
        **(sandbox_config() if settings.uses_sandbox else {}),
        timeout=settings.wistia_timeout,
        per_page=settings.per_page,
        first_page=settings.first_page,
        rate_per_minute=settings.per_slot_rate_per_minute,
        max_attempts=settings.max_attempts,
        page_prefetch=settings.page_prefetch,
    )


def local_resources(settings: Settings) -> dict[str, Any]:
    # Local-only packages (the `local` extra: pyspark, dagster-pyspark), imported here so that
    # the aws deployment loads without them: the ECS image does not carry them.
    from dagster_pyspark import LazyPySparkResource

    from wistia_assets.resources.spark_engine import SparkSilverEngine
    from wistia_assets.transforms.session import local_spark_conf

    root = settings.lake_root.resolve()
    lake = LakeResource(bronze_root=root.as_uri(), silver_root=root.as_uri())
    return {
        "wistia": wistia_resource(settings),
        "lake": lake,
        "watermarks": WatermarksResource(
            backend="sqlite", sqlite_path=str(root / STATE_DIR / "watermarks.sqlite")
        ),
        "silver": SparkSilverEngine(
            pyspark=LazyPySparkResource(spark_config=local_spark_conf()),
            bronze_root=lake.bronze_root,
            silver_root=lake.silver_root,
            hash_key_file=str(settings.hash_key_file.expanduser()),
            channels=settings.channels,
        ),
        "catalog": DuckDbCatalog(lake_root=str(root)),
        "alerts": AlertsResource(
            backend="log", log_path=str(root / STATE_DIR / "run_failures.jsonl")
        ),
    }


def aws_resources(settings: Settings) -> dict[str, Any]:
    return {
        "wistia": wistia_resource(settings),
        "lake": LakeResource(
            bronze_root=f"s3://{settings.bronze_bucket}",
            silver_root=f"s3://{settings.silver_bucket}",
            endpoint_url=settings.aws_endpoint_url,
        ),
        "watermarks": WatermarksResource(
            backend="dynamodb",
            table=settings.ddb_table,
            key_attributes=(
                ",".join(settings.ddb_key_attributes) if settings.ddb_key_attributes else None
            ),
            endpoint_url=settings.aws_endpoint_url,
            region=settings.aws_region,
        ),
        "silver": GlueSilverEngine(
            job_name=settings.glue_job_name,
            pipes_bucket=settings.pipes_bucket,
            bronze_root=f"s3://{settings.bronze_bucket}",
            silver_root=f"s3://{settings.silver_bucket}",
            hash_key_secret_id=settings.hash_key_secret_id,
            channels=settings.channels,
            endpoint_url=settings.aws_endpoint_url,
            region=settings.aws_region,
        ),
        "catalog": GlueAthenaCatalog(
            database=settings.glue_database,
            silver_bucket=settings.silver_bucket,
            workgroup=settings.athena_workgroup,
            endpoint_url=settings.aws_endpoint_url,
            region=settings.aws_region,
        ),
        "alerts": AlertsResource(
            backend="sns",
            topic_arn=settings.alerts_topic_arn,
            endpoint_url=settings.aws_endpoint_url,
            region=settings.aws_region,
        ),
    }


def resources_for(settings: Settings) -> dict[str, Any]:
    return {"local": local_resources, "aws": aws_resources}[settings.deployment](settings)
