"""Erasure records and the suppression list: keyed hashes only, in the state store.

An erasure record is what an auditor is shown (`wistia-assets erase --list`): when it was asked
and finished, the hash of the value asked for, the hashes of the visitor keys and e-mails linked
to it, the partitions it rewrote, the events it removed, and the events ingestion has dropped
since. It is written `pending` before anything in the lake changes and marked `done` after the
last rebuild, so an interrupted erasure shows as pending and `erase` run again finishes it.

The suppression list is every hash of every record: ingestion drops an event that matches one.

Two stores, one interface: SQLite locally (`_state/erasures.sqlite`, beside the watermarks), and
in AWS the watermark table (DDB_TABLE) under its own partition key value `erasure`, which the
watermark store ignores (it reads only its datasets' items).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from wistia_assets.erasure.viewer import EMAIL, VISITOR_KEY

PENDING, DONE = "pending", "done"
# What a read-modify-write of one record returns: the record written (`merge`: always one), or
# None when the change wrote nothing.
R = TypeVar("R", bound="Erasure | None")
ERASURE_FILE = "erasures.sqlite"
# The watermark table's partition-key value of the erasure items (never a watermark dataset).
DYNAMO_PARTITION = "erasure"
# The item listing every record's id (an id always starts with `er-`).
INDEX_ID = "index"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def erasure_id(subject_hash: str) -> str:
    """One record per subject: asking again resumes (or repeats) the same erasure."""
    return f"er-{subject_hash[:16]}"


@dataclass
class Erasure:
    id: str
    kind: str  # what was asked for: email | visitor_key
    subject_hash: str
    requested_at: str
    status: str = PENDING
    finished_at: str | None = None
    visitor_hashes: list[str] = field(default_factory=list)
    email_hashes: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)  # "YYYY-MM-DD|media_id"
    events_removed: int = 0
    events_suppressed: int = 0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Erasure:
        return cls(**json.loads(text))

    def hashes(self) -> list[tuple[str, str]]:
        return [(VISITOR_KEY, h) for h in self.visitor_hashes] + [
            (EMAIL, h) for h in self.email_hashes
        ]


def merge(old: Erasure | None, new: Erasure) -> Erasure:
    """A repeated request keeps its first `requested_at` and adds what was found since."""
    if old is None:
        return new
    return Erasure(
        id=old.id,
        kind=old.kind,
        subject_hash=old.subject_hash,
        requested_at=old.requested_at,
        status=new.status,
        finished_at=new.finished_at,
        visitor_hashes=sorted({*old.visitor_hashes, *new.visitor_hashes}),
        email_hashes=sorted({*old.email_hashes, *new.email_hashes}),
        partitions=sorted({*old.partitions, *new.partitions}),
        events_removed=max(old.events_removed, new.events_removed),
        events_suppressed=old.events_suppressed,
    )


class ErasureStore(Protocol):
    def get(self, erasure_id: str) -> Erasure | None: ...
    def put(self, erasure: Erasure) -> Erasure: ...
    def all(self) -> list[Erasure]: ...
    def count_suppressed(self, counts: dict[str, int]) -> None: ...
    def link(self, erasure_id: str, kind: str, hashes: set[str]) -> None: ...


class SqliteErasureStore:
    """One SQLite file; each record one row holding its JSON (small, and read whole)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute(
            "CREATE TABLE IF NOT EXISTS erasures (id TEXT PRIMARY KEY, record TEXT NOT NULL)"
        )
        return db

    def get(self, erasure_id: str) -> Erasure | None:
        if not self.exists:
            return None
        with self._connect() as db:
            row = db.execute("SELECT record FROM erasures WHERE id=?", (erasure_id,)).fetchone()
        return Erasure.from_json(row[0]) if row else None

    def _update(self, erasure_id: str, change: Callable[[Erasure | None], R]) -> R:
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT record FROM erasures WHERE id=?", (erasure_id,)).fetchone()
                record = change(Erasure.from_json(row[0]) if row else None)
                if record is not None:
                    db.execute(
                        "INSERT INTO erasures (id, record) VALUES (?, ?) ON CONFLICT (id)"
                        " DO UPDATE SET record=excluded.record",
                        (record.id, record.to_json()),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return record

    def put(self, erasure: Erasure) -> Erasure:
        return self._update(erasure.id, lambda old: merge(old, erasure))

    def all(self) -> list[Erasure]:
        if not self.exists:
            return []
        with self._connect() as db:
            rows = db.execute("SELECT record FROM erasures ORDER BY id").fetchall()
        return sorted((Erasure.from_json(r[0]) for r in rows), key=lambda e: e.requested_at)

    def count_suppressed(self, counts: dict[str, int]) -> None:
        for erasure_id_, n in counts.items():

            def add(old: Erasure | None, n: int = n) -> Erasure | None:
                if old is None:
                    return None
                old.events_suppressed += n
                return old

            self._update(erasure_id_, add)

    def link(self, erasure_id: str, kind: str, hashes: set[str]) -> None:
        def add(old: Erasure | None) -> Erasure | None:
            if old is None:
                return None
            name = "visitor_hashes" if kind == VISITOR_KEY else "email_hashes"
            setattr(old, name, sorted({*getattr(old, name), *hashes}))
            return old

        self._update(erasure_id, add)


class DynamoErasureStore:
    """Items of the watermark table: partition key `erasure`, sort key the record's id, the
    record's JSON in `record`; the item `index` lists the ids (a string set). Every change is
    a read-modify-write conditional on the JSON read (the watermarks' compare-and-set)."""

    def __init__(self, table: str, client, key_attributes: tuple[str, str]):
        self.table, self.client = table, client
        self.pk, self.sk = key_attributes

    def _key(self, erasure_id: str) -> dict:
        return {self.pk: {"S": DYNAMO_PARTITION}, self.sk: {"S": erasure_id}}

    def _item(self, erasure_id: str) -> tuple[Erasure | None, str | None]:
        item = self.client.get_item(
            TableName=self.table, Key=self._key(erasure_id), ConsistentRead=True
        ).get("Item")
        if not item or "record" not in item:
            return None, None
        text = item["record"]["S"]
        return Erasure.from_json(text), text

    def get(self, erasure_id: str) -> Erasure | None:
        return self._item(erasure_id)[0]

    def _update(self, erasure_id: str, change: Callable[[Erasure | None], R]) -> R:
        from botocore.exceptions import ClientError

        for _ in range(5):
            old, text = self._item(erasure_id)
            record = change(old)
            if record is None:
                return record
            condition = (
                {"ConditionExpression": "attribute_not_exists(#r)"}
                if text is None
                else {"ConditionExpression": "#r = :old"}
            )
            values = {":new": {"S": record.to_json()}}
            if text is not None:
                values[":old"] = {"S": text}
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=self._key(erasure_id),
                    UpdateExpression="SET #r = :new",
                    ExpressionAttributeNames={"#r": "record"},
                    ExpressionAttributeValues=values,
                    **condition,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    continue
                raise
            return record
        raise RuntimeError(f"erasure record {erasure_id}: too many conflicting writes")

    def put(self, erasure: Erasure) -> Erasure:
        # The index first: a record is never written that `all` (ingestion's suppression) misses.
        self.client.update_item(
            TableName=self.table,
            Key=self._key(INDEX_ID),
            UpdateExpression="ADD #i :id",
            ExpressionAttributeNames={"#i": "ids"},
            ExpressionAttributeValues={":id": {"SS": [erasure.id]}},
        )
        return self._update(erasure.id, lambda old: merge(old, erasure))

    def _ids(self) -> list[str]:
        item = self.client.get_item(
            TableName=self.table, Key=self._key(INDEX_ID), ConsistentRead=True
        ).get("Item")
        return sorted(item.get("ids", {}).get("SS", [])) if item else []

    def all(self) -> list[Erasure]:
        # GetItem only (the index, then each record): the run task's role reads items of the
        # table and may not Query or Scan it.
        records = [r for r in (self.get(i) for i in self._ids()) if r is not None]
        return sorted(records, key=lambda e: e.requested_at)

    def count_suppressed(self, counts: dict[str, int]) -> None:
        for erasure_id_, n in counts.items():

            def add(old: Erasure | None, n: int = n) -> Erasure | None:
                if old is not None:
                    old.events_suppressed += n
                return old

            self._update(erasure_id_, add)

    def link(self, erasure_id: str, kind: str, hashes: set[str]) -> None:
        def add(old: Erasure | None) -> Erasure | None:
            if old is not None:
                name = "visitor_hashes" if kind == VISITOR_KEY else "email_hashes"
                setattr(old, name, sorted({*getattr(old, name), *hashes}))
            return old

        self._update(erasure_id, add)
