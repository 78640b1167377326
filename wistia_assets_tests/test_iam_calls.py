"""Every AWS call the aws deployment makes is allowed by the role its process runs under.

The deployment's real paths run against moto, with names and ARNs resolved from the templates:
a run task (`wistia_window`: Bronze to S3, the Silver step through PipesGlueClient, the Athena
checks, the watermarks' compare-and-set; a Bronze re-pull; a run that fails in Bronze; the Gold
`media_daily` days and the `media_report`, whose HTML the run task writes under `reports/wistia/`),
the Glue job (created with the template's Command and DefaultArguments; Glue's download of its
script and wheels from the artifacts bucket, then the real entry script, run by the local Glue
stand-in, whose S3 mirror stands for Spark's S3 connector: Silver, the quarantine, Gold
`gold/wistia/`), the code server (the daily
schedule's watermark reads, the run-failure sensor publishing its alert), the operator's
command line (`watermark show|set` under the operators' managed policy; `doctor`, which talks to
Wistia only) and an erasure: the operator's `erase --hash-only` and `erase --list` under
EraseOperatorPolicy, and the `erase_viewer` job as its run task runs it, as EraseTaskRole (the
role its launch asks ECS for: test_erase_launch_asks_ecs_for_its_role), with its Athena search
of Silver and its Glue rebuilds. Every botocore call is recorded with its process, turned
into the IAM requests AWS makes for it (`iam/actions.py`) and decided against the statements
the templates give that process's role or policy (`iam/stacks.py`, `iam/policy.py`). The
daemon's and webserver's EcsRunLauncher calls have rules and PROCESSES rows; only the daemon's
RunTask is driven (test_erase_launch_asks_ecs_for_its_role, with the daemon's own task stood
in for: no ECS metadata endpoint on moto).

To extend: a new AWS call shows up as "no IAM rule for ..." (add a rule), a new process as a row
of PROCESSES, a grant used only outside these paths as a row of USED_ELSEWHERE with its reason.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import httpx
import pytest
from dagster import AssetKey, DagsterInstance, build_schedule_context

from wistia_assets.definitions import build_defs
from wistia_assets.deployments import resources_for
from wistia_assets.orchestration.jobs import WINDOW_ASSETS
from wistia_assets.orchestration.schedule import SCHEDULE_NAME
from wistia_assets.resources.silver_engine import GlueEngine
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.conftest import create_watermark_table
from wistia_assets_tests.glue_local import LocalGlueClient
from wistia_assets_tests.iam.actions import Call, Facts, requests_of
from wistia_assets_tests.iam.policy import Request, decide
from wistia_assets_tests.iam.recorder import UNATTRIBUTED, Recorder, acting_as, unrecorded
from wistia_assets_tests.iam.stacks import ACCOUNT, REGION, Stack, data_stack, platform_stack
from wistia_assets_tests.support.alerts import fail_in_bronze, stale_token_wistia, tick
from wistia_assets_tests.support.aws_runs import build_gold_day, seed_athena
from wistia_assets_tests.support.cli import cli

DAY = date(2026, 11, 12)
MEDIA = SANDBOX_MEDIA_IDS[0]
TOKEN = "iam-test-token-41c0"
HASH_KEY = "iam-hash-key-0e1f"

# process -> how the platform template names its role
PROCESSES = {
    "run task": ("task", "RunTaskDefinition"),
    "code server": ("task", "CodeServerTaskDefinition"),
    "daemon": ("task", "DaemonTaskDefinition"),
    "webserver": ("task", "WebserverTaskDefinition"),
    "Glue job": ("glue", "SilverJob"),
    # The erase_viewer job's run: the run task definition, launched with the role its run tag
    # asks ECS for (test_erase_launch_asks_for_its_role).
    "erase task": ("role", "EraseTaskRole"),
    # `wistia-assets watermark show|set` with an operator's own credentials (deploy/README.md)
    "operator CLI": ("policy", "WatermarkOperatorPolicy"),
    # `wistia-assets erase --hash-only | --list`, the hash the erase job takes and the records
    "erase operator": ("policy", "EraseOperatorPolicy"),
}

# (role, statement Sid[, action]) -> who uses it outside the paths this test drives.
USED_ELSEWHERE = {
    ("RunTaskRole", "WithdrawHeldGoldDays"): (
        "a Gold day held back by a failed blocking check is withdrawn (none in this sandbox day;"
        " test_held_back_days.py drives it on the local lake)"
    ),
    ("GlueJobRole", "ListBuckets", "s3:GetBucketLocation"): (
        "Spark's S3 connector on Glue (EMRFS) asks a bucket's region; the local stand-in does not"
    ),
    ("RunTaskRole", "DriveSilverJob", "glue:BatchStopJobRun"): (
        "PipesGlueClient stops the Glue run when the Dagster run is terminated"
    ),
    ("GlueJobRole", "GlueTemp"): "Glue's --TempDir (spark event logs, shuffle spill)",
    ("GlueJobRole", "WriteJobLogs"): (
        "Glue writes the job's logs to <--custom-logGroup-prefix>/output|error; the stand-in"
        " writes only what the script prints, which a build does not (test_deploy_verify's probe)"
    ),
    ("GlueJobRole", "PublishJobMetrics"): "Glue publishes the job's metrics",
    ("RunTaskRole", "StepLogsAndAthenaResults"): (
        "S3ComputeLogManager uploads step logs (dagster/compute-logs/); Athena's results are"
        " written as the run (evaluated here through StartQueryExecution)"
    ),
    ("CodeServerTaskRole", "WriteTickLogs"): "S3ComputeLogManager stores schedule/sensor logs",
    ("CodeServerTaskRole", "UseDataKey", "kms:GenerateDataKey"): "tick logs are SSE-KMS objects",
    ("GlueJobRole", "WriteQuarantine"): (
        "a partition with lines that break the schema (none in this sandbox day)"
    ),
    ("GlueJobRole", "WriteSilver", "s3:AbortMultipartUpload"): "a failed multipart write",
    ("GlueJobRole", "WriteGold", "s3:AbortMultipartUpload"): "a failed multipart write",
    ("RunTaskRole", "WriteBronze", "s3:AbortMultipartUpload"): (
        "S3Store.open_writer aborts the upload of a page stream that failed"
    ),
    ("RunTaskRole", "ReadHashKeyForSuppression"): (
        "ingestion reads the hash key once an erasure is recorded (test_erasure.py drives the"
        " suppression; no erasure exists in these runs)"
    ),
    ("WebserverTaskRole", "ListComputeLogs"): "the UI lists step logs (S3ComputeLogManager)",
    ("WebserverTaskRole", "ReadAndDeleteComputeLogs"): "the UI shows and wipes step logs",
    ("WebserverTaskRole", "DecryptComputeLogs"): "step logs are SSE-KMS objects",
    ("DaemonTaskRole", "ReadFailedRunLogs"): (
        "run monitoring quotes a dead run task's last log lines (get_task_logs)"
    ),
    ("EraseTaskRole", "ReadQuarantinedEvents"): (
        "a viewer with quarantined lines (none in this sandbox day; the search lists the"
        " quarantine here, test_erasure.py finds a viewer in it on the local lake)"
    ),
    ("EraseTaskRole", "RewriteBronzeEvents", "s3:AbortMultipartUpload"): (
        "S3Store.open_writer aborts the upload of a part that failed"
    ),
    ("EraseTaskRole", "DriveSilverJob", "glue:BatchStopJobRun"): (
        "PipesGlueClient stops the Glue run when the Dagster run is terminated"
    ),
    ("EraseTaskRole", "StepLogs"): "S3ComputeLogManager uploads the run's step logs",
    ("EraseTaskRole", "ListGoldDays"): (
        "a Gold day a failed blocking check holds back is withdrawn (none in this sandbox day;"
        " test_held_back_days.py drives the hold on the local lake)"
    ),
    ("EraseTaskRole", "WithdrawHeldGoldDays"): (
        "a Gold day a failed blocking check holds back is withdrawn (none in this sandbox day)"
    ),
}


def role_of(platform: Stack, process: str) -> str:
    kind, logical = PROCESSES[process]
    if kind == "task":
        return platform.task_role(logical)
    if kind in ("policy", "role"):
        return logical
    return platform.resource(logical)["Properties"]["Role"]["Fn::GetAtt"][0]


def container_env(platform: Stack, task_definition: str) -> dict[str, str]:
    (container,) = platform.resource(task_definition)["Properties"]["ContainerDefinitions"]
    return {e["Name"]: str(platform.resolve(e["Value"])) for e in container["Environment"]}


class RoleGlueEngine(GlueEngine):
    """The production engine; its Glue client runs the entry script as the Glue job's process."""

    workdir: str

    def _clients(self):
        glue, s3 = super()._clients()
        return GlueJobAsItsRole(glue, s3, workdir=Path(self.workdir)), s3


