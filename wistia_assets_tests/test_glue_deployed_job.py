"""The Glue job as deployed, run from what is deployed and only that.

`package-glue` builds the artifacts and uploads them to a (moto) artifacts bucket under
glue/<commit>/; the Glue job is created from platform.yaml's SilverJob (its Command and
DefaultArguments, intrinsics resolved); the production `GlueEngine` starts it through
PipesGlueClient; and the run happens in an emulated Glue 5.0 runtime (glue_runtime.py): a clean
Python 3.11 with only pyspark and boto3, the job's wheels pip-installed from S3 with its installer
options and no reachable index, the real entry script in its own process, Spark's Python workers
in theirs, no region in the environment. dim_media's channel UDF runs on those workers.

The runtime is strict where it matters, and tests prove it: the old packaging (the project
wheel in --extra-py-files) fails in the executors' UDF, a module named for an index
(`dagster-pipes==<pin>`) fails the install, and the wheels installed one by one (each in its own
pip install, as Glue may do) fail without `--no-deps` and pass with the job's options, shown by
the entry script's probe mode, which `deploy verify` starts on the account.
"""

# No `from __future__ import annotations`: Dagster reads the assets' annotations as objects.
import io
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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

from wistia_assets.commands import package_glue
from wistia_assets.glue import silver_job
from wistia_assets.partitions import Window
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets_tests.glue_local import LocalGlueClient
from wistia_assets_tests.glue_runtime import GlueRuntime
from wistia_assets_tests.support.deploy import cfn_template
from wistia_assets_tests.support.transforms import (
    HASH_KEY,
    MEDIA_A,
    MEDIA_B,
    fixture_lines,
    write_bronze,
    write_snapshot,
)

COMMIT = "0123abc"
DAY = "2026-11-20"
PARTITIONS = MultiPartitionsDefinition(
    {
        "date": StaticPartitionsDefinition([DAY]),
        "media_id": StaticPartitionsDefinition([MEDIA_A, MEDIA_B]),
    }
)
# Three Spark jobs in fresh processes (~2-4 min): `make glue-test`, and .ci/run after make test.
pytestmark = [pytest.mark.slow, pytest.mark.glue_runtime]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> list[Path]:
    """What `package-glue --commit COMMIT` builds: script, project wheel, dagster-pipes wheel."""
    return package_glue.build(tmp_path_factory.mktemp("glue-artifacts"), COMMIT)


