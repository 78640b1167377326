"""moto stands in for AWS only where its server understands what the locked botocore sends.

botocore changes a service's wire protocol now and then (Athena: `json` until 1.44.13,
`rest-json` from 1.44.18); moto's server then answers the new requests with a bare 404, and the
tests that use the service fail deep inside a Dagster run. Here each AWS service the product or
its tests call is asked one read-only question, in the fast phase, and a service moto no longer
routes fails naming both versions and the fix.
"""

from __future__ import annotations

import boto3
import botocore
import moto
import pytest
from botocore.exceptions import ClientError

# service -> one read-only call (the product's own: s3, dynamodb, glue, athena, sns; the rest are
# what the deployment tests create and inspect).
QUESTIONS = {
    "s3": ("list_buckets", {}),
    "dynamodb": ("list_tables", {}),
    "glue": ("get_jobs", {}),
    "athena": ("list_work_groups", {}),
    "sns": ("list_topics", {}),
    "logs": ("describe_log_groups", {}),
    "cloudformation": ("list_stacks", {}),
    "iam": ("list_roles", {}),
    "kms": ("list_keys", {}),
    "secretsmanager": ("list_secrets", {}),
    "ecs": ("list_clusters", {}),
    "ecr": ("describe_repositories", {}),
    "elbv2": ("describe_load_balancers", {}),
    "acm": ("list_certificates", {}),
    "sqs": ("list_queues", {}),
    "sts": ("get_caller_identity", {}),
}


@pytest.mark.parametrize("service", sorted(QUESTIONS))
def test_moto_serves_the_protocol_the_locked_botocore_speaks(moto_server, service):
    client = boto3.client(service, endpoint_url=moto_server, region_name="us-east-1")
    operation, kwargs = QUESTIONS[service]
    try:
        response = getattr(client, operation)(**kwargs)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        protocol = client.meta.service_model.protocol
        pytest.fail(
            f"moto {moto.__version__} does not serve {service} as botocore "
            f"{botocore.__version__} speaks it ({protocol}): {operation} answered {status}. "
            "Exclude that botocore release in pyproject.toml (with why, and when to lift it) "
            "or move to a moto that serves it, then `make lock`"
        )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
