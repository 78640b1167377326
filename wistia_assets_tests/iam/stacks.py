"""The data and platform templates resolved with test parameters: names, ARNs, role statements.

Intrinsics are evaluated the way CloudFormation does for what the templates use (Ref, Fn::GetAtt,
Fn::Sub, Fn::Join, Fn::Select, Fn::If with the template's Conditions, Fn::ImportValue through the
data stack's Outputs). Names a template leaves to CloudFormation (roles) become
`<stack>-<LogicalId>`; `physical` overrides others (a secret's ARN as moto made it). A reference
this resolver cannot evaluate raises, naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wistia_assets_tests.iam.policy import Statement
from wistia_assets_tests.support.deploy import cfn_template

ACCOUNT, REGION = "123456789012", "us-east-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"

NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Glue::Job": "Name",
    "AWS::Athena::WorkGroup": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::ECS::TaskDefinition": "Family",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::Cognito::UserPool": "UserPoolName",
}


@dataclass
class Stack:
    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    imports: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for key, spec in self.template.get("Parameters", {}).items():
            if key not in self.parameters and "Default" in spec:
                value = spec["Default"]
                self.parameters[key] = ",".join(value) if isinstance(value, list) else str(value)
        self.pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
        }

    # -------------------------------------------------------------- names and attributes
    def resource(self, logical: str) -> dict[str, Any]:
        return self.template["Resources"][logical]

    def name_of(self, logical: str) -> str:
        if logical in self.physical:
            return self.physical[logical]
        res = self.resource(logical)
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Glue::Database":
            return self.resolve(props["DatabaseInput"]["Name"])
        prop = NAME_PROPERTY.get(res["Type"])
        if prop and prop in props:
            return self.resolve(props[prop])
        return f"{self.name}-{logical}"

    def ref(self, logical: str) -> str:
        if logical in self.parameters:
            return self.parameters[logical]
        if logical in self.pseudo:
            return self.pseudo[logical]
        kind = self.resource(logical)["Type"]
        name = self.name_of(logical)
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::SecretsManager::Secret":
            return (
                self.physical.get(logical)
                or f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
            )
        if kind == "AWS::KMS::Key":
            return KEY_ID
        if kind == "AWS::ECS::TaskDefinition":
            return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{name}:1"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        return name

    def get_att(self, logical: str, attribute: str) -> str:
        kind = self.resource(logical)["Type"]
        name = self.name_of(logical)
        if attribute == "Arn":
            arns = {
                "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
                "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
                "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
                "AWS::ECS::Cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}",
                "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}",
                "AWS::ECR::Repository": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
            }
            if kind in arns:
                return arns[kind]
        if attribute == "RepositoryUri":
            return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}"
        return f"{logical}.{attribute}"  # not an ARN: never matches a policy resource

    # -------------------------------------------------------------- intrinsics
    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            return {k: self.resolve(v) for k, v in node.items()}
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(logical, attribute)
        if fn == "Fn::Sub":
            text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            names = {k: self.resolve(v) for k, v in names.items()}
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1), names), text)
        if fn == "Fn::Join":
            return arg[0].join(str(v) for v in self.resolve(arg[1]))
        if fn == "Fn::Select":
            return self.resolve(arg[1])[int(self.resolve(arg[0]))]
        if fn == "Fn::ImportValue":
            export = self.resolve(arg)
            if export not in self.imports:
                raise KeyError(f"{self.name}: no export {export} from the data stack")
            return self.imports[export]
        if fn == "Fn::If":
            return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
        if fn == "Fn::Equals":
            return self.resolve(arg[0]) == self.resolve(arg[1])
        if fn == "Fn::Not":
            return not self.resolve(arg[0])
        if fn == "Fn::And":
            return all(self.resolve(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.resolve(a) for a in arg)
        if fn == "Condition":
            return self.condition(arg)
        if fn.startswith("Fn::"):
            raise ValueError(f"{self.name}: cannot evaluate {fn}")
        return {fn: self.resolve(arg)}

    def _sub(self, name: str, names: dict[str, Any]) -> str:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in names:
            return str(names[name])
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.get_att(logical, attribute)
        return str(self.ref(name))

    def exports(self) -> dict[str, str]:
        return {
            self.resolve(out["Export"]["Name"]): self.resolve(out["Value"])
            for out in self.template.get("Outputs", {}).values()
            if "Export" in out
        }

    # -------------------------------------------------------------- roles
    def role_statements(self, logical: str) -> list[Statement]:
        """The statements of a role's inline policies, or of a managed policy (what an operator's
        own role is given)."""
        resource = self.resource(logical)
        props = resource["Properties"]
        assert not props.get("ManagedPolicyArns"), f"{logical}: managed policies not evaluated"
        policies = props.get("Policies", [])
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            policies = [{"PolicyName": logical, "PolicyDocument": props["PolicyDocument"]}]
        found = []
        for policy in policies:
            for raw in self.resolve(policy["PolicyDocument"])["Statement"]:
                sid = raw.get("Sid") or f"{policy['PolicyName']}[{len(found)}]"
                found.append(Statement(role=logical, sid=sid, raw=raw))
        return found

    def task_role(self, task_definition: str) -> str:
        arn = self.resource(task_definition)["Properties"]["TaskRoleArn"]
        return arn["Fn::GetAtt"][0]


def data_stack(prefix: str, media_ids: str, physical: dict[str, str]) -> Stack:
    return Stack(
        name=f"{prefix}-data",
        template=cfn_template("data.yaml"),
        parameters={
            "NamePrefix": prefix,
            "MediaIds": media_ids,
            "GlueDatabaseName": f"{prefix}_silver",
            "WatermarkTableName": f"{prefix}-watermarks",
        },
        physical=physical,
    )


def platform_stack(prefix: str, media_ids: str, data: Stack, physical: dict[str, str]) -> Stack:
    return Stack(
        name=f"{prefix}-platform",
        template=cfn_template("platform.yaml"),
        parameters={
            "NamePrefix": prefix,
            "DataStackName": data.name,
            "VpcId": "vpc-0a1b2c3d",
            "PublicSubnetIds": "subnet-0a,subnet-0b",
            "PrivateSubnetIds": "subnet-1a,subnet-1b",
            "AllowedCidr": "203.0.113.0/24",
            "CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d",
            "UiDomainName": "dagster.example.com",
            "ImageTag": "abc123",
            "GlueArtifactsCommit": "0a1b2c3",
            "MediaIds": media_ids,
            "GlueJobName": f"{prefix}-silver",
        },
        imports=data.exports(),
        physical=physical,
    )
