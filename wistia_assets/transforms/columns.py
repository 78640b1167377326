"""Every column of every Silver and Gold table: name, type and what it means.

The one declaration the rest is built from: `schema.py` turns it into Spark types, the assets
into the column schema the Dagster UI shows, and a test proves that the Athena DDL
(`deploy/athena/*.sql`) and the Glue tables (`deploy/cloudformation/data.yaml`) carry the same
names, types and comments (`catalog/ddl.py` renders both forms; the test prints what to paste).

No pyspark here: the ECS image, which has no Spark, builds the UI's column schema from it.
Types are Hive/Athena type names, which are also Spark's `simpleString()` of the same type.
A description says what the column is, its unit, and where it comes from, in at most 255
characters (Glue's limit for a column comment) and without a single quote (DDL string literal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, bigint, double, boolean, date, timestamp, array<string>
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    partition_columns: tuple[Column, ...] = ()

    def column(self, name: str) -> Column:
        for column in (*self.columns, *self.partition_columns):
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


DT = Column(
    "dt",
    "string",
    "Partition: the UTC day (YYYY-MM-DD) whose Wistia window the row was pulled for.",
)
MEDIA_ID_PARTITION = Column(
    "media_id",
    "string",
    "Partition: the Wistia hashed media id (MEDIA_IDS) whose window the row was pulled for.",
)
WINDOW_PARTITIONS = (DT, MEDIA_ID_PARTITION)

FACT_EVENTS = Table(
    "fact_events",
    (
        Column(
            "event_key",
            "string",
            "The Wistia id of the viewing event (event_key); unique across the table.",
        ),
        Column(
            "received_at",
            "timestamp",
            "When Wistia received the event, UTC (received_at, with or without milliseconds).",
        ),
        Column("event_date", "date", "The UTC date of received_at."),
        Column(
            "visitor_hash",
            "string",
            "HMAC-SHA256 (hex) of Wistia visitor_key with the secret hash key: counts "
            "distinct visitors without the raw id.",
        ),
        Column(
            "ip_hash",
            "string",
            "HMAC-SHA256 (hex) of the viewer IP address with the secret hash key; the IP "
            "itself is dropped.",
        ),
        Column(
            "percent_viewed",
            "double",
            "Share of the video this session watched, 0-1 (percent_viewed from Wistia; legacy "
            "values in percent are divided by 100).",
        ),
        Column(
            "embed_url",
            "string",
            "Page the video was embedded on (scheme, host and path; the query string, which "
            "can hold personal data, is removed).",
        ),
        Column("embed_host", "string", "Host name of embed_url, lower case."),
        Column(
            "country",
            "string",
            "Country of the viewer as Wistia geolocates the IP, ISO 3166 alpha-2 (US); null when "
            "unknown.",
        ),
        Column(
            "region",
            "string",
            "Region of the viewer as Wistia sent it: a name (Florida) in current payloads, a code "
            "(FL) in legacy ones; null when unknown.",
        ),
        Column(
            "city", "string", "City of the viewer as Wistia geolocates the IP; null when unknown."
        ),
        Column("org", "string", "Network operator of the viewer IP (org from Wistia)."),
        Column(
            "browser",
            "string",
            "Browser name from user_agent_details; null in legacy payloads, which have none.",
        ),
        Column("browser_version", "string", "Browser version from user_agent_details (text)."),
        Column("platform", "string", "Operating system from user_agent_details (iOS, Windows)."),
        Column(
            "is_mobile",
            "boolean",
            "True on a mobile device (user_agent_details.mobile); null when the payload does not "
            "say.",
        ),
        Column("media_name", "string", "The media name as the event carried it."),
        Column(
            "conversion_type",
            "string",
            "Wistia conversion_type as text (an int in legacy payloads); null when blank.",
        ),
        Column(
            "has_conversion",
            "boolean",
            "True when the event carried conversion data (e.g. an e-mail gate was filled); the "
            "data itself is dropped.",
        ),
        Column(
            "payload_era",
            "string",
            "legacy or current: which Wistia payload shape the record had.",
        ),
    ),
    WINDOW_PARTITIONS,
)

FACT_MEDIA_BY_DATE = Table(
    "fact_media_by_date",
    (
        Column("date", "date", "The day the Wistia by_date stats describe (by_date.date)."),
        Column(
            "load_count",
            "bigint",
            "Times the player loaded on a page that day (by_date.load_count); 0 on a quiet day.",
        ),
        Column(
            "play_count",
            "bigint",
            "Times the video was played that day (by_date.play_count); 0 on a quiet day.",
        ),
        Column(
            "hours_watched",
            "double",
            "Hours of video watched that day, as Wistia derives it (by_date.hours_watched).",
        ),
    ),
    WINDOW_PARTITIONS,
)

DIM_MEDIA = Table(
    "dim_media",
    (
        Column("media_id", "string", "Wistia hashed media id (hashed_id); one row each."),
        Column("numeric_id", "bigint", "Wistia numeric media id (id)."),
        Column("title", "string", "The media name in Wistia (name)."),
        Column("url", "string", "The media page in Wistia (https://home.wistia.com/medias/...)."),
        Column(
            "channel",
            "string",
            "Marketing channel: MEDIA_CHANNELS, else derived from the name (YT -> youtube, "
            "FB -> facebook), else unknown.",
        ),
        Column("created_at", "timestamp", "When the media was created in Wistia, UTC (created)."),
        Column("updated_at", "timestamp", "When the media was last updated in Wistia, UTC."),
        Column("duration_seconds", "double", "Length of the video in seconds (duration)."),
        Column("status", "string", "Wistia processing status (ready, queued, failed, ...)."),
        Column("media_type", "string", "Wistia media type (Video, Audio, ...)."),
        Column("archived", "boolean", "True when the media is archived in Wistia."),
        Column("project_id", "bigint", "Numeric id of the Wistia project holding the media."),
        Column("project_name", "string", "Name of the Wistia project holding the media."),
        Column("project_hashed_id", "string", "Hashed id of the Wistia project."),
        Column(
            "thumbnail_url",
            "string",
            "The media thumbnail image URL (without query string).",
        ),
        Column("tags", "array<string>", "The media tag names in Wistia."),
        Column(
            "snapshot_loaded_at",
            "timestamp",
            "When the metadata snapshot this row comes from was pulled, UTC (Bronze load_ts).",
        ),
    ),
)

MEDIA_DAILY = Table(
    "media_daily",
    (
        Column("media_id", "string", "Wistia hashed media id (dim_media.media_id)."),
        Column(
            "loads",
            "bigint",
            "Player loads that day: fact_media_by_date.load_count.",
        ),
        Column(
            "plays",
            "bigint",
            "Plays that day: fact_media_by_date.play_count.",
        ),
        Column(
            "play_rate",
            "double",
            "plays / loads, 0-1; null when there was no load.",
        ),
        Column(
            "hours_watched",
            "double",
            "Hours watched that day: fact_media_by_date.hours_watched.",
        ),
        Column(
            "sessions",
            "bigint",
            "Viewing sessions that day: rows of fact_events (one event is one session).",
        ),
        Column(
            "unique_visitors",
            "bigint",
            "Distinct visitors that day: count(DISTINCT fact_events.visitor_hash).",
        ),
        Column(
            "mean_percent_viewed",
            "double",
            "Mean share of the video watched per session, 0-1: avg(fact_events.percent_viewed); "
            "null without sessions.",
        ),
        Column(
            "watched_25_share",
            "double",
            "Share of sessions with percent_viewed >= 0.25, 0-1; null without sessions.",
        ),
        Column(
            "watched_50_share",
            "double",
            "Share of sessions with percent_viewed >= 0.50, 0-1; null without sessions.",
        ),
        Column(
            "watched_75_share",
            "double",
            "Share of sessions with percent_viewed >= 0.75, 0-1; null without sessions.",
        ),
        Column(
            "watched_95_share",
            "double",
            "Share of sessions with percent_viewed >= 0.95, 0-1; null without sessions.",
        ),
        Column(
            "mobile_share",
            "double",
            "Share of sessions on a mobile device among those whose device is known "
            "(fact_events.is_mobile not null), 0-1; null when none is known.",
        ),
        Column(
            "device_known_sessions",
            "bigint",
            "Sessions whose device is known (fact_events.is_mobile not null): the base of "
            "mobile_share.",
        ),
    ),
    (
        Column(
            "dt",
            "string",
            "Partition: the UTC day (YYYY-MM-DD) of the Silver partitions the row summarises.",
        ),
    ),
)

_EVENTS, _BY_DATE = "fact_events", "fact_media_by_date"
# Each media_daily column's Silver sources (table, column), as `gold.py`'s metrics compute them:
# the Gold table's column lineage in the catalog (`assets/catalog_metadata.py`). Beside the
# columns, not in gold.py: the catalog is read where pyspark is not installed (the ECS image).
MEDIA_DAILY_SOURCES: dict[str, list[tuple[str, str]]] = {
    "media_id": [(_BY_DATE, "media_id"), (_EVENTS, "media_id")],
    "loads": [(_BY_DATE, "load_count")],
    "plays": [(_BY_DATE, "play_count")],
    "play_rate": [(_BY_DATE, "load_count"), (_BY_DATE, "play_count")],
    "hours_watched": [(_BY_DATE, "hours_watched")],
    "sessions": [(_EVENTS, "event_key")],
    "unique_visitors": [(_EVENTS, "visitor_hash")],
    "mean_percent_viewed": [(_EVENTS, "percent_viewed")],
    **{f"watched_{t}_share": [(_EVENTS, "percent_viewed")] for t in (25, 50, 75, 95)},
    "mobile_share": [(_EVENTS, "is_mobile")],
    "device_known_sessions": [(_EVENTS, "is_mobile")],
}


SILVER_TABLES = {t.name: t for t in (FACT_EVENTS, FACT_MEDIA_BY_DATE, DIM_MEDIA)}
GOLD_TABLES = {MEDIA_DAILY.name: MEDIA_DAILY}
TABLES = {**SILVER_TABLES, **GOLD_TABLES}
