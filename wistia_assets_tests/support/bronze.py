"""Bronze read back: the events of one window partition, and what a run materialized."""

from __future__ import annotations

import json
from datetime import date

from wistia_assets.settings import SANDBOX_MEDIA_IDS
from wistia_assets.storage.partition import read_manifest

DAY = date(2026, 11, 10)
MEDIA = SANDBOX_MEDIA_IDS[0]


def bronze_events(store, day=DAY, media=MEDIA) -> list[dict]:
    partition = f"bronze/wistia/events/dt={day}/media_id={media}"
    manifest = read_manifest(store, partition)
    assert manifest is not None, f"{partition} has no manifest"
    return [
        json.loads(line)
        for part in manifest["parts"]
        for line in store.read_bytes(part["key"]).decode().splitlines()
    ]


def materializations(result) -> dict[str, dict]:
    return {
        m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()}
        for m in (
            e.event_specific_data.materialization for e in result.get_asset_materialization_events()
        )
    }
