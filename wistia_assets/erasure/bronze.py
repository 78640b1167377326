"""A viewer's events in Bronze: find them, and rewrite a partition without them.

Every events partition is read through its manifest (the parts it names: what Silver reads);
the quarantine, which Silver writes from Bronze's lines, is searched too. A partition is
rewritten through `PartitionWriter`: new parts holding every other line byte for byte, then the
manifest (the pull's own fields kept, `erased` added), then the old parts go. A process killed
midway leaves the partition as it was; nothing half-written is ever named by a manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from wistia_assets.erasure.viewer import Viewer
from wistia_assets.storage.layout import BRONZE_EVENTS, BRONZE_QUARANTINE
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.storage.partition import PartitionWriter, read_manifest

QUARANTINE_EVENTS = f"{BRONZE_QUARANTINE}/events"
# Manifest fields the writer sets itself on every commit.
_WRITER_FIELDS = ("partition", "run_token", "rows", "bytes", "parts", "committed_at")


@dataclass(frozen=True)
class Hit:
    """How many of the viewer's events one partition holds."""

    zone: str  # bronze | quarantine | silver
    day: str
    media_id: str
    events: int

    @property
    def key(self) -> str:
        return f"{self.day}|{self.media_id}"


def _partition_of(prefix: str, key: str) -> tuple[str, str, str] | None:
    """(partition prefix, day, media id) of a key under `prefix`/dt=…/media_id=…/."""
    parts = key[len(prefix) + 1 :].split("/")
    if len(parts) < 3 or not parts[0].startswith("dt=") or not parts[1].startswith("media_id="):
        return None
    return f"{prefix}/{parts[0]}/{parts[1]}", parts[0][3:], parts[1][len("media_id=") :]


def partitions(store: ObjectStore, prefix: str) -> list[tuple[str, str, str]]:
    found = {p for key in store.list_keys(prefix) if (p := _partition_of(prefix, key))}
    return sorted(found, key=lambda p: (p[1], p[2]))


def lines_of(store: ObjectStore, partition: str) -> Iterator[bytes]:
    """The lines of the parts the committed manifest names (none when there is no manifest)."""
    manifest = read_manifest(store, partition)
    for part in (manifest or {}).get("parts", []):
        yield from store.read_bytes(part["key"]).splitlines(keepends=True)


def quarantine_lines(store: ObjectStore, partition: str) -> Iterator[bytes]:
    """The raw lines Silver quarantined (each quarantine row keeps the line in `line`)."""
    for key in store.list_keys(partition):
        name = key.rsplit("/", 1)[1]
        if name.startswith(("_", ".")):
            continue
        for row in store.read_bytes(key).splitlines():
            try:
                line = json.loads(row).get("line")
            except (ValueError, AttributeError):
                line = None
            yield (line if isinstance(line, str) else row.decode("utf-8", "replace")).encode()


def linked_visitor_hashes(store: ObjectStore, viewer: Viewer) -> set[str]:
    """Hashes of the visitor keys of every Bronze event that carries one of the viewer's e-mail
    addresses (and is not already theirs by key): the same person's other events."""
    linked: set[str] = set()
    if not viewer.email_hashes:
        return linked
    for partition, _, _ in partitions(store, BRONZE_EVENTS):
        for line in lines_of(store, partition):
            matched, new_key = viewer.match_line(line)
            if matched and new_key:
                linked.add(new_key)
    return linked


def find(store: ObjectStore, viewer: Viewer) -> list[Hit]:
    """The Bronze events partitions and quarantine partitions holding the viewer's events."""
    hits = []
    for zone, prefix, read in (
        ("bronze", BRONZE_EVENTS, lines_of),
        ("quarantine", QUARANTINE_EVENTS, quarantine_lines),
    ):
        for partition, day, media_id in partitions(store, prefix):
            n = sum(1 for line in read(store, partition) if viewer.match_line(line)[0])
            if n:
                hits.append(Hit(zone, day, media_id, n))
    return hits


def rewrite(store: ObjectStore, partition: str, viewer: Viewer, *, erasure_id: str) -> int:
    """Replace `partition` with every line but the viewer's; returns how many went (0: the
    partition was left alone)."""
    manifest = read_manifest(store, partition)
    if manifest is None:
        return 0
    if not any(viewer.match_line(line)[0] for line in lines_of(store, partition)):
        return 0
    removed = 0
    with PartitionWriter(store, partition) as writer:
        # Read again under the writer's lock: the manifest may have moved since.
        manifest = read_manifest(store, partition) or manifest
        for part in manifest.get("parts", []):
            kept = []
            for line in store.read_bytes(part["key"]).splitlines(keepends=True):
                if viewer.match_line(line)[0]:
                    removed += 1
                else:
                    kept.append(line)
            writer.write_lines(kept)
        fields = {k: v for k, v in manifest.items() if k not in _WRITER_FIELDS}
        erased = dict(fields.get("erased") or {})
        erased[erasure_id] = erased.get(erasure_id, 0) + removed
        fields["erased"] = erased
        writer.commit(**fields)
    return removed


def erased_count(store: ObjectStore, erasure_id: str) -> int:
    """Events the erasure removed from Bronze, as the rewritten manifests record them (a count
    that survives an interrupted run)."""
    total = 0
    for partition, _, _ in partitions(store, BRONZE_EVENTS):
        manifest = read_manifest(store, partition) or {}
        total += int((manifest.get("erased") or {}).get(erasure_id, 0))
    return total


__all__ = ["Hit", "erased_count", "find", "linked_visitor_hashes", "partitions", "rewrite"]
