"""When each event happened and when it becomes visible: lazily, one (media, day) at a time.

A day's events are split into *streams*, each a sorted sequence whose i-th time is computed
directly, never by generating its predecessors:

- punctual: most events, visible a few minutes after `received_at`;
- late cohorts (stream ids 1-4): spread over the day, each cohort visible at once, 1-20 h after
  the day ended (the reason the pipeline re-pulls closed windows);
- drift (fault): events in the last 15 minutes of the day that are revealed page turn by page
  turn while a client paginates (see `DriftLedger`);
- bad (fault): records that break the schema, interleaved like punctual ones;
- foreign (fault): copies of another media's punctual events.

Stratified sampling makes the direct access possible: the i-th time of a stream of n is the
day's diurnal quantile at (i + u_i) / n, with u_i a hash in [0, 1). Times are therefore sorted
by construction, and "how many events of this stream happened by t" is answered by inverting
the quantile and correcting by one or two steps. `paging.py` merges streams with that count.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from wistia_assets.sandbox.events import (
    PV_LEVELS,
    break_record,
    engagement_table,
    percent_viewed_e4,
    percent_viewed_sum_e4,
    render_event,
)
from wistia_assets.sandbox.faults import Faults
from wistia_assets.sandbox.media import SandboxMedia
from wistia_assets.sandbox.randomness import (
    Draws,
    EventKeyCodec,
    Permutation,
    derive,
    mix64,
    unit,
)

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
DRIFT_SPAN_MS = 15 * MINUTE_MS
LATE_HOURS = (1.0, 20.0)
MAX_LATE_COHORTS = 4
NEVER = 1 << 62  # "now" far enough in the future that everything has arrived

PUNCTUAL, DRIFT, BAD, FOREIGN = 0, 16, 32, 48
# A typical audience curve in UTC: quiet at night in the Americas and Europe, peaks in their
# afternoons. Each day scales it by a random factor per hour.
DIURNAL = (4, 3, 2, 2, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 17, 16, 14, 12, 9, 7, 5)

EventsPerDay = int | tuple[int, int]


class DayShape:
    """A piecewise-linear CDF over a window (24 equal segments): the day's audience curve."""

    __slots__ = ("_cum",)

    def __init__(self, weights: Iterable[float]):
        weights = list(weights)
        total = sum(weights)
        cum = [0.0]
        for w in weights:
            cum.append(cum[-1] + w / total)
        cum[-1] = 1.0
        self._cum = tuple(cum)

    def cdf(self, x: float) -> float:
        if x <= 0.0:
            return 0.0
        if x >= 1.0:
            return 1.0
        segments = len(self._cum) - 1
        pos = x * segments
        seg = int(pos)
        return self._cum[seg] + (pos - seg) * (self._cum[seg + 1] - self._cum[seg])

    def inverse(self, q: float) -> float:
        segments = len(self._cum) - 1
        seg = min(bisect_right(self._cum, q) - 1, segments - 1)
        width = self._cum[seg + 1] - self._cum[seg]
        return (seg + (q - self._cum[seg]) / width) / segments


UNIFORM = DayShape([1.0] * 24)


