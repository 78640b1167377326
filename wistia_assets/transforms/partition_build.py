"""The steps every Silver partition build shares, written once.

A fact table's build (`fact_events.build`, `fact_media_by_date.build`) opens a `PartitionBuild`
of one window or of several, which share every Spark job: it reads Bronze through the
partitions' manifests in one scan (each line carries its window, `_dt` and `_media`), and after
the table has parsed, marked and counted the lines its own way (grouped by window), `write`
rewrites the quarantines, puts each window's rows in place in one dynamic overwrite (or drops a
partition that has none), reads the written files back to scan each for personal data and to
preview it, and returns the fields every fact result has, by window. Frames the table `cache`s
are released when the build ends. `dim_media` (unpartitioned) uses the read-back helpers only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import quarantine_partition, quarantine_root, window_partition
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import (
    DT,
    MEDIA,
    WINDOW_COLUMNS,
    load_partition,
    read_lines,
)
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.pii import assert_no_personal_columns, personal_value_checks
from wistia_assets.transforms.schema import CORRUPT_RECORD, PARTITION_COLUMNS
from wistia_assets.transforms.silver_writes import (
    data_files,
    drop_partition,
    remove_stale_staging,
    replace_partition,
    replace_quarantines,
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
    """`_dt, _media, field`: one row per top-level field outside the documented record
    (`known`), per record."""
    return parsed.select(*WINDOW_COLUMNS, F.explode("top_keys").alias("field")).where(
        ~F.col("field").isin(*known)
    )


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


def read_partitions(
    spark: SparkSession,
    silver: ObjectStore,
    table_prefix: str,
    windows: Sequence[tuple[str, str]],
    schema: T.StructType,
) -> DataFrame | None:
    """The data files of the `windows` (day, media) partitions of the table, as written, in one
    scan: the data columns (`schema`, so no footer is read to infer it), then `dt` and
    `media_id` (text) from their folders. None when none of them holds a file."""
    files = [
        key
        for day, media_id in windows
        for key in data_files(silver, window_partition(table_prefix, day, media_id))
    ]
    if not files:
        return None
    partition_columns = [T.StructField(c, T.StringType()) for c in PARTITION_COLUMNS]
    return (
        spark.read.schema(T.StructType([*schema.fields, *partition_columns]))
        .option("basePath", spark_path(silver, table_prefix))
        .parquet(*[spark_path(silver, key) for key in files])
    )


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


def scan_partitions(
    written: DataFrame, extra: dict[str, Column]
) -> dict[tuple[str, str], tuple[dict[str, int], dict[str, Any]]]:
    """`scan_written` of each (dt, media_id) partition of `written` (`read_partitions`), in one
    Spark action: (personal-looking values per column, `extra` aggregates) by window."""
    checks = personal_value_checks(written.drop(*PARTITION_COLUMNS))
    if not checks and not extra:
        return {}  # nothing to ask: no job
    rows = (
        written.groupBy(*PARTITION_COLUMNS)
        .agg(*checks, *[c.alias(f"__{n}") for n, c in extra.items()])
        .collect()
    )
    found = {}
    for row in rows:
        values = row.asDict()
        window = (values.pop("dt"), values.pop("media_id"))
        measured = {name: values.pop(f"__{name}") for name in extra}
        found[window] = ({name: int(n) for name, n in values.items() if n}, measured)
    return found


def preview_partitions(
    written: DataFrame, columns: tuple[str, ...], order_by: list[str]
) -> dict[tuple[str, str], list[dict[str, str | None]]]:
    """The first `PREVIEW_ROWS` rows of each partition of `written` in the order its file was
    written (`order_by`, a total order), as text, in one Spark action."""
    first = Window.partitionBy(*PARTITION_COLUMNS).orderBy(*order_by)
    rows = (
        written.withColumn("__n", F.row_number().over(first))
        .where(F.col("__n") <= PREVIEW_ROWS)
        .select(F.col("dt").alias("__dt"), F.col("media_id").alias("__media"), "__n", *columns)
    )
    previews: dict[tuple[str, str], list] = {}
    for row in sorted(as_text(rows).collect(), key=lambda r: int(r["__n"])):
        values = row.asDict()
        previews.setdefault((values["__dt"], values["__media"]), []).append(
            {name: values[name] for name in columns}
        )
    return previews


@dataclass(frozen=True)
class Written:
    """What `PartitionBuild.write` did for one window: the fields every fact result has, and
    the caller's aggregates over the written file."""

    fields: dict[str, Any]
    measured: dict[str, Any]


Windows = Sequence[tuple[str, str]]  # (day, media_id) pairs, as text


