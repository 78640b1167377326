"""What ingestion asks before an event reaches Bronze: is it an erased viewer's?

Every hash of every erasure record suppresses: a matching event is dropped before the partition
writer sees it, and counted (`suppressed` in the partition's manifest, `events_suppressed` of
the erasure it matched). So the overlap pull, `rerun`, a backfill or a new day never bring an
erased viewer back, and a request for a viewer not yet in the lake keeps them out from the start.

An e-mail suppresses the visitor keys seen with it. Erasing by e-mail records the hashes of the
visitor keys of every event that carried the address (their other events, without the address,
are the same viewer's). Ingestion does the same for a key it meets for the first time with a
suppressed address: it adds the key's hash to that erasure and makes the pull once more (nothing
of the first one committed), so the key's events that came before it in the pull go too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from wistia_assets.erasure.records import ErasureStore
from wistia_assets.erasure.viewer import EMAIL, VISITOR_KEY, Hasher, Viewer, emails_in


@dataclass(frozen=True)
class Mark:
    counts: Counter
    learned: int

    @property
    def suppressed(self) -> int:
        return sum(self.counts.values())


class Suppression:
    def __init__(self, store: ErasureStore, hasher: Hasher):
        self.store = store
        self.viewer = Viewer(hasher)
        self._owner: dict[tuple[str, str], str] = {}
        for erasure in store.all():
            for kind, h in erasure.hashes():
                self._owner[(kind, h)] = erasure.id
                hashes = (
                    self.viewer.visitor_hashes if kind == VISITOR_KEY else self.viewer.email_hashes
                )
                hashes.add(h)
        self.counts: Counter[str] = Counter()
        self.learned: dict[str, set[str]] = {}  # erasure id -> new visitor key hashes

    def __bool__(self) -> bool:
        return bool(self.viewer)

    @property
    def suppressed(self) -> int:
        return sum(self.counts.values())

    def _owner_of(self, record: dict[str, Any]) -> str:
        key_hash = self.viewer.hasher(record["visitor_key"].strip()) if _has_key(record) else None
        if key_hash and (VISITOR_KEY, key_hash) in self._owner:
            return self._owner[(VISITOR_KEY, key_hash)]
        for email in emails_in(record):
            owner = self._owner.get((EMAIL, self.viewer.hasher(email)))
            if owner:
                return owner
        return "unknown"

    def mark(self) -> Mark:
        return Mark(Counter(self.counts), sum(len(v) for v in self.learned.values()))

    def learned_since(self, mark: Mark) -> bool:
        return sum(len(v) for v in self.learned.values()) > mark.learned

    def restore(self, mark: Mark) -> None:
        """Forget the counts since `mark` (a pull made again); the keys learned stay."""
        self.counts = Counter(mark.counts)

    def drops(self, record: Any) -> bool:
        matched, new_key = self.viewer.match(record)
        if not matched:
            return False
        owner = self._owner_of(record)
        self.counts[owner] += 1
        if new_key is not None:
            self.viewer.visitor_hashes.add(new_key)
            self._owner[(VISITOR_KEY, new_key)] = owner
            self.learned.setdefault(owner, set()).add(new_key)
        return True

    def keep(self, records: Iterable[Any]) -> Iterator[Any]:
        return (r for r in records if not self.drops(r))

    def save(self) -> None:
        """Count the dropped events on their erasures and record the keys learned."""
        for owner, hashes in self.learned.items():
            self.store.link(owner, VISITOR_KEY, hashes)
        self.store.count_suppressed({k: n for k, n in self.counts.items() if k != "unknown"})


def _has_key(record: dict[str, Any]) -> bool:
    key = record.get("visitor_key")
    return isinstance(key, str) and bool(key.strip())


def suppression_for(settings) -> Suppression | None:
    """The deployment's suppression list, or None when nothing was ever erased."""
    from wistia_assets.erasure.keys import erasure_store, has_erasures, hash_key

    if not has_erasures(settings):
        return None
    store = erasure_store(settings)
    if not store.all():
        return None  # the key is fetched only when there is something to compare with
    return Suppression(store, Hasher(hash_key(settings)))
