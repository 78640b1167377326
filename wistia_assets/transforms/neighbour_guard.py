"""fact_events' neighbour guard: the event keys the same media's neighbouring Silver days hold.

Routing by `received_at` keeps one event out of two Silver days; the guard catches what routing
cannot see (the API sending one `event_key` with times on two days, a neighbour built before
routing existed): the day written first keeps the key, a later day quarantines its copy with
`neighbour_reason` (`fact_events.mark_kept` joins these keys).

A batch of windows is judged as if its windows were built one after the other, oldest day first
(what a `run` of several days did one partition at a time): when window D is written, dt=D-1
holds what *this* batch wrote there if D-1 is in the batch (else what was on disk), and dt=D+1
still holds what was on disk. A key only reaches that rule through another window of the batch
when it is a candidate on two adjacent days of the same media (rare: the API sent it with two
times). The build counts such lines with its other figures (`on_adjacent_days`); only when
there are any are they collected (one small Spark job) and decided here in Python, day by day,
and the batch marked again. Every other key is judged against the files on disk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import SILVER_FACT_EVENTS, window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import DT, MEDIA
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.silver_writes import data_files
from wistia_assets.transforms.values import shifted_day

NEIGHBOUR_REASON_PREFIX = "event_key already in dt="
NEIGHBOUR_KEYS = T.StructType(
    [
        T.StructField("event_key", T.StringType()),
        T.StructField("dt", T.StringType()),
        T.StructField("media_id", T.StringType()),
    ]
)
# `_dt, _media, event_key, dt`: window (`_dt`, `_media`) must not keep `event_key`, dt holds it.
HELD = T.StructType(
    [
        T.StructField(DT, T.StringType()),
        T.StructField(MEDIA, T.StringType()),
        T.StructField("event_key", T.StringType()),
        T.StructField("dt", T.StringType()),
    ]
)


def neighbour_reason(other_dt: str) -> str:
    return NEIGHBOUR_REASON_PREFIX + other_dt


def neighbour_days(day: str) -> tuple[str, str]:
    """dt-1 and dt+1."""
    today = date.fromisoformat(day)
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()


def neighbour_day(offset: int) -> Column:
    """The day `offset` days from each line's window day (`_dt`), as text."""
    return shifted_day(F.col(DT), offset)


def on_adjacent_days(candidate: Column) -> Column:
    """For a `candidate` line: its key is a candidate of the same media's window the day before
    or after too (a key the API sent on two adjacent days of the batch). One window function
    over the lines, no job of its own: the build counts these with its other figures and asks
    `NeighbourGuard.keys` only when there are any."""
    days = F.collect_set(F.when(candidate, F.col(DT))).over(Window.partitionBy(MEDIA, "_event_key"))
    return candidate & (
        F.array_contains(days, neighbour_day(-1)) | F.array_contains(days, neighbour_day(1))
    )


