"""A fact_events pull seen in the account's time zone, for the Silver checks.

by_date counts the account's days; a Silver partition is a UTC day. The build reports the pull's
events per quarter hour of received_at (`ReceivedHistogram`, zone-free, so the Glue job needs no
zone); here they are added up over the account's day and over the days the request asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from wistia_assets.transforms.results import ReceivedHistogram
from wistia_assets.wistia.windows import account_day_span, event_window, requested_span


@dataclass(frozen=True)
class PullCoverage:
    """Where a fact_events pull's events fall, in the account's zone."""

    day: date  # the partition's UTC day, and the by_date row's (account) date
    zone: str
    semantics: str
    start_date: str  # what was asked for
    end_date: str
    events: int  # distinct valid events in the pull, any day
    account_day_events: int  # ... of them on the account's day `day` (by_date's day)
    outside_request: int  # ... received outside the account days the request asked for

    @property
    def outside_share(self) -> float:
        return self.outside_request / self.events if self.events else 0.0

    @property
    def settings(self) -> str:
        return f"WISTIA_ACCOUNT_TIMEZONE={self.zone}, WISTIA_EVENTS_WINDOW={self.semantics}"


def _bucket_start(name: str) -> datetime:
    return datetime.strptime(name, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)


def pull_coverage(
    histogram: ReceivedHistogram, day: date, zone: ZoneInfo, semantics: str
) -> PullCoverage:
    """Where the pull's events fall: on the account's day `day`, outside the request."""
    request = event_window(day, zone, semantics)
    day_start, day_end = account_day_span(day, zone)
    lo, hi = requested_span(request, zone)
    # Events beyond the days the histogram resolves are outside any request for `day`.
    beyond = histogram.earlier + histogram.later
    on_day, outside = 0, beyond
    for name, n in histogram.counts.items():
        start = _bucket_start(name)
        on_day += n if day_start <= start < day_end else 0
        outside += 0 if lo <= start < hi else n
    return PullCoverage(
        day=day,
        zone=str(zone),
        semantics=semantics,
        start_date=request.start_date.isoformat(),
        end_date=request.end_date.isoformat(),
        events=sum(histogram.counts.values()) + beyond,
        account_day_events=on_day,
        outside_request=outside,
    )
