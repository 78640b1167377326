"""The one mapping from a build's typed result to materialization metadata, and the JSON form in
which a Glue run sends that result back: whatever engine built it, the UI shows the same keys."""

from __future__ import annotations

import dataclasses
import json

import pytest

from wistia_assets.assets.metadata import preview_markdown, result_metadata
from wistia_assets.transforms.results import (
    MediaDailyResult,
    ResultMismatch,
    from_json,
    to_json,
)
from wistia_assets_tests.silver_results import by_date_result, dim_result, events_result

EVENTS = events_result(
    rows=6,
    duplicates_removed=1,
    quarantined=8,
    quarantine_reasons={"missing event_key": 8},
    quarantine_location="file:///lake/bronze/wistia/_quarantine/events/dt=2026-11-20",
    bronze_rows=15,
    routed_away=1,
    preview=[{"event_key": "ev-1", "country": "US|CA"}],
    elapsed_seconds=1.5,
)


def test_fact_events_metadata_keys_and_kinds():
    metadata = result_metadata(EVENTS, engine="spark")
    assert list(metadata) == [
        "dagster/partition_row_count",  # one partition's rows, not the table's
        "dagster/column_schema",
        "duplicates_removed",
        "quarantined",
        "bronze_rows",
        "bronze_events",
        "routed_away",
        "out_of_day_share",
        "elapsed_seconds",
        "quarantine_reasons",
        "location",
        "quarantine_location",
        "preview",
        "engine",
    ]
    assert metadata["dagster/partition_row_count"] == 6 and metadata["engine"] == "spark"
    columns = metadata["dagster/column_schema"].columns
    assert [c.name for c in columns] == ["event_key", "dt", "media_id"]
    assert columns[0].description  # from columns.py
    assert metadata["quarantine_reasons"].value == {"missing event_key": 8}
    assert metadata["location"].value.endswith("dt=2026-11-20/media_id=e4a27b971d")
    assert "US\\|CA" in metadata["preview"].value
    # For the checks, not for people; empty JSON is left out.
    assert not {"received_histogram", "unknown_fields", "personal_values"} & set(metadata)


def test_by_date_dim_media_and_gold_metadata():
    by_date = result_metadata(by_date_result(), engine="glue")
    assert (by_date["play_count"], by_date["load_count"], by_date["hours_watched"]) == (3, 7, 0.25)
    assert "bronze_events" not in by_date and by_date["engine"] == "glue"
    glued = result_metadata(dataclasses.replace(dim_result(), glue_run_id="jr_1"), engine="glue")
    assert glued["glue_run_id"] == "jr_1" and glued["quarantined"] == 0
    assert "| media_id | channel |" in glued["preview"].value
    daily = MediaDailyResult(
        first="2026-11-20",
        last="2026-11-26",
        rows=14,
        missing={},
        schema=[["loads", "bigint"], ["dt", "string"]],
        location="file:///lake/gold/wistia/media_daily",
    )
    gold = result_metadata(daily, engine="spark")
    assert gold["days"] == "2026-11-20..2026-11-26"
    assert gold["missing"].value == {}  # shown even when nothing is missing
    assert "preview" not in gold and "glue_run_id" not in gold


def test_preview_markdown_handles_no_rows():
    assert preview_markdown([]) == "_no rows_"


def test_a_result_survives_its_trip_through_pipes():
    for result in (EVENTS, by_date_result(), dim_result()):
        sent = json.loads(json.dumps(to_json(result)))
        assert sent["table"] == result.table
        assert from_json(sent) == result


def test_a_result_from_another_release_is_a_clear_error():
    old = to_json(EVENTS)
    del old["received_histogram"]  # a Glue job from before the histogram existed
    with pytest.raises(ResultMismatch, match="another release.*GlueArtifactsCommit"):
        from_json(old)
    with pytest.raises(ResultMismatch, match="no known table"):
        from_json({"rows": 1})
