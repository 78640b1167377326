"""Schemas: how Bronze records are parsed and what the Silver tables look like.

Bronze schemas type every top-level field as a string on purpose. The API sends the same field
as a number in one era and a string in the other (`percent_viewed`, `conversion_type`), or as an
object in one and `""` in the other (`conversion_data`). Spark's JSON parser keeps the raw JSON
text of numbers, booleans and objects in a StringType field, so nothing is lost at parse time and
one odd field can never null the whole record; the transforms convert each field explicitly.

Silver schemas are the contract the Athena DDL and the checks are written from: names, types and
order must stay as they are.
"""

from __future__ import annotations

from pyspark.sql import types as T

# Re-exported: the personal-data rule is also read where pyspark is not installed (ECS).
from wistia_assets.transforms.personal_columns import FORBIDDEN_SILVER_COLUMNS  # noqa: F401


def _strings(*names: str) -> T.StructType:
    return T.StructType([T.StructField(name, T.StringType()) for name in names])


# Every top-level field of the documented event object (WISTIA_API.md). Anything else in a
# record is reported as an unknown field.
EVENT_FIELDS = (
    "received_at",
    "event_key",
    "visitor_key",
    "embed_url",
    "percent_viewed",
    "ip",
    "org",
    "country",
    "region",
    "city",
    "lat",
    "lon",
    "email",
    "media_id",
    "media_name",
    "media_url",
    "iframe_heatmap_url",
    "thumbnail",
    "conversion_type",
    "conversion_data",
    "user_agent_details",
)
# Named after Spark's default; receives the raw text of a line that is not a JSON object.
CORRUPT_RECORD = "_corrupt_record"
BRONZE_EVENT = _strings(*EVENT_FIELDS, CORRUPT_RECORD)
USER_AGENT_DETAILS = _strings("browser", "browser_version", "platform", "mobile")

MEDIA_BY_DATE_FIELDS = ("date", "load_count", "play_count", "hours_watched")
BRONZE_MEDIA_BY_DATE = _strings(*MEDIA_BY_DATE_FIELDS, CORRUPT_RECORD)

# The media object (`/medias/{id}.json`); nested objects are parsed in a second step.
MEDIA_FIELDS = (
    "id",
    "hashed_id",
    "name",
    "url",
    "type",
    "archived",
    "created",
    "updated",
    "duration",
    "status",
    "thumbnail",
    "project",
    "tags",
)
BRONZE_MEDIA = _strings(*MEDIA_FIELDS, CORRUPT_RECORD)
MEDIA_PROJECT = _strings("id", "name", "hashedId", "hashed_id")
MEDIA_THUMBNAIL = _strings("url")

PARTITION_COLUMNS = ("dt", "media_id")

FACT_EVENTS = T.StructType(
    [
        T.StructField("event_key", T.StringType()),
        T.StructField("received_at", T.TimestampType()),
        T.StructField("event_date", T.DateType()),
        T.StructField("visitor_hash", T.StringType()),
        T.StructField("ip_hash", T.StringType()),
        T.StructField("percent_viewed", T.DoubleType()),
        T.StructField("embed_url", T.StringType()),
        T.StructField("embed_host", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("region", T.StringType()),
        T.StructField("city", T.StringType()),
        T.StructField("org", T.StringType()),
        T.StructField("browser", T.StringType()),
        T.StructField("browser_version", T.StringType()),
        T.StructField("platform", T.StringType()),
        T.StructField("is_mobile", T.BooleanType()),
        T.StructField("media_name", T.StringType()),
        T.StructField("conversion_type", T.StringType()),
        T.StructField("has_conversion", T.BooleanType()),
        T.StructField("payload_era", T.StringType()),
    ]
)

FACT_MEDIA_BY_DATE = T.StructType(
    [
        T.StructField("date", T.DateType()),
        T.StructField("load_count", T.LongType()),
        T.StructField("play_count", T.LongType()),
        T.StructField("hours_watched", T.DoubleType()),
    ]
)

DIM_MEDIA = T.StructType(
    [
        T.StructField("media_id", T.StringType()),
        T.StructField("numeric_id", T.LongType()),
        T.StructField("title", T.StringType()),
        T.StructField("url", T.StringType()),
        T.StructField("channel", T.StringType()),
        T.StructField("created_at", T.TimestampType()),
        T.StructField("updated_at", T.TimestampType()),
        T.StructField("duration_seconds", T.DoubleType()),
        T.StructField("status", T.StringType()),
        T.StructField("media_type", T.StringType()),
        T.StructField("archived", T.BooleanType()),
        T.StructField("project_id", T.LongType()),
        T.StructField("project_name", T.StringType()),
        T.StructField("project_hashed_id", T.StringType()),
        T.StructField("thumbnail_url", T.StringType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("snapshot_loaded_at", T.TimestampType()),
    ]
)

# Quarantined Bronze lines: the raw line stays in the Bronze zone, next to its source.
QUARANTINE = T.StructType(
    [
        T.StructField("reason", T.StringType()),
        T.StructField("line", T.StringType()),
        T.StructField("part_key", T.StringType()),
        T.StructField("line_no", T.LongType()),
    ]
)
