"""A fake monotonic clock for RateBudget and the client: minutes of waiting in milliseconds."""

from __future__ import annotations

import threading


class FakeClock:
    """A monotonic clock that only moves when someone sleeps.

    A sleeping thread wakes at (the time it last read) + seconds, so threads that reserve slots
    and then sleep behave as they would in real time.
    """

    def __init__(self, start: float = 1_000.0):
        self._now = start
        self._lock = threading.Lock()
        self._local = threading.local()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            self._local.read = self._now
            return self._now

    def last_read(self) -> float:
        """When this thread's last acquire was let through (its read, or its wake-up)."""
        return self._local.read

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            wake = getattr(self._local, "read", self._now) + seconds
            self._now = max(self._now, wake)
            self._local.read = wake

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
