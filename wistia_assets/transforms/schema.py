"""Schemas: how Bronze records are parsed and what the Silver tables look like.

Bronze schemas type every top-level field as a string on purpose. The API sends the same field
as a number in one era and a string in the other (`percent_viewed`, `conversion_type`), or as an
object in one and `""` in the other (`conversion_data`). Spark's JSON parser keeps the raw JSON
text of numbers, booleans and objects in a StringType field, so nothing is lost at parse time and
one odd field can never null the whole record; the transforms convert each field explicitly.

Silver (and Gold) schemas are built from `columns.py`, the declaration the Athena DDL, the Glue
tables and the UI's column descriptions are proven against: names, types and order must stay as
they are.
"""

from __future__ import annotations

from pyspark.sql import types as T

from wistia_assets.transforms import columns

# Re-exported: the personal-data rule is also read where pyspark is not installed (ECS).
from wistia_assets.transforms.personal_columns import FORBIDDEN_SILVER_COLUMNS  # noqa: F401


def _strings(*names: str) -> T.StructType:
    return T.StructType([T.StructField(name, T.StringType()) for name in names])


# Every top-level field of the event object Wistia's Stats API v1 documents. Anything else in
# a record is reported as an unknown field.
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

# The Silver tables' data columns, in contract order, from their declaration (columns.py).
_SPARK_TYPES = {
    "string": T.StringType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "array<string>": T.ArrayType(T.StringType()),
}


def spark_schema(table: columns.Table) -> T.StructType:
    """The data columns of `table` as Spark types. Descriptions stay out of the fields'
    metadata: Spark would write them into some files' footers and not others'."""
    return T.StructType([T.StructField(c.name, _SPARK_TYPES[c.type]) for c in table.columns])


FACT_EVENTS = spark_schema(columns.FACT_EVENTS)
FACT_MEDIA_BY_DATE = spark_schema(columns.FACT_MEDIA_BY_DATE)
DIM_MEDIA = spark_schema(columns.DIM_MEDIA)
MEDIA_DAILY = spark_schema(columns.MEDIA_DAILY)
