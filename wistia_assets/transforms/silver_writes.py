"""Writing Silver partitions and Bronze quarantines so that a re-run replaces, never adds.

- `replace_partition`: dynamic partition overwrite into the table root, so only the
  (dt, media_id) partition in the frame is replaced and every other partition is untouched. One
  file, rows sorted by the partition columns then the caller's keys: the sort order is total, so
  re-running the same Bronze writes the same rows in the same order.
- `drop_partition`: a result with zero rows must delete the partition, because a dynamic
  overwrite with no rows replaces nothing and would leave the previous run's data in place.
- `replace_quarantines`: the quarantine of a partition is rewritten on every run; an empty one
  removes the old files.
- `remove_stale_staging`: a killed dynamic-overwrite job leaves `<table>/.spark-staging-<id>/`.
  Other partitions of the same table may be writing concurrently (each job has its own staging
  folder), so only folders untouched for `STALE_STAGING_AGE` are removed.
"""

from __future__ import annotations

import time
from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from wistia_assets.storage.layout import window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import DT, MEDIA
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.schema import PARTITION_COLUMNS

STAGING_PREFIX = ".spark-staging-"
# Far longer than any Silver write of one partition takes.
STALE_STAGING_AGE = timedelta(hours=6)


def replace_partition(
    frame: DataFrame, *, store: ObjectStore, table_prefix: str, order_by: list[str]
) -> None:
    """Write `frame` (data columns + dt + media_id) over its own partition only."""
    (
        frame.repartition(1)
        # Partition columns first: the writer's required ordering is then already met and Spark
        # adds no sort of its own that could reorder rows.
        .sortWithinPartitions(*PARTITION_COLUMNS, *order_by)
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*PARTITION_COLUMNS)
        .parquet(spark_path(store, table_prefix))
    )


def drop_partition(store: ObjectStore, partition: str) -> int:
    keys = store.list_keys(partition)
    store.delete_keys(keys)
    return len(keys)


def replace_quarantines(
    frame: DataFrame, *, store: ObjectStore, root: str, rows: dict[tuple[str, str], int]
) -> None:
    """NDJSON of `reason, line, part_key, line_no` for each (dt, media_id) window of `rows`
    (its count of quarantined lines; `frame` also carries `_dt, _media`), replacing the
    window's old quarantine under `root` (`<root>/dt=<day>/media_id=<media>`): one dynamic
    overwrite for the windows with lines, and the folders of those without any removed."""
    for (day, media_id), count in rows.items():
        if not count:
            drop_partition(store, window_partition(root, day, media_id))
    if not any(rows.values()):
        return
    (
        frame.select(
            "reason",
            "line",
            "part_key",
            "line_no",
            F.col(DT).alias("dt"),
            F.col(MEDIA).alias("media_id"),
        )
        .repartition(1)
        .sortWithinPartitions(*PARTITION_COLUMNS, "part_key", "line_no")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*PARTITION_COLUMNS)
        .json(spark_path(store, root))
    )


def data_files(store: ObjectStore, prefix: str) -> list[str]:
    """Parquet files under `prefix`, bookkeeping (`_`, `.`) and staging files excluded."""
    keys = store.list_keys(prefix)
    return [
        key
        for key in keys
        if key.endswith(".parquet")
        and not any(part.startswith(("_", ".")) for part in key[len(prefix) :].split("/"))
    ]


def remove_stale_staging(
    store: ObjectStore,
    table_prefix: str,
    *,
    older_than: timedelta = STALE_STAGING_AGE,
    now: float | None = None,
) -> list[str]:
    """Delete staging folders of killed writes (every file in them older than `older_than`);
    returns the folders removed (keys)."""
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    newest: dict[str, float] = {}
    keys: dict[str, list[str]] = {}
    for key, modified in store.last_modified(f"{table_prefix}/{STAGING_PREFIX}").items():
        folder = key[len(table_prefix) + 1 :].split("/", 1)[0]
        newest[folder] = max(newest.get(folder, 0.0), modified)
        keys.setdefault(folder, []).append(key)
    removed = []
    for folder in sorted(newest):
        if newest[folder] < cutoff:
            store.delete_keys(keys[folder])
            removed.append(f"{table_prefix}/{folder}")
    return removed
