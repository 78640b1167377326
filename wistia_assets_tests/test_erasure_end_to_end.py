"""A viewer's erasure through the real pipeline (sandbox, Dagster runs in-process, local
Spark): a lake of two days x two media; `erase --dry-run` changes nothing; `erase --email`
removes exactly the viewer's Silver rows and rebuilds Gold; then a `rerun` of a touched day, a
backfill of a day and the next day's run pull the viewer again from the sandbox, and
suppression keeps them out. After each, the viewer's visitor key, e-mail address and IPs are in
no file of the lake and no file of the Dagster instance (its SQLite storage, compute logs)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from wistia_assets.erasure import bronze
from wistia_assets.storage.layout import BRONZE_EVENTS
from wistia_assets.storage.objects import LocalStore
from wistia_assets_tests.support.cli import DAY, cli, environment

pytestmark = pytest.mark.slow

KEY = "erasure-e2e-key"
FIRST = DAY - timedelta(days=1)


def visitor_hash(value: str) -> str:
    return hmac.new(KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


def every_file(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()}


def leaks(roots: tuple[Path, ...], needles: list[str]) -> list[str]:
    found = []
    for path, body in every_file(*roots).items():
        lowered = body.lower()
        for needle in needles:
            if needle.lower().encode() in lowered:
                found.append(f"{path}: {needle[:4]}…")
    return found


def the_viewer(store: LocalStore) -> tuple[str, str, set[str], set[str]]:
    """(visitor key, e-mail, IPs, partitions) of the identified viewer in the most partitions."""
    seen: dict[str, dict] = {}
    for partition, _, _ in bronze.partitions(store, BRONZE_EVENTS):
        for line in bronze.lines_of(store, partition):
            record = json.loads(line)
            v = seen.setdefault(record["visitor_key"], {"emails": set(), "ips": set(), "in": set()})
            if record.get("email"):
                v["emails"].add(record["email"])
            v["ips"].add(record["ip"])
            v["in"].add(partition)
    key = max((k for k in seen if seen[k]["emails"]), key=lambda k: len(seen[k]["in"]))
    v = seen[key]
    assert len(v["emails"]) == 1
    return key, next(iter(v["emails"])), v["ips"], v["in"]


def duck(lake: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    hive = "hive_partitioning = true, hive_types = {'dt': VARCHAR, 'media_id': VARCHAR}"
    glob = lake / "silver/wistia/fact_events/dt=*/media_id=*/*.parquet"
    con.execute(f"CREATE VIEW fact_events AS SELECT * FROM read_parquet('{glob}', {hive})")
    return con


def records(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def silver_rows(lake: Path) -> dict[tuple[str, str], list]:
    con = duck(lake)
    rows = con.execute("SELECT dt, media_id, event_key, visitor_hash FROM fact_events").fetchall()
    out: dict[tuple[str, str], list] = {}
    for dt, media, event_key, vh in rows:
        out.setdefault((str(dt), media), []).append((event_key, vh))
    return out


def gold_matches_silver(lake: Path) -> None:
    """media_daily's per-viewer figures, recomputed over Silver (as test_gold_figures does)."""
    expected = records(duck(lake).execute("""
        SELECT dt, media_id, count(*) AS sessions, count(DISTINCT visitor_hash) AS unique_visitors,
               avg(percent_viewed) AS mean_percent_viewed
        FROM fact_events GROUP BY 1, 2 ORDER BY 1, 2
        """))
    gold = records(
        duckdb.connect().execute(
            f"SELECT * FROM read_parquet('{lake}/gold/wistia/media_daily/dt=*/*.parquet', "
            "hive_partitioning = true, hive_types = {'dt': VARCHAR}) ORDER BY dt, media_id"
        )
    )
    by_key = {(g["dt"], g["media_id"]): g for g in gold}
    assert expected
    for want in expected:
        got = by_key[(str(want["dt"]), want["media_id"])]
        assert got["sessions"] == want["sessions"], want
        assert got["unique_visitors"] == want["unique_visitors"], want
        assert got["mean_percent_viewed"] == pytest.approx(want["mean_percent_viewed"]), want


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
