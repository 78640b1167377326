"""`wistia-assets` in this process, and the environment of a temporary lake and DAGSTER_HOME it
runs in against the built-in sandbox."""

from __future__ import annotations

import contextlib
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wistia_assets.cli import main
from wistia_assets.settings import SANDBOX_MEDIA_IDS

A, B = SANDBOX_MEDIA_IDS
REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=30)
# Three days back: every late event of the day has arrived (they come up to 20 h after it ends).
DAY = TODAY - timedelta(days=3)
SEED = 41
EVENTS_PER_DAY = "30-60"


def environment(root: Path) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.local.yaml", home / "dagster.yaml")  # what `make` installs
    return {
        "DAGSTER_HOME": str(home),
        "WISTIA_LAKE_ROOT": str(root / "lake"),
        "WISTIA_START_DATE": START.isoformat(),
        "WISTIA_SANDBOX_SEED": str(SEED),
        "WISTIA_SANDBOX_EVENTS_PER_DAY": EVENTS_PER_DAY,
    }


def cli(*args: str) -> tuple[int, str, str]:
    """`wistia-assets ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse exits on usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]
