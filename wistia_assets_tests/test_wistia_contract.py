"""Contract tests against the REAL Wistia API: do the assumptions in WISTIA_API.md still hold?

They check authentication, the three endpoints the pipeline reads and the types of the fields that
Silver relies on, and, with the probes of `wistia-assets doctor`, what Wistia leaves undocumented:
how the events window reads its dates and where the account's day starts (against
WISTIA_EVENTS_WINDOW and WISTIA_ACCOUNT_TIMEZONE as set), the per_page cap, the answer to a page
past the end. They need a read-only token and a media with events in the last 30 days, and are
skipped otherwise (run them with `pytest -m contract` and the variables below). They spend about
a hundred requests of the account's 600/min, paced at 60/min.

    WISTIA_CONTRACT_TOKEN             a token with "Read all folder and media data" and
                                      "Read detailed stats"
    WISTIA_CONTRACT_MEDIA_ID          a media with events in the last 30 days
    WISTIA_CONTRACT_BASE_URL          optional (default https://api.wistia.com/v1)
    WISTIA_CONTRACT_MEDIA_ONLY_TOKEN  optional: a token of the same account WITHOUT "Read detailed
                                      stats"; its stats requests must be refused with 403

`make contract-sandbox` runs them against `wistia-assets sandbox serve`, to prove they run.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from wistia_assets.doctor import choose_day, examine, render
from wistia_assets.settings import Secret, Settings, WistiaApiSettings
from wistia_assets.wistia import (
    RateBudget,
    WistiaAuthError,
    WistiaClient,
    WistiaForbiddenError,
    WistiaNotFoundError,
)
from wistia_assets.wistia.account_days import midnight
from wistia_assets.wistia.event_pull import NOT_AN_END
from wistia_assets.wistia.probes import (
    ProbeBudget,
    check_access,
    past_end_answer,
    per_page_cap,
    pull_window,
    recent_days,
)
from wistia_assets.wistia.windows import event_window

TOKEN = os.environ.get("WISTIA_CONTRACT_TOKEN", "")
MEDIA_ID = os.environ.get("WISTIA_CONTRACT_MEDIA_ID", "")
BASE_URL = os.environ.get("WISTIA_CONTRACT_BASE_URL", "https://api.wistia.com/v1")
MEDIA_ONLY_TOKEN = os.environ.get("WISTIA_CONTRACT_MEDIA_ONLY_TOKEN", "")

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
    api = WistiaApiSettings(
        wistia_base_url=BASE_URL,
        wistia_api_token=Secret(TOKEN),
        wistia_timeout=60.0,
        max_attempts=4,
    )
    with WistiaClient(api, budget=budget) as client:
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
    api = WistiaApiSettings(wistia_base_url=BASE_URL, wistia_api_token=Secret(bogus))
    with WistiaClient(api, budget=budget) as client:
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


# -- what Wistia leaves undocumented, with the doctor's probes ------------------------------------


@pytest.fixture(scope="module")
def settings():
    """The pipeline's settings for this account: the contract variables, plus
    WISTIA_EVENTS_WINDOW / WISTIA_ACCOUNT_TIMEZONE as the operator set them (defaults if not)."""
    env = {
        "WISTIA_API_TOKEN": TOKEN,
        "WISTIA_BASE_URL": BASE_URL,
        "MEDIA_IDS": MEDIA_ID,
        "WISTIA_START_DATE": "2026-01-01",
    }
    for name in ("WISTIA_EVENTS_WINDOW", "WISTIA_ACCOUNT_TIMEZONE"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return Settings.from_env(env)


@pytest.fixture(scope="module")
def probe(client):
    return ProbeBudget(client, 200)


@pytest.fixture(scope="module")
def probe_day(client, probe):
    """A recent day of the media with plays, as the doctor picks it, and by_date's plays."""
    today = datetime.now(UTC).date()
    access = check_access(client, probe, (MEDIA_ID,), recent_days(today))
    plays = access.plays(MEDIA_ID)
    chosen = choose_day({MEDIA_ID: plays}, today)
    assert chosen, f"media {MEDIA_ID!r} had no plays in the last three weeks (by_date)"
    return chosen[1], plays


