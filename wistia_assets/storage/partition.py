"""Replace one Bronze partition atomically: new parts, then the manifest, then stale parts go.

Readers (the Silver job) read exactly the parts the manifest names, so they see either the
previous pull or the new one, never a mix and never a half-written file: a part becomes visible
only complete (see `objects`), and the manifest is written only after every part is. A write
killed midway leaves at most finished parts that no manifest names; the next write of the
partition deletes them. Memory stays flat: records are streamed line by line into parts.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from wistia_assets.storage.layout import MANIFEST_NAME, manifest_key, part_name
from wistia_assets.storage.objects import ByteSink, ObjectStore

# Large days roll over into several parts so no single object grows without bound.
DEFAULT_MAX_PART_BYTES = 256 * 1024 * 1024


def new_run_token(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{moment.strftime('%Y%m%dT%H%M%S')}Z{secrets.token_hex(3)}"


class BronzeNotIngested(LookupError):
    """The Bronze partition (or dataset) a Silver table needs was never written."""


def read_manifest(store: ObjectStore, partition: str) -> dict[str, Any] | None:
    """The committed manifest of a partition, or None when it was never (fully) written."""
    key = manifest_key(partition)
    if not store.exists(key):
        return None
    return json.loads(store.read_bytes(key))


def encode_record(record: Any) -> bytes:
    # Compact, key order kept, non-ASCII kept: the line holds the API's record as parsed.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class PartitionWriter:
    """Streams NDJSON records into `part-NNNNN-<run_token>.json` files under `partition`."""

    def __init__(
        self,
        store: ObjectStore,
        partition: str,
        *,
        run_token: str | None = None,
        max_part_bytes: int = DEFAULT_MAX_PART_BYTES,
    ):
        self.store = store
        self.partition = partition.rstrip("/")
        self.run_token = run_token or new_run_token()
        self.max_part_bytes = max_part_bytes
        self.parts: list[dict[str, Any]] = []
        self.rows = 0
        self.bytes = 0
        self._stack = contextlib.ExitStack()
        self._out: ByteSink | None = None
        self._part_rows = 0
        self._part_bytes = 0
        self._lock: contextlib.AbstractContextManager[None] | None = None

    def __enter__(self) -> PartitionWriter:
        # One writer of the partition at a time: a commit deletes every part its manifest does
        # not name, which would include the finished parts of a writer still running.
        self._lock = self.store.lock(self.partition)
        self._lock.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On error, the open part is aborted (never becomes visible) and no manifest is written.
        try:
            self._stack.__exit__(exc_type, exc, tb)
        finally:
            if self._lock is not None:
                self._lock.__exit__(exc_type, exc, tb)
                self._lock = None

    def abandon(self) -> None:
        """Drop what this writer wrote (finished parts included): no manifest names it."""
        self._close_part()
        self.store.delete_keys([p["key"] for p in self.parts])
        self.parts, self.rows = [], 0

    def _open_part(self) -> ByteSink:
        key = f"{self.partition}/{part_name(len(self.parts), self.run_token)}"
        self._out = out = self._stack.enter_context(self.store.open_writer(key))
        self.parts.append({"key": key, "rows": 0, "bytes": 0})
        self._part_rows = self._part_bytes = 0
        return out

    def _close_part(self) -> None:
        if self._out is None:
            return
        self.parts[-1].update(rows=self._part_rows, bytes=self._part_bytes)
        # Closing the innermost context commits the part (rename / complete upload).
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self._out = None

    def write_records(self, records: Iterable[Any]) -> int:
        return self.write_lines(encode_record(record) for record in records)

    def write_lines(self, lines: Iterable[bytes]) -> int:
        """NDJSON lines as they are (each ending in a newline): an erasure keeps every other
        record of a partition byte for byte."""
        written = 0
        for line in lines:
            out = self._out
            if out is None or self._part_bytes + len(line) > self.max_part_bytes:
                if out is not None and self._part_rows:
                    self._close_part()
                    out = None
                if out is None:
                    out = self._open_part()
            out.write(line)
            self._part_rows += 1
            self._part_bytes += len(line)
            written += 1
        self.rows += written
        return written

    def commit(self, **manifest_fields: Any) -> dict[str, Any]:
        """Finish the parts, publish the manifest, then remove what the previous write left."""
        self._close_part()
        self.bytes = sum(p["bytes"] for p in self.parts)
        manifest = {
            **manifest_fields,
            "partition": self.partition,
            "run_token": self.run_token,
            "rows": self.rows,
            "bytes": self.bytes,
            "parts": self.parts,
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        self.store.write_bytes(
            manifest_key(self.partition),
            json.dumps(manifest, indent=2, sort_keys=True).encode(),
        )
        keep = {p["key"] for p in self.parts} | {manifest_key(self.partition)}
        stale = [k for k in self.store.list_keys(self.partition) if k not in keep]
        self.store.delete_keys(stale)
        return manifest


__all__ = [
    "MANIFEST_NAME",
    "PartitionWriter",
    "encode_record",
    "new_run_token",
    "read_manifest",
]
