"""Screenshots of the media report: the HTML `make run` wrote, and its asset in the Dagster UI.

    make run && .venv/bin/python scripts/report_screenshots.py

1. `docs/media-report.png`: the newest `reports/wistia/*.html` under the lake (WISTIA_LAKE_ROOT,
   default ./.lake), opened from disk by headless Chromium (a fresh, empty profile; no network
   is needed: the file fetches nothing).
2. `docs/media-report-ui.png`, `docs/media-report-ui-chart.png` and
   `docs/asset-graph-gold.png`: `dagster dev` started on a free port against the instance
   `make run` recorded into (DAGSTER_HOME, default ./.dagster_home), the `media_report` asset's
   page (its latest materialization: the summary table inline, each chart behind "Show
   Markdown"), the trend chart opened in the UI's markdown dialog by a click (Chromium driven
   over its DevTools protocol; the script fails unless the chart's image loaded with a non-zero
   size), and the lineage with the gold group. dagster dev is stopped (its process group, and
   only it) at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from ui_backfill import (  # noqa: E402
    asset_graph_url,
    dagster_dev,
    free_port,
    graphql,
    wait_ready,
)

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


def _devtools(port: int, timeout: float = 30.0) -> str:
    """The page target's DevTools websocket of a Chromium listening on `port`."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("Chromium's DevTools endpoint did not come up")


OPEN_CHART = """
(() => {
  const row = [...document.querySelectorAll('tr')]
    .find(r => r.innerText.trim().startsWith('trend_chart'));
  if (!row) return 'no trend_chart row';
  const button = [...row.querySelectorAll('*')]
    .find(e => e.children.length === 0 && e.innerText.includes('Show Markdown'));
  if (!button) return 'no Show Markdown';
  button.click();
  return 'clicked';
})()
"""
CHART_LOADED = """
(() => {
  const img = [...document.querySelectorAll('img')]
    .find(i => i.src.startsWith('data:image/png'));
  return img && img.complete ? img.naturalWidth + 'x' + img.naturalHeight : '';
})()
"""


def chart_in_ui(url: str, out: Path, profile: Path, timeout: float = 120.0) -> str:
    """Open the asset page, click the trend chart's "Show Markdown", wait until its image has
    loaded, screenshot; returns the image's natural size."""
    import base64
    import json

    from websockets.sync.client import connect

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--window-size=1500,1300",
         f"--remote-debugging-port={port}", "about:blank"],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with connect(_devtools(port), max_size=None) as ws:
            ids = iter(range(1, 10_000))

            def call(method: str, **params):
                n = next(ids)
                ws.send(json.dumps({"id": n, "method": method, "params": params}))
                while True:
                    message = json.loads(ws.recv())
                    if message.get("id") == n:
                        return message.get("result", {})

            def evaluate(expression: str) -> str:
                result = call("Runtime.evaluate", expression=expression, returnByValue=True)
                return result.get("result", {}).get("value") or ""

            call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            state = ""
            while time.monotonic() < deadline and state != "clicked":
                time.sleep(2)
                state = evaluate(OPEN_CHART)
            size = ""
            while time.monotonic() < deadline and not size:
                time.sleep(1)
                size = evaluate(CHART_LOADED)
            if not size or size.startswith("0x"):
                raise RuntimeError(f"the trend chart did not render in the UI ({state!r})")
            time.sleep(1)
            shot = call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))
            return size
    finally:
        process.terminate()
        process.wait(timeout=30)


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
            chart = REPO / "docs" / "media-report-ui-chart.png"
            size = chart_in_ui(f"{url}/assets/media_report", chart, work / "p3")
            print(f"the trend chart rendered in the UI ({size} px) -> {chart}")
            graph = REPO / "docs" / "asset-graph-gold.png"
            target = asset_graph_url(url, ("bronze", "silver", "gold"))
            chromium_shot(target, graph, work / "p2", "1600,1400", 30000)
            print(f"{target} -> {graph}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
