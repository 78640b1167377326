"""The ingestion benchmark harness on a tiny configuration, so it cannot rot unnoticed.

The benchmark itself is not part of the suite (minutes, and timings are not assertions); this
only checks that what it reports adds up: the client's counts against the sandbox's request
log, its 60 s window counter against the sandbox's own, rows against events.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from benchmarks import report
from benchmarks.budget import inconsistencies as budget_inconsistencies
from benchmarks.ingestion import Plan, measure_budget, measure_memory
from benchmarks.memory import inconsistencies as memory_inconsistencies
from benchmarks.windows import max_in_window, minimum_requests
from wistia_assets.sandbox import LoggedRequest, RequestLog

TINY = Plan(
    rate_per_minute=600,
    latency_ms=20,
    days=2,
    memory_events=(1_000, 3_000),
    tuned_prefetch=2,
    tuned_windows=2,
)


def quiet(_text: str) -> None:
    pass


@pytest.mark.timeout(60)
def test_the_rate_budget_numbers_agree_with_the_sandbox_request_log():
    runs, loads = measure_budget(TINY, progress=quiet)

    assert [r.config.prefetch for r in runs] == [1, 2, 2]
    assert [r.config.concurrency for r in runs] == [1, 1, 2]
    for run in runs:
        assert budget_inconsistencies(run) == []
        assert len(run.pulls) == 2 * TINY.days
        assert run.events == runs[0].events > 0  # the same windows every time
        assert run.requests >= run.minimum_requests
        assert run.over_budget == 0
        assert run.budget_share > 0
    # one page at a time never asks past the end of a window
    assert runs[0].requests == runs[0].minimum_requests
    text = report.budget_table(runs, loads)
    assert len(text.splitlines()) == 2 + len(runs)


@pytest.mark.timeout(60)
def test_the_memory_probe_reports_a_whole_day_and_its_peak():
    runs = measure_memory(TINY, progress=quiet)

    assert [r.events for r in runs] == list(TINY.memory_events)
    for run in runs:
        assert memory_inconsistencies(run) == []
        assert run.pages == minimum_requests(run.events, 100)
        assert run.peak_kb >= run.rss_before_kb > 0
        # the probe's own peak, not its parent's (pytest is bigger than any probe here)
        assert run.peak_kb < 400 * 1024
    assert any("peak RSS, 3,000 vs 1,000 events" in line for line in report.verdicts([], runs))


def test_the_window_counter_agrees_with_the_sandbox_request_log():
    rng = random.Random(3)
    # bursts, gaps and requests exactly 60 s apart, where half-open windows matter
    times = sorted(rng.uniform(0, 300) for _ in range(400)) + [400.0, 460.0, 520.0, 520.0]
    log = RequestLog()
    for n, t in enumerate(times, start=1):
        log.append(LoggedRequest(n, datetime.now(UTC), t, "GET", "/", "events", {}, 200, None, "r"))

    for seconds in (1.0, 10.0, 60.0):
        assert max_in_window(times, seconds) == log.max_in_window(seconds)
    assert max_in_window([0.0, 60.0], 60.0) == 1


def test_minimum_requests_counts_the_empty_page_after_exact_full_pages():
    assert minimum_requests(0, 100) == 1
    assert minimum_requests(99, 100) == 1
    assert minimum_requests(100, 100) == 2
    assert minimum_requests(250, 100) == 3
