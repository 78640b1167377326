"""Screenshots of the media report: the HTML `make run` wrote, and its asset in the Dagster UI.

    make run && .venv/bin/python scripts/report_screenshots.py

1. `docs/media-report.png`: the newest `reports/wistia/*.html` under the lake (WISTIA_LAKE_ROOT,
   default ./.lake), opened from disk by headless Chromium (a fresh, empty profile; no network
   is needed: the file fetches nothing).
2. `docs/media-report-ui.png` and `docs/asset-graph-gold.png`: `dagster dev` started on a free
   port against the instance `make run` recorded into (DAGSTER_HOME, default ./.dagster_home),
   the `media_report` asset's page (its latest materialization: summary, comparisons, charts)
   and the lineage with the gold group, each taken once the UI has rendered. dagster dev is
   stopped (its process group, and only it) at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from ui_backfill import asset_graph_url, dagster_dev, graphql, wait_ready  # noqa: E402

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium_shot(target: str, out: Path, profile: Path, size: str, budget_ms: int = 0) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = [f"--virtual-time-budget={budget_ms}"] if budget_ms else []
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size}",
            *extra,
            f"--screenshot={out}",
            target,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def newest_report(lake: Path) -> Path:
    reports = sorted((lake / "reports" / "wistia").glob("*.html"), key=lambda p: p.stat().st_mtime)
    if not reports:
        raise SystemExit(f"no report under {lake}/reports/wistia: run `make run` first")
    return reports[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lake", default=os.environ.get("WISTIA_LAKE_ROOT", str(REPO / ".lake")))
    p.add_argument(
        "--dagster-home", default=os.environ.get("DAGSTER_HOME", str(REPO / ".dagster_home"))
    )
    p.add_argument("--no-ui", action="store_true", help="only the HTML report's screenshot")
    args = p.parse_args(argv)
    lake = Path(args.lake).resolve()
    report = newest_report(lake)
    with tempfile.TemporaryDirectory(prefix="report-shots-") as tmp:
        work = Path(tmp)
        out = REPO / "docs" / "media-report.png"
        chromium_shot(report.as_uri(), out, work / "profile-html", "1100,3000")
        print(f"{report} -> {out}")
        if args.no_ui:
            return 0
        env = {k: v for k, v in os.environ.items() if k not in ("WISTIA_API_TOKEN", "MEDIA_IDS")}
        env.update(
            DAGSTER_HOME=str(Path(args.dagster_home).resolve()),
            WISTIA_LAKE_ROOT=str(lake),
            SPARK_LOCAL_IP="127.0.0.1",
        )
        with dagster_dev(work, env) as (url, process):
            wait_ready(url, process)
            graphql(url, "mutation { setNuxSeen }")  # the welcome dialog would cover the page
            page = REPO / "docs" / "media-report-ui.png"
            chromium_shot(f"{url}/assets/media_report", page, work / "p1", "1500,2600", 30000)
            print(f"{url}/assets/media_report -> {page}")
            graph = REPO / "docs" / "asset-graph-gold.png"
            target = asset_graph_url(url, ("bronze", "silver", "gold"))
            chromium_shot(target, graph, work / "p2", "1600,1400", 30000)
            print(f"{target} -> {graph}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
