"""Build Gold `media_daily` days and gather the media report's figures: both deployments' entry.

Like `runner` for Silver: the local asset calls these with the shared local session and
`file://` roots, the Glue job (`glue/silver_job.py --table media_daily|media_report`) with
`s3://` roots. Each returns its typed result (`results`); the report's figures are everything the
HTML and the UI need, so the process that renders them (the ECS run task in `aws`) reads no
Parquet and needs no Spark.

Coverage: a (day, media) is *built* when `fact_media_by_date` has its row (a quiet day is a row
of zeros), which is when `media_daily` has a row for it. The report covers the built days of its
range and names the missing ones; its event figures are over exactly the covered (day, media)
pairs, so its totals and its days always describe the same data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.settings import parse_date, parse_media_id
from wistia_assets.storage.layout import (
    GOLD_MEDIA_DAILY,
    SILVER_DIM_MEDIA,
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
    day_partition,
    silver_media_lock,
)
from wistia_assets.storage.objects import ObjectStore, store_for_uri
from wistia_assets.transforms import gold
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.results import MediaDailyResult, ReportFiguresResult
from wistia_assets.transforms.schema import DIM_MEDIA, FACT_EVENTS, FACT_MEDIA_BY_DATE, MEDIA_DAILY
from wistia_assets.transforms.session import configure_silver_session
from wistia_assets.transforms.silver_writes import data_files, drop_partition

log = logging.getLogger(__name__)

# Rows of each breakdown the report shows; the rest is summed into `(other)`.
TOP_LABELS = 10
OTHER = "(other)"
MAX_DAYS = 731


def day_range(first: str, last: str) -> list[str]:
    start, end = parse_date(first, source="from"), parse_date(last, source="to")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"a range of at most {MAX_DAYS} days, not {(end - start).days + 1}")
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _partition_files(
    store: ObjectStore, prefix: str, days: list[str], media_ids: tuple[str, ...] | None
) -> dict[tuple[str, str | None], list[str]]:
    """Data files of `prefix` by (dt, media_id) for the wanted days (media_id None: a table
    partitioned by dt only). One listing of the table, not one per partition (S3 round trips)."""
    wanted_days = set(days)
    found: dict[tuple[str, str | None], list[str]] = {}
    for key in data_files(store, prefix):
        parts = dict(p.split("=", 1) for p in key[len(prefix) + 1 :].split("/")[:-1] if "=" in p)
        day, media = parts.get("dt"), parts.get("media_id")
        if day not in wanted_days or (media_ids is not None and media not in media_ids):
            continue
        found.setdefault((day, media), []).append(key)
    return found


def _with_partitions(schema, names: tuple[str, ...] = ("dt", "media_id")):
    return T.StructType([*schema.fields, *[T.StructField(n, T.StringType()) for n in names]])


# What `_read` reads under each prefix: the data columns and the partition columns.
_READ_SCHEMAS = {
    SILVER_FACT_MEDIA_BY_DATE: _with_partitions(FACT_MEDIA_BY_DATE),
    SILVER_FACT_EVENTS: _with_partitions(FACT_EVENTS),
    GOLD_MEDIA_DAILY: _with_partitions(MEDIA_DAILY, ("dt",)),
}


def _read(
    spark: SparkSession,
    store: ObjectStore,
    prefix: str,
    files: dict[tuple[str, str | None], list[str]],
    pairs: Iterable[tuple[str, str | None]],
) -> DataFrame | None:
    """The files of `pairs` (keys of `files`, in sorted order) with their partition columns
    (discovered from the paths under `prefix`); None when there are none."""
    schema = _READ_SCHEMAS[prefix]
    keys = [k for pair in sorted(pairs) for k in files.get(pair, [])]
    if not keys:
        return None
    return (
        spark.read.schema(schema)
        .option("basePath", spark_path(store, prefix))
        .parquet(*[spark_path(store, k) for k in keys])
    )


def _silver_window(
    spark: SparkSession,
    silver: ObjectStore,
    days: list[str],
    media_ids: tuple[str, ...],
    pairs: set[tuple[str, str]] | None = None,
) -> tuple[DataFrame, DataFrame | None, set[tuple[str, str]]]:
    """fact_events and fact_media_by_date rows of the days (only `pairs` when given), and the
    (dt, media_id) pairs that are built. fact_events is an empty frame when it has no file
    there (a built day may have no event), fact_media_by_date None when no day is built."""
    by_date_files = _partition_files(silver, SILVER_FACT_MEDIA_BY_DATE, days, media_ids)
    built = {(d, m) for d, m in by_date_files if m is not None}
    if pairs is not None:
        built &= pairs
    event_files = _partition_files(silver, SILVER_FACT_EVENTS, days, media_ids)
    by_date = _read(spark, silver, SILVER_FACT_MEDIA_BY_DATE, by_date_files, built)
    events = _read(spark, silver, SILVER_FACT_EVENTS, event_files, built)
    if events is None:
        events = spark.createDataFrame([], _READ_SCHEMAS[SILVER_FACT_EVENTS])
    return events, by_date, built


def _prepare(
    spark: SparkSession, silver_root: str, first: str, last: str, media_ids: tuple[str, ...]
) -> tuple[list[str], tuple[str, ...], ObjectStore]:
    """The session configured, the range's days, the validated media ids, the Silver store."""
    configure_silver_session(spark)
    media = tuple(parse_media_id(m, source="media_ids") for m in media_ids)
    return day_range(first, last), media, store_for_uri(silver_root)