class GlueJobAsItsRole(LocalGlueClient):
    def _recorded(self, job_name, run_id):
        with unrecorded():
            return super()._recorded(job_name, run_id)

    def _execute(self, arguments, script):
        with acting_as("Glue job"):
            return super()._execute(arguments, script)


def glue_fetches(platform: Stack) -> list[Call]:
    """What Glue itself downloads with the job's role before the script starts: the entry script
    and every wheel of --additional-python-modules, as the template names them."""
    job = platform.resource("SilverJob")["Properties"]
    uris = [platform.resolve(job["Command"]["ScriptLocation"])]
    uris += platform.resolve(job["DefaultArguments"]["--additional-python-modules"]).split(",")
    fetches = []
    for uri in uris:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        fetches.append(Call("s3", "GetObject", {"Bucket": bucket, "Key": key}, "Glue job"))
    return fetches


@pytest.fixture
def deployment(aws_endpoint, spark, tmp_path, monkeypatch):
    """moto resources named as the stacks name them; the run task's environment from its task
    definition. Nothing here is recorded: no deployed process makes these calls."""
    recorder = Recorder()
    prefix = f"iam{uuid.uuid4().hex[:8]}"
    media_ids = ",".join(SANDBOX_MEDIA_IDS)
    kw = {"endpoint_url": aws_endpoint, "region_name": REGION}
    secrets = boto3.client("secretsmanager", **kw)
    physical = {
        "HashKeySecret": secrets.create_secret(
            Name=f"{prefix}/wistia-hash-key", SecretString=HASH_KEY
        )["ARN"],
        "WistiaApiTokenSecret": secrets.create_secret(
            Name=f"{prefix}/wistia-api-token", SecretString=TOKEN
        )["ARN"],
    }
    data = data_stack(prefix, media_ids, physical)
    platform = platform_stack(prefix, media_ids, data, {})
    s3 = boto3.client("s3", **kw)
    for logical in ("BronzeBucket", "SilverBucket", "ArtifactsBucket", "PipesBucket"):
        s3.create_bucket(Bucket=data.name_of(logical))
    create_watermark_table(aws_endpoint, name=data.name_of("WatermarkTable"))
    glue = boto3.client("glue", **kw)
    job = platform.name_of("SilverJob")
    spec = platform.resource("SilverJob")["Properties"]
    glue.create_job(
        Name=job,
        Role=platform.get_att("GlueJobRole", "Arn"),
        Command=platform.resolve(spec["Command"]),
        DefaultArguments=platform.resolve(spec["DefaultArguments"]),
        GlueVersion=spec["GlueVersion"],
    )
    boto3.client("sns", **kw).create_topic(Name=data.name_of("AlertsTopic"))
    boto3.client("athena", **kw).create_work_group(Name=data.name_of("AthenaWorkGroup"))

    env = container_env(platform, "RunTaskDefinition")
    env |= {
        "WISTIA_API_TOKEN": TOKEN,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "WISTIA_START_DATE": "2026-11-01",
        "MEDIA_CHANNELS": f"{MEDIA}:youtube",
    }
    sandbox = SandboxWistia(token=TOKEN, events_per_day=120, seed=11)
    server = serve(sandbox)
    env["WISTIA_BASE_URL"] = server.url
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env(env)
    engine = RoleGlueEngine(
        job_name=settings.glue_job_name,
        pipes_bucket=settings.pipes_bucket,
        bronze_root=f"s3://{settings.bronze_bucket}",
        silver_root=f"s3://{settings.silver_bucket}",
        hash_key_secret_id=settings.hash_key_secret_id,
        channels=settings.channels,
        endpoint_url=aws_endpoint,
        region=REGION,
        workdir=str(tmp_path),
    )
    facts = Facts.of(data)
    with recorder.installed():
        yield dict(
            recorder=recorder,
            data=data,
            platform=platform,
            facts=facts,
            settings=settings,
            defs=build_defs(settings, resource_overrides={"silver": engine}),
            endpoint=aws_endpoint,
            server=server,
            tmp_path=tmp_path,
        )
    server.shutdown()


