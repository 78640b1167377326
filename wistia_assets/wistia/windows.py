"""Which `start_date`/`end_date` to ask `/stats/events.json` for, so that a UTC day is covered.

Wistia does not document how it reads those two dates: whether each end is inclusive (the old
docs say events "after" / "before" the date) and in which time zone a date starts (a probe of the
newer analytics endpoint saw days starting at the account's local midnight). Partitions are UTC
days whatever the answer, so the request is computed from two settings that `wistia-assets doctor`
checks against what the API does — never guessed at run time:

- `WISTIA_ACCOUNT_TIMEZONE` (IANA name): where the account's days start. A UTC day overlaps two
  account days unless the zone is UTC at that moment; both are asked for and the records are
  routed by `received_at` (`EventWindow.holds`).
- `WISTIA_EVENTS_WINDOW`: which ends of the API's date range are inclusive.

A UTC day is *settled* once every account day that overlaps it has been closed for
`LATE_GRACE` (late events keep arriving after a day closes): the daily schedule re-pulls a day
until a pull has happened after that moment (`orchestration/plan.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from wistia_assets.settings import WINDOW_SEMANTICS

# How long late events keep arriving after an account day closed. Wistia does not say; a UTC
# account has always had its last pull 26 h after the day closed (02:15 the day after next), and
# the sandbox delivers its late cohorts 1-20 h after the day closed.
LATE_GRACE = timedelta(days=1)


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class EventWindow:
    """One UTC day and the API request that covers it."""

    day: date  # the UTC day (the partition's date)
    start_date: date  # the API parameters to send
    end_date: date
    first_account_day: date  # the account days those parameters mean
    last_account_day: date

    @property
    def utc_start(self) -> datetime:
        return _utc_midnight(self.day)

    @property
    def utc_end(self) -> datetime:
        """Exclusive."""
        return _utc_midnight(self.day + timedelta(days=1))

    @property
    def exact(self) -> bool:
        """True when the request returns exactly the UTC day (nothing to route away)."""
        return self.first_account_day == self.last_account_day == self.day

    def holds(self, received_at: datetime) -> bool:
        """Whether an event received at this moment belongs to the UTC day."""
        return self.utc_start <= received_at.astimezone(UTC) < self.utc_end

    def params(self) -> dict[str, str]:
        return {"start_date": self.start_date.isoformat(), "end_date": self.end_date.isoformat()}


def account_days(day: date, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last account-local dates that overlap UTC day `day`."""
    start = _utc_midnight(day)
    last_moment = start + timedelta(days=1) - timedelta(microseconds=1)
    return start.astimezone(zone).date(), last_moment.astimezone(zone).date()


def event_window(day: date, zone: ZoneInfo, semantics: str = "inclusive") -> EventWindow:
    """The request for UTC day `day`, given the account's zone and the API's window semantics."""
    if semantics not in WINDOW_SEMANTICS:
        raise ValueError(f"window semantics {semantics!r} is not one of {WINDOW_SEMANTICS}")
    first, last = account_days(day, zone)
    start_date = (
        first - timedelta(days=1) if semantics in ("start-exclusive", "exclusive") else first
    )
    end_date = last + timedelta(days=1) if semantics in ("end-exclusive", "exclusive") else last
    return EventWindow(day, start_date, end_date, first, last)


def account_day_span(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and (exclusive) end of the account-local date `day`."""
    following = day + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def requested_span(window: EventWindow, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC span the request of `window` returns when the settings describe the API: from the
    start of its first account day to the end of its last. An event outside it means the API
    reads the dates otherwise (another zone or window semantics)."""
    return (
        account_day_span(window.first_account_day, zone)[0],
        account_day_span(window.last_account_day, zone)[1],
    )


def settles_at(day: date, zone: ZoneInfo) -> datetime:
    """When UTC day `day` is settled: `LATE_GRACE` after the last account day overlapping it
    closed. A pull after this moment is complete (late events included)."""
    last = account_days(day, zone)[1]
    return account_day_span(last, zone)[1] + LATE_GRACE
