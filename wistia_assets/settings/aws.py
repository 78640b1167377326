"""The AWS model: buckets, the watermark table, Glue, Athena, alerts, the erase role, and where
every AWS client points."""

from __future__ import annotations

from dataclasses import dataclass

from wistia_assets.settings import values
from wistia_assets.settings.declaration import setting


@dataclass(frozen=True)
class AwsSettings:
    bronze_bucket: str | None = setting("BRONZE_BUCKET", help="the lake's Bronze bucket (`aws`)")
    silver_bucket: str | None = setting("SILVER_BUCKET", help="the lake's Silver bucket (`aws`)")
    pipes_bucket: str | None = setting(
        "PIPES_BUCKET",
        fallbacks=("BRONZE_BUCKET",),
        documented_default="`BRONZE_BUCKET`",
        help="bucket for Dagster Pipes context and messages of Glue runs",
    )
    ddb_table: str = setting(
        "DDB_TABLE", default="WistiaWatermarks", help="DynamoDB watermark table"
    )
    # None: the table's own key schema (DescribeTable) names them.
    ddb_key_attributes: tuple[str, str] | None = setting(
        "DDB_KEY_ATTRIBUTES",
        parse=values.key_attributes,
        help="the watermark table's key attribute names, partition then sort key",
    )
    hash_key_secret_id: str | None = setting(
        "WISTIA_HASH_KEY_SECRET_ID",
        help="Secrets Manager id of the HMAC key; the Glue job reads it",
    )
    glue_job_name: str = setting(
        "GLUE_JOB_NAME", default="wistia-silver", help="the Silver Glue job"
    )
    glue_database: str = setting(
        "GLUE_DATABASE", default="wistia_silver", help="Glue catalog database of the Silver tables"
    )
    athena_workgroup: str = setting(
        "ATHENA_WORKGROUP", default="primary", help="workgroup of the table-wide check queries"
    )
    alerts_topic_arn: str | None = setting(
        "ALERTS_TOPIC_ARN", help="SNS topic for run-failure alerts (`aws`)"
    )
    # The role the `erase_viewer` job's runs ask ECS for (the platform stack's EraseTaskRole);
    # the run task's own role may not read Bronze.
    erase_task_role_arn: str | None = setting(
        "ERASE_TASK_ROLE_ARN",
        parse=values.role_arn,
        help="IAM role the `erase_viewer` job's runs ask ECS for (`aws`)",
    )
    aws_endpoint_url: str | None = setting(
        "AWS_ENDPOINT_URL", help="an endpoint override for every AWS client (moto in tests)"
    )
    aws_region: str = setting(
        "AWS_REGION", default="us-east-1", fallbacks=("AWS_DEFAULT_REGION",), help="region"
    )