def run_the_deployment(d) -> dict[str, int]:
    """Each process's real paths, as the deployment runs them; returns the number of AWS calls
    `wistia-assets doctor` made (it must make none)."""
    defs, recorder = d["defs"], d["recorder"]
    (d["tmp_path"] / "instance").mkdir()
    instance = DagsterInstance.local_temp(tempdir=str(d["tmp_path"] / "instance"))
    with recorder.paused():
        seed_athena(d["endpoint"], "0")
    with acting_as("code server"):
        cursor = tick(defs, instance)
        schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
        moment = datetime(2026, 11, 13, 2, 15, tzinfo=UTC)
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=moment,
            repository_def=defs.get_repository_def(),
            resources={"watermarks": resources_for(d["settings"])["watermarks"]},
        )
        assert schedule.evaluate_tick(context).run_requests
    with acting_as("run task"):
        result = defs.resolve_job_def("wistia_window").execute_in_process(
            partition_key=f"{DAY}|{MEDIA}", instance=instance
        )
        assert result.success
        # Gold: the day's media_daily; after a re-pull (Bronze parts and Silver replaced), the
        # day again (its Gold files replaced); then the report (figures on Glue, HTML by the run).
        build_gold_day(defs, instance, DAY)
        repull = defs.resolve_job_def("wistia_window").execute_in_process(
            partition_key=f"{DAY}|{MEDIA}",
            instance=instance,
            asset_selection=[AssetKey(k) for k in WINDOW_ASSETS],
        )
        assert repull.success
        build_gold_day(defs, instance, DAY)
        report = defs.resolve_job_def("media_report_build").execute_in_process(
            instance=instance,
            run_config={"ops": {"media_report": {"config": {"start": str(DAY), "end": str(DAY)}}}},
        )
        assert report.success
        failing = build_defs(
            d["settings"], resource_overrides={"wistia": stale_token_wistia(d["server"])}
        )
        fail_in_bronze(failing, instance)
    with acting_as("code server"):
        tick(defs, instance, cursor)
    erased = erase_a_viewer(d, instance)
    # Before each run's script starts, Glue downloads what the job names, as the job's role.
    recorder.calls.extend(glue_fetches(d["platform"]))
    with acting_as("operator CLI"):
        code, out, err = cli("watermark", "show")
        assert code == 0 and f"events          {MEDIA}" in out, out + err
        back = (DAY - timedelta(days=1)).isoformat()
        args = ("--dataset", "events", "--media-id", MEDIA, "--date", back, "--yes")
        code, out, err = cli("watermark", "set", *args)
        assert code == 0, out + err
        before = len(recorder.calls)
        code, out, err = cli("doctor")
        assert code == 0, out + err
        doctor_calls = len(recorder.calls) - before
    return {"doctor_calls": doctor_calls, "erased": erased}


