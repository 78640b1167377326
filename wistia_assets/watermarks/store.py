"""Watermarks: for each (dataset, media), the day up to which every day has been built.

The daily schedule catches up from them when days were missed or failed. A watermark moves only
contiguously — to the day after it, when that day's Silver build succeeded — so it never passes a
day that was not built: a failing day holds it, and every tick requests that day again until it
succeeds or an operator moves the watermark (`override`, `wistia-assets watermark set`, logged).
Days built beyond a hole do not move it; the schedule re-builds them from the watermark once
the hole is filled, in day order, each moving it one day.

Writes are conditional on the value read (a compare-and-set), so watermarks only move forward
even with several writers: a late, slower run of an older day can never pull one back.

A watermark that does not exist yet is created by the first build: at that day, or, when the
run names the day before the first day its tick requested (`origin`: the schedule's tag), at
`origin` — so a first tick whose older day fails while the newer one succeeds still asks for
the older day next time.

Two stores, one interface: SQLite in the lake folder locally, DynamoDB in AWS (attributes
`last_date`, `updated_at`; the key attribute names — ours are `dataset`/`media_id`, the older
seed's `pk`/`sk` — come from the table's own key schema, or from `DDB_KEY_ATTRIBUTES`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from wistia_assets.settings import ConfigError, parse_media_id

log = logging.getLogger(__name__)

DATASETS = ("events", "media_by_date")
# Compare-and-set attempts before giving up: each lost race means another writer moved the
# watermark, and the run queue allows one run per media at a time, so one retry is plenty.
MAX_CAS_ATTEMPTS = 5


def check_dataset(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ConfigError(f"unknown watermark dataset {dataset!r}: expected one of {DATASETS}")
    return dataset


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def next_watermark(current: date | None, day: date, origin: date | None = None) -> date | None:
    """The watermark once `day` is built, or None when it stays as it is.

    Contiguous only: `day` moves it when it is the day after it. A missing watermark starts at
    `day`, or at `origin` (the day before the first day wanted) when that is earlier.
    """
    if current is None:
        if origin is None or origin >= day:
            return day
        current = origin
        return day if day == origin + timedelta(days=1) else origin
    return day if day == current + timedelta(days=1) else None


@dataclass(frozen=True)
class Watermark:
    dataset: str
    media_id: str
    last_date: date
    updated_at: str  # when it last moved (ISO, UTC); "" when unknown (an item of the seed)

    @property
    def moved_at(self) -> datetime | None:
        try:
            moment = datetime.fromisoformat(self.updated_at.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WatermarkStore(Protocol):
    def get(self, dataset: str, media_id: str) -> date | None: ...
    def mark(self, dataset: str, media_id: str) -> Watermark | None: ...
    def advance(
        self, dataset: str, media_id: str, day: date, *, origin: date | None = None
    ) -> bool: ...
    def override(self, dataset: str, media_id: str, day: date) -> Watermark: ...
    def all(self) -> list[Watermark]: ...


class SqliteWatermarkStore:
    """Local store: one SQLite file; a move is a compare-and-set under SQLite's write lock."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS watermarks ("
                " dataset TEXT NOT NULL, media_id TEXT NOT NULL, last_date TEXT NOT NULL,"
                " updated_at TEXT NOT NULL, PRIMARY KEY (dataset, media_id))"
            )

    def _connect(self) -> sqlite3.Connection:
        # Several run processes may write at once; wait for the lock rather than fail.
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def mark(self, dataset: str, media_id: str) -> Watermark | None:
        dataset, media_id = check_dataset(dataset), parse_media_id(media_id)
        with self._connect() as db:
            row = db.execute(
                "SELECT last_date, updated_at FROM watermarks WHERE dataset=? AND media_id=?",
                (dataset, media_id),
            ).fetchone()
        return Watermark(dataset, media_id, date.fromisoformat(row[0]), row[1]) if row else None

    def get(self, dataset: str, media_id: str) -> date | None:
        mark = self.mark(dataset, media_id)
        return mark.last_date if mark else None

    def advance(
        self, dataset: str, media_id: str, day: date, *, origin: date | None = None
    ) -> bool:
        """Record that `day` was built; True when the watermark moved to it."""
        dataset, media_id = check_dataset(dataset), parse_media_id(media_id)
        with self._lock, self._connect() as db:
            # The write lock first: the read and the write below are one compare-and-set.
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT last_date FROM watermarks WHERE dataset=? AND media_id=?",
                    (dataset, media_id),
                ).fetchone()
                current = date.fromisoformat(row[0]) if row else None
                new = next_watermark(current, day, origin)
                if new is not None and current is None:
                    db.execute(
                        "INSERT INTO watermarks (dataset, media_id, last_date, updated_at)"
                        " VALUES (?, ?, ?, ?)",
                        (dataset, media_id, new.isoformat(), _now()),
                    )
                elif new is not None:
                    db.execute(
                        "UPDATE watermarks SET last_date=?, updated_at=?"
                        " WHERE dataset=? AND media_id=? AND last_date=? AND ? > last_date",
                        (new.isoformat(), _now(), dataset, media_id, row[0], new.isoformat()),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return new == day

    def override(self, dataset: str, media_id: str, day: date) -> Watermark:
        stamp = _now()
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO watermarks (dataset, media_id, last_date, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (dataset, media_id) DO UPDATE"
                " SET last_date=excluded.last_date, updated_at=excluded.updated_at",
                (check_dataset(dataset), parse_media_id(media_id), day.isoformat(), stamp),
            )
        log.warning("watermark override: %s/%s set to %s", dataset, media_id, day)
        return Watermark(dataset, media_id, day, stamp)

    def all(self) -> list[Watermark]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT dataset, media_id, last_date, updated_at FROM watermarks"
                " ORDER BY dataset, media_id"
            ).fetchall()
        return [Watermark(d, m, date.fromisoformat(ld), u) for d, m, ld, u in rows]


