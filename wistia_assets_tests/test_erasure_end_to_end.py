"""A viewer's erasure through the real pipeline (sandbox, Dagster runs in-process, local
Spark): a lake of two days x two media; `erase --dry-run` changes nothing; `erase --email`
removes exactly the viewer's Silver rows and rebuilds Gold; then a `rerun` of a touched day, a
backfill of a day and the next day's run pull the viewer again from the sandbox, and
suppression keeps them out. After each, the viewer's visitor key, e-mail address and IPs are in
no file of the lake and no file of the Dagster instance (its SQLite storage, compute logs)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from wistia_assets.erasure import bronze
from wistia_assets.storage.layout import BRONZE_EVENTS
from wistia_assets.storage.objects import LocalStore
from wistia_assets_tests.support.cli import DAY, cli, environment
from wistia_assets_tests.support.erasure import (
    FIRST,
    KEY,
    every_file,
    gold_matches_silver,
    leaks,
    silver_rows,
    the_viewer,
    visitor_hash,
)

pytestmark = pytest.mark.slow


# ~15 Dagster runs with Spark: about two minutes on an idle laptop, far more on a loaded machine.
@pytest.mark.timeout(1800)
def test_an_erased_viewer_is_gone_and_stays_gone(tmp_path, monkeypatch, spark):
    values = environment(tmp_path)
    values["WISTIA_HASH_KEY"] = KEY
    values["WISTIA_SANDBOX_EVENTS_PER_DAY"] = "150-200"
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    lake, home = Path(values["WISTIA_LAKE_ROOT"]), Path(values["DAGSTER_HOME"])
    code, out, _ = cli("run", "--days", "2", "--end-date", DAY.isoformat(), "--quiet")
    assert code == 0, out
    store = LocalStore(lake)
    key, email, ips, where = the_viewer(store)
    assert len(where) >= 2
    needles = [key, email, email.replace("@", "%40"), *ips]
    before = silver_rows(lake)
    theirs = {visitor_hash(key)}

    files = every_file(lake)
    code, out, _ = cli("erase", "--email", email, "--dry-run")
    assert code == 0 and "nothing changed" in out
    assert every_file(lake) == files and not (lake / "_state" / "erasures.sqlite").exists()
    assert email not in out and key not in out

    code, out, err = cli("erase", "--email", email)
    assert code == 0, out + err
    assert email not in out + err and key not in out + err
    after = silver_rows(lake)
    # Silver lost exactly the viewer's rows; every other row is there.
    for partition, rows in before.items():
        assert sorted(after.get(partition, [])) == sorted(r for r in rows if r[1] not in theirs)
    assert sum(len(r) for r in before.values()) > sum(len(r) for r in after.values())
    gold_matches_silver(lake)
    assert leaks((lake, home), needles) == []

    code, out, _ = cli("erase", "--list")
    assert code == 0 and " done " in out and visitor_hash(key) in out and email not in out

    # The viewer comes back from Wistia: a rerun of a day they watched, a backfill, the next day.
    touched_day, touched_media = sorted(where)[0].split("dt=")[1].split("/media_id=")
    for args in (
        ["rerun", "--date", touched_day, "--media-id", touched_media, "--quiet"],
        ["run", "--days", "1", "--end-date", FIRST.isoformat(), "--quiet"],
        ["run", "--days", "1", "--end-date", (DAY + timedelta(days=1)).isoformat(), "--quiet"],
    ):
        code, out, _ = cli(*args)
        assert code == 0, (args, out)
        assert leaks((lake, home), needles) == [], args
        assert visitor_hash(key) not in {
            vh for rows in silver_rows(lake).values() for _, vh in rows
        }
    gold_matches_silver(lake)
    code, out, _ = cli("erase", "--list")
    suppressed = int(out.split("events suppressed since ")[1].split()[0])
    assert suppressed > 0
    manifests = [
        json.loads((lake / p / "_manifest.json").read_text())
        for p, _, _ in bronze.partitions(store, BRONZE_EVENTS)
    ]
    # The record counts every pull; a manifest its partition's latest (a day pulled twice).
    assert 0 < sum(m.get("suppressed", 0) for m in manifests) <= suppressed
