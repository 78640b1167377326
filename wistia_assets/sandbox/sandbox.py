"""`SandboxWistia`: the simulated account: data, auth, faults and the request log in one object.

`respond()` decides everything about a request (status, body, injected fault, latency) without
doing I/O, so the in-process transport and the loopback server (`server.py`) act out the same
decision each in its own medium: the transport sleeps and raises httpx's exceptions, the
server sleeps, resets sockets and writes short bodies.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx

from wistia_assets.sandbox.api import Reply, WistiaV1, classify, error
from wistia_assets.sandbox.clock import to_epoch_ms, utc_now
from wistia_assets.sandbox.config import (
    account_zone,
    check_events_window,
    check_hours_watched,
    check_past_end,
    check_throttle_status,
)
from wistia_assets.sandbox.faults import Faults, FaultScript
from wistia_assets.sandbox.media import DEFAULT_MEDIA, SandboxMedia, phantom_media
from wistia_assets.sandbox.randomness import derive, unit
from wistia_assets.sandbox.requestlog import LoggedRequest, RequestLog
from wistia_assets.sandbox.timeline import NEVER, DriftLedger, EventsPerDay, Timeline


class RequestHeaders(Protocol):
    """A request's headers as the sandbox reads them, case-insensitive by name: httpx's
    `Headers` (the in-process transport) and the stdlib server's `email.message.Message` alike."""

    def get(self, name: str, /) -> str | None: ...


log = logging.getLogger(__name__)

RATE_WINDOW_S = 60.0
DEFAULT_EVENTS_PER_DAY = (120, 420)
MAX_EVENTS_PER_DAY = 50_000_000
MAX_MEDIA = 4000  # event keys hold the media's slot in 12 bits
MAX_TRACKED_REQUESTS = 1_000_000
_REASONS = {
    401: "Invalid credentials.",
    403: "This feature is not available on your plan.",
    404: "Not found",
    422: "Unprocessable entity",
    500: "Internal server error",
}
_GATEWAY_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
SOCKET_FAULTS = ("timeout", "reset", "truncate", "truncate_read")
STATS_ENDPOINTS = ("events", "event", "by_date")


