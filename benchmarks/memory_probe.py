"""Ingest one Bronze day in a fresh process and report its peak memory (child of `memory`).

A fresh process per measurement: peak RSS only ever grows, so two days measured in one process
would report the larger of the two for both.

    python -m benchmarks.memory_probe --url URL --media-id ID --day YYYY-MM-DD
    -> one JSON line: rows, pages, requests, seconds, RSS after setup, peak RSS, malloc heap
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import tempfile
import time
from datetime import date

from wistia_assets.ingestion import ingest_events
from wistia_assets.settings import WistiaApiSettings
from wistia_assets.storage.objects import LocalStore
from wistia_assets.wistia import RateBudget, WistiaClient

# High enough never to wait: this measures memory, not manners.
UNLIMITED_PER_MINUTE = 1_000_000


def _status_kb(field: str) -> int:
    """A `Vm*` line of /proc/self/status, in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


# struct mallinfo2 of glibc >= 2.33: ten size_t fields, in this order.
_MALLINFO2_FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS.split()]


def _malloc_kb() -> dict[str, int | None]:
    """glibc's own view: bytes in use vs bytes it keeps free in its heap (None off glibc).

    Tells a leak (in use grows) from fragmentation (free grows, in use flat) when peak RSS
    grows with the size of the day.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {"malloc_in_use_kb": None, "malloc_free_kb": None}
    return {"malloc_in_use_kb": info.uordblks // 1024, "malloc_free_kb": info.fordblks // 1024}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory_probe")
    p.add_argument("--url", required=True)
    p.add_argument("--media-id", required=True)
    p.add_argument("--day", required=True, type=date.fromisoformat)
    p.add_argument("--prefetch", type=int, default=WistiaApiSettings().page_prefetch)
    args = p.parse_args(argv)

    client = WistiaClient(
        WistiaApiSettings(wistia_base_url=args.url, page_prefetch=args.prefetch),
        budget=RateBudget(UNLIMITED_PER_MINUTE),
    )
    with client, tempfile.TemporaryDirectory(prefix="bench-memory-") as lake:
        store = LocalStore(lake)
        rss_before = _status_kb("VmRSS")  # everything imported, nothing pulled
        started = time.monotonic()
        manifest = ingest_events(client, store, args.day, args.media_id, source="sandbox")
        seconds = time.monotonic() - started
        heap = _malloc_kb()  # before the temp lake goes: the state right after the day
        result = {
            "rows": manifest["rows"],
            "pages": manifest["pages"],
            "requests": manifest["requests"],
            "reads": manifest["reads"],
            "bytes": manifest["bytes"],
            "seconds": round(seconds, 2),
            "rss_before_kb": rss_before,
            # VmHWM, not getrusage's ru_maxrss: that one survives execve, so a probe started
            # from a big parent (pytest: ~100 MB) reports the parent's size, not its own.
            "peak_kb": _status_kb("VmHWM"),
            **heap,
        }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
