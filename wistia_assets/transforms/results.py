"""What a Spark build returns: one typed result per table, the same on local Spark and on Glue.

The builds (`runner`, `gold_runner`) return these; the Glue job sends one back through Pipes as
JSON (`to_json`) and the Glue engine reads it (`from_json`), so the Dagster side gets the same
object from either engine and maps it to metadata and checks in one place
(`assets/metadata.py`, `assets/silver/checks.py`). No pyspark and no Dagster here: the Glue job,
the ECS run task and the code server all import this module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

Preview = list[dict[str, Any]]  # the first rows as text, column -> value


@dataclass(frozen=True, kw_only=True)
class SilverResult:
    """What every Silver build reports."""

    table: ClassVar[str]
    rows: int
    schema: list[list[str]]  # [name, Spark simpleString] of the table as written
    location: str
    preview: Preview
    personal_values: dict[str, int]  # column -> IP/e-mail-looking values found after the write
    quarantined: int
    duplicates_removed: int
    elapsed_seconds: float = 0.0
    glue_run_id: str | None = None  # set by the Glue engine


@dataclass(frozen=True, kw_only=True)
class FactResult(SilverResult):
    """One (dt, media_id) partition of a fact table, built from its Bronze partition."""

    dt: str
    media_id: str
    quarantine_reasons: dict[str, int]
    quarantine_location: str | None
    unknown_fields: dict[str, int]  # field the pipeline does not know -> records carrying it
    out_of_day_share: float  # share of readable records describing another day
    partition_deleted: bool  # no row: the partition was removed, not left as it was
    bronze_rows: int  # lines read
    bronze_manifest_rows: int  # lines the manifest says were written
    bronze_parts: int
    bronze_run_token: str | None


@dataclass(frozen=True)
class ReceivedHistogram:
    """Distinct valid events of a pull per `bucket_minutes` of received_at (UTC), over the days
    `first` (inclusive) to `last` (exclusive); `earlier` and `later` count those outside."""

    bucket_minutes: int
    first: str
    last: str
    earlier: int
    later: int
    counts: dict[str, int]  # "YYYY-MM-DDTHH:MMZ" -> events


@dataclass(frozen=True, kw_only=True)
class FactEventsResult(FactResult):
    table: ClassVar[str] = "fact_events"
    distinct_event_keys: int  # of the file as written
    out_of_day: int  # rows of the written file received on another UTC day (must be 0)
    # Lines (and distinct events) of other UTC days in the pull: their own day's build keeps
    # them; not quarantined, not lost.
    routed_away: int
    routed_away_events: int
    bronze_events: int  # distinct valid events of the pull, any day
    neighbours_checked: bool  # dt-1 or dt+1 of the media existed: the neighbour guard ran
    received_histogram: ReceivedHistogram
    min_received_at: str | None
    max_received_at: str | None


@dataclass(frozen=True, kw_only=True)
class FactMediaByDateResult(FactResult):
    table: ClassVar[str] = "fact_media_by_date"
    zero_filled: bool  # a pulled day without records: one row of zeros
    load_count: int
    play_count: int
    hours_watched: float


@dataclass(frozen=True, kw_only=True)
class DimMediaResult(SilverResult):
    table: ClassVar[str] = "dim_media"
    distinct_media_ids: int
    snapshot_media: list[str]  # media whose row this run updated
    channels: dict[str, str]
    media_ids: list[str]
    unknown_channel_media_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class MediaDailyResult:
    table: ClassVar[str] = "media_daily"
    first: str
    last: str
    rows: int
    missing: dict[str, list[str]]  # day -> media without a built day
    schema: list[list[str]]
    location: str
    elapsed_seconds: float = 0.0
    glue_run_id: str | None = None

    @property
    def days(self) -> str:
        return f"{self.first}..{self.last}"


@dataclass(frozen=True, kw_only=True)
class ReportFiguresResult:
    """Every figure of the media report (read by `media_report.figures.ReportFigures`)."""

    table: ClassVar[str] = "media_report"
    first: str
    last: str
    media: list[dict[str, str]]  # media_id, title, channel
    daily: list[dict[str, Any]]  # the Gold rows of the range
    missing: list[list[str]]  # [day, media_id] not built
    totals: dict[str, dict[str, Any]]
    breakdowns: dict[str, dict[str, list[list[Any]]]]
    rows: int
    location: str
    elapsed_seconds: float = 0.0
    glue_run_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ErasedRowsResult:
    """Rows of erased viewers removed from one `fact_events` partition, Silver-side (its Bronze
    partition is gone: `transforms/erase_rows.py`)."""

    table: ClassVar[str] = "fact_events_erase"
    dt: str
    media_id: str
    rows_removed: int
    rows: int  # left in the partition
    partition_deleted: bool  # no row left: the partition was removed
    location: str
    elapsed_seconds: float = 0.0
    glue_run_id: str | None = None


BuildResult = (
    FactEventsResult
    | FactMediaByDateResult
    | DimMediaResult
    | MediaDailyResult
    | ReportFiguresResult
    | ErasedRowsResult
)
_TYPES: dict[str, type] = {
    t.table: t
    for t in (
        FactEventsResult,
        FactMediaByDateResult,
        DimMediaResult,
        MediaDailyResult,
        ReportFiguresResult,
        ErasedRowsResult,
    )
}


ResultT = TypeVar("ResultT", bound=BuildResult)


class ResultMismatch(ValueError):
    """A result this code cannot read: the Glue job runs other code than the Dagster side."""


def to_json(result: BuildResult) -> dict[str, Any]:
    """The result as JSON values, with its table named (how the Glue job sends it)."""
    return {"table": result.table, **dataclasses.asdict(result)}


def from_json(payload: dict[str, Any]) -> BuildResult:
    """The typed result again; a payload of another shape is a deployment mismatch."""
    fields = dict(payload)
    kind = _TYPES.get(str(fields.pop("table", None)))
    if kind is None:
        raise ResultMismatch(f"a build result names no known table: {sorted(payload)}")
    if kind is FactEventsResult and isinstance(fields.get("received_histogram"), dict):
        fields["received_histogram"] = ReceivedHistogram(**fields["received_histogram"])
    try:
        return kind(**fields)
    except TypeError as exc:
        raise ResultMismatch(
            f"the {kind.table} result does not have the fields this code expects ({exc}): the "
            "Glue job runs another release than the Dagster code; deploy both from one commit "
            "(GlueArtifactsCommit = ImageTag)"
        ) from None


def expect(result: BuildResult | FactResult, kind: type[ResultT]) -> ResultT:
    """`result` as the type of the build that was asked for (`expect(self._run(...),
    ReportFiguresResult)` in `GlueEngine.build_report_figures`): a Glue job's result comes back
    as JSON naming its table, and another table's result is a mismatch."""
    if not isinstance(result, kind):
        raise ResultMismatch(
            f"a {kind.table} build returned a {result.table} result: the engine ran another "
            "build than the one asked for"
        )
    return result
