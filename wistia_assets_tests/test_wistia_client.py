"""WistiaClient against a mocked Wistia (respx router as the httpx transport; no network).

Covers what a run would notice: where pagination ends, which parameters reach Wistia, how
throttling, server errors, timeouts and cut-off bodies are retried (and logged), which failures
stop at once with which message, that the token never leaks, and that prefetched pages arrive in
order without piling up in memory. Waits run on a fake clock, so nothing sleeps for real.
"""

from __future__ import annotations

import gc
import json
import logging
import random
import threading
import time
import weakref
from datetime import UTC, date

import httpx
import pytest

from wistia_assets.settings import ConfigError, Secret
from wistia_assets.wistia import (
    RateBudget,
    WistiaAuthError,
    WistiaBadRequestError,
    WistiaError,
    WistiaForbiddenError,
    WistiaNotFoundError,
    WistiaProtocolError,
    WistiaUnavailableError,
)
from wistia_assets.wistia import client as wistia_client
from wistia_assets_tests.support.wistia import (
    BASE,
    MEDIA,
    TOKEN,
    FakeWistia,
    client_with,
    event,
    events_route,
)

DAY = date(2026, 11, 20)


def pages_of(client, start=DAY, end=DAY):
    return list(client.iter_event_pages(MEDIA, start, end))


# -- pagination ---------------------------------------------------------------------------------


def test_pages_end_at_the_first_short_page(router, make_client):
    fake = FakeWistia(250)
    route = events_route(router, fake)

    pages = pages_of(make_client(), date(2026, 11, 19), DAY)

    assert [len(p.records) for p in pages] == [100, 100, 50]
    assert [p.number for p in pages] == [1, 2, 3]
    assert route.call_count == 3
    sent = [dict(call.request.url.params) for call in route.calls]
    assert sent[0] == {
        "media_id": MEDIA,
        "start_date": "2026-11-19",
        "end_date": "2026-11-20",
        "per_page": "100",
        "page": "1",
    }
    assert [s["page"] for s in sent] == ["1", "2", "3"]


def test_pages_end_at_an_empty_page_when_the_last_full_page_was_exact(router, make_client):
    fake = FakeWistia(200)
    events_route(router, fake)

    pages = pages_of(make_client())

    assert [len(p.records) for p in pages] == [100, 100, 0]
    assert fake.pages_requested == [1, 2, 3]


def test_a_day_without_events_is_one_empty_page_with_its_request_id(router, make_client):
    events_route(router, FakeWistia(0))

    pages = pages_of(make_client())

    assert len(pages) == 1
    assert pages[0].records == []
    assert pages[0].request_id == "req-p1"


def test_per_page_is_always_sent(router, make_client):
    fake = FakeWistia(25)
    route = events_route(router, fake)

    pages = pages_of(make_client(per_page=10))

    assert [len(p.records) for p in pages] == [10, 10, 5]
    assert {call.request.url.params["per_page"] for call in route.calls} == {"10"}


def test_per_page_above_100_is_capped_so_a_full_page_is_not_taken_for_the_last(
    router, make_client, caplog
):
    fake = FakeWistia(150)
    route = events_route(router, fake)
    client = make_client(per_page=500)

    pages = pages_of(client)

    assert client.per_page == 100
    assert {call.request.url.params["per_page"] for call in route.calls} == {"100"}
    assert [len(p.records) for p in pages] == [100, 50]
    assert "per_page=500" in caplog.text


def test_first_page_is_honoured(router, make_client):
    fake = FakeWistia(250)
    events_route(router, fake)

    pages = pages_of(make_client(first_page=2))

    assert fake.pages_requested == [2, 3]
    assert [p.number for p in pages] == [2, 3]


def test_records_are_passed_through_exactly_as_wistia_sent_them(router, make_client):
    odd = {"event_key": "k1", "percent_viewed": 87, "conversion_data": "", "attributes": {"x": 1}}
    body = json.dumps([odd]).encode()
    events_route(router, lambda request: httpx.Response(200, content=body))

    (page,) = pages_of(make_client())

    assert page.records == [odd]
    assert page.byte_count == len(body)
    assert page.fetched_at.tzinfo is UTC
    assert page.attempts == 1


# -- requests -----------------------------------------------------------------------------------


