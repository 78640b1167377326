"""The one entry point both deployments call: build one Silver partition (or dim_media).

The local Dagster asset calls `run_partition` / `run_dim_media` with the shared local session and
`file://` roots; the Glue job (`wistia_assets.glue.silver_job`) calls the same functions with
`s3://` roots. Each run reads Bronze through its manifest, writes Silver (replacing exactly its
partition), rewrites the partition's quarantine, and returns JSON-serialisable metrics for the
asset's metadata and checks (`report`). The hash key is only ever handed to the transform.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.settings import parse_date, parse_media_id
from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    BRONZE_MEDIA_BY_DATE,
    SILVER_DIM_MEDIA,
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
    quarantine_partition,
    window_partition,
)
from wistia_assets.storage.objects import ObjectStore, store_for_uri
from wistia_assets.transforms import dim_media, fact_events, fact_media_by_date
from wistia_assets.transforms.bronze_reader import (
    BronzeNotIngested,
    BronzePartition,
    latest_metadata_snapshots,
    load_partition,
    read_lines,
    read_snapshots,
)
from wistia_assets.transforms.channels import UNKNOWN as UNKNOWN_CHANNEL
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.pii import assert_no_personal_columns, personal_value_checks
from wistia_assets.transforms.schema import PARTITION_COLUMNS
from wistia_assets.transforms.session import configure_silver_session
from wistia_assets.transforms.silver_writes import (
    data_files,
    drop_partition,
    remove_stale_staging,
    replace_partition,
    replace_quarantine,
)

log = logging.getLogger(__name__)

TABLES = ("fact_events", "fact_media_by_date")
PREVIEW_ROWS = 5
# Preview columns carry no identifier of a person (no hashes, no city, no URL path).
EVENT_PREVIEW = (
    "event_key",
    "received_at",
    "percent_viewed",
    "embed_host",
    "country",
    "browser",
    "platform",
    "is_mobile",
    "has_conversion",
    "payload_era",
)
TIMESTAMP_TEXT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
# The `received_histogram` metric: distinct events of a pull by quarter hour of received_at.
BUCKET_MINUTES = 15
BUCKET_TEXT = "yyyy-MM-dd'T'HH:mm'Z'"
NEIGHBOUR_KEY = T.StructType([T.StructField("event_key", T.StringType())])

__all__ = ["TABLES", "BronzeNotIngested", "run_dim_media", "run_partition"]


def run_partition(
    spark: SparkSession,
    *,
    table: str,
    dt: str,
    media_id: str,
    bronze_root: str,
    silver_root: str,
    hash_key: bytes | None = None,
) -> dict[str, Any]:
    """Build the Silver partition (dt, media_id) of `table` from its Bronze partition.

    Roots are `file:///abs/lake` or `s3://bucket` URIs. Raises `BronzeNotIngested` when the
    Bronze partition was never pulled. `hash_key` (bytes) is required for `fact_events`.
    """
    if table not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}, not {table!r}")
    day = parse_date(dt, source="dt").isoformat()
    media = parse_media_id(media_id, source="media_id")
    if table == "fact_events" and not hash_key:
        raise ValueError("fact_events needs hash_key (bytes): visitor_key and ip are HMAC-hashed")
    configure_silver_session(spark)
    bronze, silver = store_for_uri(bronze_root), store_for_uri(silver_root)
    started = time.monotonic()
    source = window_partition(
        BRONZE_EVENTS if table == "fact_events" else BRONZE_MEDIA_BY_DATE, day, media
    )
    # One Silver build per media at a time (the neighbour guard reads dt-1 and dt+1 of the same
    # media), and no Bronze re-pull of the partition while it is read: a pull's commit deletes
    # the parts this build reads. Local locks only (flock); on S3 the run queue does it.
    with silver.lock(f"silver/wistia/media_id={media}"), bronze.lock(source):
        if table == "fact_events":
            metrics = _fact_events(spark, bronze, silver, day, media, hash_key or b"")
        else:
            metrics = _fact_media_by_date(spark, bronze, silver, day, media)
    metrics["elapsed_seconds"] = round(time.monotonic() - started, 3)
    log.info(
        "silver %s %s|%s: %d rows, %d duplicates removed, %d quarantined",
        table,
        day,
        media,
        metrics["rows"],
        metrics["duplicates_removed"],
        metrics["quarantined"],
    )
    return metrics


def _schema(frame: DataFrame) -> list[list[str]]:
    return [[f.name, f.dataType.simpleString()] for f in frame.schema.fields]


def _as_text(frame: DataFrame) -> DataFrame:
    """Every column as a string, timestamps in UTC ISO form (formatted by Spark, not Python)."""
    columns = []
    for f in frame.schema.fields:
        col = F.col(f.name)
        if f.dataType.simpleString() == "timestamp":
            col = F.date_format(col, TIMESTAMP_TEXT)
        columns.append(col.cast("string").alias(f.name))
    return frame.select(*columns)


def _read_written(
    spark: SparkSession, silver: ObjectStore, prefix: str, schema: T.StructType | None
) -> DataFrame | None:
    """The Parquet just written under `prefix` (None when there is none). `schema` is the data
    schema it was written with: given, Spark skips the job that reads a footer to infer it."""
    files = data_files(silver, prefix)
    if not files:
        return None
    reader = spark.read if schema is None else spark.read.schema(schema)
    return reader.parquet(*[spark_path(silver, key) for key in files])


def _data_schema(final: DataFrame) -> T.StructType:
    """What `replace_partition` writes into the files: the frame without its partition columns."""
    return T.StructType([f for f in final.schema.fields if f.name not in PARTITION_COLUMNS])


def _preview(written: DataFrame | None, columns: tuple[str, ...]) -> list[dict[str, str | None]]:
    """The first rows of the partition as written: its single file is already sorted, so a
    limit over the file reads a few rows instead of sorting the day again."""
    if written is None:
        return []
    return [row.asDict() for row in _as_text(written.select(*columns)).take(PREVIEW_ROWS)]


def _bronze_facts(partition: BronzePartition, bronze_rows: int) -> dict[str, Any]:
    return {
        "bronze_rows": bronze_rows,
        "bronze_manifest_rows": partition.rows,
        "bronze_parts": len(partition.part_keys),
        "bronze_run_token": partition.run_token,
        "bronze_pulled_at": partition.manifest.get("pulled_at"),
    }


@dataclass
class _Summary:
    lines: int  # every Bronze line read
    valid: int  # lines without a quarantine reason
    reasons: dict[str, int]  # reason -> lines
    unknown: dict[str, int]  # unknown top-level field -> records
    stats: dict[str, Any]  # the caller's aggregates over the valid lines (None: no valid line)
    buckets: dict[str, int]  # bucket -> valid lines (see `_summarise`'s `bucket`)


def _combine(name: str, values: list[Any]) -> Any:
    """One stat from its values over several groups: `min_*`/`max_*` by min/max, else a sum."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if name.startswith("min_"):
        return min(present)
    if name.startswith("max_"):
        return max(present)
    return sum(present)


