"""RateBudget: the account-wide request limit holds in every 60 s window, across threads.

Time is simulated with `FakeClock` so minutes of traffic are checked in milliseconds; one short
test uses the real clock to show the defaults really wait.
"""

from __future__ import annotations

import bisect
import random
import threading
import time

import pytest

from wistia_assets.wistia.rate_budget import SEND_MARGIN_SECONDS, WINDOW_SECONDS, RateBudget
from wistia_assets_tests.support.clock import FakeClock

# Tokens are spaced over a window this long, so late arrivals still fit 60 s.
SPACED_OVER = WINDOW_SECONDS + SEND_MARGIN_SECONDS


def budget_on(clock: FakeClock, per_minute: float, burst: int | None = None) -> RateBudget:
    return RateBudget(per_minute, burst, clock=clock, sleep=clock.sleep)


def busiest_window(times: list[float], window: float = 60.0) -> int:
    """Most acquisitions in any half-open window [t, t + window)."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


def test_a_burst_goes_through_at_once_then_requests_are_spaced():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=60, burst=3)

    waits = [budget.acquire() for _ in range(5)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(SPACED_OVER / 58, rel=1e-6)
    assert waits[4] == pytest.approx(SPACED_OVER / 58, rel=1e-6)
    assert clock.sleeps == waits[3:]


def test_default_burst_is_about_one_second_of_requests():
    assert RateBudget(480).burst == 8
    assert RateBudget(30).burst == 1


@pytest.mark.parametrize(("per_minute", "burst"), [(120, 10), (480, None), (7.5, 3), (1, 1)])
def test_never_more_than_per_minute_in_any_60_second_window(per_minute, burst):
    clock = FakeClock()
    budget = budget_on(clock, per_minute, burst)
    times = []
    for _ in range(3):
        # an idle spell refills the bucket (the burst), then more than a minute at full speed
        clock.advance(30.0)
        for _ in range(int(per_minute * 1.5) + 1):
            budget.acquire()
            times.append(clock.last_read())

    assert busiest_window(times) <= int(per_minute)


def test_idle_time_saves_up_no_more_than_the_burst():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=120, burst=4)
    clock.advance(3_600)

    waits = [budget.acquire() for _ in range(6)]

    assert waits[:4] == [0.0] * 4
    assert all(w > 0 for w in waits[4:])


def test_threads_sharing_one_budget_stay_within_the_limit_and_use_it():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=120, burst=4)
    times: list[float] = []
    times_lock = threading.Lock()

    def worker():
        for _ in range(60):
            budget.acquire()
            with times_lock:
                times.append(clock.last_read())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(times) == 480
    assert busiest_window(times) <= 120
    # and the budget is not wasted: 480 requests at ~117/min take about four minutes
    span = max(times) - min(times)
    assert span == pytest.approx((480 - 4) * SPACED_OVER / 117, rel=0.01)


def test_acquire_returns_the_seconds_waited():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=6, burst=1)
    assert budget.acquire() == 0.0
    assert budget.acquire() == pytest.approx(SPACED_OVER / 6)


def test_hold_makes_every_caller_wait():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=600, burst=10)
    budget.acquire()

    budget.hold(7.0)

    assert budget.acquire() == pytest.approx(7.0)
    # after a throttle the saved-up burst is gone: requests resume one interval apart
    assert budget.acquire() == pytest.approx(budget.interval)


def test_shared_is_one_instance_per_rate():
    assert RateBudget.shared(123.0) is RateBudget.shared(123.0)
    assert RateBudget.shared(123.0) is not RateBudget.shared(124.0)


@pytest.mark.parametrize(("per_minute", "burst"), [(0, None), (0.5, None), (60, 0), (60, 61)])
def test_rejects_budgets_that_cannot_work(per_minute, burst):
    with pytest.raises(ValueError, match="RateBudget"):
        RateBudget(per_minute, burst)


def test_really_waits_on_the_real_clock():
    budget = RateBudget(6_000, burst=1)  # one request every 10 ms
    started = time.monotonic()
    for _ in range(11):
        budget.acquire()
    assert time.monotonic() - started >= 0.095


# -- try_acquire: spare tokens only, for requests that may turn out unneeded ---------------------


class StillClock(FakeClock):
    """Time moves only by `advance`: a caller's wait stays a reservation in the future."""

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


def test_try_acquire_takes_a_spare_token_and_never_waits():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=60, burst=3)

    assert [budget.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert clock.sleeps == []
    assert budget.free_in() == pytest.approx(SPACED_OVER / 58, rel=1e-6)


def test_a_slot_reserved_by_a_waiting_caller_is_not_spare():
    clock = StillClock()
    budget = budget_on(clock, per_minute=60, burst=1)
    interval = budget.interval
    budget.acquire()
    assert budget.acquire() == pytest.approx(interval)  # queued for the next slot

    assert budget.try_acquire() is False
    assert budget.free_in() == pytest.approx(2 * interval)
    clock.advance(interval)
    assert budget.try_acquire() is False  # that slot belongs to the queued caller
    clock.advance(interval)
    assert budget.free_in() == 0.0
    assert budget.try_acquire() is True


def test_a_failed_try_acquire_reserves_nothing():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=60, burst=1)
    budget.acquire()
    for _ in range(100):
        assert budget.try_acquire() is False

    # the next caller waits one interval, as if nobody had tried
    assert budget.acquire() == pytest.approx(budget.interval)


def test_spare_and_queued_tokens_together_stay_within_the_limit():
    clock = FakeClock()
    budget = budget_on(clock, per_minute=120, burst=6)
    rng = random.Random(11)
    times = []
    for _ in range(2_000):
        clock.advance(rng.choice([0.0, 0.0, 0.1, 0.5]))
        if rng.random() < 0.5:
            budget.acquire()
            times.append(clock.last_read())
        elif budget.try_acquire():
            times.append(clock())

    assert busiest_window(times) <= 120


@pytest.mark.parametrize(("per_minute", "burst"), [(480, None), (120, 10), (6, 1)])
def test_requests_that_arrive_up_to_the_margin_late_still_fit_the_limit(per_minute, burst):
    # Wistia counts requests where they arrive. The first request of a burst may still be
    # opening its connection while a later one goes out on a warm one: arrival delays that
    # differ by up to SEND_MARGIN_SECONDS must not squeeze an extra request into 60 s.
    clock = FakeClock()
    budget = budget_on(clock, per_minute, burst)
    rng = random.Random(5)
    arrivals = []
    for _ in range(3):
        clock.advance(90.0)  # idle: the burst is saved up again
        for i in range(int(per_minute * 1.5) + 1):
            budget.acquire()
            late = SEND_MARGIN_SECONDS if i == 0 else rng.choice([0.0, SEND_MARGIN_SECONDS / 2])
            arrivals.append(clock.last_read() + late)

    assert busiest_window(arrivals) <= int(per_minute)
