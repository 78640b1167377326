"""Security scans: secrets where they must never be, personal data in Silver, hostile inputs.

- `secret_forms` / `scan_text` / `scan_files`: the token and the hash key in any encoding a
  careless log line or header dump would produce (raw, URL-quoted, base64, hex), in text and in
  every byte of every file (SQLite event log storage and Parquet included).
- `dagster_records`: everything the instance keeps about a run (event log entries with their
  metadata and error chains, the run record with tags and config), serialised for the scan.
- `scan_silver`: every string value of every Silver table against IP/e-mail patterns, forbidden
  columns, URL query strings and the exact personal values the sandbox served.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow.parquet as pq

from reliability.truth import parquet_files
from wistia_assets.storage.layout import SILVER_TABLE_PREFIXES
from wistia_assets.transforms.schema import FORBIDDEN_SILVER_COLUMNS

IPV4 = re.compile(
    r"(?<![0-9.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![0-9.])"
)
IPV6 = re.compile(
    r"(?i)(?<![0-9a-f:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}(?![0-9a-f:])|::[0-9a-f]{1,4}"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Columns whose values are dotted numbers by nature (Chrome's reduced UA reports 131.0.0.0).
VERSION_COLUMNS = frozenset({"browser_version"})


def secret_forms(secret: str) -> dict[str, bytes]:
    raw = secret.encode()
    return {
        "raw": raw,
        "url-quoted": quote(secret, safe="").encode(),
        "base64": base64.b64encode(raw).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "hex": raw.hex().encode(),
        "utf-16": secret.encode("utf-16-le"),
    }


def scan_text(text: str, secrets: dict[str, str], where: str) -> list[str]:
    return scan_bytes(text.encode("utf-8", "replace"), secrets, where)


def scan_bytes(data: bytes, secrets: dict[str, str], where: str) -> list[str]:
    hits = []
    for name, secret in secrets.items():
        for form, needle in secret_forms(secret).items():
            if needle and needle in data:
                hits.append(f"{name} ({form}) found in {where}")
    return hits


def scan_files(roots: Iterable[Path], secrets: dict[str, str]) -> tuple[list[str], int]:
    """(hits, files scanned) over every file below `roots`, read as bytes."""
    hits: list[str] = []
    scanned = 0
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            scanned += 1
            hits += scan_bytes(path.read_bytes(), secrets, str(path.relative_to(root.parent)))
    return hits, scanned


def dagster_records(instance, run_ids: Iterable[str]) -> list[str]:
    """Every event log entry and run record of the runs, serialised (metadata, errors, tags)."""
    from dagster._serdes import serialize_value

    texts = []
    for run_id in run_ids:
        for entry in instance.all_logs(run_id):
            texts.append(serialize_value(entry))
        run = instance.get_run_by_id(run_id)
        if run is not None:
            texts.append(serialize_value(run))
    return texts


def personal_values(records: Iterable[dict[str, Any]]) -> set[str]:
    """The exact personal strings the API sent: ips, e-mails, visitor keys, heatmap tokens."""
    values: set[str] = set()
    for record in records:
        for field in ("ip", "email", "visitor_key"):
            if record.get(field):
                values.add(str(record[field]))
        data = record.get("conversion_data")
        if isinstance(data, dict):
            values |= {str(v) for k, v in data.items() if k in ("email", "first_name") and v}
        heatmap = record.get("iframe_heatmap_url") or ""
        if "public_token=" in heatmap:
            values.add(heatmap.split("public_token=", 1)[1])
    # A first name alone is not a finding in a city or media name column; keep long ones only.
    return {v for v in values if len(v) >= 8}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def scan_silver(lake: Path, known: set[str] | None = None) -> tuple[list[str], int]:
    """(problems, string values scanned) over every Silver table of the lake."""
    problems: list[str] = []
    scanned = 0
    known = known or set()
    for table, prefix in SILVER_TABLE_PREFIXES.items():
        for path in parquet_files(lake / prefix):
            data = pq.ParquetFile(path).read()
            forbidden = sorted(FORBIDDEN_SILVER_COLUMNS & {c.lower() for c in data.column_names})
            if forbidden:
                problems.append(f"{table}: forbidden column(s) {forbidden} in {path.name}")
            for column in data.column_names:
                for value in data.column(column).to_pylist():
                    for text in _strings(value):
                        scanned += 1
                        problems += _value_problems(table, column, text, known)
    return problems, scanned


def _value_problems(table: str, column: str, text: str, known: set[str]) -> list[str]:
    found = []
    if EMAIL.search(text):
        found.append("e-mail-looking")
    if column not in VERSION_COLUMNS and (IPV4.search(text) or IPV6.search(text)):
        found.append("IP-looking")
    if column == "embed_url" and ("?" in text or "#" in text):
        found.append("URL with query or fragment")
    if any(value in text for value in known):
        found.append("a personal value the API sent")
    # The value itself is not printed: the report must not become the leak.
    return [f"{table}.{column}: {kind} value" for kind in found]


# Every file the pipeline may write, relative to the lake root (one folder locally).
_DAY = r"dt=\d{4}-\d{2}-\d{2}"
_MEDIA = r"media_id=[a-z0-9]{4,32}"
LAYOUT = re.compile(
    "^(?:"
    + "|".join(
        [
            rf"bronze/wistia/(?:events|media_by_date)/{_DAY}/{_MEDIA}/[^/]+",
            rf"bronze/wistia/media_metadata/{_MEDIA}/load_ts=\d{{8}}T\d{{12}}Z/[^/]+",
            rf"bronze/wistia/_quarantine/(?:events|media_by_date)/{_DAY}/{_MEDIA}/[^/]+",
            rf"silver/wistia/(?:fact_events|fact_media_by_date)/{_DAY}/{_MEDIA}/[^/]+",
            r"silver/wistia/(?:fact_events|fact_media_by_date)/\.spark-staging-[^/]+/.+",
            r"silver/wistia/(?:fact_events|fact_media_by_date)/[._][^/]+",
            r"silver/wistia/dim_media/[^/]+",
            # Gold has one partition per day (every media in it) and the report one file per range.
            rf"gold/wistia/media_daily/{_DAY}/[^/]+",
            r"gold/wistia/media_daily/(?:\.spark-staging-[^/]+/.+|[._][^/]+)",
            r"reports/wistia/media_report_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.html",
            r"_state/[^/]+",
            r"_staging/[0-9a-f]{32}\.tmp",
            r"_locks/[0-9a-f]{32}\.lock",
        ]
    )
    + ")$"
)


def check_layout(lake: Path) -> list[str]:
    """Files of the lake outside the documented layout (a media id that escaped its folder)."""
    if not lake.is_dir():
        return []
    stray = sorted(
        p.relative_to(lake).as_posix()
        for p in lake.rglob("*")
        if p.is_file() and not LAYOUT.match(p.relative_to(lake).as_posix())
    )
    return [f"{len(stray)} file(s) outside the documented layout: {stray[:5]}"] if stray else []
