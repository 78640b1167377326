"""The two jobs: one (day, media) window end to end, and the dim_media refresh."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

WINDOW_JOB = "wistia_window"
DIM_MEDIA_JOB = "dim_media_refresh"
WINDOW_ASSETS = [
    "bronze_events",
    "bronze_media_by_date",
    "bronze_media_metadata",
    "fact_events",
    "fact_media_by_date",
]


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
        selection=AssetSelection.assets("dim_media"),
        description="Upsert dim_media from the latest media metadata snapshots.",
    )
    return window_job, dim_media_job
