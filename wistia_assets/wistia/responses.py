"""How one Wistia answer is judged: a usable body, a failure worth retrying, or a fatal error.

The rules come from Wistia's Stats API v1 documentation: throttling arrives as 429 (text/plain body,
`Retry-After` in seconds) or as 503, with or without `Retry-After`; 401/403/404/422 never get
better by asking again; a 200 whose JSON is cut off is most likely a dropped connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from wistia_assets.wistia.errors import (
    WistiaAuthError,
    WistiaBadRequestError,
    WistiaError,
    WistiaForbiddenError,
    WistiaNotFoundError,
)

# Dropped, reset or stalled connections; a full 100-event page has been seen to time out.
RETRYABLE_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
)

# 501/505 say "this server will never do that"; every other 5xx and 408/429 pass with time.
_TRANSIENT_4XX = frozenset({408, 429})
_PERMANENT_5XX = frozenset({501, 505})

_MAX_QUOTED_CHARS = 200


class TransientFailure(Exception):
    """One attempt failed in a way a later attempt may not (internal: drives the retries)."""

    def __init__(
        self,
        *,
        status: int | None = None,
        cause: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        malformed: bool = False,
    ):
        self.status = status
        self.cause = cause  # exception class name for transport failures
        self.detail = detail
        self.request_id = request_id
        self.retry_after = retry_after
        self.malformed = malformed  # a 200 whose body is not what the endpoint returns
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        if self.status is None:
            return self.cause or "request failed"
        text = f"HTTP {self.status}"
        return f"{text} with {self.detail}" if self.detail else text


class RequestCancelled(Exception):
    """The page is no longer wanted (the iteration ended); stop before the next attempt."""


@dataclass(frozen=True)
class RequestDescription:
    """Just enough about a request to write a message a user can act on."""

    url_path: str
    params: Mapping[str, str | int]
    media_id: str | None = None
    event_key: str | None = None
    page: int | None = None

    @property
    def label(self) -> str:
        where = f"GET {self.url_path}"
        if self.media_id and self.url_path.startswith("/stats/events.json"):
            where += f" for media '{self.media_id}'"
        return f"{where} (page {self.page})" if self.page is not None else where


def is_transient_status(status: int) -> bool:
    return status in _TRANSIENT_4XX or (status >= 500 and status not in _PERMANENT_5XX)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds, or an HTTP date); None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def decode_body(content: bytes, *, expect: type) -> list[dict] | dict:
    """Parse a 200 body; raise `TransientFailure(malformed=True)` when it is not `expect`."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise TransientFailure(
            status=200,
            malformed=True,
            detail=f"a body that is not complete JSON ({len(content)} bytes, {exc.msg} "
            f"at byte {exc.pos})",
        ) from None
    except UnicodeDecodeError:
        raise TransientFailure(
            status=200, malformed=True, detail=f"a body that is not UTF-8 ({len(content)} bytes)"
        ) from None
    if not isinstance(data, expect):
        wanted = "an array" if expect is list else "an object"
        raise TransientFailure(
            status=200, malformed=True, detail=f"a JSON {_json_kind(data)} instead of {wanted}"
        )
    if isinstance(data, list) and not all(isinstance(item, dict) for item in data):
        raise TransientFailure(
            status=200, malformed=True, detail="a JSON array whose items are not all objects"
        )
    return data


def _json_kind(data: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(data), "number")


def wistia_error_text(content: bytes, scrub: Callable[[str], str]) -> str | None:
    """Wistia's own reason (`{"error": "..."}` or a short text body), safe to show."""
    if not content:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", errors="replace")
    else:
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            text = data["error"]
        elif isinstance(data, dict) and isinstance(data.get("errors"), list | dict):
            text = json.dumps(data["errors"])
        else:
            text = json.dumps(data)
    text = " ".join(scrub(text).split()).rstrip(".")
    if not text or text.lstrip().startswith("<"):
        return None  # an HTML error page says nothing useful in one line
    return text if len(text) <= _MAX_QUOTED_CHARS else text[: _MAX_QUOTED_CHARS - 1] + "…"


def fatal_error(
    request: RequestDescription, status: int, request_id: str | None, reason: str | None
) -> WistiaError:
    """The exception for a status that asking again will not fix."""
    context = {
        "status": status,
        "request_id": request_id,
        "url_path": request.url_path,
        "media_id": request.media_id,
    }
    if status == 401:
        return WistiaAuthError(
            f"Wistia rejected the API token (401 {reason or 'Invalid credentials'}). Check "
            "WISTIA_API_TOKEN: it must be a current token of this account and needs the "
            "'Read all folder and media data' and 'Read detailed stats' permissions.",
            **context,
        )
    if status == 403:
        return WistiaForbiddenError(
            f"Wistia refused {request.label} (403 {reason or 'Forbidden'}): the feature is not "
            "on this account's plan or the token lacks a permission ('Read detailed stats' for "
            "stats, 'Read all folder and media data' for media).",
            **context,
        )
    if status == 404 and request.event_key is not None:
        return WistiaNotFoundError(
            f"event '{request.event_key}' is not known to Wistia (404 on GET "
            f"{request.url_path}); Wistia keeps events for two years only.",
            **context,
        )
    if status == 404 and request.media_id is not None:
        return WistiaNotFoundError(
            f"media '{request.media_id}' is not in this Wistia account (404 on GET "
            f"{request.url_path}). Check MEDIA_IDS and that the token belongs to the account "
            "that owns this media.",
            **context,
        )
    if status in (400, 422):
        sent = ", ".join(f"{key}={value}" for key, value in request.params.items()) or "none"
        return WistiaBadRequestError(
            f"Wistia rejected the parameters of {request.label} ({status}: "
            f"{reason or 'no reason given'}). Parameters sent: {sent}.",
            **context,
        )
    hint = " Check WISTIA_BASE_URL (expected https://api.wistia.com/v1)." if status < 400 else ""
    return WistiaError(
        f"Wistia answered {request.label} with unexpected HTTP {status}"
        + (f" ({reason})." if reason else ".")
        + hint,
        **context,
    )