def run_media_daily(
    spark: SparkSession,
    *,
    silver_root: str,
    first: str,
    last: str,
    media_ids: tuple[str, ...],
) -> MediaDailyResult:
    """Rebuild the Gold partitions dt=first..last from Silver; a day with no built media has
    its partition removed (nothing to summarise yet)."""
    days, media_ids, silver = _prepare(spark, silver_root, first, last, media_ids)
    started = time.monotonic()
    # Silver builds hold their media's lock while they replace files: read a settled table.
    with _media_locks(silver, media_ids):
        events, by_date, built = _silver_window(spark, silver, days, media_ids)
        rows = 0
        if by_date is not None:
            daily = gold.media_daily(events, by_date)
            (
                daily.repartition(1)
                .sortWithinPartitions("dt", "media_id")
                .write.mode("overwrite")
                .option("partitionOverwriteMode", "dynamic")
                .partitionBy("dt")
                .parquet(spark_path(silver, GOLD_MEDIA_DAILY))
            )
            rows = len(built)
        empty_days = [d for d in days if not any((d, m) in built for m in media_ids)]
        for day in empty_days:
            drop_partition(silver, day_partition(GOLD_MEDIA_DAILY, day))
    missing = {d: [m for m in media_ids if (d, m) not in built] for d in days}
    log.info("gold media_daily %s..%s: %d rows", days[0], days[-1], rows)
    return MediaDailyResult(
        first=days[0],
        last=days[-1],
        rows=rows,
        missing={d: ms for d, ms in missing.items() if ms},
        schema=[[f.name, f.dataType.simpleString()] for f in MEDIA_DAILY.fields]
        + [["dt", "string"]],
        location=spark_path(silver, GOLD_MEDIA_DAILY),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


class _media_locks:
    """Every media's Silver lock, in a fixed order (Silver takes one at a time: no deadlock)."""

    def __init__(self, store: ObjectStore, media_ids: tuple[str, ...]):
        self.locks = [store.lock(silver_media_lock(m)) for m in sorted(set(media_ids))]

    def __enter__(self):
        for lock in self.locks:
            lock.__enter__()

    def __exit__(self, *exc):
        for lock in reversed(self.locks):
            lock.__exit__(*exc)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 10)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _top(rows: list[tuple[str, int]]) -> list[list[Any]]:
    """The TOP_LABELS largest (ties by label), the rest as one `(other)` row."""
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    head, tail = ordered[:TOP_LABELS], ordered[TOP_LABELS:]
    out = [[label, int(n)] for label, n in head]
    if tail:
        out.append([OTHER, int(sum(n for _, n in tail))])
    return out


