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

# Since stop 28 `make` trains the class archive with the local file system's jar on the driver's
# class path (`transforms/session.py`, LOCAL_FS_JAR), and a JVM whose class path differs from the
# archive's ignores the archive, silently. An exported version that uses the archive but predates
# the jar gets the jar on its class path (its file system stays Hadoop's), or it would be
# measured ~3 s slower than it is. The line of its `local_spark_conf` the jar goes after:
JVM_OPTIONS_LINE = '        "spark.driver.extraJavaOptions": local_jvm_options(jvm_options),\n'


def export_ref(ref: str, dest: Path) -> Path:
    """The `wistia_assets` package of commit `ref` of this repository, unpacked under `dest`
    (`git archive`: no worktree, nothing in the repository changes); returns `dest`, a checkout
    for `product_path`."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / "product.tar"
    with archive.open("wb") as out:
        subprocess.run(  # noqa: S603 - git, with a ref the user gave
            # The Makefile too: how its `make run` starts Python (`make_python_env`).
            ["git", "archive", "--format=tar", ref, "wistia_assets", "Makefile"],  # noqa: S607
            cwd=REPO_ROOT,
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    _on_the_archives_class_path(dest / "wistia_assets" / "transforms" / "session.py", ref)
    return dest


def _on_the_archives_class_path(session: Path, ref: str) -> None:
    from wistia_assets.transforms.session import LOCAL_FS_JAR

    text = session.read_text(encoding="utf-8")
    if not LOCAL_FS_JAR.is_file() or "CLASS_ARCHIVE" not in text or "LOCAL_FS_JAR" in text:
        return  # no jar here, a version without the archive, or one that knows the jar
    if JVM_OPTIONS_LINE not in text:
        raise SystemExit(f"cannot put {LOCAL_FS_JAR} on the class path of {ref}'s local session")
    jar = (
        f'        "spark.driver.extraClassPath": {str(LOCAL_FS_JAR)!r},  # benchmarks/checkout.py\n'
    )
    session.write_text(text.replace(JVM_OPTIONS_LINE, JVM_OPTIONS_LINE + jar), encoding="utf-8")


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


# How Python keeps its bytecode: a version's Makefile decides it for every process `make run`
# starts (uv installs none), and it is worth ~2 s of a process start (`benchmarks.process_start`).
BYTECODE_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")


def make_python_env(makefile: Path) -> dict[str, str]:
    """The bytecode variables (`BYTECODE_VARIABLES`) that `makefile` exports to the commands it
    runs, read from make itself, run from this repository's root (its virtualenv is the one
    measured): a version is measured as its own `make run` starts it, not as this shell does."""
    command = ["make", "-s", "-f", str(makefile), "--eval=_python_env:;@env", "_python_env"]
    completed = subprocess.run(  # noqa: S603 - make, with a Makefile of this repository
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")},
    )
    found = dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line)
    return {name: found[name] for name in BYTECODE_VARIABLES if name in found}


def makefile_of(checkout: Path | None) -> Path:
    """The Makefile of `checkout` (an `export_ref` folder or a worktree), this one's for None."""
    makefile = (checkout or REPO_ROOT) / "Makefile"
    if not makefile.is_file():
        raise SystemExit(f"{checkout} holds no Makefile: cannot start it as its `make run` does")
    return makefile


def env_for(product: Path | None, makefile: Path | None = None) -> dict[str, str]:
    """`child_env()`, with `product` (a `product_path`) first on the path when given, and
    Python's bytecode kept as `makefile` keeps it (`make_python_env`) when given."""
    env = child_env()
    if makefile is not None:
        for name in BYTECODE_VARIABLES:
            env.pop(name, None)
        env.update(make_python_env(makefile))
    if product is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(product), env["PYTHONPATH"]])
    return env
