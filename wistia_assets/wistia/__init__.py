"""Client for Wistia's Stats API v1: rate budget, retries, ordered page streaming.

No Dagster import here: plain scripts (and the Glue side) use this package too.
"""

from wistia_assets.wistia.client import Page, RequestStats, WistiaClient
from wistia_assets.wistia.errors import (
    WistiaAuthError,
    WistiaBadRequestError,
    WistiaError,
    WistiaForbiddenError,
    WistiaNotFoundError,
    WistiaProtocolError,
    WistiaUnavailableError,
    WistiaUnsettledError,
)
from wistia_assets.wistia.event_pull import EventPull, PullSummary
from wistia_assets.wistia.rate_budget import RateBudget

__all__ = [
    "EventPull",
    "Page",
    "PullSummary",
    "RateBudget",
    "RequestStats",
    "WistiaAuthError",
    "WistiaBadRequestError",
    "WistiaClient",
    "WistiaError",
    "WistiaForbiddenError",
    "WistiaNotFoundError",
    "WistiaProtocolError",
    "WistiaUnavailableError",
    "WistiaUnsettledError",
]
