"""The local lake's Bronze retention, as the bucket's lifecycle (`BronzeRetentionDays`).

S3 expires a Bronze object that many days after it was written; here a partition goes when its
newest file is older than that (a partition is written whole, so its files are as old as its
last write: a re-pulled day is kept again from that day, as in the bucket). Raw events and
by_date partitions, the quarantine and the media metadata snapshots are all Bronze. Silver,
Gold and the reports hold no raw personal data and are not touched.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from wistia_assets.storage.layout import BRONZE_MEDIA_METADATA, BRONZE_ZONE
from wistia_assets.storage.objects import ObjectStore

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Expired:
    partition: str
    age_days: float
    files: int


def _partition_of(key: str) -> str:
    """The folder a Bronze file belongs to: up to its `media_id=`/`load_ts=` level."""
    parts = key.split("/")
    for i, part in enumerate(parts):
        if part.startswith("load_ts=") or (
            part.startswith("media_id=") and not key.startswith(BRONZE_MEDIA_METADATA)
        ):
            return "/".join(parts[: i + 1])
    return key.rsplit("/", 1)[0]


def expired(store: ObjectStore, retention_days: int, now: float | None = None) -> list[Expired]:
    now = time.time() if now is None else now
    newest: dict[str, float] = defaultdict(float)
    files: dict[str, int] = defaultdict(int)
    for key, modified in store.last_modified(BRONZE_ZONE).items():
        partition = _partition_of(key)
        newest[partition] = max(newest[partition], modified)
        files[partition] += 1
    cutoff = now - retention_days * DAY_SECONDS
    return [
        Expired(p, (now - newest[p]) / DAY_SECONDS, files[p])
        for p in sorted(newest)
        if newest[p] < cutoff
    ]


def remove_expired(
    store: ObjectStore, retention_days: int, now: float | None = None
) -> list[Expired]:
    gone = expired(store, retention_days, now)
    for item in gone:
        store.delete_keys(store.list_keys(item.partition))
    return gone
