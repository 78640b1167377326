"""Helpers for the Silver transform tests: Bronze fixtures into a lake, Silver back out.

Not tests themselves. Bronze is written the way `PartitionWriter` lays it out (parts listed in a
`_manifest.json`), but from raw text lines, so fixtures can hold lines no JSON encoder would
produce (a truncated record, an HTML error page). Silver is read with pyarrow, independent of
the Spark code under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from wistia_assets.storage.layout import (
    BRONZE_WINDOW_PREFIXES,
    SILVER_TABLE_PREFIXES,
    manifest_key,
    metadata_snapshot,
    part_name,
    window_partition,
)
from wistia_assets.storage.objects import LocalStore

DATA = Path(__file__).parents[1] / "data"
MEDIA_A = "e4a27b971d"
MEDIA_B = "abc123def4"
HASH_KEY = b"test-hash-key-not-a-secret"

IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
# Full eight-group form, or any compressed form (it always contains `::`).
IPV6 = re.compile(
    r"(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?:[0-9a-f]{1,4}:)*:(?::[0-9a-f]{1,4})+|[0-9a-f]{1,4}::"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def fixture_lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


def write_bronze(
    root: Path,
    dataset: str,
    dt: str,
    media_id: str,
    lines: list[str],
    *,
    run_token: str = "20261121T020000Zabc123",  # noqa: S107 - a run token, not a password
    lines_per_part: int | None = None,
) -> dict[str, Any]:
    """Write one Bronze window partition (parts + manifest) from raw NDJSON lines."""
    store = LocalStore(root)
    partition = window_partition(BRONZE_WINDOW_PREFIXES[dataset], dt, media_id)
    store.delete_keys(store.list_keys(partition))
    size = lines_per_part or max(len(lines), 1)
    parts = []
    for index, start in enumerate(range(0, len(lines), size)):
        chunk = "".join(line + "\n" for line in lines[start : start + size]).encode()
        key = f"{partition}/{part_name(index, run_token)}"
        store.write_bytes(key, chunk)
        parts.append({"key": key, "rows": len(lines[start : start + size]), "bytes": len(chunk)})
    manifest = {
        "dataset": dataset,
        "dt": dt,
        "media_id": media_id,
        "source": "fixture",
        "pulled_at": "2026-11-21T02:00:00Z",
        "partition": partition,
        "run_token": run_token,
        "rows": len(lines),
        "bytes": sum(p["bytes"] for p in parts),
        "parts": parts,
        "committed_at": "2026-11-21T02:00:01Z",
    }
    store.write_bytes(manifest_key(partition), json.dumps(manifest, indent=2).encode())
    return manifest


def write_snapshot(root: Path, media_id: str, load_ts: str, fixture: str) -> str:
    key = f"{metadata_snapshot(media_id, load_ts)}/doc.json"
    LocalStore(root).write_bytes(key, (DATA / fixture).read_bytes())
    return key


def partition_dir(root: Path, table: str, dt: str, media_id: str) -> Path:
    return root / window_partition(SILVER_TABLE_PREFIXES[table], dt, media_id)


def parquet_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def read_rows(folder: Path) -> list[dict[str, Any]]:
    """Every row of the Parquet files below `folder` (data columns only), in file order."""
    rows: list[dict[str, Any]] = []
    for path in parquet_files(folder):
        rows.extend(pq.read_table(path, partitioning=None).to_pylist())
    return rows


def read_quarantine(root: Path, dataset: str, dt: str, media_id: str) -> list[dict[str, Any]]:
    folder = root / window_partition(f"bronze/wistia/_quarantine/{dataset}", dt, media_id)
    rows = []
    for path in sorted(folder.glob("part-*.json")):
        rows.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return rows


def strings_in(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def personal_looking_values(folder: Path) -> list[str]:
    """String values anywhere below `folder` that look like an IPv4/IPv6 address or an email."""
    found = []
    for row in read_rows(folder):
        for text in strings_in(row):
            if IPV4.search(text) or IPV6.search(text) or EMAIL.search(text):
                found.append(text)
    return found
