"""The Glue path end to end on moto: a Dagster asset drives the production `GlueEngine`
(dagster-aws's `PipesGlueClient`, S3 context injector, S3 message reader), the wrapped Glue
client runs the real entry script with local Spark, and the run's typed result comes back
through Pipes equal to what a local build of the same Bronze returns, while Silver lands in the
silver bucket. A second run fails inside Glue and must fail the asset with Glue's message.
Also: the job's argument handling, which never needs Spark."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
import dataclasses
import io
import uuid
from pathlib import Path
from types import SimpleNamespace

import boto3
import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    MaterializeResult,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    materialize,
)

from wistia_assets.assets.metadata import result_metadata
from wistia_assets.glue import silver_job
from wistia_assets.glue.silver_job import JobArgumentError, parse_args
from wistia_assets.partitions import Window
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets.transforms.runner import run_partition
from wistia_assets_tests.glue_local import LocalGlueClient
from wistia_assets_tests.support.transforms import (
    EMAIL,
    HASH_KEY,
    IPV4,
    MEDIA_A,
    MEDIA_B,
    fixture_lines,
    strings_in,
    write_bronze,
)

DAY = "2026-11-20"
PARTITIONS = MultiPartitionsDefinition(
    {
        "date": StaticPartitionsDefinition([DAY, "2026-11-21"]),
        "media_id": StaticPartitionsDefinition([MEDIA_A, MEDIA_B]),
    }
)
# The wrapped Glue client of each test's engine, by its work folder (a resource holds config only).
GLUE_CLIENTS: dict[str, LocalGlueClient] = {}


class LocalRunGlueEngine(GlueEngine):
    """The production engine, its Glue client running the entry script locally."""

    workdir: str

    def _clients(self):
        local_glue = GLUE_CLIENTS[self.workdir]
        return local_glue, local_glue.s3


def fact_events_asset(results: list | None = None):
    """Calls the engine as the Silver step does, and maps its result with the one mapping."""

    @asset(name="fact_events", partitions_def=PARTITIONS)
    def fact_events(context: AssetExecutionContext, silver: GlueEngine):
        result = silver.build_partition(context, "fact_events", Window.parse(context.partition_key))
        if results is not None:
            results.append(result)
        return MaterializeResult(metadata=result_metadata(result, engine=silver.kind))

    return fact_events


@pytest.fixture
def glue_env(aws_endpoint, spark, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    bronze, silver, pipes = (f"wistia-{zone}-{suffix}" for zone in ("bronze", "silver", "pipes"))
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    for bucket in (bronze, silver, pipes):
        s3.create_bucket(Bucket=bucket)

    # Bronze as the Bronze assets leave it: parts + manifest under the bronze bucket.
    source = tmp_path / "bronze-source"
    write_bronze(source, "events", DAY, MEDIA_A, fixture_lines("events_current.ndjson"))
    for path in (source / "bronze").rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), bronze, path.relative_to(source).as_posix())

    secret_id = f"wistia/hash-key-{suffix}"
    secrets = boto3.client("secretsmanager", endpoint_url=aws_endpoint)
    secrets.create_secret(Name=secret_id, SecretString=HASH_KEY.decode())

    s3.upload_file(silver_job.__file__, pipes, "scripts/silver_job.py")
    glue = boto3.client("glue", endpoint_url=aws_endpoint)
    job_name = f"wistia-silver-{suffix}"
    glue.create_job(
        Name=job_name,
        Role="arn:aws:iam::123456789012:role/wistia-glue",
        Command={
            "Name": "glueetl",
            "ScriptLocation": f"s3://{pipes}/scripts/silver_job.py",
            "PythonVersion": "3",
        },
        GlueVersion="5.0",
        ExecutionProperty={"MaxConcurrentRuns": 4},
        DefaultArguments={
            "--additional-python-modules": "dagster-pipes==1.13.27",
            "--bronze-root": f"s3://{bronze}",
            "--silver-root": f"s3://{silver}",
            "--hash-key-secret-id": secret_id,
        },
    )
    local_glue = LocalGlueClient(glue, s3, workdir=tmp_path)
    GLUE_CLIENTS[str(tmp_path)] = local_glue
    engine = LocalRunGlueEngine(
        job_name=job_name,
        pipes_bucket=pipes,
        bronze_root=f"s3://{bronze}",
        silver_root=f"s3://{silver}",
        hash_key_secret_id=secret_id,
        endpoint_url=aws_endpoint,
        workdir=str(tmp_path),
    )
    yield SimpleNamespace(
        s3=s3,
        bronze=bronze,
        silver=silver,
        source=source,
        job_name=job_name,
        local_glue=local_glue,
        engine=engine,
    )
    GLUE_CLIENTS.pop(str(tmp_path), None)


def keys_under(s3, bucket: str, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


@pytest.mark.slow
def test_a_glue_run_returns_what_a_local_build_returns_and_writes_silver_to_s3(glue_env, spark):
    results: list = []
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [fact_events_asset(results)],
            partition_key=MultiPartitionKey({"date": DAY, "media_id": MEDIA_A}),
            resources={"silver": glue_env.engine},
            instance=instance,
        )
    assert result.success
    (glued,) = results
    assert glued.glue_run_id and glued.glue_run_id in glue_env.local_glue.runs

    # The same Bronze built locally: the same result but for where it was written and when.
    uri = f"file://{glue_env.source}"
    local = run_partition(spark, table="fact_events", dt=DAY, media_id=MEDIA_A,
                          bronze_root=uri, silver_root=uri, hash_key=HASH_KEY)  # fmt: skip
    elsewhere = {"location": "", "quarantine_location": "", "elapsed_seconds": 0.0}
    assert dataclasses.replace(glued, **elsewhere, glue_run_id=None) == dataclasses.replace(
        local, **elsewhere
    )
    # ev-c-003 was received on the 21st: routed away to that day, counted, not a row here.
    assert (glued.rows, glued.routed_away, glued.duplicates_removed) == (5, 1, 1)
    assert glued.quarantine_reasons["missing event_key"] == 2
    assert sum(glued.received_histogram.counts.values()) == 6

    (materialization,) = result.asset_materializations_for_node("fact_events")
    metadata = materialization.metadata
    assert metadata["engine"].value == "glue"
    assert metadata["glue_run_id"].value == glued.glue_run_id
    assert metadata["dagster/partition_row_count"].value == 5
    # Nothing but the engine's result reached the asset: no materialization of the job's own.
    assert "AWS Glue Job Run ID" not in metadata

    # The run got Glue's own arguments too, and ignored them.
    (run,) = glue_env.local_glue.runs.values()
    assert run.state == "SUCCEEDED" and run.arguments["--JOB_NAME"] == glue_env.job_name

    prefix = f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA_A}/"
    (parquet_key,) = [
        k for k in keys_under(glue_env.s3, glue_env.silver, prefix) if k.endswith(".parquet")
    ]
    body = glue_env.s3.get_object(Bucket=glue_env.silver, Key=parquet_key)["Body"].read()
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    assert sorted(row["event_key"] for row in rows) == [f"ev-c-00{i}" for i in (1, 2, 4, 5, 6)]
    assert not [t for t in strings_in(rows) if IPV4.search(t) or EMAIL.search(t)]
    quarantine = f"bronze/wistia/_quarantine/events/dt={DAY}/media_id={MEDIA_A}/"
    assert [k for k in keys_under(glue_env.s3, glue_env.bronze, quarantine) if "/part-" in k]
    assert not keys_under(glue_env.s3, glue_env.silver, "bronze/")  # raw lines stay in Bronze


@pytest.mark.slow
def test_a_glue_run_erases_a_viewer_from_a_partition_whose_bronze_expired(glue_env):
    key = MultiPartitionKey({"date": DAY, "media_id": MEDIA_A})
    prefix = f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA_A}/"

    def rows() -> list[dict]:
        keys = [
            k for k in keys_under(glue_env.s3, glue_env.silver, prefix) if k.endswith(".parquet")
        ]
        bodies = [
            glue_env.s3.get_object(Bucket=glue_env.silver, Key=k)["Body"].read() for k in keys
        ]
        return [r for b in bodies for r in pq.read_table(io.BytesIO(b)).to_pylist()]

    results: list = []

    @asset(name="fact_events", partitions_def=PARTITIONS)
    def erase(context: AssetExecutionContext, silver: GlueEngine):
        window = Window.parse(context.partition_key)
        results.append(silver.erase_rows(context, window, [theirs]))
        return MaterializeResult()

    with DagsterInstance.ephemeral() as instance:
        built = materialize([fact_events_asset()], partition_key=key,
                            resources={"silver": glue_env.engine}, instance=instance)  # fmt: skip
        assert built.success
        before = rows()
        theirs = next(r["visitor_hash"] for r in before if r["visitor_hash"])
        # The Bronze partition expires (the bucket's lifecycle): nothing to rebuild from.
        bronze = f"bronze/wistia/events/dt={DAY}/media_id={MEDIA_A}/"
        for k in keys_under(glue_env.s3, glue_env.bronze, bronze):
            glue_env.s3.delete_object(Bucket=glue_env.bronze, Key=k)
        erased = materialize([erase], partition_key=key,
                             resources={"silver": glue_env.engine}, instance=instance)  # fmt: skip
        assert erased.success
    (result,) = results
    gone = sum(r["visitor_hash"] == theirs for r in before)
    assert gone and (result.rows_removed, result.rows) == (gone, len(before) - gone)
    assert result.glue_run_id in glue_env.local_glue.runs
    assert rows() == [r for r in before if r["visitor_hash"] != theirs]
    run = glue_env.local_glue.runs[result.glue_run_id]
    assert run.arguments["--erase-visitor-hashes"] == theirs


@pytest.mark.slow
def test_a_failed_glue_run_fails_the_asset_with_glues_message(glue_env):
    # 2026-11-21 was never pulled: the job fails inside Glue, Glue reports FAILED.
    with DagsterInstance.ephemeral() as instance, pytest.raises(Exception) as raised:
        materialize(
            [fact_events_asset()],
            partition_key=MultiPartitionKey({"date": "2026-11-21", "media_id": MEDIA_A}),
            resources={"silver": glue_env.engine},
            instance=instance,
        )
    chain, error = [], raised.value
    while error is not None and all(error is not seen for seen in chain):  # chains can loop
        chain.append(error)
        error = error.__cause__ or error.__context__
    text = "\n".join(str(e) for e in chain)
    assert "completed with status FAILED" in text
    assert f"bronze_events for 2026-11-21|{MEDIA_A} has not been ingested" in text
    (run,) = glue_env.local_glue.runs.values()
    assert run.state == "FAILED" and "BronzeNotIngested" in (run.error or "")
    prefix = "silver/wistia/fact_events/dt=2026-11-21/"
    assert keys_under(glue_env.s3, glue_env.silver, prefix) == []


def test_job_arguments_ignore_glues_own_and_check_what_each_table_needs():
    args = parse_args(
        [
            "--JOB_NAME",
            "wistia-silver",
            "--job-bookmark-option",
            "job-bookmark-disable",
            "--table",
            "dim_media",
            "--bronze-root",
            "s3://bronze",
            "--silver-root",
            "s3://silver",
            "--channels",
            '{"e4a27b971d": "youtube"}',
        ]
    )
    assert args.table == "dim_media" and args.channels == {"e4a27b971d": "youtube"}
    base = ["--bronze-root", "s3://b", "--silver-root", "s3://s"]
    with pytest.raises(JobArgumentError, match="needs --dt and --media-id"):
        parse_args(["--table", "fact_events", *base])
    with pytest.raises(JobArgumentError, match="--hash-key-secret-id"):
        parse_args(["--table", "fact_events", "--dt", DAY, "--media-id", MEDIA_A, *base])
    with pytest.raises(JobArgumentError, match="--channels"):
        parse_args(["--table", "dim_media", "--channels", "[1]", *base])
    with pytest.raises(JobArgumentError, match="--table"):
        parse_args(["--table", "bronze_events", *base])
    with pytest.raises(JobArgumentError, match="fact_media_by_date needs --bronze-root"):
        parse_args(["--table", "fact_media_by_date", "--dt", DAY, "--media-id", MEDIA_A,
                    "--silver-root", "s3://s"])  # fmt: skip
    # Gold reads and writes the silver root only, over a range of days and the given media.
    gold = parse_args(["--table", "media_report", "--silver-root", "s3://s", "--from", DAY,
                       "--to", DAY, "--media-ids", f"{MEDIA_A},{MEDIA_B}"])  # fmt: skip
    assert (gold.first, gold.last, gold.media_ids) == (DAY, DAY, (MEDIA_A, MEDIA_B))
    with pytest.raises(JobArgumentError, match="needs --from, --to and --media-ids"):
        parse_args(["--table", "media_daily", "--silver-root", "s3://s", "--from", DAY])


def test_the_erase_mode_takes_hmacs_only_and_no_bronze():
    hashes = f"{'a' * 64},{'b' * 64}"
    args = parse_args(["--table", "fact_events", "--dt", DAY, "--media-id", MEDIA_A,
                       "--silver-root", "s3://s", "--erase-visitor-hashes", hashes])  # fmt: skip
    assert args.erase_visitor_hashes == {"a" * 64, "b" * 64}
    for bad in ("", "the-visitor-key", f"{'a' * 64},ana@example.org"):
        with pytest.raises(JobArgumentError, match="64-character") as caught:
            parse_args(["--table", "fact_events", "--dt", DAY, "--media-id", MEDIA_A,
                        "--silver-root", "s3://s", "--erase-visitor-hashes", bad])  # fmt: skip
        assert "ana@" not in str(caught.value) and "the-visitor-key" not in str(caught.value)
    with pytest.raises(JobArgumentError, match="goes with --table fact_events"):
        parse_args(["--table", "fact_media_by_date", "--dt", DAY, "--media-id", MEDIA_A,
                    "--silver-root", "s3://s", "--erase-visitor-hashes", hashes])  # fmt: skip


def test_the_glue_package_needs_no_dagster():
    """Glue has pyspark, boto3 and dagster-pipes only: the job's imports must not reach dagster."""
    import ast

    package = Path(silver_job.__file__).parents[1]
    sources = []
    for folder in ("settings", "glue", "transforms", "storage"):
        sources += sorted((package / folder).rglob("*.py"))
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.split(".")[0] == "dagster"], path


def test_secrets_manager_gets_the_jobs_region(aws_endpoint, monkeypatch):
    """Glue gives boto3 no region: the job's --aws-region (the stack's) reaches the client, and
    without any region the job says where one comes from instead of botocore's NoRegionError."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    assert silver_job.aws_region(["--table", "dim_media", "--aws-region", "eu-west-1"]) == (
        "eu-west-1"
    )
    assert silver_job.aws_region(["--table", "dim_media"]) is None
    with pytest.raises(JobArgumentError, match="no AWS region for Secrets Manager.*--aws-region"):
        silver_job.fetch_hash_key("wistia/hash-key", None)
    secret_id = f"wistia/hash-key-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "secretsmanager", endpoint_url=aws_endpoint, region_name="eu-west-1"
    ).create_secret(Name=secret_id, SecretString="k")
    assert silver_job.fetch_hash_key(secret_id, "eu-west-1") == b"k"
