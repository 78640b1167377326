"""`dim_media`: one row per media from its latest metadata snapshot, refreshed whenever a new
snapshot lands (eager automation)."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    AutomationCondition,
    MaterializeResult,
    multi_asset,
)

from wistia_assets.assets.bronze import OWNERS, layer_tags
from wistia_assets.assets.catalog_metadata import catalog_metadata
from wistia_assets.assets.column_schema import declared_schema
from wistia_assets.assets.metadata import result_metadata
from wistia_assets.assets.silver import checks
from wistia_assets.assets.silver.facts import SILVER_KINDS
from wistia_assets.assets.silver.judging import not_buildable
from wistia_assets.assets.spark_steps import spark_step
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.settings import Settings
from wistia_assets.storage.partition import BronzeNotIngested

DESCRIPTION = (
    "One row per media (Type-1: the latest metadata snapshot wins): title, url, channel "
    "(from MEDIA_CHANNELS, else derived from the media name: YT -> youtube, FB -> facebook, "
    "else unknown), created_at, updated_at, duration, project, tags."
)


def build_dim_media(settings: Settings):
    @multi_asset(
        name="dim_media_build",
        specs=[
            AssetSpec(
                "dim_media",
                deps=["bronze_media_metadata"],
                group_name="silver",
                description=DESCRIPTION,
                owners=OWNERS,
                kinds=SILVER_KINDS,
                tags=layer_tags("silver", pii=False),
                metadata={
                    **catalog_metadata(settings, "dim_media"),
                    "scd": "type-1",
                    "dagster/column_schema": declared_schema("dim_media"),
                },
                # Fresh without anyone asking: any new metadata snapshot triggers a rebuild.
                automation_condition=AutomationCondition.eager(),
            )
        ],
        check_specs=checks.dim_media_specs(),
        **spark_step(settings),
    )
    def dim_media(context: AssetExecutionContext, silver: TransformEngine):
        try:
            result = silver.build_dim_media(context)
        except BronzeNotIngested as exc:
            raise not_buildable(exc, "dim_media") from None
        return MaterializeResult(
            asset_key="dim_media",
            metadata=result_metadata(result, engine=silver.kind),
            check_results=checks.dim_media_checks(result, tuple(settings.media_ids)),
        )

    return dim_media
