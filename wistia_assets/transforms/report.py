"""What a Silver run reports: metadata entries and check outcomes, Dagster-free.

The runner returns plain metrics (JSON-serialisable). Both deployments turn them into the same
asset metadata and check results: the Glue job streams them through dagster-pipes
(`pipes_metadata`, `check_outcomes`); the local asset wraps the same entries in `MetadataValue`s
and `AssetCheckResult`s. Keeping the mapping here means the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wistia_assets.transforms.personal_columns import FORBIDDEN_SILVER_COLUMNS

# Above this share of quarantined Bronze lines the run warns (the data is still written).
QUARANTINE_WARN_SHARE = 0.05

# Metric keys that are shown in another form (or not at all) in the metadata; the histogram of
# received_at feeds the Silver checks (hundreds of numbers nobody reads in the UI).
_SPECIAL = {"schema", "preview", "table", "dt", "media_id", "received_histogram"}


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    severity: str  # "ERROR" | "WARN", as Dagster and dagster-pipes spell them
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def preview_markdown(rows: list[dict[str, str]]) -> str:
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


def metadata_type(value: Any) -> str:
    """The dagster-pipes metadata type of a JSON value (dicts and lists are `json`)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "json"


def metadata_entries(metrics: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Metadata key -> (dagster-pipes metadata type, raw value)."""
    entries: dict[str, tuple[str, Any]] = {
        "dagster/row_count": ("int", int(metrics.get("rows", 0))),
    }
    if metrics.get("schema"):
        columns = [{"name": name, "type": type_} for name, type_ in metrics["schema"]]
        entries["dagster/column_schema"] = ("table_schema", {"columns": columns})
    for key, value in metrics.items():
        if key not in _SPECIAL:
            entries[key] = ("path" if key == "location" else metadata_type(value), value)
    if "preview" in metrics:
        entries["preview"] = ("md", preview_markdown(metrics["preview"]))
    return entries


def pipes_metadata(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The metadata in dagster-pipes' explicit form: {key: {"raw_value": ..., "type": ...}}."""
    return {
        key: {"raw_value": value, "type": type_}
        for key, (type_, value) in metadata_entries(metrics).items()
    }


def pipes_check_metadata(outcome: CheckOutcome) -> dict[str, dict[str, Any]]:
    """A check's metadata (and description) in dagster-pipes' explicit form."""
    entries = {**outcome.metadata, "description": outcome.description}
    return {key: {"raw_value": v, "type": metadata_type(v)} for key, v in entries.items()}


def _quarantine_share(metrics: dict[str, Any]) -> CheckOutcome:
    bronze_rows = int(metrics.get("bronze_rows", 0))
    share = metrics.get("quarantined", 0) / bronze_rows if bronze_rows else 0.0
    return CheckOutcome(
        name="quarantine_share",
        passed=share <= QUARANTINE_WARN_SHARE,
        severity="WARN",
        description=f"at most {QUARANTINE_WARN_SHARE:.0%} of Bronze lines quarantined",
        metadata={
            "share": round(share, 6),
            "quarantined": int(metrics.get("quarantined", 0)),
            "reasons": metrics.get("quarantine_reasons", {}),
        },
    )


def check_outcomes(metrics: dict[str, Any]) -> list[CheckOutcome]:
    """The checks a run can answer from its own metrics, by table."""
    table = metrics.get("table")
    columns = {name for name, _ in metrics.get("schema", [])}
    personal = sorted(columns & FORBIDDEN_SILVER_COLUMNS)
    no_personal = CheckOutcome(
        name="no_personal_data_columns",
        passed=not personal,
        severity="ERROR",
        description="no column of raw personal data in the written schema",
        metadata={"forbidden_columns_present": personal},
    )
    rows = int(metrics.get("rows", 0))
    if table == "fact_events":
        distinct = int(metrics.get("distinct_event_keys", 0))
        return [
            CheckOutcome(
                name="event_key_unique",
                passed=rows == distinct,
                severity="ERROR",
                description="one row per event_key in the partition (neighbours guarded too)",
                metadata={"rows": rows, "distinct_event_keys": distinct},
            ),
            no_personal,
            _quarantine_share(metrics),
        ]
    if table == "fact_media_by_date":
        return [
            CheckOutcome(
                name="one_row_per_date",
                passed=rows == 1,
                severity="ERROR",
                description="a pulled day is exactly one row (zeros when quiet)",
                metadata={"rows": rows},
            ),
            no_personal,
            _quarantine_share(metrics),
        ]
    if table == "dim_media":
        distinct = int(metrics.get("distinct_media_ids", 0))
        return [
            CheckOutcome(
                name="media_id_unique",
                passed=rows == distinct,
                severity="ERROR",
                description="one row per media",
                metadata={"rows": rows, "distinct_media_ids": distinct},
            ),
            no_personal,
        ]
    return [no_personal]
