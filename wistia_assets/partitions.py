"""The (date × media_id) partitions shared by the Bronze assets and the Silver facts.

Dimension names sort to `date`, `media_id`, so a key reads `2026-11-20|<media_id>`. Days are UTC
days; the last partition is yesterday, because a day window is only worth pulling once it ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dagster import (
    DailyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from wistia_assets.settings import Settings, parse_date, parse_media_id

# Wistia keeps two years of events; older windows can no longer be pulled.
RETENTION_DAYS = 730


def window_partitions(settings: Settings) -> MultiPartitionsDefinition:
    return MultiPartitionsDefinition(
        {
            "date": DailyPartitionsDefinition(
                start_date=settings.start_date.isoformat(), timezone="UTC"
            ),
            "media_id": StaticPartitionsDefinition(list(settings.media_ids)),
        }
    )


@dataclass(frozen=True)
class Window:
    """One partition: a closed UTC day for one media."""

    day: date
    media_id: str

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}|{self.media_id}"

    @classmethod
    def parse(cls, key: str | MultiPartitionKey) -> Window:
        if isinstance(key, MultiPartitionKey):
            dims = key.keys_by_dimension
            return cls(parse_date(dims["date"]), parse_media_id(dims["media_id"]))
        day, sep, media_id = str(key).partition("|")
        if not sep:
            raise ValueError(f"partition key {key!r} must read 'YYYY-MM-DD|<media_id>'")
        return cls(parse_date(day, source="partition date"), parse_media_id(media_id))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