def test_the_doctor_finds_the_api_as_configured(settings, client):
    report = examine(settings, client, today=datetime.now(UTC).date())
    assert report.exit_code == 0, "\n" + render(report)


def test_by_date_of_seven_days_is_seven_unique_dates(client):
    start = YESTERDAY - timedelta(days=6)
    rows = client.media_by_date(MEDIA_ID, start, YESTERDAY).records
    dates = [row["date"] for row in rows]
    assert len(dates) == len(set(dates)) == 7, dates
    assert sorted(dates) == [(start + timedelta(days=n)).isoformat() for n in range(7)]


def test_a_utc_days_request_holds_only_that_days_events(settings, client, probe, probe_day):
    """What the pipeline asks for one UTC day (`event_window` with the settings) returns events
    of the account days it means, and nothing outside them."""
    day, _ = probe_day
    window = event_window(day, settings.account_timezone, settings.events_window)
    read = pull_window(client, probe, MEDIA_ID, window.start_date, window.end_date)
    assert read.pull.events, f"{window.params()} returned nothing although by_date counts plays"
    zone = settings.account_timezone
    first = datetime(*window.first_account_day.timetuple()[:3], tzinfo=zone)
    after = window.last_account_day + timedelta(days=1)
    last = datetime(*after.timetuple()[:3], tzinfo=zone)
    outside = [t for _, t in read.pull.events if not first <= t < last]
    assert not outside, (
        f"{len(outside)} of {len(read.pull.events)} events of {window.params()} fall outside "
        f"the account days {window.first_account_day}..{window.last_account_day} in {zone.key}: "
        "run `wistia-assets doctor` for the right WISTIA_ACCOUNT_TIMEZONE / WISTIA_EVENTS_WINDOW"
    )
    inside = [t for _, t in read.pull.events if midnight(day) <= t < midnight(day) + ONE_DAY]
    assert inside, f"no event of {window.params()} falls in UTC day {day}"


def test_the_answer_past_the_end_is_one_the_pull_takes_for_the_end(
    settings, client, probe, probe_day
):
    day, _ = probe_day
    window = event_window(day, settings.account_timezone, settings.events_window)
    read = pull_window(client, probe, MEDIA_ID, window.start_date, window.end_date)
    answer = past_end_answer(client, probe, MEDIA_ID, read.pull)
    assert answer is not None, "the probe window was too large to read whole"
    assert answer.answer != "other records", answer.detail
    assert answer.status is None or answer.status not in NOT_AN_END, answer


def test_per_page_is_not_capped_below_the_setting(settings, client, probe, probe_day):
    _, plays = probe_day
    cap = per_page_cap(client, probe, MEDIA_ID, min(plays), max(plays), settings.per_page)
    assert not cap.below_setting, cap.detail


@pytest.mark.skipif(
    not MEDIA_ONLY_TOKEN,
    reason="set WISTIA_CONTRACT_MEDIA_ONLY_TOKEN to a token without 'Read detailed stats'",
)
def test_a_token_without_stats_permission_is_refused_with_403(budget):
    api = WistiaApiSettings(wistia_base_url=BASE_URL, wistia_api_token=Secret(MEDIA_ONLY_TOKEN))
    with WistiaClient(api, budget=budget) as limited:
        assert limited.show_media(MEDIA_ID).records[0]["hashed_id"] == MEDIA_ID
        with pytest.raises(WistiaForbiddenError) as caught:
            limited.media_by_date(MEDIA_ID, YESTERDAY, YESTERDAY)
        assert caught.value.status == 403
        with pytest.raises(WistiaForbiddenError):
            next(iter(limited.iter_event_pages(MEDIA_ID, YESTERDAY, YESTERDAY)))
    assert MEDIA_ONLY_TOKEN not in str(caught.value)


ONE_DAY = timedelta(days=1)