def viewer_traces(d, visitor_key: str, visitor_hash: str) -> dict[str, int]:
    """Where the viewer still is: Bronze objects holding their key, fact_events rows with their
    hash (the partition of DAY, MEDIA), read from moto directly."""
    import io

    import pyarrow.parquet as pq

    s3 = boto3.client("s3", endpoint_url=d["endpoint"], region_name=REGION)
    bronze, silver = d["settings"].bronze_bucket, d["settings"].silver_bucket

    def objects(bucket: str, prefix: str) -> list[bytes]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys]

    rows = others = 0
    for body in objects(silver, f"silver/wistia/fact_events/dt={DAY}/media_id={MEDIA}/"):
        if body.startswith(b"PAR1"):
            hashes = pq.read_table(io.BytesIO(body), columns=["visitor_hash"]).column(0)
            rows += sum(1 for h in hashes.to_pylist() if h == visitor_hash)
            others += sum(1 for h in hashes.to_pylist() if h != visitor_hash)
    partition = f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}"
    manifest = json.loads(
        s3.get_object(Bucket=bronze, Key=f"{partition}/_manifest.json")["Body"].read()
    )
    lines = [
        line
        for part in manifest["parts"]
        for line in s3.get_object(Bucket=bronze, Key=part["key"])["Body"].read().splitlines()
    ]
    return {
        "bronze objects": sum(visitor_key.encode() in b for b in objects(bronze, "bronze/")),
        "fact_events rows": rows,
        # Everyone else's events, which the erasure must leave alone.
        "others' bronze lines": sorted(line for line in lines if visitor_key.encode() not in line),
        "others' fact_events rows": others,
    }


