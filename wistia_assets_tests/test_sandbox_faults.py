"""Each sandbox fault as a client sees it: status faults in-process, socket-level faults (reset,
truncated body, slow response against a read timeout) through a real httpx.Client against
`serve()`, scripted and outage faults, the rolling rate limit, and the data faults (drift,
foreign, bad) against the ground truth."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

import httpx
import pytest

from wistia_assets.sandbox import Faults, SandboxWistia, serve, shared_sandbox
from wistia_assets.sandbox import sandbox as sandbox_module
from wistia_assets.settings import SANDBOX_MEDIA_IDS

YT, FB = SANDBOX_MEDIA_IDS
DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EXAMPLE = (
    "429=0.1,retry_after=1,503=0.05,5xx=0.02,latency_ms=200,timeout=0.01,reset=0.01,"
    "truncate=0.01,drift=3,late=0.05,foreign=0.01,bad=0.01,zero_days=2026-11-18"
)
PAGE = {"media_id": YT, "start_date": "2026-11-20", "end_date": "2026-11-20", "per_page": 100}


def pages(client: httpx.Client, media_id: str, per_page: int = 50) -> list[list[dict]]:
    out, page = [], 1
    while True:
        params = {**PAGE, "media_id": media_id, "per_page": per_page, "page": page}
        batch = client.get("/stats/events.json", params=params).json()
        out.append(batch)
        if len(batch) < per_page:
            return out
        page += 1


# --- the spec ---------------------------------------------------------------------------------


def test_the_example_spec_parses_and_round_trips():
    faults = Faults.parse(EXAMPLE)
    assert faults.throttle == 0.1 and faults.retry_after == 1 and faults.unavailable == 0.05
    assert faults.server_error == 0.02 and faults.latency_ms == (200, 200)
    assert faults.drift == 3 and faults.late == 0.05 and faults.zero_days == {date(2026, 11, 18)}
    assert Faults.parse(faults.spec()) == faults
    assert Faults.parse("") == Faults() and not Faults().any
    ranged = Faults.parse("latency_ms=50-150, zero_days=2026-11-01..2026-11-03|2026-12-24")
    assert ranged.latency_ms == (50, 150) and len(ranged.zero_days) == 4
    assert Faults.from_env({"WISTIA_SANDBOX_FAULTS": "503=0.5"}).unavailable == 0.5


@pytest.mark.parametrize(
    "spec", ["430=0.1", "429", "429=2", "429=0.6,503=0.6", "drift=-1", "zero_days=2026-02-30"]
)
def test_malformed_specs_are_refused(spec):
    with pytest.raises(ValueError):
        Faults.parse(spec)


# --- status faults ----------------------------------------------------------------------------


def test_random_faults_are_reproducible_and_a_retry_gets_a_fresh_draw():
    def statuses() -> list[int]:
        sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("429=0.3,503=0.2,5xx=0.2"))
        with sandbox.client() as client:
            return [client.get("/stats/events.json", params=PAGE).status_code for _ in range(40)]

    first = statuses()
    assert first == statuses()
    assert {429, 503, 200} <= set(first) and set(first) & {500, 502, 504}


def test_429_carries_retry_after_and_a_text_body():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("retry_after=7"))
    sandbox.fail_next(1, "429")
    with sandbox.client() as client:
        response = client.get("/stats/events.json", params=PAGE)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-request-id"]
    assert "retry" in response.text.lower()


def test_503_has_no_retry_after_and_5xx_bodies_vary():
    sandbox = SandboxWistia(clock=lambda: NOW)
    with sandbox.client() as client:
        for kind in ("503", "500", "502", "504"):
            sandbox.fail_next(1, kind)
            response = client.get(f"/medias/{YT}.json")
            assert response.status_code == int(kind)
            assert "Retry-After" not in response.headers
            if kind == "500":
                assert response.json() == {"error": "Internal server error"}
            else:
                assert response.headers["content-type"] == "text/html"
                assert kind in response.text


def test_scripted_faults_and_outages():
    sandbox = SandboxWistia(clock=lambda: NOW)
    with sandbox.client() as client:
        sandbox.fail_next(2, "503")
        assert [client.get(f"/medias/{YT}.json").status_code for _ in range(3)] == [503, 503, 200]
        sandbox.fail_at(6, "429")
        assert [client.get(f"/medias/{YT}.json").status_code for _ in range(3)] == [200, 200, 429]
        sandbox.fail_next(1, "500", endpoint="by_date")
        assert client.get(f"/medias/{YT}.json").status_code == 200
        assert client.get(f"/stats/medias/{YT}/by_date.json").status_code == 500
        with sandbox.outage():
            assert {client.get(f"/medias/{YT}.json").status_code for _ in range(5)} == {503}
        assert client.get(f"/medias/{YT}.json").status_code == 200
    log = sandbox.request_log
    assert log.count(fault="503") == 7 and log.count(status=429) == 1


def test_the_rolling_rate_limit_answers_429_with_the_wait():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("rate_limit=5"))
    with sandbox.client() as client:
        statuses = [client.get(f"/medias/{YT}.json") for _ in range(7)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429] * 2
    assert 1 <= int(statuses[-1].headers["Retry-After"]) <= 60


def test_latency_is_felt_in_process():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("latency_ms=60"))
    with sandbox.client() as client:
        started = time.perf_counter()
        client.get(f"/medias/{YT}.json")
    assert time.perf_counter() - started >= 0.06


# --- socket-level faults, in-process ------------------------------------------------------------


def test_in_process_timeouts_resets_and_truncation_raise_like_httpx(monkeypatch):
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("slow_s=5"))
    slept = []
    monkeypatch.setattr(sandbox_module.time, "sleep", slept.append)
    with sandbox.client(timeout=httpx.Timeout(5.0, read=0.05)) as client:
        sandbox.fail_next(1, "timeout")
        with pytest.raises(httpx.ReadTimeout):
            client.get("/stats/events.json", params=PAGE)
        assert slept == [0.05], f"slept {slept}: the read timeout (0.05 s), not slow_s (5 s)"
        monkeypatch.undo()
        sandbox.fail_next(4, "reset")
        for _ in range(4):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get("/stats/events.json", params=PAGE)
        for kind in ("truncate", "truncate_read"):
            sandbox.fail_next(1, kind)
            response = client.get("/stats/events.json", params=PAGE)
            assert response.status_code == 200
            with pytest.raises(json.JSONDecodeError):
                response.json()
    assert sandbox.request_log.count(fault="reset") == 4
    assert all(e.status is None for e in sandbox.request_log if e.fault == "reset")


def test_a_slow_response_within_the_read_timeout_arrives():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("slow_s=0.05"))
    sandbox.fail_next(1, "timeout")
    with sandbox.client(timeout=2.0) as client:
        assert len(client.get("/stats/events.json", params=PAGE).json()) == 100


# --- socket-level faults, over loopback --------------------------------------------------------


@pytest.fixture
def served():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("slow_s=2"))
    with serve(sandbox) as server:
        timeout = httpx.Timeout(5.0, read=0.2)
        with httpx.Client(base_url=server.url, timeout=timeout) as client:
            yield sandbox, client


def test_a_reset_drops_the_connection_without_a_response(served):
    sandbox, client = served
    sandbox.fail_next(6, "reset")
    for _ in range(6):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get("/stats/events.json", params=PAGE)
    assert client.get("/stats/events.json", params=PAGE).status_code == 200


def test_truncated_bodies_with_either_content_length(served):
    sandbox, client = served
    sandbox.fail_next(1, "truncate")
    response = client.get("/stats/events.json", params=PAGE)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    sandbox.fail_next(1, "truncate_read")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/stats/events.json", params=PAGE)
    assert len(client.get("/stats/events.json", params=PAGE).json()) == 100


def test_a_slow_full_page_exceeds_the_read_timeout(served):
    sandbox, client = served
    sandbox.fail_next(1, "timeout")
    # The server holds the answer for slow_s (2 s); only the client's read timeout (0.2 s) ends
    # the request first with ReadTimeout, so no wall-clock bound is needed to tell them apart.
    with pytest.raises(httpx.ReadTimeout):
        client.get("/stats/events.json", params=PAGE)
    assert client.get("/stats/events.json", params=PAGE).status_code == 200


def test_429_over_the_socket(served):
    sandbox, client = served
    sandbox.fail_next(1, "429")
    response = client.get("/stats/events.json", params=PAGE)
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("text/plain")


# --- data faults -------------------------------------------------------------------------------


def test_drift_shows_an_event_twice_and_a_re_pull_finds_every_drift_event():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("drift=3"))
    truth = {e["event_key"] for e in sandbox.ground_truth_events(YT, DAY)}
    plain = {e["event_key"] for e in SandboxWistia(clock=lambda: NOW).ground_truth_events(YT, DAY)}
    drift_keys = truth - plain
    assert len(drift_keys) == 12  # drift * drift_turns (default 4)
    with sandbox.client() as client:
        first = [e["event_key"] for batch in pages(client, YT) for e in batch]
        assert len(first) > len(set(first))  # shifted pages repeat events
        assert set(first) <= truth and set(first) != truth
        assert set(first) & drift_keys == set()  # revealed at the head, behind the reader
        again = [e["event_key"] for batch in pages(client, YT) for e in batch]
    assert set(again) == truth and len(again) == len(truth)


def test_foreign_events_carry_the_other_media_id_and_are_not_ground_truth():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("foreign=0.05"))
    with sandbox.client() as client:
        feed = [e for batch in pages(client, YT, per_page=100) for e in batch]
    foreign = [e for e in feed if e["media_id"] != YT]
    assert foreign and {e["media_id"] for e in foreign} == {FB}
    fb_truth = {e["event_key"]: e for e in sandbox.ground_truth_events(FB, DAY)}
    assert all(fb_truth[e["event_key"]] == e for e in foreign)
    yt_truth = sandbox.ground_truth_events(YT, DAY)
    assert [e for e in feed if e["media_id"] == YT] == yt_truth


def test_bad_records_break_the_schema_and_are_not_ground_truth():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("bad=0.1"))
    with sandbox.client() as client:
        feed = [e for batch in pages(client, FB, per_page=100) for e in batch]
    truth = sandbox.ground_truth_events(FB, DAY)
    bad = [e for e in feed if e not in truth]
    assert len(feed) == len(truth) + len(bad) and bad
    for e in bad:
        broken = (
            "event_key" not in e,
            e["percent_viewed"] == 250,
            not e["received_at"].endswith("Z"),
        )
        assert sum(broken) == 1


def test_the_shared_sandbox_keeps_state_across_clients():
    first = shared_sandbox(seed=99, faults="drift=2", clock=lambda: NOW)
    assert shared_sandbox(seed=99, faults="drift=2", clock=first.clock) is first
    assert shared_sandbox(seed=98, faults="drift=2", clock=first.clock) is not first


def test_a_retried_page_one_is_not_a_re_pull():
    sandbox = SandboxWistia(clock=lambda: NOW, faults=Faults.parse("drift=3"))
    plain = {e["event_key"] for e in SandboxWistia(clock=lambda: NOW).ground_truth_events(YT, DAY)}
    sandbox.fail_next(1, "truncate")
    with sandbox.client() as client:
        client.get("/stats/events.json", params={**PAGE, "per_page": 50})  # cut short: retried
        first = {e["event_key"] for batch in pages(client, YT) for e in batch}
    assert first == plain  # the drift events are still behind the reader
