"""The sandbox API in its own process, controlled over stdin (the child side of `SandboxProcess`).

The sandbox renders every event it serves (~50 µs each): run in the benchmark's process it would
bill its CPU and memory to the client being measured. Its request log is the referee of the
rate-budget measurement, so the parent asks for it over a pipe:

    stdout, first line   {"url": ..., "media_ids": [...], "pid": ...}
    stdin  "log"       ->  one JSON line: every request since the last "log", and the sandbox's
                           own `max_in_window(60)` over them; the log then starts over
    stdin  EOF / "quit" -> shut down and exit
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from wistia_assets.sandbox import Faults, SandboxWistia, serve
from wistia_assets.sandbox.requestlog import LoggedRequest


def _entry(request: LoggedRequest) -> list:
    # Compact rows: a 1M-event day is 10,000 requests. time.monotonic() is CLOCK_MONOTONIC on
    # Linux, one clock for every process, so the parent can line these up with its own times.
    query = request.query
    return [
        request.monotonic,
        request.endpoint,
        request.status,
        query.get("media_id"),
        query.get("start_date"),
        int(query["page"]) if query.get("page", "").isdigit() else None,
    ]


def _dump_log(sandbox: SandboxWistia) -> str:
    entries = sandbox.request_log.entries()
    answer = {
        "requests": [_entry(e) for e in entries],
        "max_in_window_60": sandbox.request_log.max_in_window(60.0),
    }
    sandbox.request_log.clear()
    return json.dumps(answer, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sandbox_runner")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--faults", default="", help="sandbox fault spec, e.g. latency_ms=200")
    p.add_argument("--events-per-day", default="120-420", help="N or LO-HI")
    args = p.parse_args(argv)

    sandbox = SandboxWistia(
        seed=args.seed,
        faults=Faults.parse(args.faults),
        events_per_day=args.events_per_day,
    )
    server = serve(sandbox)
    try:
        hello = {"url": server.url, "media_ids": list(sandbox.media_ids), "pid": os.getpid()}
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "log":
                print(_dump_log(sandbox), flush=True)
            elif command == "quit":
                break
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
