"""Screenshots of the catalog as a Dagster user sees it, and of a held-back day in the report.

    .venv/bin/python scripts/held_back_screenshots.py --lake L --dagster-home H

Against a lake and instance in which a day was held back, e.g. with the built-in sandbox reading
events windows end-exclusive (WISTIA_SANDBOX_EVENTS_WINDOW=end-exclusive):

    WISTIA_EVENTS_WINDOW=end-exclusive wistia-assets run --days 4 --end-date E   # all pass
    wistia-assets rerun --date E-1 --media-id sbx2fb9m4w   # default window: the pull is empty
    wistia-assets report --from E-3 --to E                 # names E-1 held back

`dg dev` (what `make dev` runs) starts on a free port, then headless Chromium
takes `docs/ui-silver-fact-events.png` (a Silver asset's page: tags, table name, URI, partition
row count), `docs/ui-gold-media-daily.png` (the Gold asset: the same, its freshness policy and
column lineage) and `docs/report-held-back.png` (the newest HTML report, from disk). `dg dev` is
stopped (its process group, and only it) at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from report_screenshots import chromium_shot, newest_report  # noqa: E402
from ui_backfill import dagster_dev, graphql, wait_ready  # noqa: E402

PAGES = {
    "ui-silver-fact-events.png": "/assets/fact_events",
    "ui-gold-media-daily.png": "/assets/media_daily",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lake", required=True)
    p.add_argument("--dagster-home", required=True)
    args = p.parse_args(argv)
    lake = Path(args.lake).resolve()
    docs = REPO / "docs"
    with tempfile.TemporaryDirectory(prefix="held-back-shots-") as tmp:
        work = Path(tmp)
        report = newest_report(lake)
        chromium_shot(report.as_uri(), docs / "report-held-back.png", work / "p0", "1100,1500")
        print(f"{report} -> {docs / 'report-held-back.png'}")
        env = {k: v for k, v in os.environ.items() if k not in ("WISTIA_API_TOKEN", "MEDIA_IDS")}
        env.update(
            DAGSTER_HOME=str(Path(args.dagster_home).resolve()),
            WISTIA_LAKE_ROOT=str(lake),
            SPARK_LOCAL_IP="127.0.0.1",
        )
        with dagster_dev(work, env, dg=True) as (url, process):
            wait_ready(url, process)
            graphql(url, "mutation { setNuxSeen }")  # the welcome dialog would cover the page
            for i, (name, path) in enumerate(PAGES.items()):
                chromium_shot(f"{url}{path}", docs / name, work / f"p{i + 1}", "1500,1900", 30000)
                print(f"{url}{path} -> {docs / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
