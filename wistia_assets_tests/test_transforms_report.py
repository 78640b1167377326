"""Metrics -> metadata and check outcomes: the mapping both deployments share."""

from __future__ import annotations

from wistia_assets.transforms.report import check_outcomes, pipes_metadata, preview_markdown

METRICS = {
    "table": "fact_events",
    "dt": "2026-11-20",
    "media_id": "e4a27b971d",
    "rows": 6,
    "distinct_event_keys": 6,
    "duplicates_removed": 1,
    "quarantined": 8,
    "quarantine_reasons": {"missing event_key": 8},
    "out_of_day_share": 0.166667,
    "partition_deleted": False,
    "quarantine_location": None,
    "schema": [["event_key", "string"], ["dt", "string"]],
    "location": "s3://silver/silver/wistia/fact_events/dt=2026-11-20/media_id=e4a27b971d",
    "bronze_rows": 15,
    "preview": [{"event_key": "ev-1", "country": "US|CA"}],
}


def test_pipes_metadata_types():
    metadata = pipes_metadata(METRICS)
    assert metadata["dagster/row_count"] == {"raw_value": 6, "type": "int"}
    assert metadata["dagster/column_schema"]["type"] == "table_schema"
    assert metadata["dagster/column_schema"]["raw_value"]["columns"][0] == {
        "name": "event_key",
        "type": "string",
    }
    assert metadata["quarantine_reasons"]["type"] == "json"
    assert metadata["out_of_day_share"]["type"] == "float"
    assert metadata["partition_deleted"]["type"] == "bool"
    assert metadata["quarantine_location"]["type"] == "null"
    assert metadata["location"]["type"] == "path"
    assert metadata["preview"]["type"] == "md"
    assert "US\\|CA" in metadata["preview"]["raw_value"]
    assert not {"schema", "dt", "media_id", "table"} & set(metadata)


def test_check_outcomes_for_fact_events():
    outcomes = {o.name: o for o in check_outcomes(METRICS)}
    assert outcomes["event_key_unique"].passed
    assert outcomes["no_personal_data_columns"].passed
    share = outcomes["quarantine_share"]
    assert not share.passed and share.severity == "WARN"
    broken = check_outcomes({**METRICS, "distinct_event_keys": 5, "schema": [["ip", "string"]]})
    assert [o.passed for o in broken[:2]] == [False, False]


def test_preview_markdown_handles_no_rows():
    assert preview_markdown([]) == "_no rows_"
