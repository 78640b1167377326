"""Remove erased viewers' rows from one Silver `fact_events` partition, Silver-side.

An erasure normally rebuilds the partition from its rewritten Bronze partition. Bronze keeps
`BronzeRetentionDays`; Silver keeps its partitions for good, so a viewer's older rows have no
Bronze left to rebuild from. This rewrites the partition from itself instead: every row whose
`visitor_hash` is one of the erasure's hashes goes, every other row stays with the same values
in the same order (the build's own sort), through the same writer as the build (dynamic
partition overwrite of that partition only; the partition dropped when no row is left).
The quarantine is not touched: it lives in Bronze and expired with it.
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from wistia_assets.storage.layout import SILVER_FACT_EVENTS, window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.partition_build import read_written
from wistia_assets.transforms.silver_writes import drop_partition, replace_partition

# fact_events.build's `order_by`: the rewritten file keeps the build's row order (a test compares).
ORDER_BY = ["received_at", "event_key"]


def erase_rows(
    spark: SparkSession,
    silver: ObjectStore,
    *,
    day: str,
    media_id: str,
    visitor_hashes: frozenset[str],
) -> tuple[int, int]:
    """(rows removed, rows left) of the (day, media_id) partition of `fact_events`."""
    target = window_partition(SILVER_FACT_EVENTS, day, media_id)
    current = read_written(spark, silver, target, None)
    if current is None or not visitor_hashes:
        return 0, 0 if current is None else current.count()
    # A null visitor_hash is nobody's: `isin` gives null there, which `where` would drop.
    erased = F.coalesce(F.col("visitor_hash").isin(sorted(visitor_hashes)), F.lit(False))
    # Materialised before the write: the dynamic overwrite deletes the very files a lazy plan
    # would still be reading.
    kept = current.where(~erased).localCheckpoint(eager=True)
    left, total = kept.count(), current.count()
    removed = total - left
    if removed == 0:
        return 0, left  # nothing of theirs here: the files stay as they are
    if left == 0:
        drop_partition(silver, target)
    else:
        final = kept.withColumn("dt", F.lit(day)).withColumn("media_id", F.lit(media_id))
        replace_partition(final, store=silver, table_prefix=SILVER_FACT_EVENTS, order_by=ORDER_BY)
    return removed, left
