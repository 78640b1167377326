"""What three pulls of the events endpoint say about how it reads `start_date`/`end_date`.

`wistia-assets doctor` pulls `(D, D)`, `(D, D+1)` and `(D-1, D)` for a recent account day D with
plays (and `(D-1, D+1)` when all three came back empty). Compared by `received_at`:

- **Which ends are inclusive.** A one-day window that returns events is inclusive at both ends.
  When it is empty although by_date counts plays, one end is excluded: `(D, D+1)` then holds one
  day, D or D+1, and `(D-1, D)` the day before it. Which one is told by where the events fall in
  UTC time (an account day X lies within X 00:00 - 14 h .. X+1 00:00 + 12 h, whatever the
  account's zone), by by_date's play counts when those say nothing.
- **Where the account's day starts.** Day D's first and last events and its neighbours' nearest
  ones bound the UTC instant of D's local midnight: the newest event of D-1 < midnight <= the
  oldest event of D, and the same around D+1's midnight. The offsets of every IANA zone at those
  midnights are compared with the bounds; the zones that fit are the candidates.

Pure functions of the pulls: no requests here (`probes.py` makes them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

# Offsets in use on Earth run from UTC-12 to UTC+14.
EARLIEST_OFFSET = timedelta(hours=-12)
LATEST_OFFSET = timedelta(hours=14)
# Well-known zones first when several share an offset (the rest follow alphabetically).
FAMILIAR_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Bogota",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
)
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@dataclass(frozen=True)
class Pull:
    """One window's events as pulled: (event_key, received_at) newest first, each once."""

    start: date
    end: date
    events: tuple[tuple[str, datetime], ...]
    complete: bool  # read to its end (False: cut at the doctor's page limit)

    @property
    def keys(self) -> set[str]:
        return {key for key, _ in self.events}

    @property
    def newest(self) -> datetime | None:
        return self.events[0][1] if self.events else None

    @property
    def oldest(self) -> datetime | None:
        return self.events[-1][1] if self.events and self.complete else None


@dataclass(frozen=True)
class Semantics:
    value: str | None  # one of settings.WINDOW_SEMANTICS, or None when undecided
    reason: str


@dataclass(frozen=True)
class DayBounds:
    """Around account day D: the newest event before it, its oldest and newest, the oldest
    after it; None where the pulls do not tell."""

    day: date
    before: datetime | None
    first: datetime | None
    last: datetime | None
    after: datetime | None


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def fits_account_day(pull: Pull, day: date) -> bool:
    """Could every event of `pull` belong to account day `day`, in any zone on Earth?"""
    newest, oldest = pull.newest, pull.oldest  # oldest: None too for a pull cut short
    if newest is None:  # no events
        return False
    earliest = midnight(day) - LATEST_OFFSET
    latest = midnight(day + timedelta(days=1)) - EARLIEST_OFFSET
    if oldest is not None and oldest < earliest:
        return False
    return newest < latest


def window_semantics(
    one_day: Pull, later: Pull, earlier: Pull, wider: Pull | None, plays: dict[date, int]
) -> Semantics:
    """From pulls of (D, D), (D, D+1), (D-1, D) and, if asked, (D-1, D+1)."""
    day = one_day.start
    if one_day.events:
        return Semantics("inclusive", f"({day}, {day}) returned {len(one_day.events)} events")
    if not plays.get(day):
        return Semantics(None, f"by_date counts no plays on {day}: choose another day")
    if later.events and earlier.events:
        nxt, prev = day + timedelta(days=1), day - timedelta(days=1)
        end_excluded = fits_account_day(later, day) and fits_account_day(earlier, prev)
        start_excluded = fits_account_day(later, nxt) and fits_account_day(earlier, day)
        if end_excluded != start_excluded:
            which = "end-exclusive" if end_excluded else "start-exclusive"
            held = day if end_excluded else nxt
            return Semantics(which, f"({day}, {day}) was empty; ({day}, {nxt}) held {held}")
        counted = _by_counts(later, plays, day, nxt)
        if counted is not None:
            return counted
        return Semantics(
            None, f"({day}, {day}) was empty, but where ({day}, {nxt}) falls is unclear"
        )
    if wider is not None and wider.events and not later.events and not earlier.events:
        prev, nxt = day - timedelta(days=1), day + timedelta(days=1)
        return Semantics("exclusive", f"all three were empty; ({prev}, {nxt}) held {day}")
    return Semantics(
        None,
        f"by_date counts {plays.get(day)} plays on {day} but the events windows around it came "
        "back empty: the token may not read events, or events are not kept for that day",
    )


def _by_counts(later: Pull, plays: dict[date, int], day: date, nxt: date) -> Semantics | None:
    """Whether (D, D+1) holds as many events as D or D+1 had plays, when that is clear."""
    if not later.complete:
        return None
    n, on_day, on_next = len(later.events), plays.get(day, 0), plays.get(nxt, 0)
    if abs(n - on_day) * 5 < abs(n - on_next) and abs(n - on_day) <= 0.1 * max(n, 1):
        return Semantics("end-exclusive", f"({day}, {nxt}) held {n} events, {day} had {on_day}")
    if abs(n - on_next) * 5 < abs(n - on_day) and abs(n - on_next) <= 0.1 * max(n, 1):
        return Semantics("start-exclusive", f"({day}, {nxt}) held {n} events, {nxt} {on_next}")
    return None


