"""Where the Spark transforms run: local PySpark, or an AWS Glue 5.0 job through Pipes.

Silver partitions, dim_media, and the Gold work of the media report (the `media_daily` days and
the report's figures), so that nothing Spark-shaped ever runs in the ECS run task.

Both engines call the same runner (`wistia_assets.transforms.runner`) and return the same plain
metrics, from which the Silver assets build metadata and checks in one place. The local engine
uses dagster-pyspark's lazy session (created on first use, then reused by every Silver step of
the process). The Glue engine starts the job with dagster-aws's `PipesGlueClient`, passing the
context and reading messages through S3 (not CloudWatch, whose reader waits for logs), and gets
the metrics back as a Pipes custom message.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from dagster_pyspark import LazyPySparkResource
from pydantic import Field

from wistia_assets.partitions import Window


class SilverEngine(ConfigurableResource):
    """Interface: build one Silver partition or dim_media, return the runner's metrics."""

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def build_partition(self, context, table: str, window: Window) -> dict[str, Any]:
        raise NotImplementedError

    def build_dim_media(self, context) -> dict[str, Any]:
        raise NotImplementedError

    def build_gold(
        self, context, table: str, first: str, last: str, media_ids: tuple[str, ...]
    ) -> dict[str, Any]:
        """`media_daily`: rebuild the Gold days first..last; `media_report`: the report's
        figures for that range (`transforms/gold_runner.py`)."""
        raise NotImplementedError


class SparkSilverEngine(SilverEngine):
    """Local PySpark (the `local` deployment)."""

    pyspark: LazyPySparkResource
    bronze_root: str
    silver_root: str
    hash_key_file: str = Field(
        description="File holding the HMAC key (created with a random key on first use), used "
        "when WISTIA_HASH_KEY is not set."
    )
    channels: dict[str, str] = Field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "spark"

    def _hash_key(self) -> bytes:
        key = os.environ.get("WISTIA_HASH_KEY", "").strip()
        if key:
            return key.encode()
        path = Path(self.hash_key_file)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Only this user may read it: it is what keeps the hashes from being reversed by
            # brute force over the (small) IPv4 space.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def build_partition(self, context, table: str, window: Window) -> dict[str, Any]:
        from wistia_assets.transforms.runner import run_partition

        return run_partition(
            self.pyspark.spark_session,
            table=table,
            dt=window.day.isoformat(),
            media_id=window.media_id,
            bronze_root=self.bronze_root,
            silver_root=self.silver_root,
            hash_key=self._hash_key() if table == "fact_events" else None,
        )

    def build_dim_media(self, context) -> dict[str, Any]:
        from wistia_assets.transforms.runner import run_dim_media

        return run_dim_media(
            self.pyspark.spark_session,
            bronze_root=self.bronze_root,
            silver_root=self.silver_root,
            channels=dict(self.channels),
        )

    def build_gold(
        self, context, table: str, first: str, last: str, media_ids: tuple[str, ...]
    ) -> dict[str, Any]:
        from wistia_assets.transforms.gold_runner import run_media_daily, run_report_figures

        build = run_media_daily if table == "media_daily" else run_report_figures
        return build(
            self.pyspark.spark_session,
            silver_root=self.silver_root,
            first=first,
            last=last,
            media_ids=tuple(media_ids),
        )


class GlueSilverEngine(SilverEngine):
    """An AWS Glue 5.0 job driven by `PipesGlueClient` (the `aws` deployment)."""

    job_name: str
    pipes_bucket: str
    bronze_root: str
    silver_root: str
    hash_key_secret_id: str
    channels: dict[str, str] = Field(default_factory=dict)
    endpoint_url: str | None = None
    region: str = "us-east-1"

    @property
    def kind(self) -> str:
        return "glue"

    def _clients(self):
        import boto3

        kw = {"endpoint_url": self.endpoint_url or None, "region_name": self.region}
        return boto3.client("glue", **kw), boto3.client("s3", **kw)

    def pipes_client(self, glue=None, s3=None):
        from dagster_aws.pipes import (
            PipesGlueClient,
            PipesS3ContextInjector,
            PipesS3MessageReader,
        )

        default_glue, default_s3 = self._clients()
        glue, s3 = glue or default_glue, s3 or default_s3
        return PipesGlueClient(
            client=glue,
            context_injector=PipesS3ContextInjector(bucket=self.pipes_bucket, client=s3),
            # Poll every 2 s (default 10 s): a Silver run of one day is short, and the reader's
            # interval is added to every run's wall time.
            message_reader=PipesS3MessageReader(bucket=self.pipes_bucket, client=s3, interval=2),
            forward_termination=True,
        )

    def _run(self, context, arguments: dict[str, str]) -> dict[str, Any]:
        invocation = self.pipes_client().run(
            context=context,
            start_job_run_params={"JobName": self.job_name, "Arguments": arguments},
        )
        return metrics_from_invocation(invocation)

    def build_partition(self, context, table: str, window: Window) -> dict[str, Any]:
        return self._run(
            context,
            {
                "--table": table,
                "--dt": window.day.isoformat(),
                "--media-id": window.media_id,
                "--bronze-root": self.bronze_root,
                "--silver-root": self.silver_root,
                "--hash-key-secret-id": self.hash_key_secret_id,
            },
        )

    def build_dim_media(self, context) -> dict[str, Any]:
        return self._run(
            context,
            {
                "--table": "dim_media",
                "--bronze-root": self.bronze_root,
                "--silver-root": self.silver_root,
                "--channels": json.dumps(dict(self.channels), sort_keys=True),
            },
        )

    def build_gold(
        self, context, table: str, first: str, last: str, media_ids: tuple[str, ...]
    ) -> dict[str, Any]:
        return self._run(
            context,
            {
                "--table": table,
                "--silver-root": self.silver_root,
                "--from": first,
                "--to": last,
                "--media-ids": ",".join(media_ids),
            },
        )


def metrics_from_invocation(invocation) -> dict[str, Any]:
    """The metrics the Glue job sent as a Pipes custom message (see glue/silver_job.py)."""
    messages = [m for m in invocation.get_custom_messages() if isinstance(m, dict)]
    for message in reversed(messages):
        if "metrics" in message:
            metrics = dict(message["metrics"])
            run_id = (getattr(invocation, "metadata", None) or {}).get("AWS Glue Job Run ID")
            if run_id:
                metrics["glue_run_id"] = run_id
            return metrics
    raise RuntimeError(
        "the Glue job finished without reporting its metrics through Pipes; see its driver log"
    )
