"""Faults the sandbox injects, from a one-line spec (CLI flag or `WISTIA_SANDBOX_FAULTS`).

Spec: comma-separated `key=value` items; unknown keys are an error. Shares are 0..1.

Per request (drawn from the seed, the request and how often that exact request was seen, so a
retry gets a fresh draw and a run is reproducible; the shares below must add up to <= 1):

    429=P            answer as throttled: 429 with `Retry-After` and a text/plain body (503 with
                     `Retry-After` under WISTIA_SANDBOX_THROTTLE_STATUS=503, see config.py)
    retry_after=S    seconds in that Retry-After header (int, default 1)
    503=P            answer 503 without Retry-After (throttling as it has also been observed)
    5xx=P            answer 500 (JSON body), 502 or 504 (HTML bodies from a gateway)
    timeout=P        a slow response: served after slow_s seconds; in-process, the client's
                     own read timeout is honoured and httpx.ReadTimeout raised when exceeded
    slow_s=S         how long a slow response takes (default 35, above WISTIA_TIMEOUT's 30)
    reset=P          drop the connection without a response (socket reset / RemoteProtocolError)
    truncate=P       cut the JSON body short: half the time with a matching Content-Length
                     (200 + unparseable JSON), half with the full length (truncated read)
    latency_ms=A[-B] add A ms (or uniformly A..B ms) to every request
    rate_limit=N     answer as throttled once more than N requests arrived in the last 60 s
                     (real Wistia: 600); Retry-After tells when a slot frees

Per (media, day) of data (deterministic from the seed):

    drift=N          while a client paginates a window, each page after the first reveals N new
                     events at the head (last 15 min of the day): later pages shift, an event
                     shows up twice; a re-pull of the window sees them all (ground truth)
    drift_turns=K    the pool per (media, day) is N*K drift events (default 4)
    drift_pull=K     the drift happens during the K-th pull of a window (default 1): the pulls
                     before it see none of the pool, a pull after it sees the whole pool. With
                     K=2 the events appear while the overlap re-pull (the day's last) pages
    late=P           share of events that arrive 1-20 h after their day ended (overrides the
                     sandbox's late_share)
    foreign=P        share of a media's feed that are copies of another media's events
                     (their media_id is that other media's; not ground truth)
    bad=P            share of schema-breaking records: no event_key, unparsable received_at or
                     percent_viewed 250 (not ground truth)
    zero_days=D|D..D dates (or inclusive ranges) with no events at all: by_date rows of zeros

Example: `429=0.1,retry_after=1,503=0.05,5xx=0.02,latency_ms=200,timeout=0.01,reset=0.01,
truncate=0.01,drift=3,late=0.05,foreign=0.01,bad=0.01,zero_days=2026-11-18`.

Tests script faults exactly with `FaultScript`: fail the next N requests, fail request #n, or
hold an outage until it is ended.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.settings.declaration import env_name, read

ENV_VAR = env_name(SandboxConfig, "faults")

# Request-level fault kinds, as scripts name them. Any other 4xx/5xx status also works.
REQUEST_FAULTS = (
    "429",
    "503",
    "500",
    "502",
    "504",
    "timeout",
    "reset",
    "truncate",
    "truncate_read",
)

_ALIASES = {
    "429": "throttle",
    "503": "unavailable",
    "5xx": "server_error",
    "latency": "latency_ms",
    "slow": "slow_s",
    "ratelimit": "rate_limit",
}
_SHORT = {v: k for k, v in _ALIASES.items() if k in ("429", "503", "5xx")}


@dataclass(frozen=True)
class Faults:
    throttle: float = 0.0
    retry_after: int = 1
    unavailable: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    slow_s: float = 35.0
    reset: float = 0.0
    truncate: float = 0.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    rate_limit: int = 0
    drift: int = 0
    drift_turns: int = 4
    drift_pull: int = 1
    late: float | None = None
    foreign: float = 0.0
    bad: float = 0.0
    zero_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("throttle", "unavailable", "server_error", "timeout", "reset", "truncate"):
            _check_share(name, getattr(self, name))
        for name in ("foreign", "bad"):
            _check_share(name, getattr(self, name))
        if self.late is not None:
            _check_share("late", self.late)
        if self.request_share > 1.0 + 1e-9:
            raise ValueError(
                f"fault shares per request add up to {self.request_share:.3f} > 1 "
                "(429 + 503 + 5xx + timeout + reset + truncate)"
            )
        lo, hi = self.latency_ms
        if not 0 <= lo <= hi:
            raise ValueError(f"latency_ms must read A or A-B with 0 <= A <= B, not {lo}-{hi}")
        for name in ("retry_after", "rate_limit", "drift"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.drift_turns < 1 or self.drift_pull < 1:
            raise ValueError("drift_turns and drift_pull must be >= 1")
        if self.slow_s <= 0:
            raise ValueError("slow_s must be > 0")

    @property
    def request_share(self) -> float:
        return (
            self.throttle
            + self.unavailable
            + self.server_error
            + self.timeout
            + self.reset
            + self.truncate
        )

    @property
    def any(self) -> bool:
        return self != Faults()

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        """`Faults.parse("429=0.1,retry_after=2,zero_days=2026-11-18")`; empty -> no faults."""
        if spec is None or not spec.strip():
            return cls()
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}  # field -> a value of its type (_parse_value parses by name)
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, raw = item.partition("=")
            key = key.strip().lower()
            name = _ALIASES.get(key, key)
            if not sep or name not in names:
                valid = ", ".join(sorted({*_ALIASES, *names} - set(_ALIASES.values())))
                raise ValueError(
                    f"fault spec item {item!r}: expected key=value with key in {valid}"
                )
            try:
                values[name] = _parse_value(name, raw.strip())
            except ValueError as exc:
                raise ValueError(f"fault spec item {item!r}: {exc}") from None
        return cls(**values)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Faults:
        return cls.parse(read(SandboxConfig, env, names=("faults",)).get("faults"))

    def spec(self) -> str:
        """The canonical spec string: `Faults.parse(f.spec()) == f`."""
        default = Faults()
        items = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            key = _SHORT.get(f.name, f.name)
            if f.name == "latency_ms":
                lo, hi = value
                text = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
            elif f.name == "zero_days":
                text = "|".join(d.isoformat() for d in sorted(value))
            else:
                text = f"{value:g}" if isinstance(value, float) else str(value)
            items.append(f"{key}={text}")
        return ",".join(items)

    def pick(self, u: float, v: float) -> str | None:
        """The request fault for draws u, v in [0, 1), or None."""
        for kind, share in (
            ("429", self.throttle),
            ("503", self.unavailable),
            ("5xx", self.server_error),
            ("timeout", self.timeout),
            ("reset", self.reset),
            ("truncate", self.truncate),
        ):
            if u < share:
                if kind == "5xx":
                    return ("500", "502", "504")[int(v * 3)]
                if kind == "truncate":
                    return "truncate" if v < 0.5 else "truncate_read"
                return kind
            u -= share
        return None

    def latency_s(self, v: float) -> float:
        lo, hi = self.latency_ms
        return (lo + (hi - lo) * v) / 1000.0


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}={value} is not a share between 0 and 1")


def _parse_value(name: str, raw: str) -> object:
    if name == "zero_days":
        return frozenset(_parse_days(raw))
    if name == "latency_ms":
        lo, sep, hi = raw.partition("-")
        low = float(lo)
        return (low, float(hi) if sep else low)
    if name in ("retry_after", "rate_limit", "drift", "drift_turns", "drift_pull"):
        if not re.fullmatch(r"\d+", raw):
            raise ValueError("expected a whole number")
        return int(raw)
    return float(raw)


def _parse_days(raw: str) -> Iterator[date]:
    for part in re.split(r"[|;\s]+", raw):
        if not part:
            continue
        first, sep, last = part.partition("..")
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if sep else start
        if end < start:
            raise ValueError(f"range {part} ends before it starts")
        if (end - start).days > 3660:
            raise ValueError(f"range {part} is longer than ten years")
        day = start
        while day <= end:
            yield day
            day += timedelta(days=1)


def _check_kind(kind: str) -> str:
    kind = str(kind)
    if kind in REQUEST_FAULTS or re.fullmatch(r"[45]\d\d", kind):
        return kind
    raise ValueError(f"unknown fault kind {kind!r}: one of {', '.join(REQUEST_FAULTS)} or a status")


class FaultScript:
    """Exact, test-driven faults that take precedence over the random ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[list] = []  # [kind, remaining, endpoint or None]
        self._at: dict[int, str] = {}
        self._outage: str | None = None

    def fail_next(self, times: int = 1, kind: str = "503", *, endpoint: str | None = None) -> None:
        """The next `times` requests (to `endpoint` if given: events, event, by_date, media,
        medias) fail with `kind`."""
        with self._lock:
            self._queue.append([_check_kind(kind), times, endpoint])

    def fail_at(self, request_number: int, kind: str = "503") -> None:
        """Request number `request_number` (1-based, counting every request the sandbox has
        received since it started) fails with `kind`."""
        with self._lock:
            self._at[request_number] = _check_kind(kind)

    def start_outage(self, kind: str = "503") -> None:
        with self._lock:
            self._outage = _check_kind(kind)

    def end_outage(self) -> None:
        with self._lock:
            self._outage = None

    @contextmanager
    def outage(self, kind: str = "503") -> Iterator[None]:
        self.start_outage(kind)
        try:
            yield
        finally:
            self.end_outage()

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._at.clear()
            self._outage = None

    def take(self, request_number: int, endpoint: str) -> str | None:
        """The scripted fault for this request, consuming it."""
        with self._lock:
            if self._outage is not None:
                return self._outage
            if request_number in self._at:
                return self._at.pop(request_number)
            for entry in self._queue:
                kind, remaining, only = entry
                if only is None or only == endpoint:
                    entry[1] = remaining - 1
                    if entry[1] <= 0:
                        self._queue.remove(entry)
                    return kind
        return None
