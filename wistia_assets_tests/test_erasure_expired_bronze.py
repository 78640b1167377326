"""An erasure reaches Silver rows whose Bronze has expired (retention): a lake of two days x two
media, one day's Bronze removed by the retention as it would be 90 days on, then
`wistia-assets erase` of a viewer on that day and the other, and the `erase_viewer` job for
another viewer of that day. The viewers' rows are gone from Silver, every other row keeps every
value, the records are done, Gold equals a recomputation over Silver."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance

from wistia_assets.definitions import build_defs
from wistia_assets.erasure.job import ERASE_JOB
from wistia_assets.erasure.retention import remove_expired
from wistia_assets.settings import Settings
from wistia_assets.storage.objects import LocalStore
from wistia_assets_tests.support.cli import DAY, cli, environment
from wistia_assets_tests.support.erasure import (
    KEY,
    duck,
    gold_matches_silver,
    records,
    the_viewer,
    visitor_hash,
)

pytestmark = pytest.mark.slow


def every_row(lake: Path) -> list[dict]:
    return records(duck(lake).execute("SELECT * FROM fact_events ORDER BY dt, media_id, event_key"))


def age_bronze_of(lake: Path, day: str, days: int) -> None:
    """The day's Bronze files as old as `days` (the bucket's lifecycle counts object age)."""
    then = time.time() - days * 86400
    for path in (lake / "bronze").rglob("*"):
        if path.is_file() and f"dt={day}" in str(path):
            os.utime(path, (then, then))


@pytest.mark.timeout(1800)
def test_a_viewer_whose_bronze_expired_is_erased_from_silver(tmp_path, monkeypatch, spark):
    values = environment(tmp_path)
    values["WISTIA_HASH_KEY"] = KEY
    values["WISTIA_SANDBOX_EVENTS_PER_DAY"] = "150-200"
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    lake = Path(values["WISTIA_LAKE_ROOT"])
    code, out, _ = cli("run", "--days", "2", "--end-date", DAY.isoformat(), "--quiet")
    assert code == 0, out
    store = LocalStore(lake)
    key, _email, _ips, where = the_viewer(store)
    days = sorted({p.split("dt=")[1].split("/")[0] for p in where})
    expired = days[0]
    theirs = visitor_hash(key)
    before = every_row(lake)
    assert any(r["visitor_hash"] == theirs and str(r["dt"]) == expired for r in before)

    age_bronze_of(lake, expired, 100)
    assert remove_expired(store, 90)
    assert not list((lake / "bronze/wistia/events").glob(f"dt={expired}"))

    code, out, err = cli("erase", "--visitor-key", key)
    assert code == 0, out + err
    assert "no Bronze:" in out and key not in out + err
    assert every_row(lake) == [r for r in before if r["visitor_hash"] != theirs]
    gold_matches_silver(lake)
    code, out, _ = cli("erase", "--list")
    assert " done " in out and theirs in out

    # The job (what AWS runs, here on local Spark) for another viewer of the expired day.
    before = every_row(lake)
    other = next(r["visitor_hash"] for r in before if str(r["dt"]) == expired and r["visitor_hash"])
    config = {"kind": "visitor_key", "subject_hash": other}
    instance = DagsterInstance.get()
    result = (
        build_defs(Settings.from_env())
        .resolve_job_def(ERASE_JOB)
        .execute_in_process(run_config={"ops": {"erase": {"config": config}}}, instance=instance)
    )
    assert result.success
    assert every_row(lake) == [r for r in before if r["visitor_hash"] != other]
    stripped = [
        m.partition
        for m in result.asset_materializations_for_node("erase")
        if m.asset_key.path == ["fact_events"] and "rows_removed" in m.metadata
    ]
    assert stripped and all(p.startswith(expired) for p in stripped)
    gold_matches_silver(lake)
    code, out, _ = cli("erase", "--list")
    assert out.count(" done ") == 2
