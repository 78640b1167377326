"""The Wistia API as a Dagster resource: the real API, or the built-in sandbox when no token is set.

The choice is made once, from settings, and announced: a run against the sandbox logs a warning
and every materialization carries `source: sandbox`, so sandbox numbers never pass for real ones.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.settings import Secret
from wistia_assets.wistia.client import WistiaClient
from wistia_assets.wistia.rate_budget import RateBudget

SANDBOX_WARNING = (
    "WISTIA_API_TOKEN is not set: this run uses the built-in SANDBOX Wistia API "
    "(simulated data, not your account). Set WISTIA_API_TOKEN and MEDIA_IDS for real data."
)


class WistiaApiResource(ConfigurableResource):
    """Opens `WistiaClient`s that share this process's rate budget."""

    base_url: str = Field(description="Wistia v1 base URL (WISTIA_BASE_URL).")
    token: str | None = Field(
        default=None, description="API token (WISTIA_API_TOKEN); unset = built-in sandbox."
    )
    sandbox: bool = Field(default=False, description="Serve requests from the built-in sandbox.")
    sandbox_faults: str = Field(default="", description="Sandbox fault spec (sandbox only).")
    sandbox_seed: int = Field(default=7, description="Sandbox data seed (sandbox only).")
    sandbox_events_per_day: str = Field(
        default="120-420", description="Sandbox events per media per day: N or LO-HI."
    )
    sandbox_day_offset_hours: int = Field(
        default=0, description="Sandbox account time zone: day windows shifted by this."
    )
    sandbox_account_timezone: str = Field(
        default="", description="Sandbox account time zone as an IANA name (DST included)."
    )
    sandbox_events_window: str = Field(
        default="inclusive", description="How the sandbox reads an events window's dates."
    )
    sandbox_past_end: str = Field(
        default="empty", description="Sandbox answer to a page past the end: empty|repeat|<status>."
    )
    sandbox_hours_watched: str = Field(
        default="sum", description="Sandbox by_date hours_watched: sum | derived (constant/play)."
    )
    sandbox_throttle_status: int = Field(
        default=429, description="Status of the sandbox's throttling answers: 429 | 503."
    )
    timeout: float = 30.0
    per_page: int = 100
    first_page: int = 1
    rate_per_minute: float = Field(
        default=480.0,
        description="Requests per minute for this process: the account budget / pool slots.",
    )
    max_attempts: int = 6
    backoff_base: float = Field(default=1.0, description="First retry wait in seconds.")
    page_prefetch: int = 2

    @property
    def source(self) -> str:
        return "sandbox" if self.sandbox else "wistia"

    @contextlib.contextmanager
    def open_client(self, log: logging.Logger | None = None) -> Iterator[WistiaClient]:
        transport = None
        base_url = self.base_url
        if self.sandbox:
            from wistia_assets.sandbox import SandboxConfig, shared_sandbox

            if log is not None:
                log.warning(SANDBOX_WARNING)
            # One sandbox per process: a re-pull in a later run of this process must meet the
            # same simulated account (drift reveals, late arrivals), not a fresh one.
            sandbox = shared_sandbox(**SandboxConfig.from_resource_fields(self).sandbox_kwargs())
            transport = sandbox.transport()
            base_url = sandbox.base_url
        client = WistiaClient(
            base_url=base_url,
            token=Secret(self.token) if self.token and not self.sandbox else None,
            timeout=self.timeout,
            per_page=self.per_page,
            first_page=self.first_page,
            budget=RateBudget.shared(self.rate_per_minute),
            transport=transport,
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            page_prefetch=self.page_prefetch,
            logger=log,
        )
        with client:
            yield client
