"""From one recorded API call to the IAM requests AWS authorizes for it.

`RULES` is keyed by "<signing service>:<operation>" (botocore's names). Each rule returns the
requests of the call itself and those it implies for the caller (the AWS Service Authorization
Reference and the services' KMS pages):

- S3 objects in an SSE-KMS bucket: a write needs kms:GenerateDataKey, a read kms:Decrypt, a
  multipart upload both, all through S3 (kms:ViaService s3.<region>.amazonaws.com).
- Secrets Manager decrypts a secret under a customer key as the caller (kms:ViaService
  secretsmanager); DynamoDB item reads and writes of a table under a customer key need
  kms:Decrypt through dynamodb.
- Athena runs a query with the caller's permissions: the Glue catalog's database and tables the
  query names, the S3 objects of those tables, and the workgroup's result location (written with
  the workgroup's key, read back by GetQueryResults).
- ECS RunTask needs iam:PassRole for the task definition's roles and for a role its overrides
  name (iam:PassedToService ecs-tasks.amazonaws.com) and, when it tags the task,
  ecs:TagResource (ecs:CreateAction RunTask).

A call with no rule fails the test and names itself: add its rule here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wistia_assets_tests.iam.policy import Request
from wistia_assets_tests.iam.stacks import ACCOUNT, REGION, Stack


@dataclass
class Facts:
    """What the data stack says about the resources the calls touch."""

    bucket_keys: dict[str, str]  # bucket -> KMS key ARN of its default SSE-KMS
    table_keys: dict[str, str]  # DynamoDB table -> customer key ARN
    secret_keys: dict[str, str]  # secret ARN -> customer key ARN
    database: str
    table_locations: dict[str, str]  # Glue table -> s3://bucket/prefix/
    results: dict[str, tuple[str, str]]  # workgroup -> (s3://bucket/prefix/, key ARN)
    task_roles: dict[str, list[str]] = field(default_factory=dict)  # task def -> role ARNs
    table_hash_keys: dict[str, str] = field(default_factory=dict)  # table -> partition key name

    @classmethod
    def of(cls, data: Stack) -> Facts:
        buckets, tables, secrets, locations, results, hash_keys = {}, {}, {}, {}, {}, {}
        database = ""
        for logical, res in data.template["Resources"].items():
            props = res.get("Properties", {})
            kind = res["Type"]
            if kind == "AWS::S3::Bucket":
                (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                default = rule["ServerSideEncryptionByDefault"]
                if default["SSEAlgorithm"] == "aws:kms":
                    buckets[data.name_of(logical)] = data.resolve(default["KMSMasterKeyID"])
            elif kind == "AWS::DynamoDB::Table":
                sse = props.get("SSESpecification", {})
                if sse.get("KMSMasterKeyId"):
                    tables[data.name_of(logical)] = data.resolve(sse["KMSMasterKeyId"])
                (hash_key,) = [k for k in props["KeySchema"] if k["KeyType"] == "HASH"]
                hash_keys[data.name_of(logical)] = hash_key["AttributeName"]
            elif kind == "AWS::SecretsManager::Secret" and "KmsKeyId" in props:
                key = data.resolve(props["KmsKeyId"])
                if not key.startswith("arn:"):
                    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"
                secrets[data.ref(logical)] = key
            elif kind == "AWS::Glue::Database":
                database = data.name_of(logical)
            elif kind == "AWS::Glue::Table":
                table = props["TableInput"]
                locations[table["Name"]] = data.resolve(table["StorageDescriptor"]["Location"])
            elif kind == "AWS::Athena::WorkGroup":
                result = props["WorkGroupConfiguration"]["ResultConfiguration"]
                results[data.name_of(logical)] = (
                    data.resolve(result["OutputLocation"]),
                    data.resolve(result["EncryptionConfiguration"]["KmsKey"]),
                )
        return cls(
            buckets, tables, secrets, database, locations, results, table_hash_keys=hash_keys
        )


@dataclass
class Call:
    service: str  # signing name: s3, dynamodb, glue, athena, ...
    operation: str
    params: dict[str, Any]
    process: str
    response: dict[str, Any] | None = None

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("Body", "QueryString")}
        return f"{self.service}:{self.operation} {shown}"


def _via(service: str, actions: list[str], key: str) -> list[Request]:
    ctx = (("kms:ViaService", f"{service}.{REGION}.amazonaws.com"),)
    return [Request(f"kms:{a}", key, ctx) for a in actions]


def _object(action: str, kms: list[str]) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        bucket, key = call.params["Bucket"], call.params["Key"]
        found = [Request(f"s3:{action}", f"arn:aws:s3:::{bucket}/{key}")]
        if bucket in facts.bucket_keys and kms:
            found += _via("s3", kms, facts.bucket_keys[bucket])
        return found

    return rule


def _list_bucket(call: Call, facts: Facts) -> list[Request]:
    prefix = call.params.get("Prefix", "")
    return [
        Request("s3:ListBucket", f"arn:aws:s3:::{call.params['Bucket']}", (("s3:prefix", prefix),))
    ]


def _delete_objects(call: Call, facts: Facts) -> list[Request]:
    bucket = call.params["Bucket"]
    return [
        Request("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{o['Key']}")
        for o in call.params["Delete"]["Objects"]
    ]


def _table(action: str, item: bool) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        table = call.params["TableName"]
        # An item's partition key value is dynamodb:LeadingKeys in the request's context.
        hash_key = facts.table_hash_keys.get(table)
        leading = call.params.get("Key", {}).get(hash_key, {}).get("S") if hash_key else None
        context = (("dynamodb:LeadingKeys", leading),) if leading is not None else ()
        found = [
            Request(
                f"dynamodb:{action}", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}", context
            )
        ]
        if item and table in facts.table_keys:
            found += _via("dynamodb", ["Decrypt"], facts.table_keys[table])
        return found

    return rule


def _secret(call: Call, facts: Facts) -> list[Request]:
    arn = (call.response or {}).get("ARN") or call.params["SecretId"]
    found = [Request("secretsmanager:GetSecretValue", arn)]
    if arn in facts.secret_keys:
        found += _via("secretsmanager", ["Decrypt"], facts.secret_keys[arn])
    return found


def _glue_job(action: str) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        return [
            Request(
                f"glue:{action}", f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{call.params['JobName']}"
            )
        ]

    return rule


def _catalog(database: str, table: str | None) -> list[str]:
    base = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    found = [f"{base}:catalog", f"{base}:database/{database}"]
    return found + ([f"{base}:table/{database}/{table}"] if table else [])


def _workgroup(name: str) -> str:
    return f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{name}"


def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def _start_query(call: Call, facts: Facts) -> list[Request]:
    workgroup = call.params.get("WorkGroup", "primary")
    database = call.params.get("QueryExecutionContext", {}).get("Database", facts.database)
    sql = call.params["QueryString"]
    named = set(re.findall(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)", sql, re.I))
    found = [Request("athena:StartQueryExecution", _workgroup(workgroup))]
    found += [Request("glue:GetDatabase", arn) for arn in _catalog(database, None)]
    for table in sorted(named):
        table = table.split(".")[-1]
        found += [Request("glue:GetTable", arn) for arn in _catalog(database, table)]
        bucket, prefix = _split(facts.table_locations[table])
        found += [
            Request("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}"),
            Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", (("s3:prefix", prefix),)),
            Request("s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}part-00000.parquet"),
            *_via("s3", ["Decrypt"], facts.bucket_keys[bucket]),
        ]
    location, key = facts.results[workgroup]
    bucket, prefix = _split(location)
    found += [
        Request("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}"),
        Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{prefix}query-id.csv"),
        *_via("s3", ["GenerateDataKey"], key),
    ]
    return found


def _the_workgroup(facts: Facts) -> str:
    (name,) = facts.results  # the data stack has one; a query's id does not name it
    return name


def _query_results(call: Call, facts: Facts) -> list[Request]:
    location, key = facts.results[_the_workgroup(facts)]
    bucket, prefix = _split(location)
    return [
        Request("athena:GetQueryResults", _workgroup(_the_workgroup(facts))),
        Request("s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}query-id.csv"),
        *_via("s3", ["Decrypt"], key),
    ]


def _athena(action: str) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        return [Request(f"athena:{action}", _workgroup(_the_workgroup(facts)))]

    return rule


def _run_task(call: Call, facts: Facts) -> list[Request]:
    definition = call.params["taskDefinition"]
    cluster = call.params.get("cluster", "default")
    if not cluster.startswith("arn:"):
        cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}"
    found = [Request("ecs:RunTask", definition, (("ecs:cluster", cluster),))]
    passed = (("iam:PassedToService", "ecs-tasks.amazonaws.com"),)
    roles = list(facts.task_roles[definition])
    # A role given in the overrides is passed to ECS as well (the erase job's taskRoleArn).
    overrides = call.params.get("overrides") or {}
    roles += [overrides[k] for k in ("taskRoleArn", "executionRoleArn") if overrides.get(k)]
    found += [Request("iam:PassRole", role, passed) for role in roles]
    if call.params.get("tags"):
        task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster.rsplit('/', 1)[1]}/new-task-id"
        found.append(Request("ecs:TagResource", task, (("ecs:CreateAction", "RunTask"),)))
    return found


def _task(action: str) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        tasks = call.params.get("tasks") or [call.params["task"]]
        return [Request(f"ecs:{action}", t) for t in tasks]

    return rule


def _anywhere(action: str) -> Callable[[Call, Facts], list[Request]]:
    return lambda call, facts: [Request(action, "*")]


def _stack(call: Call, facts: Facts) -> list[Request]:
    name = call.params["StackName"]
    return [
        Request(
            "cloudformation:DescribeStacks",
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/stack-id",
        )
    ]


def _services(call: Call, facts: Facts) -> list[Request]:
    cluster = call.params["cluster"].rsplit("/", 1)[-1]
    return [
        Request("ecs:DescribeServices", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{s}")
        for s in call.params["services"]
    ]


def _log_events(call: Call, facts: Facts) -> list[Request]:
    group, stream = call.params["logGroupName"], call.params["logStreamName"]
    return [
        Request(
            "logs:GetLogEvents",
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{stream}",
        )
    ]


def _log_group(action: str) -> Callable[[Call, Facts], list[Request]]:
    def rule(call: Call, facts: Facts) -> list[Request]:
        arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{call.params['logGroupName']}"
        stream = call.params.get("logStreamName")
        return [Request(action, f"{arn}:log-stream:{stream}" if stream else arn)]

    return rule


RULES: dict[str, Callable[[Call, Facts], list[Request]]] = {
    "cloudformation:DescribeStacks": _stack,
    "logs:CreateLogGroup": _log_group("logs:CreateLogGroup"),
    "logs:CreateLogStream": _log_group("logs:CreateLogStream"),
    "logs:PutLogEvents": _log_group("logs:PutLogEvents"),
    "logs:FilterLogEvents": _log_group("logs:FilterLogEvents"),
    "ecs:DescribeServices": _services,
    "logs:GetLogEvents": _log_events,
    "dynamodb:DeleteItem": _table("DeleteItem", item=True),
    "s3:ListObjectsV2": _list_bucket,
    "s3:ListObjects": _list_bucket,
    "s3:GetObject": _object("GetObject", ["Decrypt"]),
    "s3:HeadObject": _object("GetObject", ["Decrypt"]),
    "s3:PutObject": _object("PutObject", ["GenerateDataKey"]),
    "s3:CreateMultipartUpload": _object("PutObject", ["GenerateDataKey", "Decrypt"]),
    "s3:UploadPart": _object("PutObject", ["GenerateDataKey", "Decrypt"]),
    "s3:CompleteMultipartUpload": _object("PutObject", ["GenerateDataKey", "Decrypt"]),
    "s3:AbortMultipartUpload": _object("AbortMultipartUpload", []),
    "s3:DeleteObject": _object("DeleteObject", []),
    "s3:DeleteObjects": _delete_objects,
    "dynamodb:GetItem": _table("GetItem", item=True),
    "dynamodb:PutItem": _table("PutItem", item=True),
    "dynamodb:UpdateItem": _table("UpdateItem", item=True),
    "dynamodb:Query": _table("Query", item=True),
    "dynamodb:Scan": _table("Scan", item=True),
    "dynamodb:BatchGetItem": _table("BatchGetItem", item=True),
    "dynamodb:DescribeTable": _table("DescribeTable", item=False),
    "secretsmanager:GetSecretValue": _secret,
    "sns:Publish": lambda call, facts: [Request("sns:Publish", call.params["TopicArn"])],
    "glue:StartJobRun": _glue_job("StartJobRun"),
    "glue:GetJobRun": _glue_job("GetJobRun"),
    "glue:GetJobRuns": _glue_job("GetJobRuns"),
    "glue:BatchStopJobRun": _glue_job("BatchStopJobRun"),
    "glue:GetJob": _glue_job("GetJob"),
    "athena:StartQueryExecution": _start_query,
    "athena:GetQueryExecution": _athena("GetQueryExecution"),
    "athena:GetQueryResults": _query_results,
    "athena:StopQueryExecution": _athena("StopQueryExecution"),
    "ecs:DescribeTaskDefinition": _anywhere("ecs:DescribeTaskDefinition"),
    "ecs:RunTask": _run_task,
    "ecs:DescribeTasks": _task("DescribeTasks"),
    "ecs:StopTask": _task("StopTask"),
    "ec2:DescribeNetworkInterfaces": _anywhere("ec2:DescribeNetworkInterfaces"),
}


def requests_of(call: Call, facts: Facts) -> list[Request]:
    rule = RULES.get(f"{call.service}:{call.operation}")
    if rule is None:
        raise KeyError(
            f"no IAM rule for {call.service}:{call.operation} (made by the {call.process}): "
            "add one to RULES in wistia_assets_tests/iam/actions.py"
        )
    return rule(call, facts)
