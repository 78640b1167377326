"""fact_events' neighbour guard: the event keys the same media's neighbouring Silver days hold.

Routing by `received_at` keeps one event out of two Silver days; the guard catches what routing
cannot see (the API sending one `event_key` with times on two days, a neighbour built before
routing existed): the day written first keeps the key, a later day quarantines its copy with
`neighbour_reason` (`fact_events.mark_kept` joins these keys).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import SILVER_FACT_EVENTS, window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.silver_writes import data_files

NEIGHBOUR_REASON_PREFIX = "event_key already in dt="
NEIGHBOUR_KEY = T.StructType([T.StructField("event_key", T.StringType())])


def neighbour_reason(other_dt: str) -> str:
    return NEIGHBOUR_REASON_PREFIX + other_dt


def neighbour_days(day: str) -> tuple[str, str]:
    """dt-1 and dt+1."""
    today = date.fromisoformat(day)
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()


def neighbour_keys(
    spark: SparkSession, silver: ObjectStore, day: str, media_id: str
) -> DataFrame | None:
    """`event_key, dt` of the same media's Silver partitions dt-1 and dt+1 that exist."""
    frames = []
    for other in neighbour_days(day):
        files = data_files(silver, window_partition(SILVER_FACT_EVENTS, other, media_id))
        if files:
            # Only the key is read, and its type is known: no footer-reading job to infer it.
            keys = spark.read.schema(NEIGHBOUR_KEY).parquet(*[spark_path(silver, k) for k in files])
            frames.append(keys.select("event_key", F.lit(other).alias("dt")))
    return reduce(DataFrame.unionByName, frames) if frames else None
