"""Contract tests against the REAL Wistia API: do the assumptions in WISTIA_API.md still hold?

They check authentication, the three endpoints the pipeline reads and the types of the fields that
Silver relies on. They need a read-only token and a media with events in the last 30 days, and are
skipped otherwise (run them with `pytest -m contract` and the variables below). They spend a few
dozen requests of the account's 600/min, paced at 60/min.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from wistia_assets.settings import Secret
from wistia_assets.wistia import (
    RateBudget,
    WistiaAuthError,
    WistiaClient,
    WistiaNotFoundError,
)

TOKEN = os.environ.get("WISTIA_CONTRACT_TOKEN", "")
MEDIA_ID = os.environ.get("WISTIA_CONTRACT_MEDIA_ID", "")
BASE_URL = os.environ.get("WISTIA_CONTRACT_BASE_URL", "https://api.wistia.com/v1")

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(
        not (TOKEN and MEDIA_ID),
        reason="contract tests call the real Wistia API: set WISTIA_CONTRACT_TOKEN (read-only "
        "token) and WISTIA_CONTRACT_MEDIA_ID (a media with events in the last 30 days); "
        "WISTIA_CONTRACT_BASE_URL is optional",
    ),
]

NUMBER = (int, float)
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


@pytest.fixture(scope="module")
def budget():
    return RateBudget(60, burst=2)


@pytest.fixture(scope="module")
def client(budget):
    with WistiaClient(
        base_url=BASE_URL, token=Secret(TOKEN), budget=budget, timeout=60.0, max_attempts=4
    ) as client:
        yield client


@pytest.fixture(scope="module")
def recent_events(client):
    """Up to three pages of the last 30 days of events."""
    events = []
    pages = client.iter_event_pages(MEDIA_ID, YESTERDAY - timedelta(days=29), YESTERDAY)
    for page in pages:
        assert page.request_id, "Wistia no longer sends x-request-id"
        events.extend(page.records)
        if page.number >= 3:
            pages.close()
            break
    assert events, (
        f"media {MEDIA_ID!r} had no events in the last 30 days: point WISTIA_CONTRACT_MEDIA_ID "
        "at a media that is being watched"
    )
    return events


def is_utc_timestamp(text: str) -> bool:
    """`2025-10-17T17:24:53.000Z` and `2014-01-27T22:42:53Z` both occur."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.utcoffset() == timedelta(0)


def test_a_wrong_token_is_rejected_as_401(budget):
    bogus = "contract-test-not-a-token-0000"
    with WistiaClient(base_url=BASE_URL, token=Secret(bogus), budget=budget) as client:
        with pytest.raises(WistiaAuthError) as caught:
            client.show_media(MEDIA_ID)
        assert client.stats.requests == 1
    assert caught.value.status == 401
    assert bogus not in str(caught.value)


def test_unknown_media_is_404(client):
    with pytest.raises(WistiaNotFoundError, match="zzzz0000notreal"):
        client.show_media("zzzz0000notreal")


def test_media_object_has_the_fields_dim_media_reads(client):
    (media,) = client.show_media(MEDIA_ID).records

    assert isinstance(media["id"], int)
    assert media["hashed_id"] == MEDIA_ID
    assert isinstance(media["name"], str)
    assert isinstance(media["duration"], NUMBER)
    for stamp in ("created", "updated"):
        assert is_utc_timestamp(media[stamp]), f"{stamp}={media[stamp]!r}"
    assert isinstance(media.get("thumbnail", {}), dict)
    if media.get("project"):
        assert "hashedId" in media["project"]  # camelCase inside nested objects
    assert "channel" not in media  # the channel comes from configuration


def test_by_date_has_one_typed_row_per_day(client):
    start = YESTERDAY - timedelta(days=6)
    page = client.media_by_date(MEDIA_ID, start, YESTERDAY)

    assert page.request_id
    for row in page.records:
        day = date.fromisoformat(row["date"])
        assert start <= day <= YESTERDAY + timedelta(days=1)  # day boundaries may be local
        assert isinstance(row["load_count"], int)
        assert isinstance(row["play_count"], int)
        assert isinstance(row["hours_watched"], NUMBER)


def test_events_have_the_fields_and_types_silver_reads(recent_events):
    for record in recent_events:
        assert isinstance(record["event_key"], str) and record["event_key"]
        assert is_utc_timestamp(record["received_at"]), record["received_at"]
        assert record["media_id"] == MEDIA_ID
        assert isinstance(record["visitor_key"], str)
        assert isinstance(record["percent_viewed"], NUMBER)
        assert 0 <= record["percent_viewed"] <= 100
        assert record.get("email") is None or isinstance(record["email"], str)
        assert isinstance(record.get("conversion_type", ""), int | str)
        assert isinstance(record.get("conversion_data", {}), dict | str)
        details = record.get("user_agent_details")
        if details:
            assert isinstance(details.get("mobile", False), bool)
    assert len({r["event_key"] for r in recent_events}) >= len(recent_events) * 0.9


def test_show_event_returns_the_same_event(client, recent_events):
    key = recent_events[0]["event_key"]
    assert client.show_event(key)["event_key"] == key


def test_per_page_above_100_is_cut_to_100(budget):
    budget.acquire()
    response = httpx.get(
        f"{BASE_URL}/stats/events.json",
        params={
            "media_id": MEDIA_ID,
            "start_date": (YESTERDAY - timedelta(days=29)).isoformat(),
            "end_date": YESTERDAY.isoformat(),
            "per_page": 150,
            "page": 1,
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60.0,
    )
    assert response.status_code == 200, response.headers.get("x-request-id")
    assert len(response.json()) <= 100