class Stream:
    """A sorted sequence of events; `n` of them will ever exist, a prefix of them is visible."""

    kind = "stream"

    def __init__(self, plan: DayPlan, sid: int, n: int):
        self.plan = plan
        self.sid = sid
        self.n = n
        self.order = (plan.slot, sid)  # tie-break between streams for equal milliseconds

    def time_ms(self, i: int) -> int:
        raise NotImplementedError

    def count_at_or_before(self, t_ms: int) -> int:
        """How many of the stream's events have time <= t_ms (binary search; subclasses do
        better)."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.time_ms(mid) <= t_ms:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def visible(self, now_ms: int, revealed: int) -> int:
        return self.count_at_or_before(now_ms - self.plan.delay_ms)

    def arrival_ms(self, i: int) -> int:
        return self.time_ms(i) + self.plan.delay_ms

    def record(self, i: int) -> dict:
        return self.plan.render(self, i)


class StratifiedStream(Stream):
    kind = "punctual"

    def __init__(self, plan: DayPlan, sid: int, n: int, start_ms: int, span_ms: int, shape):
        super().__init__(plan, sid, n)
        self.start_ms = start_ms
        self.span_ms = span_ms
        self.shape = shape
        self._key = derive(plan.key, "stream", sid)

    def time_ms(self, i: int) -> int:
        q = (i + unit(mix64(self._key ^ i))) / self.n
        return self.start_ms + min(self.span_ms - 1, int(self.shape.inverse(q) * self.span_ms))

    def count_at_or_before(self, t_ms: int) -> int:
        if t_ms < self.start_ms:
            return 0
        if t_ms >= self.start_ms + self.span_ms - 1:
            return self.n
        guess = int(self.shape.cdf((t_ms - self.start_ms + 1) / self.span_ms) * self.n)
        g = max(0, min(self.n, guess))
        # The quantile inverse is exact up to the stratum jitter and float rounding: a step
        # or two fixes the guess.
        while g > 0 and self.time_ms(g - 1) > t_ms:
            g -= 1
        while g < self.n and self.time_ms(g) <= t_ms:
            g += 1
        return g


class LateCohort(StratifiedStream):
    kind = "late"

    def __init__(self, plan: DayPlan, sid: int, n: int, arrival_ms: int):
        super().__init__(plan, sid, n, plan.start_ms, plan.span_ms, plan.shape)
        self.arrives_ms = arrival_ms

    def visible(self, now_ms: int, revealed: int) -> int:
        return self.n if now_ms >= self.arrives_ms else 0

    def arrival_ms(self, i: int) -> int:
        return self.arrives_ms


class DriftStream(StratifiedStream):
    kind = "drift"

    def __init__(self, plan: DayPlan, n: int):
        super().__init__(plan, DRIFT, n, plan.end_ms - DRIFT_SPAN_MS, DRIFT_SPAN_MS, UNIFORM)

    def visible(self, now_ms: int, revealed: int) -> int:
        return min(revealed, super().visible(now_ms, revealed))


class BadStream(StratifiedStream):
    kind = "bad"

    def __init__(self, plan: DayPlan, n: int):
        super().__init__(plan, BAD, n, plan.start_ms, plan.span_ms, plan.shape)


class ForeignStream(Stream):
    """Copies of another media's punctual events, spread evenly over that media's day.

    The source plan is looked up on first use: two media can leak into each other's feeds,
    and building both plans eagerly would recurse.
    """

    kind = "foreign"

    def __init__(self, plan: DayPlan, n: int, source_slot: int, source_punctual: int):
        super().__init__(plan, FOREIGN, n)
        self.source_slot = source_slot
        self.source_punctual = source_punctual
        self._source: DayPlan | None = None

    @property
    def source(self) -> DayPlan:
        if self._source is None:
            self._source = self.plan.timeline.plan(self.source_slot, self.plan.day)
        return self._source

    def _source_index(self, i: int) -> int:
        return (2 * i + 1) * self.source_punctual // (2 * self.n)

    def time_ms(self, i: int) -> int:
        return self.source.punctual.time_ms(self._source_index(i))

    def visible(self, now_ms: int, revealed: int) -> int:
        return self.count_at_or_before(now_ms - self.source.delay_ms)

    def arrival_ms(self, i: int) -> int:
        return self.time_ms(i) + self.source.delay_ms

    def record(self, i: int) -> dict:
        return self.source.punctual.record(self._source_index(i))


@dataclass(frozen=True)
class DayCounts:
    total: int  # ground-truth events without drift: punctual + late
    late: int


class DayPlan:
    """Everything about one (media, account-local day) that costs O(1) to decide."""

    def __init__(self, timeline: Timeline, slot: int, day: date):
        self.timeline = timeline
        self.slot = slot
        self.media = timeline.slots[slot]
        self.day = day
        self.key = derive(timeline.seed, "day", self.media.hashed_id, day.toordinal())
        self.start_ms = timeline.day_start_ms(day)
        # 24 h, or 23/25 h on the days an account zone changes to or from daylight saving time
        self.end_ms = timeline.day_start_ms(day + timedelta(days=1))
        self.span_ms = self.end_ms - self.start_ms
        draws = Draws(self.key)
        self.shape = DayShape(w * draws.between(0.6, 1.4) for w in DIURNAL)
        self.delay_ms = int(draws.between(1.0, 9.0) * MINUTE_MS)
        counts = timeline.counts(slot, day)
        self.base_total = counts.total
        self.punctual = StratifiedStream(
            self, PUNCTUAL, counts.total - counts.late, self.start_ms, self.span_ms, self.shape
        )
        self.cohorts = tuple(self._late_cohorts(draws, counts.late))
        faults = timeline.faults
        has_events = counts.total > 0
        self.drift = (
            DriftStream(self, faults.drift * faults.drift_turns)
            if has_events and faults.drift
            else None
        )
        self.bad = (
            BadStream(self, _share(counts.total, faults.bad, derive(self.key, "bad")))
            if has_events and faults.bad
            else None
        )
        self.foreign = self._foreign_stream(faults) if has_events and faults.foreign else None
        self._shuffle = Permutation(self.base_total, derive(self.key, "pv")) if has_events else None
        # The media's engagement curve that day (events.py: its audience).
        self.pv_table = engagement_table(self.media, day)
        self._by_date_cache: dict[tuple, dict] = {}

    def _late_cohorts(self, draws: Draws, late: int) -> Iterable[LateCohort]:
        if late == 0:
            return []
        k = min(late, 1 + draws.below(MAX_LATE_COHORTS))
        cuts = sorted(draws.below(late + 1) for _ in range(k - 1))
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, late], strict=True)]
        hours = sorted(draws.between(*LATE_HOURS) for _ in range(k))
        return [
            LateCohort(self, sid + 1, size, self.end_ms + int(h * HOUR_MS))
            for sid, (size, h) in enumerate(zip(sizes, hours, strict=True))
            if size
        ]

    def _foreign_stream(self, faults: Faults) -> ForeignStream | None:
        source_slot = self.timeline.foreign_source(self.slot, self.day)
        source_counts = self.timeline.counts(source_slot, self.day)
        source_punctual = source_counts.total - source_counts.late
        n = min(
            _share(self.base_total, faults.foreign, derive(self.key, "foreign")),
            source_punctual,
        )
        return ForeignStream(self, n, source_slot, source_punctual) if n else None

    # --- what exists ------------------------------------------------------------------------

    def truth_streams(self) -> list[Stream]:
        """Streams of ground-truth events: everything that will ever be visible."""
        streams: list[Stream] = [self.punctual, *self.cohorts]
        if self.drift:
            streams.append(self.drift)
        return [s for s in streams if s.n]

    def feed_streams(self) -> list[Stream]:
        streams = self.truth_streams()
        streams += [s for s in (self.bad, self.foreign) if s is not None and s.n]
        return streams

    def stream(self, sid: int) -> Stream | None:
        return next((s for s in self.feed_streams() if s.sid == sid), None)

    # --- records ----------------------------------------------------------------------------

    def truth_rank(self, stream: Stream, i: int) -> int:
        """Position of a punctual/late event in the day's ground truth (drift excluded)."""
        if stream.sid == PUNCTUAL:
            return i
        offset = self.punctual.n
        for cohort in self.cohorts:
            if cohort is stream:
                return offset + i
            offset += cohort.n
        raise ValueError("not a punctual or late event")

    def pv_e4(self, stream: Stream, i: int) -> int:
        if stream.sid in (PUNCTUAL, *range(1, MAX_LATE_COHORTS + 1)):
            if self._shuffle is None:
                raise ValueError(f"{self.day} has no events to rank")
            rank = self._shuffle(self.truth_rank(stream, i))
            return percent_viewed_e4(rank, self.base_total, self.pv_table)
        return self.pv_table[derive(self.key, "pv-extra", stream.sid, i) % PV_LEVELS]

    def event_key(self, stream: Stream, i: int) -> str:
        return self.timeline.codec.encode(self.day.toordinal(), self.slot, stream.sid, i)

    def render(self, stream: Stream, i: int) -> dict:
        self.timeline.rendered += 1
        record = render_event(
            seed=self.timeline.seed,
            media=self.media,
            event_key=self.event_key(stream, i),
            time_ms=stream.time_ms(i),
            pv_e4=self.pv_e4(stream, i),
        )
        if stream.sid == BAD:
            record = break_record(record, Draws(derive(self.key, "broken", i)))
        return record

    # --- by_date ----------------------------------------------------------------------------

    def by_date(self, now_ms: int = NEVER) -> dict:
        """The by_date row of the events that have arrived by now_ms (drift by its clock)."""
        streams = self.truth_streams()
        visible = tuple(s.visible(now_ms, s.n) for s in streams)
        cached = self._by_date_cache.get(visible)
        if cached is not None:
            return cached
        plays = sum(visible)
        low, high = self.media.audience.loads_per_play
        ratio = low + (high - low) * (derive(self.key, "loads") / 2**64)
        row = {
            "date": self.day.isoformat(),
            "load_count": plays + int(plays * ratio),
            "play_count": plays,
            "hours_watched": self._hours_watched(streams, visible, plays),
        }
        if len(self._by_date_cache) < 64:
            self._by_date_cache[visible] = row
        return row

    def _hours_watched(self, streams: list[Stream], visible: tuple[int, ...], plays: int) -> float:
        if self.timeline.hours_watched == "derived":
            # As other teams observed of the real API: hours_watched / play_count is constant
            # per media over weeks, a derived figure rather than a sum of viewing.
            key = derive(self.timeline.seed, "hours/play", self.media.hashed_id)
            share = 0.25 + 0.5 * unit(key)
            return plays * share * self.media.duration / 3600
        hidden = sum(s.n for s in streams) - plays
        if hidden <= plays:  # all arrived, or cheaper to subtract the few that have not
            watched_e4 = self._all_watched_e4()
            for s, v in zip(streams, visible, strict=True):
                watched_e4 -= sum(self.pv_e4(s, i) for i in range(v, s.n))
        else:
            watched_e4 = sum(
                sum(self.pv_e4(s, i) for i in range(v))
                for s, v in zip(streams, visible, strict=True)
            )
        return watched_e4 * self.media.duration / 36_000_000

    def _all_watched_e4(self) -> int:
        # Closed form for punctual + late (the dealt table), a short walk for the drift pool.
        total = percent_viewed_sum_e4(self.base_total, self.pv_table) if self.base_total else 0
        if self.drift:
            total += sum(self.pv_e4(self.drift, i) for i in range(self.drift.n))
        return total