def _summarise(
    marked: DataFrame,
    unknown: DataFrame,
    columns: list[str],
    stats: dict[str, Column],
    *,
    reason: str = "reason",
    bucket: Column | None = None,
) -> _Summary:
    """Count lines by quarantine reason (the `reason` column), records by unknown field, and the
    caller's `stats` (aggregates over `columns` of `marked`) of the lines without a reason, all
    in one Spark action. `bucket` (a string, null for most lines) splits the valid lines' group
    further and counts each value: a histogram without another job. The stats of the pieces
    are then combined by `_combine` (so a stat is a count or sum, or named `min_*`/`max_*`)."""
    types = dict(marked.select(*columns).dtypes)
    key = (bucket if bucket is not None else F.lit(None)).cast("string").alias("bucket")
    lines = marked.select(F.lit("reason").alias("kind"), F.col(reason).alias("name"), key, *columns)
    fields = unknown.select(
        F.lit("field").alias("kind"),
        F.col("field").alias("name"),
        F.lit(None).cast("string").alias("bucket"),
        *[F.lit(None).cast(types[c]).alias(c) for c in columns],
    )
    counted = (
        lines.unionByName(fields)
        .groupBy("kind", "name", "bucket")
        .agg(F.count("*").alias("n"), *[column.alias(name) for name, column in stats.items()])
        .collect()
    )
    summary = _Summary(0, 0, {}, {}, dict.fromkeys(stats), {})
    pieces: dict[str, list[Any]] = {name: [] for name in stats}
    for row in counted:
        if row["kind"] == "field":
            summary.unknown[row["name"]] = row["n"]
        elif row["name"] is None:
            summary.valid += row["n"]
            for name in stats:
                pieces[name].append(row[name])
            if row["bucket"] is not None:
                summary.buckets[row["bucket"]] = row["n"]
        else:
            summary.reasons[row["name"]] = summary.reasons.get(row["name"], 0) + row["n"]
    if summary.valid:
        summary.stats = {name: _combine(name, values) for name, values in pieces.items()}
    summary.lines = summary.valid + sum(summary.reasons.values())
    return summary