def test_sends_the_token_as_bearer_header(router, make_client):
    route = events_route(router, FakeWistia(1))
    pages_of(make_client())
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_without_a_token_no_authorization_header_is_sent(router, make_client):
    route = events_route(router, FakeWistia(1))
    pages_of(make_client(wistia_api_token=None))
    assert "authorization" not in route.calls.last.request.headers


def test_media_by_date_asks_for_the_inclusive_range(router, make_client):
    rows = [{"date": "2026-11-19", "load_count": 3, "play_count": 2, "hours_watched": 0.25}]
    route = router.get(f"/stats/medias/{MEDIA}/by_date.json").mock(
        return_value=httpx.Response(200, json=rows, headers={"x-request-id": "r-bd"})
    )

    page = make_client().media_by_date(MEDIA, date(2026, 11, 19), DAY)

    assert dict(route.calls.last.request.url.params) == {
        "start_date": "2026-11-19",
        "end_date": "2026-11-20",
    }
    assert (page.number, page.records, page.request_id) == (1, rows, "r-bd")


def test_show_media_returns_the_media_object_as_the_only_record(router, make_client):
    media = {"id": 42, "hashed_id": MEDIA, "name": "Launch YT", "project": {"hashedId": "p1"}}
    router.get(f"/medias/{MEDIA}.json").mock(return_value=httpx.Response(200, json=media))

    page = make_client().show_media(MEDIA)

    assert page.records == [media]


def test_show_event_returns_the_event(router, make_client):
    router.get("/stats/events/ev000001.json").mock(return_value=httpx.Response(200, json=event(1)))
    assert make_client().show_event("ev000001") == event(1)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.iter_event_pages("E4A/../x", DAY, DAY), ConfigError),
        (lambda c: c.media_by_date("a b", DAY, DAY), ConfigError),
        (lambda c: c.show_media("../../account"), ConfigError),
        (lambda c: c.show_event("../medias/x"), ValueError),
        (lambda c: c.show_event("a?b=c"), ValueError),
        (lambda c: c.show_event("abc\n"), ValueError),
        (lambda c: c.iter_event_pages(MEDIA, DAY, date(2026, 11, 19)), ValueError),
        (lambda c: c.media_by_date(MEDIA, "2026-11-20", DAY), TypeError),
    ],
)
def test_bad_arguments_fail_before_any_request(router, make_client, call, error):
    catch_all = router.route().mock(return_value=httpx.Response(200, json=[]))

    with pytest.raises(error):
        call(make_client())

    assert catch_all.call_count == 0


def test_a_plain_string_token_is_refused():
    with pytest.raises(TypeError, match="Secret"):
        client_with(wistia_base_url=BASE, wistia_api_token=TOKEN, budget=RateBudget(60))


def test_a_token_with_a_stray_newline_is_refused_without_echoing_it():
    with pytest.raises(ValueError, match="WISTIA_API_TOKEN") as caught:
        client_with(
            wistia_base_url=BASE, wistia_api_token=Secret(TOKEN + "\n"), budget=RateBudget(60)
        )
    assert TOKEN not in str(caught.value)


def test_context_manager_closes_the_connection_pool(make_client):
    with make_client() as client:
        pass
    assert client._http.is_closed


# -- retries ------------------------------------------------------------------------------------


def answers(*responses):
    """A side effect that plays the given responses (or raises the given exceptions) in order."""
    remaining = list(responses)

    def play(request):
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return play


def ok(records=None, request_id="req-ok"):
    return httpx.Response(200, json=records or [], headers={"x-request-id": request_id})


def test_429_waits_what_retry_after_says_then_succeeds(router, make_client, clock):
    throttled = httpx.Response(
        429,
        text="Too Many Requests",
        headers={"Retry-After": "7", "content-type": "text/plain", "x-request-id": "req-429"},
    )
    events_route(router, answers(throttled, ok()))
    client = make_client()

    (page,) = pages_of(client)

    assert clock.sleeps == [7.0]
    assert page.attempts == 2
    assert client.stats.throttled == 1
    assert client.stats.retries == 1


@pytest.mark.parametrize("status", [429, 503])  # 503 + Retry-After: Wistia's older docs
def test_throttling_holds_the_shared_budget_so_other_callers_wait_too(
    router, make_client, clock, status
):
    throttled = httpx.Response(status, text="slow down", headers={"Retry-After": "5"})
    events_route(router, answers(throttled, ok()))
    client = make_client(sleep=lambda seconds: None)  # this caller does not wait itself...

    pages_of(client)

    assert clock.sleeps == [pytest.approx(5.0)]  # ...so the budget made its next request wait
    assert client.stats.throttled == 1


