"""Counters of one client's requests, updated from every thread that uses it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class RequestStats:
    """Counters for one client, updated from every thread that uses it."""

    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    throttled: int = 0  # 429 answers, and 503s (Wistia's other way of saying it)
    bytes: int = 0  # response bodies received, failed ones included
    request_ids: list[str] = field(default_factory=list)  # every x-request-id received
    budget_wait_seconds: float = 0.0  # time spent waiting for the rate budget
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_request(self, budget_wait: float, *, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += int(retry)
            self.budget_wait_seconds += budget_wait

    def record_response(self, byte_count: int, request_id: str | None, status: int) -> None:
        with self._lock:
            self.bytes += byte_count
            self.throttled += int(status in (429, 503))
            if request_id:
                self.request_ids.append(request_id)

    def snapshot(self) -> dict:
        """A consistent copy, e.g. for asset metadata."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "throttled": self.throttled,
                "bytes": self.bytes,
                "request_ids": list(self.request_ids),
                "budget_wait_seconds": round(self.budget_wait_seconds, 3),
            }