class DynamoWatermarkStore:
    """AWS store: a DynamoDB table; every move is an UpdateItem conditional on the value read.

    The key attribute names are the table's own (DescribeTable, once per store) unless given:
    `("dataset", "media_id")` for the table our data stack creates, `("pk", "sk")` for the
    seed's. UpdateItem (not PutItem) leaves any other attribute of the item as it was.
    """

    def __init__(self, table: str, client, key_attributes: tuple[str, str] | None = None):
        self.table = table
        self.client = client
        self._key_attributes = key_attributes

    @property
    def key_attributes(self) -> tuple[str, str]:
        """(partition key: the dataset, sort key: the media id) attribute names."""
        if self._key_attributes is None:
            self._key_attributes = self._describe_keys()
        return self._key_attributes

    def _describe_keys(self) -> tuple[str, str]:
        from botocore.exceptions import ClientError

        try:
            table = self.client.describe_table(TableName=self.table)["Table"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                raise ConfigError(
                    f"DynamoDB table {self.table} (DDB_TABLE) does not exist: create it with the "
                    "data stack (deploy/cloudformation/data.yaml) or set DDB_TABLE"
                ) from None
            if code in ("AccessDeniedException", "UnrecognizedClientException"):
                raise ConfigError(
                    f"reading the key schema of DynamoDB table {self.table} was refused ({code}):"
                    " allow dynamodb:DescribeTable on it, or name its keys in "
                    "DDB_KEY_ATTRIBUTES (e.g. dataset,media_id or pk,sk)"
                ) from None
            raise
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        hash_key, range_key = keys.get("HASH"), keys.get("RANGE")
        if hash_key is None or range_key is None or {types[hash_key], types[range_key]} != {"S"}:
            shape = ", ".join(f"{name} ({types.get(name)}, {kind})" for kind, name in keys.items())
            raise ConfigError(
                f"DynamoDB table {self.table} has the key {shape}: a watermark table needs a "
                "string partition key (the dataset) and a string sort key (the media id), as "
                "deploy/cloudformation/data.yaml creates it"
            )
        return hash_key, range_key

    def _key(self, dataset: str, media_id: str) -> dict:
        pk, sk = self.key_attributes
        return {pk: {"S": check_dataset(dataset)}, sk: {"S": parse_media_id(media_id)}}

    def mark(self, dataset: str, media_id: str) -> Watermark | None:
        item = self.client.get_item(
            TableName=self.table,
            Key=self._key(dataset, media_id),
            ConsistentRead=True,
            ProjectionExpression="#d, #t",
            ExpressionAttributeNames={"#d": "last_date", "#t": "updated_at"},
        ).get("Item")
        if not item or "S" not in item.get("last_date", {}):
            return None
        return Watermark(
            dataset,
            media_id,
            date.fromisoformat(item["last_date"]["S"]),
            item.get("updated_at", {}).get("S", ""),
        )

    def _read(self, dataset: str, media_id: str) -> date | None:
        mark = self.mark(dataset, media_id)
        return mark.last_date if mark else None

    def get(self, dataset: str, media_id: str) -> date | None:
        return self._read(dataset, media_id)

    def _write(self, dataset: str, media_id: str, day: date, condition: dict | None) -> None:
        """SET last_date, updated_at; `condition`: the expression and its values, or None."""
        values = {":d": {"S": day.isoformat()}, ":t": {"S": _now()}}
        extra = {}
        if condition is not None:
            extra["ConditionExpression"] = condition["expression"]
            values.update(condition.get("values", {}))
        self.client.update_item(
            TableName=self.table,
            Key=self._key(dataset, media_id),
            # Names through placeholders: attribute names can be DynamoDB reserved words.
            UpdateExpression="SET #d = :d, #t = :t",
            ExpressionAttributeNames={"#d": "last_date", "#t": "updated_at"},
            ExpressionAttributeValues=values,
            **extra,
        )

    def advance(
        self, dataset: str, media_id: str, day: date, *, origin: date | None = None
    ) -> bool:
        """Record that `day` was built; True when the watermark moved to it."""
        from botocore.exceptions import ClientError

        for _ in range(MAX_CAS_ATTEMPTS):
            current = self._read(dataset, media_id)
            new = next_watermark(current, day, origin)
            if new is None:
                return False
            if current is None:
                condition = {"expression": "attribute_not_exists(#d)"}
            else:
                # Exactly the value read, and forward: a compare-and-set.
                condition = {
                    "expression": "#d = :old AND #d < :d",
                    "values": {":old": {"S": current.isoformat()}},
                }
            try:
                self._write(dataset, media_id, new, condition)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    continue  # another writer moved it: read again
                raise
            return new == day
        log.warning(
            "watermark %s/%s: %d conflicting writes while recording %s; left as it is",
            dataset,
            media_id,
            MAX_CAS_ATTEMPTS,
            day,
        )
        return False

    def override(self, dataset: str, media_id: str, day: date) -> Watermark:
        self._write(dataset, media_id, day, None)
        log.warning("watermark override: %s/%s set to %s", dataset, media_id, day)
        return Watermark(dataset, media_id, day, _now())

    def all(self) -> list[Watermark]:
        """Every watermark of the table; items that are not watermarks (a shared table) are
        left out."""
        pk, sk = self.key_attributes
        paginator = self.client.get_paginator("scan")
        marks = [
            Watermark(
                item[pk]["S"],
                item[sk]["S"],
                date.fromisoformat(item["last_date"]["S"]),
                item.get("updated_at", {}).get("S", ""),
            )
            for page in paginator.paginate(TableName=self.table, ConsistentRead=True)
            for item in page.get("Items", [])
            if item.get(pk, {}).get("S") in DATASETS and "S" in item.get("last_date", {})
        ]
        return sorted(marks, key=lambda w: (w.dataset, w.media_id))