def test_a_503_without_retry_after_does_not_hold_the_budget(router, make_client, clock):
    events_route(router, answers(httpx.Response(503), ok()))
    client = make_client(sleep=lambda seconds: None)

    pages_of(client)

    assert clock.sleeps == []  # only this request backed off (its own, faked, sleep)


def test_retry_after_is_capped_at_max_backoff(router, make_client, clock):
    throttled = httpx.Response(429, text="slow down", headers={"Retry-After": "3600"})
    events_route(router, answers(throttled, ok()))

    pages_of(make_client(max_backoff=60.0))

    assert clock.sleeps == [60.0]


def test_a_503_storm_is_waited_out_with_growing_backoff(router, make_client, clock):
    storm = [httpx.Response(503, headers={"x-request-id": f"req-{n}"}) for n in range(4)]
    events_route(router, answers(*storm, ok(request_id="req-calm")))
    client = make_client()

    (page,) = pages_of(client)

    assert page.request_id == "req-calm"
    assert page.attempts == 5
    # exponential backoff (1, 2, 4, 8 s) plus up to 1 s of jitter each
    for n, wait in enumerate(clock.sleeps):
        assert 2**n <= wait <= 2**n + 1
    assert len(clock.sleeps) == 4
    assert client.stats.throttled == 4
    assert client.stats.request_ids == ["req-0", "req-1", "req-2", "req-3", "req-calm"]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_retried(router, make_client, status):
    route = events_route(router, answers(httpx.Response(status), ok([event(1)])))

    (page,) = pages_of(make_client())

    assert page.records == [event(1)]
    assert route.call_count == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_timeouts_and_dropped_connections_are_retried(router, make_client, failure):
    route = events_route(router, answers(failure, ok([event(1)])))

    (page,) = pages_of(make_client())

    assert page.records == [event(1)]
    assert page.attempts == 2
    assert route.call_count == 2


def test_a_truncated_json_body_is_retried(router, make_client):
    cut = httpx.Response(200, content=b'[{"event_key": "ev000001", "media_', headers={})
    route = events_route(router, answers(cut, ok([event(1)])))

    (page,) = pages_of(make_client())

    assert page.records == [event(1)]
    assert route.call_count == 2


def test_exhausted_retries_say_how_often_how_long_and_the_last_request_id(
    router, make_client, clock
):
    route = events_route(
        router, lambda request: httpx.Response(503, headers={"x-request-id": "req-last"})
    )

    with pytest.raises(WistiaUnavailableError) as caught:
        pages_of(make_client(max_attempts=3))

    err = caught.value
    assert route.call_count == 3
    assert (err.attempts, err.status, err.request_id) == (3, 503, "req-last")
    assert err.url_path == "/stats/events.json"
    assert err.media_id == MEDIA
    message = str(err)
    assert "3 attempts" in message and "HTTP 503" in message and "req-last" in message
    assert f"media '{MEDIA}'" in message


def test_exhausted_retries_after_timeouts_name_the_timeout(router, make_client):
    events_route(router, answers(httpx.ReadTimeout("timed out")))

    with pytest.raises(WistiaUnavailableError, match="ReadTimeout") as caught:
        pages_of(make_client(max_attempts=2))

    assert caught.value.attempts == 2
    assert caught.value.status is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"event_key": "a"', "not complete JSON"),
        (b'{"events": []}', "a JSON object instead of an array"),
        (b"<html>Bad Gateway</html>", "not complete JSON"),
        (b"[1, 2]", "items are not all objects"),
    ],
)
def test_a_body_that_stays_wrong_is_a_protocol_error(router, make_client, body, reason):
    route = events_route(
        router, lambda request: httpx.Response(200, content=body, headers={"x-request-id": "r9"})
    )

    with pytest.raises(WistiaProtocolError, match=reason) as caught:
        pages_of(make_client(max_attempts=2))

    assert route.call_count == 2
    assert caught.value.request_id == "r9"
    assert "2 attempts" in str(caught.value)


