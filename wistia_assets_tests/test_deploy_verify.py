"""`wistia-assets deploy verify` against a moto account laid out by the templates.

Both outcomes: every step passes on an account as the stacks build it; on one where a task
role does not trust ECS, the hash key is gone, the alert topic is deleted and the UI answers
without a login, exactly those rows fail, each naming where to look, and the command exits 1.
Bad input exits 2. The UI is answered by an httpx mock transport (no load balancer here); the
ECS tasks and the Glue run by the stand-ins of `support/deployed_account.py`, which refuse what
ECS and Glue would refuse.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
import pytest

from wistia_assets.commands import deploy_verify
from wistia_assets.verification import steps
from wistia_assets.verification.identity import role_of
from wistia_assets_tests.glue_local import LocalGlueClient
from wistia_assets_tests.iam.actions import Call, Facts, requests_of
from wistia_assets_tests.iam.policy import decide
from wistia_assets_tests.iam.recorder import Recorder, acting_as, unrecorded
from wistia_assets_tests.support.cli import cli
from wistia_assets_tests.support.deployed_account import Account, LocalEcsClient, build

COGNITO = "https://v-dagster-123456789012.auth.us-east-1.amazoncognito.com/oauth2/authorize"


def signed_in_ui(request: httpx.Request) -> httpx.Response:
    """The load balancer's answer to a browser without a session: Cognito's sign-in."""
    assert request.url.scheme == "https"
    return httpx.Response(302, headers={"location": f"{COGNITO}?client_id=x&redirect_uri=y"})


def open_ui(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<title>Dagster</title>")


@pytest.fixture
def account(aws_endpoint) -> Account:
    return build(aws_endpoint)


def clients(account: Account, workdir: Path):
    ecs = LocalEcsClient(account)
    glue = LocalGlueClient(account.client("glue"), account.client("s3"), workdir)

    def client(service: str):
        return {"ecs": ecs, "glue": glue}.get(service) or account.client(service)

    return client


def verify(account: Account, workdir: Path, ui=signed_in_ui, timeout: float = 60.0) -> int:
    args = argparse.Namespace(
        data_stack=account.data.name, platform_stack=account.platform.name, timeout=timeout
    )
    http = httpx.Client(transport=httpx.MockTransport(ui))
    code = deploy_verify.main(args, client=clients(account, workdir), http=http)
    return code


def rows(out: str) -> dict[str, str]:
    """The table's rows by step (the in-process Glue probe prints its own line before it)."""
    lines = [line for line in out.splitlines() if " | " in line]
    assert lines[0].startswith("step ")
    return {line.split(" | ")[0].strip(): line for line in lines[1:]}


def test_every_step_passes_on_the_deployed_layout(account, tmp_path, capsys):
    began = time.monotonic()
    code = verify(account, tmp_path)
    out = capsys.readouterr().out
    print(out, f"\n(all steps: {time.monotonic() - began:.1f} s)")
    assert code == 0, out
    table = rows(out)
    prefix = account.platform.parameters["NamePrefix"]
    assert set(table) == {
        f"ecs role: {prefix}-webserver",
        f"ecs role: {prefix}-daemon",
        f"ecs role: {prefix}-code-server",
        f"ecs role: {prefix}-run",
        "glue probe",
        "athena",
        "watermarks",
        "alerts",
        "ui",
    }
    assert all(" | PASS: " in row for row in table.values()), out
    assert f"ran as {account.platform.name}-RunTaskRole" in table[f"ecs role: {prefix}-run"]
    assert "SUCCEEDED, its driver output in /aws-glue/jobs/" in table["glue probe"]
    assert out.rstrip().endswith("9 passed, 0 failed")
    # The probe watermark is gone again: `watermark show` never lists it.
    ddb = account.client("dynamodb")
    assert ddb.scan(TableName=account.data.name_of("WatermarkTable"))["Items"] == []


def test_failing_steps_fail_alone_and_say_where_to_look(account, tmp_path, capsys):
    iam = account.client("iam")
    # A run task role that trusts the wrong service: ECS cannot assume it.
    iam.update_assume_role_policy(
        RoleName=f"{account.platform.name}-RunTaskRole",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
    )
    # The hash key the Glue job reads is gone; the alert topic too.
    account.client("secretsmanager").delete_secret(
        SecretId=account.data.physical["HashKeySecret"], ForceDeleteWithoutRecovery=True
    )
    topic = account.data.ref("AlertsTopic")
    account.client("sns").delete_topic(TopicArn=topic)

    code = verify(account, tmp_path, ui=open_ui)
    out = capsys.readouterr().out
    print(out)
    assert code == 1, out
    table = rows(out)
    prefix = account.platform.parameters["NamePrefix"]
    failed = {name for name, row in table.items() if " | FAIL: " in row}
    assert failed == {f"ecs role: {prefix}-run", "glue probe", "alerts", "ui"}, out
    assert "unable to assume the role" in table[f"ecs role: {prefix}-run"]
    assert "task definition" in table[f"ecs role: {prefix}-run"]  # where to look
    assert "FAILED" in table["glue probe"] and "GlueArtifactsCommit" in table["glue probe"]
    assert "AlertsTopicArn" in table["alerts"]
    assert "got HTTP 200" in table["ui"] and "UiDomainName" in table["ui"]
    assert out.rstrip().endswith("5 passed, 4 failed")


