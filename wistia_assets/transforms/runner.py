"""The one entry point both deployments call for Silver: build one fact partition or dim_media,
or rewrite a fact_events partition without an erased viewer's rows (Gold: `gold_runner`).

The local Dagster asset calls `run_partition` / `run_dim_media` with the shared local session and
`file://` roots; the Glue job (`wistia_assets.glue.silver_job`) calls the same functions with
`s3://` roots. This module checks the arguments, takes the locks and times the run; each table's
build lives beside its transform (`fact_events.build`, `fact_media_by_date.build`,
`dim_media.build`) and returns the table's typed result (`results`). The hash key is only ever
handed to the transform.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack

from pyspark.sql import SparkSession

from wistia_assets.settings import parse_date, parse_media_id
from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    BRONZE_MEDIA_BY_DATE,
    SILVER_FACT_EVENTS,
    silver_media_lock,
    window_partition,
)
from wistia_assets.storage.objects import store_for_uri
from wistia_assets.transforms import dim_media, fact_events, fact_media_by_date
from wistia_assets.transforms.bronze_reader import BronzeNotIngested
from wistia_assets.transforms.erase_rows import erase_rows
from wistia_assets.transforms.results import (
    DimMediaResult,
    ErasedRowsResult,
    FactEventsResult,
    FactMediaByDateResult,
)
from wistia_assets.transforms.session import configure_silver_session

log = logging.getLogger(__name__)

TABLES = ("fact_events", "fact_media_by_date")

__all__ = [
    "TABLES",
    "BronzeNotIngested",
    "parse_visitor_hashes",
    "run_dim_media",
    "run_erase_rows",
    "run_partition",
    "run_partitions",
]

_HASH = re.compile(r"^[0-9a-f]{64}$")


def run_partition(
    spark: SparkSession,
    *,
    table: str,
    dt: str,
    media_id: str,
    bronze_root: str,
    silver_root: str,
    hash_key: bytes | None = None,
) -> FactEventsResult | FactMediaByDateResult:
    """Build the Silver partition (dt, media_id) of `table` from its Bronze partition.

    Roots are `file:///abs/lake` or `s3://bucket` URIs. Raises `BronzeNotIngested` when the
    Bronze partition was never pulled. `hash_key` (bytes) is required for `fact_events`.
    """
    (result,) = run_partitions(
        spark,
        table=table,
        windows=[(dt, media_id)],
        bronze_root=bronze_root,
        silver_root=silver_root,
        hash_key=hash_key,
    )
    return result


def run_partitions(
    spark: SparkSession,
    *,
    table: str,
    windows: Sequence[tuple[str, str]],
    bronze_root: str,
    silver_root: str,
    hash_key: bytes | None = None,
) -> list[FactEventsResult] | list[FactMediaByDateResult]:
    """Build the Silver partitions (dt, media_id) of `table` for `windows` from their Bronze
    partitions in the same Spark jobs, with the rows that building them one after the other
    (oldest day first) would give; the results in the order of `windows`, each with the batch's
    elapsed time. Raises `BronzeNotIngested` when a Bronze partition was never pulled (then
    nothing is written)."""
    if table not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}, not {table!r}")
    if not windows:
        raise ValueError("no window to build")
    checked = [
        (parse_date(dt, source="dt").isoformat(), parse_media_id(media_id, source="media_id"))
        for dt, media_id in windows
    ]
    if len(set(checked)) != len(checked):
        raise ValueError(f"a window is given twice: {checked}")
    if table == "fact_events" and not hash_key:
        raise ValueError("fact_events needs hash_key (bytes): visitor_key and ip are HMAC-hashed")
    configure_silver_session(spark)
    bronze, silver = store_for_uri(bronze_root), store_for_uri(silver_root)
    started = time.monotonic()
    dataset = BRONZE_EVENTS if table == "fact_events" else BRONZE_MEDIA_BY_DATE
    # One Silver build per media at a time (the neighbour guard reads dt-1 and dt+1 of the same
    # media), and no Bronze re-pull of a partition while it is read: a pull's commit deletes
    # the parts this build reads. Local locks only (flock); on S3 the run queue does it. Taken
    # in one order by every build, so two builds never wait on each other.
    with ExitStack() as locks:
        for media in sorted({media for _, media in checked}):
            locks.enter_context(silver.lock(silver_media_lock(media)))
        for day, media in sorted(checked):
            locks.enter_context(bronze.lock(window_partition(dataset, day, media)))
        if table == "fact_events":
            results: list = fact_events.build(
                spark, bronze, silver, windows=checked, hash_key=hash_key or b""
            )
        else:
            results = fact_media_by_date.build(spark, bronze, silver, windows=checked)
    elapsed = round(time.monotonic() - started, 3)
    results = [dataclasses.replace(r, elapsed_seconds=elapsed) for r in results]
    for result in results:
        log.info(
            "silver %s %s|%s: %d rows, %d duplicates removed, %d quarantined",
            table,
            result.dt,
            result.media_id,
            result.rows,
            result.duplicates_removed,
            result.quarantined,
        )
    return results


def run_dim_media(
    spark: SparkSession, *, bronze_root: str, silver_root: str, channels: dict[str, str]
) -> DimMediaResult:
    """Upsert the latest metadata snapshot of every media into `dim_media` (unpartitioned)."""
    configure_silver_session(spark)
    bronze, silver = store_for_uri(bronze_root), store_for_uri(silver_root)
    started = time.monotonic()
    result = dim_media.build(spark, bronze, silver, channels=dict(channels))
    return dataclasses.replace(result, elapsed_seconds=round(time.monotonic() - started, 3))


def parse_visitor_hashes(hashes: str | Iterable[str]) -> frozenset[str]:
    """The erasure's visitor key hashes (64 lower-case hex, as Silver's `visitor_hash`), from a
    comma-separated string or a list. Anything else is refused and not repeated: a raw visitor
    key must never reach a job argument, a log or an error message."""
    items = hashes.split(",") if isinstance(hashes, str) else list(hashes)
    values = [h.strip() for h in items if h.strip()]
    bad = sum(1 for h in values if not _HASH.match(h))
    if bad or not values:
        raise ValueError(
            f"visitor hashes must be 64-character lower-case hex HMACs ({bad} of {len(values)} "
            "are not); give the hashes of the erasure record, never a visitor key"
        )
    return frozenset(values)


def run_erase_rows(
    spark: SparkSession,
    *,
    dt: str,
    media_id: str,
    silver_root: str,
    visitor_hashes: str | Iterable[str],
) -> ErasedRowsResult:
    """Remove the rows of `visitor_hashes` from the `fact_events` partition (dt, media_id),
    rewriting it from itself (its Bronze partition is gone: `transforms/erase_rows.py`)."""
    day = parse_date(dt, source="dt").isoformat()
    media = parse_media_id(media_id, source="media_id")
    hashes = parse_visitor_hashes(visitor_hashes)
    configure_silver_session(spark)
    silver = store_for_uri(silver_root)
    started = time.monotonic()
    target = window_partition(SILVER_FACT_EVENTS, day, media)
    # The same lock as a build of the media: no build of this partition meanwhile.
    with silver.lock(silver_media_lock(media)):
        removed, left = erase_rows(spark, silver, day=day, media_id=media, visitor_hashes=hashes)
    log.info(
        "silver fact_events %s|%s: %d erased row(s) removed, %d left", day, media, removed, left
    )
    return ErasedRowsResult(
        dt=day,
        media_id=media,
        rows_removed=removed,
        rows=left,
        partition_deleted=removed > 0 and left == 0,
        location=silver.uri(target),
        elapsed_seconds=round(time.monotonic() - started, 3),
    )
