"""Dagster's standard catalog metadata of each asset, for one deployment: where it lives
(`dagster/uri`), the table an analyst queries (`dagster/table_name`: `database.table` in Athena,
the DuckDB view of `wistia-assets query` locally), and the Gold table's column lineage.

Definition metadata, not materialization metadata: the catalog and lineage views show it before
anything ran. (Dagster 1.13 builds these keys with `TableMetadataSet`/`UriMetadataSet`, which
it does not export; the keys are its documented names and the values its public types.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import AssetKey, TableColumnDep, TableColumnLineage

from wistia_assets.deployments import deployment_for
from wistia_assets.settings import Settings
from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    BRONZE_MEDIA_BY_DATE,
    BRONZE_MEDIA_METADATA,
    GOLD_MEDIA_DAILY,
    REPORTS,
    SILVER_TABLE_PREFIXES,
)
from wistia_assets.transforms.columns import MEDIA_DAILY_SOURCES

BRONZE_PREFIXES = {
    "bronze_events": BRONZE_EVENTS,
    "bronze_media_by_date": BRONZE_MEDIA_BY_DATE,
    "bronze_media_metadata": BRONZE_MEDIA_METADATA,
}
# The tables an analyst queries (Athena in `aws`, DuckDB views locally), by asset.
TABLE_PREFIXES = {**SILVER_TABLE_PREFIXES, "media_daily": GOLD_MEDIA_DAILY}


def _uri(root: str, prefix: str) -> str:
    return f"{root.rstrip('/')}/{prefix}" if "://" in root else Path(root, prefix).as_uri()


def catalog_metadata(settings: Settings, asset: str) -> dict[str, Any]:
    """`dagster/uri` for every asset that lives in the lake; `dagster/table_name` for tables."""
    deployment = deployment_for(settings)
    bronze_root, silver_root = deployment.lake_roots(settings)
    if asset in BRONZE_PREFIXES:
        return {"dagster/uri": _uri(bronze_root, BRONZE_PREFIXES[asset])}
    if asset == "media_report":
        return {"dagster/uri": _uri(silver_root, REPORTS)}
    # Analysts query DuckDB views of the local lake by name, Athena by database.table.
    table = asset if deployment.has_local_duckdb else f"{settings.glue_database}.{asset}"
    return {
        "dagster/uri": _uri(silver_root, TABLE_PREFIXES[asset]),
        "dagster/table_name": table,
    }


def media_daily_lineage() -> TableColumnLineage:
    """Each media_daily column from the Silver columns it is computed from (columns.py)."""
    return TableColumnLineage(
        deps_by_column={
            column: [TableColumnDep(asset_key=AssetKey(t), column_name=c) for t, c in sources]
            for column, sources in MEDIA_DAILY_SOURCES.items()
        }
    )
