"""fact_events' received_at histogram: a pull's distinct events by quarter hour.

The Silver checks compare the events of the *account's* day with by_date's plays of that day,
and find events the request should not have returned; both need the zone, which is
configuration of the Dagster side. Every IANA offset is a multiple of 15 minutes, so these
buckets add up to any account day exactly, and the build (and the Glue job) stay zone-free
(`assets/silver/coverage.py` reads them in the account's zone).
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column
from pyspark.sql import functions as F

from wistia_assets.transforms.bronze_reader import DT
from wistia_assets.transforms.results import ReceivedHistogram
from wistia_assets.transforms.values import shifted_day, utc_day

BUCKET_MINUTES = 15
BUCKET_TEXT = "yyyy-MM-dd'T'HH:mm'Z'"


def histogram_days(day: str) -> tuple[str, str]:
    """The span the histogram resolves: two days either side, wider than any account day that
    a request for `day` can cover (offsets are within -12 h .. +14 h)."""
    today = date.fromisoformat(day)
    return (today - timedelta(days=2)).isoformat(), (today + timedelta(days=3)).isoformat()


def received_bucket() -> Column:
    """For every distinct valid event of the pull (`_first` of a `mark_kept` frame), its
    `received_at` rounded down to `BUCKET_MINUTES` (`YYYY-MM-DDTHH:MMZ`), or `earlier`/`later`
    outside the days around its window's day `_dt` (`histogram_days`); null for every other
    line."""
    received = F.col("_received_at")
    first, last = shifted_day(F.col(DT), -2), shifted_day(F.col(DT), 3)
    seconds = BUCKET_MINUTES * 60
    bucket = F.date_format(
        F.timestamp_seconds(F.floor(received.cast("long") / seconds) * seconds), BUCKET_TEXT
    )
    name = (
        # The days as text, compared with the event's UTC day (see `utc_day`).
        F.when(utc_day(received) < first, F.lit("earlier"))
        .when(utc_day(received) >= last, F.lit("later"))
        .otherwise(bucket)
    )
    return F.when(F.col("_first"), name)


def received_histogram(counts: dict[str, int], day: str) -> ReceivedHistogram:
    """The result's histogram from the bucket counts `summarise` returned for `received_bucket`."""
    first, last = histogram_days(day)
    earlier, later = counts.pop("earlier", 0), counts.pop("later", 0)
    return ReceivedHistogram(
        BUCKET_MINUTES, first, last, earlier, later, dict(sorted(counts.items()))
    )