def erase_a_viewer(d, instance) -> dict[str, dict[str, int]]:
    """The erase_viewer job as its run task runs it (as EraseTaskRole), with the hash
    `wistia-assets erase --hash-only` prints for the day's most frequent visitor key."""
    from collections import Counter

    from wistia_assets.erasure.job import ERASE_JOB
    from wistia_assets.erasure.viewer import VISITOR_KEY, Hasher

    with d["recorder"].paused():
        s3 = boto3.client("s3", endpoint_url=d["endpoint"], region_name=REGION)
        bucket = d["settings"].bronze_bucket
        partition = f"bronze/wistia/events/dt={DAY}/media_id={MEDIA}"
        manifest = json.loads(
            s3.get_object(Bucket=bucket, Key=f"{partition}/_manifest.json")["Body"].read()
        )
        keys = Counter(
            json.loads(line)["visitor_key"]
            for part in manifest["parts"]
            for line in s3.get_object(Bucket=bucket, Key=part["key"])["Body"].read().splitlines()
        )
        visitor_key = keys.most_common(1)[0][0]
        before = viewer_traces(d, visitor_key, Hasher(HASH_KEY.encode())(visitor_key))
        # moto runs no SQL: Athena's answer to the job's search of fact_events is queued (the
        # partition and its row count, as read above); the check after the rebuild gets none.
        answer = [["dt", "media_id", "events"], [str(DAY), MEDIA, str(before["fact_events rows"])]]
        rows = [{"Data": [{"VarCharValue": v} for v in row]} for row in answer]
        httpx.post(
            f"{d['endpoint']}/moto-api/static/athena/query-results",
            content=json.dumps({"results": [{"rows": rows}]}).encode(),
        ).raise_for_status()
    with acting_as("erase operator"):
        code, out, err = cli("erase", "--visitor-key", visitor_key, "--hash-only")
        assert code == 0, out + err
        subject = out.split("subject_hash: ")[1].strip()
    assert subject == Hasher(HASH_KEY.encode()).subject(VISITOR_KEY, visitor_key)
    with acting_as("erase task"):
        config = {"kind": VISITOR_KEY, "subject_hash": subject}
        result = (
            d["defs"]
            .resolve_job_def(ERASE_JOB)
            .execute_in_process(
                instance=instance, run_config={"ops": {"erase": {"config": config}}}
            )
        )
        assert result.success
    with d["recorder"].paused():
        after = viewer_traces(d, visitor_key, subject)
    with acting_as("erase operator"):
        code, listed, err = cli("erase", "--list")
        assert code == 0, listed + err
    return {"before": before, "after": after, "listed": listed, "subject": subject}


def evaluate(d) -> tuple[list[str], dict[str, list[str]]]:
    """(denied calls, role -> granted actions never used)."""
    platform, facts = d["platform"], d["facts"]
    roles = {process: role_of(platform, process) for process in PROCESSES}
    statements = {role: platform.role_statements(role) for role in set(roles.values())}
    denied = []
    for call in d["recorder"].calls:
        assert call.process != UNATTRIBUTED, f"a call outside any process: {call}"
        role = roles[call.process]
        for request in requests_of(call, facts):
            allowing = decide(statements[role], request)
            if allowing is None:
                denied.append(f"{call.process} ({role}) is denied {request}, needed by {call}")
                continue
            for statement in allowing:
                statement.used_by.append(request)
    exercised = {roles[c.process] for c in d["recorder"].calls}
    unused: dict[str, list[str]] = {}
    for role in sorted(exercised):
        for statement in statements[role]:
            if (role, statement.sid) in USED_ELSEWHERE:
                continue
            used = {r.action.lower() for r in statement.used_by}
            idle = [
                a
                for a in statement.actions()
                if not any(_covers(a, u) for u in used)
                and (role, statement.sid, a) not in USED_ELSEWHERE
            ]
            if idle:
                unused.setdefault(role, []).append(f"{statement.sid}: {', '.join(idle)}")
    return sorted(set(denied)), unused


def _covers(pattern: str, action: str) -> bool:
    from wistia_assets_tests.iam.policy import _glob

    return _glob(pattern, action, case=False)


def test_every_call_is_allowed_and_every_grant_is_used(deployment, capsys):
    outcome = run_the_deployment(deployment)
    denied, unused = evaluate(deployment)
    calls = deployment["recorder"].calls
    processes = {c.process for c in calls}
    with capsys.disabled():
        print(f"\n{len(calls)} AWS calls by {sorted(processes)}")
        for role, grants in unused.items():
            print(f"{role} is granted and never uses: " + "; ".join(grants))
    assert not denied, "\n".join(denied)
    assert (
        not unused
    ), "granted but never used (remove, or add to USED_ELSEWHERE with a reason): " + json.dumps(
        unused, indent=1
    )
    assert {"run task", "Glue job", "code server", "operator CLI"} <= processes
    # The paths above were driven: the watermarks' calls of each process, the Gold and report
    # writes, and a doctor that never touches AWS.
    watermarks = {
        (c.process, c.operation, "ConditionExpression" in c.params)
        for c in calls
        if c.service == "dynamodb"
    }
    assert watermarks == {
        ("code server", "DescribeTable", False),
        ("code server", "GetItem", False),
        ("run task", "DescribeTable", False),
        ("run task", "GetItem", False),
        ("run task", "UpdateItem", True),  # the compare-and-set
        ("operator CLI", "DescribeTable", False),
        ("operator CLI", "Scan", False),
        ("operator CLI", "GetItem", False),
        ("operator CLI", "UpdateItem", False),  # the override
        ("erase operator", "DescribeTable", False),
        ("erase operator", "GetItem", False),  # the index of erasures, then each record
        ("erase task", "DescribeTable", False),
        ("erase task", "GetItem", False),
        ("erase task", "UpdateItem", False),  # the index of erasures
        ("erase task", "UpdateItem", True),  # the record's compare-and-set
    }
    written = {
        (c.process, c.params["Key"].split("/")[0])
        for c in calls
        if c.service == "s3" and c.operation in ("PutObject", "CreateMultipartUpload")
    }
    assert {("Glue job", "gold"), ("run task", "reports")} <= written
    assert outcome["doctor_calls"] == 0
    # The erase ran in AWS's shape (S3, DynamoDB, the Glue job): the viewer was in Bronze and
    # Silver, and is in neither now.
    erased = outcome["erased"]
    assert erased["before"]["bronze objects"] > 0 and erased["before"]["fact_events rows"] > 0
    before, after = erased["before"], erased["after"]
    assert (after["bronze objects"], after["fact_events rows"]) == (0, 0)
    # Every other line byte for byte, every other row still there.
    assert after["others' bronze lines"] == before["others' bronze lines"]
    assert after["others' fact_events rows"] == before["others' fact_events rows"] > 0
    assert f"hash {erased['subject']}" in erased["listed"] and " done " in erased["listed"]
    assert {"erase task", "Glue job"} <= processes