def test_show_media_expects_an_object(router, make_client):
    router.get(f"/medias/{MEDIA}.json").mock(return_value=httpx.Response(200, json=[{}]))
    with pytest.raises(WistiaProtocolError, match="array instead of an object"):
        make_client(max_attempts=1).show_media(MEDIA)


def test_every_attempt_takes_a_token_from_the_budget(router, make_client, clock):
    class CountingBudget(RateBudget):
        taken = 0

        def acquire(self):
            CountingBudget.taken += 1
            return super().acquire()

    events_route(router, answers(httpx.Response(503), httpx.Response(500), ok()))
    client = make_client(budget=CountingBudget(600, clock=clock, sleep=clock.sleep))

    pages_of(client)

    assert CountingBudget.taken == 3 == client.stats.requests


def test_retry_warnings_name_path_status_attempt_wait_and_request_id(router, make_client, caplog):
    events_route(
        router,
        answers(
            httpx.Response(503, headers={"x-request-id": "req-503"}),
            httpx.ReadTimeout("timed out"),
            ok(),
        ),
    )
    caplog.set_level(logging.WARNING, logger="wistia_assets.wistia")

    pages_of(make_client(max_attempts=4))

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    first, second = (r.getMessage() for r in warnings)
    assert "/stats/events.json" in first and "HTTP 503" in first
    assert "attempt 1/4" in first and "retrying in" in first and "req-503" in first
    assert "ReadTimeout" in second and "attempt 2/4" in second
    assert warnings[0].wistia_request_id == "req-503"
    assert 1.0 <= warnings[0].wistia_wait_seconds <= 2.0


def test_uses_the_logger_it_is_given(router, make_client, caplog):
    events_route(router, answers(httpx.Response(502), ok()))
    pages_of(make_client(logger=logging.getLogger("run.abc")))
    assert [r.name for r in caplog.records if r.levelno == logging.WARNING] == ["run.abc"]


# -- failures that are never retried -------------------------------------------------------------


def test_401_stops_after_one_request_with_a_clear_message_and_no_token(router, make_client, caplog):
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    route = events_route(
        router,
        lambda request: httpx.Response(
            401, json={"error": "Invalid credentials."}, headers={"x-request-id": "req-401"}
        ),
    )

    with pytest.raises(WistiaAuthError) as caught:
        pages_of(make_client())

    assert route.call_count == 1
    message = str(caught.value)
    assert any(r.getMessage() == message for r in caplog.records)  # logged with its request id
    assert message.startswith("Wistia rejected the API token (401 Invalid credentials)")
    assert "WISTIA_API_TOKEN" in message and "Read detailed stats" in message
    assert "req-401" in message
    assert caught.value.status == 401
    everything = [message, repr(caught.value), caplog.text]
    everything += [r.getMessage() for r in caplog.records]
    everything += [str(v) for r in caplog.records for v in vars(r).values()]
    assert not [text for text in everything if TOKEN in text]


def test_a_token_echoed_back_by_wistia_is_blanked_out(router, make_client):
    route = events_route(
        router, lambda request: httpx.Response(422, json={"error": f"bad token {TOKEN}"})
    )
    with pytest.raises(WistiaBadRequestError) as caught:
        pages_of(make_client())
    assert TOKEN not in str(caught.value) and "********" in str(caught.value)
    assert route.call_count == 1


def test_failures_chained_from_httpx_do_not_carry_the_token(router, make_client):
    events_route(router, answers(httpx.ConnectError("boom")))
    with pytest.raises(WistiaUnavailableError) as caught:
        pages_of(make_client(max_attempts=1))
    chain = caught.value.__cause__ or caught.value.__context__
    assert chain is None or TOKEN not in repr(chain)


def test_403_explains_plan_or_permission(router, make_client):
    route = router.get(f"/stats/medias/{MEDIA}/by_date.json").mock(
        return_value=httpx.Response(403, json={"error": "Forbidden"})
    )
    with pytest.raises(WistiaForbiddenError, match="plan or the token lacks a permission"):
        make_client().media_by_date(MEDIA, DAY, DAY)
    assert route.call_count == 1


def test_404_names_the_media_id(router, make_client):
    route = router.get(f"/medias/{MEDIA}.json").mock(
        return_value=httpx.Response(
            404, json={"error": "not found"}, headers={"x-request-id": "r4"}
        )
    )

    with pytest.raises(WistiaNotFoundError) as caught:
        make_client().show_media(MEDIA)

    assert str(caught.value).startswith(f"media '{MEDIA}' is not in this Wistia account")
    assert "r4" in str(caught.value)
    assert caught.value.media_id == MEDIA
    assert route.call_count == 1


