"""One lock for every environment: uv.lock agrees with pyproject.toml, every export agrees with
uv.lock, and a change to one side alone fails with the command that fixes it (`make lock`).

The checks run `scripts/locks.py --check` (what `make` runs before it syncs) in the repository
and in a copy of its lock inputs changed one way or another; all of it offline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from wistia_assets_tests.support.deploy import requirement_lines

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "scripts" / "locks.py"
# What `scripts/locks.py` reads and writes, copied so a test can change one side of it.
LOCK_INPUTS = (
    "pyproject.toml",
    "README.md",
    "setup.py",
    "uv.lock",
    "requirements-uv.txt",
    "deploy/requirements.lock",
    "deploy/build-requirements.lock",
    "deploy/glue-requirements.lock",
)


def check(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(LOCKS), "--project", str(project), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in LOCK_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_every_lock_agrees_with_pyproject_and_uv_lock():
    done = check(ROOT, "--check")
    assert done.returncode == 0, done.stderr
    assert "every export matches uv.lock" in done.stdout


def test_the_copy_used_below_passes_unchanged(project):
    """The failures below come from the change each one makes, not from the copy."""
    done = check(project, "--check")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "old, new",
    [
        # A dependency added to pyproject.toml and not locked.
        ('"tenacity>=9,<10",', '"tenacity>=9,<10",\n    "requests>=2,<3",'),
        # A dependency removed from pyproject.toml but still locked.
        ('"tenacity>=9,<10",', ""),
        # A range the locked version no longer satisfies.
        ('"duckdb>=1.1,<3",', '"duckdb>=1.1,<1.2",'),
    ],
    ids=["added-to-pyproject-only", "removed-from-pyproject-only", "range-excludes-lock"],
)
def test_pyproject_changed_without_the_lock_fails_naming_make_lock(project, old, new):
    edit(project / "pyproject.toml", old, new)
    done = check(project, "--check-lock")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: uv.lock does not match pyproject.toml (")
    assert "run `make lock`" in line


def test_a_package_added_to_the_lock_only_fails_naming_make_lock(project):
    """uv.lock records the project's requirements: one it lists that pyproject.toml does not
    declare (a hand edit, a bad merge) is a disagreement too."""
    lock = project / "uv.lock"
    text = lock.read_text()
    declared = re.search(r'\{ name = "tenacity", specifier = "[^"]+" \},\n', text)
    assert declared, "uv.lock records the project's requirement on tenacity"
    extra = declared.group(0).replace("tenacity", "requests").replace('">=9,<10"', '">=2"')
    lock.write_text(text.replace(declared.group(0), declared.group(0) + extra, 1))
    done = check(project, "--check-lock")
    assert done.returncode == 1
    assert "uv.lock does not match pyproject.toml" in done.stderr
    assert "run `make lock`" in done.stderr


@pytest.mark.parametrize(
    "name",
    ["deploy/requirements.lock", "deploy/build-requirements.lock", "deploy/glue-requirements.lock"],
)
def test_an_export_edited_by_hand_fails_naming_the_file(project, name):
    path = project / name
    text = path.read_text()
    digest = re.search(r"--hash=sha256:([0-9a-f]{64})", text).group(1)
    path.write_text(text.replace(digest, "0" * 64, 1))
    done = check(project, "--check")
    assert done.returncode == 1
    assert f"error: {name} is not what uv.lock gives" in done.stderr
    assert "run `make lock`" in done.stderr


def test_a_bootstrap_uv_other_than_the_locked_one_fails(project):
    edit(project / "requirements-uv.txt", "--hash=sha256:", "--hash=sha256:0")
    done = check(project, "--check")
    assert done.returncode == 1
    assert "requirements-uv.txt does not pin the uv release uv.lock pins" in done.stderr


def test_uv_is_one_release_everywhere():
    """pyproject's dev extra, `required-version`, uv.lock and the bootstrap name one uv."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (locked,) = [p["version"] for p in lock["package"] if p["name"] == "uv"]
    assert f"uv=={locked}" in pyproject["project"]["optional-dependencies"]["dev"]
    assert pyproject["tool"]["uv"]["required-version"] == f"=={locked}"
    assert f"\nuv=={locked} \\\n" in (ROOT / "requirements-uv.txt").read_text()
    installed = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "--version"], capture_output=True, text=True
    )
    assert installed.stdout.split()[:2] == ["uv", locked]


def test_every_export_pins_exactly_with_hashes():
    """pip installs each export with --require-hashes: every requirement `==`, with hashes."""
    for name in ("requirements.lock", "build-requirements.lock", "glue-requirements.lock"):
        pins = requirement_lines(ROOT / "deploy" / name)
        assert pins, name
        for line in pins:
            assert re.match(r"^[A-Za-z0-9._-]+==[^ ;]+( ;[^-]+)? --hash=sha256:", line), line


def test_the_wheel_carries_the_package_and_no_tests(tmp_path):
    """The wheel the ECS image installs: `wistia_assets` and its subpackages, not the tests
    (a glob like `wistia_assets*` matches `wistia_assets_tests` too). Built from a copy of the
    tree that has the tests beside the package, with the locked build backend."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("wistia_assets", "wistia_assets_tests"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("wistia_assets-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"wistia_assets", f"{wheel.name.split('-py3')[0]}.dist-info"}, tops
    packaged = {n for n in names if n.endswith(".py")}
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "wistia_assets").rglob("*.py")}
    assert packaged == expected


def test_ci_and_the_workflows_install_only_through_make():
    """CI, the GitHub workflows and a developer install the same way: `make` (from uv.lock)."""
    files = [ROOT / ".ci" / "run", *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]
    for path in files:
        text = path.read_text()
        assert not re.search(r"pip3? install|uv (sync|pip|add|lock)", text), path.name
        assert re.search(r"\bmake (test|drift|\.venv/\.installed)\b", text), path.name
    # The newest releases are met by the weekly drift job, never by a change's CI.
    assert "drift" not in (ROOT / ".ci" / "run").read_text()
    assert "drift" not in (ROOT / ".github" / "workflows" / "ci.yml").read_text()


def test_the_image_installs_only_hash_checked_locks():
    """Every `pip install` of the Dockerfile takes a lock with --require-hashes, or the project's
    own wheel (built in the image) with --no-deps."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "deploy" / "Dockerfile").read_text())
    installs = re.findall(r"pip install [^&\n]*", text)
    assert len(installs) == 3, installs
    for install in installs:
        if "-r " in install:
            assert "--require-hashes" in install and "--only-binary=:all:" in install, install
        else:
            assert "--no-deps /tmp/app/" in install, install
