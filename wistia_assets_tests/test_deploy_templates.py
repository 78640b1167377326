"""Static checks of deploy/cloudformation: cfn-lint, then the rules this platform promises.

cfn-lint proves the templates are valid CloudFormation; the assertions here prove the security
and contract properties a reviewer would otherwise check by eye: encryption, public access, TLS,
Bronze retention, least-privilege IAM, secrets only from Secrets Manager, the Glue job's shape,
and that the ECS environment satisfies `Settings.from_env` for the aws deployment.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from wistia_assets_tests.support.deploy import CFN, ROOT, cfn_template

TEMPLATES = sorted(CFN.glob("*.yaml"))


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]):
    """(resource id, statement) for every policy statement a template defines."""
    for rid, res in template["Resources"].items():
        props = res.get("Properties", {})
        policies = props.get("Policies", [])  # a Cognito pool's Policies is its password rules
        docs = [p["PolicyDocument"] for p in policies] if isinstance(policies, list) else []
        for key in ("PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"):
            if key in props:
                docs.append(props[key])
        for doc in docs:
            for statement in doc["Statement"]:
                yield rid, statement


@pytest.fixture(scope="module")
def data():
    return cfn_template("data.yaml")


@pytest.fixture(scope="module")
def platform():
    return cfn_template("platform.yaml")


def test_cfn_lint_is_clean():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), *map(str, TEMPLATES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_parameter_is_documented(path):
    for name, parameter in cfn_template(path.name)["Parameters"].items():
        assert len(parameter.get("Description", "")) > 10, f"{path.name}: {name}"


LAKE_BUCKETS = {"BronzeBucket", "SilverBucket", "ArtifactsBucket", "PipesBucket"}


def test_every_bucket_is_encrypted_private_versioned_and_tls_only(data):
    buckets = resources(data, "AWS::S3::Bucket")
    assert set(buckets) == LAKE_BUCKETS | {"AuditLogsBucket"}
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
        for p in resources(data, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in buckets.items():
        props = bucket["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        if name == "AuditLogsBucket":
            # S3 server access logs and ELB access logs are delivered only to SSE-S3 buckets.
            assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        else:
            assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", name
            assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
                "Fn::GetAtt": ["DataKey", "Arn"]
            }, name
            assert rule["BucketKeyEnabled"] is True, name
        block = props["PublicAccessBlockConfiguration"]
        assert all(block[k] is True for k in block) and len(block) == 4, name
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any("AbortIncompleteMultipartUpload" in r for r in rules), name
        tls = [
            s
            for s in policies[name]["Statement"]
            if s["Effect"] == "Deny"
            and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert tls, f"{name} has no TLS-only statement"
        assert len(as_list(tls[0]["Resource"])) == 2, "bucket and its objects"


def test_bronze_expires_personal_data(data):
    bronze = data["Resources"]["BronzeBucket"]["Properties"]
    rules = bronze["LifecycleConfiguration"]["Rules"]
    expiry = [r for r in rules if "ExpirationInDays" in r]
    assert expiry and expiry[0]["ExpirationInDays"] == {"Ref": "BronzeRetentionDays"}
    assert "Prefix" not in expiry[0], "the whole bucket, quarantine included"
    # Versioning keeps deleted objects as noncurrent versions: they must go too.
    assert expiry[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7
    assert data["Parameters"]["BronzeRetentionDays"]["MaxValue"] <= 730


def test_silver_keeps_no_replaced_version_of_pseudonymous_rows_past_a_day(data):
    """An erasure rewrites fact_events partitions (visitor_hash, ip_hash): the replaced files
    must not keep the viewer for Silver's 30-day recovery window (S3 honours the shorter of two
    overlapping expirations)."""
    rules = data["Resources"]["SilverBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    covering = [
        r
        for r in rules
        if "NoncurrentVersionExpiration" in r
        and "silver/wistia/fact_events/".startswith(r.get("Prefix", ""))
    ]
    assert min(r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in covering) == 1


def test_watermark_table(data):
    props = data["Resources"]["WatermarkTable"]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "dataset", "KeyType": "HASH"},
        {"AttributeName": "media_id", "KeyType": "RANGE"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert data["Parameters"]["WatermarkTableName"]["Default"] == "WistiaWatermarks"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_wildcard_allow_on_every_resource(path):
    for rid, statement in statements(cfn_template(path.name)):
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement.get("Action", []))
        assert "*" not in actions, f"{rid}: Action *"
        if "*" in as_list(statement.get("Resource", [])):
            broad = [a for a in actions if a.endswith(":*")]
            assert not broad, f"{rid} {statement.get('Sid')}: {broad} on *"


def test_resource_star_only_where_the_api_has_no_resource_arns(platform):
    # These actions cannot be scoped to a resource ARN (AWS service authorization reference).
    unscopable = {
        "ecr:GetAuthorizationToken",
        "ecs:DescribeTaskDefinition",
        "ec2:DescribeNetworkInterfaces",
        "cloudwatch:PutMetricData",
    }
    for rid, statement in statements(platform):
        if statement["Effect"] == "Allow" and "*" in as_list(statement.get("Resource", [])):
            assert set(as_list(statement["Action"])) <= unscopable, f"{rid} {statement['Sid']}"


def test_pass_role_is_scoped_to_the_run_roles(platform, data):
    passes = [
        (rid, s)
        for t in (platform, data)
        for rid, s in statements(t)
        if any(a in ("iam:PassRole", "iam:*") for a in as_list(s.get("Action", [])))
    ]
    assert [rid for rid, _ in passes] == ["DaemonTaskRole", "DeployVerifyOperatorPolicy"]
    _, statement = passes[0]
    # The operator's `deploy verify` runs one task of each task definition: exactly the six ECS
    # roles those name, only to ECS; never the Glue job's role.
    _, verify = passes[1]
    assert sorted(r["Fn::GetAtt"][0] for r in verify["Resource"]) == sorted(
        {
            role
            for task in resources(platform, "AWS::ECS::TaskDefinition").values()
            for role in (
                task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0],
                task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0],
            )
        }
    )
    assert verify["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    # The run task definition's two roles, and the erase job's (its runs' taskRoleArn override).
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["RunTaskRole", "Arn"]},
        {"Fn::GetAtt": ["CodeExecutionRole", "Arn"]},
        {"Fn::GetAtt": ["EraseTaskRole", "Arn"]},
    ]
    run = platform["Resources"]["RunTaskDefinition"]["Properties"]
    assert run["TaskRoleArn"] == {"Fn::GetAtt": ["RunTaskRole", "Arn"]}
    assert run["ExecutionRoleArn"] == {"Fn::GetAtt": ["CodeExecutionRole", "Arn"]}
    assert (
        statement["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com"
    )


def test_one_role_per_job(platform):
    roles = set(resources(platform, "AWS::IAM::Role"))
    assert roles == {
        "ControlPlaneExecutionRole",
        "CodeExecutionRole",
        "WebserverTaskRole",
        "DaemonTaskRole",
        "CodeServerTaskRole",
        "RunTaskRole",
        "EraseTaskRole",
        "GlueJobRole",
    }
    wired = {
        "WebserverTaskDefinition": ("ControlPlaneExecutionRole", "WebserverTaskRole"),
        "DaemonTaskDefinition": ("ControlPlaneExecutionRole", "DaemonTaskRole"),
        "CodeServerTaskDefinition": ("CodeExecutionRole", "CodeServerTaskRole"),
        "RunTaskDefinition": ("CodeExecutionRole", "RunTaskRole"),
    }
    for task, (execution, role) in wired.items():
        props = platform["Resources"][task]["Properties"]
        assert props["ExecutionRoleArn"] == {"Fn::GetAtt": [execution, "Arn"]}, task
        assert props["TaskRoleArn"] == {"Fn::GetAtt": [role, "Arn"]}, task
    glue = platform["Resources"]["SilverJob"]["Properties"]
    assert glue["Role"] == {"Fn::GetAtt": ["GlueJobRole", "Arn"]}


SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_KEY)$")


def containers(platform):
    for task in resources(platform, "AWS::ECS::TaskDefinition").values():
        yield from task["Properties"]["ContainerDefinitions"]


def test_secrets_only_from_secrets_manager(platform):
    expected = {
        "webserver": {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"},
        "daemon": {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"},
        "code-server": {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "WISTIA_API_TOKEN"},
        "run": {"DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "WISTIA_API_TOKEN"},
    }
    seen = set()
    for container in containers(platform):
        name = container["Name"]
        seen.add(name)
        plain = [e["Name"] for e in container.get("Environment", [])]
        assert not [n for n in plain if SECRET_NAME.search(n)], f"{name}: plaintext secret"
        secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
        assert set(secrets) == expected[name], name
        for env, source in secrets.items():
            text = json.dumps(source)
            assert "SecretArn" in text or "${DbSecret}:" in text, f"{name}: {env} from {text}"
    assert seen == set(expected)
    # The hash key is read by the Glue job alone; ECS only carries its id.
    assert "HashKeySecret" not in json.dumps(
        platform["Resources"]["CodeExecutionRole"]["Properties"]["Policies"]
    )


def test_one_image_for_every_container(platform):
    images = {json.dumps(c["Image"], sort_keys=True) for c in containers(platform)}
    assert len(images) == 1
    assert "ImageTag" in images.pop()


def _fake(node: Any, params: dict[str, str]) -> Any:
    """Resolve intrinsics to plausible strings, enough to build a container's environment."""
    if isinstance(node, dict):
        if "Ref" in node:
            return params.get(node["Ref"], f"ref-{node['Ref'].lower()}")
        if "Fn::ImportValue" in node:
            return "imported-" + node["Fn::ImportValue"]["Fn::Sub"].split("-")[-1].lower()
        if "Fn::GetAtt" in node:
            logical, attribute = node["Fn::GetAtt"]
            if attribute == "Arn" and logical.endswith("Role"):
                return f"arn:aws:iam::123456789012:role/stack-{logical}"
            return "attr-" + "-".join(node["Fn::GetAtt"]).lower()
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            return re.sub(r"\$\{([^}!]+)\}", lambda m: params.get(m.group(1), "x"), text)
    return node