def test_404_on_events_names_the_media_id(router, make_client):
    events_route(router, lambda request: httpx.Response(404))
    with pytest.raises(WistiaNotFoundError, match=f"media '{MEDIA}' is not in this Wistia account"):
        pages_of(make_client())


def test_404_on_an_event_names_the_event_key(router, make_client):
    router.get("/stats/events/gone1.json").mock(return_value=httpx.Response(404))
    with pytest.raises(WistiaNotFoundError, match="event 'gone1' is not known to Wistia"):
        make_client().show_event("gone1")


def test_422_quotes_wistia_and_the_parameters_sent(router, make_client):
    route = events_route(
        router,
        lambda request: httpx.Response(
            422,
            json={"error": "start_date is more than 2 years ago"},
            headers={"x-request-id": "req-422"},
        ),
    )

    with pytest.raises(WistiaBadRequestError) as caught:
        pages_of(make_client(), date(2020, 1, 1), DAY)

    message = str(caught.value)
    assert "start_date is more than 2 years ago" in message
    assert "start_date=2020-01-01" in message and "per_page=100" in message
    assert "req-422" in message and TOKEN not in message
    assert route.call_count == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 301])
def test_client_errors_are_never_retried(router, make_client, clock, status):
    route = events_route(router, lambda request: httpx.Response(status))
    with pytest.raises(WistiaError) as caught:
        pages_of(make_client())
    assert route.call_count == 1
    assert clock.sleeps == []
    assert caught.value.status == status


# -- streaming and prefetch ---------------------------------------------------------------------


def test_one_page_at_a_time_the_next_is_asked_for_only_after_the_caller_has_the_last(
    router, make_client
):
    fake = FakeWistia(350)
    events_route(router, fake)

    for page in make_client(page_prefetch=1).iter_event_pages(MEDIA, DAY, DAY):
        assert fake.pages_requested == list(range(1, page.number + 1))


@pytest.mark.parametrize("prefetch", [1, 3])
def test_earlier_pages_are_not_held_by_the_iterator(router, make_client, prefetch):
    events_route(router, FakeWistia(450))
    pages = make_client(page_prefetch=prefetch).iter_event_pages(MEDIA, DAY, DAY)

    first = weakref.ref(next(pages))
    second = weakref.ref(next(pages))
    third = next(pages)
    gc.collect()

    assert first() is None and second() is None
    assert third.number == 3
    pages.close()


def test_a_page_the_caller_dropped_is_gone_before_the_next_request(router, make_client):
    previous: list[weakref.ref] = []
    alive_during_request = []
    fake = FakeWistia(300)

    def handler(request):
        gc.collect()
        alive_during_request.append([ref() is not None for ref in previous])
        return fake(request)

    events_route(router, handler)
    pages = make_client(page_prefetch=1).iter_event_pages(MEDIA, DAY, DAY)
    for _ in range(4):
        page = next(pages)
        previous.append(weakref.ref(page))
        del page  # written to storage; the caller keeps nothing

    assert alive_during_request == [[], [False], [False, False], [False, False, False]]


def test_prefetched_pages_arrive_in_order_even_when_they_finish_out_of_order(router, make_client):
    rng = random.Random(7)
    fake = FakeWistia(1_234, delay=lambda page: rng.uniform(0, 0.02))
    events_route(router, fake)

    pages = pages_of(make_client(page_prefetch=4))

    assert [p.number for p in pages] == list(range(1, 14))
    assert [r["event_key"] for p in pages for r in p.records] == [
        e["event_key"] for e in fake.events
    ]


@pytest.mark.parametrize(("total", "prefetch"), [(25, 4), (300, 3), (0, 4), (99, 2)])
def test_prefetch_never_asks_for_more_than_k_pages_past_the_end(
    router, make_client, total, prefetch
):
    fake = FakeWistia(total)
    events_route(router, fake)

    per_page = 10 if total < 100 else 100
    pages = pages_of(make_client(per_page=per_page, page_prefetch=prefetch))

    last = pages[-1].number
    assert len(pages[-1].records) < per_page
    assert max(fake.pages_requested) <= last + prefetch - 1
    assert len(fake.pages_requested) == len(set(fake.pages_requested))
    # the caller never sees pages past the end
    assert [p.number for p in pages] == list(range(1, last + 1))


