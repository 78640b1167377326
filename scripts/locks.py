"""Every lock of the project, written from one resolution (uv.lock) by uv, and checked.

`make lock` runs `python scripts/locks.py`: `uv lock` (keeping every locked version the ranges
in pyproject.toml still allow; `--upgrade` takes the newest they allow), then the exports, each
with the hashes of every file of every pinned release:

- deploy/requirements.lock        the ECS image: the core dependencies and the `ecs` extra
- deploy/build-requirements.lock  the image's builder stage: the `build` group
- deploy/glue-requirements.lock   what the Glue job installs beside the project wheel: `glue`
- requirements-uv.txt             uv itself, which `make` installs with pip before anything else

`--check` writes nothing: it fails, naming the file and the command, when uv.lock no longer
satisfies pyproject.toml or an export differs from what uv.lock gives. The test suite runs it.

Only the standard library: `make lock` runs it before the environment is synced (a uv.lock that
disagrees with pyproject.toml is exactly what stops `make` syncing).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = "make lock"


def comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in text.splitlines())


# file -> (`uv export` arguments selecting what it pins, the header saying what it is for). The
# project itself is never in an export; every pin carries the hash of each file of its release.
EXPORTS: dict[str, tuple[tuple[str, ...], str]] = {
    "deploy/requirements.lock": (
        ("--no-default-groups", "--extra", "ecs"),
        "The ECS image's runtime: the core dependencies and the `ecs` extra. The Dockerfile\n"
        "installs it with pip --require-hashes --no-deps: nothing is resolved in the image.",
    ),
    "deploy/build-requirements.lock": (
        ("--only-group", "build"),
        "The build backend (and pip) of the image's builder stage: the `build` group.",
    ),
    "deploy/glue-requirements.lock": (
        ("--only-group", "glue"),
        "What the Glue job installs beside the project wheel (Glue 5.0 provides Python 3.11,\n"
        "pyspark and boto3): the `glue` group. `wistia-assets deploy package-glue` downloads\n"
        "it, hash-checked, and uploads it next to the project wheel.",
    ),
}
GENERATED = "Written by `make lock` (scripts/locks.py) from uv.lock: edit pyproject.toml, not this."
BOOTSTRAP = "requirements-uv.txt"
BOOTSTRAP_HEADER = comment(
    "uv itself, the one package `make` installs with pip (hash-checked); uv then installs\n"
    "everything else from uv.lock. The uv release uv.lock pins (the dev extra), with the hash of\n"
    f"each of its files, so every platform installs it.\n{GENERATED}"
)


class LockError(Exception):
    """A lock disagrees with pyproject.toml or with uv.lock (one line, with the fix)."""


def uv() -> str:
    """The uv beside this interpreter (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise LockError(f"uv is not installed: run `make .venv/.installed` or `{FIX}`")
    return found


def run_uv(project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # Run in the project (not `--project`), so no path of this machine lands in a file.
    return subprocess.run(  # noqa: S603 - uv with fixed arguments
        [uv(), *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"},
    )


def locked_package(project: Path, name: str) -> dict:
    """uv.lock's entry for one package: its version, its files and their hashes."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    (package,) = [p for p in lock["package"] if p["name"] == name]
    return package


def lock(project: Path, upgrade: bool = False) -> None:
    done = run_uv(project, "lock", *(["--upgrade"] if upgrade else []))
    if done.returncode != 0:
        raise LockError(f"uv lock failed: {last_line(done)}")


def check_lock(project: Path) -> None:
    """uv.lock still satisfies pyproject.toml (offline: the lock holds all it needs to tell)."""
    done = run_uv(project, "lock", "--check", "--offline")
    if done.returncode != 0:
        raise LockError(
            f"uv.lock does not match pyproject.toml ({last_line(done)}): run `{FIX}`, "
            "review the versions it moved, and commit uv.lock with the locks it rewrites"
        )


def export(project: Path, name: str) -> str:
    selection, purpose = EXPORTS[name]
    done = run_uv(
        project, "export", "--frozen", "--format", "requirements-txt", "--no-header",
        "--no-emit-project", *selection,
    )  # fmt: skip
    if done.returncode != 0:
        raise LockError(f"uv export for {name} failed: {last_line(done)}")
    return comment(f"{purpose}\n{GENERATED}") + done.stdout


def bootstrap(project: Path) -> str:
    """requirements-uv.txt: the locked uv release with the hashes of all its files."""
    version = locked_package(project, "uv")["version"]
    done = run_uv(
        project, "pip", "compile", "-", "--universal", "--generate-hashes", "--no-header",
        "--python-version", "3.11", "--quiet", stdin=f"uv=={version}\n",
    )  # fmt: skip
    if done.returncode != 0:
        raise LockError(f"uv pip compile for {BOOTSTRAP} failed: {last_line(done)}")
    return BOOTSTRAP_HEADER + done.stdout


def locked_hashes(project: Path, name: str) -> set[str]:
    package = locked_package(project, name)
    files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
    return {f["hash"] for f in files}


def bootstrap_hashes(text: str) -> set[str]:
    return {part.split()[0] for part in text.split("--hash=")[1:]}


def check_exports(project: Path) -> None:
    for name in EXPORTS:
        want, have = export(project, name), read(project / name)
        if want != have:
            diff = difflib.unified_diff(
                have.splitlines(), want.splitlines(), name, "uv export", lineterm="", n=0
            )
            changed = [line for line in diff if line[:1] in "+-" and line[:3] not in "+++---"]
            raise LockError(
                f"{name} is not what uv.lock gives ({len(changed)} lines differ, first: "
                f"{changed[0] if changed else '?'}): run `{FIX}`"
            )
    # The hashes name the release: the locked uv's files and no others.
    if bootstrap_hashes(read(project / BOOTSTRAP)) != locked_hashes(project, "uv"):
        raise LockError(
            f"{BOOTSTRAP} does not pin the uv release uv.lock pins, with its hashes: run `{FIX}`"
        )


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def last_line(done: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {done.returncode}"


def versions(project: Path) -> dict[str, str]:
    """Every locked package (the project itself aside) -> its version."""
    lock_file = project / "uv.lock"
    if not lock_file.exists():
        return {}
    packages = tomllib.loads(lock_file.read_text())["package"]
    return {
        p["name"]: p["version"]
        for p in packages
        if "version" in p and "editable" not in p["source"]
    }


def moved(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per package whose locked version changed, appeared or went."""
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            lines.append(f"{name} {old or '(new)'} -> {new or '(gone)'}")
    return lines


def exact_pins(project: Path) -> dict[str, str]:
    """Every `name==version` requirement pyproject.toml declares (core, extras and groups)."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    declared = list(pyproject["project"].get("dependencies", []))
    for requirements in pyproject["project"].get("optional-dependencies", {}).values():
        declared += requirements
    for requirements in pyproject.get("dependency-groups", {}).values():
        declared += [r for r in requirements if isinstance(r, str)]
    pins = {}
    for requirement in declared:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", requirement.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def held_back(project: Path) -> list[str]:
    """One line per exact pin with a newer release on the index: `--upgrade` cannot move those,
    and a weekly job that only upgraded would never say that the world moved past them."""
    pins = exact_pins(project)
    done = run_uv(
        project, "pip", "compile", "-", "--no-deps", "--universal", "--no-header",
        "--no-annotate", "--python-version", "3.11", "--quiet", stdin="\n".join(pins) + "\n",
    )  # fmt: skip
    if done.returncode != 0:
        return [f"(newest releases of the exact pins not known: {last_line(done)})"]
    newest = dict(
        line.split("==", 1) for line in done.stdout.splitlines() if "==" in line and line[:1] != "#"
    )
    return [
        f"{name} {pins[name]} (pinned; {newest[name]} is out)"
        for name in sorted(pins)
        if newest.get(name, pins[name]) != pins[name]
    ]


def write(project: Path, upgrade: bool) -> list[str]:
    """Lock, then export; returns the files whose content changed."""
    before = read(project / "uv.lock")
    lock(project, upgrade)
    changed = ["uv.lock"] if read(project / "uv.lock") != before else []
    texts = {name: export(project, name) for name in EXPORTS}
    texts[BOOTSTRAP] = bootstrap(project)
    for name, text in texts.items():
        if read(project / name) != text:
            # Written whole, then renamed: an interrupted lock leaves the old file, not half one.
            with tempfile.NamedTemporaryFile(
                "w", dir=project / Path(name).parent, delete=False
            ) as f:
                f.write(text)
            # A temporary file is private; a lock is read by others (the image build).
            os.chmod(f.name, 0o644)
            os.replace(f.name, project / name)
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; fail if out of date")
    mode.add_argument(
        "--check-lock", action="store_true", help="only: does uv.lock match pyproject.toml?"
    )
    mode.add_argument("--upgrade", action="store_true", help="the newest versions the ranges allow")
    parser.add_argument(
        "--moved",
        type=Path,
        help="write here the packages that moved, and the exact pins a newer release passed",
    )
    parser.add_argument("--project", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.check_lock:
            check_lock(args.project)
            return 0
        if args.check:
            check_lock(args.project)
            check_exports(args.project)
            print("uv.lock matches pyproject.toml; every export matches uv.lock")
            return 0
        before = versions(args.project)
        changed = write(args.project, args.upgrade)
    except LockError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    shifts = moved(before, versions(args.project))
    print(f"rewrote {', '.join(changed)}" if changed else "every lock was already up to date")
    print("\n".join(f"  moved: {line}" for line in shifts) or "  no locked version moved")
    if args.moved:
        held = held_back(args.project)
        print("\n".join(f"  held back: {line}" for line in held))
        report = [*shifts, *(f"held back: {line}" for line in held)]
        args.moved.parent.mkdir(parents=True, exist_ok=True)
        args.moved.write_text("".join(f"{line}\n" for line in report) or "(nothing moved)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
