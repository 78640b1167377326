"""The process-wide request budget for one Wistia account.

Wistia allows 600 requests per minute per account, shared by every caller. A `RateBudget` is a
token bucket, written as GCRA (a "theoretical arrival time" that moves forward by one interval per
token): each caller reserves its slot under a lock and sleeps outside it, so threads never sleep
while holding the lock and are served in the order they asked.

The refill rate is chosen so that burst + refill never exceeds `per_minute` in any 60 s window
(a plain bucket refilled at per_minute/60 would allow per_minute + burst), and keeps doing so
when a request reaches Wistia up to `SEND_MARGIN_SECONDS` later than the one before it did after
their tokens: the limit is counted where requests arrive, and a first request that still opens a
connection arrives later than one on a warm connection, and may otherwise push one request too
many into the server's window (measured in docs/BENCHMARKS.md, "Before and after the client
changes").
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# Tokens are spaced as if the window were this much longer. Costs 1/61 of the throughput.
SEND_MARGIN_SECONDS = 1.0

# Float sums of intervals must never land a request just inside a window edge.
_SAFETY = 1.0 + 1e-9


class RateBudget:
    """Token bucket shared by every request of the process (all threads)."""

    _shared: dict[float, RateBudget] = {}
    _shared_lock = threading.Lock()

    def __init__(
        self,
        per_minute: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not per_minute >= 1:
            raise ValueError(f"RateBudget needs at least 1 request per minute, got {per_minute!r}")
        cap = math.floor(per_minute)
        if burst is None:
            # About one second worth of requests: enough to start a few pages at once, small
            # enough that the sustained rate stays close to per_minute.
            burst = max(1, cap // 60)
        if not 1 <= burst <= cap:
            raise ValueError(f"RateBudget burst must be 1..{cap}, got {burst!r}")
        self.per_minute = per_minute
        self.burst = burst
        # In any 60 s (+ margin) window: `burst` tokens saved up + (cap - burst) refilled, with
        # the window read as half-open, hence the +1.
        self.interval = (WINDOW_SECONDS + SEND_MARGIN_SECONDS) / (cap - burst + 1) * _SAFETY
        self._tolerance = (burst - 1) * self.interval
        # Float sums of intervals and tolerances are off by ~1e-12 s; _SAFETY already spaces
        # every token this much wider, so a wait that small is a rounding error, not a wait.
        self._rounding = self.interval * (_SAFETY - 1.0)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at: float | None = None  # theoretical arrival time of the next token

    def acquire(self) -> float:
        """Block until a token is available; return the seconds waited."""
        with self._lock:
            now = self._clock()
            due = now if self._next_at is None else max(self._next_at, now)
            allowed_at = due - self._tolerance
            self._next_at = due + self.interval
        wait = allowed_at - now
        if wait <= self._rounding:
            return 0.0
        self._sleep(wait)
        return wait

    def try_acquire(self) -> bool:
        """Take a token only if one is spare right now; never wait, never reserve a later slot.

        For requests that may turn out unneeded (prefetched pages): a slot reserved ahead and
        then given up is a slot nobody sends in. A spare token never delays a caller already
        queued in `acquire` (queued callers leave none spare); it only uses up saved burst.
        """
        with self._lock:
            now = self._clock()
            due = now if self._next_at is None else max(self._next_at, now)
            if due - self._tolerance - now > self._rounding:
                return False
            self._next_at = due + self.interval
            return True

    def free_in(self) -> float:
        """Seconds until a token is spare, if nobody takes one first (0.0: one is spare now)."""
        with self._lock:
            if self._next_at is None:
                return 0.0
            wait = self._next_at - self._tolerance - self._clock()
            return wait if wait > self._rounding else 0.0

    def hold(self, seconds: float) -> None:
        """Let nobody in the process send for `seconds` (Wistia throttled with Retry-After).

        Every thread shares the account's limit, so when one is told to back off, all are.
        """
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            earliest_due = now + seconds + self._tolerance
            self._next_at = max(self._next_at or now, earliest_due)

    @classmethod
    def shared(cls, per_minute: float) -> RateBudget:
        """The process-wide instance for that rate (created on first use)."""
        with cls._shared_lock:
            budget = cls._shared.get(per_minute)
            if budget is None:
                budget = cls._shared[per_minute] = cls(per_minute)
            return budget

    def __repr__(self) -> str:
        return f"RateBudget(per_minute={self.per_minute!r}, burst={self.burst})"
