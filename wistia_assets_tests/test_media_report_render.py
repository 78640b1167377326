"""What the ECS run task does for the media report works without what the ECS image lacks.

In `aws` the report's figures come from the Glue job; the run task only draws the charts, writes
the HTML and shows the column schemas. Its image has no pyspark, DuckDB or pyarrow: a fresh
interpreter that refuses to import them must still render a report (and the UI's column
schemas), and the charts must come out the same for the same figures (no dates, no random ids).
"""

from __future__ import annotations

import json
import subprocess
import sys

FIGURES = {
    "first": "2026-11-14",
    "last": "2026-11-16",
    "media": [
        {"media_id": "medyt0001", "title": "Teaser YT", "channel": "youtube"},
        {"media_id": "medfb0002", "title": "Teaser FB", "channel": "facebook"},
    ],
    "daily": [
        {"dt": d, "media_id": m, "loads": 10 * i, "plays": 5 * i, "play_rate": 0.5,
         "hours_watched": 0.1 * i, "sessions": 5 * i, "unique_visitors": 4 * i,
         "mean_percent_viewed": 0.4, "watched_25_share": 0.6, "watched_50_share": 0.4,
         "watched_75_share": 0.3, "watched_95_share": 0.2, "mobile_share": 0.5,
         "device_known_sessions": 3 * i}
        for i, (d, m) in enumerate(
            [("2026-11-14", "medyt0001"), ("2026-11-14", "medfb0002"), ("2026-11-15", "medyt0001")],
            start=1,
        )
    ],
    "missing": [["2026-11-15", "medfb0002"], ["2026-11-16", "medyt0001"],
                ["2026-11-16", "medfb0002"]],
    "totals": {
        "medyt0001": {"days": 2, "loads": 40, "plays": 20, "play_rate": 0.5, "sessions": 20},
        "medfb0002": {"days": 1, "loads": 20, "plays": 10, "play_rate": 0.5, "sessions": 10},
    },
    "breakdowns": {
        "medyt0001": {"country": [["US", 12], ["(other)", 8]], "percent_viewed": [["0-10%", 20]]},
        "medfb0002": {"device": [["mobile", 7], ["(unknown)", 3]]},
    },
}  # fmt: skip

SCRIPT = """
import importlib.abc, json, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pyspark", "duckdb", "pyarrow", "dagster_pyspark"):
            raise ImportError(f"{name} is not in the ECS image")

sys.meta_path.insert(0, Refuse())
from wistia_assets.assets.column_schema import declared_schema
from wistia_assets.media_report.figures import ReportFigures
from wistia_assets.media_report.page import render

figures = ReportFigures.from_json(json.loads(sys.stdin.read()))
report = render(figures, source="test", generated_at="fixed")
columns = [c.name for t in ("fact_events", "media_daily") for c in declared_schema(t).columns]
print(json.dumps({"html": report.html, "columns": columns,
                  "spark": any(m.startswith("pyspark") for m in sys.modules)}))
"""


def _render() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(FIGURES),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_report_renders_without_spark_duckdb_or_pyarrow_and_the_same_twice():
    first, second = _render(), _render()
    assert not first["spark"]
    assert "visitor_hash" in first["columns"] and "mobile_share" in first["columns"]
    html = first["html"]
    assert html.count("<svg") == 3
    assert "2026-11-16 (YouTube, Facebook)" in html  # a day nobody built
    assert "missing (not built)" in html
    assert first["html"] == second["html"]  # deterministic bytes for the same figures


def test_consecutive_missing_days_are_named_as_one_span():
    from wistia_assets.media_report.figures import ReportFigures
    from wistia_assets.media_report.page import coverage

    one = [{"media_id": "aaaa1111", "title": "A", "channel": "unknown"}]
    days = ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-05")
    figures = ReportFigures.from_json(
        {"first": "2026-11-01", "last": "2026-11-07", "media": one, "daily": [],
         "missing": [[d, "aaaa1111"] for d in days], "totals": {}, "breakdowns": {}}
    )  # fmt: skip
    assert coverage(figures).endswith(
        "3 of 7 days built for every media. Not built yet, shown as missing: "
        "2026-11-01..2026-11-03 (A); 2026-11-05 (A)."
    )
