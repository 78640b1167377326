"""The sandbox's data: deterministic, shaped like both Wistia payload eras, consistent between
events and by_date, lazily generated (a 1,000,000-event day serves any page in milliseconds),
and visible only once it has arrived (late events, future days, account-local days)."""

from __future__ import annotations

import json
import sys
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest

from wistia_assets.sandbox import DEFAULT_MEDIA, Faults, ManualClock, SandboxWistia
from wistia_assets.sandbox.events import (
    engagement_table,
    percent_viewed_e4,
    percent_viewed_sum_e4,
)
from wistia_assets.settings import SANDBOX_MEDIA_IDS

YT, FB = SANDBOX_MEDIA_IDS
DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def pull(sandbox: SandboxWistia, media_id: str, day: date, per_page: int = 100) -> list[dict]:
    events, page = [], 1
    with sandbox.client() as client:
        while True:
            batch = client.get(
                "/stats/events.json",
                params={
                    "media_id": media_id,
                    "start_date": day.isoformat(),
                    "end_date": day.isoformat(),
                    "per_page": per_page,
                    "page": page,
                },
            ).json()
            events += batch
            if len(batch) < per_page:
                return events
            page += 1


def parse_received_at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_default_media_are_the_settings_ids_with_channel_suffixes():
    assert tuple(m.hashed_id for m in DEFAULT_MEDIA) == SANDBOX_MEDIA_IDS
    assert [m.name.rsplit(" ", 1)[1] for m in DEFAULT_MEDIA] == ["YT", "FB"]


def test_same_seed_same_bytes_other_seed_other_bytes():
    def bodies(seed: int) -> list[bytes]:
        sandbox = SandboxWistia(seed=seed, clock=lambda: NOW)
        with sandbox.client() as client:
            return [
                client.get(path, params=params).content
                for path, params in [
                    ("/stats/events.json", {"media_id": YT, "per_page": 100, "page": 2}),
                    ("/stats/medias/sbx2fb9m4w/by_date.json", {"start_date": "2026-11-01"}),
                    (f"/medias/{FB}.json", {}),
                ]
            ]

    assert bodies(7) == bodies(7)
    other = bodies(8)
    assert other[0] != bodies(7)[0] and other[1] != bodies(7)[1]


def test_a_full_pull_is_the_ground_truth_newest_first_inside_the_day():
    sandbox = SandboxWistia(clock=lambda: NOW)
    events = pull(sandbox, YT, DAY)
    assert events == sandbox.ground_truth_events(YT, DAY)
    assert 120 <= len(events) <= 420
    times = [parse_received_at(e["received_at"]) for e in events]
    assert times == sorted(times, reverse=True)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    assert all(start <= t < start + timedelta(days=1) for t in times)
    keys = [e["event_key"] for e in events]
    assert len(set(keys)) == len(keys)
    assert {e["media_id"] for e in events} == {YT}


def test_both_payload_eras_with_their_type_differences():
    sandbox = SandboxWistia(clock=lambda: NOW)
    events = [
        e for day in range(14, 21) for e in sandbox.ground_truth_events(YT, date(2026, 11, day))
    ]
    legacy = [
        e for e in events if not e["received_at"].endswith(".000Z") and len(e["received_at"]) == 20
    ]
    current = [e for e in events if len(e["received_at"]) == 24]
    assert len(legacy) + len(current) == len(events)
    assert 0.2 < len(legacy) / len(events) < 0.4
    for e in legacy:
        assert isinstance(e["conversion_type"], int)
        assert e["conversion_data"] == ""
        assert e.get("email") is None
        assert "user_agent_details" not in e
    assert any("email" not in e for e in legacy) and any("email" in e for e in legacy)
    for e in current:
        assert isinstance(e["conversion_type"], str)
        assert isinstance(e["conversion_data"], dict)
        ua = e["user_agent_details"]
        assert isinstance(ua["browser_version"], str) and isinstance(ua["mobile"], bool)
    assert any(e["conversion_data"] for e in current)
    converted = next(e for e in current if e["conversion_data"])
    assert set(converted["conversion_data"]) == {"email", "first_name", "last_name", "is_new_lead"}
    assert any(isinstance(e["email"], str) for e in current)
    assert any("attributes" in e for e in current)  # a field the pipeline does not know
    # Region as a code in the legacy era, as a name in the current one.
    assert any(e["region"] == "FL" for e in legacy) or any(e["region"] == "WA" for e in legacy)
    assert any(e["region"] in ("Florida", "Washington") for e in current)


