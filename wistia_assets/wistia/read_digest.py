"""What one read of a window saw, small enough to keep for a million-event day, and which records
of the next read it had not seen.

Wistia's events come newest first and pages are slices by position: an event that appears behind
the reader (at the head, or a late event landing on a page already read) shifts every later page,
so the next page starts with records the reader already has. A re-read must find the events the
first read missed without holding every key of the day (a 1M-event day is 10,000 pages).

A `ReadDigest` cuts a read into *segments*: segment p runs from the first record of page p up to
(not including) the first record of page p + 1, which removes the records a shift showed twice.
It keeps, per page, the hash of that first record (the boundary) and the count and hash-sum of
the segment: three integers, ~24 bytes per page. `NewRecords` walks the next read, cut at the
same boundaries, and lets through the records of every stretch whose count or hash-sum differs
from the earlier read's: the stretch before the first boundary (the head) and any stretch where
events were inserted. Unchanged stretches, almost all of a day, are dropped.

Hashes are Python's own `hash(str)`: stable within the process, which is all a pull needs.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable

_MASK = (1 << 64) - 1


def record_id(record: dict) -> str:
    """The event key, or for a record without one (a schema-breaking record) its JSON text."""
    key = record.get("event_key")
    if isinstance(key, str) and key:
        return key
    return "json:" + json.dumps(record, sort_keys=True, ensure_ascii=False)


def id_hashes(ids: Iterable[str]) -> list[int]:
    return [hash(i) & _MASK for i in ids]


class ReadDigest:
    """Boundaries and segment sums of one read, page by page."""

    def __init__(self) -> None:
        self.boundaries = array("Q")  # hash of each page's first record
        self.counts = array("q")  # records of its segment
        self.sums = array("Q")  # hash-sum of its segment, mod 2**64
        self._pending: list[int] | None = None  # the last page, until the next one cuts it

    def add(self, hashes: list[int]) -> None:
        """The hashes of the next page's records, in page order."""
        if not hashes:
            return  # an empty page ends the read; it has no boundary
        if self._pending is not None:
            first = hashes[0]
            if first == self._pending[0]:
                # The whole page came again (a shift of exactly one page): it restarts the
                # same segment.
                self._pending = hashes
                return
            cut = self._pending.index(first) if first in self._pending else len(self._pending)
            self._close(self._pending[:cut], self._pending[0])
        self._pending = hashes

    def finish(self) -> None:
        if self._pending is not None:
            self._close(self._pending, self._pending[0])
            self._pending = None

    def _close(self, segment: list[int], boundary: int) -> None:
        self.boundaries.append(boundary)
        self.counts.append(len(segment))
        self.sums.append(sum(segment) & _MASK)

    def __len__(self) -> int:
        return len(self.boundaries)


class NewRecords:
    """Feed the records of a re-read in order; get back those the earlier read had not seen.

    A stretch of the re-read between two boundaries of the earlier read is let through whole when
    its count or hash-sum differs (it holds at least one new record; the old ones in it are
    duplicates Silver removes), and dropped when both match. A stretch longer than `spill`
    records is let through early, so memory stays bounded however many events were inserted.
    """

    def __init__(self, earlier: ReadDigest, *, spill: int):
        self.earlier = earlier
        self.spill = spill
        self._where: dict[int, int] = {}
        for index, boundary in enumerate(earlier.boundaries):
            self._where.setdefault(boundary, index)
        self._segment = -1  # the earlier read's segment this stretch starts at (-1: the head)
        self._buffer: list[dict] = []
        self._count = 0
        self._sum = 0
        self._spilled = False

    def feed(self, record: dict, hashed: int) -> list[dict]:
        out: list[dict] = []
        index = self._where.get(hashed)
        if index is not None and index > self._segment:
            out = self._close(index)
            self._segment = index
        self._buffer.append(record)
        self._count += 1
        self._sum = (self._sum + hashed) & _MASK
        if len(self._buffer) > self.spill:
            out.extend(self._buffer)
            self._buffer = []
            self._spilled = True
        return out

    def finish(self) -> list[dict]:
        return self._close(len(self.earlier))

    def _close(self, upto: int) -> list[dict]:
        buffer, self._buffer = self._buffer, []
        count, total, spilled = self._count, self._sum, self._spilled
        self._count, self._sum, self._spilled = 0, 0, False
        if self._segment < 0 or spilled:
            return buffer
        expected_count = sum(self.earlier.counts[self._segment : upto])
        expected_sum = sum(self.earlier.sums[self._segment : upto]) & _MASK
        return [] if (count, total) == (expected_count, expected_sum) else buffer
