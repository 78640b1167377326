"""The sandbox's options for what Wistia leaves undocumented, each as a client meets it: which end
of an events window is inclusive, account-local days (fixed offset or an IANA zone with its
daylight saving days), the answer to a page past the end, hours_watched derived from plays,
throttling as 503 with Retry-After, a token without stats permission, drift during a later pull;
and the one place that parses every WISTIA_SANDBOX_* knob."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxConfig, SandboxWistia, sandbox_from_env
from wistia_assets.settings import SANDBOX_MEDIA_IDS, ConfigError

YT, FB = SANDBOX_MEDIA_IDS
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def received(event: dict) -> datetime:
    return datetime.fromisoformat(event["received_at"].replace("Z", "+00:00"))


def keys(events: list[dict]) -> list[str]:
    return [e["event_key"] for e in events]


def pull(sandbox: SandboxWistia, start: date, end: date, media: str = YT) -> list[dict]:
    """Every page of a window, one plain read (what a naive client does)."""
    out: list[dict] = []
    with sandbox.client() as client:
        for page in range(1, 1000):
            params = {
                "media_id": media,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "per_page": 100,
                "page": page,
            }
            response = client.get("/stats/events.json", params=params)
            assert response.status_code == 200, response.text
            out.extend(response.json())
            if len(response.json()) < 100:
                return out
    raise AssertionError("the window never ended")


# -- the events window ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "asked", "served"),
    [
        ("inclusive", (0, 0), (0, 0)),
        ("inclusive", (0, 1), (0, 1)),
        ("end-exclusive", (0, 0), None),
        ("end-exclusive", (0, 1), (0, 0)),
        ("end-exclusive", (-1, 0), (-1, -1)),
        ("start-exclusive", (0, 0), None),
        ("start-exclusive", (0, 1), (1, 1)),
        ("start-exclusive", (-1, 0), (0, 0)),
        ("exclusive", (0, 1), None),
        ("exclusive", (-1, 1), (0, 0)),
    ],
)
def test_the_events_window_reads_its_ends_as_configured(window, asked, served):
    sandbox = SandboxWistia(clock=lambda: NOW, events_window=window)
    start, end = (DAY + timedelta(days=n) for n in asked)

    got = pull(sandbox, start, end)

    if served is None:
        assert got == []  # an excluded end empties a one-day window: no error, like a quiet day
    else:
        first, last = (DAY + timedelta(days=n) for n in served)
        days = [last - timedelta(days=n) for n in range((last - first).days + 1)]
        assert keys(got) == [k for d in days for k in keys(sandbox.ground_truth_events(YT, d))]


def test_a_window_backwards_is_still_refused_whatever_the_ends_mean():
    sandbox = SandboxWistia(clock=lambda: NOW, events_window="end-exclusive")
    with sandbox.client() as client:
        response = client.get(
            "/stats/events.json",
            params={"media_id": YT, "start_date": "2026-11-21", "end_date": "2026-11-20"},
        )
    assert response.status_code == 422


def test_by_date_stays_inclusive_whatever_the_events_window():
    sandbox = SandboxWistia(clock=lambda: NOW, events_window="exclusive")
    with sandbox.client() as client:
        rows = client.get(
            f"/stats/medias/{YT}/by_date.json",
            params={"start_date": DAY.isoformat(), "end_date": DAY.isoformat()},
        ).json()
    assert [r["date"] for r in rows] == [DAY.isoformat()]


# -- account-local days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("America/New_York", DAY, 24),  # EST: -05:00
        ("America/New_York", date(2026, 11, 1), 25),  # the day clocks fall back
        ("America/New_York", date(2026, 3, 8), 23),  # the day clocks spring forward
        ("Asia/Tokyo", DAY, 24),
    ],
)
def test_an_account_zone_makes_days_start_at_local_midnight(zone, day, hours):
    sandbox = SandboxWistia(clock=lambda: NOW, account_timezone=zone)
    from zoneinfo import ZoneInfo

    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    end = start.astimezone(UTC) + timedelta(hours=hours)
    events = sandbox.ground_truth_events(YT, day)
    times = [received(e) for e in events]
    assert all(start <= t < end for t in times)
    # the day fills its local hours: the last one has events too
    assert any(t >= end - timedelta(hours=1) for t in times)
    assert pull(sandbox, day, day) == events


def test_a_fixed_offset_and_a_zone_are_not_both_accepted():
    with pytest.raises(ValueError, match="not both"):
        SandboxWistia(account_timezone="Asia/Tokyo", day_offset_hours=9)
    with pytest.raises(ConfigError, match="WISTIA_SANDBOX_ACCOUNT_TIMEZONE"):
        SandboxConfig.from_env(
            {
                "WISTIA_SANDBOX_ACCOUNT_TIMEZONE": "Asia/Tokyo",
                "WISTIA_SANDBOX_DAY_OFFSET_HOURS": "9",
            }
        )


# -- a page past the end --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("past_end", "status", "answer"),
    [("empty", 200, "empty"), ("repeat", 200, "last page"), ("404", 404, None), ("500", 500, None)],
)
def test_a_page_past_the_end_is_answered_as_configured(past_end, status, answer):
    sandbox = SandboxWistia(clock=lambda: NOW, events_per_day=200, past_end=past_end)
    truth = sandbox.ground_truth_events(YT, DAY)
    with sandbox.client() as client:

        def page(n: int) -> httpx.Response:
            return client.get(
                "/stats/events.json",
                params={**WINDOW, "media_id": YT, "per_page": 100, "page": n},
            )

        assert page(2).json() == truth[100:]  # the last page is exactly full
        for past in (3, 7):
            response = page(past)
            assert response.status_code == status
            if answer == "empty":
                assert response.json() == []
            elif answer == "last page":
                assert response.json() == truth[100:]
            else:
                assert "error" in response.json() and response.headers["x-request-id"]


WINDOW = {"start_date": DAY.isoformat(), "end_date": DAY.isoformat()}


def test_a_quiet_day_is_still_an_empty_first_page_whatever_the_past_end_answer():
    sandbox = SandboxWistia(
        clock=lambda: NOW, faults=f"zero_days={DAY.isoformat()}", past_end="404"
    )
    assert pull(sandbox, DAY, DAY) == []


# -- hours_watched --------------------------------------------------------------------------------


def test_derived_hours_watched_is_a_constant_per_media_times_plays():
    derived = SandboxWistia(clock=lambda: NOW, hours_watched="derived")
    summed = SandboxWistia(clock=lambda: NOW)
    days = [DAY - timedelta(days=n) for n in range(6)]

    def per_play(sandbox, media):
        rows = [sandbox.ground_truth_by_date(media, d) for d in days]
        assert all(r["play_count"] > 0 for r in rows)
        return {round(r["hours_watched"] / r["play_count"], 9) for r in rows}

    assert len(per_play(derived, YT)) == len(per_play(derived, FB)) == 1
    assert per_play(derived, YT) != per_play(derived, FB)
    assert len(per_play(summed, YT)) == len(days)  # a true sum varies with each day's viewing
    # the counts are the same either way: only the figure's origin differs
    assert derived.ground_truth_by_date(YT, DAY)["play_count"] == (
        summed.ground_truth_by_date(YT, DAY)["play_count"]
    )


# -- throttling and permissions -------------------------------------------------------------------


def test_throttling_can_answer_503_with_retry_after():
    sandbox = SandboxWistia(clock=lambda: NOW, faults="429=1,retry_after=3", throttle_status=503)
    with sandbox.client() as client:
        response = client.get(f"/medias/{YT}.json")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"

    limited = SandboxWistia(clock=lambda: NOW, faults="rate_limit=1", throttle_status=503)
    with limited.client() as client:
        assert client.get(f"/medias/{YT}.json").status_code == 200
        second = client.get(f"/medias/{YT}.json")
    assert second.status_code == 503 and int(second.headers["Retry-After"]) >= 1


def test_a_media_only_token_reads_media_but_not_stats():
    sandbox = SandboxWistia(clock=lambda: NOW, token="full-t0k", media_only_token="media-t0k")
    with httpx.Client(base_url=sandbox.base_url, transport=sandbox.transport()) as client:

        def status(path: str, token: str) -> int:
            return client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code

        for path in (f"/stats/medias/{YT}/by_date.json", "/stats/events.json"):
            assert status(path, "media-t0k") == 403
            assert status(path, "full-t0k") == 200
        assert status(f"/medias/{YT}.json", "media-t0k") == 200
        assert status(f"/medias/{YT}.json", "nope") == 401


# -- drift during a later pull --------------------------------------------------------------------


def test_drift_during_the_second_pull_is_lost_by_a_single_read_of_it():
    sandbox = SandboxWistia(
        clock=lambda: NOW, late_share=0, events_per_day=450, faults="drift=3,drift_pull=2"
    )
    truth = set(keys(sandbox.ground_truth_events(YT, DAY)))
    plan = sandbox.timeline.plan(0, DAY)
    drift = {plan.event_key(plan.drift, i) for i in range(plan.drift.n)}

    first = keys(pull(sandbox, DAY, DAY))
    second = keys(pull(sandbox, DAY, DAY))
    third = keys(pull(sandbox, DAY, DAY))

    assert set(first) == truth - drift and len(first) == len(set(first))  # nothing moved yet
    # The second pull (the day's last, in production) pages while events appear at its head:
    # they land on page 1, already read, so the pull shows duplicates and misses them.
    missing = truth - set(second)
    assert missing and missing <= drift
    assert len(second) > len(set(second))
    assert set(third) == truth  # a third pull would see them all


# -- one place for the knobs ----------------------------------------------------------------------


def test_every_knob_is_parsed_in_one_place_and_reaches_the_sandbox():
    env = {
        "WISTIA_SANDBOX_SEED": "11",
        "WISTIA_SANDBOX_FAULTS": "drift=2",
        "WISTIA_SANDBOX_EVENTS_PER_DAY": "40-50",
        "WISTIA_SANDBOX_ACCOUNT_TIMEZONE": "America/New_York",
        "WISTIA_SANDBOX_EVENTS_WINDOW": "End-Exclusive",
        "WISTIA_SANDBOX_PAST_END": "404",
        "WISTIA_SANDBOX_HOURS_WATCHED": "derived",
        "WISTIA_SANDBOX_THROTTLE_STATUS": "503",
    }
    config = SandboxConfig.from_env(env)
    assert config == SandboxConfig(
        seed=11,
        faults="drift=2",
        events_per_day="40-50",
        account_timezone="America/New_York",
        events_window="end-exclusive",
        past_end="404",
        hours_watched="derived",
        throttle_status=503,
    )
    sandbox = sandbox_from_env(env, clock=lambda: NOW)
    assert (sandbox.seed, sandbox.events_window, sandbox.past_end, sandbox.throttle_status) == (
        11,
        "end-exclusive",
        "404",
        503,
    )
    assert str(sandbox.zone) == "America/New_York" and sandbox.faults.drift == 2
    # The local deployment's resource carries the same knobs to the sandbox it opens.
    resource = WistiaApiResource(sandbox=True, **SandboxConfig.from_env(env).resource_fields())
    assert SandboxConfig.from_resource_fields(resource) == config


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("WISTIA_SANDBOX_SEED", "seven", "not an integer"),
        ("WISTIA_SANDBOX_FAULTS", "drift_pull=0", "drift_pull"),
        ("WISTIA_SANDBOX_EVENTS_PER_DAY", "lots", "N or LO-HI"),
        ("WISTIA_SANDBOX_DAY_OFFSET_HOURS", "15", "between -14 and 14"),
        ("WISTIA_SANDBOX_ACCOUNT_TIMEZONE", "Mars/Olympus", "not a known IANA time zone"),
        ("WISTIA_SANDBOX_EVENTS_WINDOW", "half-open", "inclusive, end-exclusive"),
        ("WISTIA_SANDBOX_PAST_END", "204", "empty, repeat or an HTTP error status"),
        ("WISTIA_SANDBOX_HOURS_WATCHED", "average", "sum, derived"),
        ("WISTIA_SANDBOX_THROTTLE_STATUS", "500", "not 429 or 503"),
    ],
)
def test_a_bad_knob_is_refused_with_its_variable_name(name, value, fragment):
    with pytest.raises(ConfigError) as caught:
        SandboxConfig.from_env({name: value})
    assert name in str(caught.value) and fragment in str(caught.value)