def test_every_event_carries_the_documented_fields_and_personal_data():
    sandbox = SandboxWistia(clock=lambda: NOW)
    events = [
        e for day in range(10, 21) for e in sandbox.ground_truth_events(FB, date(2026, 11, day))
    ]
    required = {
        "received_at", "event_key", "visitor_key", "embed_url", "percent_viewed", "ip", "org",
        "country", "region", "city", "lat", "lon", "media_id", "media_name", "media_url",
        "iframe_heatmap_url", "thumbnail", "conversion_type", "conversion_data",
    }  # fmt: skip
    for e in events:
        assert required <= set(e)
        assert 0.0 <= e["percent_viewed"] <= 1.0
        assert "?public_token=" in e["iframe_heatmap_url"]
        assert e["media_name"].endswith("FB")
        assert set(e["thumbnail"]) == {"url", "width", "height"}
    assert any(":" in e["ip"] for e in events) and any("." in e["ip"] for e in events)
    assert any("email=" in e["embed_url"] and "%40" in e["embed_url"] for e in events)
    assert any("utm_source=facebook" in e["embed_url"] for e in events)
    visitors = [e["visitor_key"] for e in events]
    assert len(set(visitors)) < len(visitors)  # people come back


def test_by_date_agrees_with_the_events():
    sandbox = SandboxWistia(clock=lambda: NOW)
    with sandbox.client() as client:
        rows = client.get(
            f"/stats/medias/{YT}/by_date.json",
            params={"start_date": "2026-11-18", "end_date": "2026-11-20"},
        ).json()
    assert [r["date"] for r in rows] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    for row in rows:
        day = date.fromisoformat(row["date"])
        truth = sandbox.ground_truth_events(YT, day)
        assert row == sandbox.ground_truth_by_date(YT, day)
        assert row["play_count"] == len(truth)
        assert row["load_count"] >= row["play_count"]
        watched = sum(e["percent_viewed"] for e in truth) * DEFAULT_MEDIA[0].duration / 3600
        assert row["hours_watched"] == pytest.approx(watched, rel=1e-9)


@pytest.mark.parametrize("total", [1, 7, 999, 1000, 1001, 123_457])
def test_the_closed_form_watch_time_is_the_sum_of_the_dealt_values(total):
    assert percent_viewed_sum_e4(total) == sum(percent_viewed_e4(r, total) for r in range(total))
    table = engagement_table(DEFAULT_MEDIA[1], DAY)  # a media's own curve: the same identity
    assert percent_viewed_sum_e4(total, table) == sum(
        percent_viewed_e4(r, total, table) for r in range(total)
    )


def _audience(sandbox: SandboxWistia, media_id: str, days: range) -> dict:
    events, loads, plays, means = [], 0, 0, []
    for d in days:
        day = date(2026, 11, d)
        todays = sandbox.ground_truth_events(media_id, day)
        events += todays
        means.append(sum(e["percent_viewed"] for e in todays) / len(todays))
        row = sandbox.ground_truth_by_date(media_id, day)
        loads, plays = loads + row["load_count"], plays + row["play_count"]
    devices = [e["user_agent_details"]["mobile"] for e in events if "user_agent_details" in e]
    countries = {}
    for e in events:
        countries[e["country"]] = countries.get(e["country"], 0) + 1
    return {
        "mean_pv": sum(e["percent_viewed"] for e in events) / len(events),
        "finished": sum(e["percent_viewed"] == 1.0 for e in events) / len(events),
        "mobile": sum(devices) / len(devices),
        "top_country": max(countries, key=countries.get),
        "play_rate": plays / loads,
        "daily_mean_pv": means,
    }


def test_each_default_media_has_its_own_audience_deterministic_per_seed():
    """The report's differences are real: the YouTube media keeps viewers longer, mostly in the
    US on desktops, with most loads played; the Facebook media is watched briefly, in Europe
    and Brazil, on phones, from autoplaying loads. Same seed, same audience."""
    sandbox = SandboxWistia(clock=lambda: NOW)
    days = range(14, 21)
    yt, fb = _audience(sandbox, YT, days), _audience(sandbox, FB, days)
    assert yt["mean_pv"] > fb["mean_pv"] + 0.15
    assert yt["finished"] > 2 * fb["finished"]
    assert fb["mobile"] > yt["mobile"] + 0.3
    assert yt["top_country"] == "US" and fb["top_country"] in ("DE", "BR", "FR")
    assert yt["play_rate"] > 0.55 > 0.45 > fb["play_rate"]
    assert _audience(SandboxWistia(clock=lambda: NOW), YT, days) == yt
    # A trend over the campaign cycle: the YouTube media's share watched climbs day by day
    # (2026-11-14..20 sits inside one 28-day cycle), beyond the noise of a day's sample.
    assert yt["daily_mean_pv"][-1] > yt["daily_mean_pv"][0]
    assert engagement_table(DEFAULT_MEDIA[0], date(2026, 11, 20)) != engagement_table(
        DEFAULT_MEDIA[0], date(2026, 11, 14)
    )


