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
            return DynamoWatermarkStore(self.table, client)
        raise ValueError(f"unknown watermark backend {self.backend!r}")