def test_prefetch_keeps_k_requests_in_flight_ahead_of_the_caller(router, make_client):
    fake = FakeWistia(1_000, delay=lambda page: 0.002)  # pages 1-10 full, page 11 empty
    events_route(router, fake)

    def furthest_requested():
        with fake._lock:
            return max(fake.pages_requested)

    ahead = {}
    for page in make_client(page_prefetch=3).iter_event_pages(MEDIA, DAY, DAY):
        wanted = min(page.number + 3, 11)
        deadline = time.monotonic() + 2.0  # a slow storage write gives prefetching time
        while furthest_requested() < wanted and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.01)  # ...and time to overshoot, if it would
        ahead[page.number] = furthest_requested() - page.number

    # while the caller writes page n, pages n+1..n+3 are fetched, and never more
    assert all(ahead[n] == 3 for n in range(1, 8)), ahead
    assert max(fake.pages_requested) <= 11 + 2


def test_prefetch_stops_issuing_once_a_short_page_is_seen_out_of_order(router, make_client):
    # page 2 is slow, page 3 (the last) answers at once: while the caller waits for page 2,
    # the client already knows that nothing after page 3 is needed
    fake = FakeWistia(25, delay=lambda page: 0.1 if page == 2 else 0.0)
    events_route(router, fake)

    numbers = []
    for page in make_client(per_page=10, page_prefetch=4).iter_event_pages(MEDIA, DAY, DAY):
        numbers.append(page.number)
        time.sleep(0.03)  # a slow write: anything issued now would surely go out

    assert numbers == [1, 2, 3]
    # pages 2-5 went out together after page 1; nothing was issued after page 2 arrived
    assert max(fake.pages_requested) <= 5


def test_a_quiet_day_costs_one_request_even_with_prefetch(router, make_client):
    fake = FakeWistia(12)
    events_route(router, fake)
    pages_of(make_client(page_prefetch=4))
    assert fake.pages_requested == [1]


def test_a_failure_surfaces_in_page_order_after_the_good_pages(router, make_client):
    # The media is deleted while page 3 is asked for: from then on every page is a 404, the
    # ones already read included, so the 404 is a failure and not the end of the window.
    served: set[int] = set()

    def handler(request):
        page = int(request.url.params["page"])
        if page >= 3 or page in served:
            return httpx.Response(404)
        served.add(page)
        return httpx.Response(200, json=[event(n) for n in range((page - 1) * 100, page * 100)])

    events_route(router, handler)
    pages = make_client(page_prefetch=3).iter_event_pages(MEDIA, DAY, DAY)

    assert next(pages).number == 1
    assert next(pages).number == 2
    with pytest.raises(WistiaNotFoundError):
        next(pages)


def test_failures_of_pages_past_the_end_are_ignored(router, make_client):
    def handler(request):
        page = int(request.url.params["page"])
        if page == 1:
            return httpx.Response(200, json=[event(n) for n in range(10)])
        if page == 2:
            return httpx.Response(200, json=[event(10)])
        return httpx.Response(500)

    events_route(router, handler)

    pages = pages_of(make_client(per_page=10, page_prefetch=3, max_attempts=3))

    assert [len(p.records) for p in pages] == [10, 1]


def test_abandoning_the_iteration_stops_prefetching(router, make_client):
    fake = FakeWistia(5_000, delay=lambda page: 0.002)
    events_route(router, fake)
    threads_before = threading.active_count()

    pages = make_client(page_prefetch=4).iter_event_pages(MEDIA, DAY, DAY)
    next(pages)
    pages.close()
    requested = len(fake.pages_requested)
    time.sleep(0.05)

    assert len(fake.pages_requested) == requested <= 5
    assert threading.active_count() == threads_before


def test_stats_add_up_across_prefetch_threads(router, make_client):
    fake = FakeWistia(420)
    events_route(router, fake)
    client = make_client(page_prefetch=3)

    pages = pages_of(client)

    stats = client.stats.snapshot()
    assert len(pages) == 5
    assert stats["requests"] == len(fake.pages_requested)  # pages past the end count too
    assert stats["retries"] == stats["throttled"] == 0
    assert stats["bytes"] >= sum(p.byte_count for p in pages)
    assert sorted(stats["request_ids"]) == sorted(f"req-p{n}" for n in fake.pages_requested)


