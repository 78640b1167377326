"""Time as the sandbox sees it: an injectable clock, so tests can stand before or after the
moment a late event arrives without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_epoch_ms(moment: datetime) -> int:
    # A naive datetime is taken as UTC: Wistia's received_at is always UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class ManualClock:
    """A clock that moves only when told to: `clock = ManualClock(t0); clock.advance(hours=3)`."""

    def __init__(self, start: datetime):
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**units)
            return self._now
