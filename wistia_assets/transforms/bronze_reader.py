"""Read Bronze exactly as the manifest describes it: listed parts only, lines as text.

A partition folder may hold parts no manifest names (a pull killed midway); globbing the folder
would read them, so only the manifest's parts are read, and a partition without a manifest was
never pulled (`BronzeNotIngested`), which is not the same as a pulled day with zero records.

Lines are read with `spark.read.text` and parsed later with an explicit schema: no schema
inference, and no partition column discovered from the path (`media_id=` in the folder name)
can shadow the record's own `media_id` field. Every line keeps where it came from
(`part_index`, `part_key`, 1-based `line_no`) so quarantine rows point at their source and
deduplication can prefer the first occurrence in Bronze order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import (
    BRONZE_MEDIA_METADATA,
    BRONZE_WINDOW_PREFIXES,
    window_partition,
)
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.storage.partition import BronzeNotIngested, read_manifest
from wistia_assets.transforms.paths import spark_path

# The window of a line in every frame of a (batch) partition build: `dt` and `media_id` as text.
DT, MEDIA = "_dt", "_media"
WINDOW_COLUMNS = (DT, MEDIA)

WINDOW_LINES = T.StructType(
    [
        T.StructField(DT, T.StringType()),
        T.StructField(MEDIA, T.StringType()),
        T.StructField("part_index", T.IntegerType()),
        T.StructField("part_key", T.StringType()),
        T.StructField("line_no", T.LongType()),
        T.StructField("line", T.StringType()),
    ]
)

_SNAPSHOT_KEY = re.compile(
    rf"^{re.escape(BRONZE_MEDIA_METADATA)}/media_id=([a-z0-9]+)/load_ts=(\d{{8}}T\d{{12}}Z)/doc\.json$"
)


@dataclass(frozen=True)
class BronzePartition:
    dataset: str  # "events" | "media_by_date"
    dt: str
    media_id: str
    prefix: str
    manifest: dict[str, Any]

    @property
    def part_keys(self) -> list[str]:
        return [part["key"] for part in self.manifest.get("parts", [])]

    @property
    def rows(self) -> int:
        return int(self.manifest.get("rows", 0))

    @property
    def run_token(self) -> str | None:
        return self.manifest.get("run_token")


def load_partition(store: ObjectStore, dataset: str, dt: str, media_id: str) -> BronzePartition:
    """The committed manifest of one (dataset, dt, media) partition, checked against the store."""
    prefix = window_partition(BRONZE_WINDOW_PREFIXES[dataset], dt, media_id)
    manifest = read_manifest(store, prefix)
    if manifest is None:
        raise BronzeNotIngested(
            f"bronze_{dataset} for {dt}|{media_id} has not been ingested; materialize bronze first"
            f" (no manifest at {spark_path(store, prefix)}/_manifest.json)"
        )
    partition = BronzePartition(dataset, dt, media_id, prefix, manifest)
    for key in partition.part_keys:
        # A manifest only ever names parts of its own partition; anything else is corruption.
        if not key.startswith(prefix + "/"):
            raise ValueError(f"manifest of {prefix} lists a part outside the partition: {key}")
        if not store.exists(key):
            raise FileNotFoundError(
                f"manifest of {prefix} (run {partition.run_token}) lists {key}, which is missing"
            )
    return partition


def read_lines(
    spark: SparkSession, store: ObjectStore, partitions: Sequence[BronzePartition]
) -> DataFrame:
    """Every line of the listed parts of `partitions` (one dataset), in one scan: `_dt, _media`
    (the partition's window), `part_index, part_key, line_no, line`."""
    parts = [(p, i, key) for p in partitions for i, key in enumerate(p.part_keys)]
    if not parts:
        return spark.createDataFrame([], WINDOW_LINES)
    # A part is known by the end of its key, `dt=<day>/media_id=<media>/<file>`, which is how
    # Spark's path of it ends too (`file:/...` or `s3://...`, whatever the root).
    by_tail = {_tail(key): (p, i, key) for p, i, key in parts}

    def lookup(value) -> Column:
        return F.create_map(
            *[F.lit(x) for tail, part in by_tail.items() for x in (tail, value(*part))]
        )

    raw = spark.read.text([spark_path(store, key) for _, _, key in parts]).select(
        F.col("value").alias("line"),
        F.col("_metadata.file_path").alias("_path"),
        F.col("_metadata.file_block_start").alias("_block"),
        # Increases within each scan task; with the split's start offset it orders a file's lines.
        F.monotonically_increasing_id().alias("_row"),
    )
    tail = F.regexp_extract("_path", r"([^/]+/[^/]+/[^/]+)$", 1)
    in_file_order = Window.partitionBy("_path").orderBy("_block", "_row")
    return raw.select(
        lookup(lambda p, i, key: p.dt)[tail].alias(DT),
        lookup(lambda p, i, key: p.media_id)[tail].alias(MEDIA),
        lookup(lambda p, i, key: i)[tail].cast("int").alias("part_index"),
        lookup(lambda p, i, key: key)[tail].alias("part_key"),
        F.row_number().over(in_file_order).cast("long").alias("line_no"),
        "line",
    )


def _tail(key: str) -> str:
    return "/".join(key.rsplit("/", 3)[-3:])


@dataclass(frozen=True)
class MetadataSnapshot:
    media_id: str
    load_ts: str  # `YYYYmmddTHHMMSSffffffZ`: fixed width, so string order is time order
    key: str


def latest_metadata_snapshots(store: ObjectStore) -> list[MetadataSnapshot]:
    """The newest `doc.json` per media under `bronze/wistia/media_metadata/`, by media id."""
    latest: dict[str, MetadataSnapshot] = {}
    for key in store.list_keys(BRONZE_MEDIA_METADATA):
        match = _SNAPSHOT_KEY.match(key)
        if not match:
            continue
        snapshot = MetadataSnapshot(match.group(1), match.group(2), key)
        current = latest.get(snapshot.media_id)
        if current is None or snapshot.load_ts > current.load_ts:
            latest[snapshot.media_id] = snapshot
    return [latest[media_id] for media_id in sorted(latest)]


def read_snapshots(
    spark: SparkSession, store: ObjectStore, snapshots: list[MetadataSnapshot]
) -> DataFrame:
    """One row per snapshot document: `media_id, load_ts, doc` (the whole file as text)."""
    schema = "media_id string, load_ts string, doc string"
    if not snapshots:
        return spark.createDataFrame([], schema)
    path = F.col("_metadata.file_path")
    return spark.read.text([spark_path(store, s.key) for s in snapshots], wholetext=True).select(
        F.regexp_extract(path, r"media_id=([a-z0-9]+)/load_ts=", 1).alias("media_id"),
        F.regexp_extract(path, r"load_ts=([0-9TZ]+)/doc\.json$", 1).alias("load_ts"),
        F.col("value").alias("doc"),
    )
