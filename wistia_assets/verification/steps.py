"""The steps of `deploy verify`: each proves one thing on the deployed account, or says where to
look. Read-only, or with probe objects named as such and removed.

Everything a step needs comes from the two stacks' outputs (`Outputs`), so a step that fails
names the output or setting to check. A step returns a short detail on success and raises
`StepFailed` (or any AWS error) otherwise; `run` times each and never stops at the first failure.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wistia_assets.verification.identity import role_of

# The one-off ECS tasks print their identity with this command (the image's entrypoint runs it).
IDENTITY_COMMAND = ["python", "-m", "wistia_assets.verification.identity"]
# The services whose task definitions are checked besides the run task definition.
SERVICES = ("webserver", "daemon", "code-server")
# Probe watermark: a dataset no code reads, removed at once.
PROBE_DATASET = "_deploy_verify_probe"
ATHENA_PROBE_SQL = "SELECT count(*) FROM dim_media"
# What glue/silver_job.py's probe prints (that module needs pyspark: not imported here).
GLUE_PROBE_LINE = "silver_job probe ok"
POLL_SECONDS = 5.0


class StepFailed(Exception):
    """The step ran and the account answered otherwise than a working deployment would."""


@dataclass
class Outputs:
    """The data and platform stacks' outputs, by output key."""

    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        if key not in self.values:
            raise StepFailed(f"stack output {key} is missing: deploy the current templates")
        return self.values[key]

    @classmethod
    def of_stacks(cls, cloudformation: Any, *stack_names: str) -> Outputs:
        from botocore.exceptions import ClientError

        from wistia_assets.settings import ConfigError

        values: dict[str, str] = {}
        for name in stack_names:
            try:
                (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
            except ClientError as exc:
                message = exc.response.get("Error", {}).get("Message", str(exc))
                raise ConfigError(
                    f"stack {name}: {message} (name the stacks with --data-stack and "
                    "--platform-stack, in the region of AWS_REGION)"
                ) from None
            values |= {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(values)


@dataclass
class Context:
    outputs: Outputs
    aws: Callable[[str], Any]  # service name -> boto3 client (wistia_assets.aws.aws_client)
    http: Any  # an httpx.Client
    timeout: float = 900.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, what: str, poll: Callable[[], Any | None]) -> Any:
        """`poll()` until it returns something, or fail after `timeout` seconds."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = poll()
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise StepFailed(f"{what}: still waiting after {self.timeout:.0f} s")
            self.sleep(POLL_SECONDS)


@dataclass
class Step:
    name: str
    proves: str
    look_at: str
    check: Callable[[Context], str]


@dataclass
class Outcome:
    step: Step
    passed: bool
    detail: str
    seconds: float


# ---------------------------------------------------------------- ECS: each task's role


def _task_definitions(ctx: Context) -> list[str]:
    ecs = ctx.aws("ecs")
    cluster = ctx.outputs["ClusterName"]
    services = ecs.describe_services(cluster=cluster, services=list(SERVICES))["services"]
    found = {s["serviceName"]: s["taskDefinition"] for s in services}
    missing = [s for s in SERVICES if s not in found]
    if missing:
        raise StepFailed(f"cluster {cluster} has no service {', '.join(missing)}")
    return [*(found[s] for s in SERVICES), ctx.outputs["RunTaskDefinitionArn"]]


def _network(ctx: Context) -> dict[str, Any]:
    """The daemon's subnets and security group (no inbound), for the one-off tasks."""
    ecs = ctx.aws("ecs")
    (daemon,) = ecs.describe_services(cluster=ctx.outputs["ClusterName"], services=["daemon"])[
        "services"
    ]
    return daemon["networkConfiguration"]


def identity_check(task_definition: str) -> Callable[[Context], str]:
    def check(ctx: Context) -> str:
        ecs, logs = ctx.aws("ecs"), ctx.aws("logs")
        definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        (container,) = definition["containerDefinitions"]
        expected = definition["taskRoleArn"].rsplit("/", 1)[1]
        started = ecs.run_task(
            cluster=ctx.outputs["ClusterName"],
            taskDefinition=task_definition,
            launchType="FARGATE",
            count=1,
            startedBy="deploy-verify",
            networkConfiguration=_network(ctx),
            overrides={
                "containerOverrides": [{"name": container["name"], "command": IDENTITY_COMMAND}]
            },
        )
        if started.get("failures") or not started.get("tasks"):
            reasons = "; ".join(f.get("reason", "?") for f in started.get("failures", []))
            raise StepFailed(f"RunTask refused: {reasons or 'no task started'}")
        task_arn = started["tasks"][0]["taskArn"]

        def stopped():
            (task,) = ecs.describe_tasks(cluster=ctx.outputs["ClusterName"], tasks=[task_arn])[
                "tasks"
            ]
            return task if task.get("lastStatus") == "STOPPED" else None

        task = ctx.wait(f"task {task_arn}", stopped)
        (ran,) = [c for c in task["containers"] if c["name"] == container["name"]]
        if ran.get("exitCode") != 0:
            raise StepFailed(
                f"the task stopped ({task.get('stoppedReason', 'no reason')}), exit code "
                f"{ran.get('exitCode')}"
            )
        options = container["logConfiguration"]["options"]
        stream = (
            f"{options['awslogs-stream-prefix']}/{container['name']}/{task_arn.rsplit('/', 1)[1]}"
        )
        events = logs.get_log_events(
            logGroupName=options["awslogs-group"], logStreamName=stream, startFromHead=True
        )["events"]
        roles = [r for r in (role_of(e["message"].strip()) for e in events) if r]
        if roles != [expected]:
            raise StepFailed(
                f"expected the task to run as {expected}; its log "
                f"{options['awslogs-group']}:{stream} says {roles or 'nothing'}"
            )
        return f"ran as {expected}"

    return check


# ---------------------------------------------------------------- Glue: the probe run


def glue_probe(ctx: Context) -> str:
    glue = ctx.aws("glue")
    job = ctx.outputs["GlueJobName"]
    run_id = glue.start_job_run(JobName=job, Arguments={"--probe": "true"})["JobRunId"]
    final = ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED", "EXPIRED")

    def finished():
        run = glue.get_job_run(JobName=job, RunId=run_id, PredecessorsIncluded=False)["JobRun"]
        return run if run["JobRunState"] in final else None

    run = ctx.wait(f"Glue run {run_id}", finished)
    if run["JobRunState"] != "SUCCEEDED":
        raise StepFailed(f"run {run_id} {run['JobRunState']}: {run.get('ErrorMessage', '')}")
    # The driver's line must be in the stack's output group: Glue 5.0 honours
    # --custom-logGroup-prefix (else it went to the account-wide /aws-glue/jobs/output).
    logs, group = ctx.aws("logs"), ctx.outputs["GlueOutputLogGroupName"]

    def logged():
        events = logs.filter_log_events(logGroupName=group, logStreamNamePrefix=run_id)["events"]
        return True if any(GLUE_PROBE_LINE in e["message"] for e in events) else None

    try:
        ctx.wait(f"the probe's line in {group}", logged)
    except StepFailed:
        raise StepFailed(
            f"run {run_id} SUCCEEDED, but its driver output is not in {group}: look for it in "
            "/aws-glue/jobs/output (the job's --custom-logGroup-prefix not honoured)"
        ) from None
    return f"run {run_id} SUCCEEDED, its driver output in {group}"


# ---------------------------------------------------------------- Athena, DynamoDB, SNS


def athena_query(ctx: Context) -> str:
    athena = ctx.aws("athena")
    query = athena.start_query_execution(
        QueryString=ATHENA_PROBE_SQL,
        QueryExecutionContext={"Database": ctx.outputs["GlueDatabaseName"]},
        WorkGroup=ctx.outputs["AthenaWorkGroupName"],
    )["QueryExecutionId"]

    def finished():
        status = athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]
        return status if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None

    status = ctx.wait(f"Athena query {query}", finished)
    if status["State"] != "SUCCEEDED":
        raise StepFailed(f"query {query} {status['State']}: {status.get('StateChangeReason', '')}")
    athena.get_query_results(QueryExecutionId=query, MaxResults=2)
    return f"query {query} answered"


