"""The lake as a Dagster resource: Bronze and Silver zones, a folder locally, buckets on S3."""

from __future__ import annotations

from functools import cached_property

from dagster import ConfigurableResource
from pydantic import Field

from wistia_assets.storage.objects import ObjectStore, store_for_uri


class LakeResource(ConfigurableResource):
    bronze_root: str = Field(description="file:///abs/lake or s3://BRONZE_BUCKET")
    silver_root: str = Field(description="file:///abs/lake or s3://SILVER_BUCKET")
    endpoint_url: str | None = Field(default=None, description="S3 endpoint override (moto).")
    region: str | None = None

    @cached_property
    def bronze(self) -> ObjectStore:
        return store_for_uri(self.bronze_root, endpoint_url=self.endpoint_url, region=self.region)

    @cached_property
    def silver(self) -> ObjectStore:
        return store_for_uri(self.silver_root, endpoint_url=self.endpoint_url, region=self.region)