def run_report_figures(
    spark: SparkSession,
    *,
    silver_root: str,
    first: str,
    last: str,
    media_ids: tuple[str, ...],
) -> ReportFiguresResult:
    """Every figure of the media report for first..last, from Gold (days) and Silver (totals
    over the covered days, breakdowns, titles and channels)."""
    days, media_ids, silver = _prepare(spark, silver_root, first, last, media_ids)
    started = time.monotonic()
    gold_files = _partition_files(silver, GOLD_MEDIA_DAILY, days, None)
    daily_frame = _read(spark, silver, GOLD_MEDIA_DAILY, gold_files, gold_files)
    daily_rows = []
    if daily_frame is not None:
        # A row per day and media (at most MAX_DAYS x media): sorted here, since a sort in
        # Spark samples the rows in a job of its own first.
        daily_rows = sorted(
            (
                {k: _plain(v) for k, v in row.asDict().items()}
                for row in daily_frame.where(F.col("media_id").isin(*media_ids)).collect()
            ),
            key=lambda row: (row["dt"], row["media_id"]),
        )
    covered = {(r["dt"], r["media_id"]) for r in daily_rows}
    totals: dict[str, dict[str, Any]] = {}
    breakdowns: dict[str, dict[str, list[list[Any]]]] = {}
    # `covered` holds rows of `daily_frame`: never without it.
    if daily_frame is not None and covered:
        with _media_locks(silver, media_ids):
            events, _, _ = _silver_window(spark, silver, days, media_ids, pairs=covered)
            daily = daily_frame.where(F.col("media_id").isin(*media_ids))
            for row in gold.range_totals(events, daily).collect():
                totals[row["media_id"]] = {k: _plain(v) for k, v in row.asDict().items()}
            grouped: dict[str, dict[str, list[tuple[str, int]]]] = {}
            for row in gold.breakdowns(events).collect():
                grouped.setdefault(row["media_id"], {}).setdefault(row["dimension"], []).append(
                    (row["label"], row["sessions"])
                )
        for media, dims in grouped.items():
            breakdowns[media] = {
                name: (
                    sorted([[label, int(n)] for label, n in rows])
                    if name in ("percent_viewed", "device")
                    else _top(rows)
                )
                for name, rows in dims.items()
            }
    media = _media(spark, silver, media_ids)
    log.info("media report %s..%s: %d Gold rows", days[0], days[-1], len(daily_rows))
    return ReportFiguresResult(
        first=days[0],
        last=days[-1],
        media=media,
        daily=daily_rows,
        missing=[[d, m] for d in days for m in media_ids if (d, m) not in covered],
        totals=totals,
        breakdowns=breakdowns,
        rows=len(daily_rows),
        location=spark_path(silver, GOLD_MEDIA_DAILY),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )


def _media(spark: SparkSession, silver: ObjectStore, media_ids: tuple[str, ...]) -> list[dict]:
    """Title and channel of each media from dim_media (the id alone when it has no row yet)."""
    files = data_files(silver, SILVER_DIM_MEDIA)
    known: dict[str, dict] = {}
    if files:
        rows = (
            # The declared schema: inferring it reads a footer in a Spark job of its own.
            spark.read.schema(DIM_MEDIA)
            .parquet(*[spark_path(silver, k) for k in files])
            .select("media_id", "title", "channel")
            .collect()
        )
        known = {r["media_id"]: r.asDict() for r in rows}
    return [
        {
            "media_id": m,
            "title": (known.get(m) or {}).get("title") or m,
            "channel": (known.get(m) or {}).get("channel") or "unknown",
        }
        for m in media_ids
    ]
