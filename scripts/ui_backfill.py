"""Repair a missed day the way an operator does in the UI, against a real `dagster dev`.

Starts `dagster dev` (what `make dev` runs: the webserver, the daemon, the code server) on a free
loopback port with a throw-away DAGSTER_HOME and lake, waits for the code location, launches a
backfill of one day for every media through the same GraphQL mutation the UI's "Materialize ->
Launch backfill" sends (`launchPartitionBackfill` with an asset selection and partition names),
waits for its runs, checks that Silver holds the day, and takes a screenshot of the asset graph
with headless Chromium for the README (`docs/asset-graph.png`).

    .venv/bin/python scripts/ui_backfill.py                    # backfill + screenshot
    .venv/bin/python scripts/ui_backfill.py --no-screenshot    # backfill only
    .venv/bin/python scripts/ui_backfill.py --day 2026-11-20 --keep   # keep the UI running

`wistia_assets_tests/test_ui_backfill.py` runs the same functions (without the screenshot).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WINDOW_ASSETS = (
    "bronze_events",
    "bronze_media_by_date",
    "bronze_media_metadata",
    "fact_events",
    "fact_media_by_date",
)
TERMINAL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

# The mutation of the UI's partition dialog (LAUNCH_PARTITION_BACKFILL_MUTATION in dagster-ui).
LAUNCH_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
    ... on ConflictingExecutionParamsError { message }
  }
}
"""
BACKFILL_STATUS = """
query BackfillStatus($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      id status isAssetBackfill numPartitions
      runs(limit: 100) { runId jobName status tags { key value } }
    }
    ... on PythonError { message }
  }
}
"""
LOCATIONS = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
INSTIGATORS = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name scheduleState { status } }
    sensors { name sensorState { status } }
} } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(url: str, query: str, variables: Mapping | None = None) -> dict:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": dict(variables or {})}, timeout=60
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def dev_environment(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """DAGSTER_HOME with the instance `make dev` installs, a lake, the built-in sandbox."""
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.local.yaml", home / "dagster.yaml")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WISTIA_API_TOKEN", "MEDIA_IDS", "PYTHONDONTWRITEBYTECODE")
    }
    # The webserver, daemon, code server and each run worker import Dagster and the project:
    # from bytecode cached outside the tree (as the Makefile does), not compiled per process.
    env.setdefault("PYTHONPYCACHEPREFIX", str(REPO / ".venv" / "pycache"))
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "WISTIA_LAKE_ROOT": str(root / "lake"),
            "DAGSTER_DEPLOYMENT": "local",
            "SPARK_LOCAL_IP": "127.0.0.1",
            **(extra or {}),
        }
    )
    return env


