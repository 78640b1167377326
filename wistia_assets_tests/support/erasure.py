"""Helpers of the erasure tests through the real pipeline (test_erasure_end_to_end,
test_erasure_expired_bronze): the viewer to erase, Silver read with DuckDB, Gold recomputed."""

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
from wistia_assets_tests.support.cli import DAY

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
