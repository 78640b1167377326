"""A moto account laid out as the data and platform stacks lay it out, for `deploy verify`.

Names, ARNs, roles' trust policies, task definitions' roles and log groups, the Glue job's
arguments and both stacks' outputs come from the templates (`iam/stacks.py` resolves them).
What moto cannot do is played by stand-ins that enforce what AWS would:

- `LocalEcsClient`: ECS's RunTask assumes the task definition's roles and refuses, as ECS does
  ("ECS was unable to assume the role ..."), a role whose trust policy does not name
  ecs-tasks.amazonaws.com; the container runs the identity command with the task role's
  credentials (moto STS) and its line lands in the task definition's log stream; the task stops
  with the container's exit code. (moto's own RunTask of an awsvpc task fails in moto 5.)
- the Glue job runs through `LocalGlueClient` (the real entry script, in-process or in the Glue
  runtime emulator).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from wistia_assets.verification import identity
from wistia_assets.verification.steps import IDENTITY_COMMAND
from wistia_assets_tests.conftest import create_watermark_table
from wistia_assets_tests.iam.recorder import unrecorded
from wistia_assets_tests.iam.stacks import REGION, Stack, data_stack, platform_stack

TASK_DEFINITIONS = (
    "WebserverTaskDefinition",
    "DaemonTaskDefinition",
    "CodeServerTaskDefinition",
    "RunTaskDefinition",
)
SERVICES = {
    "webserver": "WebserverTaskDefinition",
    "daemon": "DaemonTaskDefinition",
    "code-server": "CodeServerTaskDefinition",
}


@dataclass
class Account:
    endpoint: str
    data: Stack
    platform: Stack
    task_definitions: dict[str, str] = field(default_factory=dict)  # logical -> ARN

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)


def _stack_with_outputs(cfn: Any, name: str, outputs: dict[str, str]) -> None:
    """A moto stack whose outputs are the real template's, resolved (DescribeStacks reads them)."""
    body = {
        "Resources": {"Anchor": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))


def _outputs(stack: Stack) -> dict[str, str]:
    return {k: str(stack.resolve(o["Value"])) for k, o in stack.template["Outputs"].items()}


def build(endpoint: str) -> Account:
    prefix = f"v{uuid.uuid4().hex[:8]}"
    kw = {"endpoint_url": endpoint, "region_name": REGION}
    secrets = boto3.client("secretsmanager", **kw)
    physical = {
        "HashKeySecret": secrets.create_secret(
            Name=f"{prefix}/wistia-hash-key", SecretString="verify-hash-key-5e1d"
        )["ARN"],
    }
    data = data_stack(prefix, "abcd1234,efgh5678", physical)
    platform = platform_stack(prefix, "abcd1234,efgh5678", data, {})
    account = Account(endpoint, data, platform)

    s3 = boto3.client("s3", **kw)
    for logical in ("BronzeBucket", "SilverBucket", "ArtifactsBucket", "PipesBucket"):
        s3.create_bucket(Bucket=data.name_of(logical))
    create_watermark_table(endpoint, name=data.name_of("WatermarkTable"))
    boto3.client("sns", **kw).create_topic(Name=data.name_of("AlertsTopic"))
    boto3.client("athena", **kw).create_work_group(Name=data.name_of("AthenaWorkGroup"))
    glue = boto3.client("glue", **kw)
    spec = platform.resource("SilverJob")["Properties"]
    glue.create_job(
        Name=platform.name_of("SilverJob"),
        Role=platform.get_att("GlueJobRole", "Arn"),
        Command=platform.resolve(spec["Command"]),
        DefaultArguments=platform.resolve(spec["DefaultArguments"]),
        GlueVersion=spec["GlueVersion"],
    )

    iam = boto3.client("iam", **kw)
    for logical, res in platform.template["Resources"].items():
        if res["Type"] == "AWS::IAM::Role":
            iam.create_role(
                RoleName=platform.name_of(logical),
                AssumeRolePolicyDocument=json.dumps(
                    platform.resolve(res["Properties"]["AssumeRolePolicyDocument"])
                ),
            )
    logs = boto3.client("logs", **kw)
    for logical, res in platform.template["Resources"].items():
        if res["Type"] == "AWS::Logs::LogGroup":
            logs.create_log_group(logGroupName=platform.name_of(logical))

    ec2 = boto3.client("ec2", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=prefix, Description="daemon", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", **kw)
    ecs.create_cluster(clusterName=platform.name_of("Cluster"))
    for logical in TASK_DEFINITIONS:
        props = platform.resource(logical)["Properties"]
        (container,) = props["ContainerDefinitions"]
        options = platform.resolve(container["LogConfiguration"]["Options"])
        registered = ecs.register_task_definition(
            family=platform.name_of(logical),
            taskRoleArn=platform.resolve(props["TaskRoleArn"]),
            executionRoleArn=platform.resolve(props["ExecutionRoleArn"]),
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": container["Name"],
                    "image": "image",
                    "memory": 512,
                    "logConfiguration": {"logDriver": "awslogs", "options": options},
                }
            ],
        )
        account.task_definitions[logical] = registered["taskDefinition"]["taskDefinitionArn"]
    network = {
        "awsvpcConfiguration": {
            "subnets": [subnet],
            "securityGroups": [group],
            "assignPublicIp": "DISABLED",
        }
    }
    for service, logical in SERVICES.items():
        ecs.create_service(
            cluster=platform.name_of("Cluster"),
            serviceName=service,
            taskDefinition=account.task_definitions[logical],
            desiredCount=0,
            launchType="FARGATE",
            networkConfiguration=network,
        )

    cfn = boto3.client("cloudformation", **kw)
    _stack_with_outputs(cfn, data.name, _outputs(data))
    platform_outputs = _outputs(platform)
    # The run task definition's revision as registered here (the template names revision 1).
    platform_outputs["RunTaskDefinitionArn"] = account.task_definitions["RunTaskDefinition"]
    _stack_with_outputs(cfn, platform.name, platform_outputs)
    return account