def _scan_written(
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
    row = written.agg(*checks, *[c.alias(f"__{n}") for n, c in extra.items()]).first().asDict()
    found = {name: row.pop(f"__{name}") for name in extra}
    return {name: int(n) for name, n in row.items() if n}, found


def _neighbour_days(day: str) -> tuple[str, str]:
    today = date.fromisoformat(day)
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()


def _event_stats(day: str) -> tuple[list[str], dict[str, Column]]:
    """The aggregates `_summarise` computes over the event lines of a `mark_kept` frame that are
    not quarantined here (valid lines of the day, and every routed line)."""
    kept, first, elsewhere = F.col("_kept"), F.col("_first"), F.col("_elsewhere")
    received = F.col("_received_at")
    before, after = _neighbour_days(day)
    return ["_first", "_kept", "_clash_dt", "_received_at", "_elsewhere", "reason"], {
        "valid_here": F.count(F.when(F.col("reason").isNull() & ~elsewhere, 1)),
        "deduped": F.count(F.when(first & ~elsewhere, 1)),
        "rows": F.count(F.when(kept, 1)),
        "routed_away": F.count(F.when(elsewhere, 1)),
        "routed_away_events": F.count(F.when(first & elsewhere, 1)),
        "min_received_at": F.date_format(F.min(F.when(kept, received)), TIMESTAMP_TEXT),
        "max_received_at": F.date_format(F.max(F.when(kept, received)), TIMESTAMP_TEXT),
        before: F.count(F.when(F.col("_clash_dt") == before, 1)),
        after: F.count(F.when(F.col("_clash_dt") == after, 1)),
    }


def _received_bucket(day: str) -> Column:
    """For every distinct valid event of the pull (`_first`), its `received_at` rounded down to
    `BUCKET_MINUTES` (`YYYY-MM-DDTHH:MMZ`), or `earlier`/`later` outside the days around `day`;
    null for every other line.

    The Silver checks compare the events of the *account's* day with by_date's plays of that
    day, and find events the request should not have returned; both need the zone, which is
    configuration of the Dagster side. Every IANA offset is a multiple of 15 minutes, so these
    buckets add up to any account day exactly, and the runner (and the Glue job) stay zone-free.
    """
    received = F.col("_received_at")
    first, last = _histogram_days(day)
    seconds = BUCKET_MINUTES * 60
    bucket = F.date_format(
        F.timestamp_seconds(F.floor(received.cast("long") / seconds) * seconds), BUCKET_TEXT
    )
    name = (
        F.when(received < F.to_timestamp(F.lit(first)), F.lit("earlier"))
        .when(received >= F.to_timestamp(F.lit(last)), F.lit("later"))
        .otherwise(bucket)
    )
    return F.when(F.col("_first"), name)


def _histogram_days(day: str) -> tuple[str, str]:
    """The span the histogram resolves: two days either side, wider than any account day that
    a request for `day` can cover (offsets are within -12 h .. +14 h)."""
    today = date.fromisoformat(day)
    return (today - timedelta(days=2)).isoformat(), (today + timedelta(days=3)).isoformat()


def _histogram(counts: dict[str, int], day: str) -> dict[str, Any]:
    first, last = _histogram_days(day)
    earlier, later = counts.pop("earlier", 0), counts.pop("later", 0)
    return {
        "bucket_minutes": BUCKET_MINUTES,
        "from": first,
        "to": last,
        "earlier": earlier,
        "later": later,
        "counts": dict(sorted(counts.items())),
    }


def _neighbour_keys(
    spark: SparkSession, silver: ObjectStore, day: str, media_id: str
) -> DataFrame | None:
    """`event_key, dt` of the same media's Silver partitions dt-1 and dt+1 that exist."""
    frames = []
    for other in _neighbour_days(day):
        files = data_files(silver, window_partition(SILVER_FACT_EVENTS, other, media_id))
        if files:
            # Only the key is read, and its type is known: no footer-reading job to infer it.
            keys = spark.read.schema(NEIGHBOUR_KEY).parquet(*[spark_path(silver, k) for k in files])
            frames.append(keys.select("event_key", F.lit(other).alias("dt")))
    return reduce(DataFrame.unionByName, frames) if frames else None


def _fact_events(
    spark: SparkSession,
    bronze: ObjectStore,
    silver: ObjectStore,
    day: str,
    media_id: str,
    hash_key: bytes,
) -> dict[str, Any]:
    partition = load_partition(bronze, "events", day, media_id)
    target = window_partition(SILVER_FACT_EVENTS, day, media_id)
    quarantine_prefix = quarantine_partition("events", day, media_id)
    stale = remove_stale_staging(silver, SILVER_FACT_EVENTS)

    parsed = fact_events.parse_events(read_lines(spark, bronze, partition), media_id=media_id)
    neighbours = _neighbour_keys(spark, silver, day, media_id)
    # One cached frame of every line, marked kept or not: the counts, the Silver rows and the
    # quarantine all read it, so Bronze is parsed and deduplicated once.
    marked = fact_events.mark_kept(parsed, neighbours, day=day).persist()
    try:
        columns, aggregates = _event_stats(day)
        summary = _summarise(
            marked,
            fact_events.unknown_fields(marked),
            columns,
            aggregates,
            reason="_reason_here",
            bucket=_received_bucket(day),
        )
        stats = {name: value or 0 for name, value in summary.stats.items()}
        reasons = summary.reasons
        for other_dt in _neighbour_days(day):
            if stats[other_dt]:
                reasons[fact_events.neighbour_reason(other_dt)] = stats[other_dt]
        duplicates_removed = stats["valid_here"] - stats["deduped"]

        final = (
            fact_events.to_silver(marked.where(F.col("_kept")), hash_key=hash_key)
            .withColumn("dt", F.lit(day))
            .withColumn("media_id", F.lit(media_id))
        )
        assert_no_personal_columns(final)
        written = None
        if stats["rows"]:
            replace_partition(
                final,
                store=silver,
                table_prefix=SILVER_FACT_EVENTS,
                order_by=["received_at", "event_key"],
            )
            written = _read_written(spark, silver, target, _data_schema(final))
        else:
            drop_partition(silver, target)
        preview = _preview(written, EVENT_PREVIEW)
        quarantined = sum(reasons.values())
        replace_quarantine(
            fact_events.quarantine_lines(marked),
            store=bronze,
            prefix=quarantine_prefix,
            rows=quarantined,
        )
        # Distinct keys of the file as written, not of the frame before the write: the
        # uniqueness check then vouches for what readers get.
        personal, found = _scan_written(
            written,
            {
                "distinct_event_keys": F.countDistinct("event_key"),
                # Measured on the file readers get: routing must leave no other day in it.
                "out_of_day": F.count(F.when(F.to_date("received_at") != F.to_date(F.lit(day)), 1)),
            },
        )
        out_of_day = int(found["out_of_day"] or 0)
        return {
            "table": "fact_events",
            "dt": day,
            "media_id": media_id,
            "rows": int(stats["rows"]),
            "distinct_event_keys": int(found["distinct_event_keys"] or 0),
            "duplicates_removed": int(duplicates_removed),
            "quarantined": int(quarantined),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "quarantine_location": spark_path(bronze, quarantine_prefix) if quarantined else None,
            "unknown_fields": dict(sorted(summary.unknown.items())),
            "out_of_day": out_of_day,
            "out_of_day_share": round(out_of_day / stats["rows"], 6) if stats["rows"] else 0.0,
            # Lines of other UTC days in this pull (the request spans account days): their own
            # day's build keeps them. Not quarantined, not lost.
            "routed_away": int(stats["routed_away"]),
            "routed_away_events": int(stats["routed_away_events"]),
            "bronze_events": int(stats["deduped"] + stats["routed_away_events"]),
            "received_histogram": _histogram(summary.buckets, day),
            "min_received_at": summary.stats["min_received_at"],
            "max_received_at": summary.stats["max_received_at"],
            "schema": _schema(final),
            "location": spark_path(silver, target),
            "partition_deleted": not stats["rows"],
            **_bronze_facts(partition, summary.lines),
            "neighbours_checked": neighbours is not None,
            "stale_staging_removed": stale,
            "preview": preview,
            "personal_values": personal,
        }
    finally:
        marked.unpersist()


def _fact_media_by_date(
    spark: SparkSession, bronze: ObjectStore, silver: ObjectStore, day: str, media_id: str
) -> dict[str, Any]:
    partition = load_partition(bronze, "media_by_date", day, media_id)
    target = window_partition(SILVER_FACT_MEDIA_BY_DATE, day, media_id)
    quarantine_prefix = quarantine_partition("media_by_date", day, media_id)
    stale = remove_stale_staging(silver, SILVER_FACT_MEDIA_BY_DATE)

    parsed = fact_media_by_date.parse_by_date(read_lines(spark, bronze, partition), dt=day)
    # One cached frame of every line, the first of its date marked: counts, totals, the row and
    # the quarantine all read it.
    marked = fact_media_by_date.mark_first(parsed).persist()
    try:
        first = F.col("_first")
        summary = _summarise(
            marked,
            fact_media_by_date.unknown_fields(marked),
            ["_first", "_load", "_play", "_hours"],
            {
                "rows": F.count(F.when(first, 1)),
                "load_count": F.sum(F.when(first, F.col("_load").cast("long"))),
                "play_count": F.sum(F.when(first, F.col("_play").cast("long"))),
                "hours_watched": F.sum(F.when(first, F.col("_hours").cast("double"))),
            },
        )
        bronze_rows, valid_rows, reasons = summary.lines, summary.valid, summary.reasons
        out_of_day = sum(n for reason, n in reasons.items() if " outside dt=" in reason)
        typed_rows = valid_rows + out_of_day
        if bronze_rows == 0:
            # The zero row is known without asking Spark: one row of zeros.
            data = fact_media_by_date.zero_day(spark, day)
            totals = {"rows": 1, "load_count": 0, "play_count": 0, "hours_watched": 0.0}
        else:
            data = fact_media_by_date.to_silver(marked.where(first))
            totals = {name: value or 0 for name, value in summary.stats.items()}
        final = data.withColumn("dt", F.lit(day)).withColumn("media_id", F.lit(media_id))
        assert_no_personal_columns(final)
        rows = int(totals["rows"])
        written = None
        if rows:
            replace_partition(
                final, store=silver, table_prefix=SILVER_FACT_MEDIA_BY_DATE, order_by=["date"]
            )
            preview = [row.asDict() for row in _as_text(final.orderBy("date")).take(PREVIEW_ROWS)]
            written = _read_written(spark, silver, target, _data_schema(final))
        else:
            drop_partition(silver, target)
            preview = []
        quarantined = sum(reasons.values())
        replace_quarantine(
            fact_media_by_date.quarantine_lines(marked),
            store=bronze,
            prefix=quarantine_prefix,
            rows=quarantined,
        )
        personal, _ = _scan_written(written)
        return {
            "table": "fact_media_by_date",
            "dt": day,
            "media_id": media_id,
            "rows": rows,
            "zero_filled": bronze_rows == 0,
            "duplicates_removed": int(valid_rows - (0 if bronze_rows == 0 else rows)),
            "quarantined": int(quarantined),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "quarantine_location": spark_path(bronze, quarantine_prefix) if quarantined else None,
            "unknown_fields": dict(sorted(summary.unknown.items())),
            # Share of readable records that describe another day than the partition's.
            "out_of_day_share": round(out_of_day / typed_rows, 6) if typed_rows else 0.0,
            "load_count": int(totals["load_count"]),
            "play_count": int(totals["play_count"]),
            "hours_watched": float(totals["hours_watched"]),
            "schema": _schema(final),
            "location": spark_path(silver, target),
            "partition_deleted": not rows,
            **_bronze_facts(partition, bronze_rows),
            "stale_staging_removed": stale,
            "preview": preview,
            "personal_values": personal,
        }
    finally:
        marked.unpersist()


def run_dim_media(
    spark: SparkSession, *, bronze_root: str, silver_root: str, channels: dict[str, str]
) -> dict[str, Any]:
    """Upsert the latest metadata snapshot of every media into `dim_media` (unpartitioned).

    New files are appended first and the previous files deleted afterwards, so a reader (or a
    killed run) never sees an empty table.
    """
    configure_silver_session(spark)
    bronze, silver = store_for_uri(bronze_root), store_for_uri(silver_root)
    started = time.monotonic()
    snapshots = latest_metadata_snapshots(bronze)
    previous_keys = silver.list_keys(SILVER_DIM_MEDIA)
    previous_files = data_files(silver, SILVER_DIM_MEDIA)
    if not snapshots and not previous_files:
        raise BronzeNotIngested(
            "bronze_media_metadata has no snapshots under "
            f"{spark_path(bronze, 'bronze/wistia/media_metadata')}; materialize bronze first"
        )
    parsed = dim_media.parse_snapshots(read_snapshots(spark, bronze, snapshots)).persist()
    dim = None
    try:
        unparsable = sorted(
            r["path_media_id"]
            for r in parsed.where(~F.col("doc_ok")).select("path_media_id").collect()
        )
        existing = (
            spark.read.parquet(*[spark_path(silver, key) for key in previous_files])
            if previous_files
            else None
        )
        merged = dim_media.upsert(existing, parsed.where(F.col("doc_ok")))
        dim = dim_media.with_channels(merged, channels).persist()
        assert_no_personal_columns(dim)
        stats = dim.agg(
            F.count("*").alias("rows"), F.countDistinct("media_id").alias("distinct_media_ids")
        ).first()
        listed = dim.select("media_id", "channel").orderBy("media_id").collect()
        preview_columns = (
            "media_id",
            "title",
            "channel",
            "status",
            "duration_seconds",
            "snapshot_loaded_at",
        )
        # Before the write: afterwards the previous files the cache was built from are gone.
        preview = [
            row.asDict()
            for row in _as_text(dim.orderBy("media_id").select(*preview_columns)).take(PREVIEW_ROWS)
        ]
        (
            dim.repartition(1)
            .sortWithinPartitions("media_id")
            .write.mode("append")
            .parquet(spark_path(silver, SILVER_DIM_MEDIA))
        )
        # Only the previous data files (and their local checksums) go; `_SUCCESS` was rewritten.
        silver.delete_keys(
            key for key in previous_keys if key.rsplit("/", 1)[-1].startswith(("part-", ".part-"))
        )
        updated = {s.media_id for s in snapshots} - set(unparsable)
        return {
            "table": "dim_media",
            "rows": int(stats["rows"]),
            "distinct_media_ids": int(stats["distinct_media_ids"]),
            "snapshots_read": len(snapshots),
            "snapshot_media": sorted(updated),
            "unparsable_snapshots": unparsable,
            "quarantined": len(unparsable),
            "duplicates_removed": 0,
            "channels": {row["media_id"]: row["channel"] for row in listed},
            "media_ids": [row["media_id"] for row in listed],
            "unknown_channel_media_ids": [
                row["media_id"] for row in listed if row["channel"] == UNKNOWN_CHANNEL
            ],
            "schema": _schema(dim),
            "location": spark_path(silver, SILVER_DIM_MEDIA),
            "elapsed_seconds": round(time.monotonic() - started, 3),
            "preview": preview,
            "personal_values": _scan_written(
                _read_written(spark, silver, SILVER_DIM_MEDIA, schema=None)
            )[0],
        }
    finally:
        for frame in (dim, parsed):
            if frame is not None:
                frame.unpersist()