def watermark_write(ctx: Context) -> str:
    ddb = ctx.aws("dynamodb")
    table = ctx.outputs["WatermarkTableName"]
    key = {"dataset": {"S": PROBE_DATASET}, "media_id": {"S": uuid.uuid4().hex[:12]}}
    # The same kind of write as a watermark's advance: conditional on what is (not) there.
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #d = :d",
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#d": "watermark", "#k": "dataset"},
        ExpressionAttributeValues={":d": {"S": "1970-01-01"}},
    )
    ddb.delete_item(TableName=table, Key=key, ConditionExpression="attribute_exists(dataset)")
    return f"probe item written and removed ({PROBE_DATASET})"


def alert_publish(ctx: Context) -> str:
    topic = ctx.outputs["AlertsTopicArn"]
    message = ctx.aws("sns").publish(
        TopicArn=topic,
        Subject="wistia-assets deploy verify",
        Message="A test alert from `wistia-assets deploy verify`: alerts reach this address.",
    )
    return f"published {message['MessageId']} (subscribers receive a test alert)"


# ---------------------------------------------------------------- the UI


def ui_redirects_to_login(ctx: Context) -> str:
    url = ctx.outputs["DagsterUrl"]
    if urlsplit(url).scheme != "https":
        raise StepFailed(f"{url} is not HTTPS")
    answer = ctx.http.get(url, follow_redirects=False)
    location = answer.headers.get("location", "")
    target = urlsplit(location)
    if answer.status_code not in (301, 302, 303, 307, 308) or not (
        target.scheme == "https"
        and target.hostname
        and target.hostname.endswith(".amazoncognito.com")
        and target.path.startswith("/oauth2/authorize")
    ):
        raise StepFailed(
            f"expected a redirect to the Cognito sign-in, got HTTP {answer.status_code}"
            + (f" to {target.scheme}://{target.hostname}{target.path}" if location else "")
        )
    return f"HTTP {answer.status_code} to https://{target.hostname}/oauth2/authorize"


