"""Typed build results for tests that judge them without Spark (checks, metadata, the Silver
step with a stand-in engine): a plausible good partition, with the fields a test cares about
overridden."""

from __future__ import annotations

from typing import Any

from wistia_assets.transforms.results import (
    DimMediaResult,
    FactEventsResult,
    FactMediaByDateResult,
    ReceivedHistogram,
)

DAY = "2026-11-20"
MEDIA = "e4a27b971d"


def _fact_fields(table: str, rows: int) -> dict[str, Any]:
    return {
        "dt": DAY,
        "media_id": MEDIA,
        "rows": rows,
        "schema": [["event_key", "string"], ["dt", "string"], ["media_id", "string"]],
        "location": f"file:///lake/silver/wistia/{table}/dt={DAY}/media_id={MEDIA}",
        "preview": [],
        "personal_values": {},
        "quarantined": 0,
        "duplicates_removed": 0,
        "quarantine_reasons": {},
        "quarantine_location": None,
        "unknown_fields": {},
        "out_of_day_share": 0.0,
        "partition_deleted": rows == 0,
        "bronze_rows": rows,
        "bronze_manifest_rows": rows,
        "bronze_parts": 1,
        "bronze_run_token": "20261121T020000Zabc123",
    }


def histogram(times: dict[str, int] | None = None) -> ReceivedHistogram:
    """From {"YYYY-MM-DDTHH:MM": events} (UTC quarter hours; `earlier`/`later` outside)."""
    counts = dict(times or {})
    earlier, later = counts.pop("earlier", 0), counts.pop("later", 0)
    return ReceivedHistogram(
        15, "2026-11-18", "2026-11-23", earlier, later, {f"{t}Z": n for t, n in counts.items()}
    )


def events_result(**overrides: Any) -> FactEventsResult:
    rows = overrides.pop("rows", 3)
    fields = {
        **_fact_fields("fact_events", rows),
        "distinct_event_keys": rows,
        "out_of_day": 0,
        "routed_away": 0,
        "routed_away_events": 0,
        "bronze_events": rows,
        "neighbours_checked": False,
        "received_histogram": histogram({f"{DAY}T10:00": rows}),
        "min_received_at": None,
        "max_received_at": None,
    }
    return FactEventsResult(**{**fields, **overrides})


def by_date_result(**overrides: Any) -> FactMediaByDateResult:
    rows = overrides.pop("rows", 1)
    fields = {
        **_fact_fields("fact_media_by_date", rows),
        "schema": [["date", "date"], ["dt", "string"], ["media_id", "string"]],
        "zero_filled": False,
        "load_count": 7,
        "play_count": 3,
        "hours_watched": 0.25,
    }
    return FactMediaByDateResult(**{**fields, **overrides})


def dim_result(**overrides: Any) -> DimMediaResult:
    fields = {
        "rows": 1,
        "schema": [["media_id", "string"], ["channel", "string"]],
        "location": "file:///lake/silver/wistia/dim_media",
        "preview": [{"media_id": MEDIA, "channel": "youtube"}],
        "personal_values": {},
        "quarantined": 0,
        "duplicates_removed": 0,
        "distinct_media_ids": 1,
        "snapshot_media": [MEDIA],
        "channels": {MEDIA: "youtube"},
        "media_ids": [MEDIA],
        "unknown_channel_media_ids": [],
    }
    return DimMediaResult(**{**fields, **overrides})
