"""A missed day repaired from the UI: `dagster dev` (what `make dev` starts) comes up with nothing
running by surprise, and a backfill of the day for both media, launched through the GraphQL
mutation the UI sends, runs through the daemon and the run workers and lands the day in Silver,
equal to what Wistia holds. Drives `scripts/ui_backfill.py` (without its screenshot)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from wistia_assets.catalog.duckdb_catalog import run_query
from wistia_assets.sandbox import SandboxWistia
from wistia_assets.settings import SANDBOX_MEDIA_IDS

REPO = Path(__file__).resolve().parents[1]
EVENTS_PER_DAY = "40-80"


def load_driver():
    spec = importlib.util.spec_from_file_location(
        "ui_backfill", REPO / "scripts" / "ui_backfill.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.long
def test_a_missed_day_is_backfilled_from_the_ui_for_every_media(tmp_path):
    ui = load_driver()
    # Four days back: every late event of the day has arrived by now.
    day = datetime.now(UTC).date() - timedelta(days=4)
    lake = tmp_path / "lake"
    env = ui.dev_environment(
        tmp_path,
        {
            "WISTIA_START_DATE": (day - timedelta(days=6)).isoformat(),
            "WISTIA_SANDBOX_EVENTS_PER_DAY": EVENTS_PER_DAY,
        },
    )
    with ui.dagster_dev(tmp_path, env) as (url, process):
        assert ui.wait_ready(url, process) < 90
        assert httpx.get(ui.asset_graph_url(url), timeout=30).status_code == 200
        # `make dev` calls nothing by surprise: schedule and automation wait for the operator;
        # only the failure alerts (which call nothing external locally) are on.
        status = ui.instigator_status(url)
        assert status == {
            "wistia_daily": "STOPPED",
            "wistia_automation": "STOPPED",
            "wistia_run_failure_alerts": "RUNNING",
        }
        assert not lake.exists()  # the day is missing

        backfill_id = ui.launch_backfill(url, [f"{day}|{m}" for m in SANDBOX_MEDIA_IDS])
        backfill = ui.wait_backfill(url, backfill_id, timeout=480)
        logs = (tmp_path / "dagster_dev.log").read_text(errors="replace")

    assert backfill["status"] == "COMPLETED_SUCCESS", logs[-3000:]
    assert backfill["isAssetBackfill"] and backfill["numPartitions"] == 2
    runs = sorted(
        ({t["key"]: t["value"] for t in r["tags"]}["dagster/partition"], r["status"])
        for r in backfill["runs"]
    )
    assert runs == [(f"{day}|{m}", "SUCCESS") for m in SANDBOX_MEDIA_IDS]

    # Silver holds the day for both media, exactly what the account holds, once.
    sandbox = SandboxWistia(seed=7, events_per_day=EVENTS_PER_DAY)  # the local default seed
    truth = {m: len(sandbox.ground_truth_events(m, day)) for m in SANDBOX_MEDIA_IDS}
    assert ui.silver_day(lake, day) == {m: (n, 1) for m, n in truth.items()}
    _, [(rows, keys)] = run_query(
        lake, "SELECT count(*), count(DISTINCT event_key) FROM fact_events"
    )
    assert rows == keys == sum(truth.values())
    assert not (lake / "_state" / "run_failures.jsonl").exists()  # no alert was raised