def resolve(node: Any, values: dict[str, str]) -> Any:
    """CloudFormation intrinsics of the job's properties, resolved against `values` (parameters,
    pseudo parameters, and the data stack's exports by their suffix)."""
    if isinstance(node, list):
        return [resolve(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    if "Ref" in node:
        return values[node["Ref"]]
    if "Fn::ImportValue" in node:
        return values[resolve(node["Fn::ImportValue"], values).rsplit("-", 1)[1]]
    if "Fn::Sub" in node:
        sub = node["Fn::Sub"]
        text, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
        scope = {**values, **{k: resolve(v, values) for k, v in local.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda m: scope[m.group(1)], text)
    return {key: resolve(value, values) for key, value in node.items()}


class EmulatedGlueEngine(GlueEngine):
    """The production engine; its Glue runs happen in the emulated Glue runtime."""

    workdir: str
    runtime_root: str

    def _clients(self):
        glue, s3 = super()._clients()
        # Each wheel in a pip install of its own: the stricter of the two ways Glue may install.
        runtime = GlueRuntime(Path(self.runtime_root), one_by_one=True)
        return LocalGlueClient(glue, s3, Path(self.workdir), runtime=runtime), s3


@pytest.fixture
def deployed(aws_endpoint, tmp_path, artifacts):
    """Buckets, Bronze, the hash-key secret, the uploaded artifacts and the Glue job as the
    platform stack defines it; `job(**overrides)` creates a job with changed DefaultArguments."""
    suffix = uuid.uuid4().hex[:8]
    names = {z: f"wistia-{z}-{suffix}" for z in ("bronze", "silver", "pipes", "artifacts")}
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    for bucket in names.values():
        s3.create_bucket(Bucket=bucket)
    package_glue.upload(artifacts, f"s3://{names['artifacts']}/glue", COMMIT, client=s3)

    source = tmp_path / "bronze-source"
    write_bronze(source, "events", DAY, MEDIA_A, fixture_lines("events_current.ndjson"))
    write_snapshot(source, MEDIA_A, "20261120T020000000000Z", "media_e4a27b971d_new.json")
    write_snapshot(source, MEDIA_B, "20261120T020000000000Z", "media_abc123def4.json")
    for path in (source / "bronze").rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), names["bronze"], path.relative_to(source).as_posix())
    secret_arn = boto3.client("secretsmanager", endpoint_url=aws_endpoint).create_secret(
        Name=f"wistia/hash-key-{suffix}", SecretString=HASH_KEY.decode()
    )["ARN"]

    spec = cfn_template("platform.yaml")["Resources"]["SilverJob"]["Properties"]
    values = {
        "GlueArtifactsCommit": COMMIT,
        "AWS::Region": "us-east-1",
        "NamePrefix": "wistia",
        "DataStackName": "wistiadata",
        "ArtifactsBucketName": names["artifacts"],
        "BronzeBucketName": names["bronze"],
        "SilverBucketName": names["silver"],
        "HashKeySecretArn": secret_arn,
    }
    command = resolve(spec["Command"], values)
    defaults = resolve(spec["DefaultArguments"], values)
    glue = boto3.client("glue", endpoint_url=aws_endpoint)

    def job(**overrides: str | None) -> GlueEngine:
        name = f"wistia-silver-{uuid.uuid4().hex[:8]}"
        arguments = {k: v for k, v in {**defaults, **overrides}.items() if v is not None}
        glue.create_job(
            Name=name,
            Role="arn:aws:iam::123456789012:role/wistia-glue",
            Command=command,
            GlueVersion=spec["GlueVersion"],
            DefaultArguments=arguments,
        )
        return EmulatedGlueEngine(
            job_name=name,
            pipes_bucket=names["pipes"],
            bronze_root=f"s3://{names['bronze']}",
            silver_root=f"s3://{names['silver']}",
            hash_key_secret_id=secret_arn,
            channels={MEDIA_B: "newsletter"},
            endpoint_url=aws_endpoint,
            workdir=str(tmp_path),
            runtime_root=str(tmp_path / "glue-runtime"),
        )

    return SimpleNamespace(s3=s3, names=names, job=job, defaults=defaults, command=command)


@asset(partitions_def=PARTITIONS)
def fact_events(context: AssetExecutionContext, silver: GlueEngine) -> MaterializeResult:
    window = Window.parse(context.partition_key)
    metrics = silver.build_partition(context, "fact_events", window)
    return MaterializeResult(metadata={"rows": metrics.rows, "routed_away": metrics.routed_away})


@asset
def dim_media(context: AssetExecutionContext, silver: GlueEngine) -> MaterializeResult:
    return MaterializeResult(metadata={"rows": silver.build_dim_media(context).rows})


@asset(partitions_def=PARTITIONS, config_schema={"hashes": [str]})
def erased_fact_events(context: AssetExecutionContext, silver: GlueEngine) -> MaterializeResult:
    window = Window.parse(context.partition_key)
    result = silver.erase_rows(context, window, context.op_config["hashes"])
    return MaterializeResult(metadata={"removed": result.rows_removed, "left": result.rows})


def parquet_rows(s3, bucket: str, prefix: str) -> list[dict[str, Any]]:
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        if o["Key"].endswith(".parquet")
    ]
    rows = []
    for key in sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def failure_text(raised: pytest.ExceptionInfo) -> str:
    chain, error = [], raised.value
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or error.__context__
    return "\n".join(str(e) for e in chain)


def test_the_deployed_job_builds_silver_from_its_s3_artifacts(deployed, artifacts):
    """Both wheels come from glue/<commit>/ only; the UDF runs on workers that import them."""
    # The script Glue runs is the repository's entry script, byte for byte.
    assert artifacts[0].read_bytes() == Path(silver_job.__file__).read_bytes()
    assert deployed.command["ScriptLocation"].endswith(f"/glue/{COMMIT}/silver_job.py")
    modules = deployed.defaults["--additional-python-modules"].split(",")
    assert all(m.startswith(f"s3://{deployed.names['artifacts']}/glue/{COMMIT}/") for m in modules)
    engine = deployed.job()
    with DagsterInstance.ephemeral() as instance:
        events = materialize(
            [fact_events],
            partition_key=MultiPartitionKey({"date": DAY, "media_id": MEDIA_A}),
            resources={"silver": engine},
            instance=instance,
        )
        dims = materialize([dim_media], resources={"silver": engine}, instance=instance)
    assert events.success and dims.success

    # fact_events: the hash key came from Secrets Manager through the --aws-region the stack
    # passes (the runtime's environment names no region).
    (event_mat,) = events.asset_materializations_for_node("fact_events")
    # ev-c-003 was received on the 21st: routed away to that day, counted, not a row here.
    assert (event_mat.metadata["rows"].value, event_mat.metadata["routed_away"].value) == (5, 1)
    silver = deployed.names["silver"]
    rows = parquet_rows(
        deployed.s3, silver, f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA_A}/"
    )
    assert sorted(r["event_key"] for r in rows) == [f"ev-c-00{i}" for i in (1, 2, 4, 5, 6)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["visitor_hash"] or "0" * 64) for r in rows)

    # dim_media: the channel of each media was computed by the UDF in Spark's Python workers.
    (dim_mat,) = dims.asset_materializations_for_node("dim_media")
    assert dim_mat.metadata["rows"].value == 2
    channels = {
        r["media_id"]: r["channel"]
        for r in parquet_rows(deployed.s3, silver, "silver/wistia/dim_media/")
    }
    assert channels == {MEDIA_A: "youtube", MEDIA_B: "newsletter"}