@pytest.mark.parametrize("container_name", ["code-server", "run"])
def test_environment_satisfies_the_aws_settings(platform, container_name):
    from wistia_assets.settings import Settings

    params = {k: str(v.get("Default", "")) for k, v in platform["Parameters"].items()}
    params |= {"MediaIds": "abcd1234,efgh5678", "MediaChannels": "abcd1234:youtube"}
    (container,) = [c for c in containers(platform) if c["Name"] == container_name]
    env = {e["Name"]: str(_fake(e["Value"], params)) for e in container["Environment"]}
    env |= {s["Name"]: "from-secrets-manager" for s in container["Secrets"]}
    settings = Settings.from_env(env)
    assert settings.deployment == "aws"
    assert settings.media_ids == ("abcd1234", "efgh5678")
    assert settings.hash_key_secret_id and settings.pipes_bucket and settings.alerts_topic_arn
    assert settings.glue_job_name == "ref-silverjob"
    # The erase_viewer job's tag is built where definitions load (code server, and the run).
    assert settings.erase_task_role_arn == "arn:aws:iam::123456789012:role/stack-EraseTaskRole"
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_COMPUTE_LOGS_BUCKET"):
        assert name in env


def test_glue_job(platform):
    job = platform["Resources"]["SilverJob"]["Properties"]
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["Name"] == "glueetl"
    assert job["WorkerType"] == {"Ref": "GlueWorkerType"}
    assert job["NumberOfWorkers"] == {"Ref": "GlueNumberOfWorkers"}
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == {"Ref": "GlueMaxConcurrentRuns"}
    params = platform["Parameters"]
    # Room for the glue pool's runs: the pool, not Glue, is what throttles the fan-out.
    assert params["GlueMaxConcurrentRuns"]["Default"] >= params["GluePoolSlots"]["Default"]
    # A queued run can end EXPIRED; the glue pool is the queue (test_glue_run_states.py).
    assert job["JobRunQueuingEnabled"] is False
    args = job["DefaultArguments"]
    # Glue installs the project and dagster-pipes from S3 wheels, never from an index; nothing
    # goes in --extra-py-files (a .whl there never reaches the executors' Python path).
    # --no-deps: each wheel installs without resolving its requirements, so the install does
    # not depend on the order (or grouping) in which Glue hands the wheels to pip.
    assert sorted(args["--python-modules-installer-option"].split()) == ["--no-deps", "--no-index"]
    assert "--extra-py-files" not in args
    # No Spark SQL table is read or written: the Glue catalog as Spark's metastore is not needed.
    assert "--enable-glue-datacatalog" not in args
    assert args["--aws-region"] == {"Ref": "AWS::Region"}