@contextmanager
def dagster_dev(root: Path, env: Mapping[str, str], port: int | None = None, dg: bool = False):
    """`dagster dev` (or `dg dev`, what `make dev` runs) in its own process group; yields (url,
    process). On exit the whole group — webserver, daemon, code server, run workers, their Spark
    JVMs — is stopped, and only it."""
    port = port or free_port()
    log = (root / "dagster_dev.log").open("wb")
    command = (
        [str(BIN / "dg"), "dev", "--host", "127.0.0.1", "--port", str(port)]
        if dg
        else [
            str(BIN / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ]
    )
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv
        command,
        cwd=REPO,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: pgid == process.pid
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        _stop_group(process)
        log.close()


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None and not _group_alive(process.pid):
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # dagster dev shuts its children down on TERM
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and _group_alive(process.pid):
        time.sleep(0.5)
        process.poll()
    if _group_alive(process.pid):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 180) -> float:
    """Seconds until the code location is loaded (the UI shows the asset graph)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with {process.returncode}")
        try:
            data = graphql(url, LOCATIONS)
        except (httpx.HTTPError, RuntimeError):
            time.sleep(1)
            continue
        entries = data["workspaceOrError"].get("locationEntries") or []
        loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
        if loaded:
            (entry,) = loaded
            result = entry["locationOrLoadError"]
            if result["__typename"] != "RepositoryLocation":
                raise RuntimeError(f"code location failed to load: {result.get('message')}")
            return time.monotonic() - started
        time.sleep(1)
    raise TimeoutError(f"dagster dev at {url} not ready after {timeout:.0f}s")


def instigator_status(url: str) -> dict[str, str]:
    """name -> RUNNING|STOPPED for every schedule and sensor, as the Automation page shows."""
    (repo,) = graphql(url, INSTIGATORS)["repositoriesOrError"]["nodes"]
    status = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    status.update({s["name"]: s["sensorState"]["status"] for s in repo["sensors"]})
    return status


def launch_backfill(
    url: str, partition_names: Iterable[str], assets: Iterable[str] = WINDOW_ASSETS
) -> str:
    params = {
        "assetSelection": [{"path": [key]} for key in assets],
        "partitionNames": list(partition_names),
        "fromFailure": False,
        "tags": [],
        "title": "repair a missed day",
    }
    result = graphql(url, LAUNCH_BACKFILL, {"backfillParams": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill refused: {result['__typename']}: {result.get('message')}")
    return result["backfillId"]


def wait_backfill(url: str, backfill_id: str, timeout: float = 600, progress=None) -> dict:
    """Poll until the backfill is done and none of its runs is still going; returns it."""
    started = time.monotonic()
    while True:
        backfill = graphql(url, BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["__typename"] != "PartitionBackfill":
            raise RuntimeError(f"backfill {backfill_id}: {backfill.get('message')}")
        runs = backfill["runs"]
        if progress is not None:
            progress(time.monotonic() - started, backfill)
        done = backfill["status"] in TERMINAL
        if done and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs):
            return backfill
        if time.monotonic() - started > timeout:
            raise TimeoutError(
                f"backfill {backfill_id} still {backfill['status']} after {timeout}s"
            )
        time.sleep(2)


def silver_day(lake: Path, day: date) -> dict[str, tuple[int, int]]:
    """media -> (fact_events rows, fact_media_by_date rows) of that day, via DuckDB."""
    from wistia_assets.catalog.duckdb_catalog import run_query

    _, events = run_query(
        lake, f"SELECT media_id, count(*) FROM fact_events WHERE dt = '{day}' GROUP BY 1"
    )
    _, by_date = run_query(
        lake, f"SELECT media_id, count(*) FROM fact_media_by_date WHERE dt = '{day}' GROUP BY 1"
    )
    counts = dict(by_date)
    return {media: (rows, counts.get(media, 0)) for media, rows in sorted(events)}


def asset_graph_url(url: str, groups: Iterable[str] = ("bronze", "silver")) -> str:
    # `expanded` opens the groups (the graph shows them collapsed otherwise); ids are
    # "global@global:<group>", or "<repo>@<location>:<group>" with per-location grouping.
    ids = [f"global@global:{g}" for g in groups]
    ids += [f"__repository__@wistia_assets:{g}" for g in groups]
    return f"{url}/asset-groups?expanded={quote(','.join(ids), safe='')}"


def screenshot(url: str, out: Path, workdir: Path) -> None:
    # The community dialog covers the page on a fresh instance; "Skip" sends this mutation.
    graphql(url, "mutation { setNuxSeen }")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={workdir / 'chromium'}",
            # Tall enough for both groups with their headers at the graph's fitted zoom.
            "--window-size=1600,1200",
            # The UI renders after several GraphQL round trips: give it virtual time to settle.
            "--virtual-time-budget=25000",
            f"--screenshot={out}",
            asset_graph_url(url),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--day", help="the missed day, YYYY-MM-DD (default: five days ago, UTC)")
    p.add_argument("--screenshot", default=str(REPO / "docs" / "asset-graph.png"))
    p.add_argument("--no-screenshot", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the UI running until Ctrl-C")
    args = p.parse_args(argv)
    today = datetime.now(UTC).date()
    day = date.fromisoformat(args.day) if args.day else today - timedelta(days=5)
    sys.path.insert(0, str(REPO))
    from wistia_assets.settings import SANDBOX_MEDIA_IDS

    root = Path(tempfile.mkdtemp(prefix="wistia-ui-"))
    env = dev_environment(root, {"WISTIA_START_DATE": (day - timedelta(days=13)).isoformat()})
    partitions = [f"{day}|{media}" for media in SANDBOX_MEDIA_IDS]
    print(f"dagster dev with DAGSTER_HOME={env['DAGSTER_HOME']} lake={env['WISTIA_LAKE_ROOT']}")
    with dagster_dev(root, env) as (url, process):
        print(f"UI at {url}: code location loaded after {wait_ready(url, process):.1f}s")
        print(f"automation: {instigator_status(url)}")
        started = time.monotonic()
        backfill_id = launch_backfill(url, partitions, (*WINDOW_ASSETS, "dim_media"))
        print(f"backfill {backfill_id}: {', '.join(partitions)} + dim_media")

        def progress(elapsed, backfill):
            runs = ", ".join(f"{r['jobName']}:{r['status']}" for r in backfill["runs"])
            print(f"  {elapsed:5.0f}s {backfill['status']:<18} {runs}", flush=True)

        backfill = wait_backfill(url, backfill_id, progress=progress)
        elapsed = time.monotonic() - started
        statuses = [r["status"] for r in backfill["runs"]]
        print(f"backfill {backfill['status']} in {elapsed:.0f}s, runs: {statuses}")
        if backfill["status"] != "COMPLETED_SUCCESS" or set(statuses) != {"SUCCESS"}:
            print(f"see {root / 'dagster_dev.log'} and the UI at {url}")
            return 1
        counts = silver_day(root / "lake", day)
        print(f"Silver {day}: {counts}  (media: fact_events rows, fact_media_by_date rows)")
        if sorted(counts) != sorted(SANDBOX_MEDIA_IDS) or any(n != 1 for _, n in counts.values()):
            return 1
        if not args.no_screenshot:
            screenshot(url, Path(args.screenshot), root)
            print(f"screenshot of the asset graph -> {args.screenshot}")
        if args.keep:
            print(f"UI kept at {url}; Ctrl-C to stop")
            try:
                while process.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
