"""The pipeline model: which deployment, which media, from when, on which tick, and how the
account's days and windows read (both undocumented by Wistia: `wistia-assets doctor` measures
them, see wistia/windows.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from wistia_assets.settings import values
from wistia_assets.settings.declaration import setting

DEPLOYMENTS = ("local", "aws")
# Two media the built-in sandbox serves when no token and no MEDIA_IDS are configured. Their names
# end in the channel abbreviations the dim_media fallback understands (`YT`, `FB`).
SANDBOX_MEDIA_IDS = ("sbx1yt7k2q", "sbx2fb9m4w")
DEFAULT_START_DATE = "2026-01-01"
# How Wistia's events endpoint reads (start_date, end_date): undocumented, so a setting that
# `wistia-assets doctor` checks (see wistia/windows.py). `inclusive` is the assumption.
WINDOW_SEMANTICS = ("inclusive", "end-exclusive", "start-exclusive", "exclusive")


@dataclass(frozen=True)
class PipelineSettings:
    deployment: str = setting(
        "DAGSTER_DEPLOYMENT",
        default="local",
        parse=values.choice(DEPLOYMENTS),
        help="`local` (folder, SQLite, local Spark, DuckDB) or `aws` (S3, DynamoDB, Glue, Athena)",
    )
    media_ids: tuple[str, ...] = setting(
        "MEDIA_IDS",
        parse=values.media_ids,
        unset=SANDBOX_MEDIA_IDS,
        documented_default="the two sandbox media",
        help="comma-separated Wistia hashed media ids; required when a token is set",
    )
    channels: dict[str, str] = setting(
        "MEDIA_CHANNELS",
        parse=values.channels,
        unset_factory=dict,
        help="`id:youtube,id2:facebook`; else derived from the media name or `unknown`",
    )
    start_date: date = setting(
        "WISTIA_START_DATE",
        default=DEFAULT_START_DATE,
        parse=values.day,
        help="first daily partition, `YYYY-MM-DD`",
    )
    schedule_cron: str = setting(
        "WISTIA_SCHEDULE_CRON", default="15 2 * * *", help="the daily tick (UTC)"
    )
    account_timezone: ZoneInfo = setting(
        "WISTIA_ACCOUNT_TIMEZONE",
        default="UTC",
        parse=values.timezone,
        help="IANA name of the zone where the Wistia account's days start",
    )
    events_window: str = setting(
        "WISTIA_EVENTS_WINDOW",
        default="inclusive",
        parse=values.choice(WINDOW_SEMANTICS),
        help="how the events endpoint reads `start_date`/`end_date`",
    )
