"""The CloudFormation stacks deployed into a moto server, then inspected with boto3.

What moto's CloudFormation can create is created from the real templates, unchanged for the data
stack. moto skips (with a warning) resource types it does not implement: S3 bucket policies,
Secrets Manager secrets, Glue databases/tables/jobs, Athena workgroups, SNS subscriptions,
CloudTrail trails and Cloud Map. Those are asserted statically in test_deploy_templates.py
instead, and this module checks that nothing else was skipped. moto's S3 and DynamoDB
CloudFormation models also ignore versioning, lifecycle, public access block and PITR, so those
are static checks too.

The platform stack imports the data stack's exports; the exports of skipped resources have no
value in moto, so the platform template is deployed with those imports and references replaced
by stand-in ARNs (the `STAND_INS` below) and the skipped resources dropped. moto has no
`Fn::Cidr`, so the network template's subnet CIDRs are computed here the way CloudFormation does.
"""

from __future__ import annotations

import ast
import ipaddress
import json
from typing import Any

import boto3
import pytest

from wistia_assets_tests.support.deploy import cfn_template

# moto warns once per resource type it skips; MOTO_SKIPS is the reviewed list of them.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
MEDIA_IDS = "abcd1234,efgh5678"

# Resource types moto 5.x cannot create through CloudFormation.
MOTO_SKIPS = {
    "AWS::S3::BucketPolicy",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::Glue::Job",
    "AWS::Athena::WorkGroup",
    "AWS::SNS::Subscription",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::Service",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolClient",
    "AWS::CloudTrail::Trail",
}

_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:wistia"
STAND_INS = {
    # data stack exports whose resources moto skips
    "GlueDatabaseName": "wistia_silver",
    "AthenaWorkGroupName": "wistia-analytics",
    "WistiaApiTokenSecretArn": f"{_SECRET}/wistia-api-token-AbCdEf",
    "HashKeySecretArn": f"{_SECRET}/wistia-hash-key-AbCdEf",
    # platform resources moto skips
    "DbSecret": f"{_SECRET}/dagster-db-AbCdEf",
    "SilverJob": "wistia-silver",
    "CodeServerDiscovery.Arn": f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:service/srv-1",
    "UiUserPool.Arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123",
    "UiUserPoolClient": "1example23456789",
    "UiUserPoolDomain": "deploytest-dagster-123456789012",
}


