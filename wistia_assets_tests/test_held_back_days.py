"""No Gold day and no report from a Silver partition whose latest blocking check failed, on the
local CLI path (`rerun`, then `report`), run in-process against the built-in sandbox.

The sandbox reads the events window end-exclusive: with the default (inclusive) setting every
one-day events pull is empty while by_date counts plays, so `fact_events` fails its blocking
`events_cover_plays` check (test_empty_day.py covers the check itself). Observed here:

- a day that was built before is withdrawn from Gold when its re-pull fails, not left stale;
- a backfill of media_daily over a range (one run, as the UI launches it) builds the other days
  and holds that one;
- `rerun` says the Gold day is held back and why; the report names the day *held back* with the
  check's message (not zero, not "not built yet");
- with the setting `doctor` names, the next `rerun` passes and Gold and the report follow.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from wistia_assets.definitions import build_defs
from wistia_assets.orchestration.jobs import GOLD_DAYS_JOB
from wistia_assets.settings import Settings
from wistia_assets.storage.layout import GOLD_MEDIA_DAILY
from wistia_assets_tests.support.cli import DAY, A, cli, environment

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_a_failed_pull_holds_the_gold_day_and_the_report_names_it(spark, tmp_path, monkeypatch):
    env = environment(tmp_path) | {
        "MEDIA_IDS": A,
        "WISTIA_SANDBOX_EVENTS_WINDOW": "end-exclusive",
        "WISTIA_EVENTS_WINDOW": "end-exclusive",  # first the right setting: the day builds
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    gold_day = Path(env["WISTIA_LAKE_ROOT"], GOLD_MEDIA_DAILY, f"dt={DAY}")
    before = DAY - timedelta(days=1)
    gold_before = gold_day.with_name(f"dt={before}")
    rerun = ("rerun", "--date", DAY.isoformat())

    code, out, err = cli("run", "--days", "2", "--end-date", DAY.isoformat())
    assert code == 0, out + err
    assert any(gold_day.glob("*.parquet")) and any(gold_before.glob("*.parquet"))

    # The default setting: the re-pull of the day comes back empty and fails its check.
    monkeypatch.delenv("WISTIA_EVENTS_WINDOW")
    code, out, err = cli(*rerun)
    assert code == 1, out + err
    (hold,) = [line for line in out.splitlines() if "hold media_daily" in line]
    assert hold.split() == ["hold", "media_daily", f"{DAY}:", "held", "back,", *hold.split()[5:]]
    assert f"fact_events:events_cover_plays failed for {A}: fact_events {DAY}|{A}" in hold
    assert "the events pull returned no events" in hold
    assert not any(gold_day.glob("*.parquet")), "the day's older Gold build is withdrawn"

    # A backfill of both days, one run over the range (single-run policy), as the UI launches it.
    for day in (DAY, before):
        for stale in gold_before.parent.glob(f"dt={day}/*"):
            stale.unlink()  # so that what is there afterwards is what the backfill wrote
    backfill = (
        build_defs(Settings.from_env())
        .resolve_job_def(GOLD_DAYS_JOB)
        .execute_in_process(
            instance=DagsterInstance.get(),
            tags={
                "dagster/asset_partition_range_start": before.isoformat(),
                "dagster/asset_partition_range_end": DAY.isoformat(),
            },
            raise_on_error=False,
        )
    )
    assert backfill.success
    # One materialization per day of the range, each with the run's metadata.
    materializations = backfill.asset_materializations_for_node("media_daily")
    assert len(materializations) == 2
    held = materializations[0].metadata["held_back"].value
    assert list(held) == [DAY.isoformat()]
    assert held[DAY.isoformat()][0].startswith(f"fact_events:events_cover_plays failed for {A}")
    assert any(gold_before.glob("*.parquet")) and not any(gold_day.glob("*.parquet"))

    code, out, err = cli("report", "--from", DAY.isoformat(), "--to", DAY.isoformat())
    assert code == 0, out + err
    assert "0 of 1 days built for every media" in out
    assert "Not built yet" not in out  # held back is said as such, not as missing
    held = out.split("Held back, because a blocking check of the day's Silver failed (built "
                     "again once a later pull passes): ", 1)[1]  # fmt: skip
    # The media named as the report names it (its title), then the check and its message.
    assert held.startswith(f"{DAY} (")
    assert f": fact_events:events_cover_plays failed: fact_events {DAY}|{A}: by_date counts" in held
    html = Path(out.strip().splitlines()[-1].split(": ", 1)[1]).read_text()
    assert "<td>held back</td>" in html and "run `wistia-assets doctor`" in html
    assert not any(gold_day.glob("*.parquet"))  # the report read no Gold of the day

    # Fixed: the next pull passes, and Gold and the report follow without anything else.
    monkeypatch.setenv("WISTIA_EVENTS_WINDOW", "end-exclusive")
    code, out, err = cli(*rerun)
    assert code == 0, out + err
    assert "hold media_daily" not in out and "Held back" not in out
    assert any(gold_day.glob("*.parquet"))