def test_glue_artefact_names_match_the_packager(platform):
    """The job runs exactly what `package-glue` uploads under glue/<commit>/."""
    from wistia_assets.commands.package_glue import COMMIT, artifact_names, pipes_requirement

    job = platform["Resources"]["SilverJob"]["Properties"]
    prefix = "s3://${Bucket}/glue/${GlueArtifactsCommit}/"
    script, wheel, pipes_wheel = artifact_names()
    assert job["Command"]["ScriptLocation"]["Fn::Sub"][0] == prefix + script
    modules = job["DefaultArguments"]["--additional-python-modules"]["Fn::Sub"][0]
    assert modules.split(",") == [prefix + wheel, prefix + pipes_wheel]
    param = platform["Parameters"]["GlueArtifactsCommit"]
    assert "Default" not in param, "a release names its commit"
    assert param["AllowedPattern"] == COMMIT.pattern
    # The wheel Glue installs is the dagster-pipes the app talks to.
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert pipes_requirement()[0] in pins


def _grants(template: dict[str, Any], role: str) -> list[tuple[set[str], list[str]]]:
    """(actions, resource prefixes) of a role's Allow statements on the silver bucket."""
    out = []
    for rid, statement in statements(template):
        if rid != role or statement["Effect"] != "Allow":
            continue
        for resource in as_list(statement.get("Resource", [])):
            sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            if isinstance(sub, list) and "SilverBucketArn" in json.dumps(sub[1]):
                out.append((set(as_list(statement["Action"])), sub[0]))
    return out


