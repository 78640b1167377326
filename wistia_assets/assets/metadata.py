"""What a Spark build shows in the UI: the one mapping from a build's typed result
(`transforms/results.py`) to its materialization's metadata, for every Silver and Gold table and
for both engines (a Glue run sends the same result back through Pipes)."""

from __future__ import annotations

from typing import Any

from dagster import MetadataValue

from wistia_assets.assets.column_schema import written_schema
from wistia_assets.transforms.results import (
    DimMediaResult,
    FactResult,
    MediaDailyResult,
    SilverResult,
)

# Result fields shown as they are, in this order, when the result has them (and they are set).
NUMBERS = (
    "duplicates_removed",
    "quarantined",
    "bronze_rows",
    "bronze_events",
    "routed_away",
    "out_of_day_share",
    "play_count",
    "load_count",
    "hours_watched",
    "days",
    "elapsed_seconds",
    "glue_run_id",
)
# Shown as JSON when not empty; `missing` (Gold) always, so "none missing" is shown too.
JSON_WHEN_ANY = ("quarantine_reasons", "unknown_fields")
JSON = ("missing",)
PATHS = ("location", "quarantine_location")


def preview_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "_no rows_"
    columns = list(rows[0])

    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


# Tables whose materialization is one partition (or a range of days): their rows are the
# partition's, which Dagster shows per partition, not as the table's row count.
PARTITIONED = frozenset({"fact_events", "fact_media_by_date", "media_daily"})


def rows_key(table: str) -> str:
    return "dagster/partition_row_count" if table in PARTITIONED else "dagster/row_count"


def rows_of(metadata: dict[str, Any]) -> Any:
    """The rows a materialization reports, whichever standard key it uses."""
    rows = metadata.get("dagster/partition_row_count")
    return metadata.get("dagster/row_count") if rows is None else rows


def result_metadata(
    result: FactResult | DimMediaResult | MediaDailyResult, *, engine: str
) -> dict[str, Any]:
    """The materialization metadata of `result`, built by `engine` (`spark` or `glue`)."""
    metadata: dict[str, Any] = {
        rows_key(result.table): int(result.rows),
        "dagster/column_schema": written_schema(result.table, result.schema),
    }
    for key in NUMBERS:
        if getattr(result, key, None) is not None:
            metadata[key] = getattr(result, key)
    for key in JSON_WHEN_ANY:
        if getattr(result, key, None):
            metadata[key] = MetadataValue.json(getattr(result, key))
    for key in JSON:
        if hasattr(result, key):
            metadata[key] = MetadataValue.json(getattr(result, key))
    for key in PATHS:
        if getattr(result, key, None):
            metadata[key] = MetadataValue.path(getattr(result, key))
    if isinstance(result, SilverResult):  # Gold shows no preview
        metadata["preview"] = MetadataValue.md(preview_markdown(result.preview))
    metadata["engine"] = engine
    return metadata