# -- prefetch under a busy budget: speculative pages only take spare tokens ----------------------


class CountingBudget(RateBudget):
    """A real-clock budget that counts tokens handed out, queued or spare."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = 0
        self._count_lock = threading.Lock()

    def acquire(self):
        waited = super().acquire()
        with self._count_lock:
            self.taken += 1
        return waited

    def try_acquire(self):
        took = super().try_acquire()
        if took:
            with self._count_lock:
                self.taken += 1
        return took


def test_a_busy_budget_spends_no_token_on_a_page_past_the_end(router, make_client):
    # One token every 0.2 s: page 2 queues for its slot; page 3, fetched ahead, is only a guess
    # until page 2 is known full. It must neither be sent nor hold a slot it then throws away.
    fake = FakeWistia(150)
    events_route(router, fake)
    budget = CountingBudget(300, burst=1)
    client = make_client(budget=budget, page_prefetch=2)

    pages = pages_of(client)

    assert [len(p.records) for p in pages] == [100, 50]
    assert fake.pages_requested == [1, 2]
    assert budget.taken == 2
    # so the next caller waits one interval after page 2, not two
    assert budget.free_in() <= budget.interval


def test_a_busy_budget_fetches_the_pages_needed_and_no_more(router, make_client):
    fake = FakeWistia(350)
    events_route(router, fake)
    budget = CountingBudget(300, burst=1)

    pages = pages_of(make_client(budget=budget, page_prefetch=3))

    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert sorted(fake.pages_requested) == [1, 2, 3, 4]
    assert budget.taken == 4


def test_a_fetched_ahead_page_takes_a_spare_token_at_once(router, make_client, clock):
    # With tokens to spare (nobody queued), prefetching is as fast as before: pages 2 and 3 go
    # out together as soon as page 1 is full. Each answers only once the other is on the wire
    # too, so pages sent one after the other (or page 3 waiting for a token) break the barrier.
    together = threading.Barrier(2, timeout=10)
    apart = []

    def answer(request):
        if int(request.url.params["page"]) > 1:
            try:
                together.wait()
            except threading.BrokenBarrierError:
                apart.append(int(request.url.params["page"]))
        return fake(request)

    fake = FakeWistia(250)
    events_route(router, answer)
    budget = CountingBudget(6_000, burst=10, clock=clock, sleep=clock.sleep)
    client = make_client(budget=budget, page_prefetch=2)

    pages = pages_of(client)

    assert [p.number for p in pages] == [1, 2, 3]
    assert apart == [], f"pages {apart} were not in flight together: page 3 waited for page 2"
    assert budget.taken == 3 and clock.sleeps == [], "a page waited for a token to spare"


def test_abandoning_the_iteration_wakes_pages_waiting_for_spare_budget(
    router, make_client, monkeypatch
):
    # The guesses 3-5 wait for a spare token: the next one is half a minute away, and they would
    # poll for it no sooner than an hour from now. Only being woken lets `close` return.
    monkeypatch.setattr(wistia_client, "_SPARE_POLL_SECONDS", (0.005, 3600.0))
    page_2_on_the_wire, answer_page_2 = threading.Event(), threading.Event()

    def answer(request):
        if int(request.url.params["page"]) == 2:
            page_2_on_the_wire.set()
            answer_page_2.wait(timeout=30)
        return fake(request)

    fake = FakeWistia(5_000)
    events_route(router, answer)
    budget = CountingBudget(2, burst=2)  # pages 1 and 2 now, the next token 30 s away
    threads_before = threading.active_count()

    pages = make_client(budget=budget, page_prefetch=4).iter_event_pages(MEDIA, DAY, DAY)
    next(pages)
    assert page_2_on_the_wire.wait(timeout=30), "page 2 was never requested"
    closing = threading.Thread(target=pages.close)
    closing.start()
    answer_page_2.set()
    closing.join(timeout=20)

    # closing waits for page 2's answer only: the guesses are woken, not left to poll
    assert not closing.is_alive(), "close() still waits: the guesses for spare budget sleep on"
    assert fake.pages_requested == [1, 2]
    assert budget.taken == 2
    assert threading.active_count() == threads_before