class LocalEcsClient:
    """The ECS calls `deploy verify` makes; moto answers what it can, this plays the task."""

    def __init__(self, account: Account):
        self.account = account
        self.ecs = account.client("ecs")
        self.tasks: dict[str, dict[str, Any]] = {}

    @property
    def meta(self):
        return self.ecs.meta

    def describe_services(self, **kwargs):
        return self.ecs.describe_services(**kwargs)

    def describe_task_definition(self, **kwargs):
        return self.ecs.describe_task_definition(**kwargs)

    def run_task(self, *, cluster, taskDefinition, overrides, **kwargs):  # noqa: N803 - boto3's
        # What ECS does on its side is not the caller's call: unrecorded by the IAM proof.
        with unrecorded():
            self.ecs.describe_clusters(clusters=[cluster])
            definition = self.ecs.describe_task_definition(taskDefinition=taskDefinition)
            definition = definition["taskDefinition"]
            for role in (definition["taskRoleArn"], definition["executionRoleArn"]):
                self._assumable_by_ecs(role)
            task_id = uuid.uuid4().hex
            arn = f"arn:aws:ecs:{REGION}:123456789012:task/{cluster}/{task_id}"
            (container,) = definition["containerDefinitions"]
            (override,) = overrides["containerOverrides"]
            exit_code = self._run_container(definition, container, override["command"], task_id)
        self.tasks[arn] = {
            "taskArn": arn,
            "lastStatus": "STOPPED",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": container["name"], "exitCode": exit_code}],
        }
        return {"tasks": [{"taskArn": arn, "lastStatus": "PROVISIONING"}], "failures": []}

    def describe_tasks(self, *, cluster, tasks):
        return {"tasks": [self.tasks[t] for t in tasks], "failures": []}

    def _assumable_by_ecs(self, role_arn: str) -> None:
        iam = self.account.client("iam")
        document = iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
        policy = document["AssumeRolePolicyDocument"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        trusted = [
            s
            for s in policy["Statement"]
            if s["Effect"] == "Allow" and s["Principal"].get("Service") == "ecs-tasks.amazonaws.com"
        ]
        if not trusted:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ClientException",
                        "Message": f"ECS was unable to assume the role '{role_arn}' that was "
                        "provided for this task. Please verify that the role being passed has "
                        "the proper trust relationship and permissions and that your IAM user "
                        "has permissions to pass this role.",
                    }
                },
                "RunTask",
            )

    def _run_container(self, definition, container, command, task_id: str) -> int:
        if command != IDENTITY_COMMAND:
            raise AssertionError(f"the stand-in runs only the identity command, not {command}")
        sts = self.account.client("sts")
        credentials = sts.assume_role(RoleArn=definition["taskRoleArn"], RoleSessionName=task_id)[
            "Credentials"
        ]
        as_task = boto3.client(
            "sts",
            endpoint_url=self.account.endpoint,
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        line = identity.describe(as_task)
        options = container["logConfiguration"]["options"]
        logs = self.account.client("logs")
        stream = f"{options['awslogs-stream-prefix']}/{container['name']}/{task_id}"
        logs.create_log_stream(logGroupName=options["awslogs-group"], logStreamName=stream)
        logs.put_log_events(
            logGroupName=options["awslogs-group"],
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
        )
        return 0
