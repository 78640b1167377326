"""One erasure end to end, with the lake's stores and two callbacks that rebuild through the
deployment's engine (Silver partitions, then the Gold days and the report).

1. Plan: the viewer's hashes (the value asked for, the hashes already recorded for it, and the
   visitor keys seen with their e-mail), and every Bronze, quarantine and Silver partition that
   holds their events.
2. Record the request `pending`, with those hashes and partitions, before anything changes: from
   here on, ingestion suppresses the viewer, and a resumed erasure knows what to rebuild even
   after the Bronze lines that led to a partition are gone.
3. Rewrite each Bronze partition without the viewer (each one whole or not at all).
4. Rebuild the Silver `fact_events` partitions (which rewrites their quarantine from Bronze).
   A partition whose Bronze partition is gone (past `BronzeRetentionDays`: no manifest) has
   nothing to rebuild from: the viewer's rows are removed from it Silver-side instead
   (`strip_silver`, `transforms/erase_rows.py`), every other row kept as it was.
5. Check that nothing of the viewer is left; rebuild the Gold days touched and the report.
6. Mark the record `done`.

A failure (or a killed process) at any step leaves each partition before or after; `erase` run
again with the same value finds the pending record and does the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from wistia_assets.erasure import bronze
from wistia_assets.erasure.bronze import Hit
from wistia_assets.erasure.records import (
    DONE,
    PENDING,
    Erasure,
    ErasureStore,
    erasure_id,
    now_iso,
)
from wistia_assets.erasure.viewer import EMAIL, VISITOR_KEY, Hasher, Viewer
from wistia_assets.storage.layout import BRONZE_EVENTS, manifest_key, window_partition
from wistia_assets.storage.objects import ObjectStore

log = logging.getLogger(__name__)

SilverFinder = Callable[[ObjectStore, set[str]], list[Hit]]


class ErasureIncomplete(RuntimeError):
    """The viewer is still in the lake after the rewrite (a rebuild failed)."""


@dataclass
class Plan:
    erasure: Erasure
    viewer: Viewer
    hits: list[Hit] = field(default_factory=list)

    def of(self, zone: str) -> list[Hit]:
        return [h for h in self.hits if h.zone == zone]

    @property
    def silver_partitions(self) -> list[str]:
        """Every (day, media) whose Silver partition must be rebuilt: where the viewer is in
        Bronze, the quarantine or Silver, and what an interrupted run recorded."""
        return sorted({h.key for h in self.hits} | set(self.erasure.partitions))

    @property
    def days(self) -> list[str]:
        return sorted({p.split("|")[0] for p in self.silver_partitions})


def viewer_for(hasher: Hasher, existing: Erasure | None, kind: str, subject_hash: str) -> Viewer:
    viewer = Viewer(hasher)
    (viewer.email_hashes if kind == EMAIL else viewer.visitor_hashes).add(subject_hash)
    if existing is not None:
        viewer.visitor_hashes.update(existing.visitor_hashes)
        viewer.email_hashes.update(existing.email_hashes)
    return viewer


def plan(
    *,
    store: ErasureStore,
    bronze_store: ObjectStore,
    silver_store: ObjectStore,
    hasher: Hasher,
    kind: str,
    subject_hash: str,
    find_silver: SilverFinder | None,
) -> Plan:
    if kind not in (EMAIL, VISITOR_KEY):
        raise ValueError(f"unknown kind {kind!r}")
    existing = store.get(erasure_id(subject_hash))
    viewer = viewer_for(hasher, existing, kind, subject_hash)
    viewer.visitor_hashes |= bronze.linked_visitor_hashes(bronze_store, viewer)
    hits = bronze.find(bronze_store, viewer)
    if find_silver is not None:
        hits += find_silver(silver_store, viewer.visitor_hashes)
    erasure = Erasure(
        id=erasure_id(subject_hash),
        kind=kind,
        subject_hash=subject_hash,
        requested_at=existing.requested_at if existing else now_iso(),
        status=PENDING,
        visitor_hashes=sorted(viewer.visitor_hashes),
        email_hashes=sorted(viewer.email_hashes),
        partitions=sorted(existing.partitions) if existing else [],
    )
    return Plan(erasure, viewer, hits)


def without_bronze(bronze_store: ObjectStore, keys: list[str]) -> list[str]:
    """The (day|media) keys whose Bronze events partition has no manifest: expired (or never
    pulled), so their Silver partition cannot be rebuilt from Bronze."""
    gone = []
    for key in keys:
        day, media_id = key.split("|")
        partition = window_partition(BRONZE_EVENTS, day, media_id)
        # Listed, not asked for by key: S3 answers a HEAD of a missing object 403, not 404, to
        # a role whose ListBucket grant is limited by prefix (EraseTaskRole's).
        if manifest_key(partition) not in bronze_store.list_keys(partition):
            gone.append(key)
    return gone


def apply(
    plan: Plan,
    *,
    store: ErasureStore,
    bronze_store: ObjectStore,
    silver_store: ObjectStore,
    rebuild_silver: Callable[[list[str]], None],
    rebuild_gold: Callable[[list[str]], None],
    find_silver: SilverFinder | None,
    strip_silver: Callable[[list[str], list[str]], None] | None = None,
    before_rewrite: Callable[[], None] | None = None,
) -> Erasure:
    """`strip_silver(keys, visitor_hashes)` removes the viewer's rows from Silver partitions
    whose Bronze is gone; without it those partitions go to `rebuild_silver` (which fails)."""
    erasure = plan.erasure
    erasure.partitions = plan.silver_partitions
    erasure.status, erasure.finished_at = PENDING, None
    store.put(erasure)
    log.info("erasure %s pending: %d partition(s) to rewrite", erasure.id, len(erasure.partitions))
    if before_rewrite is not None:
        # Recorded first: from here on every ingestion that starts drops the viewer.
        before_rewrite()
    removed = 0
    for hit in plan.of("bronze"):
        partition = window_partition(BRONZE_EVENTS, hit.day, hit.media_id)
        removed += bronze.rewrite(bronze_store, partition, plan.viewer, erasure_id=erasure.id)
    expired = without_bronze(bronze_store, plan.silver_partitions) if strip_silver else []
    if strip_silver is not None and expired and plan.viewer.visitor_hashes:
        # Silver holds no e-mail: without a visitor hash nothing of the viewer can be there.
        strip_silver(expired, sorted(plan.viewer.visitor_hashes))
    rebuild = [key for key in plan.silver_partitions if key not in expired]
    if rebuild:
        rebuild_silver(rebuild)
    left = bronze.find(bronze_store, plan.viewer)
    if find_silver is not None:
        left += find_silver(silver_store, plan.viewer.visitor_hashes)
    if left:
        where = ", ".join(f"{h.zone} {h.key} ({h.events})" for h in left[:5])
        raise ErasureIncomplete(
            f"erasure {erasure.id}: the viewer is still in {where}; the record stays pending, "
            "run the same erase again once the cause is fixed"
        )
    if plan.days:
        rebuild_gold(plan.days)
    erasure.events_removed = bronze.erased_count(bronze_store, erasure.id)
    log.info("erasure %s: %d Bronze event(s) removed by this run", erasure.id, removed)
    erasure.status, erasure.finished_at = DONE, now_iso()
    return store.put(erasure)
