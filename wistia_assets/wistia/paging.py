"""Walking a paginated endpoint in page order, optionally with pages fetched ahead in threads.

Wistia's events endpoint has no total count and no Link header: the end is the first page shorter
than `per_page`. With ~200 ms per request, one request at a time cannot use a 480/min budget, so up
to `depth` pages are fetched concurrently; they are still handed out strictly in order, and the
caller writes each page to storage before asking for the next, so at most `depth` pages are in
memory besides the one the caller holds.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

P = TypeVar("P")


class FetchPage(Protocol[P]):
    def __call__(self, number: int, cancel: threading.Event | None) -> P: ...


def ordered_pages(
    fetch: FetchPage[P], *, first: int, is_last: Callable[[P], bool], depth: int = 1
) -> Iterator[P]:
    """Pages `first`, `first+1`, ... up to and including the first one `is_last` accepts."""
    if depth <= 1:
        return _one_at_a_time(fetch, first, is_last)
    return _fetched_ahead(fetch, first, is_last, depth)


def _one_at_a_time(fetch: FetchPage[P], first: int, is_last: Callable[[P], bool]) -> Iterator[P]:
    number = first
    while True:
        page = fetch(number, None)
        last = is_last(page)
        yield page
        # Drop our reference before the next request: the caller may already have let it go.
        del page
        if last:
            return
        number += 1


def _fetched_ahead(
    fetch: FetchPage[P], first: int, is_last: Callable[[P], bool], depth: int
) -> Iterator[P]:
    cancel = threading.Event()
    end_lock = threading.Lock()
    end: int | None = None  # the lowest page number known to be short, from any thread

    def fetch_and_note_end(number: int) -> P:
        nonlocal end
        page = fetch(number, cancel)
        if is_last(page):
            with end_lock:
                end = number if end is None else min(end, number)
        return page

    window: deque[Future[P]] = deque()
    next_number = first
    executor = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="wistia-page")

    def issue(limit: int) -> None:
        nonlocal next_number
        while len(window) < limit and (end is None or next_number <= end):
            window.append(executor.submit(fetch_and_note_end, next_number))
            next_number += 1

    try:
        # Slow start: most days of one media fit on one page, so do not spend a request on
        # page 2 until page 1 turns out full.
        issue(1)
        while window:
            page = window.popleft().result()
            last = is_last(page)
            if not last:
                issue(depth)
            yield page
            del page
            if last:
                return
    finally:
        # Pages past the end (or after a failure, or an abandoned iteration) are not wanted:
        # queued ones never start, running ones stop before their next attempt.
        cancel.set()
        for future in window:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
