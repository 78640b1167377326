"""The local driver JVM's options, side by side: its compilers and the class archive.

    .venv/bin/python -m benchmarks.spark_jvm              # 8 days, 2 rounds, ~6 minutes
    .venv/bin/python -m benchmarks.spark_jvm --days 3 --rounds 1

Each variant runs in a fresh process (a JVM's options are fixed at its start): it starts a local
session with the project's configuration and that variant's `spark.driver.extraJavaOptions`,
then builds `fact_media_by_date` and `fact_events` for each of `--days` sandbox days of one
media (~300 events a day, as a real account's), in day order, from a copy of the same Bronze.
It prints the session start, the first (cold) day's two builds, the median of the later days
(warm), and what a run of N windows would take (cold + (N - 1) x warm), for the N where the
variants meet: `transforms/session.py`'s `MANY_BUILDS` comes from here. Every variant must
write the same fact_events rows (a digest of them is compared), or the harness exits 1.
Variants alternate round by round, so a change of the machine's load falls on all of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks import machine

DAY0 = date(2026, 11, 1)
ARCHIVE_QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")


def variants(archive: Path) -> dict[str, str]:
    shared = f"-XX:SharedArchiveFile={archive} " + " ".join(ARCHIVE_QUIET)
    return {
        "both compilers (JVM default)": "",
        "both compilers + class archive": shared,
        "C1 only + class archive": f"-XX:TieredStopAtLevel=1 {shared}",
    }


def probe(bronze: Path, options: str, days: int, media_id: str) -> dict:
    """In this (fresh) process: start the session with `options`, build the days."""
    from wistia_assets.transforms.runner import run_partition
    from wistia_assets.transforms.session import local_spark_conf, start_session

    work = Path(tempfile.mkdtemp()) / "lake"
    shutil.copytree(bronze, work)
    started = time.monotonic()
    spark = start_session({**local_spark_conf(), "spark.driver.extraJavaOptions": options})
    start = time.monotonic() - started
    pairs = []
    for i in range(days):
        day, began = (DAY0 + timedelta(days=i)).isoformat(), time.monotonic()
        for table in ("fact_media_by_date", "fact_events"):
            run_partition(
                spark,
                table=table,
                dt=day,
                media_id=media_id,
                bronze_root=work.as_uri(),
                silver_root=work.as_uri(),
                hash_key=b"benchmark-hash-key-not-a-secret" if table == "fact_events" else None,
            )
        pairs.append(time.monotonic() - began)
    rows = spark.read.parquet(str(work / "silver/wistia/fact_events")).collect()
    digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:16]
    shutil.rmtree(work.parent, ignore_errors=True)
    return {
        "start": start,
        "cold": pairs[0],
        "warm": statistics.median(pairs[1:]),
        "digest": digest,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--days", type=int, default=8, help="days built per variant (8)")
    p.add_argument("--rounds", type=int, default=2, help="runs of each variant (2)")
    p.add_argument("--probe", nargs=3, help=argparse.SUPPRESS)  # bronze, options, media_id
    args = p.parse_args(argv)
    if args.probe:
        bronze, options, media_id = args.probe
        print(json.dumps(probe(Path(bronze), options, args.days, media_id)))
        return 0
    if args.days < 2:
        p.error("--days must be at least 2 (one cold day, then warm ones)")
    from benchmarks.bronze_days import write_bronze_days
    from wistia_assets.transforms.session import CLASS_ARCHIVE

    if not CLASS_ARCHIVE.is_file():
        print(f"error: {CLASS_ARCHIVE} is missing: `make` writes it", file=sys.stderr)
        return 2
    print(machine.describe())
    with tempfile.TemporaryDirectory() as scratch:
        bronze = Path(scratch) / "lake"
        days = tuple(DAY0 + timedelta(days=i) for i in range(args.days))
        media_id = write_bronze_days(bronze, "250-350", days, media_by_date=True)[0].media_id
        results: dict[str, list[dict]] = {name: [] for name in variants(CLASS_ARCHIVE)}
        for _ in range(args.rounds):
            for name, options in variants(CLASS_ARCHIVE).items():
                out = subprocess.run(  # noqa: S603 - this interpreter, this module
                    [sys.executable, "-m", "benchmarks.spark_jvm", "--days", str(args.days)]
                    + ["--probe", str(bronze), options, media_id],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"  {name}: {results[name][-1]}", flush=True)
    medians = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("start", "cold", "warm")}
        for name, runs in results.items()
    }
    print(f"\n{args.days} days x 1 media, {args.rounds} round(s), medians (seconds):\n")
    print(
        "| variant | session start | first day (both tables) | later days, median "
        "| 2 windows | 14 windows |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, m in medians.items():
        run = {n: m["start"] + m["cold"] + (n - 1) * m["warm"] for n in (2, 14)}
        print(
            f"| {name} | {m['start']:.2f} | {m['cold']:.2f} | {m['warm']:.2f} | "
            f"{run[2]:.1f} | {run[14]:.1f} |"
        )
    c1, c2 = medians["C1 only + class archive"], medians["both compilers + class archive"]
    gain, loss = (c2["start"] + c2["cold"]) - (c1["start"] + c1["cold"]), c1["warm"] - c2["warm"]
    if loss > 0:
        print(
            f"\nC1 only pays up to {1 + gain / loss:.1f} windows "
            f"(gain {gain:.2f} s, loss {loss:.2f} s a later day)"
        )
    digests = {r["digest"] for runs in results.values() for r in runs}
    if len(digests) != 1:
        print(f"error: the variants wrote different fact_events rows: {digests}", file=sys.stderr)
        return 1
    print("Every variant wrote the same fact_events rows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
