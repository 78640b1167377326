"""A built-in, deterministic Wistia v1 API: the local deployment's default when no token is
set, the ground truth of the reliability tests and the load generator of the benchmarks.

    sandbox = SandboxWistia(seed=7, faults=Faults.parse("429=0.05,drift=3"))
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:
        client.get("/stats/events.json", params={"media_id": ..., "per_page": 100, "page": 1})
    with serve(sandbox) as server:  # a real loopback socket, for socket-level faults
        httpx.get(f"{server.url}/medias/{media_id}.json")

Endpoints: `/stats/events.json`, `/stats/medias/{id}/by_date.json`, `/medias/{id}.json`,
`/stats/events/{event_key}.json` (and `/medias.json`). Data is generated lazily per (media,
account-local day) from the seed; `ground_truth_events` / `ground_truth_by_date` tell what a
correct pipeline must end up with. Fault spec syntax: see `wistia_assets.sandbox.faults`.
Only stdlib and httpx: no Dagster here.
"""

from wistia_assets.sandbox.clock import ManualClock
from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.sandbox.faults import ENV_VAR as FAULTS_ENV_VAR
from wistia_assets.sandbox.faults import REQUEST_FAULTS, Faults, FaultScript
from wistia_assets.sandbox.media import DEFAULT_MEDIA, SandboxMedia, media_document
from wistia_assets.sandbox.requestlog import LoggedRequest, RequestLog
from wistia_assets.sandbox.sandbox import SandboxWistia, parse_events_per_day, shared_sandbox
from wistia_assets.sandbox.server import SandboxServer, run_forever, sandbox_from_env, serve

__all__ = [
    "DEFAULT_MEDIA",
    "FAULTS_ENV_VAR",
    "REQUEST_FAULTS",
    "FaultScript",
    "Faults",
    "LoggedRequest",
    "ManualClock",
    "RequestLog",
    "SandboxConfig",
    "SandboxMedia",
    "SandboxServer",
    "SandboxWistia",
    "media_document",
    "parse_events_per_day",
    "run_forever",
    "sandbox_from_env",
    "serve",
    "shared_sandbox",
]