# -------------------------------------------------------------------- the erase job's role
def _stacks(prefix: str = "iamrole") -> tuple[Stack, Stack]:
    data = data_stack(prefix, ",".join(SANDBOX_MEDIA_IDS), {})
    return data, platform_stack(prefix, ",".join(SANDBOX_MEDIA_IDS), data, {})


def test_the_erase_role_may_rewrite_bronze_events_and_nothing_else():
    """What EraseTaskRole must never do, decided by the same evaluator as the calls above: write
    any other Bronze dataset or the quarantine (Glue rewrites it), write Silver, Gold or the
    reports (it only withdraws a held-back Gold day, as every run may) or read beyond the two
    facts it judges a rebuilt partition with, remove object versions (the lifecycle expires
    them), list outside its prefixes, read or move a watermark, start another job, pass a role,
    read the Wistia token."""
    data, platform = _stacks()
    statements = platform.role_statements("EraseTaskRole")
    bronze, silver = data.name_of("BronzeBucket"), data.name_of("SilverBucket")
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{data.name_of('WatermarkTable')}"
    events = f"arn:aws:s3:::{bronze}/bronze/wistia/events/dt=2026-11-12/media_id={MEDIA}"
    job = platform.name_of("SilverJob")
    db = data.name_of("GlueDatabase")

    def listing(bucket: str, prefix: str) -> Request:
        return Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", (("s3:prefix", prefix),))

    def item(action: str, key: str) -> Request:
        return Request(action, table, (("dynamodb:LeadingKeys", key),))

    allowed = [
        listing(bronze, "bronze/wistia/events/"),
        listing(bronze, "bronze/wistia/_quarantine/events/"),
        Request("s3:GetObject", f"{events}/_manifest.json"),
        Request("s3:PutObject", f"{events}/part-00000-x.json"),
        Request("s3:DeleteObject", f"{events}/part-00000-y.json"),
        Request(
            "s3:GetObject", f"arn:aws:s3:::{bronze}/bronze/wistia/_quarantine/events/dt=x/p.json"
        ),
        item("dynamodb:UpdateItem", "erasure"),
        Request("glue:StartJobRun", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{job}"),
        listing(silver, "silver/wistia/fact_events/"),
        Request("s3:GetObject", f"arn:aws:s3:::{silver}/silver/wistia/fact_events/dt=x/p.parquet"),
        Request("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{db}/fact_events"),
        # Judging a rebuilt partition (by_date's plays) and withdrawing a held-back Gold day.
        listing(silver, "silver/wistia/fact_media_by_date/"),
        Request(
            "s3:GetObject",
            f"arn:aws:s3:::{silver}/silver/wistia/fact_media_by_date/dt=x/media_id=y/p.parquet",
        ),
        Request("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{db}/fact_media_by_date"),
        listing(silver, "gold/wistia/media_daily/dt=2026-11-12"),
        Request("s3:DeleteObject", f"arn:aws:s3:::{silver}/gold/wistia/media_daily/dt=x/p.parquet"),
    ]
    denied = [
        *(
            Request(action, f"arn:aws:s3:::{bronze}/{key}")
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
            for key in (
                "bronze/wistia/media_by_date/dt=2026-11-12/media_id=x/part-0.json",
                "bronze/wistia/media_metadata/media_id=x/load_ts=1/part-0.json",
                "bronze/wistia/eventsX/part-0.json",
            )
        ),
        *(
            Request(action, f"arn:aws:s3:::{bronze}/bronze/wistia/_quarantine/events/dt=x/p.json")
            for action in ("s3:PutObject", "s3:DeleteObject")
        ),
        *(
            Request(action, f"arn:aws:s3:::{silver}/{key}")
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
            for key in (
                "silver/wistia/fact_events/dt=2026-11-12/media_id=x/part-0.parquet",
                "gold/wistia/media_daily/dt=2026-11-12/part-0.parquet",
                "reports/wistia/report.html",
                "silver/wistia/fact_media_by_date/dt=2026-11-12/media_id=x/part-0.parquet",
            )
            # The facts are read (the search, the judgement), never written: the Glue job
            # rebuilds them; a held-back Gold day is withdrawn (deleted), never written.
            if not (action == "s3:GetObject" and "/fact_" in key)
            and not (action == "s3:DeleteObject" and key.startswith("gold/"))
        ),
        *(
            Request(action, f"{events}/part-00000-x.json")
            for action in ("s3:DeleteObjectVersion", "s3:GetObjectVersion", "s3:PutObjectAcl")
        ),
        Request("s3:ListBucketVersions", f"arn:aws:s3:::{bronze}"),
        listing(bronze, ""),
        listing(bronze, "bronze/"),
        listing(bronze, "bronze/wistia/media_by_date/"),
        listing(silver, "silver/wistia/"),
        listing(silver, "gold/wistia/"),
        Request("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{db}/media_daily"),
        item("dynamodb:GetItem", "events"),
        item("dynamodb:UpdateItem", "events"),
        item("dynamodb:DeleteItem", "erasure"),
        Request("dynamodb:Scan", table),
        Request("dynamodb:Query", table, (("dynamodb:LeadingKeys", "erasure"),)),
        Request("glue:StartJobRun", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/another-job"),
        Request("glue:UpdateJob", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{job}"),
        Request("iam:PassRole", platform.get_att("GlueJobRole", "Arn")),
        Request("secretsmanager:GetSecretValue", data.ref("WistiaApiTokenSecret")),
        Request("kms:Decrypt", data.get_att("DataKey", "Arn")),
        Request(
            "kms:Decrypt",
            data.get_att("DataKey", "Arn"),
            (("kms:ViaService", f"glue.{REGION}.amazonaws.com"),),
        ),
    ]
    assert [str(r) for r in allowed if decide(statements, r) is None] == []
    assert [str(r) for r in denied if decide(statements, r) is not None] == []


def test_only_the_daemon_may_hand_the_erase_role_to_ecs():
    data, platform = _stacks()
    erase_role = platform.get_att("EraseTaskRole", "Arn")
    to_ecs = (("iam:PassedToService", "ecs-tasks.amazonaws.com"),)
    to_glue = (("iam:PassedToService", "glue.amazonaws.com"),)
    daemon = platform.role_statements("DaemonTaskRole")
    assert decide(daemon, Request("iam:PassRole", erase_role, to_ecs)) is not None
    assert decide(daemon, Request("iam:PassRole", erase_role, to_glue)) is None
    for role in ("RunTaskRole", "CodeServerTaskRole", "WebserverTaskRole", "GlueJobRole"):
        grants = platform.role_statements(role)
        assert decide(grants, Request("iam:PassRole", erase_role, to_ecs)) is None, role
    # The run task definition still runs every other job as RunTaskRole, which still may not
    # read Bronze.
    run = platform.resource("RunTaskDefinition")["Properties"]
    assert run["TaskRoleArn"] == {"Fn::GetAtt": ["RunTaskRole", "Arn"]}
    manifest = f"bronze/wistia/events/dt=2026-11-12/media_id={MEDIA}/_manifest.json"
    bronze = data.name_of("BronzeBucket")
    read = Request("s3:GetObject", f"arn:aws:s3:::{bronze}/{manifest}")
    assert decide(platform.role_statements("RunTaskRole"), read) is None
    assert decide(platform.role_statements("EraseTaskRole"), read) is not None


def test_erase_launch_asks_ecs_for_its_role(aws_endpoint, tmp_path, monkeypatch):
    """The code server's environment (from the template) gives `erase_viewer` its run tag; the
    daemon's EcsRunLauncher (deploy/dagster.yaml) turns it into RunTask's taskRoleArn override,
    and the daemon's role allows that RunTask and the PassRole it implies. Other jobs launch
    with no override. The daemon's own task (ECS metadata endpoint, its ENI) is stood in for."""
    import sys

    import yaml
    from botocore.stub import Stubber
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.launcher import LaunchRunContext
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster_aws.ecs import launcher as ecs_launcher
    from dagster_aws.ecs.tasks import CurrentEcsTaskMetadata

    from wistia_assets.erasure.job import ERASE_JOB
    from wistia_assets_tests.support.deploy import ECS_ENV, instance_config

    data, platform = _stacks()
    env = container_env(platform, "CodeServerTaskDefinition")
    erase_role = platform.get_att("EraseTaskRole", "Arn")
    assert env["ERASE_TASK_ROLE_ARN"] == erase_role
    assert container_env(platform, "RunTaskDefinition")["ERASE_TASK_ROLE_ARN"] == erase_role
    settings = Settings.from_env({**env, "WISTIA_API_TOKEN": TOKEN})
    defs = build_defs(settings)

    kw = {"endpoint_url": aws_endpoint, "region_name": REGION}
    ecs = boto3.client("ecs", **kw)
    cluster = ecs.create_cluster(clusterName=platform.name_of("Cluster"))["cluster"]["clusterArn"]
    run_td = ecs.register_task_definition(
        family=platform.name_of("RunTaskDefinition"),
        taskRoleArn=platform.get_att("RunTaskRole", "Arn"),
        executionRoleArn=platform.get_att("CodeExecutionRole", "Arn"),
        containerDefinitions=[
            {"name": "run", "image": "example/dagster:abc123", "cpu": 1024, "memory": 2048}
        ],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
    )["taskDefinition"]["taskDefinitionArn"]
    assert run_td == platform.ref("RunTaskDefinition")
    boto3.client("s3", **kw).create_bucket(Bucket=ECS_ENV["DAGSTER_COMPUTE_LOGS_BUCKET"])
    for name, value in ECS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_RUN_TASK_DEFINITION", run_td)
    monkeypatch.setenv("WISTIA_API_TOKEN", TOKEN)  # an EnvVar of wistia_window's run config
    config = instance_config()
    config["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    # The daemon's own task, which the launcher copies subnets and launch type from.
    ec2 = boto3.client("ec2", **kw)  # RunTask checks the subnet exists
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    eni = {"type": "ElasticNetworkInterface", "details": [{"name": "subnetId", "value": subnet}]}
    daemon_task = {"launchType": "FARGATE", "attachments": [eni]}
    monkeypatch.setattr(
        ecs_launcher,
        "get_current_ecs_task_metadata",
        lambda: CurrentEcsTaskMetadata(cluster=cluster, task_arn=f"{cluster}/daemon"),
    )
    monkeypatch.setattr(ecs_launcher, "get_current_ecs_task", lambda *a: daemon_task)

    origin_of = lambda name: JobPythonOrigin(  # noqa: E731
        name,
        RepositoryPythonOrigin(
            sys.executable, ModuleCodePointer("wistia_assets.definitions", "defs", None)
        ),
    )
    recorder = Recorder()
    facts = Facts.of(data)
    facts.task_roles[run_td] = [
        platform.get_att("RunTaskRole", "Arn"),
        platform.get_att("CodeExecutionRole", "Arn"),
    ]
    launched = {}
    with DagsterInstance.from_config(str(tmp_path)) as instance, recorder.installed():
        erase_config = {"kind": "visitor_key", "subject_hash": "0" * 64}
        for name, run_config in (
            (ERASE_JOB, {"ops": {"erase": {"config": erase_config}}}),
            ("wistia_window", {}),
        ):
            job = defs.resolve_job_def(name)
            # What the UI's Launchpad and `dagster job launch` do: the job's run tags.
            run = instance.create_run_for_job(
                job, run_config=run_config, tags=job.run_tags, job_code_origin=origin_of(name)
            )
            before = len(recorder.calls)
            launcher = instance.run_launcher
            # moto's Fargate RunTask fails on the task's network interface (a moto error, 500):
            # ECS's answer is stubbed; the request, recorded before it, is what is checked.
            task = {"taskArn": f"{cluster}/task-{name}", "clusterArn": cluster}
            with acting_as("daemon"), Stubber(launcher.ecs) as ecs_answers:
                ecs_answers.add_response("run_task", {"tasks": [task], "failures": []})
                launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
            (launch,) = [c for c in recorder.calls[before:] if c.operation == "RunTask"]
            launched[name] = launch
    erase, window = launched[ERASE_JOB], launched["wistia_window"]
    assert erase.params["taskDefinition"] == window.params["taskDefinition"] == run_td
    assert erase.params["overrides"]["taskRoleArn"] == erase_role
    assert "taskRoleArn" not in window.params["overrides"]
    daemon = platform.role_statements("DaemonTaskRole")
    for call in (erase, window):
        requests = requests_of(call, facts)
        assert [str(r) for r in requests if decide(daemon, r) is None] == []
    passed = {r.resource for r in requests_of(erase, facts) if r.action == "iam:PassRole"}
    assert erase_role in passed
