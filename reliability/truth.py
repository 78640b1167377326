"""Silver against the sandbox's ground truth, read back with pyarrow (no Spark in the checks).

`fact_events` partitions are UTC days; the sandbox generates account days (its
`day_offset_hours`): `utc_day_truth` is the ground truth of a UTC day, gathered from the account
days that overlap it. With no offset the two are the same.

- `check_events`: every ground-truth event of the (UTC day, media) exactly once in `fact_events`,
  by `event_key` and by the typed values that can be derived independently of the product code
  (timestamp, date, fraction viewed, keyed hashes, geography, user agent, cleaned URL, era).
- `check_by_date`: the one `fact_media_by_date` row equals the sandbox's final by_date row.
- `check_quarantine`: the Bronze quarantine of the partition holds exactly the records the
  sandbox served that are not ground truth (another media's events, schema-breaking records),
  each with the reason the transform documents.
- `check_table_unique`: `event_key` unique across the whole `fact_events` table.

Every check returns a list of problems (empty: it holds), so one case reports all of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from wistia_assets.sandbox import SandboxWistia
from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
    quarantine_partition,
    window_partition,
)

_URL = re.compile(r"^([a-z][a-z0-9+.\-]*)://(?:[^@/?#]*@)?([^:/?#]*)(?::\d*)?([^?#]*)", re.I)
MAX_LISTED = 5


def parquet_files(folder: Path) -> list[Path]:
    """Data files of a Silver partition or table folder: no bookkeeping, no staging."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts)
    )