def test_a_wheel_in_extra_py_files_never_reaches_the_executors(deployed):
    """The packaging this replaced: the driver imports the project from the .whl, the dim_media
    UDF's workers cannot, and the run fails with their ModuleNotFoundError."""
    project_wheel, pipes_wheel = deployed.defaults["--additional-python-modules"].split(",")
    engine = deployed.job(
        **{"--extra-py-files": project_wheel, "--additional-python-modules": pipes_wheel}
    )
    with DagsterInstance.ephemeral() as instance, pytest.raises(Exception) as raised:
        materialize([dim_media], resources={"silver": engine}, instance=instance)
    text = failure_text(raised)
    assert "completed with status FAILED" in text
    assert "No module named 'wistia_assets'" in text


def test_a_module_from_an_index_fails_the_install(deployed):
    """The other half of the old packaging: `dagster-pipes==<pin>` would be fetched from the
    public index at every run; with the job's --no-index (and no index here) it fails."""
    project_wheel, _ = deployed.defaults["--additional-python-modules"].split(",")
    pin = package_glue.pipes_requirement()[0]
    engine = deployed.job(**{"--additional-python-modules": f"{project_wheel},{pin}"})
    with DagsterInstance.ephemeral() as instance, pytest.raises(Exception) as raised:
        materialize([dim_media], resources={"silver": engine}, instance=instance)
    text = failure_text(raised)
    assert "installing --additional-python-modules failed" in text
    assert "dagster-pipes==" in text


@pytest.mark.parametrize(
    "installer_options, state",
    [
        # Before: the project wheel, installed first and alone, requires dagster-pipes, which no
        # index can supply and the next wheel would only bring afterwards.
        ("--no-index", "FAILED"),
        # After (the job's default): every requirement is in the list; each wheel installs alone.
        (None, "SUCCEEDED"),
    ],
)
def test_the_wheels_install_one_by_one_only_with_no_deps(
    deployed, tmp_path, installer_options, state
):
    overrides = (
        {}
        if installer_options is None
        else {"--python-modules-installer-option": installer_options}
    )
    engine = deployed.job(**overrides)
    glue = LocalGlueClient(
        boto3.client("glue", endpoint_url=engine.endpoint_url),
        deployed.s3,
        tmp_path,
        runtime=GlueRuntime(tmp_path / "one-by-one", one_by_one=True),
    )
    run_id = glue.start_job_run(JobName=engine.job_name, Arguments={"--probe": "true"})["JobRunId"]
    run = glue.get_job_run(JobName=engine.job_name, RunId=run_id)["JobRun"]
    assert run["JobRunState"] == state, run.get("ErrorMessage")
    if state == "FAILED":
        assert run["ErrorMessage"].startswith(
            "installing --additional-python-modules failed (wistia_assets_glue-"
        )
        assert "dagster-pipes" in run["ErrorMessage"]
    else:
        # The probe ran from the installed wheels: both are installed distributions.
        (driver_log,) = (tmp_path / "one-by-one").glob("node-*/driver.log")
        line = [
            x for x in driver_log.read_text().splitlines() if x.startswith(silver_job.PROBE_LINE)
        ]
        pipes = package_glue.pipes_requirement()[0].replace("==", " ")
        assert line, driver_log.read_text()
        assert f"wistia_assets_glue {package_glue.project_version()}, {pipes}" in line[0]


def test_the_deployed_job_erases_a_viewer_where_bronze_expired(deployed):
    """The erase mode (`--erase-visitor-hashes`) from the packaged artifacts, the wheels
    installed one by one: a viewer's rows leave a partition whose Bronze is gone, the other
    rows stay with every value."""
    engine = deployed.job()
    partition = MultiPartitionKey({"date": DAY, "media_id": MEDIA_A})
    with DagsterInstance.ephemeral() as instance:
        assert materialize(
            [fact_events], partition_key=partition, resources={"silver": engine}, instance=instance
        ).success
        silver, prefix = deployed.names["silver"], f"silver/wistia/fact_events/dt={DAY}/"
        before = parquet_rows(deployed.s3, silver, prefix)
        viewer = next(r["visitor_hash"] for r in before if r["visitor_hash"])
        bronze = deployed.s3.list_objects_v2(
            Bucket=deployed.names["bronze"], Prefix=f"bronze/wistia/events/dt={DAY}/"
        )["Contents"]
        for obj in bronze:  # expired, as the bucket's lifecycle would have it
            deployed.s3.delete_object(Bucket=deployed.names["bronze"], Key=obj["Key"])
        erased = materialize(
            [erased_fact_events],
            partition_key=partition,
            resources={"silver": engine},
            instance=instance,
            run_config={"ops": {"erased_fact_events": {"config": {"hashes": [viewer]}}}},
        )
    assert erased.success
    theirs = [r for r in before if r["visitor_hash"] == viewer]
    (mat,) = erased.asset_materializations_for_node("erased_fact_events")
    assert (mat.metadata["removed"].value, mat.metadata["left"].value) == (
        len(theirs),
        len(before) - len(theirs),
    )
    after = parquet_rows(deployed.s3, silver, prefix)
    assert sorted(after, key=lambda r: r["event_key"]) == sorted(
        (r for r in before if r["visitor_hash"] != viewer), key=lambda r: r["event_key"]
    )
