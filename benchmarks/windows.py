"""Counting requests the way the budget is defined: per 60 s sliding window, and per day window.

Written independently of the sandbox's `RequestLog.max_in_window` (bisect here, two pointers
there) so that each checks the other.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence


def max_in_window(times: Iterable[float], seconds: float = 60.0) -> int:
    """The most requests whose arrival times fall in any half-open window [t, t + seconds).

    Half-open, like `RateBudget`'s guarantee: a request exactly 60 s after another is in the
    next window. The busiest window can always be taken to start at a request.
    """
    ordered: Sequence[float] = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect_left(ordered, start + seconds, lo=i) - i)
    return best


def minimum_requests(events: int, per_page: int) -> int:
    """Requests a day window cannot do with less: the end is the first page shorter than
    `per_page`, so a day of exactly k full pages still needs an (empty) page k + 1.

    floor(events / per_page) + 1; the issue's `ceil(events / per_page) + 1` is one more
    whenever the last page is short, i.e. an upper bound of this.
    """
    return events // per_page + 1