def test_gold_and_reports_are_written_only_where_they_belong(platform):
    """The Glue job writes Gold (media_daily) and the run task writes the HTML report, each
    under its own prefix of the silver bucket; neither may write the other's, and the run task
    still writes no Silver or Gold: it may only delete a held-back Gold day of media_daily."""
    glue = _grants(platform, "GlueJobRole")
    run = _grants(platform, "RunTaskRole")
    writes = {"s3:PutObject", "s3:DeleteObject"}
    assert any(
        a >= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} and p == "${Arn}/gold/wistia/*"
        for a, p in glue
    )
    assert any(a >= {"s3:PutObject"} and p == "${Arn}/reports/wistia/*" for a, p in run)
    assert not [p for a, p in glue if a & writes and "reports/" in p]
    withdraw = "${Arn}/gold/wistia/media_daily/*"
    assert ({"s3:DeleteObject"}, withdraw) in [(set(a), p) for a, p in run]
    assert not [
        p
        for a, p in run
        if a & writes
        and ("gold/" in p or "silver/" in p)
        and (a, p) != ({"s3:DeleteObject"}, withdraw)
    ]


@pytest.mark.parametrize("table", ["fact_events", "fact_media_by_date", "dim_media"])
def test_entry_script_accepts_the_default_arguments(platform, table):
    # The entry script is written in parallel; until it lands there is nothing to check.
    silver_job = pytest.importorskip("wistia_assets.glue.silver_job")
    parse_args = silver_job.parse_args

    params = {k: str(v.get("Default", "")) for k, v in platform["Parameters"].items()}
    defaults = platform["Resources"]["SilverJob"]["Properties"]["DefaultArguments"]
    argv = [a for k, v in defaults.items() for a in (k, str(_fake(v, params)))]
    argv += ["--table", table, "--dt", "2026-01-02", "--media-id", "abcd1234"]
    args = parse_args(argv)
    assert args.bronze_root.startswith("s3://") and args.silver_root.startswith("s3://")
    assert args.hash_key_secret_id


