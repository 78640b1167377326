"""A Glue client for tests: moto keeps the job and run records, this runs the real entry script.

moto's Glue reports runs as succeeded and executes nothing, so `LocalGlueClient` wraps it the way
dagster-aws's own `LocalGlueMockClient` does: `start_job_run` records the run in moto, then runs
`wistia_assets.glue.silver_job.main` in-process with the shared local Spark session, and
`get_job_run` reports that outcome (`SUCCEEDED`, or `FAILED` with the error as `ErrorMessage`).
Given a `GlueRuntime` (glue_runtime.py), it runs the job's ScriptLocation instead, as deployed:
in an emulated Glue 5.0 environment of its own, with the job's modules installed as Glue would.

With the job's --custom-logGroup-prefix, what the driver printed goes to <prefix>/output, stream
<job run id>-driver, as Glue 5.0 writes it (with the job's role: the IAM proof sees it).

Local Spark has no S3 connector, so the `s3://` lake roots are mirrored: the Bronze and Silver
zones are downloaded to a temp folder, the root arguments rewritten to `file://`, and after the
run Silver and the Bronze quarantine are synced back (new objects uploaded, vanished ones
deleted). Everything else still goes through moto: the hash key from Secrets Manager, the Pipes
context and messages on S3.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from dagster_pipes import PipesContext

from wistia_assets.glue import silver_job
from wistia_assets_tests.glue_runtime import GlueRunFailed

# Zone prefixes mirrored down per root argument, and the ones a run may change (synced back).
# The Silver root also holds Gold (`gold/`), which the media_daily and media_report runs read
# and write; reports/ is written by the Dagster step, never by Glue.
MIRRORED = {"--bronze-root": ("bronze/",), "--silver-root": ("silver/", "gold/")}
WRITABLE = {"--bronze-root": ("bronze/wistia/_quarantine/",), "--silver-root": ("silver/", "gold/")}


@dataclass
class LocalRun:
    state: str
    error: str | None = None
    arguments: dict[str, str] = field(default_factory=dict)


class LocalGlueClient:
    """Duck-types the boto3 Glue client methods `PipesGlueClient` calls."""

    def __init__(self, glue_client: Any, s3_client: Any, workdir: Path, runtime: Any = None):
        self.glue_client = glue_client
        self.s3 = s3_client
        self.workdir = Path(workdir)
        self.runtime = runtime
        self.runs: dict[str, LocalRun] = {}

    @property
    def meta(self):
        return self.glue_client.meta

    def start_job_run(self, JobName: str, Arguments: dict[str, str] | None = None, **kwargs):
        response = self.glue_client.start_job_run(JobName=JobName, Arguments=Arguments or {})
        run_id = response["JobRunId"]
        self.runs[run_id] = self._execute(*self._recorded(JobName, run_id))
        return response

    def _recorded(self, job_name: str, run_id: str) -> tuple[dict[str, str], str]:
        """The run's arguments and the job's script, from moto's records (the stand-in's own
        bookkeeping). moto merges the job's DefaultArguments with the run's, as Glue does."""
        recorded = self.glue_client.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
        arguments = {
            **recorded.get("Arguments", {}),
            "--JOB_NAME": job_name,
            "--JOB_RUN_ID": run_id,
        }
        script = self.glue_client.get_job(JobName=job_name)["Job"]["Command"]["ScriptLocation"]
        return arguments, script

    def get_job_run(self, JobName: str, RunId: str, **kwargs):
        response = self.glue_client.get_job_run(JobName=JobName, RunId=RunId)
        run = self.runs[RunId]
        response["JobRun"]["JobRunState"] = run.state
        if run.error:
            response["JobRun"]["ErrorMessage"] = run.error
        return response

    def batch_stop_job_run(self, JobName: str, JobRunIds: list[str]):
        return self.glue_client.batch_stop_job_run(JobName=JobName, JobRunIds=JobRunIds)

    def _execute(self, arguments: dict[str, str], script: str) -> LocalRun:
        mirror = Path(tempfile.mkdtemp(prefix="glue-run-", dir=self.workdir))
        local_args = dict(arguments)
        synced: list[tuple[str, str, Path]] = []
        # A probe reads S3 with boto3 itself (silver_job.probe): nothing for Spark to mirror.
        probe = silver_job.probe_requested([i for pair in arguments.items() for i in pair])
        for name, prefixes in MIRRORED.items():
            uri = arguments.get(name, "")
            if probe or not uri.startswith("s3://"):
                continue
            bucket = urlsplit(uri).netloc
            root = mirror / bucket
            root.mkdir(parents=True, exist_ok=True)
            for prefix in prefixes:
                self._download(bucket, prefix, root)
            local_args[name] = f"file://{root}"
            synced += [(bucket, prefix, root) for prefix in WRITABLE[name]]

        argv = [item for pair in local_args.items() for item in pair]
        try:
            if self.runtime is None:
                output = self._run_in_process(argv)
            else:
                endpoint = self.s3.meta.endpoint_url
                output = self.runtime.run(script, argv, self.s3, endpoint_url=endpoint)
        except Exception as exc:
            error = str(exc) if isinstance(exc, GlueRunFailed) else f"{type(exc).__name__}: {exc}"
            return LocalRun("FAILED", error, local_args)
        self._log_driver_output(arguments, output)
        for bucket, prefix, root in synced:
            self._upload(bucket, prefix, root)
        return LocalRun("SUCCEEDED", None, local_args)

    @staticmethod
    def _run_in_process(argv: list[str]) -> str:
        """Runs the entry script's main; returns what it printed (and prints it too)."""
        saved_argv = sys.argv
        # dagster-pipes reads its arguments from sys.argv and keeps one context per process; each
        # Glue run is a fresh process, so both are reset around the in-process call.
        sys.argv = ["silver_job.py", *argv]
        PipesContext._instance = None
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                silver_job.main(argv)
        finally:
            sys.argv = saved_argv
            PipesContext._instance = None
            sys.stdout.write(printed.getvalue())
        return printed.getvalue()

    def _log_driver_output(self, arguments: dict[str, str], output: str) -> None:
        """Glue 5.0 with --custom-logGroup-prefix: the driver's stdout/stderr go to
        <prefix>/output, stream <job run id>-driver, written with the job's role."""
        prefix = arguments.get("--custom-logGroup-prefix")
        lines = [line for line in output.splitlines() if line.strip()]
        if not prefix or not lines:
            return
        logs = boto3.client(
            "logs", endpoint_url=self.s3.meta.endpoint_url, region_name=self.s3.meta.region_name
        )
        group, stream = f"{prefix}/output", f"{arguments['--JOB_RUN_ID']}-driver"
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": line} for line in lines[-1000:]],
        )

    def _keys(self, bucket: str, prefix: str) -> list[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return [
            obj["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]

    def _download(self, bucket: str, prefix: str, root: Path) -> None:
        for key in self._keys(bucket, prefix):
            target = root / key
            target.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(bucket, key, str(target))

    def _upload(self, bucket: str, prefix: str, root: Path) -> None:
        """Make `s3://bucket/prefix` equal the local folder; hidden files (Hadoop's `.crc`
        checksums, `.spark-staging-*`) are local artefacts that S3 writes do not produce."""
        base = root / prefix
        local = {
            path.relative_to(root).as_posix(): path
            for path in (base.rglob("*") if base.exists() else [])
            if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(root).parts)
        }
        for key, path in sorted(local.items()):
            self.s3.upload_file(str(path), bucket, key)
        stale = [key for key in self._keys(bucket, prefix) if key not in local]
        for start in range(0, len(stale), 1000):
            self.s3.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]]},
            )