def day_bounds(
    semantics: str, one_day: Pull, later: Pull, earlier: Pull, wider: Pull | None
) -> DayBounds:
    """What the pulls say about account day D and its neighbours, given the semantics."""
    day = one_day.start
    if semantics == "inclusive":
        if not one_day.complete:
            return DayBounds(day, None, None, one_day.newest, None)
        own = one_day.keys
        # (D-1, D) is D's events, then D-1's, newest first.
        before = next((t for key, t in earlier.events if key not in own), None)
        # (D, D+1) is D+1's events, then D's: D+1's oldest comes just before D's newest.
        after = previous = None
        for key, t in later.events:
            if key in own:
                after = previous
                break
            previous = t
        return DayBounds(day, before, one_day.oldest, one_day.newest, after)
    if semantics == "end-exclusive":  # (D, D+1) = D, (D-1, D) = D-1
        return DayBounds(day, earlier.newest, later.oldest, later.newest, None)
    if semantics == "start-exclusive":  # (D-1, D) = D, (D, D+1) = D+1
        return DayBounds(day, None, earlier.oldest, earlier.newest, later.oldest)
    pull = wider or Pull(day, day, (), False)  # exclusive: (D-1, D+1) = D
    return DayBounds(day, None, pull.oldest, pull.newest, None)


@dataclass(frozen=True)
class DayStart:
    """Where account day D starts: the offsets (on a 15-minute grid) the pulls allow for D's
    and D+1's local midnights, and the IANA zones whose offsets fit both."""

    day: date
    start_offsets: tuple[timedelta, ...]
    end_offsets: tuple[timedelta, ...]
    zones: tuple[str, ...]

    def fits(self, zone: ZoneInfo) -> bool:
        return zone_offset(zone, self.day) in self.start_offsets and (
            zone_offset(zone, self.day + timedelta(days=1)) in self.end_offsets
        )

    @property
    def measured(self) -> bool:
        return bool(self.start_offsets)

    def describe(self) -> str:
        real = sorted({zone_offset(ZoneInfo(z), self.day) for z in self.zones})
        offsets = real or list(self.start_offsets)
        if not offsets:
            return "no single day fits the events: inconsistent pulls"
        if len(offsets) == 1:
            return f"00:00 {format_offset(offsets[0])} on {self.day}"
        return (
            f"00:00 between {format_offset(offsets[0])} and {format_offset(offsets[-1])} "
            f"on {self.day}"
        )


def day_start(bounds: DayBounds) -> DayStart:
    start = _offsets(bounds.day, bounds.before, bounds.first)
    end = _offsets(bounds.day + timedelta(days=1), bounds.last, bounds.after)
    zones = tuple(
        name
        for name in candidate_zones()
        if zone_offset(ZoneInfo(name), bounds.day) in start
        and zone_offset(ZoneInfo(name), bounds.day + timedelta(days=1)) in end
    )
    return DayStart(bounds.day, start, end, zones)


def _offsets(day: date, before: datetime | None, at_or_after: datetime | None) -> tuple:
    """Offsets o such that `before` < (day 00:00 UTC - o) <= `at_or_after`."""
    step = timedelta(minutes=15)
    found = []
    offset = EARLIEST_OFFSET
    while offset <= LATEST_OFFSET:
        local_midnight = midnight(day) - offset
        if (before is None or before < local_midnight) and (
            at_or_after is None or local_midnight <= at_or_after
        ):
            found.append(offset)
        offset += step
    return tuple(found)


def zone_offset(zone: ZoneInfo, day: date) -> timedelta:
    """The zone's UTC offset at its own midnight starting `day`."""
    offset = datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset()
    if offset is None:  # a ZoneInfo always answers one: None would be a naive datetime
        raise ValueError(f"{zone} gives no UTC offset for {day}")
    return offset


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@lru_cache(maxsize=1)
def candidate_zones() -> tuple[str, ...]:
    """Familiar zones first, then every regional IANA zone alphabetically (no aliases such as
    `EST` or `Etc/GMT+5`, whose names confuse more than they help)."""
    regional = sorted(z for z in available_timezones() if z.startswith(_REGIONS))
    familiar = [z for z in FAMILIAR_ZONES if z == "UTC" or z in regional]
    return tuple(familiar + [z for z in regional if z not in familiar])


def suggest(zones: Sequence[str], limit: int = 3) -> list[str]:
    return list(zones[:limit])


def keyed_events(records: Iterable[dict]) -> list[tuple[str, datetime]]:
    """(event_key, received_at) of well-formed records, newest first, each key once."""
    seen: set[str] = set()
    out = []
    for record in records:
        key, stamp = record.get("event_key"), record.get("received_at")
        if not isinstance(key, str) or not isinstance(stamp, str) or key in seen:
            continue
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            continue
        seen.add(key)
        out.append((key, moment.astimezone(UTC)))
    return out