def document(value: Any) -> dict[str, Any]:
    """A policy document as moto returns it: a dict, JSON, or (CloudFormation-made) a repr."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return ast.literal_eval(value)


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def create(cfn, name: str, body: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}


def created_ids(cfn, name: str) -> set[str]:
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {s["LogicalResourceId"] for s in summaries if s.get("LogicalResourceId")}


def substitute(node: Any, exports: dict[str, str]) -> Any:
    """Replace imports of the data stack and references to skipped resources with values."""
    if isinstance(node, list):
        return [substitute(n, exports) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::ImportValue"}:
        export = node["Fn::ImportValue"]["Fn::Sub"].removeprefix("${DataStackName}-")
        return exports.get(export) or STAND_INS[export]
    if set(node) == {"Ref"} and node["Ref"] in STAND_INS:
        return STAND_INS[node["Ref"]]
    if set(node) == {"Fn::GetAtt"} and ".".join(node["Fn::GetAtt"]) in STAND_INS:
        return STAND_INS[".".join(node["Fn::GetAtt"])]
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        text = node["Fn::Sub"]
        for ref in ("DbSecret",):
            text = text.replace("${" + ref + "}", STAND_INS[ref])
        return {"Fn::Sub": text}
    return {k: substitute(v, exports) for k, v in node.items()}


def evaluate_find_in_map(node: Any, mappings: dict[str, Any], params: dict[str, Any]) -> Any:
    """Fn::FindInMap keyed by a parameter: moto looks a Number parameter up as an int, while
    CloudFormation hands every parameter to intrinsics as a string."""
    if isinstance(node, list):
        return [evaluate_find_in_map(n, mappings, params) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::FindInMap"}:
        name, top, second = node["Fn::FindInMap"]
        key = str(params[top["Ref"]]) if isinstance(top, dict) else top
        return mappings[name][key][second]
    return {k: evaluate_find_in_map(v, mappings, params) for k, v in node.items()}


def evaluate_cidr(node: Any, vpc_cidr: str) -> Any:
    """CloudFormation's Fn::Cidr [VpcCidr, count, host bits], for moto which lacks it."""
    if isinstance(node, list):
        return [evaluate_cidr(n, vpc_cidr) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::Cidr"}:
        _, count, bits = node["Fn::Cidr"]
        subnets = ipaddress.ip_network(vpc_cidr).subnets(new_prefix=32 - int(bits))
        return [str(net) for _, net in zip(range(int(count)), subnets, strict=False)]
    return {k: evaluate_cidr(v, vpc_cidr) for k, v in node.items()}


@pytest.fixture(scope="module")
def stacks(moto_server):
    """Deploy network, data and platform stacks once; yield the endpoint and the outputs."""
    cfn = client("cloudformation", moto_server)
    net_template = cfn_template("network.yaml")
    vpc_cidr = net_template["Parameters"]["VpcCidr"]["Default"]
    net_template["Resources"] = evaluate_cidr(net_template["Resources"], vpc_cidr)
    network = create(cfn, "deploytest-net", net_template, {"NamePrefix": "deploytest"})
    data = create(
        cfn,
        "deploytest-data",
        cfn_template("data.yaml"),
        # The moto server is shared by the whole session: no default names.
        {
            "NamePrefix": "deploytest",
            "MediaIds": MEDIA_IDS,
            "WatermarkTableName": "deploytest-watermarks",
            "GlueDatabaseName": "deploytest_silver",
        },
    )
    platform = cfn_template("platform.yaml")
    platform["Resources"] = {
        k: substitute(v, data)
        for k, v in platform["Resources"].items()
        if v["Type"] not in MOTO_SKIPS
    }
    platform["Outputs"] = {}
    params = {
        "NamePrefix": "deploytest",
        "DataStackName": "deploytest-data",
        "VpcId": network["VpcId"],
        "PublicSubnetIds": network["PublicSubnetIds"],
        "PrivateSubnetIds": network["PrivateSubnetIds"],
        "AllowedCidr": "203.0.113.0/24",
        # moto's listener checks that the certificate exists, as ELB does.
        "CertificateArn": client("acm", moto_server).request_certificate(
            DomainName="dagster.example.com"
        )["CertificateArn"],
        "UiDomainName": "dagster.example.com",
        "ImageTag": "abc123",
        "GlueArtifactsCommit": "abc1234",
        "MediaIds": MEDIA_IDS,
    }
    defaults = {k: v.get("Default") for k, v in platform["Parameters"].items()}
    platform["Resources"] = evaluate_find_in_map(
        platform["Resources"], platform["Mappings"], {**defaults, **params}
    )
    create(cfn, "deploytest-platform", platform, params)
    return moto_server, cfn, data


def test_only_known_gaps_are_skipped(stacks):
    _, cfn, _ = stacks
    for name, file in (("deploytest-data", "data.yaml"), ("deploytest-net", "network.yaml")):
        resources = cfn_template(file)["Resources"]
        skipped = {resources[i]["Type"] for i in set(resources) - created_ids(cfn, name)}
        assert skipped <= MOTO_SKIPS, f"{name}: moto skipped {skipped - MOTO_SKIPS}"


def test_buckets_encrypted_with_the_stack_key(stacks):
    endpoint, _, data = stacks
    s3 = client("s3", endpoint)
    for output in (
        "BronzeBucketName",
        "SilverBucketName",
        "ArtifactsBucketName",
        "PipesBucketName",
    ):
        rules = s3.get_bucket_encryption(Bucket=data[output])["ServerSideEncryptionConfiguration"]
        default = rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms", output
        assert default["KMSMasterKeyID"] == data["DataKeyArn"], output
    tags = s3.get_bucket_tagging(Bucket=data["BronzeBucketName"])["TagSet"]
    assert {"Key": "data-classification", "Value": "personal"} in tags


def test_data_key_rotates_and_is_never_kms_star(stacks):
    endpoint, _, data = stacks
    kms = client("kms", endpoint)
    key_id = data["DataKeyArn"].rsplit("/", 1)[1]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    policy = document(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert "kms:*" not in actions and "*" not in actions
    aliases = {a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]}
    assert "alias/deploytest-data" in aliases


def test_watermark_table_key_schema_and_encryption(stacks):
    endpoint, _, data = stacks
    table = client("dynamodb", endpoint).describe_table(TableName=data["WatermarkTableName"])
    table = table["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("dataset", "HASH"),
        ("media_id", "RANGE"),
    }
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        ("dataset", "S"),
        ("media_id", "S"),
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # moto's CloudFormation drops SSESpecification and PointInTimeRecoverySpecification; both
    # are asserted on the template in test_deploy_templates.py.


def test_topic_and_repository(stacks):
    endpoint, _, data = stacks
    attrs = client("sns", endpoint).get_topic_attributes(TopicArn=data["AlertsTopicArn"])
    assert attrs["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"
    repo = client("ecr", endpoint).describe_repositories(repositoryNames=["deploytest/dagster"])
    repo = repo["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert data["ImageRepositoryUri"].endswith("/deploytest/dagster")


def test_log_groups_have_retention(stacks):
    endpoint, _, _ = stacks
    groups = client("logs", endpoint).describe_log_groups(logGroupNamePrefix="/deploytest/")
    by_name = {g["logGroupName"]: g.get("retentionInDays") for g in groups["logGroups"]}
    for name in ("webserver", "daemon", "code-server", "runs"):
        assert by_name[f"/deploytest/dagster/{name}"] == 30


def test_iam_roles_hold_their_policies(stacks):
    endpoint, cfn, _ = stacks
    iam = client("iam", endpoint)
    roles = [
        r
        for r in cfn.list_stack_resources(StackName="deploytest-platform")["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::IAM::Role"
    ]
    # One per job: two execution roles, four service task roles, the erase run's, Glue's.
    assert len(roles) == 8
    assert "EraseTaskRole" in {r["LogicalResourceId"] for r in roles}
    for summary in roles:
        name = summary["PhysicalResourceId"]
        trust = document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])
        (statement,) = trust["Statement"]
        if statement["Principal"] == {"Service": "glue.amazonaws.com"}:
            # Glue is not documented to send aws:SourceAccount when it assumes a job role: a
            # condition on it could keep every job run from starting (platform.yaml).
            assert "Condition" not in statement, name
        else:
            assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}, name
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            doc = document(doc)
            for statement in doc["Statement"]:
                # Every ARN resolved to this account and region, or a documented "*".
                for resource in (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                ):
                    assert resource == "*" or resource.startswith("arn:aws:"), resource
                    assert "None" not in resource, resource


def test_ecs_cluster_and_task_definitions(stacks):
    endpoint, _, _ = stacks
    ecs = client("ecs", endpoint)
    assert ecs.describe_clusters(clusters=["deploytest-dagster"])["clusters"]
    run = ecs.describe_task_definition(taskDefinition="deploytest-run")["taskDefinition"]
    container = run["containerDefinitions"][0]
    assert container["name"] == "run"
    assert container["image"].endswith("/deploytest/dagster:abc123")
    secrets = {s["name"] for s in container["secrets"]}
    assert secrets == {"WISTIA_API_TOKEN", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"}
    daemon = ecs.describe_task_definition(taskDefinition="deploytest-daemon")["taskDefinition"]
    env = {e["name"]: e["value"] for e in daemon["containerDefinitions"][0]["environment"]}
    assert env["DAGSTER_RUN_TASK_DEFINITION"] == run["taskDefinitionArn"]
    assert env["DAGSTER_POOL_LIMITS"] == "wistia_api=2,glue=4"


def test_load_balancer_signs_in_before_forwarding(stacks):
    endpoint, _, _ = stacks
    elb = client("elbv2", endpoint)
    (lb,) = elb.describe_load_balancers(Names=["deploytest-dagster"])["LoadBalancers"]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    by_port = {
        listener["Port"]: sorted(listener["DefaultActions"], key=lambda a: a.get("Order", 0))
        for listener in listeners
    }
    assert set(by_port) == {80, 443}
    assert [a["Type"] for a in by_port[80]] == ["redirect"]
    # moto does not keep the actions' Order; the template test asserts it (auth first).
    assert sorted(a["Type"] for a in by_port[443]) == ["authenticate-cognito", "forward"]
