"""Bronze: the raw Wistia responses of one (day, media) window, as NDJSON, with a manifest.

The three Bronze assets are one step (`bronze_ingest`), subsettable, so a run pulls a window with
one client, one rate budget and one `wistia_api` pool slot, and stops at the first fatal answer: a
rejected token ends the run after a single request instead of one per asset. The media object is
fetched first: it is one cheap request that proves the token and the media id before paging.
"""

from collections.abc import Iterator
from functools import partial
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    Backoff,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from wistia_assets.assets.catalog_metadata import catalog_metadata
from wistia_assets.erasure.suppression import suppression_for
from wistia_assets.ingestion import ingest_events, ingest_media_by_date, snapshot_media
from wistia_assets.partitions import Window, window_partitions
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.settings import Settings
from wistia_assets.wistia.errors import WistiaError, WistiaUnavailableError

OWNERS = ["team:data-engineering"]


def layer_tags(layer: str, pii: bool) -> dict[str, str]:
    """What people filter on, as asset tags (`tag:pii=true`, `tag:layer=silver` in selections
    of the UI, `dg` and `dagster`): the layer, and whether the asset holds personal data."""
    return {"layer": layer, "pii": "true" if pii else "false"}


BRONZE_KINDS = {"wistia", "s3"}

_DESCRIPTIONS = {
    "bronze_events": (
        "Raw Wistia viewing events (`/stats/events.json`) of the request that covers one UTC day "
        "(two account days when WISTIA_ACCOUNT_TIMEZONE is not UTC) and one media, one API "
        "record per NDJSON line, exactly as received — includes personal data (ip, email, "
        "geolocation, conversion data), so it stays in the Bronze zone under its retention."
    ),
    "bronze_media_by_date": (
        "Raw per-day media statistics (`/stats/medias/{id}/by_date.json`): loads, plays and hours "
        "watched of the account's day with the partition's date (the account's days, in "
        "WISTIA_ACCOUNT_TIMEZONE, cannot be split into UTC days), as received."
    ),
    "bronze_media_metadata": (
        "A daily snapshot of the media object (`/medias/{id}.json`): title, duration, project, "
        "tags. One snapshot per load day; feeds dim_media."
    ),
}


def _bronze_failure(exc: WistiaError, window: Window) -> Failure:
    # Only transient trouble (throttling, 5xx, timeouts past the retry budget) is worth a step
    # retry; a rejected token, a missing media or a bad parameter will fail the same way again.
    metadata: dict[str, Any] = {"partition": window.key, "error": type(exc).__name__}
    if exc.status is not None:
        metadata["status"] = exc.status
    if exc.request_id:
        metadata["x-request-id"] = exc.request_id
    return Failure(
        description=str(exc),
        metadata=metadata,
        allow_retries=isinstance(exc, WistiaUnavailableError),
    )


def _result(asset: str, manifest: dict[str, Any], lake: LakeResource) -> MaterializeResult:
    partition = manifest["partition"]
    metadata: dict[str, Any] = {
        "dagster/partition_row_count": manifest["rows"],
        "source": manifest["source"],
        "pages": manifest["pages"],
        "requests": manifest["requests"],
        "retries": manifest["retries"],
        "throttled": manifest["throttled"],
        "bytes": manifest["bytes"],
        "parts": len(manifest.get("parts", [])) or 1,
        "location": MetadataValue.path(lake.bronze.uri(partition)),
        "pulled_at": manifest["pulled_at"],
        "request_ids": MetadataValue.json(manifest["request_ids"][:10]),
    }
    for key in ("suppressed", "foreign_media_rows", "reads", "reread_requests", "window_end"):
        if key in manifest:
            metadata[key] = manifest[key]
    return MaterializeResult(asset_key=asset, metadata=metadata)


def build_bronze_assets(settings: Settings):
    partitions = window_partitions(settings)

    @multi_asset(
        name="bronze_ingest",
        specs=[
            AssetSpec(
                key,
                group_name="bronze",
                description=_DESCRIPTIONS[key],
                owners=OWNERS,
                kinds=BRONZE_KINDS,
                partitions_def=partitions,
                tags=layer_tags("bronze", pii=True),
                metadata=catalog_metadata(settings, key),
                skippable=True,
            )
            for key in _DESCRIPTIONS
        ],
        partitions_def=partitions,
        can_subset=True,
        # Every Wistia call of every run holds a slot of this pool: its size times the per-process
        # rate budget stays below the account's 600 requests/minute.
        pool="wistia_api",
        retry_policy=RetryPolicy(
            max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
        ),
    )
    def bronze_ingest(
        context: AssetExecutionContext, wistia: WistiaApiResource, lake: LakeResource
    ) -> Iterator[MaterializeResult]:
        window = Window.parse(context.partition_key)
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        steps = [
            ("bronze_media_metadata", snapshot_media),
            ("bronze_media_by_date", ingest_media_by_date),
            (
                "bronze_events",
                partial(
                    ingest_events, zone=settings.account_timezone, semantics=settings.events_window
                ),
            ),
        ]
        suppression = None
        with wistia.open_client(context.log) as client:
            for asset, ingest in steps:
                if asset not in selected:
                    continue
                if asset == "bronze_events":
                    # Erased viewers never reach Bronze (erasure/suppression.py). Read here, after
                    # the calls that show a bad token or media first.
                    suppression = suppression_for(settings)
                    ingest = partial(ingest, suppression=suppression)
                try:
                    manifest = ingest(
                        client, lake.bronze, window.day, window.media_id, source=wistia.source
                    )
                except WistiaError as exc:
                    raise _bronze_failure(exc, window) from None
                context.log.info(
                    f"{asset} {window.key}: {manifest['rows']} rows, {manifest['pages']} pages, "
                    f"{manifest['requests']} requests ({manifest['retries']} retries) from "
                    f"{wistia.source} -> {lake.bronze.uri(manifest['partition'])}"
                )
                if asset == "bronze_events" and suppression is not None:
                    suppression.save()
                yield _result(asset, manifest, lake)

    return [bronze_ingest]
