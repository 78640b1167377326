"""Routing and handlers of the Wistia v1 endpoints the pipeline uses, as the real API answers.

Paths are accepted with or without the `/v1` prefix and with or without `.json`. Validation
mirrors Wistia's Stats API v1 documentation: 404 `{"error": ...}` for unknown media and events,
422 for malformed dates, start after end, or a page/per_page that is not a positive integer;
`per_page` above 100 is cut to 100 silently, and absent it is 10. What Wistia does not document
is configurable (`config.py`): whether the events window's ends are inclusive (an excluded end
makes a one-day window empty, never an error) and what a page past the end of a window is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from wistia_assets.sandbox.media import media_document
from wistia_assets.sandbox.paging import day_total, page_newest_first
from wistia_assets.sandbox.timeline import BAD, DayPlan, DriftLedger, Timeline

JSON = "application/json; charset=utf-8"
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_BY_DATE_DAYS = 3660
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^-?\d+$")

_ROUTES = (
    ("events", re.compile(r"^/stats/events(?:\.json)?$")),
    ("event", re.compile(r"^/stats/events/([^/]+?)(?:\.json)?$")),
    ("by_date", re.compile(r"^/stats/medias/([^/]+?)/by_date(?:\.json)?$")),
    ("medias", re.compile(r"^/medias(?:\.json)?$")),
    ("media", re.compile(r"^/medias/([^/]+?)(?:\.json)?$")),
)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    # Called by the sandbox once the reply goes out intact (no fault): a truncated page 1
    # that the client retries must not count as a finished read of the window.
    on_delivered: Callable[[], None] | None = None


def json_reply(status: int, payload: object) -> Reply:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Reply(status, body)


def error(status: int, message: str) -> Reply:
    return json_reply(status, {"error": message})


class BadRequest(Exception):
    """A parameter Wistia would refuse with 422."""


def classify(path: str) -> tuple[str, tuple[str, ...]]:
    """(endpoint name, path captures) for a request path; endpoint 'unknown' if none."""
    path = path.rstrip("/") or "/"
    if path == "/v1" or path.startswith("/v1/"):
        path = path[3:] or "/"
    for name, pattern in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, match.groups()
    return "unknown", ()


class WistiaV1:
    """The endpoints, answering from the timeline as of the clock's now."""

    def __init__(
        self,
        timeline: Timeline,
        drift: DriftLedger,
        *,
        seed: int,
        now_ms: Callable[[], int],
        retention_days: int | None,
        events_window: str = "inclusive",
        past_end: str = "empty",
    ):
        self.timeline = timeline
        self.drift = drift
        self.seed = seed
        self.now_ms = now_ms
        self.retention_days = retention_days
        self.events_window = events_window
        self.past_end = past_end

    def route(self, method: str, path: str, params: Mapping[str, str]) -> Reply:
        endpoint, captures = classify(path)
        if endpoint == "unknown":
            return error(404, "Not found")
        if method.upper() != "GET":
            return error(405, f"{method} is not allowed here")
        try:
            if endpoint == "events":
                return self.events(params)
            if endpoint == "event":
                return self.event(captures[0])
            if endpoint == "by_date":
                return self.by_date(captures[0], params)
            if endpoint == "media":
                return self.media(captures[0])
            return self.medias(params)
        except BadRequest as exc:
            return error(422, str(exc))

    # --- endpoints --------------------------------------------------------------------------

    def events(self, params: Mapping[str, str]) -> Reply:
        now = self.now_ms()
        today = self.timeline.local_day(now)
        media_id = params.get("media_id")
        if media_id is not None:
            slot = self.timeline.slot_of.get(media_id)
            if slot is None:
                return error(404, f"Media not found: {media_id}")
            slots = (slot,)
        else:  # account-wide feed, as the real endpoint serves without media_id
            slots = tuple(range(len(self.timeline.media)))
        oldest = self._oldest_kept(today)
        start = _date_param(params, "start_date")
        end = _date_param(params, "end_date")
        if start is not None and end is not None and start > end:
            raise BadRequest("start_date must be on or before end_date")
        # The dates as this account reads them: an excluded end drops its day.
        if start is not None and self.events_window in ("start-exclusive", "exclusive"):
            start += timedelta(days=1)
        if end is not None and self.events_window in ("end-exclusive", "exclusive"):
            end -= timedelta(days=1)
        start, end = start or oldest, end or today
        per_page = min(_positive_int(params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _positive_int(params, "page", 1)
        # Days outside [oldest kept, today] hold nothing visible: skip them cheaply.
        first, last = max(start, oldest), min(end, today)
        days = [last - timedelta(days=n) for n in range((last - first).days + 1)]
        plans = [[self.timeline.plan(slot, day) for slot in slots] for day in days]
        query = (slots, start, end)
        self.drift.before_page(query, page, [p for day_plans in plans for p in day_plans])
        visible = [
            [
                (s, s.visible(now, self.drift.revealed(plan.slot, plan.day)))
                for plan in day_plans
                for s in plan.feed_streams()
            ]
            for day_plans in plans
        ]
        offset = (page - 1) * per_page
        total = sum(day_total(day) for day in visible)
        if page > 1 and offset >= total and self.past_end != "empty":
            if self.past_end != "repeat":
                return error(int(self.past_end), f"page {page} is beyond the last page")
            offset = max(0, (total - 1) // per_page) * per_page  # the last page again
        selected = page_newest_first(visible, offset, per_page)
        reply = json_reply(200, [stream.record(i) for stream, i in selected])
        reply.on_delivered = lambda: self.drift.delivered(query, page)
        return reply

    def event(self, event_key: str) -> Reply:
        found = self.timeline.find(event_key)
        now = self.now_ms()
        if found is not None:
            plan, stream, index = found
            kept = plan.day >= self._oldest_kept(self.timeline.local_day(now))
            if stream.sid != BAD and kept and stream.arrival_ms(index) <= now:
                return json_reply(200, stream.record(index))
        return error(404, f"Event not found: {event_key}")

    def by_date(self, media_id: str, params: Mapping[str, str]) -> Reply:
        slot = self.timeline.slot_of.get(media_id)
        if slot is None:
            return error(404, f"Media not found: {media_id}")
        now = self.now_ms()
        today = self.timeline.local_day(now)
        start = _date_param(params, "start_date")
        end = _date_param(params, "end_date")
        # Neither given: yesterday and today; one given: the other from it.
        if end is None:
            end = today if start is None else max(start, today)
        if start is None:
            start = end - timedelta(days=1)
        if start > end:
            raise BadRequest("start_date must be on or before end_date")
        if (end - start).days >= MAX_BY_DATE_DAYS:
            raise BadRequest(f"date range is longer than {MAX_BY_DATE_DAYS} days")
        rows = []
        for n in range((end - start).days + 1):
            day = start + timedelta(days=n)
            rows.append(self._by_date_row(self.timeline.plan(slot, day), now, today))
        return json_reply(200, rows)

    def media(self, media_id: str) -> Reply:
        slot = self.timeline.slot_of.get(media_id)
        if slot is None:
            return error(404, f"Media not found: {media_id}")
        return json_reply(200, media_document(self.timeline.media[slot], self.seed))

    def medias(self, params: Mapping[str, str]) -> Reply:
        per_page = min(_positive_int(params, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _positive_int(params, "page", 1)
        docs = [media_document(m, self.seed) for m in self.timeline.media]
        return json_reply(200, docs[(page - 1) * per_page : page * per_page])

    # --- helpers ----------------------------------------------------------------------------

    def _oldest_kept(self, today: date) -> date:
        # Wistia keeps two years of events; the sandbox forgets older days the same way.
        if self.retention_days is None:
            return date.min
        return today - timedelta(days=self.retention_days)

    @staticmethod
    def _by_date_row(plan: DayPlan, now_ms: int, today: date) -> dict:
        if plan.day > today:
            return {
                "date": plan.day.isoformat(),
                "load_count": 0,
                "play_count": 0,
                "hours_watched": 0.0,
            }
        return plan.by_date(now_ms)


def _date_param(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _DATE.match(raw):
        raise BadRequest(f"{name} must be a date formatted YYYY-MM-DD, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} is not a valid date: {raw!r}") from None


def _positive_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not _INT.match(raw.strip()) or int(raw) < 1:
        raise BadRequest(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
