"""What Silver and Gold hold after building fixed sandbox days, as one comparable digest.

The proof that a change to how the builds run (Spark settings, fewer jobs) changes nothing in
what they build: `build_digest` pulls the same Bronze from the sandbox every time (fixed seed,
days, faults: drift duplicates, bad and foreign records; one page at a time, so the lines are
the same), builds both fact tables of every day in order (the neighbour guard reads the day
before) and the Gold days, then digests

- every table as written: each row of `fact_events`, `fact_media_by_date`, `media_daily` and the
  Bronze quarantine, read with pyarrow / json (not with the Spark code under test), as sorted
  JSON lines, hashed per table (with the row count beside the hash);
- every build's typed result (what the Silver checks and the asset metadata are made from:
  counts, quarantine reasons, the received_at histogram, the preview, the personal-value scan),
  without what differs from run to run by nature (seconds, the lake's path, the pull's token).

`wistia_assets_tests/data/build_digest.json` holds the digest of the design before issue 18
(commit 11a191d); `scripts/build_digest.py` rewrites it from any checkout of the product.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmarks.bronze_days import write_bronze_days
from wistia_assets.storage.layout import (
    BRONZE_QUARANTINE,
    GOLD_MEDIA_DAILY,
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
)
from wistia_assets.transforms.gold_runner import run_media_daily
from wistia_assets.transforms.results import to_json
from wistia_assets.transforms.runner import run_partition, run_partitions

GOLDEN = Path(__file__).parents[1] / "data" / "build_digest.json"
FIRST_DAY = date(2026, 10, 5)
DAYS = 4
EVENTS = "150-400"  # a real account's day, as the sandbox's default
HASH_KEY = b"build-digest-key-not-a-secret"
TABLES = ("fact_media_by_date", "fact_events")  # the Silver step's order
# Result fields that differ between two runs of the same build by nature.
VOLATILE = ("elapsed_seconds", "glue_run_id", "bronze_run_token")


def _stable(result: Any, lake: str) -> dict[str, Any]:
    fields = {k: v for k, v in to_json(result).items() if k not in VOLATILE}
    # The lake's folder differs per run: its URI becomes LAKE.
    return json.loads(json.dumps(fields, sort_keys=True).replace(lake, "LAKE"))


def _partition_values(path: Path, root: Path) -> dict[str, str]:
    values = {}
    for part in path.relative_to(root).parts[:-1]:
        name, _, value = part.partition("=")
        values[name] = value
    return values


# A Bronze part's name carries the token of the pull that wrote it (a time and a random suffix).
_RUN_TOKEN = re.compile(r"(/part-\d{5}-)[^/]+(\.json)$")
# Significant digits a double keeps in the digest. A sum or mean of doubles (Gold's
# mean_percent_viewed, hours_watched) depends in its last bits on the order Spark adds its
# partial sums, which follows the number of shuffle partitions, not the data; 12 digits is far
# beyond any figure a reader sees and far below what a wrong row would change.
DOUBLE_DIGITS = 12


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in record.items():
        if isinstance(value, float):
            value = float(f"{value:.{DOUBLE_DIGITS}g}")
        elif name == "part_key" and isinstance(value, str):
            value = _RUN_TOKEN.sub(r"\1TOKEN\2", value)
        out[name] = value
    return out


def _rows(root: Path, pattern: str) -> list[str]:
    """Every row of the files under `root` matching `pattern`, partition values included, as
    sorted JSON lines (timestamps in ISO form, UTC; see `_plain`)."""
    rows = []
    for path in sorted(root.rglob(pattern)):
        if any(p.startswith((".", "_")) for p in path.relative_to(root).parts):
            continue
        partition = _partition_values(path, root)
        if path.suffix == ".parquet":
            records = pq.read_table(path).to_pylist()
        else:
            records = [json.loads(line) for line in path.read_text().splitlines() if line]
        for record in records:
            row = _plain({**record, **partition})
            rows.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(rows)


def _table_digest(rows: list[str]) -> dict[str, Any]:
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return {"rows": len(rows), "sha256": digest}


def build_digest(spark, lake: Path, *, batched: bool = False) -> dict[str, Any]:
    """Pull the fixed days into `lake`, build Silver and Gold, and digest what was built: each
    day's partitions one after the other, or (`batched`) every day of a table in one build."""
    days = tuple(FIRST_DAY + timedelta(days=n) for n in range(DAYS))
    bronze = write_bronze_days(lake, EVENTS, days, media_by_date=True)
    uri = f"file://{lake.resolve()}"
    results: dict[str, Any] = {}
    if batched:
        for table in TABLES:
            built = run_partitions(
                spark,
                table=table,
                windows=[(day.dt, day.media_id) for day in bronze],
                bronze_root=uri,
                silver_root=uri,
                hash_key=HASH_KEY if table == "fact_events" else None,
            )
            for day, result in zip(bronze, built, strict=True):
                results[f"{table} {day.dt} {day.media_id}"] = _stable(result, uri)
    for day in bronze if not batched else ():
        for table in TABLES:
            result = run_partition(
                spark,
                table=table,
                dt=day.dt,
                media_id=day.media_id,
                bronze_root=uri,
                silver_root=uri,
                hash_key=HASH_KEY if table == "fact_events" else None,
            )
            results[f"{table} {day.dt} {day.media_id}"] = _stable(result, uri)
    media = bronze[0].media_id
    gold = run_media_daily(
        spark, silver_root=uri, first=bronze[0].dt, last=bronze[-1].dt, media_ids=(media,)
    )
    results[f"media_daily {bronze[0].dt}..{bronze[-1].dt}"] = _stable(gold, uri)
    tables = {
        "fact_events": _rows(lake / SILVER_FACT_EVENTS, "*.parquet"),
        "fact_media_by_date": _rows(lake / SILVER_FACT_MEDIA_BY_DATE, "*.parquet"),
        "media_daily": _rows(lake / GOLD_MEDIA_DAILY, "*.parquet"),
        "quarantine": _rows(lake / BRONZE_QUARANTINE, "*.json"),
    }
    return {
        "days": [d.dt for d in bronze],
        "media_id": media,
        "tables": {name: _table_digest(rows) for name, rows in tables.items()},
        "results": results,
    }