def test_quiet_days_are_rows_of_zeros():
    faults = Faults.parse("zero_days=2026-11-18|2026-11-19")
    sandbox = SandboxWistia(clock=lambda: NOW, faults=faults)
    with sandbox.client() as client:
        rows = client.get(
            f"/stats/medias/{FB}/by_date.json",
            params={"start_date": "2026-11-18", "end_date": "2026-11-20"},
        ).json()
        assert rows[0] == {
            "date": "2026-11-18",
            "load_count": 0,
            "play_count": 0,
            "hours_watched": 0,
        }
        assert rows[1]["play_count"] == 0 and rows[2]["play_count"] > 0
        # Before the media existed: zero rows too, and no events.
        early = client.get(
            f"/stats/medias/{FB}/by_date.json",
            params={"start_date": "2025-03-01", "end_date": "2025-03-01"},
        ).json()
        assert early[0]["play_count"] == 0
    assert pull(sandbox, FB, date(2026, 11, 18)) == []
    assert sandbox.ground_truth_events(FB, date(2026, 11, 18)) == []


def python_calls(request):
    """(what `request()` returns, the Python function calls it made): work, counted the same on a
    busy machine as on an idle one."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        answer = request()
    finally:
        sys.setprofile(None)
    return answer, calls


def day_of(events_per_day: int):
    """A sandbox whose every day holds `events_per_day` events; its page and by_date requests."""
    sandbox = SandboxWistia(clock=lambda: NOW, events_per_day=events_per_day)
    day = {"start_date": "2026-11-20", "end_date": "2026-11-20"}
    client = sandbox.client()

    def page(n: int):
        params = {"media_id": YT, **day, "per_page": 100, "page": n}
        return lambda: client.get("/stats/events.json", params=params).json()

    def by_date():
        return client.get(f"/stats/medias/{YT}/by_date.json", params=day).json()[0]

    return sandbox, client, page, by_date


def test_a_million_event_day_serves_any_page_lazily():
    # What a request costs on a 10,000-event day, the yardstick: a million-event day served
    # lazily costs about the same, one built or walked in full costs a hundred times more.
    _, small, small_page, small_by_date = day_of(10_000)
    with small:
        page_cost = max(python_calls(small_page(n))[1] for n in (1, 50))
        by_date_cost = python_calls(small_by_date)[1]

    sandbox, client, page, by_date = day_of(1_000_000)
    with client:
        tracemalloc.start()
        pages, calls = {}, {}
        for n in (1, 9_000, 10_001):
            before = sandbox.events_rendered
            pages[n], calls[n] = python_calls(page(n))
            assert sandbox.events_rendered - before <= 100  # the day was never built
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row, by_date_calls = python_calls(by_date)
    assert len(pages[1]) == 100 and len(pages[9_000]) == 100 and pages[10_001] == []
    assert max(calls.values()) <= 2 * page_cost, (
        f"a page of the million-event day made {calls} Python calls, a page of a 10,000-event "
        f"day {page_cost}: serving a page walks the day"
    )
    assert peak < 20_000_000, peak
    assert row["play_count"] == 1_000_000
    assert by_date_calls <= 2 * by_date_cost, (
        f"by_date of the million-event day made {by_date_calls} Python calls, of a "
        f"10,000-event day {by_date_cost}: it walks the day's events"
    )
    # Page 9,000 sits where it should: older than page 1, still inside the day.
    assert pages[9_000][0]["received_at"] < pages[1][-1]["received_at"]
    assert pages[9_000][-1]["received_at"] >= "2026-11-20T"


def test_late_events_are_invisible_before_they_arrive_and_visible_after():
    day_end = datetime(2026, 11, 21, tzinfo=UTC)
    clock = ManualClock(day_end + timedelta(minutes=30))
    sandbox = SandboxWistia(clock=clock, late_share=0.1)
    truth = sandbox.ground_truth_events(YT, DAY)
    arrivals = {e["event_key"]: sandbox.arrival_of(e["event_key"]) for e in truth}
    late = {k for k, at in arrivals.items() if at >= day_end + timedelta(hours=1)}
    assert late and len(late) < len(truth)
    assert all(at <= day_end + timedelta(hours=21) for at in arrivals.values())

    arrived = pull(sandbox, YT, DAY)
    seen = {e["event_key"] for e in arrived}
    assert seen == set(arrivals) - late
    with sandbox.client() as client:
        window = {"start_date": "2026-11-20", "end_date": "2026-11-20"}
        row = client.get(f"/stats/medias/{YT}/by_date.json", params=window).json()[0]
        assert row["play_count"] == len(truth) - len(late)
        watched = sum(e["percent_viewed"] for e in arrived) * DEFAULT_MEDIA[0].duration / 3600
        assert row["hours_watched"] == pytest.approx(watched, rel=1e-9)
        first_late = min(late, key=arrivals.get)
        assert client.get(f"/stats/events/{first_late}.json").status_code == 404
        clock.set(arrivals[first_late])
        assert client.get(f"/stats/events/{first_late}.json").json()["event_key"] == first_late

    clock.set(day_end + timedelta(hours=21))
    assert pull(sandbox, YT, DAY) == truth


def test_future_days_are_empty_and_today_fills_up_as_time_passes():
    clock = ManualClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    sandbox = SandboxWistia(clock=clock)
    assert pull(sandbox, YT, date(2026, 11, 21)) == []
    midday = pull(sandbox, YT, DAY)
    assert midday and all(e["received_at"] < "2026-11-20T12:00" for e in midday)
    clock.advance(hours=6)
    assert len(pull(sandbox, YT, DAY)) > len(midday)


def test_account_local_days_shift_the_window():
    sandbox = SandboxWistia(clock=lambda: NOW, day_offset_hours=-5)
    events = sandbox.ground_truth_events(YT, DAY)
    times = [parse_received_at(e["received_at"]) for e in events]
    local_midnight = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert all(local_midnight <= t < local_midnight + timedelta(days=1) for t in times)
    assert any(t >= datetime(2026, 11, 21, tzinfo=UTC) for t in times)
    assert pull(sandbox, YT, DAY) == events


def test_event_keys_are_unique_across_media_and_days_and_look_up():
    sandbox = SandboxWistia(clock=lambda: NOW)
    keys = [
        e["event_key"]
        for media_id in (YT, FB)
        for day in range(15, 21)
        for e in sandbox.ground_truth_events(media_id, date(2026, 11, day))
    ]
    assert len(keys) == len(set(keys))
    with sandbox.client() as client:
        event = sandbox.ground_truth_events(FB, DAY)[5]
        assert client.get(f"/stats/events/{event['event_key']}.json").json() == event
        assert json.loads(client.get(f"/stats/events/{'0' * 32}.json").content) == {
            "error": f"Event not found: {'0' * 32}"
        }


@pytest.mark.parametrize("per_page", [1, 37, 100])
def test_pages_match_a_brute_force_sort_of_what_has_arrived(per_page):
    now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)  # 11-21 half over, 11-20's late cohorts due
    sandbox = SandboxWistia(clock=lambda: now, faults="foreign=0.05,bad=0.05", late_share=0.2)
    expected = []
    for day in (date(2026, 11, 21), date(2026, 11, 20), date(2026, 11, 19)):
        plan = sandbox.timeline.plan(0, day)
        arrived = [
            (s.time_ms(i), s.order, i, s)
            for s in plan.feed_streams()
            for i in range(s.n)
            if s.arrival_ms(i) <= now.timestamp() * 1000
        ]
        expected += [s.record(i) for *_, i, s in sorted(arrived, key=lambda a: a[:3], reverse=True)]
    pulled, page = [], 1
    with sandbox.client() as client:
        while True:
            params = {"media_id": YT, "start_date": "2026-11-19", "end_date": "2026-11-21"}
            batch = client.get(
                "/stats/events.json", params={**params, "per_page": per_page, "page": page}
            ).json()
            pulled += batch
            if len(batch) < per_page:
                break
            page += 1
    assert pulled == expected
    assert any(e["media_id"] == FB for e in pulled) and any("event_key" not in e for e in pulled)