def _share(total: int, share: float, key: int) -> int:
    """round(total * share), rounding up or down at random so small days still get some."""
    exact = total * share
    whole = int(exact)
    return whole + (1 if unit(key) < exact - whole else 0)


class Timeline:
    """Day plans for a sandbox configuration, cached; the single source of event truth."""

    def __init__(
        self,
        media: tuple[SandboxMedia, ...],
        phantom: SandboxMedia,
        *,
        seed: int,
        faults: Faults,
        events_per_day: EventsPerDay,
        late_share: float,
        day_offset_hours: int,
        zone: ZoneInfo | None = None,
        hours_watched: str = "sum",
    ):
        self.media = media
        self.slots = (*media, phantom)
        self.slot_of = {m.hashed_id: i for i, m in enumerate(media)}
        self.seed = seed
        self.faults = faults
        self.events_per_day = events_per_day
        self.late_share = faults.late if faults.late is not None else late_share
        # The account's days: an IANA zone (daylight saving included), else a fixed offset.
        self.zone = zone or timezone(timedelta(hours=day_offset_hours))
        self.hours_watched = hours_watched
        self.codec = EventKeyCodec(seed)
        self.rendered = 0  # records rendered so far: lets tests prove generation is lazy
        self._plans: dict[tuple[int, date], DayPlan] = {}
        self._counts: dict[tuple[int, date], DayCounts] = {}
        self._lock = threading.Lock()

    def day_start_ms(self, day: date) -> int:
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return int(midnight.timestamp() * 1000)

    def local_day(self, epoch_ms: int) -> date:
        return datetime.fromtimestamp(epoch_ms / 1000, tz=self.zone).date()

    def counts(self, slot: int, day: date) -> DayCounts:
        key = (slot, day)
        cached = self._counts.get(key)
        if cached is not None:
            return cached
        media = self.slots[slot]
        if day in self.faults.zero_days or day < media.created.astimezone(self.zone).date():
            counts = DayCounts(0, 0)
        else:
            spec = media.events_per_day if media.events_per_day is not None else self.events_per_day
            pick = derive(self.seed, "volume", media.hashed_id, day.toordinal())
            if isinstance(spec, int):
                total = spec
            else:
                lo, hi = spec
                total = lo + pick % (hi - lo + 1)
            late = min(total, _share(total, self.late_share, derive(pick, "late")))
            counts = DayCounts(total, late)
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts.clear()
            self._counts[key] = counts
        return counts

    def plan(self, slot: int, day: date) -> DayPlan:
        key = (slot, day)
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        built = DayPlan(self, slot, day)
        with self._lock:
            if len(self._plans) > 20_000:  # long-running servers: bound the memory
                self._plans.clear()
            return self._plans.setdefault(key, built)

    def foreign_source(self, slot: int, day: date) -> int:
        """The media whose events leak into this media's feed on that day."""
        others = [i for i in range(len(self.media)) if i != slot]
        if not others:
            return len(self.media)  # the phantom media
        return others[derive(self.seed, "foreign-source", slot, day.toordinal()) % len(others)]

    def find(self, event_key: str) -> tuple[DayPlan, Stream, int] | None:
        decoded = self.codec.decode(event_key)
        if decoded is None:
            return None
        ordinal, slot, sid, index = decoded
        if slot >= len(self.slots) or not 1 <= ordinal <= date.max.toordinal():
            return None
        plan = self.plan(slot, date.fromordinal(ordinal))
        stream = plan.stream(sid)
        if stream is None or index >= stream.n:
            return None
        return plan, stream, index


