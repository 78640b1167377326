"""Watermark storage as a Dagster resource: SQLite in the lake locally (`SqliteWatermarks`),
DynamoDB in AWS (`DynamoWatermarks`). `deployments.py` picks one, as it picks the Silver engine
and the catalog."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.aws import aws_client
from wistia_assets.watermarks.store import (
    DynamoWatermarkStore,
    SqliteWatermarkStore,
    WatermarkStore,
)


class WatermarksResource(ConfigurableResource):
    """Interface: the watermark store (compare-and-set advances, operator overrides)."""

    def store(self) -> WatermarkStore:
        raise NotImplementedError


class SqliteWatermarks(WatermarksResource):
    sqlite_path: str = Field(description="the SQLite file, in the lake's _state folder")

    def store(self) -> WatermarkStore:
        return SqliteWatermarkStore(self.sqlite_path)


class DynamoWatermarks(WatermarksResource):
    table: str = "WistiaWatermarks"
    key_attributes: str | None = Field(
        default=None,
        description="'pk,sk': the table's partition and sort key names (DDB_KEY_ATTRIBUTES); "
        "unset: read from the table's key schema",
    )
    endpoint_url: str | None = None
    region: str = "us-east-1"

    def store(self) -> WatermarkStore:
        client = aws_client("dynamodb", endpoint_url=self.endpoint_url, region=self.region)
        keys = None
        if self.key_attributes:
            pk, sk = (name.strip() for name in self.key_attributes.split(","))
            keys = (pk, sk)
        return DynamoWatermarkStore(self.table, client, keys)