class PartitionBuild:
    """The Silver partitions (day, media_id) of a fact table for `windows`, rebuilt from their
    Bronze partitions together: one read, one marking, one write, one read-back for them all,
    however many (each Spark job costs ~0.1 s of scheduling however small the day). Every frame
    carries the window of its rows in `_dt, _media`. Raises `BronzeNotIngested` when a Bronze
    partition was never pulled."""

    def __init__(
        self,
        spark: SparkSession,
        bronze: ObjectStore,
        silver: ObjectStore,
        *,
        dataset: str,
        table_prefix: str,
        windows: Windows,
    ):
        if len(set(windows)) != len(windows) or not windows:
            raise ValueError(f"a build needs distinct windows, got {list(windows)}")
        self.spark, self.bronze, self.silver = spark, bronze, silver
        self.windows = [(day, media_id) for day, media_id in windows]
        self.table_prefix, self.dataset = table_prefix, dataset
        self.partitions = {w: load_partition(bronze, dataset, *w) for w in self.windows}
        stale = remove_stale_staging(silver, table_prefix)
        stale += remove_stale_staging(bronze, quarantine_root(self.dataset))
        if stale:
            log.warning("removed staging folders of killed writes: %s", ", ".join(stale))
        self._cached: list[DataFrame] = []

    def __enter__(self) -> PartitionBuild:
        return self

    def __exit__(self, *exc) -> None:
        for frame in self._cached:
            frame.unpersist()

    def lines(self) -> DataFrame:
        """Every line of the parts the manifests list (`bronze_reader.read_lines`)."""
        return read_lines(self.spark, self.bronze, list(self.partitions.values()))

    def cache(self, frame: DataFrame) -> DataFrame:
        """`frame` persisted until the build ends: the counts, the rows and the quarantine all
        read it, so Bronze is parsed and marked once."""
        self._cached.append(frame.persist())
        return frame

    def release(self, frame: DataFrame) -> None:
        """A cached frame the build no longer reads (it was marked again)."""
        frame.unpersist()
        self._cached.remove(frame)

    def write(
        self,
        data: DataFrame,
        *,
        rows: dict[tuple[str, str], int],
        order_by: list[str],
        quarantine: DataFrame,
        reasons: dict[tuple[str, str], dict[str, int]],
        summaries: dict[tuple[str, str], Summary],
        preview_columns: tuple[str, ...],
        measure: dict[str, Column] | None = None,
    ) -> dict[tuple[str, str], Written]:
        """Replace each window's partition with its rows of `data` (`rows` of them, sorted by
        `order_by` in one file) or drop it when it has none; rewrite each window's quarantine
        (`quarantine` holds the lines counted in `reasons`); scan the written files for personal
        data and `measure` each."""
        final = data.select(
            *[c for c in data.columns if c not in WINDOW_COLUMNS],
            F.col(DT).alias("dt"),
            F.col(MEDIA).alias("media_id"),
        )
        assert_no_personal_columns(final)
        # The quarantine first: writing the table invalidates every cached frame that read any
        # of its files (Spark recaches by path), and the marked lines read the neighbours' keys
        # from it, which a batch may just have rewritten.
        quarantined = {w: sum(reasons[w].values()) for w in self.windows}
        replace_quarantines(
            quarantine, store=self.bronze, root=quarantine_root(self.dataset), rows=quarantined
        )
        with_rows = [w for w in self.windows if rows[w]]
        for window in self.windows:
            if not rows[window]:
                drop_partition(self.silver, window_partition(self.table_prefix, *window))
        written = None
        if with_rows:
            # One dynamic overwrite: exactly the partitions in the frame are replaced.
            replace_partition(
                final, store=self.silver, table_prefix=self.table_prefix, order_by=order_by
            )
            data_schema = T.StructType(
                [f for f in final.schema.fields if f.name not in PARTITION_COLUMNS]
            )
            written = read_partitions(
                self.spark, self.silver, self.table_prefix, with_rows, data_schema
            )
        previews, scans = {}, {}
        if written is not None:
            # The first rows of each partition as written, in its file's (total) order.
            previews = preview_partitions(written, preview_columns, ["dt", "media_id", *order_by])
            scans = scan_partitions(written, measure or {})
        schema = schema_of(final)
        result = {}
        for window in self.windows:
            day, media_id = window
            summary, partition = summaries[window], self.partitions[window]
            quarantine_prefix = quarantine_partition(self.dataset, day, media_id)
            personal, measured = scans.get(window, ({}, dict.fromkeys(measure or {})))
            fields = {
                "dt": day,
                "media_id": media_id,
                "rows": rows[window],
                "schema": schema,
                "location": spark_path(
                    self.silver, window_partition(self.table_prefix, day, media_id)
                ),
                "preview": previews.get(window, []),
                "personal_values": personal,
                "quarantined": quarantined[window],
                "quarantine_reasons": dict(sorted(reasons[window].items())),
                "quarantine_location": (
                    spark_path(self.bronze, quarantine_prefix) if quarantined[window] else None
                ),
                "unknown_fields": dict(sorted(summary.unknown.items())),
                "partition_deleted": not rows[window],
                "bronze_rows": summary.lines,
                "bronze_manifest_rows": partition.rows,
                "bronze_parts": len(partition.part_keys),
                "bronze_run_token": partition.run_token,
            }
            result[window] = Written(fields, measured)
        return result
