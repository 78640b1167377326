"""The `aws` deployment end to end on moto: the real definitions and resources (S3 lake, DynamoDB
watermarks, Glue job through PipesGlueClient, Glue catalog, Athena), with the only stand-in the
Glue client whose runs execute the real entry script on local Spark (moto runs no Glue job)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import boto3
import pytest
from dagster import AssetKey, DagsterInstance

from wistia_assets.definitions import build_defs
from wistia_assets.glue import silver_job
from wistia_assets.resources.catalog import DUPLICATES_SQL
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.conftest import create_watermark_table
from wistia_assets_tests.glue_local import LocalGlueClient
from wistia_assets_tests.support.aws_runs import build_gold_day, seed_athena
from wistia_assets_tests.support.deploy import cfn_template

DAY = date(2026, 11, 12)
MEDIA = SANDBOX_MEDIA_IDS[0]
TOKEN = "aws-test-token-5b1f"
HASH_KEY = "aws-test-hash-key-77c2"


class LocalRunGlueEngine(GlueEngine):
    """The production engine, with its Glue client wrapped to run the entry script locally."""

    workdir: str

    def _clients(self):
        glue, s3 = super()._clients()
        return LocalGlueClient(glue, s3, workdir=Path(self.workdir)), s3


def _silver_table(glue, database: str, name: str, bucket: str, partitioned: bool) -> None:
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": (
                [{"Name": "dt", "Type": "string"}, {"Name": "media_id", "Type": "string"}]
                if partitioned
                else []
            ),
            "StorageDescriptor": {
                "Columns": [{"Name": "event_key", "Type": "string"}],
                "Location": f"s3://{bucket}/silver/wistia/{name}/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": (
                        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    )
                },
            },
        },
    )


@pytest.fixture
def aws(aws_endpoint, spark, tmp_path, monkeypatch):
    suffix = uuid.uuid4().hex[:8]
    names = {zone: f"wistia-{zone}-{suffix}" for zone in ("bronze", "silver", "pipes")}
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    for bucket in names.values():
        s3.create_bucket(Bucket=bucket)
    table = create_watermark_table(aws_endpoint)
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint)
    secret_id = f"wistia/hash-key-{suffix}"
    boto3.client("secretsmanager", endpoint_url=aws_endpoint).create_secret(
        Name=secret_id, SecretString=HASH_KEY
    )
    glue = boto3.client("glue", endpoint_url=aws_endpoint)
    job = f"wistia-silver-{suffix}"
    glue.create_job(
        Name=job,
        Role="arn:aws:iam::123456789012:role/wistia-glue",
        Command={"Name": "glueetl", "ScriptLocation": silver_job.__file__, "PythonVersion": "3"},
        GlueVersion="5.0",
        DefaultArguments={"--additional-python-modules": "dagster-pipes==1.13.27"},
    )
    database = f"wistia_silver_{suffix}"
    glue.create_database(DatabaseInput={"Name": database})
    _silver_table(glue, database, "fact_events", names["silver"], True)
    _silver_table(glue, database, "fact_media_by_date", names["silver"], True)
    _silver_table(glue, database, "dim_media", names["silver"], False)
    topic = boto3.client("sns", endpoint_url=aws_endpoint).create_topic(Name=f"alerts-{suffix}")

    sandbox = SandboxWistia(token=TOKEN, events_per_day=260, seed=5)
    server = serve(sandbox)
    env = {
        "DAGSTER_DEPLOYMENT": "aws",
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_BASE_URL": server.url,
        "MEDIA_IDS": ",".join(SANDBOX_MEDIA_IDS),
        "MEDIA_CHANNELS": f"{MEDIA}:youtube",
        "BRONZE_BUCKET": names["bronze"],
        "SILVER_BUCKET": names["silver"],
        "PIPES_BUCKET": names["pipes"],
        "DDB_TABLE": table,
        "GLUE_JOB_NAME": job,
        "GLUE_DATABASE": database,
        "WISTIA_HASH_KEY_SECRET_ID": secret_id,
        "ALERTS_TOPIC_ARN": topic["TopicArn"],
        "AWS_ENDPOINT_URL": aws_endpoint,
        "WISTIA_START_DATE": "2026-11-01",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env(env)
    engine = LocalRunGlueEngine(
        job_name=job,
        pipes_bucket=names["pipes"],
        bronze_root=f"s3://{names['bronze']}",
        silver_root=f"s3://{names['silver']}",
        hash_key_secret_id=secret_id,
        channels=settings.channels,
        endpoint_url=aws_endpoint,
        workdir=str(tmp_path),
    )
    defs = build_defs(settings, resource_overrides={"silver": engine})
    yield dict(
        defs=defs,
        s3=s3,
        ddb=ddb,
        glue=glue,
        names=names,
        table=table,
        database=database,
        sandbox=sandbox,
        endpoint=aws_endpoint,
    )
    server.shutdown()


def projected_location(table: str, bucket: str) -> str:
    """The data stack's partition-projection location template of `table` in `bucket`."""
    tables = {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in cfn_template("data.yaml")["Resources"].values()
        if r["Type"] == "AWS::Glue::Table"
    }
    parameters = tables[table]["Parameters"]
    assert parameters["projection.enabled"] == "true"
    template = parameters["storage.location.template"]["Fn::Sub"]
    return template.replace("${SilverBucket}", bucket).replace("${!", "${")


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_window_then_gold_run_on_s3_glue_and_dynamodb(aws):
    """The window job (Bronze, Silver on Glue, Athena checks, watermarks), then the day's Gold
    and the media report from that same Silver."""
    seed_athena(aws["endpoint"], "0")
    instance = DagsterInstance.ephemeral()
    job = aws["defs"].resolve_job_def("wistia_window")
    result = job.execute_in_process(partition_key=f"{DAY}|{MEDIA}", instance=instance)
    assert result.success
    s3, names = aws["s3"], aws["names"]

    bronze = _keys(s3, names["bronze"], f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}/")
    assert any(k.endswith("_manifest.json") for k in bronze)
    silver = _keys(s3, names["silver"], f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA}/")
    assert [k for k in silver if k.endswith(".parquet")]
    assert _keys(
        s3, names["silver"], f"silver/wistia/fact_media_by_date/dt={DAY}/media_id={MEDIA}/"
    )

    # Athena finds the partitions by projection (data.yaml's storage.location.template), which
    # makes it ignore registered partitions: nothing registers any.
    for table in ("fact_events", "fact_media_by_date"):
        partitions = aws["glue"].get_partitions(DatabaseName=aws["database"], TableName=table)
        assert partitions["Partitions"] == []
        template = projected_location(table, names["silver"])
        location = template.replace("${dt}", str(DAY)).replace("${media_id}", MEDIA)
        prefix = location.removeprefix(f"s3://{names['silver']}/") + "/"
        assert [k for k in _keys(s3, names["silver"], prefix) if k.endswith(".parquet")]

    # Watermarks advanced in DynamoDB, for both datasets, only after Silver succeeded.
    items = aws["ddb"].scan(TableName=aws["table"])["Items"]
    assert {(i["dataset"]["S"], i["media_id"]["S"], i["last_date"]["S"]) for i in items} == {
        ("events", MEDIA, str(DAY)),
        ("media_by_date", MEDIA, str(DAY)),
    }

    metadata = {
        e.event_specific_data.materialization.asset_key.to_user_string(): {
            k: getattr(v, "value", v)
            for k, v in e.event_specific_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    events = metadata["fact_events"]
    truth = aws["sandbox"].ground_truth_events(MEDIA, DAY)
    assert events["dagster/partition_row_count"] == len(truth)
    assert events["engine"] == "glue" and events["glue_run_id"]
    assert metadata["bronze_events"]["source"] == "wistia"
    checks = {
        (c.asset_key.to_user_string(), c.check_name): c
        for c in result.get_asset_check_evaluations()
    }
    assert checks[("fact_events", "event_key_unique")].passed
    # moto answers every Athena query with the "0" queued above, whatever it asks: what can fail
    # here is which query reached Athena, where, and that "0" is the truth of what Glue wrote.
    assert_the_duplicates_query_went_to_athena(aws)
    written = _parquet_event_keys(s3, names["silver"], "silver/wistia/fact_events/")
    assert len(written) == len(set(written)) == len(truth), (
        f"Silver on S3 holds {len(written)} event keys, {len(set(written))} distinct, for "
        f"{len(truth)} sandbox events: the queued Athena answer (0 duplicates) is not the truth"
    )
    assert checks[("fact_events", "no_personal_data")].passed
    assert checks[("fact_events", "reconciles_with_play_count")].passed

    assert_gold_and_the_report_run_on_glue_and_land_on_s3(aws, instance)


def _parquet_event_keys(s3, bucket: str, prefix: str) -> list[str]:
    import io

    import pyarrow.parquet as pq

    keys = []
    for key in _keys(s3, bucket, prefix):
        if key.endswith(".parquet"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            keys += pq.read_table(io.BytesIO(body), columns=["event_key"])["event_key"].to_pylist()
    return keys


def assert_the_duplicates_query_went_to_athena(aws) -> None:
    athena = boto3.client("athena", endpoint_url=aws["endpoint"])
    ids = athena.list_query_executions()["QueryExecutionIds"]
    executions = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    asked = [
        (e["Query"], e["QueryExecutionContext"].get("Database"))
        for e in executions
        if "event_key" in e["Query"]
    ]
    assert (DUPLICATES_SQL, aws["database"]) in asked, (
        f"the event_key_unique check should ask Athena `{DUPLICATES_SQL}` in database "
        f"{aws['database']}; Athena was asked {asked}"
    )


def test_dim_media_refresh_on_glue(aws):
    job = aws["defs"].resolve_job_def("wistia_window")
    instance = DagsterInstance.ephemeral()
    # dim_media needs only the metadata snapshots: pull just those (fast), then build on Glue.
    for media in SANDBOX_MEDIA_IDS:
        assert job.execute_in_process(
            partition_key=f"{DAY}|{media}",
            instance=instance,
            asset_selection=[AssetKey("bronze_media_metadata")],
        ).success
    result = aws["defs"].resolve_job_def("dim_media_refresh").execute_in_process(instance=instance)
    assert result.success
    keys = _keys(aws["s3"], aws["names"]["silver"], "silver/wistia/dim_media/")
    assert [k for k in keys if k.endswith(".parquet")]
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["every_media_present"] and checks["media_id_unique"]
    assert checks["no_personal_data"]
    # MEDIA_CHANNELS names one media; the other's channel comes from its name (".. FB").
    assert checks["channel_known"]


def assert_gold_and_the_report_run_on_glue_and_land_on_s3(aws, instance) -> None:
    """media_daily and the report's figures run in the Glue job (the run task has no Spark);
    the run task draws the report and writes it next to Gold in the silver bucket."""
    defs, s3, silver = aws["defs"], aws["s3"], aws["names"]["silver"]
    days = build_gold_day(defs, instance, DAY)
    gold = _keys(s3, silver, f"gold/wistia/media_daily/dt={DAY}/")
    assert [k for k in gold if k.endswith(".parquet")]
    (daily,) = [
        e.event_specific_data.materialization.metadata
        for e in days.get_asset_materialization_events()
    ]
    assert daily["engine"].value == "glue" and daily["glue_run_id"].value
    other = SANDBOX_MEDIA_IDS[1]
    assert daily["missing"].value == {str(DAY): [other]}  # only one media was built

    report = defs.resolve_job_def("media_report_build").execute_in_process(
        instance=instance,
        run_config={"ops": {"media_report": {"config": {"start": str(DAY), "end": str(DAY)}}}},
    )
    assert report.success
    (metadata,) = [
        e.event_specific_data.materialization.metadata
        for e in report.get_asset_materialization_events()
    ]
    key = f"reports/wistia/media_report_{DAY}_{DAY}.html"
    assert metadata["report"].value == f"s3://{silver}/{key}"
    html = s3.get_object(Bucket=silver, Key=key)["Body"].read().decode()
    truth = aws["sandbox"].ground_truth_events(MEDIA, DAY)
    by_date = aws["sandbox"].ground_truth_by_date(MEDIA, DAY)
    # The figures came back through Pipes from the Glue run and are the sandbox's own numbers.
    assert f"<td>{len(truth):,}</td>" in html and f"<td>{by_date['load_count']:,}</td>" in html
    assert "Not built yet, shown as missing" in metadata["coverage"].value
    assert "![daily trend](data:image/png;base64," in metadata["trend_chart"].value
