"""Wistia's events endpoint for client tests: a scripted fake counting the pages asked for, and a
client wired to the sandbox in-process."""

from __future__ import annotations

import threading
import time

import httpx

from wistia_assets.sandbox import SandboxWistia
from wistia_assets.settings import WistiaApiSettings, declarations
from wistia_assets.wistia import RateBudget, WistiaClient

BASE = "https://api.wistia.test/v1"
TOKEN = "wistia-tok-3f9a1c0d5e7b"  # what must never show up in messages or logs
MEDIA = "e4a27b971d"


def client_with(**options) -> WistiaClient:
    """`WistiaClient` of the API model made of the options named like its fields (`per_page`,
    `page_prefetch`, `wistia_api_token`, ...), the other options (`budget`, `transport`,
    `sleep`, ...) passed to the client itself."""
    names = declarations(WistiaApiSettings)
    api = WistiaApiSettings(**{k: v for k, v in options.items() if k in names})
    return WistiaClient(api, **{k: v for k, v in options.items() if k not in names})


def sandbox_client(sandbox: SandboxWistia, **overrides) -> WistiaClient:
    """A client wired to the sandbox in-process, with a budget too large to wait on."""
    options = {
        "wistia_base_url": sandbox.base_url,
        "wistia_api_token": None,
        "budget": RateBudget(1_000_000),
        "transport": sandbox.transport(),
        "backoff_base": 0.001,
        "page_prefetch": 2,
    } | overrides
    return client_with(**options)


def event(n: int) -> dict:
    return {"event_key": f"ev{n:06d}", "media_id": MEDIA, "received_at": "2026-11-20T01:02:03Z"}


class FakeWistia:
    """The events endpoint over `total` events, answering per page; counts what was asked."""

    def __init__(self, total: int, *, delay=None):
        self.events = [event(n) for n in range(total)]
        self.delay = delay  # page number -> seconds, to make prefetched pages finish out of order
        self.pages_requested: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        with self._lock:
            self.pages_requested.append(page)
        if self.delay:
            time.sleep(self.delay(page))
        records = self.events[(page - 1) * per_page : page * per_page]
        return httpx.Response(200, json=records, headers={"x-request-id": f"req-p{page}"})


def events_route(router, handler):
    return router.get("/stats/events.json").mock(side_effect=handler)
