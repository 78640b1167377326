"""The media report's figures as the Spark side sent them (`transforms/gold_runner.py`), read
into plain Python: the days, what each day of each media holds (a value, zero, or missing),
the range totals and the breakdowns. No Spark, no Parquet: this runs in the ECS run task."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from wistia_assets.transforms.results import ReportFiguresResult

# The metrics of the summary and of the daily trends: key, label, unit kind.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("loads", "Loads", "count"),
    ("plays", "Plays", "count"),
    ("play_rate", "Play rate (plays / loads)", "share"),
    ("hours_watched", "Hours watched", "hours"),
    ("sessions", "Viewing sessions", "count"),
    ("unique_visitors", "Unique visitors", "count"),
    ("mean_percent_viewed", "Mean share of the video watched", "share"),
    ("watched_25_share", "Watched >= 25 %", "share"),
    ("watched_50_share", "Watched >= 50 %", "share"),
    ("watched_75_share", "Watched >= 75 %", "share"),
    ("watched_95_share", "Watched >= 95 %", "share"),
    ("mobile_share", "Mobile share (device known)", "share"),
)
CHANNEL_NAMES = {"youtube": "YouTube", "facebook": "Facebook", "linkedin": "LinkedIn"}
LABELS = {key: label for key, label, _ in METRICS}
UNITS = {key: unit for key, _, unit in METRICS}


def format_value(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.0f} %"
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{int(value):,}"


@dataclass(frozen=True)
class Media:
    media_id: str
    title: str
    channel: str
    label: str  # legends and tables: its channel when that tells the media apart, else title

    @property
    def name(self) -> str:
        """How a sentence names it: `the YouTube media`, or its title in quotes."""
        return f"the {self.label} media" if self.label != self.title else f"“{self.title}”"


@dataclass
class ReportFigures:
    first: date
    last: date
    media: list[Media]
    daily: dict[tuple[str, str], dict[str, Any]]  # (dt, media_id) -> Gold row
    missing: set[tuple[str, str]]  # (dt, media_id) not built
    totals: dict[str, dict[str, Any]]  # media_id -> range totals
    breakdowns: dict[str, dict[str, list[tuple[str, int]]]]  # media_id -> dimension -> rows
    # day -> why it is held back (a Silver partition of it failed a blocking check): its Gold
    # day is withdrawn, so each of its (day, media) is also in `missing`, but said as held.
    held: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_result(cls, result: ReportFiguresResult) -> ReportFigures:
        return cls.from_json(dataclasses.asdict(result))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportFigures:
        raw: list[dict[str, str]] = data["media"]  # ReportFiguresResult.media
        channels = [m["channel"] for m in raw]
        unique_channels = len(set(channels)) == len(channels) and "unknown" not in channels
        media = [
            Media(
                m["media_id"],
                m["title"],
                m["channel"],
                (
                    CHANNEL_NAMES.get(m["channel"], m["channel"].capitalize())
                    if unique_channels
                    else m["title"]
                ),
            )
            for m in raw
        ]
        return cls(
            first=date.fromisoformat(data["first"]),
            last=date.fromisoformat(data["last"]),
            media=media,
            daily={(r["dt"], r["media_id"]): r for r in data["daily"]},
            missing={(d, m) for d, m in data["missing"]},
            totals=dict(data["totals"]),
            breakdowns={
                m: {dim: [(label, int(n)) for label, n in rows] for dim, rows in dims.items()}
                for m, dims in data["breakdowns"].items()
            },
        )

    @property
    def days(self) -> list[str]:
        n = (self.last - self.first).days + 1
        return [(self.first + timedelta(days=i)).isoformat() for i in range(n)]

    def value(self, day: str, media_id: str, metric: str) -> float | int | None:
        row = self.daily.get((day, media_id))
        return None if row is None else row.get(metric)

    def missing_by_day(self) -> dict[str, list[Media]]:
        """Days not built (held-back days are said apart, see `held`)."""
        out: dict[str, list[Media]] = {}
        for day in self.days:
            if day in self.held:
                continue
            lacking = [m for m in self.media if (day, m.media_id) in self.missing]
            if lacking:
                out[day] = lacking
        return out

    def quiet(self) -> list[tuple[str, Media]]:
        """Built days with no play: shown as zero."""
        return [
            (d, m)
            for d in self.days
            for m in self.media
            if (d, m.media_id) in self.daily and not self.daily[(d, m.media_id)]["plays"]
        ]

    def total(self, media_id: str, metric: str) -> float | int | None:
        return (self.totals.get(media_id) or {}).get(metric)

    def top(self, media_id: str, dimension: str) -> list[tuple[str, int]]:
        return (self.breakdowns.get(media_id) or {}).get(dimension, [])
