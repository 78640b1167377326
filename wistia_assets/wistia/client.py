"""The Wistia Stats API v1 client: four read endpoints, one rate budget, bounded retries.

Every attempt (first try or retry) takes a token from the shared `RateBudget`; transient failures
are retried by tenacity (see `retry_policy`), anything else becomes a `WistiaError` whose message
names the endpoint and the x-request-id. The token only ever lives in the Authorization header:
messages and logs are built here from status codes, class names and request ids.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
from tenacity import RetryCallState

from wistia_assets.settings import Secret, WistiaApiSettings, env_name, parse_media_id
from wistia_assets.wistia.call import BASE_URL_SETTING, Answer, Call, Page, gave_up, log_fields
from wistia_assets.wistia.errors import WistiaError
from wistia_assets.wistia.event_pull import EventPull
from wistia_assets.wistia.paging import ordered_pages
from wistia_assets.wistia.rate_budget import RateBudget
from wistia_assets.wistia.request_stats import RequestStats
from wistia_assets.wistia.responses import (
    RETRYABLE_TRANSPORT_ERRORS,
    RequestCancelled,
    RequestDescription,
    TransientFailure,
    decode_body,
    fatal_error,
    is_transient_status,
    parse_retry_after,
    wistia_error_text,
)
from wistia_assets.wistia.retry_policy import retrying

# `Page` and `RequestStats` are part of this module's interface (ingestion, event_pull, tests).
__all__ = ["MAX_PER_PAGE", "Page", "RequestStats", "WistiaClient"]

# Wistia silently cuts larger values to 100, which would make a full page look like the last one.
MAX_PER_PAGE = 100

# Event keys go into a URL path: nothing that could leave `/stats/events/`.
EVENT_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# Visible ASCII only: a token with a stray newline or quote would otherwise fail inside httpx.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
TOKEN_SETTING = env_name(WistiaApiSettings, "wistia_api_token")

LOGGER_NAME = "wistia_assets.wistia"
# The first wait between retries, in seconds (the resource's `backoff_base` too).
DEFAULT_BACKOFF_BASE = 1.0

# How often a speculative page looks for a spare token while it is not needed yet: it is woken
# at once when it becomes needed, so this only bounds how late it notices budget going spare.
_SPARE_POLL_SECONDS = (0.005, 1.0)


class WistiaClient:
    """Reads statistics and media of one Wistia account (v1 API), configured by the API model
    (`WistiaApiSettings`, or the whole `Settings`): the defaults are the settings' defaults."""

    def __init__(
        self,
        api: WistiaApiSettings,
        *,
        budget: RateBudget | None = None,
        transport: httpx.BaseTransport | None = None,
        logger: logging.Logger | None = None,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] | None = None,
    ):
        """`budget` defaults to the process's shared one at the model's per-slot rate. `sleep`
        replaces the wait between retries (tests); by default it is a real wait that ends early
        when a prefetched page stops being wanted."""
        token = api.wistia_api_token
        if token is not None and not isinstance(token, Secret):
            raise TypeError("pass the Wistia API token as settings.Secret, never as a plain str")
        if token is not None and not _HEADER_SAFE.fullmatch(token.reveal()):
            raise ValueError(
                "the Wistia API token is empty or contains spaces, line breaks or non-ASCII "
                f"characters: check {TOKEN_SETTING} for a stray newline or quote"
            )
        base_url, per_page, first_page = api.wistia_base_url, api.per_page, api.first_page
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"Wistia base URL must be http(s), got {base_url!r}")
        if per_page < 1:
            raise ValueError(f"per_page must be at least 1, got {per_page}")
        if first_page < 1:
            raise ValueError(
                f"first_page must be at least 1 (Wistia pages are 1-based), got {first_page}"
            )
        if api.max_attempts < 1 or api.page_prefetch < 1:
            raise ValueError("max_attempts and page_prefetch must be at least 1")
        self._log = logger or logging.getLogger(LOGGER_NAME)
        if per_page > MAX_PER_PAGE:
            self._log.warning(
                "per_page=%d is above Wistia's maximum; using %d", per_page, MAX_PER_PAGE
            )
        self.base_url = base_url.rstrip("/")
        self.per_page = min(per_page, MAX_PER_PAGE)
        self.first_page = first_page
        self.page_prefetch = api.page_prefetch
        self.max_attempts = api.max_attempts
        self.max_backoff = max_backoff
        self.backoff_base = backoff_base
        self.budget = budget or RateBudget.shared(api.per_slot_rate_per_minute)
        self.stats = RequestStats()
        self._token = token
        self._sleep = sleep
        headers = {"Accept": "application/json", "User-Agent": "wistia_assets"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.reveal()}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(api.wistia_timeout),
            transport=transport,
            follow_redirects=False,  # Wistia v1 does not redirect: one means a wrong base URL
            limits=httpx.Limits(max_connections=max(10, 2 * api.page_prefetch)),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WistiaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WistiaClient(base_url={self.base_url!r}, per_page={self.per_page})"

    # -- endpoints -------------------------------------------------------------------------

    def iter_event_pages(self, media_id: str, start_date: date, end_date: date) -> EventPull:
        """Pages of `/stats/events.json` for one media and a date range, in order, re-read until
        the window held still (`EventPull`); its `summary` says how the pull went.

        Arguments are checked now; requests start when iteration does. A read ends after the
        first page shorter than `per_page` (an empty one included), or at the answer Wistia gives
        for a page past the end.
        """
        media_id = parse_media_id(media_id)
        start, end = _date_range(start_date, end_date)

        def fetch(
            number: int, cancel: threading.Event | None, wanted: threading.Event | None
        ) -> Page:
            return self._event_page(media_id, start, end, number, self.per_page, cancel, wanted)

        return EventPull(
            read=lambda: ordered_pages(
                fetch,
                first=self.first_page,
                is_last=lambda page: len(page.records) < self.per_page,
                depth=self.page_prefetch,
            ),
            fetch=lambda number: fetch(number, None, None),
            requests=lambda: self.stats.requests,
            per_page=self.per_page,
            first=self.first_page,
            label=f"events of media '{media_id}' for {start}..{end}",
            log=self._log,
        )

    def event_page(
        self, media_id: str, start_date: date, end_date: date, page: int, *, per_page: int
    ) -> Page:
        """One page of `/stats/events.json`, with any `per_page` (probes of what Wistia does)."""
        media_id = parse_media_id(media_id)
        start, end = _date_range(start_date, end_date)
        if page < 1 or per_page < 1:
            raise ValueError(f"page and per_page must be at least 1, got {page} and {per_page}")
        return self._event_page(media_id, start, end, page, per_page, None, None)

    def _event_page(
        self,
        media_id: str,
        start: str,
        end: str,
        number: int,
        per_page: int,
        cancel: threading.Event | None,
        wanted: threading.Event | None,
    ) -> Page:
        params = {
            "media_id": media_id,
            "start_date": start,
            "end_date": end,
            "per_page": per_page,
            "page": number,
        }
        description = RequestDescription(
            "/stats/events.json", params, media_id=media_id, page=number
        )
        return self._page(Call(description, expect=list, cancel=cancel, wanted=wanted), number)

    def media_by_date(self, media_id: str, start_date: date, end_date: date) -> Page:
        """Daily `{date, load_count, play_count, hours_watched}` rows for an inclusive range."""
        media_id = parse_media_id(media_id)
        start, end = _date_range(start_date, end_date)
        description = RequestDescription(
            f"/stats/medias/{media_id}/by_date.json",
            {"start_date": start, "end_date": end},
            media_id=media_id,
        )
        return self._page(Call(description, expect=list), 1)

    def show_media(self, media_id: str) -> Page:
        """The media object; `records == [media]`."""
        media_id = parse_media_id(media_id)
        description = RequestDescription(f"/medias/{media_id}.json", {}, media_id=media_id)
        return self._page(Call(description, expect=dict), 1)

    def show_event(self, event_key: str) -> dict:
        """One event by its key."""
        if not isinstance(event_key, str) or not EVENT_KEY_PATTERN.fullmatch(event_key):
            raise ValueError(
                f"{event_key!r} is not a Wistia event key (letters, digits, '-', '_', '.', ':')"
            )
        description = RequestDescription(f"/stats/events/{event_key}.json", {}, event_key=event_key)
        data = self._request(Call(description, expect=dict)).data
        if not isinstance(data, dict):  # decode_body(expect=dict) lets nothing else through
            raise TypeError(f"{description.label}: expected an object, got {type(data).__name__}")
        return data

    # -- one request, its retries and its failure ------------------------------------------

    def _page(self, call: Call, number: int) -> Page:
        answer = self._request(call)
        records = answer.data if isinstance(answer.data, list) else [answer.data]
        return Page(
            number=number,
            records=records,
            request_id=answer.request_id,
            byte_count=answer.byte_count,
            fetched_at=datetime.now(UTC),
            attempts=answer.attempts,
        )

    def _request(self, call: Call) -> Answer:
        started = time.monotonic()
        retry_loop = retrying(
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            max_backoff=self.max_backoff,
            sleep=lambda seconds: self._pause(seconds, call.cancel),
            before_sleep=lambda state: self._log_retry(call, state),
        )
        # Final failures are logged at WARNING: the exception carries the same text to whoever
        # decides it is fatal, and a prefetched page past the end may fail without mattering.
        try:
            return retry_loop(self._attempt, call)
        except TransientFailure as last:
            error = gave_up(call, last, time.monotonic() - started)
            self._log.warning("%s", error, extra=log_fields(call, error.status, error.request_id))
            raise error from None
        except WistiaError as fatal:
            self._log.warning("%s", fatal, extra=log_fields(call, fatal.status, fatal.request_id))
            raise

    def _attempt(self, call: Call) -> Answer:
        self._raise_if_cancelled(call)
        waited = self._take_token(call)
        self._raise_if_cancelled(call)  # the wait for a token can be long; the page may be moot
        call.attempts += 1
        self.stats.record_request(waited, retry=call.attempts > 1)
        try:
            response = self._http.get(
                self.base_url + call.description.url_path, params=dict(call.description.params)
            )
        except RETRYABLE_TRANSPORT_ERRORS as exc:
            raise TransientFailure(cause=type(exc).__name__, detail=self._scrub(str(exc))) from None
        except httpx.HTTPError as exc:
            raise WistiaError(
                f"{call.description.label} could not be sent ({type(exc).__name__}: "
                f"{self._scrub(str(exc))}); check {BASE_URL_SETTING}.",
                url_path=call.description.url_path,
                media_id=call.description.media_id,
            ) from None

        status = response.status_code
        request_id = response.headers.get("x-request-id")
        content = response.content
        self.stats.record_response(len(content), request_id, status)
        if 200 <= status < 300:
            try:
                data = decode_body(content, expect=call.expect)
            except TransientFailure as failure:
                failure.request_id = request_id
                raise
            self._log.debug(
                "Wistia %s: HTTP %d, %d bytes, attempt %d",
                call.description.label,
                status,
                len(content),
                call.attempts,
                extra=log_fields(call, status, request_id),
            )
            return Answer(data, request_id, len(content), call.attempts)
        if is_transient_status(status):
            # 429 bodies are text/plain: only the header matters.
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if status in (429, 503) and retry_after:
                # Throttling (429, or 503 as Wistia's older docs describe it): the limit is per
                # account, so every thread of the process backs off, not only this request.
                self.budget.hold(min(retry_after, self.max_backoff))
            raise TransientFailure(status=status, request_id=request_id, retry_after=retry_after)
        raise fatal_error(
            call.description, status, request_id, wistia_error_text(content, self._scrub)
        )

    def _log_retry(self, call: Call, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        status = getattr(failure, "status", None)
        request_id = getattr(failure, "request_id", None)
        summary = (
            failure.summary if isinstance(failure, TransientFailure) else type(failure).__name__
        )
        self._log.warning(
            "Wistia %s: %s, attempt %d/%d failed; retrying in %.1f s (x-request-id: %s)",
            call.description.label,
            summary,
            state.attempt_number,
            self.max_attempts,
            wait,
            request_id or "none",
            extra=log_fields(call, status, request_id) | {"wistia_wait_seconds": wait},
        )

    def _take_token(self, call: Call) -> float:
        """Wait for a budget token; return the seconds waited.

        A needed request queues for its turn. A page fetched ahead may be past the end of the
        window, so until it is needed it only takes a token that is spare now: it never makes a
        needed request wait, and never reserves a slot that is thrown away when the window
        turns out to end before it.
        """
        wanted = call.wanted
        if wanted is None or wanted.is_set():
            return self.budget.acquire()
        started = time.monotonic()
        low, high = _SPARE_POLL_SECONDS
        while not wanted.is_set():
            if self.budget.try_acquire():
                return time.monotonic() - started
            wanted.wait(min(max(self.budget.free_in(), low), high))
            self._raise_if_cancelled(call)
        return time.monotonic() - started + self.budget.acquire()

    @staticmethod
    def _raise_if_cancelled(call: Call) -> None:
        if call.cancel is not None and call.cancel.is_set():
            raise RequestCancelled(call.description.label)

    def _pause(self, seconds: float, cancel: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif cancel is not None:
            cancel.wait(seconds)  # a page nobody wants any more need not wait out its backoff
        else:
            time.sleep(seconds)

    def _scrub(self, text: str) -> str:
        if self._token is not None:
            text = text.replace(self._token.reveal(), "********")
        return text


def _date_range(start_date: date, end_date: date) -> tuple[str, str]:
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        # datetime is a date too, but its isoformat() is not the YYYY-MM-DD Wistia expects
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    if start_date > end_date:
        raise ValueError(f"start_date {start_date} is after end_date {end_date}")
    return start_date.isoformat(), end_date.isoformat()
