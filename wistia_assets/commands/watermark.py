"""`wistia-assets watermark show|set`: what the schedule will catch up from, and the override.

A watermark is the last day up to which every day was built. The pipeline moves it one day at a
time, after that day's Silver build passed its blocking checks, so a failing day holds it (and is
requested by every tick). `set` is the operator's override, meaning "every day up to this one is
done": backwards, the next daily tick re-builds every day after it; forwards, past a day that
keeps failing, that day is given up and the watermark moves on from the set day as later days
are built. Days that are still settling (the last two or three) are re-pulled by every tick
whatever the watermark says. It is refused without `--yes`, and the date must be a day the
pipeline could have built, or the day before WISTIA_START_DATE (nothing done yet: the next tick
re-builds from the first day).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from wistia_assets.settings import ConfigError, Settings, parse_date, parse_media_id
from wistia_assets.watermarks.store import DATASETS, WatermarkStore, check_dataset


def open_store(settings: Settings) -> WatermarkStore:
    from wistia_assets.deployments import resources_for

    return resources_for(settings)["watermarks"].store()


def show(settings: Settings, store: WatermarkStore) -> int:
    marks = {(m.dataset, m.media_id): m for m in store.all()}
    # Every configured (dataset, media), set or not, then any left over from removed media.
    keys = [(ds, m) for m in settings.media_ids for ds in DATASETS]
    keys += sorted(k for k in marks if k not in keys)
    print(f"{'dataset':<15} {'media_id':<34} {'last_date':<11} updated_at")
    for dataset, media_id in keys:
        mark = marks.get((dataset, media_id))
        if mark is None:
            print(f"{dataset:<15} {media_id:<34} {'unset':<11} never built (no catch-up yet)")
            continue
        note = "" if media_id in settings.media_ids else "  (media no longer in MEDIA_IDS)"
        print(
            f"{dataset:<15} {media_id:<34} {mark.last_date.isoformat():<11} {mark.updated_at}{note}"
        )
    return 0


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    store = open_store(settings)
    if args.watermark_command == "show":
        return show(settings, store)

    # Validate everything before asking for confirmation: a typo should not cost a second try.
    dataset = check_dataset(args.dataset.strip())
    media_id = parse_media_id(args.media_id, source="--media-id")
    if media_id not in settings.media_ids:
        raise ConfigError(
            f"--media-id {media_id} is not configured (MEDIA_IDS: {', '.join(settings.media_ids)})"
        )
    day = parse_date(args.date, source="--date")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    if day > yesterday:
        # A watermark in the future would stop the catch-up: no run could ever pass it.
        raise ConfigError(f"--date {day} has not ended yet (UTC): the newest day is {yesterday}")
    # `set D` means "done up to D": the day before the first one is "nothing done yet".
    nothing_done = settings.start_date - timedelta(days=1)
    if day < nothing_done:
        raise ConfigError(
            f"--date {day} is before WISTIA_START_DATE={settings.start_date}: "
            f"use {nothing_done} (nothing done yet) to re-build from the first day"
        )
    before = store.get(dataset, media_id)
    if not args.yes:
        raise ConfigError(
            f"this overrides the {dataset} watermark of {media_id} "
            f"({before or 'unset'} -> {day}); add --yes to confirm"
        )
    store.override(dataset, media_id, day)  # the store logs the override as a warning
    after = day + timedelta(days=1)
    if before == day:
        effect = "unchanged"
    elif before is not None and day < before:
        effect = f"moved backwards: the next daily tick re-builds every day from {after}"
    elif before is not None:
        effect = f"moved forwards: days up to {day} are done, no longer caught up"
    else:
        effect = f"the next daily tick catches up from {after}"
    print(f"{dataset}/{media_id}: {before or 'unset'} -> {day} ({effect})")
    return 0
