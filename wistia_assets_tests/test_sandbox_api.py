"""The sandbox's HTTP surface as a client meets it: pagination rules, auth, errors, request ids,
the optional `/v1` prefix, and the request log that benchmarks count with."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import httpx
import pytest

from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS

YT, FB = SANDBOX_MEDIA_IDS
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = {"start_date": "2026-11-20", "end_date": "2026-11-20"}
BACKWARDS = {"start_date": "2026-11-21", "end_date": "2026-11-20"}


@pytest.fixture
def sandbox() -> SandboxWistia:
    return SandboxWistia(clock=lambda: NOW)


@pytest.fixture
def client(sandbox):
    with sandbox.client() as client:
        yield client


def events(client, **params):
    response = client.get("/stats/events.json", params={"media_id": YT, **WINDOW, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_per_page_defaults_to_10_and_is_cut_to_100(client, sandbox):
    day_total = len(sandbox.ground_truth_events(YT, date(2026, 11, 20)))
    assert day_total > 100
    assert len(events(client)) == 10
    assert len(events(client, per_page=1000)) == 100
    assert events(client, per_page=1000, page=2) == events(client, per_page=100, page=2)


def test_the_end_is_a_short_page_then_empty_pages(client, sandbox):
    truth = sandbox.ground_truth_events(YT, date(2026, 11, 20))
    per_page = 7 if len(truth) % 7 else 11
    last = -(-len(truth) // per_page)
    tail = events(client, per_page=per_page, page=last)
    assert 0 < len(tail) < per_page
    assert tail == truth[(last - 1) * per_page :]
    assert events(client, per_page=per_page, page=last + 1) == []
    assert events(client, per_page=per_page, page=10_000) == []


def test_a_multi_day_window_is_the_days_newest_first(client, sandbox):
    newest_first = sandbox.ground_truth_events(
        YT, date(2026, 11, 20)
    ) + sandbox.ground_truth_events(YT, date(2026, 11, 19))
    pulled, page = [], 1
    while batch := events(client, start_date="2026-11-19", per_page=100, page=page):
        pulled += batch
        page += 1
    assert pulled == newest_first


def test_paths_work_with_and_without_the_v1_prefix(sandbox):
    with serve(sandbox) as server:
        assert server.url.endswith("/v1")
        root = server.url[: -len("/v1")]
        with_prefix = httpx.get(f"{server.url}/medias/{YT}.json")
        without = httpx.get(f"{root}/medias/{YT}.json")
        no_suffix = httpx.get(f"{server.url}/medias/{YT}")
    assert with_prefix.status_code == without.status_code == no_suffix.status_code == 200
    assert with_prefix.json() == without.json() == no_suffix.json()


def test_the_media_object_has_wistias_shape(client):
    media = client.get(f"/medias/{FB}.json").json()
    assert isinstance(media["id"], int) and media["hashed_id"] == FB
    assert media["name"].endswith(" FB")
    assert media["created"].endswith("+00:00") and len(media["created"]) == 25
    assert set(media["project"]) == {"id", "name", "hashedId"}
    assert set(media["thumbnail"]) == {"url", "width", "height"}
    assert media["assets"] and all("contentType" in a for a in media["assets"])
    assert media["tags"] == [{"name": "launch"}, {"name": "teaser"}, {"name": "facebook"}]
    assert isinstance(media["duration"], float) and media["status"] == "ready"
    assert [m["hashed_id"] for m in client.get("/medias.json").json()] == [YT, FB]


def test_by_date_without_dates_is_yesterday_and_today(client):
    rows = client.get(f"/stats/medias/{YT}/by_date.json").json()
    assert [r["date"] for r in rows] == ["2026-11-25", "2026-11-26"]
    assert set(rows[0]) == {"date", "load_count", "play_count", "hours_watched"}


def test_a_configured_token_is_required_and_checked():
    sandbox = SandboxWistia(clock=lambda: NOW, token="s3cret")
    transport = sandbox.transport()
    with httpx.Client(base_url=sandbox.base_url, transport=transport) as anonymous:
        response = anonymous.get(f"/medias/{YT}.json")
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid credentials."}
        wrong = anonymous.get(f"/medias/{YT}.json", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        legacy = anonymous.get(f"/medias/{YT}.json", params={"api_password": "s3cret"})
        assert legacy.status_code == 401  # query-string passwords were removed in 2022
    with sandbox.client() as client:
        assert client.get(f"/medias/{YT}.json").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/stats/events.json", {"media_id": "nosuchmedia"}, 404),
        ("/stats/medias/nosuchmedia/by_date.json", {}, 404),
        ("/medias/nosuchmedia.json", {}, 404),
        (f"/stats/events/{'ab' * 16}.json", {}, 404),
        ("/stats/nothing.json", {}, 404),
        ("/stats/events.json", {"media_id": YT, "start_date": "2026-11-31"}, 422),
        ("/stats/events.json", {"media_id": YT, "start_date": "20261120"}, 422),
        ("/stats/events.json", {"media_id": YT, **BACKWARDS}, 422),
        ("/stats/events.json", {"media_id": YT, "page": "0"}, 422),
        ("/stats/events.json", {"media_id": YT, "per_page": "ten"}, 422),
        ("/stats/events.json", {"media_id": YT, "per_page": "-1"}, 422),
        (f"/stats/medias/{YT}/by_date.json", {"start_date": "2026-1-1"}, 422),
        (f"/stats/medias/{YT}/by_date.json", BACKWARDS, 422),
    ],
)  # fmt: skip
def test_errors_are_json_with_a_request_id(client, path, params, status):
    response = client.get(path, params=params)
    assert response.status_code == status
    assert set(response.json()) == {"error"} and response.json()["error"]
    assert response.headers["x-request-id"]


def test_every_response_has_a_distinct_request_id(client):
    ids = {client.get(f"/medias/{YT}.json").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_the_request_log_counts_per_endpoint_status_and_window(sandbox):
    with serve(sandbox) as server, httpx.Client(base_url=server.url) as client:

        def fetch(page: int) -> int:
            params = {"media_id": FB, **WINDOW, "per_page": 10, "page": page}
            return client.get("/stats/events.json", params=params).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(fetch, range(1, 41)))
        client.get(f"/stats/medias/{FB}/by_date.json")
        client.get("/medias/nosuchmedia.json")
    assert statuses == [200] * 40
    log = sandbox.request_log
    assert len(log) == 42
    assert log.per_endpoint() == {"events": 40, "by_date": 1, "media": 1}
    assert log.count("media", status=404) == 1
    assert sorted(e.number for e in log) == list(range(1, 43))
    assert log.per_window(60) == [42] and log.max_in_window(60) == 42
    entry = next(e for e in log if e.endpoint == "by_date")
    assert entry.path == f"/v1/stats/medias/{FB}/by_date.json" and entry.status == 200
    assert entry.at.tzinfo is not None and entry.request_id


def test_an_account_wide_feed_mixes_the_media(client):
    response = client.get("/stats/events.json", params={**WINDOW, "per_page": 100})
    assert {e["media_id"] for e in response.json()} == {YT, FB}


def test_the_sandbox_needs_only_the_stdlib_and_httpx():
    import ast
    import sys
    from pathlib import Path

    import wistia_assets.sandbox as package

    allowed = {"httpx", "wistia_assets"}
    for source in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in allowed, (source.name, name)
                if top == "wistia_assets":
                    assert name.startswith(("wistia_assets.sandbox", "wistia_assets.settings"))


def test_run_forever_prints_its_url_serves_and_stops_on_sigterm():
    import signal
    import subprocess
    import sys

    code = (
        "from wistia_assets.sandbox import run_forever; "
        "run_forever('127.0.0.1', 0, seed=7, faults='', token='t0k', events_per_day=None)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://"))
        assert url.endswith("/v1") and "sbx1yt7k2q" in line
        response = httpx.get(f"{url}/medias/{YT}.json", headers={"Authorization": "Bearer t0k"})
        assert response.status_code == 200 and response.json()["hashed_id"] == YT
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


def test_the_async_transport_serves_the_same_bytes(sandbox):
    import asyncio

    async def fetch() -> bytes:
        transport = sandbox.async_transport()
        async with httpx.AsyncClient(base_url=sandbox.base_url, transport=transport) as client:
            return (
                await client.get("/stats/events.json", params={"media_id": YT, **WINDOW})
            ).content

    with sandbox.client() as client:
        expected = client.get("/stats/events.json", params={"media_id": YT, **WINDOW}).content
    assert asyncio.run(fetch()) == expected
