"""Every request the sandbox answered, so tests and benchmarks can check the client's manners
(requests per 60 s window, per endpoint, retries after faults)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LoggedRequest:
    number: int  # 1-based arrival order: what FaultScript.fail_at counts
    at: datetime  # wall clock (UTC) at arrival, not the sandbox's data clock
    monotonic: float  # time.monotonic() at arrival: for windows immune to clock jumps
    method: str
    path: str
    endpoint: str  # events | event | by_date | media | medias | unknown
    query: dict[str, str]
    status: int | None  # None: the connection was dropped without a response
    fault: str | None  # injected: 429, 503, 500, timeout, reset, truncate, rate_limit, ...
    request_id: str


class RequestLog:
    """A thread-safe, append-only list of `LoggedRequest` with counting helpers."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        # A long-running `sandbox serve` must not grow forever: the oldest entries go first.
        self._entries: deque[LoggedRequest] = deque(maxlen=max_entries)
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return sorted(self._entries, key=lambda e: e.number)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())

    def __getitem__(self, index: int) -> LoggedRequest:
        return self.entries()[index]

    def count(
        self,
        endpoint: str | None = None,
        *,
        status: int | None = None,
        fault: str | None = None,
    ) -> int:
        return sum(
            1
            for e in self.entries()
            if (endpoint is None or e.endpoint == endpoint)
            and (status is None or e.status == status)
            and (fault is None or e.fault == fault)
        )

    def per_endpoint(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.entries():
            counts[e.endpoint] = counts.get(e.endpoint, 0) + 1
        return counts

    def per_window(self, seconds: float = 60.0, endpoint: str | None = None) -> list[int]:
        """Requests in consecutive fixed windows starting at the first request."""
        times = self._times(endpoint)
        if not times:
            return []
        counts = [0] * (int((times[-1] - times[0]) // seconds) + 1)
        for t in times:
            counts[int((t - times[0]) // seconds)] += 1
        return counts

    def max_in_window(self, seconds: float = 60.0, endpoint: str | None = None) -> int:
        """The most requests in any sliding window of `seconds`: compare with 600/min."""
        times = self._times(endpoint)
        best = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _times(self, endpoint: str | None) -> list[float]:
        return sorted(e.monotonic for e in self.entries() if endpoint in (None, e.endpoint))
