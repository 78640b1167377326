"""dim_media: one row per media from its latest metadata snapshot (Type 1: the row is replaced).

`upsert` merges the current table with the newest snapshot of each media: a media keeps its row
until a newer snapshot arrives, and a media without snapshots now (retention, config change)
keeps its last known row. `channel` is recomputed on every run (configuration may change; see
`channels`). `url` is the snapshot's own URL when it has one (scheme + host + path only), else
`https://home.wistia.com/medias/<hashed_id>`; `thumbnail_url` loses its query string too.

`build` writes the table: new files are appended first and the previous files deleted
afterwards, so a reader (or a killed run) never sees an empty table.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import BRONZE_MEDIA_METADATA, SILVER_DIM_MEDIA
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.storage.partition import BronzeNotIngested
from wistia_assets.transforms.bronze_reader import latest_metadata_snapshots, read_snapshots
from wistia_assets.transforms.channels import UNKNOWN as UNKNOWN_CHANNEL
from wistia_assets.transforms.channels import media_channel
from wistia_assets.transforms.partition_build import (
    PREVIEW_ROWS,
    as_text,
    read_written,
    scan_written,
    schema_of,
)
from wistia_assets.transforms.paths import spark_path
from wistia_assets.transforms.pii import assert_no_personal_columns, clean_url
from wistia_assets.transforms.results import DimMediaResult
from wistia_assets.transforms.schema import (
    BRONZE_MEDIA,
    CORRUPT_RECORD,
    DIM_MEDIA,
    MEDIA_PROJECT,
    MEDIA_THUMBNAIL,
)
from wistia_assets.transforms.silver_writes import data_files
from wistia_assets.transforms.values import blank_to_null, iso_timestamp, text_to_bool

MEDIA_PAGE = "https://home.wistia.com/medias/"
LOAD_TS_FORMAT = "yyyyMMdd'T'HHmmssSSSSSS'Z'"
PREVIEW = ("media_id", "title", "channel", "status", "duration_seconds", "snapshot_loaded_at")


def parse_snapshots(docs: DataFrame) -> DataFrame:
    """`media_id, load_ts, doc` -> `doc_ok` plus the DIM_MEDIA columns (channel still null)."""
    rec = F.from_json("doc", BRONZE_MEDIA, {"columnNameOfCorruptRecord": CORRUPT_RECORD})
    parsed = (
        docs.withColumn("rec", rec)
        .withColumn("top_keys", F.json_object_keys("doc"))
        .withColumn("_project", F.from_json(F.col("rec.project"), MEDIA_PROJECT))
    )
    project = F.col("_project")
    thumbnail = F.from_json(F.col("rec.thumbnail"), MEDIA_THUMBNAIL)
    # Tags come as [{"name": ...}]; a plain string list is accepted too.
    tags = F.filter(
        F.transform(
            F.from_json(F.col("rec.tags"), T.ArrayType(T.StringType())),
            lambda tag: F.coalesce(F.get_json_object(tag, "$.name"), tag),
        ),
        lambda name: name.isNotNull() & (F.trim(name) != ""),
    )
    hashed_id = F.coalesce(blank_to_null(F.trim(F.col("rec.hashed_id"))), F.col("media_id"))
    own_url = clean_url(blank_to_null(F.col("rec.url")))
    columns = {
        "media_id": hashed_id,
        "numeric_id": F.expr("try_cast(trim(rec.id) AS BIGINT)"),
        "title": blank_to_null(F.col("rec.name")),
        "url": F.coalesce(own_url, F.concat(F.lit(MEDIA_PAGE), hashed_id)),
        "channel": F.lit(None),
        "created_at": iso_timestamp(F.col("rec.created")),
        "updated_at": iso_timestamp(F.col("rec.updated")),
        "duration_seconds": F.expr("try_cast(trim(rec.duration) AS DOUBLE)"),
        "status": blank_to_null(F.col("rec.status")),
        "media_type": blank_to_null(F.col("rec.type")),
        "archived": text_to_bool(F.col("rec.archived")),
        "project_id": F.expr("try_cast(trim(_project.id) AS BIGINT)"),
        "project_name": blank_to_null(project["name"]),
        "project_hashed_id": blank_to_null(F.coalesce(project["hashedId"], project["hashed_id"])),
        "thumbnail_url": clean_url(blank_to_null(thumbnail["url"])),
        "tags": tags,
        "snapshot_loaded_at": F.try_to_timestamp(F.col("load_ts"), F.lit(LOAD_TS_FORMAT)),
    }
    doc_ok = (
        F.col("top_keys").isNotNull()
        & F.col("rec").isNotNull()
        & F.col(f"rec.{CORRUPT_RECORD}").isNull()
    )
    return parsed.select(
        doc_ok.alias("doc_ok"),
        F.col("media_id").alias("path_media_id"),
        *[columns[f.name].cast(f.dataType).alias(f.name) for f in DIM_MEDIA.fields],
    )


def upsert(existing: DataFrame | None, fresh: DataFrame) -> DataFrame:
    """Latest `snapshot_loaded_at` per media wins; on a tie the fresh snapshot does."""
    names = [f.name for f in DIM_MEDIA.fields]
    rows = fresh.select(*names, F.lit(1).alias("_fresh"))
    if existing is not None:
        rows = rows.unionByName(existing.select(*names, F.lit(0).alias("_fresh")))
    latest = Window.partitionBy("media_id").orderBy(
        F.col("snapshot_loaded_at").desc_nulls_last(), F.col("_fresh").desc()
    )
    return (
        rows.withColumn("_nth", F.row_number().over(latest))
        .where("_nth = 1")
        .drop("_nth", "_fresh")
    )


def with_channels(dim: DataFrame, configured: Mapping[str, str]) -> DataFrame:
    mapping = dict(configured)
    channel = F.udf(lambda media_id, title: media_channel(media_id, title, mapping), "string")
    return dim.withColumn("channel", channel(F.col("media_id"), F.col("title"))).select(
        *[f.name for f in DIM_MEDIA.fields]
    )


def build(
    spark: SparkSession, bronze: ObjectStore, silver: ObjectStore, *, channels: dict[str, str]
) -> DimMediaResult:
    """Upsert the latest metadata snapshot of every media into `dim_media` (unpartitioned)."""
    snapshots = latest_metadata_snapshots(bronze)
    previous_keys = silver.list_keys(SILVER_DIM_MEDIA)
    previous_files = data_files(silver, SILVER_DIM_MEDIA)
    if not snapshots and not previous_files:
        raise BronzeNotIngested(
            "bronze_media_metadata has no snapshots under "
            f"{spark_path(bronze, BRONZE_MEDIA_METADATA)}; materialize bronze first"
        )
    parsed = parse_snapshots(read_snapshots(spark, bronze, snapshots)).persist()
    dim = None
    try:
        unparsable = sorted(
            r["path_media_id"]
            for r in parsed.where(~F.col("doc_ok")).select("path_media_id").collect()
        )
        # Read with the table's schema: inferring it would read a footer in a Spark job of its
        # own (a file of another schema then fails here, as it would in the union below).
        existing = (
            spark.read.schema(DIM_MEDIA).parquet(
                *[spark_path(silver, key) for key in previous_files]
            )
            if previous_files
            else None
        )
        dim = with_channels(upsert(existing, parsed.where(F.col("doc_ok"))), channels).persist()
        assert_no_personal_columns(dim)
        # One row per media: the table is small enough to count, list and preview in Python, in
        # one Spark job (a sort in Spark would add a sampling job, each count another).
        listed = sorted(
            (row.asDict() for row in as_text(dim.select(*PREVIEW)).collect()),
            key=lambda row: (row["media_id"] is not None, row["media_id"] or ""),
        )
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
        return DimMediaResult(
            rows=len(listed),
            schema=schema_of(dim),
            location=spark_path(silver, SILVER_DIM_MEDIA),
            preview=listed[:PREVIEW_ROWS],
            personal_values=scan_written(
                read_written(spark, silver, SILVER_DIM_MEDIA, schema=DIM_MEDIA)
            )[0],
            quarantined=len(unparsable),
            duplicates_removed=0,
            distinct_media_ids=len({row["media_id"] for row in listed} - {None}),
            snapshot_media=sorted({s.media_id for s in snapshots} - set(unparsable)),
            channels={row["media_id"]: row["channel"] for row in listed},
            media_ids=[row["media_id"] for row in listed],
            unknown_channel_media_ids=[
                row["media_id"] for row in listed if row["channel"] == UNKNOWN_CHANNEL
            ],
        )
    finally:
        for frame in (dim, parsed):
            if frame is not None:
                frame.unpersist()
