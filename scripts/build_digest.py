"""Write the digest of what Silver and Gold hold after building the fixed sandbox days
(`wistia_assets_tests/support/build_digest.py`), built by whichever `wistia_assets` comes first
on the path.

    .venv/bin/python scripts/build_digest.py                    # this checkout -> the golden file
    .venv/bin/python scripts/build_digest.py --product DIR --out FILE

`--product DIR` builds with another checkout's product (DIR holds its `wistia_assets`, e.g.
`git archive 11a191d wistia_assets | tar -x -C DIR`), as the committed golden file was made
from the design before issue 18.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _build(out: Path) -> None:
    from wistia_assets.transforms.session import local_spark_session
    from wistia_assets_tests.support.build_digest import build_digest

    spark = local_spark_session(app_name="wistia_assets_build_digest")
    with tempfile.TemporaryDirectory(prefix="build-digest-") as tmp:
        digest = build_digest(spark, Path(tmp) / "lake")
    spark.stop()
    out.write_text(json.dumps(digest, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/build_digest.py", description=__doc__)
    p.add_argument("--product", type=Path, help="a checkout whose wistia_assets builds")
    p.add_argument("--out", type=Path, help="where to write (default: the golden file)")
    p.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from wistia_assets_tests.support.build_digest import GOLDEN

    out = (args.out or GOLDEN).resolve()
    if args.here:
        _build(out)
        return 0
    with tempfile.TemporaryDirectory(prefix="build-digest-path-") as tmp:
        from benchmarks.checkout import product_path

        paths = [str(REPO)]
        if args.product is not None:
            paths.insert(0, str(product_path(args.product, Path(tmp))))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        # A child, from outside the repository, so that the chosen product is the one imported
        # (and its Spark workers inherit the same path).
        return subprocess.call(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(Path(__file__).resolve()), "--here", "--out", str(out)],
            cwd=tmp,
            env=env,
        )


if __name__ == "__main__":
    sys.exit(main())
