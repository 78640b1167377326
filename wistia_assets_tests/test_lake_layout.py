"""The reliability harness's lake layout: every file the pipeline writes is in it (Bronze,
Silver, Gold, the HTML reports, state), and a file written outside it is reported by name."""

from __future__ import annotations

from pathlib import Path

from reliability.security import check_layout

WRITTEN = [
    "bronze/wistia/events/dt=2026-11-12/media_id=sbx1yt7k2q/part-0001.jsonl.gz",
    "bronze/wistia/media_metadata/media_id=sbx1yt7k2q/load_ts=20261129T221007433738Z/m.json",
    "silver/wistia/fact_events/dt=2026-11-12/media_id=sbx1yt7k2q/part-00000.snappy.parquet",
    "silver/wistia/dim_media/part-00000.snappy.parquet",
    "gold/wistia/media_daily/dt=2026-11-19/part-00000-06da.c000.snappy.parquet",
    "gold/wistia/media_daily/dt=2026-11-19/.part-00000-06da.c000.snappy.parquet.crc",
    "reports/wistia/media_report_2026-11-22_2026-11-28.html",
    "_state/watermarks.sqlite",
]


def _lake(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    return root


def test_every_zone_the_pipeline_writes_is_in_the_layout(tmp_path):
    assert check_layout(_lake(tmp_path, WRITTEN)) == []


def test_a_file_outside_the_layout_is_named(tmp_path):
    stray = ["gold/wistia/media_daily/dt=2026-11-19/media_id=x/y.parquet", "reports/wistia/a.txt"]
    problems = check_layout(_lake(tmp_path, WRITTEN + stray))
    assert problems == [f"2 file(s) outside the documented layout: {sorted(stray)}"]
