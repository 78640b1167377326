"""The steps every Silver partition build shares, written once.

A fact table's build (`fact_events.build`, `fact_media_by_date.build`) opens a `PartitionBuild`:
it reads Bronze through the partition's manifest, and after the table has parsed, marked and
counted the lines its own way, `write` puts the rows in place (or drops the partition when there
are none), rewrites the quarantine, reads the written file back to scan it for personal data and
to preview it, and returns the fields every fact result has. Frames the table `cache`s are
released when the build ends. `dim_media` (unpartitioned) uses the read-back helpers only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import quarantine_partition, window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import load_partition, read_lines
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.pii import assert_no_personal_columns, personal_value_checks
from wistia_assets.transforms.schema import CORRUPT_RECORD, PARTITION_COLUMNS
from wistia_assets.transforms.silver_writes import (
    data_files,
    drop_partition,
    remove_stale_staging,
    replace_partition,
    replace_quarantine,
)
from wistia_assets.transforms.summary import Summary

log = logging.getLogger(__name__)

PREVIEW_ROWS = 5
TIMESTAMP_TEXT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"


UNPARSABLE = "unparsable JSON"


def unparsable_line() -> Column:
    """True for a Bronze line that is no JSON object (garbage, arrays, scalars, blank lines) or
    that breaks the record's schema, over a frame with the parsed `rec` and its `top_keys`: the
    first quarantine reason of every fact table (`UNPARSABLE`)."""
    return (
        F.col("top_keys").isNull()
        | F.col("rec").isNull()
        | F.col(f"rec.{CORRUPT_RECORD}").isNotNull()
    )


def unknown_fields(parsed: DataFrame, known: tuple[str, ...]) -> DataFrame:
    """`field`: one row per top-level field outside the documented record (`known`), per
    record."""
    return parsed.select(F.explode("top_keys").alias("field")).where(~F.col("field").isin(*known))


def schema_of(frame: DataFrame) -> list[list[str]]:
    return [[f.name, f.dataType.simpleString()] for f in frame.schema.fields]


def as_text(frame: DataFrame) -> DataFrame:
    """Every column as a string, timestamps in UTC ISO form (formatted by Spark, not Python)."""
    columns = []
    for f in frame.schema.fields:
        col = F.col(f.name)
        if f.dataType.simpleString() == "timestamp":
            col = F.date_format(col, TIMESTAMP_TEXT)
        columns.append(col.cast("string").alias(f.name))
    return frame.select(*columns)


def read_written(
    spark: SparkSession, silver: ObjectStore, prefix: str, schema: T.StructType | None
) -> DataFrame | None:
    """The Parquet just written under `prefix` (None when there is none). `schema` is the data
    schema it was written with: given, Spark skips the job that reads a footer to infer it."""
    files = data_files(silver, prefix)
    if not files:
        return None
    reader = spark.read if schema is None else spark.read.schema(schema)
    return reader.parquet(*[spark_path(silver, key) for key in files])


def scan_written(
    written: DataFrame | None, extra: dict[str, Column] | None = None
) -> tuple[dict[str, int], dict[str, Any]]:
    """IP/e-mail-looking values per column of what was just written (read back: small, already
    typed), and `extra` aggregates over it, in one Spark action."""
    extra = extra or {}
    if written is None:
        return {}, dict.fromkeys(extra)
    checks = personal_value_checks(written)
    if not checks and not extra:
        return {}, {}
    # Prefixed so an extra's name cannot collide with a column's (a check is named after one).
    # One aggregate row (an aggregate without grouping has exactly one).
    (aggregates,) = written.agg(*checks, *[c.alias(f"__{n}") for n, c in extra.items()]).collect()
    row = aggregates.asDict()
    found = {name: row.pop(f"__{name}") for name in extra}
    return {name: int(n) for name, n in row.items() if n}, found


def preview_rows(frame: DataFrame, columns: tuple[str, ...]) -> list[dict[str, str | None]]:
    return [row.asDict() for row in as_text(frame.select(*columns)).take(PREVIEW_ROWS)]


@dataclass(frozen=True)
class Written:
    """What `PartitionBuild.write` did: the fields every fact result has, and the caller's
    aggregates over the written file."""

    fields: dict[str, Any]
    measured: dict[str, Any]


class PartitionBuild:
    """One Silver partition (day, media_id) of a fact table being rebuilt from its Bronze
    partition. Raises `BronzeNotIngested` when the Bronze partition was never pulled."""

    def __init__(
        self,
        spark: SparkSession,
        bronze: ObjectStore,
        silver: ObjectStore,
        *,
        dataset: str,
        table_prefix: str,
        day: str,
        media_id: str,
    ):
        self.spark, self.bronze, self.silver = spark, bronze, silver
        self.day, self.media_id, self.table_prefix = day, media_id, table_prefix
        self.partition = load_partition(bronze, dataset, day, media_id)
        self.target = window_partition(table_prefix, day, media_id)
        self.quarantine_prefix = quarantine_partition(dataset, day, media_id)
        stale = remove_stale_staging(silver, table_prefix)
        if stale:
            log.warning("removed staging folders of killed writes: %s", ", ".join(stale))
        self._cached: list[DataFrame] = []

    def __enter__(self) -> PartitionBuild:
        return self

    def __exit__(self, *exc) -> None:
        for frame in self._cached:
            frame.unpersist()

    def lines(self) -> DataFrame:
        """Every line of the parts the manifest lists (`bronze_reader.read_lines`)."""
        return read_lines(self.spark, self.bronze, self.partition)

    def cache(self, frame: DataFrame) -> DataFrame:
        """`frame` persisted until the build ends: the counts, the rows and the quarantine all
        read it, so Bronze is parsed and marked once."""
        self._cached.append(frame.persist())
        return frame

    def write(
        self,
        data: DataFrame,
        *,
        rows: int,
        order_by: list[str],
        quarantine: DataFrame,
        reasons: dict[str, int],
        summary: Summary,
        preview_columns: tuple[str, ...],
        measure: dict[str, Column] | None = None,
    ) -> Written:
        """Replace the partition with `data` (its `rows` rows, sorted by `order_by` in one
        file) or drop it when `rows` is 0; rewrite the quarantine (`quarantine` holds the lines
        counted in `reasons`); scan the written file for personal data and `measure` it."""
        final = data.withColumn("dt", F.lit(self.day)).withColumn("media_id", F.lit(self.media_id))
        assert_no_personal_columns(final)
        written = None
        if rows:
            replace_partition(
                final, store=self.silver, table_prefix=self.table_prefix, order_by=order_by
            )
            data_schema = T.StructType(
                [f for f in final.schema.fields if f.name not in PARTITION_COLUMNS]
            )
            written = read_written(self.spark, self.silver, self.target, data_schema)
        else:
            drop_partition(self.silver, self.target)
        # The first rows of the partition as written: its single file is already sorted, so a
        # limit over the file reads a few rows instead of sorting the day again.
        preview = []
        if written is not None:
            with_partition = written.withColumn("dt", F.lit(self.day)).withColumn(
                "media_id", F.lit(self.media_id)
            )
            preview = preview_rows(with_partition, preview_columns)
        quarantined = sum(reasons.values())
        replace_quarantine(
            quarantine, store=self.bronze, prefix=self.quarantine_prefix, rows=quarantined
        )
        personal, measured = scan_written(written, measure)
        fields = {
            "dt": self.day,
            "media_id": self.media_id,
            "rows": rows,
            "schema": schema_of(final),
            "location": spark_path(self.silver, self.target),
            "preview": preview,
            "personal_values": personal,
            "quarantined": quarantined,
            "quarantine_reasons": dict(sorted(reasons.items())),
            "quarantine_location": (
                spark_path(self.bronze, self.quarantine_prefix) if quarantined else None
            ),
            "unknown_fields": dict(sorted(summary.unknown.items())),
            "partition_deleted": not rows,
            "bronze_rows": summary.lines,
            "bronze_manifest_rows": self.partition.rows,
            "bronze_parts": len(self.partition.part_keys),
            "bronze_run_token": self.partition.run_token,
        }
        return Written(fields, measured)
