"""Glue job runs as Dagster steps: whatever state a run ends in, the step ends with it.

dagster-aws's `PipesGlueClient` (0.29.27) polls until the run is FAILED, SUCCEEDED, STOPPED,
TIMEOUT or ERROR. Glue also ends runs in EXPIRED (a queued run that outlived its time in the
queue) and may add states later; the stock client would poll those forever, until run monitoring
killed the whole run hours later. Here the known in-progress states are the only ones that keep
polling: any other state ends the step, and one Glue gives no message for is explained.
"""

from __future__ import annotations

import time

from dagster_aws.pipes import PipesGlueClient

# https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
IN_PROGRESS = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})

WHY = {
    "EXPIRED": (
        "the run waited in Glue's queue longer than its time to live and never started: keep "
        "the `glue` pool (GluePoolSlots) at or below the job's GlueMaxConcurrentRuns"
    ),
    "TIMEOUT": "the run exceeded the job's timeout (GlueTimeoutMinutes)",
    "STOPPED": "the run was stopped (Glue console, BatchStopJobRun, or a Dagster termination)",
    "ERROR": "Glue could not run the job (an error of the service, not of the script)",
}


class SilverGlueClient(PipesGlueClient):
    """`PipesGlueClient` whose wait ends on every final Glue run state."""

    def __init__(self, *args, poll_seconds: float = 5.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll_seconds = poll_seconds

    def _wait_for_job_run_completion(self, job_name: str, run_id: str):
        while True:
            response = self._client.get_job_run(JobName=job_name, RunId=run_id)
            job_run = response["JobRun"]
            state = job_run["JobRunState"]
            if state not in IN_PROGRESS:
                if state != "SUCCEEDED" and not job_run.get("ErrorMessage"):
                    job_run["ErrorMessage"] = WHY.get(
                        state, f"Glue reported the unknown run state {state}; see the Glue console"
                    )
                return response
            time.sleep(self.poll_seconds)
