"""Write the local Spark driver's class-data-sharing archive (`make` runs it after installing).

A JVM starting Spark reads ~15,000 classes out of ~250 jars before the first Silver build can
run. With a dynamic CDS archive (JDK 13+) it maps them, already parsed and verified, from one
file: the session starts ~1.3 s sooner and the first build ~3 s sooner (docs/BENCHMARKS.md,
"Class-data sharing"), in every process that starts Spark (`make run`, `rerun`, `erase`, `dagster
dev`'s runs, the test suite's CLI runs).

The archive holds what a real build loads, so it is made by one: a local session started with
`-XX:ArchiveClassesAtExit` builds two sandbox days of both facts (the second day reads its
neighbour) in a temporary lake; the JVM writes the archive when this process exits. Written next
to the target and renamed into place, so an interrupted run leaves no half archive behind.
`transforms/session.py` uses the archive when it exists; a stale one (another JDK, other jars) is
ignored by the JVM, silently, and Spark starts as it would without.

    .venv/bin/python scripts/spark_class_archive.py .venv/spark-classes.jsa
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from benchmarks.bronze_days import write_bronze_days  # noqa: E402
from scripts import local_fs_jar  # noqa: E402
from wistia_assets.transforms.runner import run_partition  # noqa: E402
from wistia_assets.transforms.session import (  # noqa: E402
    LOCAL_FS_JAR,
    QUIET_ARCHIVE,
    local_spark_session,
)

DAYS = (date(2026, 1, 5), date(2026, 1, 6))
# A made-up key: the training build hashes sandbox data only.
TRAINING_KEY = b"class-archive-training-key"


def main(target: Path) -> int:
    target = target.resolve()
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    # First: a class path the archive was not trained on makes the JVM ignore it.
    local_fs_jar.build(LOCAL_FS_JAR)
    with tempfile.TemporaryDirectory() as scratch:
        lake = Path(scratch) / "lake"
        days = write_bronze_days(lake, "150-300", DAYS, media_by_date=True)
        # Quiet: the JVM lists every class it leaves out (Spark's generated ones among them).
        dump = (f"-XX:ArchiveClassesAtExit={partial}", *QUIET_ARCHIVE)
        spark = local_spark_session(app_name="wistia_assets_class_archive", jvm_options=dump)
        for day in days:
            for table in ("fact_media_by_date", "fact_events"):
                run_partition(
                    spark,
                    table=table,
                    dt=day.dt,
                    media_id=day.media_id,
                    bronze_root=lake.as_uri(),
                    silver_root=lake.as_uri(),
                    hash_key=TRAINING_KEY if table == "fact_events" else None,
                )
    # The JVM dumps the archive when it exits, after this process: rename it then.
    atexit.register(_publish, partial, target)
    return 0


def _publish(partial: Path, target: Path) -> None:
    # The gateway JVM exits on the end of its stdin, i.e. as this interpreter shuts down; its
    # archive is complete once the file stops growing and the JVM is gone.
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    if context is not None:
        context.stop()
    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    if process is not None:
        process.stdin.close()
        process.wait(timeout=300)
    if partial.exists():
        partial.replace(target)
        print(f"wrote {target} ({target.stat().st_size // 2**20} MiB)")
    else:
        print(f"error: the JVM wrote no archive to {partial}", file=sys.stderr)
        os._exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
