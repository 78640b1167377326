"""How much of the configured rate budget ingestion uses, against the sandbox over loopback HTTP.

One run ingests a fixed list of (media, day) windows with `ingest_events` into a fresh lake
folder. A run is budget-bound when it sends requests as fast as the budget lets it: then
requests / (budget x elapsed) is close to 1. Several windows at once share one `RateBudget`
(one per process, as in production) but each has its own client, as each Dagster run has, so a
manifest counts only its own window's requests. With `split_budget` the rate is split into
one budget per window thread instead: N Dagster runs holding the N `wistia_api` pool
slots, each a process with `rate / N` (how `WISTIA_POOL_SLOTS` splits the account's budget).
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from benchmarks.sandbox_process import SandboxLog
from benchmarks.windows import max_in_window, minimum_requests
from wistia_assets.ingestion import ingest_events
from wistia_assets.settings import WistiaApiSettings
from wistia_assets.storage.objects import LocalStore
from wistia_assets.wistia import RateBudget, WistiaClient

PER_PAGE = 100


@dataclass(frozen=True)
class BudgetConfig:
    label: str
    rate_per_minute: float
    prefetch: int  # pages in flight within one window (WISTIA_PAGE_PREFETCH)
    concurrency: int = 1  # windows ingested at once
    # One budget of rate / concurrency per window thread instead of one shared:
    # `WISTIA_POOL_SLOTS=N`, N Dagster runs, each its own process with rate / N of its own.
    split_budget: bool = False

    @property
    def budgets(self) -> int:
        return self.concurrency if self.split_budget else 1


@dataclass(frozen=True)
class WindowPull:
    media_id: str
    day: date
    events: int
    requests: int  # as the manifest counted them (client side)


@dataclass
class BudgetRun:
    config: BudgetConfig
    elapsed_s: float
    pulls: list[WindowPull]
    sandbox: SandboxLog
    served_per_window: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for r in self.sandbox.requests:
            self.served_per_window[(r.media_id, r.start_date)] += 1

    @property
    def requests(self) -> int:
        """Requests the sandbox received: the number the budget is about."""
        return len(self.sandbox.requests)

    @property
    def client_requests(self) -> int:
        return sum(p.requests for p in self.pulls)

    @property
    def events(self) -> int:
        return sum(p.events for p in self.pulls)

    @property
    def minimum_requests(self) -> int:
        return sum(minimum_requests(p.events, PER_PAGE) for p in self.pulls)

    @property
    def budget_share(self) -> float:
        """Requests sent / requests the budget allowed in the elapsed time."""
        return self.requests / (self.config.rate_per_minute / 60.0 * self.elapsed_s)

    @property
    def max_in_60s(self) -> int:
        return max_in_window([r.monotonic for r in self.sandbox.requests], 60.0)

    @property
    def over_budget(self) -> int:
        """Requests above the budget in the busiest 60 s window (the goal is 0)."""
        return max(0, self.max_in_60s - math.floor(self.config.rate_per_minute))


def day_windows(media_ids: tuple[str, ...], days: int, *, last_day: date) -> list[tuple[str, date]]:
    """`days` closed days ending at `last_day`, every media, oldest first."""
    first = last_day - timedelta(days=days - 1)
    return [(m, first + timedelta(days=d)) for d in range(days) for m in media_ids]


def settled_day(today: date | None = None) -> date:
    """A day whose late events have all arrived (the sandbox's arrive up to 20 h after the day)."""
    return (today or datetime.now(UTC).date()) - timedelta(days=3)


def run_budget(
    url: str,
    windows: list[tuple[str, date]],
    config: BudgetConfig,
    take_log: Callable[[], SandboxLog],
) -> BudgetRun:
    """Ingest `windows` under one fresh budget. `take_log()` hands over the sandbox's request log
    and starts it over: called before and after, so the run's log holds this run only."""
    take_log()
    budgets = [RateBudget(config.rate_per_minute / config.budgets) for _ in range(config.budgets)]
    clients: list[WistiaClient] = []
    local = threading.local()
    clients_lock = threading.Lock()

    def client() -> WistiaClient:
        if not hasattr(local, "client"):
            with clients_lock:  # the n-th thread takes budget n: one each when budgets > 1
                budget = budgets[len(clients) % len(budgets)]
                api = WistiaApiSettings(wistia_base_url=url, page_prefetch=config.prefetch)
                local.client = WistiaClient(api, budget=budget)
                clients.append(local.client)
        return local.client

    with tempfile.TemporaryDirectory(prefix="bench-budget-") as lake:
        store = LocalStore(lake)

        def pull(window: tuple[str, date]) -> WindowPull:
            media_id, day = window
            manifest = ingest_events(client(), store, day, media_id, source="sandbox")
            return WindowPull(media_id, day, manifest["rows"], manifest["requests"])

        started = time.monotonic()
        with ThreadPoolExecutor(config.concurrency, thread_name_prefix="bench-window") as pool:
            pulls = list(pool.map(pull, windows))
        elapsed = time.monotonic() - started
    for c in clients:
        c.close()
    return BudgetRun(config, elapsed, pulls, take_log())


def inconsistencies(run: BudgetRun) -> list[str]:
    """Where the harness's numbers disagree with each other; empty when they all add up.

    The client counts what it sent (manifests), the sandbox what it received (its request log,
    and its own busiest-window count): if these drift apart, the measurement is broken, not
    the client.
    """
    problems = []
    if run.client_requests != run.requests:
        problems.append(f"manifests count {run.client_requests} requests, sandbox {run.requests}")
    if run.max_in_60s != run.sandbox.max_in_window_60:
        problems.append(
            f"busiest 60 s: harness counts {run.max_in_60s}, "
            f"sandbox {run.sandbox.max_in_window_60}"
        )
    for pull in run.pulls:
        served = run.served_per_window[(pull.media_id, pull.day.isoformat())]
        if served != pull.requests:
            problems.append(
                f"{pull.day} {pull.media_id}: manifest {pull.requests}, sandbox {served}"
            )
        if served < minimum_requests(pull.events, PER_PAGE):
            problems.append(f"{pull.day} {pull.media_id}: fewer requests than pages possible")
    strays = set(run.served_per_window) - {(p.media_id, p.day.isoformat()) for p in run.pulls}
    if strays:
        problems.append(f"requests for windows nobody pulled: {sorted(strays)[:3]}")
    return problems
