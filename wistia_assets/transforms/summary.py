"""Counting marked partitions (one or a batch) in one Spark action: lines by quarantine reason,
records by unknown field, the table's own aggregates over the valid lines, and an optional
histogram, by window.

Each Spark job costs ~0.1 s of scheduling however small the day, so a partition build asks all
of its questions of the cached frame at once (`summarise`) instead of one count per question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from wistia_assets.transforms.bronze_reader import DT, MEDIA


@dataclass
class Summary:
    lines: int  # every Bronze line read
    valid: int  # lines without a quarantine reason
    reasons: dict[str, int]  # reason -> lines
    unknown: dict[str, int]  # unknown top-level field -> records
    stats: dict[str, Any]  # the caller's aggregates over the valid lines (None: no valid line)
    buckets: dict[str, int]  # bucket -> valid lines (see `summarise`'s `bucket`)


def _combine(name: str, values: list[Any]) -> Any:
    """One stat from its values over several groups: `min_*`/`max_*` by min/max, else a sum."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if name.startswith("min_"):
        return min(present)
    if name.startswith("max_"):
        return max(present)
    return sum(present)


def summarise(
    marked: DataFrame,
    unknown: DataFrame,
    columns: list[str],
    stats: dict[str, Column],
    *,
    windows: list[tuple[str, str]],
    reason: str = "reason",
    bucket: Column | None = None,
) -> dict[tuple[str, str], Summary]:
    """For each (dt, media_id) window of a batch build (`_dt, _media` in both frames): count
    lines by quarantine reason (the `reason` column), records by unknown field, and the caller's
    `stats` (aggregates over `columns` of `marked`) of the lines without a reason, all in one
    Spark action. `bucket` (a string, null for most lines) splits the valid lines' group
    further and counts each value: a histogram without another job. The stats of the pieces
    are then combined by `_combine` (so a stat is a count or sum, or named `min_*`/`max_*`).
    A window without a line gets an empty summary."""
    types = dict(marked.select(*columns).dtypes)
    key = (bucket if bucket is not None else F.lit(None)).cast("string").alias("bucket")
    window = [F.col(DT), F.col(MEDIA)]
    lines = marked.select(
        *window, F.lit("reason").alias("kind"), F.col(reason).alias("name"), key, *columns
    )
    fields = unknown.select(
        *window,
        F.lit("field").alias("kind"),
        F.col("field").alias("name"),
        F.lit(None).cast("string").alias("bucket"),
        *[F.lit(None).cast(types[c]).alias(c) for c in columns],
    )
    counted = (
        lines.unionByName(fields)
        .groupBy(DT, MEDIA, "kind", "name", "bucket")
        .agg(F.count("*").alias("n"), *[column.alias(name) for name, column in stats.items()])
        .collect()
    )
    summaries = {w: Summary(0, 0, {}, {}, dict.fromkeys(stats), {}) for w in windows}
    pieces = {w: {name: [] for name in stats} for w in windows}
    for row in counted:
        w = (row[DT], row[MEDIA])
        summary = summaries[w]
        if row["kind"] == "field":
            summary.unknown[row["name"]] = row["n"]
        elif row["name"] is None:
            summary.valid += row["n"]
            for name in stats:
                pieces[w][name].append(row[name])
            if row["bucket"] is not None:
                summary.buckets[row["bucket"]] = row["n"]
        else:
            summary.reasons[row["name"]] = summary.reasons.get(row["name"], 0) + row["n"]
    for w, summary in summaries.items():
        if summary.valid:
            summary.stats = {name: _combine(name, values) for name, values in pieces[w].items()}
        summary.lines = summary.valid + sum(summary.reasons.values())
    return summaries
