"""Every state a Glue job run can end in ends the Silver step, with a message that names it.

The Glue stand-in scripts the states `get_job_run` reports (moto's Glue only ever reports
SUCCEEDED); the client under test is the one the `aws` deployment builds
(`GlueEngine.pipes_client`), talking Pipes through moto's S3.
"""

from __future__ import annotations

import os
import sys
import uuid
from types import SimpleNamespace

import boto3
import pytest
from dagster import DagsterInstance, MaterializeResult, asset, materialize
from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesContext,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)

from wistia_assets.resources.glue_runs import IN_PROGRESS, WHY
from wistia_assets.resources.silver_engine import GlueEngine

# Every documented terminal state except SUCCEEDED, plus one Glue might add tomorrow.
FAILED_STATES = ["FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED", "SOME_NEW_STATE"]


class ScriptedGlue:
    """Reports the scripted states in order, then repeats the last one."""

    meta = SimpleNamespace(region_name="us-east-1")

    def __init__(self, states: list[str]):
        self.states = list(states)
        self.reported: list[str] = []
        self.started = 0

    def start_job_run(self, JobName: str, Arguments: dict[str, str]):
        self.started += 1
        self._open_and_close_pipes(Arguments)
        return {"JobRunId": "jr_0001"}

    @staticmethod
    def _open_and_close_pipes(arguments: dict[str, str]) -> None:
        """What every real run of the entry script does first and last: read the Pipes context,
        write the opened and closed messages (so the reader does not wait for a silent job)."""
        s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        saved, sys.argv = sys.argv, ["silver_job.py", *[a for kv in arguments.items() for a in kv]]
        PipesContext._instance = None
        try:
            with open_dagster_pipes(
                context_loader=PipesS3ContextLoader(client=s3),
                message_writer=PipesS3MessageWriter(client=s3, interval=0.1),
                params_loader=PipesCliArgsParamsLoader(),
            ):
                pass
        finally:
            sys.argv = saved
            PipesContext._instance = None

    def get_job_run(self, JobName: str, RunId: str):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        self.reported.append(state)
        return {"JobRun": {"Id": RunId, "JobName": JobName, "JobRunState": state}}

    def batch_stop_job_run(self, JobName: str, JobRunIds: list[str]):
        return {"SuccessfulSubmissions": [{"JobName": JobName, "JobRunId": JobRunIds[0]}]}


@pytest.fixture
def pipes_bucket(aws_endpoint):
    bucket = f"pipes-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=aws_endpoint).create_bucket(Bucket=bucket)
    return bucket


def run_step(glue: ScriptedGlue, bucket: str, endpoint: str):
    client = client_for(glue, bucket, endpoint)

    @asset
    def silver_step(context):
        client.run(context=context, start_job_run_params={"JobName": "wistia-silver"})
        return MaterializeResult()

    return materialize([silver_step], instance=DagsterInstance.ephemeral(), raise_on_error=False)


def failure_message(result) -> str:
    (event,) = [e for e in result.all_events if e.is_step_failure]
    return (
        event.step_failure_data.error.cause.message if event.step_failure_data.error.cause else ""
    )


def client_for(glue: ScriptedGlue, bucket: str = "unused", endpoint: str | None = None):
    engine = GlueEngine(
        job_name="wistia-silver",
        pipes_bucket=bucket,
        bronze_root="s3://bronze",
        silver_root="s3://silver",
        hash_key_secret_id="wistia/hash-key",
        endpoint_url=endpoint,
    )
    client = engine.pipes_client(glue=glue, s3=boto3.client("s3", endpoint_url=endpoint))
    client.poll_seconds = 0
    return client


@pytest.mark.parametrize("state", [*FAILED_STATES, "SUCCEEDED"])
def test_the_wait_ends_on_every_final_state(state):
    # Queued, starting, running, stopping: every in-progress state keeps polling.
    glue = ScriptedGlue(["WAITING", "STARTING", "RUNNING", "STOPPING", state])
    response = client_for(glue)._wait_for_job_run_completion("wistia-silver", "jr_0001")
    assert response["JobRun"]["JobRunState"] == state
    assert glue.reported == ["WAITING", "STARTING", "RUNNING", "STOPPING", state]
    assert set(glue.reported[:-1]) <= IN_PROGRESS
    if state != "SUCCEEDED":
        assert response["JobRun"]["ErrorMessage"] == WHY.get(
            state, f"Glue reported the unknown run state {state}; see the Glue console"
        )


def test_glue_error_message_is_kept():
    class FailingGlue(ScriptedGlue):
        def get_job_run(self, JobName: str, RunId: str):
            response = super().get_job_run(JobName, RunId)
            response["JobRun"]["ErrorMessage"] = "ValueError: bad partition"
            return response

    response = client_for(FailingGlue(["FAILED"]))._wait_for_job_run_completion("j", "jr")
    assert response["JobRun"]["ErrorMessage"] == "ValueError: bad partition"


@pytest.mark.parametrize("state", ["EXPIRED", "SOME_NEW_STATE"])
def test_a_step_whose_run_ends_unsuccessfully_fails_with_the_state(
    state, pipes_bucket, aws_endpoint
):
    glue = ScriptedGlue(["WAITING", "RUNNING", state])
    result = run_step(glue, pipes_bucket, aws_endpoint)
    assert not result.success
    assert glue.started == 1 and glue.reported.count(state) == 1
    message = failure_message(result)
    assert f"completed with status {state}" in message, message
    if state == "EXPIRED":
        assert "GluePoolSlots" in message


def test_succeeded_ends_the_step_successfully(pipes_bucket, aws_endpoint):
    glue = ScriptedGlue(["STARTING", "RUNNING", "SUCCEEDED"])
    result = run_step(glue, pipes_bucket, aws_endpoint)
    assert result.success
    assert glue.reported == ["STARTING", "RUNNING", "SUCCEEDED"]
