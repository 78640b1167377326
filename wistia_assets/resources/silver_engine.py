"""Where the Spark transforms run: local PySpark (`spark_engine.py`), or an AWS Glue 5.0 job
through Pipes (here). The `TransformEngine` interface, and the Glue engine.

Silver partitions, dim_media, erasure rewrites, and the Gold work of the media report (the
`media_daily` days and the report's figures), so that nothing Spark-shaped ever runs in the ECS
run task. The Dagster resource key stays `silver` (where Silver's and Gold's assets find it).

Both engines call the same runner (`wistia_assets.transforms.runner`) and return the same typed
result (`transforms/results.py`), from which the assets build metadata and checks in one place.
This module imports neither pyspark nor dagster-pyspark: the ECS image, which runs the aws
deployment, has neither. The Glue engine starts the job with dagster-aws's `PipesGlueClient`,
passing the context and reading messages through S3 (not CloudWatch, whose reader waits for
logs), and gets the result back as the job's one Pipes custom message.
"""

from __future__ import annotations

import dataclasses
import json

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.aws import aws_client
from wistia_assets.partitions import Window
from wistia_assets.transforms.results import (
    BuildResult,
    DimMediaResult,
    ErasedRowsResult,
    FactEventsResult,
    FactMediaByDateResult,
    MediaDailyResult,
    ReportFiguresResult,
    expect,
    from_json,
)

# A fact table's name -> the result its build returns.
FACT_RESULTS: dict[str, type[FactEventsResult] | type[FactMediaByDateResult]] = {
    "fact_events": FactEventsResult,
    "fact_media_by_date": FactMediaByDateResult,
}


def fact_result_type(table: str) -> type[FactEventsResult] | type[FactMediaByDateResult]:
    if table not in FACT_RESULTS:
        raise ValueError(f"table must be one of {', '.join(FACT_RESULTS)}, not {table!r}")
    return FACT_RESULTS[table]


