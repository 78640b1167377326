"""When and how long to wait before asking Wistia again (tenacity).

Exponential backoff with jitter, except when Wistia said how long (`Retry-After`): then exactly
that, capped at `max_backoff` so one bad header cannot stall a run for hours.
"""

from __future__ import annotations

from collections.abc import Callable

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from wistia_assets.wistia.responses import TransientFailure


class RetryAfterOrBackoff(wait_base):
    """Wait what `Retry-After` asked for, else exponential backoff with jitter."""

    def __init__(self, *, backoff_base: float, max_backoff: float):
        self.max_backoff = max_backoff
        # jitter spreads the threads (and other processes) that failed together
        self._backoff = wait_exponential_jitter(
            multiplier=backoff_base, max=max_backoff, jitter=backoff_base
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, TransientFailure) and failure.retry_after is not None:
            return min(failure.retry_after, self.max_backoff)
        return self._backoff(retry_state)


def retrying(
    *,
    max_attempts: int,
    backoff_base: float,
    max_backoff: float,
    sleep: Callable[[float], None],
    before_sleep: Callable[[RetryCallState], None],
) -> Retrying:
    """A retry loop for one request: only `TransientFailure` is retried, the last one re-raised."""
    return Retrying(
        stop=stop_after_attempt(max_attempts),
        retry=retry_if_exception_type(TransientFailure),
        wait=RetryAfterOrBackoff(backoff_base=backoff_base, max_backoff=max_backoff),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
