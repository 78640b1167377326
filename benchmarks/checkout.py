"""Measuring another version of the product next to this one (before/after comparisons).

`product_path(checkout, tmp)` makes a folder that holds only a link to the checkout's
`wistia_assets` package. Put first on a child's PYTHONPATH (the Spark Python workers it starts
inherit it), it makes the child import that version of the product while `benchmarks` still
comes from this checkout, whatever else the other checkout holds (a whole `git worktree` of an
older commit, or just `git archive <commit> wistia_assets | tar -x -C DIR`). The child must not
run from this repository's folder: `python -m` puts the working folder first on the path.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

from benchmarks.sandbox_process import REPO_ROOT, child_env

# The design before issue 18 ("make run in under 40 seconds"): what the end-to-end harness
# compares with unless told otherwise.
BASELINE_REF = "11a191d"


def export_ref(ref: str, dest: Path) -> Path:
    """The `wistia_assets` package of commit `ref` of this repository, unpacked under `dest`
    (`git archive`: no worktree, nothing in the repository changes); returns `dest`, a checkout
    for `product_path`."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / "product.tar"
    with archive.open("wb") as out:
        subprocess.run(  # noqa: S603 - git, with a ref the user gave
            ["git", "archive", "--format=tar", ref, "wistia_assets"],  # noqa: S607
            cwd=REPO_ROOT,
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    return dest


def product_path(checkout: Path, tmp: Path) -> Path:
    package = checkout.resolve() / "wistia_assets"
    if not (package / "__init__.py").is_file():
        raise SystemExit(f"{checkout} holds no wistia_assets package to measure")
    folder = tmp / f"product-{abs(hash(str(package)))}"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "wistia_assets"
    if not link.exists():
        link.symlink_to(package, target_is_directory=True)
    return folder


def env_for(product: Path | None) -> dict[str, str]:
    """`child_env()`, with `product` (a `product_path`) first on the path when given."""
    env = child_env()
    if product is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(product), env["PYTHONPATH"]])
    return env
