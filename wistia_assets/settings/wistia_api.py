"""The Wistia API model: how the client reaches the account and how hard it may push.

`WistiaClient` takes this model, `WistiaApiResource` carries the same fields into Dagster
(defaults and help from here), and `Settings` includes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wistia_assets.settings import values
from wistia_assets.settings.declaration import setting
from wistia_assets.settings.values import Secret


@dataclass(frozen=True)
class WistiaApiSettings:
    wistia_api_token: Secret | None = setting(
        "WISTIA_API_TOKEN",
        parse=values.secret,
        help="Wistia API token (Bearer). Unset + `local` = built-in sandbox. Required in `aws`",
    )
    wistia_base_url: str = setting(
        "WISTIA_BASE_URL",
        default="https://api.wistia.com/v1",
        parse=values.base_url,
        help="API base; https, or http only to loopback",
    )
    wistia_timeout: float = setting(
        "WISTIA_TIMEOUT",
        default="30",
        parse=values.number(0.1, 600.0),
        help="seconds per request (connect and read)",
    )
    per_page: int = setting(
        "WISTIA_PER_PAGE",
        default="100",
        # Wistia silently cuts per_page to 100, which would make a full page look short.
        parse=values.integer(1, 100),
        help="events per page (1-100)",
    )
    first_page: int = setting(
        "WISTIA_PAGE", default="1", parse=values.integer(1, 100000), help="first page requested"
    )
    # Requests per minute for the whole account (Wistia allows 600). Each holder of a
    # `wistia_api` pool slot gets rate_limit_per_minute / wistia_pool_slots.
    rate_limit_per_minute: int = setting(
        "WISTIA_RATE_LIMIT_PER_MINUTE",
        default="480",
        parse=values.integer(1, 599),
        help="requests per minute for the whole account (Wistia allows 600)",
    )
    wistia_pool_slots: int = setting(
        "WISTIA_POOL_SLOTS",
        default="1",
        parse=values.integer(1, 64),
        help="slots of the `wistia_api` pool; each gets the budget divided by this",
    )
    max_attempts: int = setting(
        "WISTIA_MAX_ATTEMPTS",
        default="6",
        parse=values.integer(1, 20),
        help="attempts per request before a transient error fails the step",
    )
    page_prefetch: int = setting(
        "WISTIA_PAGE_PREFETCH",
        default="2",
        parse=values.integer(1, 16),
        help="event pages fetched concurrently within the rate budget",
    )

    @property
    def per_slot_rate_per_minute(self) -> float:
        return self.rate_limit_per_minute / self.wistia_pool_slots
