"""`wistia-assets deploy package-glue`: what the Glue job runs, built and named by the commit.

Everything lands under `glue/<commit>/` of the artifacts bucket; the platform stack's
`GlueArtifactsCommit` parameter points the job there, so a release and a rollback are both a
change of that one parameter:

- `silver_job.py`: the entry script (the job's ScriptLocation).
- `wistia_assets_glue-<version>-py3-none-any.whl`: the Dagster-free part of the package
  (settings, aws clients, transforms, storage, the Glue entry module). It requires dagster-pipes
  only: Glue 5.0 has pyspark and boto3, and a wheel that declared the whole project would make
  Glue pip-install Dagster into every job run.
- `dagster_pipes-<pin>-py3-none-any.whl`: downloaded here, at packaging time, and checked against
  the hashes in deploy/glue-requirements.lock (`make lock` writes it from uv.lock).

Both wheels go in `--additional-python-modules`, which Glue pip-installs on the driver and on
every executor before the script starts, with `--python-modules-installer-option --no-index`: pip
never reaches a package index at run time, a missing wheel fails the install. `--extra-py-files`
would not do: Spark puts a .zip or .py from it on the executors' Python path but not a .whl, and
the dim_media UDF pickles a module-level function that the executors must import.

The wheel is reproducible (fixed timestamps), so re-running a release uploads nothing new, and an
existing object with other content is refused: a commit's artifacts never change under it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import wistia_assets
from wistia_assets.settings import ConfigError

PACKAGE = Path(wistia_assets.__file__).resolve().parent
ROOT = PACKAGE.parent
GLUE_LOCK = ROOT / "deploy" / "glue-requirements.lock"
# What the Glue job imports. Anything here must not import dagster (a test enforces it).
GLUE_MODULES = ("settings", "aws.py", "transforms", "storage", "glue")
DIST_NAME = "wistia_assets_glue"
SCRIPT_NAME = "silver_job.py"
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
# Paths whose uncommitted changes would make artifacts differ from the commit they are named by.
PACKAGED_PATHS = ("wistia_assets", "pyproject.toml", "deploy/glue-requirements.lock")
# Zip timestamps of the wheel (1980-01-01, the earliest a zip can hold): same source, same bytes.
REPRODUCIBLE_EPOCH = "315532800"

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "The Silver transforms of wistia_assets, packaged for AWS Glue 5.0"
requires-python = ">=3.11"
dependencies = ["dagster-pipes=={pipes}"]

[tool.setuptools.packages.find]
include = ["wistia_assets*"]
"""


class PackagingError(ConfigError):
    """The artifacts cannot be built or uploaded as asked (one line for the CLI)."""


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def pipes_requirement() -> tuple[str, str]:
    """(`dagster-pipes==<pin>`, the pin with every hash) from glue-requirements.lock.

    The lock is `uv export`'s requirements format (`make lock`): a pin and its `--hash=` options
    over continuation lines, comments between them.
    """
    if not GLUE_LOCK.exists():
        raise PackagingError(f"{GLUE_LOCK} is missing: run package-glue from a source checkout")
    text = re.sub(r"\\\n", " ", GLUE_LOCK.read_text())
    lines = [" ".join(line.split("#", 1)[0].split()) for line in text.splitlines()]
    locked = [line for line in lines if line.startswith("dagster-pipes==")]
    if len(locked) != 1 or "--hash=sha256:" not in locked[0]:
        raise PackagingError(
            f"{GLUE_LOCK} must pin dagster-pipes once, with its hashes: run `make lock`"
        )
    return locked[0].split()[0], locked[0]


def artifact_names() -> tuple[str, str, str]:
    """The three file names under glue/<commit>/: script, project wheel, dagster-pipes wheel."""
    pipes_version = pipes_requirement()[0].split("==", 1)[1]
    return (
        SCRIPT_NAME,
        f"{DIST_NAME}-{project_version()}-py3-none-any.whl",
        f"dagster_pipes-{pipes_version}-py3-none-any.whl",
    )


def _git(*args: str) -> str:
    out = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "-C", str(ROOT), *args],  # noqa: S607 - git from PATH, as the operator runs it
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise PackagingError(
            f"git {' '.join(args)} failed ({out.stderr.strip() or out.returncode}): run from a "
            "git checkout, or name the artifacts with --commit"
        )
    return out.stdout.strip()