class NeighbourGuard:
    """The neighbouring Silver days of a batch's windows (`windows`: (day, media_id) pairs)."""

    def __init__(self, spark: SparkSession, silver: ObjectStore, windows: list[tuple[str, str]]):
        self.spark, self.silver = spark, silver
        self.windows = set(windows)
        self.days: dict[str, list[str]] = defaultdict(list)
        for day, media_id in sorted(windows):
            self.days[media_id].append(day)
        wanted = {(d, m) for day, m in windows for d in neighbour_days(day)}
        self.files = {
            w: files
            for w in sorted(wanted)
            if (files := data_files(self.silver, window_partition(SILVER_FACT_EVENTS, *w)))
        }
        self._held: DataFrame | None = None
        self._held_read = False

    def _judged_on_disk(self, before: str, day: str, media_id: str) -> bool:
        # dt-1 is rebuilt before this window when the batch holds it: its disk copy is gone.
        return (before, media_id) not in self.windows

    def checked(self, window: tuple[str, str], rows: dict[tuple[str, str], int]) -> bool:
        """Whether a neighbouring partition existed when `window` was written (`rows`: what the
        batch wrote to each of its windows)."""
        day, media_id = window
        before, after = neighbour_days(day)
        if (after, media_id) in self.files:
            return True
        if self._judged_on_disk(before, day, media_id):
            return (before, media_id) in self.files
        return rows[(before, media_id)] > 0

    def _on_disk(self) -> DataFrame | None:
        """`HELD` rows from the files on disk: each neighbour's keys, for each window of the
        batch that is judged against that file."""
        targets = []
        for day, media_id in sorted(self.windows):
            before, after = neighbour_days(day)
            if (after, media_id) in self.files:
                targets.append((media_id, after, day))
            if (before, media_id) in self.files and self._judged_on_disk(before, day, media_id):
                targets.append((media_id, before, day))
        if not targets:
            return None
        root = spark_path(self.silver, SILVER_FACT_EVENTS)
        read = sorted({(media_id, day) for media_id, day, _ in targets})
        # Only the key is read, and its type is known: no footer-reading job to infer it.
        keys = (
            self.spark.read.schema(NEIGHBOUR_KEYS)
            .option("basePath", root)
            .parquet(*[spark_path(self.silver, k) for m, d in read for k in self.files[(d, m)]])
        )
        # Each neighbour's key, for the windows on either side of it that are judged against
        # it: a filter on literals, not a join with a local table (broadcasting one is a job).
        wanted = [_window_key(day, media_id, held_by) for media_id, held_by, day in targets]
        return keys.select(
            F.explode(F.array(shifted_day(F.col("dt"), -1), shifted_day(F.col("dt"), 1))).alias(DT),
            F.col("media_id").alias(MEDIA),
            "event_key",
            "dt",
        ).where(F.concat_ws("|", DT, MEDIA, "dt").isin(wanted))

    @property
    def adjacent(self) -> bool:
        """Whether the batch holds two adjacent days of a media."""
        return any((neighbour_days(day)[1], m) in self.windows for day, m in self.windows)

    def on_disk(self) -> DataFrame | None:
        """`HELD` rows of the files on disk: the whole answer for every key that is not a
        candidate on two adjacent days of the batch (those: `keys`)."""
        if not self._held_read:
            self._held, self._held_read = self._on_disk(), True
        return self._held

    def keys(self, lines: DataFrame, candidate: Column) -> DataFrame | None:
        """`HELD` rows for the windows of `lines` (a `fact_events.mark_first` frame of the
        batch, or a cached one marked from it, whose `candidate` lines become rows unless held),
        with the keys sent on two adjacent days of the batch decided one window after the other
        (one small Spark job); None when no neighbour holds anything."""
        on_disk = self.on_disk()
        decided, contested = self._decide_contested(lines, candidate, on_disk)
        if not contested:
            return on_disk
        window_key = [DT, MEDIA, "event_key"]
        ruled = self.spark.createDataFrame(decided, HELD) if decided else None
        if on_disk is not None:
            # Contested keys are decided above, not by the files on disk.
            again = [_window_key(*key) for key in contested]
            on_disk = on_disk.where(~F.concat_ws("|", *window_key).isin(again))
            return on_disk if ruled is None else on_disk.unionByName(ruled)
        return ruled

    def _decide_contested(
        self, first: DataFrame, candidate: Column, on_disk: DataFrame | None
    ) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str]]]:
        """The keys that are candidates on two adjacent days of a media in this batch, decided
        as one build after the other would: (held rows, contested candidates)."""
        # One aggregation, no join (a join of small frames is broadcast: a job of its own):
        # per media and key, the batch days it is a candidate on and the days on disk that hold
        # it; kept where two candidate days are adjacent.
        lines = first.where(candidate).select(
            MEDIA,
            F.col("_event_key").alias("event_key"),
            F.col(DT).alias("_day"),
            F.lit(True).alias("_candidate"),
        )
        if on_disk is not None:
            held = on_disk.select(
                MEDIA, "event_key", F.col("dt").alias("_day"), F.lit(False).alias("_candidate")
            )
            lines = lines.unionByName(held)
        on_day = F.col("_day")
        grouped = lines.groupBy(MEDIA, "event_key").agg(
            F.collect_set(F.when(F.col("_candidate"), on_day)).alias("_candidate_days"),
            F.collect_set(F.when(~F.col("_candidate"), on_day)).alias("_held_days"),
        )
        candidate_on = F.col("_candidate_days")
        rows = grouped.where(
            F.exists(candidate_on, lambda d: F.array_contains(candidate_on, shifted_day(d, 1)))
        ).collect()  # a handful at most: keys the API sent on two days
        candidate_days = {(r[MEDIA], r["event_key"]): set(r["_candidate_days"]) for r in rows}
        held_days = {(r[MEDIA], r["event_key"]): set(r["_held_days"]) for r in rows}
        decided, contested = [], []
        for (media_id, key), days in sorted(candidate_days.items()):
            holds = dict.fromkeys(held_days[(media_id, key)], True)
            for day in self.days[media_id]:  # oldest first, as one build after the other
                if day not in days:
                    holds[day] = False  # rewritten without the key
                    continue
                before, after = neighbour_days(day)
                clash = before if holds.get(before) else after if holds.get(after) else None
                holds[day] = clash is None
                contested.append((day, media_id, key))
                if clash is not None:
                    decided.append((day, media_id, key, clash))
        return decided, contested


def _window_key(*parts: str) -> str:
    return "|".join(parts)
