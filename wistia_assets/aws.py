"""Every AWS client of the package, built here: endpoint, region and retries are set once.

The resources pass `Settings.aws_endpoint_url` and `Settings.aws_region` (via `deployments.py`).
The transforms also run inside the Glue job, where there are no Settings: what is not passed
comes from the same variables, read by `settings.aws_location`. `glue/silver_job.py` builds its
own clients: it is the Glue entry script, configured by the job's arguments only.
"""

from __future__ import annotations

from typing import Any

from wistia_assets.settings import aws_location

# The retry mode every AWS SDK shares (throttling and transient 5xx, with a client-side retry
# quota), with as many attempts in all as boto3's older default mode makes.
RETRIES = {"mode": "standard", "total_max_attempts": 5}


def aws_client(service: str, *, endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 client for `service`; `endpoint_url` points it at moto in tests."""
    import boto3
    from botocore.config import Config

    env_endpoint, env_region = aws_location()
    return boto3.client(
        service,
        endpoint_url=endpoint_url or env_endpoint,
        region_name=region or env_region,
        config=Config(retries=dict(RETRIES)),
    )
