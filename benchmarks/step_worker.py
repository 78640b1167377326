"""One Spark session that builds Silver partitions on request: the child side of the paired
before/after step comparison (`python -m benchmarks.silver --only step --compare PATH`).

Two of these run at once, one per checkout of the product (whichever `wistia_assets` comes
first on its PYTHONPATH), each on its own copy of the same Bronze lake. The parent asks them in
turn, so that both builds of a day run within seconds of each other, under the same load:

    stdout, first line   {"product": <wistia_assets path>, "pid": ...}
    stdin  {"dt": ..., "media_id": ..., "table": ...}  ->  one JSON line: seconds, Spark jobs,
                                                           phases, rows, Bronze lines
    stdin  EOF          -> stop the session and exit
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import wistia_assets
from benchmarks.spark_jobs import measure
from wistia_assets.transforms.runner import run_partition
from wistia_assets.transforms.session import local_spark_session

HASH_KEY = b"benchmark-hash-key-not-a-secret"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.step_worker")
    p.add_argument("--lake", required=True, help="the lake folder this worker builds in")
    args = p.parse_args(argv)
    uri = f"file://{os.path.abspath(args.lake)}"
    spark = local_spark_session(app_name="wistia_assets_bench_step")
    print(json.dumps({"product": wistia_assets.__file__, "pid": os.getpid()}), flush=True)
    try:
        for line in sys.stdin:
            request = json.loads(line)
            table = request["table"]
            m = measure(
                spark,
                lambda t=table, r=request: run_partition(
                    spark,
                    table=t,
                    dt=r["dt"],
                    media_id=r["media_id"],
                    bronze_root=uri,
                    silver_root=uri,
                    hash_key=HASH_KEY if t == "fact_events" else None,
                ),
                phases=True,
            )
            answer = {
                "seconds": m.seconds,
                "jobs": m.jobs,
                "phases": m.phases,
                "rows": int(m.result.rows),
                "bronze_rows": int(m.result.bronze_rows),
            }
            print(json.dumps(answer), flush=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
