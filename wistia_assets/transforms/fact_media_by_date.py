"""fact_media_by_date: daily load/play counts and hours watched, one row per (date, media).

- `date` comes as `2026-11-20` or timestamp-ish (`2026-11-20T00:00:00.000Z`,
  `2026-11-20 00:00:00`, `2026-11-20T00:00:00-05:00`): its leading calendar date is the day the
  API meant (the API's day may be account-local, so the offset is not applied).
- Counts arrive as numbers or numeric strings; they must be whole and non-negative, and
  `hours_watched` (in hours) finite and non-negative.
- A pulled window with zero records becomes one row of zeros for `dt`: zero is a fact, while a
  window never pulled has no manifest and fails earlier. A window whose records were all
  quarantined gets no zero row (the API did say something; it just could not be read).

Quarantine reasons: `unparsable JSON`, `unparsable date`, `date <d> outside dt=<dt>` (a row for
another day would duplicate that day's own partition), `invalid load_count`, `invalid
play_count`, `invalid hours_watched`. Duplicate dates keep their first valid occurrence in Bronze
order (`mark_first`). `build` is the table's partition build, of one window or a batch in the
same Spark jobs (the shared steps are `partition_build.PartitionBuild`).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import SILVER_FACT_MEDIA_BY_DATE
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import DT, MEDIA
from wistia_assets.transforms.partition_build import (
    UNPARSABLE,
    PartitionBuild,
    Windows,
    unknown_fields,
    unparsable_line,
)
from wistia_assets.transforms.results import FactMediaByDateResult
from wistia_assets.transforms.schema import (
    BRONZE_MEDIA_BY_DATE,
    CORRUPT_RECORD,
    FACT_MEDIA_BY_DATE,
    MEDIA_BY_DATE_FIELDS,
)
from wistia_assets.transforms.summary import summarise

UNPARSABLE_DATE = "unparsable date"
INVALID = "invalid {field}"
PREVIEW = (*[f.name for f in FACT_MEDIA_BY_DATE.fields], "dt", "media_id")


def outside_day_reason(day: Column, dt: Column) -> Column:
    return F.concat(F.lit("date "), day.cast("string"), F.lit(" outside dt="), dt)


def _number(field: str) -> Column:
    return F.expr(f"try_cast(trim(rec.{field}) AS DOUBLE)")


def _whole_non_negative(value: Column) -> Column:
    return value.isNotNull() & ~F.isnan(value) & (value >= 0) & (value == F.floor(value))


def parse_by_date(lines: DataFrame) -> DataFrame:
    """Every line parsed; `reason` is null for a valid record, else why it is quarantined. The
    window's day is the line's `_dt`."""
    rec = F.from_json("line", BRONZE_MEDIA_BY_DATE, {"columnNameOfCorruptRecord": CORRUPT_RECORD})
    leading_date = F.regexp_extract(F.trim(F.col("rec.date")), r"^(\d{4}-\d{2}-\d{2})", 1)
    parsed = (
        lines.withColumn("rec", rec)
        .withColumn("top_keys", F.json_object_keys("line"))
        .withColumn("_date", F.to_date(F.try_to_timestamp(leading_date, F.lit("yyyy-MM-dd"))))
        .withColumn("_load", _number("load_count"))
        .withColumn("_play", _number("play_count"))
        .withColumn("_hours", _number("hours_watched"))
    )
    hours = F.col("_hours")
    reason = (
        F.when(unparsable_line(), F.lit(UNPARSABLE))
        .when(F.col("_date").isNull(), F.lit(UNPARSABLE_DATE))
        # The day as text (a date literal would be compiled into the query: `values.utc_day`).
        .when(
            F.col("_date").cast("string") != F.col(DT),
            outside_day_reason(F.col("_date"), F.col(DT)),
        )
        .when(~_whole_non_negative(F.col("_load")), F.lit(INVALID.format(field="load_count")))
        .when(~_whole_non_negative(F.col("_play")), F.lit(INVALID.format(field="play_count")))
        .when(
            hours.isNull() | F.isnan(hours) | (hours < 0) | (hours == float("inf")),
            F.lit(INVALID.format(field="hours_watched")),
        )
    )
    return parsed.withColumn("reason", reason)


def mark_first(parsed: DataFrame) -> DataFrame:
    """Add `_first` to every parsed line: the first valid line of its date in Bronze order (part,
    then line). Quarantined lines stay, so one cached frame serves counts, rows and quarantine."""
    valid = F.col("reason").isNull()
    # false < true: valid lines sort before quarantined ones of the same date.
    in_order = Window.partitionBy(DT, MEDIA, "_date").orderBy(~valid, "part_index", "line_no")
    return parsed.withColumn("_first", valid & (F.row_number().over(in_order) == 1))


def to_silver(rows: DataFrame) -> DataFrame:
    return rows.select(
        DT,
        MEDIA,
        F.col("_date").alias("date"),
        F.col("_load").cast("long").alias("load_count"),
        F.col("_play").cast("long").alias("play_count"),
        F.col("_hours").cast("double").alias("hours_watched"),
    )


def zero_days(spark: SparkSession, windows: list[tuple[str, str]]) -> DataFrame:
    """The single all-zero row of each pulled window that returned no records.

    Built with the table's schema, so its file declares the columns nullable like every other
    day's file (constant expressions would be folded into required columns).
    """
    schema = T.StructType(
        [T.StructField(DT, T.StringType()), T.StructField(MEDIA, T.StringType())]
        + FACT_MEDIA_BY_DATE.fields
    )
    return spark.createDataFrame(
        [(dt, media_id, date.fromisoformat(dt), 0, 0, 0.0) for dt, media_id in windows], schema
    )


def quarantine_lines(parsed: DataFrame) -> DataFrame:
    return parsed.where(F.col("reason").isNotNull()).select(
        DT, MEDIA, "reason", "line", "part_key", F.col("line_no").cast("long")
    )


def build(
    spark: SparkSession, bronze: ObjectStore, silver: ObjectStore, *, windows: Windows
) -> list[FactMediaByDateResult]:
    """Rebuild Silver `fact_media_by_date` (day, media_id) for each of `windows` from its
    Bronze partition, all in the same Spark jobs; the results in the order of `windows`."""
    with PartitionBuild(
        spark,
        bronze,
        silver,
        dataset="media_by_date",
        table_prefix=SILVER_FACT_MEDIA_BY_DATE,
        windows=windows,
    ) as build:
        marked = build.cache(mark_first(parse_by_date(build.lines())))
        first = F.col("_first")
        summaries = summarise(
            marked,
            unknown_fields(marked, MEDIA_BY_DATE_FIELDS),
            ["_first", "_load", "_play", "_hours"],
            {
                "rows": F.count(F.when(first, 1)),
                "load_count": F.sum(F.when(first, F.col("_load").cast("long"))),
                "play_count": F.sum(F.when(first, F.col("_play").cast("long"))),
                "hours_watched": F.sum(F.when(first, F.col("_hours").cast("double"))),
            },
            windows=build.windows,
        )
        # A window without a Bronze line gets its row of zeros, known without asking Spark.
        empty = [w for w in build.windows if summaries[w].lines == 0]
        data = to_silver(marked.where(first))
        if empty:
            data = data.unionByName(zero_days(spark, empty))
        totals, rows = {}, {}
        for window in build.windows:
            if window in empty:
                totals[window] = {"rows": 1, "load_count": 0, "play_count": 0, "hours_watched": 0.0}
            else:
                totals[window] = {k: v or 0 for k, v in summaries[window].stats.items()}
            rows[window] = int(totals[window]["rows"])
        written = build.write(
            data,
            rows=rows,
            order_by=["date"],
            quarantine=quarantine_lines(marked),
            reasons={w: summaries[w].reasons for w in build.windows},
            summaries=summaries,
            preview_columns=PREVIEW,
        )
        results = []
        for window in build.windows:
            summary, total = summaries[window], totals[window]
            bronze_rows, valid_rows, reasons = summary.lines, summary.valid, summary.reasons
            out_of_day = sum(n for reason, n in reasons.items() if " outside dt=" in reason)
            typed_rows = valid_rows + out_of_day
            results.append(
                FactMediaByDateResult(
                    **written[window].fields,
                    duplicates_removed=int(valid_rows - (0 if bronze_rows == 0 else rows[window])),
                    # Share of readable records that describe another day than the partition's.
                    out_of_day_share=round(out_of_day / typed_rows, 6) if typed_rows else 0.0,
                    zero_filled=bronze_rows == 0,
                    load_count=int(total["load_count"]),
                    play_count=int(total["play_count"]),
                    hours_watched=float(total["hours_watched"]),
                )
            )
        return results
