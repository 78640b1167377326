"""fact_events: Bronze event lines -> typed, deduplicated, PII-free Silver rows.

The parsing, routing, deduplication and typing are plain DataFrame -> DataFrame steps; `build`
(at the end) reads, writes and measures one partition, or several in the same Spark jobs, with
them (every frame carries each line's window, `_dt` and `_media`).

Typing (both payload eras of Wistia's documented event object):
- `received_at`: ISO-8601 with or without fractional seconds (`2025-10-17T17:24:53.000Z`,
  `2014-01-27T22:42:53Z`), an offset or none (then UTC) -> UTC timestamp; `event_date` is its UTC
  date.
- `percent_viewed` (number or numeric string): values in [0, 1] are fractions and kept; values in
  (1, 100] are percents from the legacy era (old docs said 0-100) and divided by 100; anything
  else (negative, above 100, NaN, not a number) is quarantined. A missing or null value stays null.
  (A legacy `1` meaning 1 % reads as 100 %: the two eras cannot be told apart at exactly 1.)
- `conversion_type`: int or string -> string, blank -> null. `conversion_data` (object, `{}`
  or `""`) only decides `has_conversion` (some non-blank value in it); its content never leaves.
- `user_agent_details` -> browser, browser_version (text even when sent as a number), platform,
  is_mobile. `visitor_key` and `ip` -> HMAC-SHA256 hex (`pii.keyed_hash`); `embed_url` ->
  scheme + host + path (`pii.clean_url`).
- `payload_era`: `legacy` when the record carries a marker of the old payloads (`received_at`
  without fractional seconds, `conversion_data` as `""`, a percent above 1), else `current`.

Routing: partition `dt=D` holds exactly the events whose `received_at` falls in UTC day D. The
request behind Bronze D may span two account days (`wistia/windows.py`): a line whose
`received_at` parses to another UTC day is *routed away* — neither kept nor quarantined here,
only counted, because it belongs to the neighbouring day whose own request covers it (and whose
build judges it, bad or not). A line that cannot be routed (no parsable `received_at`) is judged
here.

Quarantine (first matching reason wins; the raw line goes to the Bronze zone's quarantine):
`unparsable JSON` (not a JSON object), `record media_id=<B> differs from partition
media_id=<A>` (another media's event; a record without `media_id` belongs to its partition),
`missing event_key`, `unparsable received_at`, `percent_viewed not a number`, `percent_viewed
out of range`, and `event_key already in dt=<other>` (see `mark_kept`).

Which copy of an event is kept (one row per `event_key`), in this order:
1. Only the partition's latest pull is read: a re-pull replaces the Bronze partition (its
   manifest lists that pull's parts), so an older pull's copy never competes.
2. Of that pull's lines of the key, a valid one before a quarantined one; the copy received on
   the partition's own UTC day before one received on another day (the API sent the key twice
   with two times: the day's own copy stays; a key whose only valid copies are of another day
   is routed away, not kept); then the first in Bronze order — part, then line — which is the
   newest page position, since pages are pulled newest-first.
3. Across neighbouring days: when dt-1 or dt+1 of the same media already holds the key in
   Silver, the day written first keeps it and this day quarantines its copy (`event_key already
   in dt=<other>`; `neighbour_guard.py`). Several windows built together are judged as if
   written one after the other, oldest day first.

`mark_kept` decides both on every parsed line at once, so that `build` counts, writes and
quarantines from one cached frame in a few Spark jobs (each job costs ~0.1 s of scheduling
however small the day). `build` is the table's partition build (the shared steps are
`partition_build.PartitionBuild`); its typed result feeds the Silver checks.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_assets.storage.layout import SILVER_FACT_EVENTS
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.transforms.bronze_reader import DT, MEDIA
from wistia_assets.transforms.neighbour_guard import (
    NEIGHBOUR_REASON_PREFIX,
    NeighbourGuard,
    neighbour_day,
    neighbour_days,
    neighbour_reason,
    on_adjacent_days,
)
from wistia_assets.transforms.partition_build import (
    TIMESTAMP_TEXT,
    UNPARSABLE,
    PartitionBuild,
    Windows,
    unknown_fields,
    unparsable_line,
)
from wistia_assets.transforms.pii import clean_host, clean_url, keyed_hash
from wistia_assets.transforms.received_histogram import received_bucket, received_histogram
from wistia_assets.transforms.results import FactEventsResult
from wistia_assets.transforms.schema import (
    BRONZE_EVENT,
    CORRUPT_RECORD,
    EVENT_FIELDS,
    FACT_EVENTS,
    USER_AGENT_DETAILS,
)
from wistia_assets.transforms.summary import summarise
from wistia_assets.transforms.values import blank_to_null, iso_timestamp, text_to_bool, utc_day

MISSING_EVENT_KEY = "missing event_key"
UNPARSABLE_RECEIVED_AT = "unparsable received_at"
PERCENT_NOT_A_NUMBER = "percent_viewed not a number"
PERCENT_OUT_OF_RANGE = "percent_viewed out of range"

_FRACTIONAL_SECONDS = r"T\d{2}:\d{2}:\d{2}\.\d+"

# Preview columns carry no identifier of a person (no hashes, no city, no URL path).
PREVIEW = (
    "event_key",
    "received_at",
    "percent_viewed",
    "embed_host",
    "country",
    "browser",
    "platform",
    "is_mobile",
    "has_conversion",
    "payload_era",
)


def media_mismatch_reason(record_media: Column, partition_media: Column) -> Column:
    return F.concat(
        F.lit("record media_id="),
        record_media,
        F.lit(" differs from partition media_id="),
        partition_media,
    )


def parse_events(lines: DataFrame) -> DataFrame:
    """Parse every line; `reason` is null for a valid record, else why it is quarantined. The
    partition's media is the line's `_media`.

    Keeps the line's origin (`part_index`, `part_key`, `line_no`, `line`), the parsed record
    `rec`, its top-level field names `top_keys`, and helper columns (prefixed `_`).
    """
    rec = F.from_json("line", BRONZE_EVENT, {"columnNameOfCorruptRecord": CORRUPT_RECORD})
    parsed = (
        lines.withColumn("rec", rec)
        # Null for anything but a JSON object (garbage, arrays, scalars, blank lines).
        .withColumn("top_keys", F.json_object_keys("line"))
        .withColumn("_event_key", blank_to_null(F.col("rec.event_key")))
        .withColumn("_record_media", blank_to_null(F.trim(F.col("rec.media_id"))))
        .withColumn("_received_at", iso_timestamp(F.col("rec.received_at")))
        .withColumn("_pv_raw", blank_to_null(F.trim(F.col("rec.percent_viewed"))))
        .withColumn("_pv", F.expr("try_cast(_pv_raw AS DOUBLE)"))
    )
    pv = F.col("_pv")
    reason = (
        F.when(unparsable_line(), F.lit(UNPARSABLE))
        .when(
            F.col("_record_media").isNotNull() & (F.col("_record_media") != F.col(MEDIA)),
            media_mismatch_reason(F.col("_record_media"), F.col(MEDIA)),
        )
        .when(F.col("_event_key").isNull(), F.lit(MISSING_EVENT_KEY))
        .when(F.col("_received_at").isNull(), F.lit(UNPARSABLE_RECEIVED_AT))
        .when(F.col("_pv_raw").isNotNull() & pv.isNull(), F.lit(PERCENT_NOT_A_NUMBER))
        .when(F.isnan(pv) | (pv < 0) | (pv > 100), F.lit(PERCENT_OUT_OF_RANGE))
    )
    return parsed.withColumn("reason", reason)


def mark_first(parsed: DataFrame) -> DataFrame:
    """Add to every parsed line `_elsewhere` (its `received_at` is another UTC day than its
    window's `_dt`: routed away), `_reason_here` (`reason` for a line judged here, null for a
    routed one) and `_first` (the first valid line of its event key in its window, the day's own
    copies first, then Bronze order: part, line)."""
    received = F.col("_received_at")
    elsewhere = received.isNotNull() & (utc_day(received) != F.col(DT))
    valid = F.col("reason").isNull()
    marked = parsed.withColumn("_elsewhere", elsewhere).withColumn(
        "_reason_here", F.when(~F.col("_elsewhere"), F.col("reason"))
    )
    # Valid lines sort before quarantined ones of the same key (false < true), the day's own
    # copies before routed ones, then Bronze order: row 1 of a key is its first valid line when
    # it has one. Quarantined and routed lines stay in the frame (no filter, no union) so one
    # cached frame serves counts, rows and quarantine.
    in_order = Window.partitionBy(DT, MEDIA, "_event_key").orderBy(
        ~valid, "_elsewhere", "part_index", "line_no"
    )
    return marked.withColumn("_first", valid & (F.row_number().over(in_order) == 1))


def candidate() -> Column:
    """A line that becomes a Silver row unless a neighbouring day holds its key."""
    return F.col("_first") & ~F.col("_elsewhere")


def mark_kept(first: DataFrame, neighbour_keys: DataFrame | None) -> DataFrame:
    """Add to every line of a `mark_first` frame `_clash_dt` (for a candidate: the neighbouring
    Silver day that holds its key when its window is written) and `_kept` (a candidate without a
    clash: the line becomes a Silver row).

    Every Silver partition holds only its own UTC day, so the same event never reaches two of
    them through the overlapping requests of neighbouring days. The neighbour guard stays for
    what routing cannot see: the API sending one `event_key` with times on two days, or a
    neighbour built before routing existed. The day written first keeps the key; a later day
    quarantines its copy (`event_key already in dt=<other>`) instead of duplicating it.
    `neighbour_keys` is `_dt, _media, event_key, dt`: the neighbouring day `dt` that holds the
    key when the window (`_dt`, `_media`) is written (`NeighbourGuard.on_disk`, `.keys`).
    """
    if neighbour_keys is None:
        marked = first.withColumn("_clash_dt", F.lit(None).cast("string"))
    else:
        earliest = (
            neighbour_keys.groupBy(DT, MEDIA, "event_key")
            .agg(F.min("dt").alias("_neighbour_dt"))
            .select(
                F.col(DT).alias("_n_dt"),
                F.col(MEDIA).alias("_n_media"),
                F.col("event_key").alias("_neighbour_key"),
                "_neighbour_dt",
            )
        )
        marked = (
            first.join(
                # A sort-merge join, not a broadcast: `first` is already partitioned by the key
                # (the window above), and a broadcast is a Spark job of its own before the
                # query's, which for a day of a few hundred events costs more than the join.
                earliest.hint("merge"),
                (F.col("_event_key") == F.col("_neighbour_key"))
                & (F.col(DT) == F.col("_n_dt"))
                & (F.col(MEDIA) == F.col("_n_media")),
                "left",
            )
            .withColumn("_clash_dt", F.when(candidate(), F.col("_neighbour_dt")))
            .drop("_n_dt", "_n_media", "_neighbour_key", "_neighbour_dt")
        )
    return marked.withColumn("_kept", candidate() & F.col("_clash_dt").isNull())


def _has_conversion(raw: Column) -> Column:
    text = F.trim(raw)
    values = F.map_values(F.from_json(text, "map<string,string>"))
    items = F.from_json(text, T.ArrayType(T.StringType()))
    return (
        F.when(text.isNull() | F.lower(text).isin("", "{}", "[]", "null", "false"), F.lit(False))
        .when(
            text.startswith("{"),
            F.coalesce(F.exists(values, lambda v: v.isNotNull() & (F.trim(v) != "")), F.lit(False)),
        )
        .when(text.startswith("["), F.coalesce(F.size(items) > 0, F.lit(False)))
        .otherwise(F.lit(True))
    )


def to_silver(rows: DataFrame, *, hash_key: bytes) -> DataFrame:
    """Valid, deduplicated parsed rows -> the `fact_events` data columns (contract order)."""
    ua = F.from_json(F.col("rec.user_agent_details"), USER_AGENT_DETAILS)
    pv = F.col("_pv")
    conversion_data = F.col("rec.conversion_data")
    legacy = (
        ~F.col("rec.received_at").rlike(_FRACTIONAL_SECONDS)
        | (conversion_data.isNotNull() & (F.trim(conversion_data) == ""))
        | (pv > 1)
    )
    columns = {
        "event_key": F.col("_event_key"),
        "received_at": F.col("_received_at"),
        "event_date": F.to_date(F.col("_received_at")),
        "visitor_hash": keyed_hash(F.col("rec.visitor_key"), hash_key),
        "ip_hash": keyed_hash(F.col("rec.ip"), hash_key),
        "percent_viewed": F.when(pv <= 1, pv).otherwise(pv / 100),
        "embed_url": clean_url(F.col("rec.embed_url")),
        "embed_host": clean_host(F.col("rec.embed_url")),
        "country": blank_to_null(F.col("rec.country")),
        "region": blank_to_null(F.col("rec.region")),
        "city": blank_to_null(F.col("rec.city")),
        "org": blank_to_null(F.col("rec.org")),
        "browser": blank_to_null(ua["browser"]),
        "browser_version": blank_to_null(F.trim(ua["browser_version"])),
        "platform": blank_to_null(ua["platform"]),
        "is_mobile": text_to_bool(ua["mobile"]),
        "media_name": blank_to_null(F.col("rec.media_name")),
        "conversion_type": blank_to_null(F.trim(F.col("rec.conversion_type"))),
        "has_conversion": _has_conversion(conversion_data),
        "payload_era": F.when(legacy, F.lit("legacy")).otherwise(F.lit("current")),
    }
    return rows.select(
        DT,
        MEDIA,
        *[
            columns[field.name].cast(field.dataType).alias(field.name)
            for field in FACT_EVENTS.fields
        ],
    )


def quarantine_lines(marked: DataFrame) -> DataFrame:
    """`reason, line, part_key, line_no` of the quarantined lines of a `mark_kept` frame: those
    judged here with a `reason`, and first lines whose key a neighbouring day already holds."""
    neighbour = F.concat(F.lit(NEIGHBOUR_REASON_PREFIX), F.col("_clash_dt"))
    here = F.col("_reason_here")
    return marked.where(here.isNotNull() | F.col("_clash_dt").isNotNull()).select(
        DT,
        MEDIA,
        F.coalesce(here, neighbour).alias("reason"),
        "line",
        "part_key",
        F.col("line_no").cast("long"),
    )


def _stats(*, adjacent: bool) -> tuple[list[str], dict[str, Column]]:
    """The aggregates `summarise` computes over the lines of a `mark_kept` frame that are not
    quarantined here (valid lines of the day, and every routed line); with `adjacent`, also the
    candidates whose key is a candidate on an adjacent day of the batch (`on_adjacent_days`)."""
    kept, first, elsewhere = F.col("_kept"), F.col("_first"), F.col("_elsewhere")
    received = F.col("_received_at")
    before, after = neighbour_day(-1), neighbour_day(1)
    columns = ["_first", "_kept", "_clash_dt", "_received_at", "_elsewhere", "reason"]
    extra = {"adjacent": F.count(F.when(F.col("_adjacent"), 1))} if adjacent else {}
    return columns + (["_adjacent"] if adjacent else []), extra | {
        "valid_here": F.count(F.when(F.col("reason").isNull() & ~elsewhere, 1)),
        "deduped": F.count(F.when(first & ~elsewhere, 1)),
        "rows": F.count(F.when(kept, 1)),
        "routed_away": F.count(F.when(elsewhere, 1)),
        "routed_away_events": F.count(F.when(first & elsewhere, 1)),
        "min_received_at": F.date_format(F.min(F.when(kept, received)), TIMESTAMP_TEXT),
        "max_received_at": F.date_format(F.max(F.when(kept, received)), TIMESTAMP_TEXT),
        "clash_before": F.count(F.when(F.col("_clash_dt") == before, 1)),
        "clash_after": F.count(F.when(F.col("_clash_dt") == after, 1)),
    }


def build(
    spark: SparkSession,
    bronze: ObjectStore,
    silver: ObjectStore,
    *,
    windows: Windows,
    hash_key: bytes,
) -> list[FactEventsResult]:
    """Rebuild Silver `fact_events` (day, media_id) for each of `windows` from its Bronze
    partition, all in the same Spark jobs, with the result a build of one window after the other
    (oldest day first) would have; the results in the order of `windows`."""
    with PartitionBuild(
        spark,
        bronze,
        silver,
        dataset="events",
        table_prefix=SILVER_FACT_EVENTS,
        windows=windows,
    ) as build:
        first = mark_first(parse_events(build.lines()))
        guard = NeighbourGuard(spark, silver, build.windows)
        if guard.adjacent:
            first = first.withColumn("_adjacent", on_adjacent_days(candidate()))
        columns, aggregates = _stats(adjacent=guard.adjacent)

        def marked_and_counted(neighbours: DataFrame | None):
            marked = build.cache(mark_kept(first, neighbours))
            return marked, summarise(
                marked,
                unknown_fields(marked, EVENT_FIELDS),
                columns,
                aggregates,
                windows=build.windows,
                reason="_reason_here",
                bucket=received_bucket(),
            )

        # Judged against the files on disk; the rare key the API sent on two adjacent days of
        # the batch is decided one window after the other, and the batch marked again.
        marked, summaries = marked_and_counted(guard.on_disk())
        if any(summaries[w].stats.get("adjacent") for w in build.windows):
            neighbours = guard.keys(marked, F.col("_adjacent"))
            build.release(marked)
            marked, summaries = marked_and_counted(neighbours)
        stats, reasons, rows = {}, {}, {}
        for window in build.windows:
            summary = summaries[window]
            stats[window] = {name: value or 0 for name, value in summary.stats.items()}
            reasons[window] = summary.reasons
            before, after = neighbour_days(window[0])
            for other_dt, count in ((before, "clash_before"), (after, "clash_after")):
                if stats[window][count]:
                    reasons[window][neighbour_reason(other_dt)] = stats[window][count]
            rows[window] = int(stats[window]["rows"])
        written = build.write(
            to_silver(marked.where(F.col("_kept")), hash_key=hash_key),
            rows=rows,
            order_by=["received_at", "event_key"],
            quarantine=quarantine_lines(marked),
            reasons=reasons,
            summaries=summaries,
            preview_columns=PREVIEW,
            # Distinct keys of the file as written, not of the frame before the write: the
            # uniqueness check then vouches for what readers get; and routing must leave no
            # other day in it.
            measure={
                "distinct_event_keys": F.countDistinct("event_key"),
                "out_of_day": F.count(F.when(utc_day(F.col("received_at")) != F.col("dt"), 1)),
            },
        )
        results = []
        for window in build.windows:
            day = window[0]
            summary, counts, measured = summaries[window], stats[window], written[window].measured
            out_of_day = int(measured["out_of_day"] or 0)
            results.append(
                FactEventsResult(
                    **written[window].fields,
                    duplicates_removed=int(counts["valid_here"] - counts["deduped"]),
                    out_of_day_share=round(out_of_day / rows[window], 6) if rows[window] else 0.0,
                    distinct_event_keys=int(measured["distinct_event_keys"] or 0),
                    out_of_day=out_of_day,
                    routed_away=int(counts["routed_away"]),
                    routed_away_events=int(counts["routed_away_events"]),
                    bronze_events=int(counts["deduped"] + counts["routed_away_events"]),
                    neighbours_checked=guard.checked(window, rows),
                    received_histogram=received_histogram(summary.buckets, day),
                    min_received_at=summary.stats["min_received_at"],
                    max_received_at=summary.stats["max_received_at"],
                )
            )
        return results
