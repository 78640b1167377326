"""`wistia-assets deploy package-glue`: the two artefacts the Glue job runs.

- `silver_job.py`: the entry script (ScriptLocation).
- `wistia_assets_glue-<version>-py3-none-any.whl`: the Dagster-free part of the package
  (transforms, storage, settings, the Glue entry module), declared WITHOUT dependencies: Glue 5.0
  already has pyspark and boto3, dagster-pipes comes from `--additional-python-modules`, and a
  wheel that declared the full project would make Glue pip-install Dagster into every job run.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import wistia_assets

# What the Glue job imports. Anything here must not import dagster (a test enforces it).
GLUE_MODULES = ("settings.py", "transforms", "storage", "glue")
DIST_NAME = "wistia_assets_glue"

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "The Silver transforms of wistia_assets, packaged for AWS Glue 5.0"
requires-python = ">=3.11"
dependencies = []

[tool.setuptools.packages.find]
include = ["wistia_assets*"]
"""


def package_version() -> str:
    try:
        return version("wistia_assets")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "0.0.0"


def build(out: Path) -> list[Path]:
    source = Path(wistia_assets.__file__).parent
    out.mkdir(parents=True, exist_ok=True)
    ver = package_version()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        pkg = project / "wistia_assets"
        pkg.mkdir()
        shutil.copy(source / "__init__.py", pkg / "__init__.py")
        for name in GLUE_MODULES:
            src = source / name
            if src.is_dir():
                shutil.copytree(src, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, pkg / name)
        (project / "pyproject.toml").write_text(_PYPROJECT.format(name=DIST_NAME, version=ver))
        subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(out),
                str(project),
            ],
            check=True,
        )
    wheel = out / f"{DIST_NAME}-{ver}-py3-none-any.whl"
    script = out / "silver_job.py"
    shutil.copy(source / "glue" / "silver_job.py", script)
    return [script, wheel]


def upload(paths: list[Path], target: str) -> list[str]:
    parts = urlsplit(target)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"--upload {target!r}: expected s3://bucket/prefix")
    from wistia_assets.storage.objects import s3_client

    client = s3_client()
    prefix = parts.path.strip("/")
    uris = []
    for path in paths:
        key = f"{prefix}/{path.name}" if prefix else path.name
        client.upload_file(str(path), parts.netloc, key)
        uris.append(f"s3://{parts.netloc}/{key}")
    return uris


def main(args: argparse.Namespace) -> int:
    paths = build(Path(args.out))
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"built {path} ({path.stat().st_size} bytes, sha256 {digest}...)")
    if args.upload:
        for uri in upload(paths, args.upload):
            print(f"uploaded {uri}")
    return 0