class TransformEngine(ConfigurableResource):
    """Interface: run one Spark build (a Silver partition, dim_media, an erasure's rewrite, a
    range of Gold days, the report's figures) and return its typed result."""

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def build_partition(
        self, context, table: str, window: Window
    ) -> FactEventsResult | FactMediaByDateResult:
        """The fact table `table`'s partition `window` (`transforms/runner.py`); callers use
        the typed `build_fact_events` / `build_fact_media_by_date`."""
        raise NotImplementedError

    def build_partitions(
        self, context, table: str, windows: list[Window]
    ) -> list[FactEventsResult] | list[FactMediaByDateResult]:
        """The partitions `windows` of the fact table `table`, the results in that order, as
        building them one after the other (oldest day first) gives: here one build each; an
        engine that can build several in the same jobs does (`run_partitions`)."""
        kind = fact_result_type(table)
        ordered = sorted(windows, key=lambda w: w.day)
        built = {w: expect(self.build_partition(context, table, w), kind) for w in ordered}
        return [built[w] for w in windows]  # pyright: ignore[reportReturnType]

    def for_silver_steps(self, steps: int) -> TransformEngine:
        """This engine as a process that will run `steps` Silver steps (each one window, or a
        range built together) should use it: itself, unless how it starts depends on that (the
        local JVM's compilers)."""
        return self

    def build_fact_events(self, context, window: Window) -> FactEventsResult:
        return expect(self.build_partition(context, "fact_events", window), FactEventsResult)

    def build_fact_media_by_date(self, context, window: Window) -> FactMediaByDateResult:
        result = self.build_partition(context, "fact_media_by_date", window)
        return expect(result, FactMediaByDateResult)

    def build_dim_media(self, context) -> DimMediaResult:
        raise NotImplementedError

    def build_media_daily(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> MediaDailyResult:
        """Rebuild the Gold `media_daily` days first..last (`transforms/gold_runner.py`)."""
        raise NotImplementedError

    def build_report_figures(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> ReportFiguresResult:
        """Every figure of the media report for first..last (`transforms/gold_runner.py`)."""
        raise NotImplementedError

    def erase_rows(self, context, window: Window, visitor_hashes: list[str]) -> ErasedRowsResult:
        """Remove the rows of `visitor_hashes` (keyed hashes, as Silver stores them) from the
        `fact_events` partition `window`, rewriting it from itself: for a partition whose Bronze
        has expired (`transforms/erase_rows.py`)."""
        raise NotImplementedError


class GlueEngine(TransformEngine):
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
        kw = {"endpoint_url": self.endpoint_url, "region": self.region}
        return aws_client("glue", **kw), aws_client("s3", **kw)

    def pipes_client(self, glue=None, s3=None):
        from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader

        from wistia_assets.resources.glue_runs import SilverGlueClient

        default_glue, default_s3 = self._clients()
        glue, s3 = glue or default_glue, s3 or default_s3
        return SilverGlueClient(
            client=glue,
            context_injector=PipesS3ContextInjector(bucket=self.pipes_bucket, client=s3),
            # Poll every 2 s (default 10 s): a Silver run of one day is short, and the reader's
            # interval is added to every run's wall time.
            message_reader=PipesS3MessageReader(bucket=self.pipes_bucket, client=s3, interval=2),
            forward_termination=True,
        )

    def _run(self, context, arguments: dict[str, str]) -> BuildResult:
        invocation = self.pipes_client().run(
            context=context,
            start_job_run_params={"JobName": self.job_name, "Arguments": arguments},
        )
        return result_from_invocation(invocation)

    def build_partition(
        self, context, table: str, window: Window
    ) -> FactEventsResult | FactMediaByDateResult:
        kind = fact_result_type(table)
        result = self._run(
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
        return expect(result, kind)

    def erase_rows(self, context, window: Window, visitor_hashes: list[str]) -> ErasedRowsResult:
        # Keyed hashes, what Silver itself stores: as job arguments they reveal no raw value.
        result = self._run(
            context,
            {
                "--table": "fact_events",
                "--dt": window.day.isoformat(),
                "--media-id": window.media_id,
                "--silver-root": self.silver_root,
                "--erase-visitor-hashes": ",".join(sorted(visitor_hashes)),
            },
        )
        return expect(result, ErasedRowsResult)

    def build_dim_media(self, context) -> DimMediaResult:
        result = self._run(
            context,
            {
                "--table": "dim_media",
                "--bronze-root": self.bronze_root,
                "--silver-root": self.silver_root,
                "--channels": json.dumps(dict(self.channels), sort_keys=True),
            },
        )
        return expect(result, DimMediaResult)

    def _gold_arguments(
        self, table: str, first: str, last: str, media_ids: tuple[str, ...]
    ) -> dict[str, str]:
        # Gold reads and writes the silver root only.
        return {
            "--table": table,
            "--silver-root": self.silver_root,
            "--from": first,
            "--to": last,
            "--media-ids": ",".join(media_ids),
        }

    def build_media_daily(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> MediaDailyResult:
        arguments = self._gold_arguments("media_daily", first, last, media_ids)
        return expect(self._run(context, arguments), MediaDailyResult)

    def build_report_figures(
        self, context, first: str, last: str, media_ids: tuple[str, ...]
    ) -> ReportFiguresResult:
        arguments = self._gold_arguments("media_report", first, last, media_ids)
        return expect(self._run(context, arguments), ReportFiguresResult)


def result_from_invocation(invocation) -> BuildResult:
    """The typed result the Glue job sent as a Pipes custom message (see glue/silver_job.py),
    with the Glue run's id."""
    messages = [m for m in invocation.get_custom_messages() if isinstance(m, dict)]
    for message in reversed(messages):
        if "result" in message:
            result = from_json(message["result"])
            run_id = (getattr(invocation, "metadata", None) or {}).get("AWS Glue Job Run ID")
            # PipesGlueClient gives it as a TextMetadataValue.
            run_id = getattr(run_id, "value", run_id)
            return dataclasses.replace(result, glue_run_id=str(run_id)) if run_id else result
    raise RuntimeError(
        "the Glue job finished without reporting its result through Pipes; see its driver log"
    )
