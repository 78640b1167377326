"""Media report benchmark: the time to build the report for 7 days x 2 media and 90 days x 2 media,
and the size of its HTML.

    .venv/bin/python -m benchmarks.media_report            # 7 and 90 days, ~3-5 minutes
    .venv/bin/python -m benchmarks.media_report --quick    # 7 days only

Silver is written straight from the sandbox's ground truth (the same events, the same visitors,
hashed) in the lake layout, because what is measured is the report, not Silver. Then, in one
process with one local Spark session and a temporary DAGSTER_HOME, as `wistia-assets run` does:
the `media_daily_build` run over the whole range (one Spark job) and the `media_report_build`
run (its figures from Spark, then matplotlib and the HTML). The Spark session is started
before the clock (a daily run has one already). Each size runs twice; the table shows both.
"rest of the run" is the report run's wall time less its Spark figures and its drawing: Dagster
(run start, resources, events), reading dim_media, writing the file.
Exits 1 when a report does not cover the days that were written.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks import machine
from benchmarks.report import table
from benchmarks.sandbox_process import REPO_ROOT

# The newest day a report may cover is yesterday; two days back keeps clear of it.
RANGE_END = datetime.now(UTC).date() - timedelta(days=2)
RANGE_TYPES = {
    "string": "string",
    "timestamp": ("timestamp", "us", "UTC"),
    "date": "date32",
    "double": "float64",
    "boolean": "bool_",
}


def _silver_from_sandbox(lake: Path, first: date, last: date) -> int:
    """Silver partitions of every (day, media) from the sandbox's ground truth; returns rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from wistia_assets.sandbox import DEFAULT_MEDIA, SandboxWistia
    from wistia_assets.settings import SANDBOX_MEDIA_IDS
    from wistia_assets.transforms.schema import FACT_EVENTS

    def arrow(kind: str):
        spec = RANGE_TYPES[kind]
        if isinstance(spec, tuple):
            return pa.timestamp(spec[1], tz=spec[2])
        return getattr(pa, spec)()

    events_schema = pa.schema([(f.name, arrow(f.dataType.simpleString())) for f in FACT_EVENTS])
    sandbox = SandboxWistia(clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    rows = 0
    day = first
    while day <= last:
        for media in SANDBOX_MEDIA_IDS:
            part = f"dt={day}/media_id={media}/part-00000.parquet"
            events = sandbox.ground_truth_events(media, day)
            records = []
            for e in events:
                ua = e.get("user_agent_details") or {}
                at = datetime.fromisoformat(e["received_at"].replace("Z", "+00:00"))
                records.append(
                    {
                        "event_key": e["event_key"],
                        "received_at": at,
                        "event_date": at.date(),
                        "visitor_hash": hashlib.sha256(e["visitor_key"].encode()).hexdigest(),
                        "ip_hash": hashlib.sha256(e["ip"].encode()).hexdigest(),
                        "percent_viewed": float(e["percent_viewed"]),
                        "country": e.get("country") or None,
                        "region": e.get("region") or None,
                        "browser": ua.get("browser"),
                        "platform": ua.get("platform"),
                        "is_mobile": ua.get("mobile"),
                        "media_name": e.get("media_name"),
                        "payload_era": "current" if ua else "legacy",
                    }
                )
            target = lake / "silver/wistia/fact_events" / part
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(records, schema=events_schema), target)
            by_date = sandbox.ground_truth_by_date(media, day)
            target = lake / "silver/wistia/fact_media_by_date" / part
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.Table.from_pylist(
                    [{**by_date, "date": day}],
                    schema=pa.schema(
                        [
                            ("date", pa.date32()),
                            ("load_count", pa.int64()),
                            ("play_count", pa.int64()),
                            ("hours_watched", pa.float64()),
                        ]
                    ),
                ),
                target,
            )
            rows += len(records)
        day += timedelta(days=1)
    dim = lake / "silver/wistia/dim_media/part-00000.parquet"
    dim.parent.mkdir(parents=True, exist_ok=True)
    media = [
        {"media_id": m.hashed_id, "title": m.name, "channel": channel}
        for m, channel in zip(DEFAULT_MEDIA, ("youtube", "facebook"), strict=True)
    ]
    pq.write_table(pa.Table.from_pylist(media), dim)
    return rows


def _measure(days: int, runs: int) -> list[list[object]]:
    from dagster import DagsterInstance

    from wistia_assets.definitions import build_defs
    from wistia_assets.settings import Settings
    from wistia_assets.transforms.session import local_spark_session

    first, last = RANGE_END - timedelta(days=days - 1), RANGE_END
    work = Path(tempfile.mkdtemp(prefix=f"bench-report-{days}-"))
    try:
        lake, home = work / "lake", work / "dagster_home"
        home.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "dagster.local.yaml", home / "dagster.yaml")
        started = time.perf_counter()
        events = _silver_from_sandbox(lake, first, last)
        print(f"  {days} days: {events} Silver events written in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)  # fmt: skip
        os.environ.update(
            WISTIA_LAKE_ROOT=str(lake),
            DAGSTER_HOME=str(home),
            WISTIA_START_DATE=(first - timedelta(days=1)).isoformat(),
        )
        local_spark_session()  # a daily run has its session already
        defs = build_defs(Settings.from_env())
        instance = DagsterInstance.get()
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        out = []
        for attempt in range(1, runs + 1):
            t0 = time.perf_counter()
            daily = defs.resolve_job_def("media_daily_build").execute_in_process(
                instance=instance,
                run_config=quiet,
                tags={
                    "dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat(),
                },
            )
            t1 = time.perf_counter()
            report = defs.resolve_job_def("media_report_build").execute_in_process(
                instance=instance,
                run_config={
                    **quiet,
                    "ops": {
                        "media_report": {
                            "config": {"start": first.isoformat(), "end": last.isoformat()}
                        }
                    },
                },
            )
            t2 = time.perf_counter()
            if not (daily.success and report.success):
                raise SystemExit(f"{days} days: a run failed")
            (meta,) = [
                e.event_specific_data.materialization.metadata
                for e in report.get_asset_materialization_events()
            ]
            if f"{days} of {days} days built" not in meta["coverage"].value:
                print(f"coverage wrong: {meta['coverage'].value}", file=sys.stderr)
                raise SystemExit(1)
            figures_s = float(meta["figures_seconds"].value)
            render_s = float(meta["render_seconds"].value)
            out.append(
                [
                    f"{days} days x 2 media",
                    attempt,
                    events,
                    f"{t1 - t0:.1f}",
                    f"{figures_s:.1f}",
                    f"{render_s:.1f}",
                    f"{(t2 - t1) - figures_s - render_s:.1f}",
                    f"{t2 - t1:.1f}",
                    f"{t2 - t0:.1f}",
                    f"{int(meta['html_bytes'].value) / 1024:.0f} KiB",
                ]
            )
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.media_report", description=__doc__)
    p.add_argument("--quick", action="store_true", help="7 days only, one run")
    args = p.parse_args(argv)
    sizes = (7,) if args.quick else (7, 90)
    rows = []
    for days in sizes:
        rows += _measure(days, 1 if args.quick else 2)
    print(f"Machine: {machine.describe()}; load {machine.load()}\n")
    print(
        table(
            [
                "range",
                "run",
                "Silver events",
                "media_daily s",
                "report figures s (Spark)",
                "charts + HTML s",
                "rest of the run s",
                "media_report s",
                "total s",
                "HTML",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
