"""`wistia-assets report [--days N | --from D --to D] [--out FILE]`: the media report on demand.

Materializes the `media_report` asset for the range (in this process, recorded in the Dagster
instance like `run`), which writes the HTML under `reports/wistia/` in the lake (S3 in `aws`);
`--out` also copies it to a file. The report is drawn from the Gold days that exist: days that
were never built show as missing (`wistia-assets run` or `rerun` builds them), days held back by
a failed blocking check of their Silver as held back, with the check's message.
`run` and `rerun` end with the same two steps: the Gold days they touched, then the report.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wistia_assets.orchestration.jobs import GOLD_DAYS_JOB, REPORT_JOB
from wistia_assets.settings import ConfigError, Settings


def build_gold_days(defs, instance, first: date, last: date, quiet: bool, media_ids):
    """media_daily for first..last, one run (one Spark job) per span of days that are not held
    back; returns the outcomes and, for each held day, why (`orchestration/held_back.py`)."""
    from wistia_assets.commands.materialize import execute
    from wistia_assets.orchestration.held_back import held_back, spans

    days = [d.isoformat() for d in _days(first, last)]
    held = held_back(instance, days, media_ids)
    outcomes = [
        execute(
            defs.resolve_job_def(GOLD_DAYS_JOB),
            f"media_daily {a}..{b}" if a != b else f"media_daily {a}",
            instance,
            quiet,
            tags={
                "dagster/asset_partition_range_start": a.isoformat(),
                "dagster/asset_partition_range_end": b.isoformat(),
            },
        )
        for a, b in spans(first, last, held)
    ]
    return outcomes, held


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def build_report(defs, instance, config: dict, quiet: bool):
    from wistia_assets.commands.materialize import execute

    return execute(
        defs.resolve_job_def(REPORT_JOB),
        "media_report",
        instance,
        quiet,
        run_config={"ops": {"media_report": {"config": config}}},
    )


def report_location(outcome) -> str | None:
    return (outcome.metadata.get("media_report") or {}).get("report")


def range_config(args: argparse.Namespace) -> dict[str, Any]:
    given_range = args.first is not None or args.last is not None
    if given_range and args.days is not None:
        raise ConfigError("give either --days or --from/--to, not both")
    if given_range:
        if args.first is None or args.last is None:
            raise ConfigError("--from and --to go together")
        config: dict[str, Any] = {"start": args.first, "end": args.last}
    else:
        config = {"days": 7 if args.days is None else args.days}
    # Refused here, before any run starts, with the same rules the asset applies.
    from wistia_assets.assets.gold import ReportRange, report_range

    report_range(ReportRange(**config))
    return config


def shown(location: str) -> str:
    """A local report as a plain path (what a user pastes into a browser or `open`)."""
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(location).path) if location.startswith("file://") else location


def copy_out(settings: Settings, key: str, out: Path) -> None:
    """Copy the report the asset wrote (its lake key, in the Silver zone) to `out`."""
    from wistia_assets.deployments import deployment_for
    from wistia_assets.storage.objects import store_for_uri

    _, silver_root = deployment_for(settings).lake_roots(settings)
    store = store_for_uri(
        silver_root, endpoint_url=settings.aws_endpoint_url, region=settings.aws_region
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(store.read_bytes(key))


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = range_config(args)
    from wistia_assets.commands.materialize import dagster_instance
    from wistia_assets.definitions import build_defs

    defs = build_defs(settings)
    outcome = build_report(defs, dagster_instance(), config, quiet=True)
    if not outcome.success:
        print(f"error: the media report failed: {outcome.error}")
        return 1
    metadata = outcome.metadata["media_report"]
    print(metadata.get("coverage", ""))
    if args.out:
        out = Path(args.out).expanduser().resolve()
        copy_out(settings, metadata["report_key"], out)
        print(f"report: {out}")
    else:
        print(f"report: {shown(metadata['report'])}")
    return 0
