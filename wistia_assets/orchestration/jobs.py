"""The jobs: one (day, media) window end to end, the dim_media refresh, and the Gold pair
(`media_daily` days, the media report) that the CLI runs after building days."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

WINDOW_JOB = "wistia_window"
DIM_MEDIA_JOB = "dim_media_refresh"
GOLD_DAYS_JOB = "media_daily_build"
REPORT_JOB = "media_report_build"
WINDOW_BRONZE = ["bronze_events", "bronze_media_by_date", "bronze_media_metadata"]
WINDOW_SILVER = ["fact_events", "fact_media_by_date"]
WINDOW_ASSETS = [*WINDOW_BRONZE, *WINDOW_SILVER]
# Dagster's tags of a run of a range of partitions (the CLI's Silver of several windows).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def build_jobs():
    # Partitioned like its assets (date x media_id): Dagster infers it from the selection.
    window_job = define_asset_job(
        WINDOW_JOB,
        selection=AssetSelection.assets(*WINDOW_ASSETS),
        description=(
            "Pull one (UTC day, media) window from Wistia into Bronze and rebuild its Silver "
            "partitions. Re-running replaces the partition: never duplicates."
        ),
        tags={"team": "data-engineering"},
    )
    dim_media_job = define_asset_job(
        DIM_MEDIA_JOB,
        selection="key:dim_media",
        description="Upsert dim_media from the latest media metadata snapshots.",
    )
    return window_job, dim_media_job


def build_gold_jobs():
    # Two jobs: a job's assets share one partitioning, and the report has none.
    days_job = define_asset_job(
        GOLD_DAYS_JOB,
        selection="key:media_daily",
        description="Rebuild the Gold media_daily days of a range from Silver (one Spark job).",
    )
    report_job = define_asset_job(
        REPORT_JOB,
        selection="key:media_report",
        description="Write the media report (HTML under reports/wistia/) for a range of days.",
    )
    return days_job, report_job