@dataclass
class Outcome:
    """What to send back: a reply, plus how to misbehave while sending it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fault: str | None = None  # None or one of REQUEST_FAULTS (or a scripted status)
    latency_s: float = 0.0
    slow_s: float = 0.0
    cut: int = 0  # truncate*: bytes of the body actually sent
    reset_kind: str = "disconnect"  # reset: "disconnect" (FIN) or "rst" (connection reset)


def _gateway_page(status: int) -> bytes:
    title = _GATEWAY_PAGES[status]
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1>"
        "</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def fault_reply(kind: str, retry_after: int, throttle_status: int = 429) -> Reply:
    """The response of an injected status fault, shaped like Wistia's (or its gateway's).

    Throttling (`kind` 429) carries Retry-After, with status 429 or, as Wistia's older docs
    describe it, 503."""
    if kind == "429":
        text = f"Rate limit exceeded. Please retry in {retry_after} seconds.\n"
        return Reply(
            throttle_status,
            text.encode(),
            "text/plain; charset=utf-8",
            {"Retry-After": str(retry_after)},
        )
    status = int(kind)
    if status in _GATEWAY_PAGES:
        return Reply(status, _gateway_page(status), "text/html")
    return error(status, _REASONS.get(status, "Request failed"))


def parse_events_per_day(value: EventsPerDay | str) -> EventsPerDay:
    """`1000000` or `"1000000"` -> every day that many; `(120, 420)` or `"120-420"` -> a range."""
    if isinstance(value, str):
        lo, sep, hi = value.strip().partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError(f"events per day must read N or LO-HI, not {value!r}")
        return _check_events_per_day((int(lo), int(hi)) if sep else int(lo))
    return _check_events_per_day(value)


def _check_events_per_day(value: EventsPerDay) -> EventsPerDay:
    if isinstance(value, bool):
        raise ValueError("events_per_day must be an int or an (lo, hi) pair")
    lo, hi = (value, value) if isinstance(value, int) else value
    # Beyond one event per millisecond of the day, times would tie more than they differ.
    if not 0 <= lo <= hi <= MAX_EVENTS_PER_DAY:
        raise ValueError(
            f"events_per_day must satisfy 0 <= lo <= hi <= {MAX_EVENTS_PER_DAY}, got {value}"
        )
    return value if isinstance(value, int) else (int(lo), int(hi))


class SandboxWistia:
    """A deterministic Wistia v1 account: same seed, same bytes; see the package docstring."""

    base_url = "http://sandbox.invalid/v1"

    def __init__(
        self,
        media: tuple[SandboxMedia, ...] = DEFAULT_MEDIA,
        *,
        seed: int = 7,
        faults: Faults | str = Faults(),
        clock: Callable[[], datetime] | None = None,
        token: str | None = None,
        events_per_day: EventsPerDay | str = DEFAULT_EVENTS_PER_DAY,
        late_share: float = 0.03,
        day_offset_hours: int = 0,
        retention_days: int | None = 730,
        account_timezone: str = "",
        events_window: str = "inclusive",
        past_end: str = "empty",
        hours_watched: str = "sum",
        throttle_status: int = 429,
        media_only_token: str | None = None,
    ):
        """`account_timezone` .. `throttle_status`: the API's undocumented choices (see
        `config.py`). `media_only_token`: a second token that may read media but not stats
        (403 on the stats endpoints), as a token without "Read detailed stats" would."""
        media = tuple(media)
        if not 0 < len(media) <= MAX_MEDIA:
            raise ValueError(f"the sandbox serves 1 to {MAX_MEDIA} media, not {len(media)}")
        ids = [m.hashed_id for m in media]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate media ids: {ids}")
        if not 0.0 <= late_share <= 1.0:
            raise ValueError("late_share must be between 0 and 1")
        if not -14 <= day_offset_hours <= 14:
            raise ValueError("day_offset_hours must be between -14 and 14")
        self.zone = account_zone(account_timezone or "")
        if self.zone is not None and day_offset_hours:
            raise ValueError("give account_timezone or day_offset_hours, not both")
        self.events_window = check_events_window(events_window)
        self.past_end = check_past_end(str(past_end))
        self.hours_watched = check_hours_watched(hours_watched)
        self.throttle_status = check_throttle_status(int(throttle_status))
        self.media_only_token = media_only_token
        self.media = media
        self.seed = seed
        self.clock = clock or utc_now
        self.token = token
        self.events_per_day = parse_events_per_day(events_per_day)
        self.late_share = late_share
        self.day_offset_hours = day_offset_hours
        self.retention_days = retention_days
        self.request_log = RequestLog()
        self.script = FaultScript()
        self._lock = threading.Lock()
        self._number = 0
        self._attempts: dict[int, int] = {}
        self._accepted: deque[float] = deque()
        self.faults = Faults.parse(faults) if isinstance(faults, str) else faults  # + timeline

    # --- configuration ----------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        """Swap faults at run time (e.g. between benchmark phases); data caches start over."""
        self._faults = faults
        self.timeline = Timeline(
            self.media,
            phantom_media(self.seed),
            seed=self.seed,
            faults=faults,
            events_per_day=self.events_per_day,
            late_share=self.late_share,
            day_offset_hours=self.day_offset_hours,
            zone=self.zone,
            hours_watched=self.hours_watched,
        )
        self.api = WistiaV1(
            self.timeline,
            DriftLedger(faults.drift, faults.drift_pull),
            seed=self.seed,
            now_ms=self.now_ms,
            retention_days=self.retention_days,
            events_window=self.events_window,
            past_end=self.past_end,
        )

    @property
    def media_ids(self) -> tuple[str, ...]:
        return tuple(m.hashed_id for m in self.media)

    @property
    def events_rendered(self) -> int:
        """Event records generated so far (pages, lookups, ground truth): proves laziness."""
        return self.timeline.rendered

    def now_ms(self) -> int:
        return to_epoch_ms(self.clock())

    def today(self) -> date:
        return self.timeline.local_day(self.now_ms())

    # --- scripted faults, for tests ---------------------------------------------------------

    def fail_next(self, times: int = 1, kind: str = "503", *, endpoint: str | None = None) -> None:
        self.script.fail_next(times, kind, endpoint=endpoint)

    def fail_at(self, request_number: int, kind: str = "503") -> None:
        self.script.fail_at(request_number, kind)

    def start_outage(self, kind: str = "503") -> None:
        self.script.start_outage(kind)

    def end_outage(self) -> None:
        self.script.end_outage()

    def outage(self, kind: str = "503"):
        """`with sandbox.outage(): ...` every request fails with `kind` inside the block."""
        return self.script.outage(kind)

    # --- ground truth -----------------------------------------------------------------------

    def _slot(self, media_id: str) -> int:
        slot = self.timeline.slot_of.get(media_id)
        if slot is None:
            raise KeyError(f"the sandbox serves no media {media_id!r} (has {self.media_ids})")
        return slot

    def ground_truth_events(self, media_id: str, day: date) -> list[dict]:
        """Every event of that (media, account-local day) that will ever be visible, including
        late and drift events and excluding foreign and bad records; newest first."""
        plan = self.timeline.plan(self._slot(media_id), day)
        ordered = sorted(
            ((s.time_ms(i), s.order, i, s) for s in plan.truth_streams() for i in range(s.n)),
            key=lambda item: item[:3],
            reverse=True,
        )
        return [s.record(i) for _, _, i, s in ordered]

    def ground_truth_by_date(self, media_id: str, day: date) -> dict:
        """The final by_date row of that day: what by_date returns once every event arrived."""
        return self.timeline.plan(self._slot(media_id), day).by_date(NEVER)

    def arrival_of(self, event_key: str) -> datetime | None:
        """When an event becomes visible (None for unknown keys): lets tests stand just before
        or after a late event's arrival."""
        found = self.timeline.find(event_key)
        if found is None:
            return None
        _, stream, index = found
        return datetime.fromtimestamp(stream.arrival_ms(index) / 1000, tz=UTC)

    # --- serving ----------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: RequestHeaders) -> Outcome:
        """Decide the answer to one request (no I/O, no sleeping). Thread-safe."""
        arrived_at, arrived_mono = datetime.now(UTC), time.monotonic()
        parts = urlsplit(target)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        endpoint, _ = classify(path)
        canonical = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
        signature = derive(self.seed, "request", method.upper(), path, canonical)
        with self._lock:
            self._number += 1
            number = self._number
            if len(self._attempts) > MAX_TRACKED_REQUESTS:  # long-running servers
                self._attempts.clear()
            attempt = self._attempts.get(signature, 0) + 1
            self._attempts[signature] = attempt
        draw = derive(signature, attempt)
        # Independent draws: which fault, its variant, the latency, where a body is cut.
        u, v, w, x = (unit(derive(draw, k)) for k in range(4))
        request_id = _request_id(derive(self.seed, "request-id", number))
        faults = self._faults

        fault = self.script.take(number, endpoint)
        access = self._access(headers)
        if fault is None and access is None:
            reply = error(401, "Invalid credentials.")
        elif fault is None and (wait := self._throttle_wait(arrived_mono)) is not None:
            fault, reply = "rate_limit", fault_reply("429", wait, self.throttle_status)
        elif fault is None and access == "media" and endpoint in STATS_ENDPOINTS:
            reply = error(403, "This token does not have permission to read stats.")
        else:
            fault = fault or faults.pick(u, v)
            if fault is None or fault in SOCKET_FAULTS:
                reply = self._route(method, path, query) if fault != "reset" else None
            else:
                reply = fault_reply(fault, faults.retry_after, self.throttle_status)

        outcome = Outcome(
            status=reply.status if reply else 0,
            headers=self._headers(reply, request_id),
            body=reply.body if reply else b"",
            fault=fault,
            latency_s=faults.latency_s(w),
            slow_s=faults.slow_s,
        )
        if fault is None and reply is not None and reply.on_delivered is not None:
            reply.on_delivered()
        if fault in ("truncate", "truncate_read") and len(outcome.body) > 1:
            # Any strict prefix of a JSON array or object is unparseable.
            outcome.cut = max(
                1, min(len(outcome.body) - 1, int(len(outcome.body) * (0.2 + 0.6 * x)))
            )
        if fault == "reset":
            outcome.reset_kind = "rst" if x < 0.5 else "disconnect"
        self.request_log.append(
            LoggedRequest(
                number=number,
                at=arrived_at,
                monotonic=arrived_mono,
                method=method.upper(),
                path=path,
                endpoint=endpoint,
                query=query,
                status=None if fault == "reset" else outcome.status,
                fault=fault,
                request_id=request_id,
            )
        )
        return outcome

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer an httpx request in-process, acting out latency and faults the way a client
        sees them over a socket (sleeps; raises ReadTimeout / RemoteProtocolError / ReadError)."""
        outcome = self.respond(
            request.method, request.url.raw_path.decode("ascii"), request.headers
        )
        if outcome.latency_s:
            time.sleep(outcome.latency_s)
        if outcome.fault == "reset":
            if outcome.reset_kind == "rst":
                raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if outcome.fault == "timeout":
            read_timeout = (request.extensions.get("timeout") or {}).get("read")
            if read_timeout is not None and outcome.slow_s > read_timeout:
                time.sleep(read_timeout)
                raise httpx.ReadTimeout("The read operation timed out", request=request)
            time.sleep(outcome.slow_s)
        body = outcome.body
        headers = outcome.headers
        if outcome.fault in ("truncate", "truncate_read") and outcome.cut:
            # In-process there is no socket to cut: both variants arrive as unparseable JSON.
            body = body[: outcome.cut]
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        return httpx.Response(outcome.status, headers=headers, content=body, request=request)

    def transport(self) -> httpx.BaseTransport:
        """For `httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport())`."""
        return _SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return _AsyncSandboxTransport(self)

    def client(self, **kwargs) -> httpx.Client:
        """An httpx.Client wired to this sandbox in-process, authenticated if a token is set."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return httpx.Client(
            base_url=self.base_url, transport=self.transport(), headers=headers, **kwargs
        )

    # --- internals --------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str]) -> Reply:
        try:
            return self.api.route(method, path, query)
        except Exception as exc:  # a sandbox bug must look like a 500, not kill the server
            log.exception("sandbox failed to answer %s %s", method, path)
            return error(500, f"sandbox error: {type(exc).__name__}: {exc}")

    def _access(self, headers: RequestHeaders) -> str | None:
        """ "all", "media" (the media-only token) or None (not authorized)."""
        if self.token is None:
            return "all"
        scheme, _, given = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        for token, access in ((self.token, "all"), (self.media_only_token, "media")):
            if token is not None and hmac.compare_digest(given.strip().encode(), token.encode()):
                return access
        return None

    def _throttle_wait(self, now: float) -> int | None:
        """Seconds to wait if the rolling 60 s budget is spent, else None (and count this)."""
        limit = self._faults.rate_limit
        if not limit:
            return None
        with self._lock:
            while self._accepted and now - self._accepted[0] >= RATE_WINDOW_S:
                self._accepted.popleft()
            if len(self._accepted) >= limit:
                return max(1, math.ceil(self._accepted[0] + RATE_WINDOW_S - now))
            self._accepted.append(now)
        return None

    @staticmethod
    def _headers(reply: Reply | None, request_id: str) -> list[tuple[str, str]]:
        headers = [("x-request-id", request_id)]
        if reply is None:
            return headers
        headers.append(("Content-Type", reply.content_type))
        headers.append(("Cache-Control", "private, no-cache"))
        headers.extend(reply.headers.items())
        headers.append(("Content-Length", str(len(reply.body))))
        return headers


def _request_id(bits: int) -> str:
    h = f"{bits:016x}{derive(bits, 'more'):016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class _SandboxTransport(httpx.BaseTransport):
    def __init__(self, sandbox: SandboxWistia):
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.sandbox.handle(request)


class _AsyncSandboxTransport(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: SandboxWistia):
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        # The sandbox sleeps to simulate latency: keep the event loop free while it does.
        return await asyncio.to_thread(self.sandbox.handle, request)


_SHARED: dict[tuple, SandboxWistia] = {}
_SHARED_LOCK = threading.Lock()


def shared_sandbox(*, seed: int = 7, faults: str = "", **config) -> SandboxWistia:
    """One sandbox per configuration for the whole process.

    Drift reveals, attempt counters and the request log live in the instance: a pipeline that
    opens a new client per run must reuse the same sandbox, or a re-pull in the next run would
    meet a fresh account instead of the one it pulled from before.
    """
    key = (seed, Faults.parse(faults), tuple(sorted(config.items())))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SandboxWistia(seed=seed, faults=key[1], **config)
        return _SHARED[key]
