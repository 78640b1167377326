"""One pull of an events window: every page, re-read until the window held still, and a summary
of how it went for the Bronze manifest.

Two things Wistia leaves open decide when a pull is complete:

- **Events that appear while the window is read.** Pages are slices by position of a newest-first
  list; an event that appears behind the reader (at the head, or a late event landing on a page
  already read) pushes every later page down by one, so the next page starts with a record the
  previous page ended with. That repeated record is the only trace of the new event, which the
  read will never see. A read during which a page repeated records of the page before it is
  *shifted*: the window is read again, and the re-read lets through only the stretches that
  differ from the earlier read (`read_digest`). A pull is complete after a read that did not
  shift; at most `max_reads` reads, then it fails (`WistiaUnsettledError`), leaving the
  partition as it was. A read that did not shift saw every event that existed when it began.
  (Unless two pages' worth of events or more appeared between two page requests: then no record
  repeats across the boundary. At the rates of closed days that is not a case.)
- **The answer to a page past the end**, asked for only after a page that was exactly full (a
  day of exactly 100 x k events). An empty array is the end. A page identical to the full page
  before it is the end too once the next page repeats it again (a shift of exactly one page
  would not). An error status is the end only if it is repeatable while the page before it
  still reads the same: a rejected token (401/403), throttling (429/503), gateway trouble
  (502/504) or a failure to connect never is, and any other doubt fails the pull as before.

How the last read ended is recorded (`PullSummary.end`), with the reads and the requests they
cost beyond the first read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wistia_assets.wistia.errors import WistiaError, WistiaUnsettledError
from wistia_assets.wistia.read_digest import NewRecords, ReadDigest, id_hashes, record_id

if TYPE_CHECKING:
    from wistia_assets.wistia.call import Page
    from wistia_assets.wistia.paging import Pages

# A window still shifting after this many reads is still being written to: fail, retry later.
MAX_READS = 4
# Statuses that never mean "no such page": auth, throttling, gateways.
NOT_AN_END = frozenset({401, 403, 407, 408, 429, 502, 503, 504})


@dataclass
class PullSummary:
    reads: int = 0  # complete reads of the window
    shifted_reads: int = 0  # reads during which events appeared behind the reader
    extra_requests: int = 0  # requests beyond the first read: re-reads, end confirmations
    # rows the re-reads let through: the events the first read missed and the rest of each
    # stretch they landed in (duplicates Silver removes)
    reread_rows: int = 0
    end: str = ""  # how the last read ended

    def manifest_fields(self) -> dict:
        return {
            "reads": self.reads,
            "shifted_reads": self.shifted_reads,
            "reread_requests": self.extra_requests,
            "reread_rows": self.reread_rows,
            "window_end": self.end,
        }


class EventPull(Iterator["Page"]):
    """Pages of a window in order, re-read pages included; `summary` is final once exhausted.

    `read()` starts a fresh in-order read (with prefetch) at `first`; `fetch(n)` asks for page n
    alone; `requests()` counts the client's requests so far.
    """

    def __init__(
        self,
        *,
        read: Callable[[], Pages[Page]],
        fetch: Callable[[int], Page],
        requests: Callable[[], int],
        per_page: int,
        first: int,
        label: str,
        log: logging.Logger,
        max_reads: int = MAX_READS,
    ):
        self._read = read
        self._log = log
        self._fetch = fetch
        self._requests = requests
        self.per_page = per_page
        self.first = first
        self.label = label
        self.max_reads = max_reads
        self.summary = PullSummary()
        self._first_read = 0  # requests of the first read, end confirmations excluded
        self._pages = self._pull()

    def __next__(self) -> Page:
        return next(self._pages)

    def close(self) -> None:
        self._pages.close()

    # -- the reads -------------------------------------------------------------------------

    def _pull(self) -> Pages[Page]:
        started, before = time.monotonic(), self._requests()
        earlier: ReadDigest | None = None
        for number in range(1, self.max_reads + 1):
            read = _Read(number, earlier, self.per_page)
            yield from self._one_read(read)
            self.summary.reads = number
            self.summary.end = read.end
            self.summary.extra_requests = self._requests() - before - self._first_read
            if not read.shifted:
                return
            self.summary.shifted_reads += 1
            earlier = read.digest
        raise WistiaUnsettledError(
            f"Wistia's {self.label} kept changing while it was read: {self.max_reads} reads in a "
            "row saw new events appear behind the reader, so none of them is known complete. "
            "The partition was not replaced; run it again later.",
            attempts=self.max_reads,
            elapsed=time.monotonic() - started,
        )

    def _one_read(self, read: _Read) -> Pages[Page]:
        before = self._requests()
        pages = self._read()
        taken = self.first - 1  # the number of the last page taken from `pages`
        held: tuple[Page, list[str]] | None = None  # a full page identical to the one before
        try:
            while True:
                try:
                    page = next(pages)
                except StopIteration:
                    break
                except WistiaError as exc:
                    if held is not None or not self._may_be_past_end(read, taken + 1, exc):
                        raise
                    confirming = self._requests()
                    read.end = self._confirm_past_end(read, taken + 1, exc)
                    read.confirmations += self._requests() - confirming
                    if not read.shifted:
                        self._log.info(
                            "%s: page %d answered HTTP %d twice while page %d read the same: "
                            "that is Wistia's answer to a page past the end, not a failure",
                            self.label,
                            taken + 1,
                            exc.status,
                            taken,
                        )
                    break
                taken = page.number
                ids = [record_id(r) for r in page.records]
                if held is not None:
                    if ids == held[1]:  # the last full page, served a third time: the end
                        read.end = f"repeat of page {taken - 2}"
                        break
                    yield from read.take(*held)  # a shift of exactly one page, not a repeat
                    held = None
                elif len(ids) == self.per_page and ids == read.previous_ids:
                    held = (page, ids)
                    continue
                yield from read.take(page, ids)
                # Let the caller's copy be the last one before the next request goes out.
                del page
                if len(ids) < self.per_page:
                    read.end = "empty page" if not ids else "short page"
        finally:
            pages.close()
        if held is not None and not read.end:
            yield from read.take(*held)
        yield from read.finish()
        if read.number == 1:
            self._first_read = self._requests() - before - read.confirmations
        self.summary.reread_rows += read.new_rows

    def _may_be_past_end(self, read: _Read, number: int, exc: WistiaError) -> bool:
        return (
            number > self.first
            and read.previous_ids is not None
            and len(read.previous_ids) == self.per_page
            and exc.status is not None
            and exc.status >= 400
            and exc.status not in NOT_AN_END
        )

    def _confirm_past_end(self, read: _Read, number: int, exc: WistiaError) -> str:
        """The window ended at `number - 1` if that page reads the same again and `number`
        fails the same way again; otherwise the first error is raised."""
        again = self._fetch(number - 1)
        if [record_id(r) for r in again.records] != read.previous_ids:
            read.shifted = True  # the window changed meanwhile: read it again
            return f"HTTP {exc.status} on page {number} (the window changed meanwhile)"
        try:
            self._fetch(number)
        except WistiaError as second:
            if type(second) is type(exc) and second.status == exc.status:
                return f"HTTP {exc.status} on page {number}"
            raise
        raise exc  # page `number` answers now: the first error was not the end


class _Read:
    """One read of the window: shift detection, its digest, and (re-reads) what is new."""

    def __init__(self, number: int, earlier: ReadDigest | None, per_page: int):
        self.number = number
        self.digest = ReadDigest()
        self.shifted = False
        self.end = ""
        self.confirmations = 0  # requests spent confirming the end
        self.new_rows = 0
        self.previous_ids: list[str] | None = None
        self._previous: set[str] = set()
        self._new = NewRecords(earlier, spill=4 * per_page) if earlier is not None else None
        self._lagging: tuple[Page, list[dict]] | None = None

    def take(self, page: Page, ids: list[str]) -> Iterator[Page]:
        repeated = [i in self._previous for i in ids]
        if any(repeated):
            self.shifted = True
        hashes = id_hashes(ids)
        self.digest.add(hashes)
        self._previous = set(ids)
        self.previous_ids = ids
        if self._new is None:
            yield page
            return
        new: list[dict] = []
        for record, hashed, again in zip(page.records, hashes, repeated, strict=True):
            if not again:  # a record this read already had from the page before
                new.extend(self._new.feed(record, hashed))
        # A re-read page is handed out one page late: the stretch it ends may only close at the
        # next boundary, and the last one only when the read ends.
        yield from self._flush()
        self._lagging = (page, new)

    def finish(self) -> Iterator[Page]:
        self.digest.finish()
        if self._new is not None and self._lagging is not None:
            self._lagging[1].extend(self._new.finish())
            yield from self._flush()

    def _flush(self) -> Iterator[Page]:
        if self._lagging is not None:
            page, records = self._lagging
            self._lagging = None
            self.new_rows += len(records)
            yield replace(page, records=records, read=self.number)