def test_a_glue_job_logging_to_the_account_wide_groups_fails_the_probe(account, tmp_path, capsys):
    """Glue 5.0 without --custom-logGroup-prefix (or ignoring it) logs to /aws-glue/jobs/output:
    the run succeeds, the stack's group stays empty, and the row says so."""
    glue = account.client("glue")
    job = glue.get_job(JobName=account.platform.name_of("SilverJob"))["Job"]
    arguments = dict(job["DefaultArguments"])
    del arguments["--custom-logGroup-prefix"]
    glue.delete_job(JobName=job["Name"])  # moto has no UpdateJob of the arguments
    glue.create_job(
        Name=job["Name"],
        Role=job["Role"],
        Command=job["Command"],
        DefaultArguments=arguments,
        GlueVersion=job["GlueVersion"],
    )
    code = verify(account, tmp_path, timeout=1.0)
    out = capsys.readouterr().out
    assert code == 1
    row = rows(out)["glue probe"]
    assert " | FAIL: " in row and "SUCCEEDED, but its driver output is not in" in row


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--timeout", "0"], "--timeout 0.0: give a positive number of seconds"),
        (["--data-stack", "my data"], "--data-stack 'my data': not a CloudFormation stack name"),
    ],
)
def test_bad_input_exits_2(argv, message):
    code, out, err = cli("deploy", "verify", *argv)
    assert code == 2
    assert err.strip() == f"error: {message}"


def test_a_missing_stack_is_one_clear_line(aws_endpoint):
    code, out, err = cli("deploy", "verify", "--data-stack", "nothere-data")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "error: stack nothere-data: Stack with id nothere-data does not exist (name the stacks "
        "with --data-stack and --platform-stack, in the region of AWS_REGION)"
    )


def test_verify_looks_for_the_line_the_probe_prints():
    from wistia_assets.glue import silver_job

    assert steps.GLUE_PROBE_LINE == silver_job.PROBE_LINE


def test_a_probe_without_the_jobs_default_arguments_says_which_is_missing():
    from wistia_assets.glue import silver_job

    with pytest.raises(silver_job.JobArgumentError, match="--bronze-root"):
        silver_job.probe(
            ["--probe", "true", "--silver-root", "s3://s", "--hash-key-secret-id", "k"]
        )


def test_the_identity_line_names_the_role():
    line = "wistia-assets identity: arn:aws:sts::123456789012:assumed-role/p-RunTaskRole-1AB/e1f"
    assert role_of(line) == "p-RunTaskRole-1AB"
    assert role_of("arn:aws:sts::123456789012:assumed-role/x/y") is None
    assert steps.IDENTITY_COMMAND[:3] == ["python", "-m", "wistia_assets.verification.identity"]


# ---------------------------------------------------------------- the IAM proof


class RecordedStandIn:
    """A stand-in's methods recorded as the AWS calls they stand for (moto never sees them)."""

    def __init__(self, inner, service: str, operations: dict[str, str], recorder):
        self.inner, self.service, self.operations, self.recorder = (
            inner,
            service,
            operations,
            recorder,
        )

    def __getattr__(self, name):
        method = getattr(self.inner, name)
        if name not in self.operations:
            return method

        def call(**params):
            self.recorder.calls.append(
                Call(self.service, self.operations[name], dict(params), OPERATOR)
            )
            return method(**params)

        return call


class GlueProbeAsItsRole(LocalGlueClient):
    def _recorded(self, job_name, run_id):
        with unrecorded():
            return super()._recorded(job_name, run_id)

    def _execute(self, arguments, script):
        with acting_as("Glue job"):
            return super()._execute(arguments, script)


OPERATOR = "operator: deploy verify"


def test_verify_needs_exactly_the_operator_policy(account, tmp_path, capsys):
    """Every call `deploy verify` makes is allowed by DeployVerifyOperatorPolicy (the probe run's
    own calls by GlueJobRole), and the policy grants nothing the command does not use."""
    recorder = Recorder()
    args = argparse.Namespace(
        data_stack=account.data.name, platform_stack=account.platform.name, timeout=60.0
    )
    with recorder.installed(), acting_as(OPERATOR):
        # Made inside: the recorder hooks the clients created while it is installed.
        ecs = RecordedStandIn(
            LocalEcsClient(account),
            "ecs",
            {"run_task": "RunTask", "describe_tasks": "DescribeTasks"},
            recorder,
        )
        glue = GlueProbeAsItsRole(account.client("glue"), account.client("s3"), tmp_path)
        code = deploy_verify.main(
            args,
            client=lambda s: {"ecs": ecs, "glue": glue}.get(s) or account.client(s),
            http=httpx.Client(transport=httpx.MockTransport(signed_in_ui)),
        )
    assert code == 0, capsys.readouterr().out

    facts = Facts.of(account.data)
    for logical, arn in account.task_definitions.items():
        props = account.platform.resource(logical)["Properties"]
        facts.task_roles[arn] = [
            account.platform.resolve(props["TaskRoleArn"]),
            account.platform.resolve(props["ExecutionRoleArn"]),
        ]
    policies = {
        OPERATOR: account.platform.role_statements("DeployVerifyOperatorPolicy"),
        "Glue job": account.platform.role_statements("GlueJobRole"),
    }
    denied = []
    for call in recorder.calls:
        assert call.process in policies, f"a call outside any process: {call}"
        for request in requests_of(call, facts):
            allowing = decide(policies[call.process], request)
            if allowing is None:
                denied.append(f"{call.process} is denied {request}, needed by {call}")
            for statement in allowing or []:
                statement.used_by.append(request)
    assert not denied, "\n".join(denied)
    unused = [
        f"{s.sid}: {action}"
        for s in policies[OPERATOR]
        for action in s.actions()
        if not any(r.action.lower() == action.lower() for r in s.used_by)
    ]
    assert not unused, unused
    operations = {(c.process, c.service, c.operation) for c in recorder.calls}
    assert (OPERATOR, "ecs", "RunTask") in operations
    assert ("Glue job", "secretsmanager", "GetSecretValue") in operations
    assert ("Glue job", "s3", "ListObjectsV2") in operations
