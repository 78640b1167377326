"""Where every dataset lives in the lake: the contract shared by Dagster, Spark, Glue and Athena.

Keys are relative to the lake root locally and to the zone's bucket on S3. Bronze and Silver
zones keep the same key prefix in both deployments (`bronze/...` in BRONZE_BUCKET, `silver/...`
in SILVER_BUCKET) so one layout serves both. Files whose name starts with `_` or `.` are
bookkeeping (manifests, staging); Spark, Hive, Athena and our DuckDB views all skip them.
"""

from __future__ import annotations

from datetime import date, datetime

from wistia_assets.settings import parse_media_id

# Each zone's root: every Bronze (resp. Silver) dataset lives under it.
BRONZE_ZONE = "bronze/wistia"
SILVER_ZONE = "silver/wistia"

BRONZE_EVENTS = f"{BRONZE_ZONE}/events"
BRONZE_MEDIA_BY_DATE = f"{BRONZE_ZONE}/media_by_date"
BRONZE_MEDIA_METADATA = f"{BRONZE_ZONE}/media_metadata"
# Records that could not become Silver rows keep their raw payload (which may hold personal
# data), so the quarantine lives in the Bronze zone, under Bronze's retention.
BRONZE_QUARANTINE = f"{BRONZE_ZONE}/_quarantine"

SILVER_FACT_EVENTS = f"{SILVER_ZONE}/fact_events"
SILVER_FACT_MEDIA_BY_DATE = f"{SILVER_ZONE}/fact_media_by_date"
SILVER_DIM_MEDIA = f"{SILVER_ZONE}/dim_media"

# Gold (the media report's tables) and the HTML reports: no personal data, so they live in the
# Silver zone's root (SILVER_BUCKET on S3), each under its own prefix.
GOLD_MEDIA_DAILY = "gold/wistia/media_daily"
REPORTS = "reports/wistia"

MANIFEST_NAME = "_manifest.json"

# Bronze datasets pulled per (date, media) window, by their watermark/dataset name.
BRONZE_WINDOW_PREFIXES = {
    "events": BRONZE_EVENTS,
    "media_by_date": BRONZE_MEDIA_BY_DATE,
}
SILVER_TABLE_PREFIXES = {
    "fact_events": SILVER_FACT_EVENTS,
    "fact_media_by_date": SILVER_FACT_MEDIA_BY_DATE,
    "dim_media": SILVER_DIM_MEDIA,
}


def _day(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else date.fromisoformat(day).isoformat()


def window_partition(prefix: str, day: date | str, media_id: str) -> str:
    """`<prefix>/dt=YYYY-MM-DD/media_id=<id>` for a (date, media) partition."""
    return f"{prefix}/dt={_day(day)}/media_id={parse_media_id(media_id)}"


def day_partition(prefix: str, day: date | str) -> str:
    """`<prefix>/dt=YYYY-MM-DD` for a table partitioned by day only (Gold `media_daily`)."""
    return f"{prefix}/dt={_day(day)}"


def silver_media_lock(media_id: str) -> str:
    """The lock a Silver build (or erasure) of `media_id` holds while it replaces that media's
    files, and that Gold takes for every media it reads: Gold never reads a half-replaced
    partition. One name for every taker; a lock spelled differently would guard nothing."""
    return f"{SILVER_ZONE}/media_id={parse_media_id(media_id)}"


def part_name(index: int, run_token: str, ext: str = "json") -> str:
    # The run token makes every write's files new names: a re-run never overwrites a file a
    # reader might be holding, and stale parts are recognisable by the manifest.
    return f"part-{index:05d}-{run_token}.{ext}"


def manifest_key(partition: str) -> str:
    return f"{partition}/{MANIFEST_NAME}"


def load_ts_token(moment: datetime) -> str:
    # No ':' in keys: Hadoop paths reject it and S3 consoles escape it.
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def metadata_snapshot(media_id: str, load_ts: str) -> str:
    return f"{BRONZE_MEDIA_METADATA}/media_id={parse_media_id(media_id)}/load_ts={load_ts}"


def quarantine_root(dataset: str) -> str:
    """The quarantine of a Bronze dataset, whose (dt, media_id) folders are its partitions'."""
    return f"{BRONZE_QUARANTINE}/{dataset}"


def quarantine_partition(dataset: str, day: date | str, media_id: str) -> str:
    return window_partition(quarantine_root(dataset), day, media_id)