def current_commit() -> str:
    """HEAD's short commit, refusing a tree whose packaged files differ from it."""
    dirty = _git("status", "--porcelain", "--", *PACKAGED_PATHS)
    if dirty:
        raise PackagingError(
            f"uncommitted changes in {', '.join(PACKAGED_PATHS)}: artifacts named by the commit "
            "must be that commit's code; commit them first (or pass --commit for a test build)"
        )
    return _git("rev-parse", "--short", "HEAD")


def check_commit(commit: str) -> str:
    if not COMMIT.fullmatch(commit):
        raise PackagingError(f"--commit {commit!r}: expected a git commit (7-40 hex digits)")
    return commit


def _build_wheel(out: Path) -> Path:
    pipes, _ = pipes_requirement()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        pkg = project / "wistia_assets"
        pkg.mkdir()
        shutil.copy(PACKAGE / "__init__.py", pkg / "__init__.py")
        for name in GLUE_MODULES:
            src = PACKAGE / name
            if src.is_dir():
                shutil.copytree(src, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, pkg / name)
        (project / "pyproject.toml").write_text(
            _PYPROJECT.format(
                name=DIST_NAME, version=project_version(), pipes=pipes.split("==", 1)[1]
            )
        )
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
            + ["--no-build-isolation", "-w", str(out), str(project)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "SOURCE_DATE_EPOCH": REPRODUCIBLE_EPOCH},
        )
    if done.returncode != 0:
        errors = [line.strip() for line in done.stderr.splitlines() if "error" in line.lower()]
        raise PackagingError(
            f"building {DIST_NAME} failed ({(errors or ['no output'])[0]}): the build backend "
            "comes from deploy/build-requirements.lock (`make .venv/.installed` installs it)"
        )
    return out / artifact_names()[1]


def _download_pipes(out: Path) -> Path:
    _, locked = pipes_requirement()
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "requirements.lock"
        lock.write_text(locked + "\n")
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            + ["--only-binary=:all:", "--require-hashes", "-r", str(lock), "-d", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
    wheel = out / artifact_names()[2]
    if done.returncode != 0 or not wheel.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PackagingError(f"downloading {locked.split()[0]} failed: {last}")
    return wheel


def build(out: Path, commit: str) -> list[Path]:
    """Write the three artifacts to `out/<commit>/`; returns their paths."""
    target = Path(out) / check_commit(commit)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    script = target / SCRIPT_NAME
    shutil.copy(PACKAGE / "glue" / SCRIPT_NAME, script)
    return [script, _build_wheel(target), _download_pipes(target)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def upload(paths: list[Path], target: str, commit: str, client=None) -> list[tuple[str, str]]:
    """Upload to `<target>/<commit>/<name>`; returns (uri, "uploaded" | "unchanged") pairs.

    An object that already exists with another sha256 is refused (nothing is overwritten).
    """
    parts = urlsplit(target)
    if parts.scheme != "s3" or not parts.netloc:
        raise PackagingError(f"--upload {target!r}: expected s3://bucket/prefix")
    if client is None:
        from wistia_assets.aws import aws_client

        client = aws_client("s3")
    from botocore.exceptions import ClientError

    bucket, prefix = parts.netloc, "/".join(p for p in (parts.path.strip("/"), commit) if p)
    plan = []
    for path in paths:
        key, digest = f"{prefix}/{path.name}", sha256(path)
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            plan.append((path, key, digest))
            continue
        if head.get("Metadata", {}).get("sha256") != digest:
            raise PackagingError(
                f"s3://{bucket}/{key} already exists with other content: the artifacts of "
                f"commit {commit} are immutable (a rollback relies on them); build from that "
                "commit's checkout, or release a new commit"
            )
        plan.append((path, key, None))
    results = []
    for path, key, digest in plan:
        if digest is not None:
            client.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {"sha256": digest}})
        results.append((f"s3://{bucket}/{key}", "uploaded" if digest else "unchanged"))
    return results


def main(args: argparse.Namespace) -> int:
    commit = check_commit(args.commit) if args.commit else current_commit()
    paths = build(Path(args.out), commit)
    for path in paths:
        print(f"built {path} ({path.stat().st_size} bytes, sha256 {sha256(path)[:16]}...)")
    if args.upload:
        for uri, outcome in upload(paths, args.upload, commit):
            print(f"{outcome} {uri}")
        print(f"deploy it with the platform stack parameter GlueArtifactsCommit={commit}")
    return 0
