"""One logical request to Wistia: what it asks (`Call`), what it got (`Answer`, `Page`), what
every log line about it carries, and how giving up on it reads. `WistiaClient` sends it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from wistia_assets.settings import WistiaApiSettings, env_name
from wistia_assets.wistia.errors import WistiaError, WistiaProtocolError, WistiaUnavailableError
from wistia_assets.wistia.responses import RequestDescription, TransientFailure

BASE_URL_SETTING = env_name(WistiaApiSettings, "wistia_base_url")


@dataclass(frozen=True)
class Page:
    """One answer of an endpoint, with what the Bronze manifest needs to know about it."""

    number: int  # 1-based page number (1 for endpoints that are not paginated)
    records: list[dict]  # the JSON records exactly as parsed from the response
    request_id: str | None  # x-request-id
    byte_count: int  # response body size
    fetched_at: datetime  # UTC
    attempts: int  # 1 + retries for this request
    read: int = 1  # which read of the window it belongs to (>1: a re-read, see event_pull)


@dataclass
class Call:
    """One logical request and its attempts."""

    description: RequestDescription
    expect: type
    cancel: threading.Event | None = None
    # None: needed now. An event: a page fetched ahead, needed once the event is set.
    wanted: threading.Event | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Answer:
    data: list[dict] | dict
    request_id: str | None
    byte_count: int
    attempts: int


def log_fields(call: Call, status: int | None, request_id: str | None) -> dict:
    """Structured fields on every log record, for log search by request id or media."""
    return {
        "wistia_path": call.description.url_path,
        "wistia_media_id": call.description.media_id,
        "wistia_page": call.description.page,
        "wistia_status": status,
        "wistia_request_id": request_id,
        "wistia_attempt": call.attempts,
    }


def gave_up(call: Call, last: TransientFailure, elapsed: float) -> WistiaError:
    """The error of a call whose every attempt failed transiently, `last` the final one."""
    description = call.description
    common = {
        "attempts": call.attempts,
        "elapsed": elapsed,
        "status": last.status,
        "request_id": last.request_id,
        "url_path": description.url_path,
        "media_id": description.media_id,
    }
    tries = f"{call.attempts} attempt{'s' if call.attempts != 1 else ''} over {elapsed:.1f} s"
    if last.malformed:
        return WistiaProtocolError(
            f"Wistia answered {description.label} with {last.detail} after {tries}; that is "
            "not what this endpoint returns (a connection cut short, or a change on "
            "Wistia's side), try again later.",
            **common,
        )
    if last.cause:
        what = f"{last.cause}: {last.detail}" if last.detail else last.cause
        advice = f"the network, DNS or {BASE_URL_SETTING} may be at fault, or Wistia is down"
    else:
        what = last.summary
        advice = "Wistia is throttling this account or having trouble, try again later"
    return WistiaUnavailableError(
        f"Wistia did not answer {description.label} after {tries} (last: {what}); {advice}.",
        **common,
    )
