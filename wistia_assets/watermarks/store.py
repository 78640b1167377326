"""Watermarks: the last day each (dataset, media) was fully processed.

The daily schedule catches up from them when days were missed. They only move forward
(`advance` is a conditional write: a late, slower run of an older day can never pull a watermark
back), and they move only after the partition succeeded (the Silver asset calls `advance` after its
write). `override` is the operator's escape hatch (`wistia-assets watermark set`): it may move a
watermark backwards, to make the schedule re-process days, and it is logged.

Two stores, one interface: SQLite in the lake folder locally, DynamoDB in AWS
(pk `dataset`, sk `media_id`, attributes `last_date`, `updated_at`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from wistia_assets.settings import ConfigError, parse_media_id

log = logging.getLogger(__name__)

DATASETS = ("events", "media_by_date")


def check_dataset(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ConfigError(f"unknown watermark dataset {dataset!r}: expected one of {DATASETS}")
    return dataset


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Watermark:
    dataset: str
    media_id: str
    last_date: date
    updated_at: str


class WatermarkStore(Protocol):
    def get(self, dataset: str, media_id: str) -> date | None: ...
    def advance(self, dataset: str, media_id: str, day: date) -> bool: ...
    def override(self, dataset: str, media_id: str, day: date) -> Watermark: ...
    def all(self) -> list[Watermark]: ...


class SqliteWatermarkStore:
    """Local store: one SQLite file; the forward-only rule is a conditional UPSERT."""

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

    def get(self, dataset: str, media_id: str) -> date | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT last_date FROM watermarks WHERE dataset=? AND media_id=?",
                (check_dataset(dataset), parse_media_id(media_id)),
            ).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def advance(self, dataset: str, media_id: str, day: date) -> bool:
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO watermarks (dataset, media_id, last_date, updated_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (dataset, media_id) DO UPDATE"
                " SET last_date=excluded.last_date, updated_at=excluded.updated_at"
                " WHERE excluded.last_date > watermarks.last_date",
                (check_dataset(dataset), parse_media_id(media_id), day.isoformat(), _now()),
            )
            return cursor.rowcount == 1

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
    """AWS store: DynamoDB table, forward-only through a ConditionExpression."""

    def __init__(self, table: str, client):
        self.table = table
        self.client = client

    def get(self, dataset: str, media_id: str) -> date | None:
        item = self.client.get_item(
            TableName=self.table,
            Key=self._key(dataset, media_id),
            ConsistentRead=True,
        ).get("Item")
        return date.fromisoformat(item["last_date"]["S"]) if item else None

    def advance(self, dataset: str, media_id: str, day: date) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self._key(dataset, media_id),
                    "last_date": {"S": day.isoformat()},
                    "updated_at": {"S": _now()},
                },
                # ISO dates compare correctly as strings.
                ConditionExpression="attribute_not_exists(last_date) OR last_date < :d",
                ExpressionAttributeValues={":d": {"S": day.isoformat()}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def override(self, dataset: str, media_id: str, day: date) -> Watermark:
        stamp = _now()
        self.client.put_item(
            TableName=self.table,
            Item={
                **self._key(dataset, media_id),
                "last_date": {"S": day.isoformat()},
                "updated_at": {"S": stamp},
            },
        )
        log.warning("watermark override: %s/%s set to %s", dataset, media_id, day)
        return Watermark(dataset, media_id, day, stamp)

    def all(self) -> list[Watermark]:
        paginator = self.client.get_paginator("scan")
        marks = [
            Watermark(
                item["dataset"]["S"],
                item["media_id"]["S"],
                date.fromisoformat(item["last_date"]["S"]),
                item.get("updated_at", {}).get("S", ""),
            )
            for page in paginator.paginate(TableName=self.table, ConsistentRead=True)
            for item in page.get("Items", [])
        ]
        return sorted(marks, key=lambda w: (w.dataset, w.media_id))

    @staticmethod
    def _key(dataset: str, media_id: str) -> dict:
        return {
            "dataset": {"S": check_dataset(dataset)},
            "media_id": {"S": parse_media_id(media_id)},
        }
