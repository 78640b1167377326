"""Small column conversions shared by the Silver transforms (text in, typed value out)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# ISO-8601 with an optional fraction of 1-9 digits and an optional offset (`Z`, `+00:00`);
# without an offset the session time zone applies, which the Silver conf pins to UTC.
ISO_TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS][XXX]"


def blank_to_null(column: Column) -> Column:
    return F.when(F.trim(column) != "", column)


def text_to_bool(column: Column) -> Column:
    """`true/false`, `1/0`, `yes/no` in any case -> boolean; anything else -> null."""
    text = F.lower(F.trim(column))
    return F.when(text.isin("true", "1", "yes"), F.lit(True)).when(
        text.isin("false", "0", "no"), F.lit(False)
    )


def iso_timestamp(column: Column) -> Column:
    return F.try_to_timestamp(F.trim(column), F.lit(ISO_TIMESTAMP))


def utc_day(timestamp: Column) -> Column:
    """The UTC day of `timestamp` as `YYYY-MM-DD` text (the Silver conf pins the session time
    zone to UTC), to compare with a day given as text.

    Why not `to_date(ts)` against `to_date(lit(day))`: Spark writes a date or timestamp literal
    into the Java code it generates for a query, so each partition's plans were new code,
    compiled again (8 classes a window). A text literal is passed to that code by reference:
    every day's build reuses the classes the first one compiled."""
    return F.date_format(timestamp, "yyyy-MM-dd")


def shifted_day(day: Column, days: int) -> Column:
    """`day` (`YYYY-MM-DD` text) moved by `days`, as text: a window's neighbouring days."""
    return F.date_format(F.date_add(F.to_date(day), days), "yyyy-MM-dd")
