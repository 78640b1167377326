"""No Gold day and no report from a Silver partition whose latest blocking check failed, on the
local CLI path (`rerun`, then `report`), run in-process against the built-in sandbox.

The sandbox reads the events window end-exclusive: with the default (inclusive) setting every
one-day events pull is empty while by_date counts plays, so `fact_events` fails its blocking
`events_cover_plays` check (test_empty_day.py covers the check itself). Observed here:

- a day that was built before is withdrawn from Gold when its re-pull fails, not left stale;
- `rerun` says the Gold day is held back and why; the report names the day *held back* with the
  check's message (not zero, not "not built yet");
- with the setting `doctor` names, the next `rerun` passes and Gold and the report follow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
    rerun = ("rerun", "--date", DAY.isoformat())

    code, out, err = cli(*rerun)
    assert code == 0, out + err
    assert any(gold_day.glob("*.parquet"))

    # The default setting: the re-pull of the day comes back empty and fails its check.
    monkeypatch.delenv("WISTIA_EVENTS_WINDOW")
    code, out, err = cli(*rerun)
    assert code == 1, out + err
    (hold,) = [line for line in out.splitlines() if "hold media_daily" in line]
    assert hold.split() == ["hold", "media_daily", f"{DAY}:", "held", "back,", *hold.split()[5:]]
    assert f"fact_events:events_cover_plays failed for {A}: fact_events {DAY}|{A}" in hold
    assert "the events pull returned no events" in hold
    assert not any(gold_day.glob("*.parquet")), "the day's older Gold build is withdrawn"

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
