"""`wistia-assets retention [--dry-run]`: remove local Bronze older than
WISTIA_BRONZE_RETENTION_DAYS (what the Bronze bucket's lifecycle does in AWS). `run` does the
same before it ingests."""

from __future__ import annotations

import argparse

from wistia_assets.settings import Settings


def apply(settings: Settings, *, dry_run: bool = False, quiet: bool = False) -> int:
    """Removes (or lists) the expired partitions; returns how many. Local lake only: in AWS
    the bucket's lifecycle rule does it."""
    from wistia_assets.deployments import deployment_for, resources_for
    from wistia_assets.erasure.retention import expired, remove_expired

    if not deployment_for(settings).has_local_duckdb:  # buckets, not a lake folder
        if not quiet:
            print("retention: the aws deployment's Bronze bucket expires objects itself")
        return 0
    store = resources_for(settings)["lake"].bronze
    days = settings.bronze_retention_days
    gone = expired(store, days) if dry_run else remove_expired(store, days)
    for item in gone if not quiet else []:
        print(
            f"  {'would remove' if dry_run else 'removed'} {item.partition} "
            f"({item.files} file(s), {item.age_days:.0f} days old)"
        )
    if gone or not quiet:
        verb = "would remove" if dry_run else "removed"
        print(f"retention: {verb} {len(gone)} Bronze partition(s) older than {days} days")
    return len(gone)


def main(args: argparse.Namespace) -> int:
    apply(Settings.from_env(), dry_run=args.dry_run)
    return 0