def read_rows(files: list[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in files:
        # ParquetFile, not read_table: the file's own columns, no hive columns from the path.
        rows += pq.ParquetFile(path).read().to_pylist()
    return rows


def silver_rows(lake: Path, table_prefix: str, day: date, media: str) -> list[dict[str, Any]]:
    return read_rows(parquet_files(lake / window_partition(table_prefix, day, media)))


def hmac_hex(key: str, value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    return hmac.new(key.encode(), str(value).strip().encode(), hashlib.sha256).hexdigest()


def _blank(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _received_at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _has_conversion(data: Any) -> bool:
    if isinstance(data, dict):
        return any(v is not None and str(v).strip() != "" for v in data.values())
    if isinstance(data, list):
        return bool(data)
    return data not in (None, "", False)


def expected_event(record: dict[str, Any], hash_key: str) -> dict[str, Any]:
    """The Silver row of a ground-truth record, derived here without the product's code."""
    received = _received_at(record["received_at"])
    ua = record.get("user_agent_details") or {}
    url = _URL.match(record.get("embed_url") or "")
    host = url.group(2).lower() if url else None
    pv = float(record["percent_viewed"])
    conversion_type = record.get("conversion_type")
    legacy = "." not in record["received_at"] or record.get("conversion_data") == "" or pv > 1
    return {
        "event_key": record["event_key"],
        "received_at": received,
        "event_date": received.date(),
        "visitor_hash": hmac_hex(hash_key, record.get("visitor_key")),
        "ip_hash": hmac_hex(hash_key, record.get("ip")),
        "percent_viewed": pv if pv <= 1 else pv / 100,
        "embed_url": f"{url.group(1).lower()}://{host}{url.group(3)}" if url else None,
        "embed_host": host,
        "country": _blank(record.get("country")),
        "region": _blank(record.get("region")),
        "city": _blank(record.get("city")),
        "org": _blank(record.get("org")),
        "browser": _blank(ua.get("browser")),
        "browser_version": _blank(ua.get("browser_version")),
        "platform": _blank(ua.get("platform")),
        "is_mobile": ua.get("mobile") if ua else None,
        "media_name": _blank(record.get("media_name")),
        "conversion_type": (
            None if conversion_type is None else _blank(str(conversion_type).strip())
        ),
        "has_conversion": _has_conversion(record.get("conversion_data")),
        "payload_era": "legacy" if legacy else "current",
    }


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    received = out.get("received_at")
    if isinstance(received, datetime) and received.tzinfo is None:
        out["received_at"] = received.replace(tzinfo=UTC)
    return out


def _listed(items) -> str:
    items = sorted(items)
    more = f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
    return ", ".join(str(i) for i in items[:MAX_LISTED]) + more


def _utc_span(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def account_days_of(sandbox: SandboxWistia, day: date) -> list[date]:
    """The sandbox account's days that overlap UTC day `day`."""
    start, end = _utc_span(day)
    first = sandbox.timeline.local_day(int(start.timestamp() * 1000))
    last = sandbox.timeline.local_day(int(end.timestamp() * 1000) - 1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def on_utc_day(received_at: Any, day: date) -> bool:
    try:
        return _received_at(str(received_at)).date() == day
    except ValueError:
        return False


def utc_day_truth(sandbox: SandboxWistia, media: str, day: date) -> list[dict[str, Any]]:
    """Every ground-truth event of `media` received on UTC day `day`."""
    return [
        record
        for account_day in account_days_of(sandbox, day)
        for record in sandbox.ground_truth_events(media, account_day)
        if on_utc_day(record["received_at"], day)
    ]


def check_events(
    sandbox: SandboxWistia,
    lake: Path,
    day: date,
    media: str,
    hash_key: str,
    *,
    truth: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Problems with `fact_events` of (day, media) against the ground truth (or `truth`)."""
    where = f"fact_events {day}|{media}"
    truth = utc_day_truth(sandbox, media, day) if truth is None else truth
    rows = silver_rows(lake, SILVER_FACT_EVENTS, day, media)
    problems = []
    counts = Counter(r["event_key"] for r in rows)
    duplicated = [k for k, n in counts.items() if n > 1]
    if duplicated:
        problems.append(f"{where}: {len(duplicated)} event_key(s) twice: {_listed(duplicated)}")
    expected = {r["event_key"]: r for r in truth}
    missing = expected.keys() - counts.keys()
    extra = counts.keys() - expected.keys()
    if missing:
        problems.append(
            f"{where}: {len(missing)} ground-truth event(s) missing: {_listed(missing)}"
        )
    if extra:
        problems.append(f"{where}: {len(extra)} event(s) not in ground truth: {_listed(extra)}")
    mismatched: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for row in rows:
        record = expected.get(row["event_key"])
        if record is None:
            continue
        want = expected_event(record, hash_key)
        got = _normalise(row)
        for column, value in want.items():
            if got.get(column) != value:
                mismatched[column] += 1
                examples.setdefault(column, f"{row['event_key']}: {got.get(column)!r} != {value!r}")
    for column, n in sorted(mismatched.items()):
        problems.append(f"{where}: {column} differs in {n} row(s), e.g. {examples[column]}")
    return problems


def check_by_date(sandbox: SandboxWistia, lake: Path, day: date, media: str) -> list[str]:
    where = f"fact_media_by_date {day}|{media}"
    truth = sandbox.ground_truth_by_date(media, day)
    rows = silver_rows(lake, SILVER_FACT_MEDIA_BY_DATE, day, media)
    if len(rows) != 1:
        return [f"{where}: {len(rows)} rows, expected exactly 1"]
    row = rows[0]
    want = {
        "date": date.fromisoformat(truth["date"]),
        "load_count": int(truth["load_count"]),
        "play_count": int(truth["play_count"]),
        "hours_watched": float(truth["hours_watched"]),
    }
    return [
        f"{where}: {column} is {row.get(column)!r}, ground truth {value!r}"
        for column, value in want.items()
        if row.get(column) != value
    ]


def served_non_truth(sandbox: SandboxWistia, day: date, media: str) -> list[tuple[str, dict]]:
    """(expected reason, record) of every record the feed serves now that is not ground truth
    and that the partition of UTC day `day` judges: received that day, or at no readable time
    (those cannot be routed to another day)."""
    now = sandbox.now_ms()
    out = []
    for account_day in account_days_of(sandbox, day):
        plan = sandbox.timeline.plan(sandbox.timeline.slot_of[media], account_day)
        for stream in (plan.bad, plan.foreign):
            if stream is None:
                continue
            for i in range(stream.visible(now, 0)):
                record = stream.record(i)
                received = record.get("received_at")
                if on_utc_day(received, day) or not _readable(received):
                    out.append((expected_reason(record, media), record))
    return out


def _readable(received_at: Any) -> bool:
    try:
        _received_at(str(received_at).strip())
    except ValueError:
        return False
    return True


def expected_reason(record: dict[str, Any], media: str) -> str:
    """The quarantine reason `fact_events` documents, first matching rule first."""
    if record.get("media_id") not in (None, "", media):
        return f"record media_id={record['media_id']} differs from partition media_id={media}"
    if not record.get("event_key"):
        return "missing event_key"
    try:
        _received_at(str(record.get("received_at")).strip())
    except ValueError:
        return "unparsable received_at"
    return "percent_viewed out of range"


def quarantine_rows(lake: Path, dataset: str, day: date, media: str) -> list[dict[str, Any]]:
    folder = lake / quarantine_partition(dataset, day, media)
    if not folder.is_dir():
        return []
    rows = []
    for path in sorted(folder.glob("part-*.json")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def _canonical(record: Any) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def check_quarantine(sandbox: SandboxWistia, lake: Path, day: date, media: str) -> list[str]:
    where = f"quarantine events {day}|{media}"
    want = Counter(
        (reason, _canonical(record)) for reason, record in served_non_truth(sandbox, day, media)
    )
    got = Counter(
        (row.get("reason"), _canonical(json.loads(row["line"])))
        for row in quarantine_rows(lake, "events", day, media)
    )
    problems = []
    if got - want:
        reasons = Counter(reason for reason, _ in (got - want).elements())
        problems.append(f"{where}: unexpected entries by reason {dict(reasons)}")
    if want - got:
        reasons = Counter(reason for reason, _ in (want - got).elements())
        problems.append(f"{where}: missing entries by reason {dict(reasons)}")
    return problems


def quarantine_summary(lake: Path, day: date, media: str) -> dict[str, int]:
    counts = Counter(row["reason"] for row in quarantine_rows(lake, "events", day, media))
    return dict(sorted(counts.items()))


def check_table_unique(lake: Path) -> list[str]:
    keys = Counter(
        row["event_key"]
        for path in parquet_files(lake / SILVER_FACT_EVENTS)
        for row in pq.ParquetFile(path).read(columns=["event_key"]).to_pylist()
    )
    twice = [k for k, n in keys.items() if n > 1]
    return [
        f"fact_events: {len(twice)} event_key(s) in more than one row: {_listed(twice)}"
    ] * bool(twice)


def check_window(
    sandbox: SandboxWistia, lake: Path, day: date, media: str, hash_key: str
) -> list[str]:
    """Events, by_date and quarantine of one partition against the ground truth."""
    return (
        check_events(sandbox, lake, day, media, hash_key)
        + check_by_date(sandbox, lake, day, media)
        + check_quarantine(sandbox, lake, day, media)
    )


def bronze_manifest(lake: Path, day: date, media: str, prefix: str = BRONZE_EVENTS) -> dict | None:
    path = lake / window_partition(prefix, day, media) / "_manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def partition_snapshot(lake: Path, relative: str) -> dict[str, bytes]:
    """Every file under a partition folder (hidden staging included) by relative path."""
    folder = lake / relative
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sorted_rows(lake: Path, table_prefix: str, day: date, media: str) -> list[tuple]:
    """Rows as sorted tuples of their values: equal lists mean identical partitions."""
    rows = silver_rows(lake, table_prefix, day, media)
    return sorted(tuple((k, repr(v)) for k, v in sorted(row.items())) for row in rows)
