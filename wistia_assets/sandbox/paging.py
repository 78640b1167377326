"""One page of a newest-first feed, cut from sorted streams without walking them.

Within a day the visible events are the union of each stream's visible prefix. To serve ranks
[lo, hi) of that union (ascending time), a binary search over the day's milliseconds finds the
time at which the union's count passes `lo`; every stream then starts from its own count at
that time and a heap merges just the events of the page. The cost is
O(log(ms per day) * streams) count queries plus O(page * log streams) merge steps, whatever
the volume of the day.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from wistia_assets.sandbox.timeline import Stream

Visible = Sequence[tuple[Stream, int]]  # a day's streams with the length of their visible prefix


def page_newest_first(days: Sequence[Visible], offset: int, limit: int) -> list[tuple[Stream, int]]:
    """Events at newest-first ranks [offset, offset + limit) of the days (newest day first)."""
    out: list[tuple[Stream, int]] = []
    for streams in days:
        if len(out) >= limit:
            break
        total = sum(v for _, v in streams)
        if offset >= total:
            offset -= total
            continue
        hi = total - offset
        lo = max(0, hi - (limit - len(out)))
        out.extend(reversed(ascending_slice(streams, lo, hi)))
        offset = 0
    return out


def day_total(streams: Visible) -> int:
    return sum(v for _, v in streams)


def _count(streams: Visible, t_ms: int) -> int:
    return sum(min(s.count_at_or_before(t_ms), v) for s, v in streams)


def ascending_slice(streams: Visible, lo: int, hi: int) -> list[tuple[Stream, int]]:
    """Events at ascending ranks [lo, hi) of the union; ties ordered by (time, stream, index)."""
    live = [(s, v) for s, v in streams if v > 0]
    if lo >= hi or not live:
        return []
    if lo == 0:
        starts = [0] * len(live)
        skip = 0
    else:
        # Smallest t whose count exceeds lo: the event at rank lo happened at t.
        below = min(s.time_ms(0) for s, _ in live) - 1
        above = max(s.time_ms(v - 1) for s, v in live)
        while above - below > 1:
            mid = (below + above) // 2
            if _count(live, mid) > lo:
                above = mid
            else:
                below = mid
        starts = [min(s.count_at_or_before(below), v) for s, v in live]
        skip = lo - sum(starts)  # events at exactly `above` that rank before lo
    heap = [
        (s.time_ms(i), s.order, i, k)
        for k, ((s, v), i) in enumerate(zip(live, starts, strict=True))
        if i < v
    ]
    heapq.heapify(heap)
    out: list[tuple[Stream, int]] = []
    wanted = skip + (hi - lo)
    while heap and len(out) < wanted:
        _, order, i, k = heapq.heappop(heap)
        stream, visible = live[k]
        out.append((stream, i))
        if i + 1 < visible:
            heapq.heappush(heap, (stream.time_ms(i + 1), order, i + 1, k))
    return out[skip:]
