"""`wistia-assets watermark show|set`: what the schedule will catch up from, and the override."""

from __future__ import annotations

import argparse
import logging

from wistia_assets.settings import ConfigError, Settings, parse_date, parse_media_id
from wistia_assets.watermarks.store import WatermarkStore

log = logging.getLogger("wistia_assets.watermark")


def open_store(settings: Settings) -> WatermarkStore:
    from wistia_assets.deployments import resources_for

    return resources_for(settings)["watermarks"].store()


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    store = open_store(settings)
    if args.watermark_command == "show":
        marks = store.all()
        if not marks:
            print("no watermarks yet: nothing has completed a Silver build")
            return 0
        print(f"{'dataset':<15} {'media_id':<34} {'last_date':<11} updated_at")
        for mark in marks:
            print(
                f"{mark.dataset:<15} {mark.media_id:<34} {mark.last_date.isoformat():<11} "
                f"{mark.updated_at}"
            )
        return 0

    media_id = parse_media_id(args.media_id, source="--media-id")
    if media_id not in settings.media_ids:
        raise ConfigError(
            f"--media-id {media_id} is not configured (MEDIA_IDS: {', '.join(settings.media_ids)})"
        )
    day = parse_date(args.date, source="--date")
    before = store.get(args.dataset, media_id)
    if not args.yes:
        raise ConfigError(
            f"this overrides the {args.dataset} watermark of {media_id} "
            f"({before or 'unset'} -> {day}); add --yes to confirm"
        )
    store.override(args.dataset, media_id, day)
    log.warning(
        "watermark override by operator: dataset=%s media_id=%s %s -> %s",
        args.dataset,
        media_id,
        before or "unset",
        day,
    )
    print(f"{args.dataset}/{media_id}: {before or 'unset'} -> {day}")
    return 0
