"""Watermark storage as a Dagster resource: SQLite in the lake locally, DynamoDB in AWS."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.watermarks.store import (
    DynamoWatermarkStore,
    SqliteWatermarkStore,
    WatermarkStore,
)


class WatermarksResource(ConfigurableResource):
    backend: str = Field(description="'sqlite' or 'dynamodb'")
    sqlite_path: str | None = None
    table: str = "WistiaWatermarks"
    key_attributes: str | None = Field(
        default=None,
        description="'pk,sk': the table's partition and sort key names (DDB_KEY_ATTRIBUTES); "
        "unset: read from the table's key schema",
    )
    endpoint_url: str | None = None
    region: str = "us-east-1"

    def store(self) -> WatermarkStore:
        if self.backend == "sqlite":
            if not self.sqlite_path:
                raise ValueError("the sqlite watermark store needs sqlite_path")
            return SqliteWatermarkStore(self.sqlite_path)
        if self.backend == "dynamodb":
            import boto3

            client = boto3.client(
                "dynamodb", endpoint_url=self.endpoint_url or None, region_name=self.region
            )
            keys = None
            if self.key_attributes:
                pk, sk = (name.strip() for name in self.key_attributes.split(","))
                keys = (pk, sk)
            return DynamoWatermarkStore(self.table, client, keys)
        raise ValueError(f"unknown watermark backend {self.backend!r}")
