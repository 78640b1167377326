"""Resources by deployment name, in one place (`DAGSTER_DEPLOYMENT=local|aws`).

`local` is the embedded default: a lake folder, SQLite watermarks, local PySpark, DuckDB, and the
built-in sandbox API unless a token is set. `aws` is production: S3, DynamoDB, Glue + Pipes,
the Glue catalog and Athena. Both run the same assets; only these objects differ. Every AWS client
honours `AWS_ENDPOINT_URL`, so the `aws` set runs against a moto server in tests.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar
from dagster_pyspark import LazyPySparkResource

from wistia_assets.resources.alerts import AlertsResource
from wistia_assets.resources.catalog import DuckDbCatalog, GlueAthenaCatalog
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import GlueSilverEngine, SparkSilverEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.settings import Settings
from wistia_assets.transforms.session import local_spark_conf

STATE_DIR = "_state"


def sandbox_config(env=None) -> dict[str, Any]:
    """The sandbox knobs (WISTIA_SANDBOX_*), validated here so a typo fails at load time."""
    import os

    from wistia_assets.sandbox import Faults, parse_events_per_day
    from wistia_assets.settings import ConfigError

    env = os.environ if env is None else env
    config = {
        "sandbox_faults": env.get("WISTIA_SANDBOX_FAULTS", "").strip(),
        "sandbox_seed": env.get("WISTIA_SANDBOX_SEED", "7").strip() or "7",
        "sandbox_events_per_day": env.get("WISTIA_SANDBOX_EVENTS_PER_DAY", "").strip() or "120-420",
        "sandbox_day_offset_hours": env.get("WISTIA_SANDBOX_DAY_OFFSET_HOURS", "0").strip() or "0",
    }
    try:
        Faults.parse(config["sandbox_faults"])
        parse_events_per_day(config["sandbox_events_per_day"])
        config["sandbox_seed"] = int(config["sandbox_seed"])
        config["sandbox_day_offset_hours"] = int(config["sandbox_day_offset_hours"])
    except ValueError as exc:
        raise ConfigError(f"WISTIA_SANDBOX_* setting rejected: {exc}") from None
    return config


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