# ---------------------------------------------------------------- the plan


def _raises(exc: Exception) -> Callable[[Context], str]:
    def check(ctx: Context) -> str:
        raise exc

    return check


def plan(ctx: Context) -> Iterator[Step]:
    """The steps in order; the ECS rows come from the cluster's services (one per task def)."""
    try:
        definitions = _task_definitions(ctx)
    except Exception as exc:  # noqa: BLE001 - one failed row, the others still run
        yield Step(
            "ecs task roles",
            "each task definition's role can be assumed by its task",
            "platform output ClusterName; the services webserver, daemon, code-server",
            _raises(exc),
        )
        definitions = []
    for arn in definitions:
        family = arn.rsplit("/", 1)[1].split(":", 1)[0]
        yield Step(
            f"ecs role: {family}",
            "a one-off task of the image starts and runs as its task role",
            f"task definition {family} (roles' trust policies), stopped task reason, its log group",
            identity_check(arn),
        )
    yield Step(
        "glue probe",
        "the job installs its wheels, reads the hash key, lists Bronze and Silver, logs to "
        "the stack's group",
        "platform GlueArtifactsCommit (package-glue --upload), GlueJobRole, "
        "output GlueErrorLogGroupName",
        glue_probe,
    )
    yield Step(
        "athena",
        "the workgroup answers a query over the catalog's tables",
        "data outputs AthenaWorkGroupName, GlueDatabaseName; the workgroup's query history",
        athena_query,
    )
    yield Step(
        "watermarks",
        "the watermark table takes a conditional write (probe item, removed)",
        "data output WatermarkTableName; the operator policy DeployVerifyOperatorPolicyArn",
        watermark_write,
    )
    yield Step(
        "alerts",
        "the alert topic accepts a publish",
        "data output AlertsTopicArn (its key alias/aws/sns); confirm the e-mail subscription",
        alert_publish,
    )
    yield Step(
        "ui",
        "the UI answers HTTPS with a redirect to the Cognito sign-in",
        "platform UiDomainName (DNS to LoadBalancerDnsName), CertificateArn, AllowedCidr",
        ui_redirects_to_login,
    )


def run(ctx: Context) -> list[Outcome]:
    outcomes = []
    for step in plan(ctx):
        began = time.monotonic()
        try:
            detail, passed = step.check(ctx), True
        except Exception as exc:  # noqa: BLE001 - a failed step is a row, not a crash
            from wistia_assets.commands.errors import describe

            detail, passed = (str(exc) if isinstance(exc, StepFailed) else describe(exc)), False
        outcomes.append(Outcome(step, passed, detail, time.monotonic() - began))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """One row per step: step | proves | result | seconds | where to look when it fails."""
    rows = [("step", "proves", "result", "s", "when it fails, look at")]
    for o in outcomes:
        result = ("PASS: " if o.passed else "FAIL: ") + o.detail
        rows.append((o.step.name, o.step.proves, result, f"{o.seconds:.1f}", o.step.look_at))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        " | ".join([*(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)), r[4]]) for r in rows
    )
