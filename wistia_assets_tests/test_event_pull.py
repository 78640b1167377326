"""A pull of an events window through the real client, against the sandbox's options and against
scripted servers: whatever Wistia answers past the end of an exactly full day, the pull holds
every event once and does not fail; a real failure there is never taken for the end; events that
appear behind the reader (at the head, or in the middle of pages already read) are found by a
bounded re-read, counted in the summary, within the rate budget and without holding the day."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import httpx
import pytest

from wistia_assets.sandbox import SandboxWistia
from wistia_assets.wistia import (
    RateBudget,
    WistiaAuthError,
    WistiaClient,
    WistiaNotFoundError,
    WistiaUnavailableError,
    WistiaUnsettledError,
)
from wistia_assets.wistia.read_digest import NewRecords, ReadDigest, id_hashes
from wistia_assets_tests.support.wistia import MEDIA, event, events_route, sandbox_client

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def pull(client: WistiaClient, media: str, day: date = DAY):
    pages = client.iter_event_pages(media, day, day)
    records = [r for page in pages for r in page.records]
    return records, pages.summary


def keys(records: list[dict]) -> list[str]:
    return [r["event_key"] for r in records]


# -- a page past the end of an exactly full day --------------------------------------------------


@pytest.mark.parametrize("prefetch", [1, 2])
@pytest.mark.parametrize(
    ("past_end", "end", "extra"),
    [
        ("empty", "empty page", 0),
        ("repeat", "repeat of page 2", 0),  # page 3 and 4 repeat page 2, both in the read
        ("404", "HTTP 404 on page 3", 2),  # page 2 again, page 3 again
        ("422", "HTTP 422 on page 3", 2),
        ("500", "HTTP 500 on page 3", 7),  # page 2 again, page 3 again with its retries
    ],
)
def test_an_exactly_full_day_is_whole_whatever_wistia_answers_past_its_end(
    past_end, end, extra, prefetch
):
    sandbox = SandboxWistia(clock=lambda: NOW, events_per_day=200, past_end=past_end)
    media = sandbox.media_ids[0]
    truth = keys(sandbox.ground_truth_events(media, DAY))
    assert len(truth) == 200

    with sandbox_client(sandbox, page_prefetch=prefetch, max_attempts=6) as client:
        records, summary = pull(client, media)

    assert keys(records) == truth  # nothing lost, nothing twice, in Wistia's order
    assert summary.end == end
    assert summary.reads == 1 and summary.extra_requests == extra
    assert summary.manifest_fields()["window_end"] == end


def test_a_quiet_day_with_an_error_past_the_end_is_one_empty_page():
    sandbox = SandboxWistia(
        clock=lambda: NOW, faults=f"zero_days={DAY.isoformat()}", past_end="404"
    )
    with sandbox_client(sandbox) as client:
        records, summary = pull(client, sandbox.media_ids[0])
        assert client.stats.requests == 1
    assert records == [] and summary.end == "empty page"


# -- scripted servers: what must not pass for the end ---------------------------------------------


@pytest.fixture
def scripted(router, make_client):
    """`scripted(handler)`: a client (fake clock, one page at a time) whose events requests the
    handler answers."""

    def make(handler, **overrides) -> WistiaClient:
        events_route(router, handler)
        return make_client(**({"page_prefetch": 1} | overrides))

    return make


class Feed:
    """A newest-first feed served by position, like Wistia; `insert(rank, n)` adds events."""

    def __init__(self, total: int):
        self.events = [event(n) for n in range(total)]
        self.next_key = total
        self.asked: list[int] = []
        self.lock = threading.Lock()

    def insert(self, rank: int, count: int) -> None:
        new = [event(self.next_key + i) for i in range(count)]
        self.next_key += count
        self.events[rank:rank] = new

    def page(self, number: int, per_page: int = 100) -> httpx.Response:
        return httpx.Response(200, json=self.events[(number - 1) * per_page : number * per_page])

    def __call__(self, request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        with self.lock:
            self.asked.append(number)
        return self.page(number)


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, WistiaAuthError), (503, WistiaUnavailableError), (429, WistiaUnavailableError)],
)
def test_auth_and_throttling_past_a_full_page_are_failures_not_the_end(scripted, status, error):
    feed = Feed(200)

    def handler(request):
        if int(request.url.params["page"]) == 3:
            return httpx.Response(status, headers={"x-request-id": "req-bad"})
        return feed(request)

    with pytest.raises(error) as caught:
        pull(scripted(handler, max_attempts=2), MEDIA)
    assert caught.value.status == status


def test_an_error_that_does_not_come_again_is_a_failure_not_the_end(scripted):
    feed = Feed(200)
    failed = []

    def handler(request):
        if int(request.url.params["page"]) == 3 and not failed:
            failed.append(True)
            return httpx.Response(404, json={"error": "Not found"})
        return feed(request)

    with pytest.raises(WistiaNotFoundError):
        pull(scripted(handler), MEDIA)
    assert feed.asked == [1, 2, 2, 3]  # page 2 read the same, page 3 then answered: no end


def test_a_shift_of_exactly_one_page_is_not_taken_for_a_repeat(scripted):
    # Between page 2 and page 3, exactly 100 events arrive at the head: page 3 is then page 2
    # again, as a "repeat the last page" server would answer. Page 4 tells them apart.
    feed = Feed(250)
    original = set(keys(feed.events))

    def handler(request):
        number = int(request.url.params["page"])
        if number == 3 and feed.next_key == 250:
            feed.insert(0, 100)
        return feed(request)

    records, summary = pull(scripted(handler), MEDIA)

    assert set(keys(records)) == set(keys(feed.events)) and set(keys(records)) > original
    assert summary.reads == 2 and summary.shifted_reads == 1


# -- events that appear behind the reader ---------------------------------------------------------


@pytest.mark.parametrize("prefetch", [1, 2])
def test_drift_in_the_last_pull_of_a_day_is_found_by_a_re_read(prefetch):
    # The day's last pull (the overlap re-pull) pages while new events appear at its head.
    sandbox = SandboxWistia(
        clock=lambda: NOW, late_share=0, events_per_day=450, faults="drift=3,drift_pull=2"
    )
    media = sandbox.media_ids[0]
    truth = set(keys(sandbox.ground_truth_events(media, DAY)))
    with sandbox_client(sandbox, page_prefetch=prefetch) as client:
        first, first_summary = pull(client, media)
        requests_before = client.stats.requests
        last, summary = pull(client, media)
        last_requests = client.stats.requests - requests_before

    assert first_summary.reads == 1 and first_summary.shifted_reads == 0
    assert set(keys(last)) == truth  # every drift event, in the same pull
    assert summary.reads == 2 and summary.shifted_reads == 1
    # The re-read is counted: at least its pages, fewer than the pull's requests.
    assert -(-len(truth) // 100) <= summary.extra_requests < last_requests
    assert len(sandbox.request_log) == client.stats.requests  # nothing sent around the count
    # It lets through the new events and their stretches, not the whole day again.
    assert summary.reread_rows < len(truth) / 2


def test_a_late_event_landing_on_a_page_already_read_is_found(scripted):
    feed = Feed(350)

    def handler(request):
        number = int(request.url.params["page"])
        if number == 3 and feed.next_key == 350:
            feed.insert(150, 1)  # on page 2, which the reader has
        return feed(request)

    records, summary = pull(scripted(handler), MEDIA)

    assert set(keys(records)) == set(keys(feed.events))  # 351: the late one included
    assert summary.reads == 2 and summary.shifted_reads == 1
    assert summary.reread_rows <= 101  # the stretch it landed in, not the day


def test_a_window_that_never_holds_still_fails_after_the_bounded_reads(scripted):
    feed = Feed(300)

    def handler(request):
        if int(request.url.params["page"]) > 1:
            feed.insert(0, 2)  # events keep arriving at the head while it is read
        return feed(request)

    client = scripted(handler)
    with pytest.raises(WistiaUnsettledError) as caught:
        pull(client, MEDIA)
    message = str(caught.value)
    assert "4 reads in a row" in message and MEDIA in message and "run it again" in message
    assert isinstance(caught.value, WistiaUnavailableError)  # a step retry may well succeed
    assert client.stats.requests <= 4 * 5  # bounded: four reads of a 3-4 page window


def test_re_reads_take_their_tokens_from_the_shared_budget(scripted):
    class Counting(RateBudget):
        taken = 0

        def acquire(self):
            Counting.taken += 1
            return super().acquire()

    feed = Feed(250)

    def handler(request):
        if int(request.url.params["page"]) == 2 and feed.next_key == 250:
            feed.insert(0, 3)
        return feed(request)

    client = scripted(handler, budget=Counting(1_000_000))
    pull(client, MEDIA)

    assert Counting.taken == client.stats.requests == len(feed.asked) == 6


# -- bounded memory -------------------------------------------------------------------------------


def test_the_digest_of_a_read_is_three_numbers_a_page():
    digest = ReadDigest()
    for page in range(10_000):  # a 1M-event day
        digest.add(id_hashes(f"k{page}-{i}" for i in range(100)))
    digest.finish()
    size = sum(a.itemsize * len(a) for a in (digest.boundaries, digest.counts, digest.sums))
    assert len(digest) == 10_000 and size == 240_000


def test_a_long_stretch_of_new_records_is_let_through_before_it_ends():
    earlier = ReadDigest()
    earlier.add(id_hashes(["a", "b"]))
    earlier.add(id_hashes(["c", "d"]))
    earlier.finish()
    new = NewRecords(earlier, spill=10)
    held = []
    out = []
    for name in ["a", "b", *(f"new{i}" for i in range(1000)), "c", "d"]:
        out.extend(new.feed({"event_key": name}, hash(name) & (2**64 - 1)))
        held.append(len(new._buffer))
    out.extend(new.finish())

    assert max(held) <= 11  # never more than the spill threshold in memory
    assert {f"new{i}" for i in range(1000)} <= set(keys(out))
    assert "c" not in keys(out) and "d" not in keys(out)  # the unchanged stretch is dropped


def test_a_window_that_changes_while_its_end_is_confirmed_is_read_again(scripted):
    feed = Feed(200)

    def handler(request):
        number = int(request.url.params["page"])
        if feed.asked.count(2) == 1 and number == 2:
            feed.insert(0, 5)  # events arrive between the error and its confirmation
        if number > len(feed.events) // 100 + (len(feed.events) % 100 > 0):
            return httpx.Response(404, json={"error": "Page not found"})
        return feed(request)

    records, summary = pull(scripted(handler), MEDIA)

    assert set(keys(records)) == set(keys(feed.events)) and len(feed.events) == 205
    assert summary.reads == 2 and summary.shifted_reads == 1 and summary.end == "short page"