def test_services_and_network(platform):
    res = platform["Resources"]
    daemon = res["DaemonService"]["Properties"]
    assert daemon["DesiredCount"] == 1
    assert daemon["DeploymentConfiguration"]["MaximumPercent"] == 100
    for name in ("WebserverService", "DaemonService", "CodeServerService"):
        net = res[name]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert net["AssignPublicIp"] == "DISABLED"
        assert net["Subnets"] == {"Ref": "PrivateSubnetIds"}
    assert res["CodeServerService"]["Properties"]["ServiceRegistries"]
    ingress = res["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert {json.dumps(r["CidrIp"]) for r in ingress} == {json.dumps({"Ref": "AllowedCidr"})}
    db = res["Database"]["Properties"]
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert res["DbSubnetGroup"]["Properties"]["SubnetIds"] == {"Ref": "PrivateSubnetIds"}
    for group in resources(platform, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_data_stack_exports_what_the_platform_imports(data, platform):
    exported = {k for k, v in data["Outputs"].items() if "Export" in v}
    imported = set(re.findall(r"\$\{DataStackName\}-(\w+)", json.dumps(platform)))
    assert imported <= exported, imported - exported


# ---------------------------------------------------------------- the UI behind a login


def test_every_request_to_the_ui_is_https_and_signed_in(platform):
    listeners = resources(platform, "AWS::ElasticLoadBalancingV2::Listener")
    assert not [k for k, v in listeners.items() if "Condition" in v], "every listener, always"
    for name, listener in listeners.items():
        props = listener["Properties"]
        actions = sorted(props["DefaultActions"], key=lambda a: a.get("Order", 0))
        kinds = [a["Type"] for a in actions]
        if props["Protocol"] == "HTTP":
            # Plain HTTP only ever redirects to HTTPS.
            assert kinds == ["redirect"], name
            assert actions[0]["RedirectConfig"]["Protocol"] == "HTTPS"
            continue
        assert props["Protocol"] == "HTTPS" and props["Certificates"], name
        # Nothing is forwarded to the webserver before Cognito has signed the user in.
        assert kinds == ["authenticate-cognito", "forward"], name
        auth = actions[0]["AuthenticateCognitoConfig"]
        assert auth["OnUnauthenticatedRequest"] == "authenticate"
        assert auth["UserPoolArn"] == {"Fn::GetAtt": ["UiUserPool", "Arn"]}
    # The webserver admits the load balancer only: no path around the listener.
    ingress = platform["Resources"]["WebserverSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [r["SourceSecurityGroupId"] for r in ingress] == [{"Ref": "LoadBalancerSecurityGroup"}]
    params = platform["Parameters"]
    assert "Default" not in params["CertificateArn"], "HTTPS is not optional"
    assert "HasCertificate" not in platform.get("Conditions", {})
    outputs = platform["Outputs"]
    assert outputs["DagsterUrl"]["Value"] == {"Fn::Sub": "https://${UiDomainName}"}


def test_only_operators_the_admin_creates_can_sign_in(platform):
    pool = platform["Resources"]["UiUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = platform["Resources"]["UiUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is True and client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${UiDomainName}/oauth2/idpresponse"}]


def _rule_allows(platform, parameters: dict[str, str]) -> bool:
    """CloudFormation's Rules for these parameter values (the functions the template uses)."""

    def value(node):
        if isinstance(node, dict):
            ((fn, arg),) = node.items()
            if fn == "Ref":
                return parameters[arg]
            if fn == "Fn::Equals":
                return value(arg[0]) == value(arg[1])
            if fn == "Fn::Not":
                return not value(arg[0])
            raise AssertionError(f"evaluate {fn} in this test")
        return node

    return all(
        value(assertion["Assert"])
        for rule in platform["Rules"].values()
        for assertion in rule["Assertions"]
    )


@pytest.mark.parametrize(
    "cidr, accepted",
    [
        ("203.0.113.0/24", True),
        ("198.51.100.7/32", True),
        ("10.0.0.0/8", True),
        ("0.0.0.0/0", False),
        ("1.2.3.4/0", False),
        ("0.0.0.0/1", False),
        ("128.0.0.0/7", False),
        ("203.0.113.0/33", False),
    ],
)
def test_the_ui_is_never_opened_to_the_internet(platform, cidr, accepted):
    parameter = platform["Parameters"]["AllowedCidr"]
    matches = re.fullmatch(parameter["AllowedPattern"], cidr) is not None
    assert (matches and _rule_allows(platform, {"AllowedCidr": cidr})) is accepted
    if cidr == "0.0.0.0/0":
        # Refused twice: by the pattern and, by name, by the Rules assertion.
        assert not _rule_allows(platform, {"AllowedCidr": cidr})


def test_rds_storage_ceiling_is_above_every_allocation(platform):
    params = platform["Parameters"]["DbAllocatedStorage"]
    ceilings = platform["Mappings"]["DbStorageCeiling"]
    db = platform["Resources"]["Database"]["Properties"]
    assert db["MaxAllocatedStorage"] == {
        "Fn::FindInMap": ["DbStorageCeiling", {"Ref": "DbAllocatedStorage"}, "GiB"]
    }
    for allocated in params["AllowedValues"]:
        # RDS refuses a maximum that is not at least 10 % above the allocation.
        assert ceilings[str(allocated)]["GiB"] >= allocated * 1.1, allocated
    assert str(params["Default"]) in ceilings


# ---------------------------------------------------------------- logs and audit


def test_glue_logs_go_to_the_stacks_own_groups(platform):
    """Glue 5.0 writes <--custom-logGroup-prefix>/output and /error; both are this stack's,
    with a retention and the data key, and the job's role may write only there."""
    res = platform["Resources"]
    args = res["SilverJob"]["Properties"]["DefaultArguments"]
    # Glue <= 4.0's continuous-logging switches do nothing on 5.0; a stream prefix would put
    # every run's driver in one stream.
    assert not {"--enable-continuous-cloudwatch-log", "--continuous-log-logGroup"} & set(args)
    assert "--custom-logStream-prefix" not in args
    prefix = args["--custom-logGroup-prefix"]["Fn::Sub"]
    groups = {
        res[g]["Properties"]["LogGroupName"]["Fn::Sub"]: res[g]["Properties"]
        for g in ("GlueOutputLogGroup", "GlueErrorLogGroup")
    }
    assert set(groups) == {f"{prefix}/output", f"{prefix}/error"}
    for props in groups.values():
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert props["KmsKeyId"] == {"Fn::ImportValue": {"Fn::Sub": "${DataStackName}-DataKeyArn"}}
    (logs,) = [
        s
        for rid, s in statements(platform)
        if rid == "GlueJobRole" and s.get("Sid") == "WriteJobLogs"
    ]
    assert as_list(logs["Resource"]) == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
            + prefix
            + "/*"
        }
    ]


def test_every_log_group_is_encrypted_with_the_data_key(platform, data):
    for name, group in resources(platform, "AWS::Logs::LogGroup").items():
        assert "DataKeyArn" in json.dumps(group["Properties"]["KmsKeyId"]), name
        assert group["Properties"]["LogGroupName"]["Fn::Sub"].startswith(
            ("/${NamePrefix}/", "/aws-glue/jobs/${NamePrefix}-")
        ), name
    # CloudWatch Logs may use the key for exactly those groups.
    (grant,) = [
        s
        for rid, s in statements(data)
        if rid == "DataKey" and s.get("Sid") == "CloudWatchLogsEncryptsTheStacksLogGroups"
    ]
    arns = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert [a["Fn::Sub"].rsplit(":", 1)[1] for a in arns] == [
        "/${NamePrefix}/*",
        "/aws-glue/jobs/${NamePrefix}-*",
    ]


def test_trust_policies_carry_only_conditions_the_service_sends(platform):
    for name, role in resources(platform, "AWS::IAM::Role").items():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        service = statement["Principal"]["Service"]
        if service == "glue.amazonaws.com":
            assert "Condition" not in statement, name
        else:
            assert service == "ecs-tasks.amazonaws.com", name
            assert statement["Condition"] == {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
            }, name


def test_the_ui_requires_a_totp_code(platform):
    pool = platform["Resources"]["UiUserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_lake_buckets_are_access_logged_and_bronze_is_trailed(data):
    res = data["Resources"]
    for name in LAKE_BUCKETS:
        props = res[name]["Properties"]
        logging = props["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": "AuditLogsBucket"}, name
        zone = props["BucketName"]["Fn::Sub"].split("-")[1]
        assert logging["LogFilePrefix"] == f"s3-access/{zone}/", name
        assert "AuditLogsBucketPolicy" in res[name]["DependsOn"], name
    audit = res["AuditLogsBucket"]["Properties"]
    (expiry,) = [r for r in audit["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiry["ExpirationInDays"] == {"Ref": "AuditLogRetentionDays"}
    assert "LoggingConfiguration" not in audit, "a bucket logging into itself never stops"

    trail = res["BronzeAccessTrail"]["Properties"]
    assert trail["IsLogging"] is True and trail["EnableLogFileValidation"] is True
    assert trail["KMSKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert trail["S3BucketName"] == {"Ref": "AuditLogsBucket"}
    (selector,) = trail["EventSelectors"]
    assert selector["ReadWriteType"] == "All"
    assert selector["DataResources"] == [
        {"Type": "AWS::S3::Object", "Values": [{"Fn::Sub": "${BronzeBucket.Arn}/"}]}
    ]

    policy = res["AuditLogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    writers = {s["Sid"]: s for s in policy if s["Effect"] == "Allow"}
    assert writers["S3ServerAccessLogs"]["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert writers["S3ServerAccessLogs"]["Resource"] == {
        "Fn::Sub": "${AuditLogsBucket.Arn}/s3-access/*"
    }
    trail_writer = writers["CloudTrailWritesTheBronzeTrail"]
    assert trail_writer["Resource"]["Fn::Sub"].startswith("${AuditLogsBucket.Arn}/cloudtrail/")
    # The trail's own name, as CloudTrail sends it in aws:SourceArn.
    assert trail_writer["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(
        ":trail/${NamePrefix}-bronze-access"
    )
    assert res["BronzeAccessTrail"]["Properties"]["TrailName"] == {
        "Fn::Sub": "${NamePrefix}-bronze-access"
    }


@pytest.mark.parametrize(
    "region, principal",
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        # Regions opened since August 2022 have no ELB account: the service principal.
        ("eu-central-2", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("ap-southeast-4", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_load_balancer_logs_are_delivered_by_the_regions_writer(data, platform, region, principal):
    from wistia_assets_tests.iam.stacks import Stack

    stack = Stack(name="d", template=data, parameters={"MediaIds": "abcd1234"})
    stack.pseudo["AWS::Region"] = region

    def find_in_map(node):
        if isinstance(node, dict) and "Fn::FindInMap" in node:
            name, key, attribute = node["Fn::FindInMap"]
            return data["Mappings"][name][stack.resolve(key)][attribute]
        if isinstance(node, dict):
            return {k: find_in_map(v) for k, v in node.items()}
        if isinstance(node, list):
            return [find_in_map(v) for v in node]
        return node

    policy = data["Resources"]["AuditLogsBucketPolicy"]["Properties"]["PolicyDocument"]
    (writer,) = [s for s in policy["Statement"] if s.get("Sid") == "LoadBalancerAccessLogs"]
    condition, if_true, if_false = writer["Principal"]["Fn::If"]
    chosen = if_true if stack.condition(condition) else if_false
    assert stack.resolve(find_in_map(chosen)) == principal
    assert writer["Resource"] == {
        "Fn::Sub": "${AuditLogsBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*"
    }
    attributes = {
        a["Key"]: a["Value"]
        for a in platform["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
    }
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.prefix"] == "alb"
    assert "AuditLogsBucketName" in json.dumps(attributes["access_logs.s3.bucket"])
