"""The Dagster image's inputs: no Docker engine here, so what it would build from is checked.

Pinned base, non-root user, no build secrets, every COPY source present and let through the
.dockerignore allow-list, a runnable entrypoint, and a lock that agrees with pyproject.toml.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def lock(name: str = "requirements.lock") -> dict[str, str]:
    pins = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip().rstrip("\\").strip()
        if not line or line.startswith(("#", "--")):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_base_image_is_pinned_python_311():
    (arg,) = [v for k, v in instructions() if k == "ARG" and v.startswith("PYTHON_IMAGE=")]
    image = arg.split("=", 1)[1]
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image
    froms = [v for k, v in instructions() if k == "FROM"]
    assert froms and all(v.split()[0] == "${PYTHON_IMAGE}" for v in froms)


def test_runs_as_non_root_without_build_secrets():
    steps = instructions()
    users = [i for i, (k, _) in enumerate(steps) if k == "USER"]
    assert users, "no USER"
    user = steps[users[-1]][1].split(":")[0]
    assert user not in ("root", "0")
    for kind, value in steps:
        if kind in ("ARG", "ENV"):
            assert not re.search(r"(TOKEN|PASSWORD|SECRET|API_KEY)", value, re.I), value
        assert "type=secret" not in value


def test_copy_sources_exist_and_pass_the_dockerignore():
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*", "an allow-list: everything is excluded first"
    allowed = [p[1:] for p in patterns if p.startswith("!")]
    for kind, value in instructions():
        if kind != "COPY" or value.startswith("--from"):
            continue
        for source in value.split()[:-1]:
            if source.endswith("*"):  # optional (README.md*)
                continue
            assert (ROOT / source).exists(), source
            assert any(
                fnmatch.fnmatch(source, p) or fnmatch.fnmatch(source + "/x", p) for p in allowed
            ), f"{source} is excluded by Dockerfile.dockerignore"


def test_entrypoint_is_executable_bash():
    entrypoint = DEPLOY / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    subprocess.run(["bash", "-n", str(entrypoint)], check=True)
    (spec,) = [v for k, v in instructions() if k == "ENTRYPOINT"]
    assert spec == '["/opt/dagster/app/deploy/entrypoint.sh"]'
    text = entrypoint.read_text()
    for role in ("webserver", "daemon", "code-server"):
        assert f"  {role})" in text
    assert "/opt/dagster/app/deploy/workspace.yaml" in text


def test_lock_satisfies_pyproject():
    pins = lock()
    for raw in PYPROJECT["project"]["dependencies"]:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} missing from deploy/requirements.lock"
        assert req.specifier.contains(
            pins[name], prereleases=True
        ), f"{name}=={pins[name]} vs {req}"


def test_lock_adds_the_postgres_storage_of_the_same_dagster_line():
    pins = lock()
    assert pins["dagster-postgres"] == pins["dagster-aws"]
    assert "psycopg2-binary" in pins


def test_lock_is_closed_under_requirements():
    """Every requirement of a locked distribution is locked and satisfied (checked with the
    metadata installed here, for each distribution whose installed version is the locked one)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "lock_requirements", DEPLOY / "lock_requirements.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pins = lock()
    checked = 0
    for name, version in pins.items():
        if name in module.DEPLOY_ONLY:
            requires = module.DEPLOY_ONLY[name][1]
        else:
            try:
                dist = metadata.distribution(name)
            except metadata.PackageNotFoundError:
                continue
            if Version(dist.version) != Version(version):
                continue
            requires = dist.requires or ()
        for raw in requires:
            req = Requirement(raw)
            if not module.applies(req, frozenset()):
                continue
            dep = canonicalize_name(req.name)
            assert dep in pins, f"{name} needs {dep}"
            assert req.specifier.contains(pins[dep], prereleases=True), f"{name}: {req}"
        checked += 1
    assert checked > len(pins) * 0.8, "too few locked versions installed to check the closure"


def test_build_backend_is_hash_pinned_and_satisfies_pyproject():
    text = (DEPLOY / "build-requirements.lock").read_text()
    pins = lock("build-requirements.lock")
    assert text.count("--hash=sha256:") == len(pins)
    for raw in PYPROJECT["build-system"]["requires"]:
        req = Requirement(raw)
        assert req.specifier.contains(pins[canonicalize_name(req.name)])


def test_the_image_leaves_out_the_local_extra():
    """The `local` extra (pyspark, dagster-pyspark, DuckDB, pyarrow) never runs on ECS: none of it,
    nor what only it pulls in (py4j, dagster-spark), is locked for the image."""
    pins = lock()
    local = {
        canonicalize_name(Requirement(r).name)
        for r in PYPROJECT["project"]["optional-dependencies"]["local"]
    }
    assert local and not local & set(pins), local & set(pins)
    assert not {"py4j", "dagster-spark"} & set(pins)
