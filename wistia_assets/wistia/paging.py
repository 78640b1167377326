"""Walking a paginated endpoint in page order, optionally with pages fetched ahead in threads.

Wistia's events endpoint has no total count and no Link header: the end is the first page shorter
than `per_page`. With ~200 ms per request, one request at a time cannot use a 480/min budget, so up
to `depth` pages are fetched concurrently; they are still handed out strictly in order, and the
caller writes each page to storage before asking for the next, so at most `depth` pages are in
memory besides the one the caller holds.

A page fetched ahead is speculative until the page before it turns out full: the end of a window
is only known when a short page arrives, so it may be a page past the end. Speculative pages get
a `wanted` event and may only spend budget nobody else is waiting for (see the client); once the
event is set they queue like any needed page. Without that, a budget-bound run spends a token on
about one page past the end of every window, and fetching ahead makes it slower instead of
faster (measured in docs/BENCHMARKS.md, "Before and after the client changes").
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)  # a fetcher of pages of a subtype is one of the type
# The pages in order; a generator, so that whoever stops early closes it (cancelling prefetches).
Pages = Generator[P, None, None]


class FetchPage(Protocol[P_co]):
    def __call__(
        self, number: int, cancel: threading.Event | None, wanted: threading.Event | None
    ) -> P_co:
        """Fetch page `number`. `cancel` set: nobody wants it any more. `wanted` None: needed
        now; an event: speculative until it is set."""
        ...


def ordered_pages(
    fetch: FetchPage[P], *, first: int, is_last: Callable[[P], bool], depth: int = 1
) -> Pages[P]:
    """Pages `first`, `first+1`, ... up to and including the first one `is_last` accepts."""
    if depth <= 1:
        return _one_at_a_time(fetch, first, is_last)
    return _fetched_ahead(fetch, first, is_last, depth)


def _one_at_a_time(fetch: FetchPage[P], first: int, is_last: Callable[[P], bool]) -> Pages[P]:
    number = first
    while True:
        page = fetch(number, None, None)
        last = is_last(page)
        yield page
        # Drop our reference before the next request: the caller may already have let it go.
        del page
        if last:
            return
        number += 1


def _fetched_ahead(
    fetch: FetchPage[P], first: int, is_last: Callable[[P], bool], depth: int
) -> Pages[P]:
    cancel = threading.Event()
    lock = threading.Lock()
    end: int | None = None  # the lowest page number known to be short, from any thread
    wanted: dict[int, threading.Event] = {}  # issued, not yet handed out: set once needed
    full_early: set[int] = set()  # full pages whose successor was not issued yet

    def fetch_and_note_end(number: int, page_wanted: threading.Event) -> P:
        nonlocal end
        page = fetch(number, cancel, page_wanted)
        with lock:
            if is_last(page):
                end = number if end is None else min(end, number)
            elif number + 1 in wanted:
                wanted[number + 1].set()  # the next page is no longer a guess
            else:
                full_early.add(number)
        return page

    window: deque[Future[P]] = deque()
    next_number = first
    executor = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="wistia-page")

    def issue(limit: int) -> None:
        nonlocal next_number
        with lock:
            while len(window) < limit and (end is None or next_number <= end):
                page_wanted = threading.Event()
                if next_number == first or next_number - 1 in full_early:
                    full_early.discard(next_number - 1)
                    page_wanted.set()
                wanted[next_number] = page_wanted
                window.append(executor.submit(fetch_and_note_end, next_number, page_wanted))
                next_number += 1

    number = first
    try:
        # Slow start: most days of one media fit on one page, so do not spend a request on
        # page 2 until page 1 turns out full.
        issue(1)
        while window:
            page = window.popleft().result()
            with lock:
                wanted.pop(number, None)
            number += 1
            last = is_last(page)
            if not last:
                issue(depth)
            yield page
            del page
            if last:
                return
    finally:
        # Pages past the end (or after a failure, or an abandoned iteration) are not wanted:
        # queued ones never start, running ones stop before their next attempt, and the ones
        # waiting for spare budget are woken to see the cancellation.
        cancel.set()
        with lock:
            for page_wanted in wanted.values():
                page_wanted.set()
        for future in window:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
