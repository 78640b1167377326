"""Gold: the media report's metrics over Silver, as Spark aggregates (no Dagster, no I/O).

One definition of each metric serves every grouping: `event_metrics()` is applied per (dt,
media_id) for the Gold table `media_daily` and per media_id over a date range for the report's
totals, on local Spark and on Glue alike. Reading and writing live in `gold_runner`.

- sessions: rows of fact_events (one Wistia event is one viewing session);
- unique_visitors: count(DISTINCT visitor_hash) (null hashes are not a visitor);
- mean_percent_viewed: avg(percent_viewed) over sessions that have one;
- watched_<t>_share: share of those sessions with percent_viewed >= t/100;
- mobile_share: share of sessions on a mobile device among those whose device is known
  (legacy payloads carry no user agent); device_known_sessions is its base;
- loads, plays, hours_watched: sums of fact_media_by_date; play_rate = plays / loads.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from wistia_assets.transforms.schema import MEDIA_DAILY

WATCHED_THRESHOLDS = (25, 50, 75, 95)
# percent_viewed buckets of the distribution chart: [0, 10 %), ..., [90 %, 100 %].
PERCENT_BUCKETS = 10
UNKNOWN = "(unknown)"


def event_metrics() -> dict[str, Column]:
    """Aggregates over fact_events rows, by name (the Gold columns they become)."""
    pv = F.col("percent_viewed")
    mobile = F.col("is_mobile")
    metrics = {
        "sessions": F.count(F.lit(1)),
        "unique_visitors": F.countDistinct("visitor_hash"),
        "mean_percent_viewed": F.avg(pv),
    }
    for t in WATCHED_THRESHOLDS:
        metrics[f"watched_{t}_share"] = F.avg(
            F.when(pv >= F.lit(t / 100), F.lit(1.0)).when(pv.isNotNull(), F.lit(0.0))
        )
    metrics["mobile_share"] = F.avg(F.when(mobile, F.lit(1.0)).when(mobile.isNotNull(), 0.0))
    metrics["device_known_sessions"] = F.count(F.when(mobile.isNotNull(), 1))
    return metrics


def by_date_metrics() -> dict[str, Column]:
    return {
        "loads": F.sum("load_count").cast("long"),
        "plays": F.sum("play_count").cast("long"),
        "hours_watched": F.sum("hours_watched").cast("double"),
    }


def play_rate(loads: Column, plays: Column) -> Column:
    return F.when(loads > 0, plays / loads)


# Counts a day without sessions shows as zero; the rates stay null (undefined, not 0 %).
_ZERO_WHEN_NO_EVENTS = ("sessions", "unique_visitors", "device_known_sessions")


def _aggregate(frame: DataFrame, keys: list[str], metrics: dict[str, Column]) -> DataFrame:
    return frame.groupBy(*keys).agg(*[column.alias(name) for name, column in metrics.items()])


def media_daily(events: DataFrame, by_date: DataFrame) -> DataFrame:
    """One row per (dt, media_id) that fact_media_by_date holds (a built day; a quiet day is a
    row of zeros there), with the day's event metrics (zero sessions when it has no event).

    `events` and `by_date` are Silver rows with their `dt` and `media_id` partition columns.
    """
    keys = ["dt", "media_id"]
    days = _aggregate(by_date, keys, by_date_metrics())
    sessions = _aggregate(events, keys, event_metrics())
    joined = days.join(sessions, keys, "left").fillna(0, subset=list(_ZERO_WHEN_NO_EVENTS))
    joined = joined.withColumn("play_rate", play_rate(F.col("loads"), F.col("plays")))
    return joined.select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in MEDIA_DAILY.fields], "dt"
    )


def range_totals(events: DataFrame, daily: DataFrame) -> DataFrame:
    """Per media_id over every row given: the event metrics over the range's sessions (distinct
    visitors of the whole range, not a sum of days) and the by_date sums of its Gold days."""
    sessions = _aggregate(events, ["media_id"], event_metrics())
    days = _aggregate(
        daily,
        ["media_id"],
        {
            "loads": F.sum("loads").cast("long"),
            "plays": F.sum("plays").cast("long"),
            "hours_watched": F.sum("hours_watched").cast("double"),
            "days": F.count(F.lit(1)),
        },
    )
    joined = days.join(sessions, ["media_id"], "left").fillna(0, subset=list(_ZERO_WHEN_NO_EVENTS))
    return joined.withColumn("play_rate", play_rate(F.col("loads"), F.col("plays")))


def _label(column: str) -> Column:
    return F.coalesce(F.col(column), F.lit(UNKNOWN))


def breakdown_labels() -> dict[str, Column]:
    """The label each session gets in each breakdown."""
    pv = F.col("percent_viewed")
    bucket = F.least(F.floor(pv * PERCENT_BUCKETS), F.lit(PERCENT_BUCKETS - 1)).cast("int")
    step = 100 // PERCENT_BUCKETS
    return {
        "percent_viewed": F.when(
            pv.isNotNull(),
            F.format_string("%d-%d%%", bucket * step, (bucket + 1) * step),
        ).otherwise(F.lit(UNKNOWN)),
        "country": _label("country"),
        "region": F.concat(_label("country"), F.lit(" / "), _label("region")),
        "browser": _label("browser"),
        "platform": _label("platform"),
        "device": F.when(F.col("is_mobile"), F.lit("mobile"))
        .when(F.col("is_mobile").isNotNull(), F.lit("desktop"))
        .otherwise(F.lit(UNKNOWN)),
    }


def breakdowns(events: DataFrame) -> DataFrame:
    """`media_id, dimension, label, sessions`: sessions per label of every breakdown."""
    labels = breakdown_labels()
    stacked = events.select(
        "media_id",
        F.explode(
            F.array(
                *[
                    F.struct(F.lit(name).alias("dimension"), label.alias("label"))
                    for name, label in labels.items()
                ]
            )
        ).alias("b"),
    )
    return stacked.groupBy("media_id", "b.dimension", "b.label").agg(
        F.count(F.lit(1)).alias("sessions")
    )