class DriftLedger:
    """Which drift events each (media, day) has revealed, driven by clients' pagination.

    A pull of a query starts with page 1 received intact. During the `pull`-th pull (the first
    by default), each page request after page 1 reveals `drift` more events at the head of the
    window's newest day: later pages shift and the client sees an event twice, while the new
    events land on page 1, already read. Pulls before that one see none of the pool; page 1 of
    a later pull (a re-pull, or a re-read within one pull) finds every drift event revealed.
    """

    def __init__(self, drift: int, pull: int = 1):
        self.drift = drift
        self.pull = pull
        self._revealed: dict[tuple[int, date], int] = {}
        self._pulls: dict[tuple, int] = {}  # query -> page 1s delivered intact
        self._lock = threading.Lock()

    def revealed(self, slot: int, day: date) -> int:
        return self._revealed.get((slot, day), 0)

    def before_page(self, query: tuple, page: int, plans_newest_first: list[DayPlan]) -> None:
        if not self.drift:
            return
        # (slot, day) -> the size of its drift pool, for the plans that have one.
        pools = [((p.slot, p.day), p.drift.n) for p in plans_newest_first if p.drift is not None]
        with self._lock:
            pulls = self._pulls.get(query, 0)
            if page == 1:
                if pulls >= self.pull:
                    for key, size in pools:
                        self._revealed[key] = size
                return
            if pulls != self.pull:
                return
            for key, size in pools:
                shown = self._revealed.get(key, 0)
                if shown < size:
                    self._revealed[key] = min(size, shown + self.drift)
                    return

    def delivered(self, query: tuple, page: int) -> None:
        if self.drift and page == 1:
            with self._lock:
                self._pulls[query] = self._pulls.get(query, 0) + 1
