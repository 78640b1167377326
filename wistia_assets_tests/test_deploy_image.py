"""The Dagster image's inputs: no Docker engine here, so what it would build from is checked.

Pinned base, non-root user, no build secrets, every COPY source present and let through the
.dockerignore allow-list, a runnable entrypoint, and a lock that agrees with pyproject.toml.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from wistia_assets_tests.support.deploy import requirement_lines

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BUNDLE_CHECK = DEPLOY / "image" / "rds_ca_bundle.py"
AWS_BUNDLE = "deploy/rds-global-bundle.pem"
DOWNLOAD = (
    f"curl -fsSL -o {AWS_BUNDLE} https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
)


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
    for line in requirement_lines(DEPLOY / name):
        req = Requirement(line.split(" --", 1)[0])
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


def test_the_build_context_leaves_out_the_tests():
    """No file of wistia_assets_tests passes the allow-list, so no COPY can put one in the image
    (the wheel's own contents: test_locks.py)."""
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = [p.strip()[1:] for p in lines if p.strip().startswith("!")]
    tests = [p.relative_to(ROOT).as_posix() for p in (ROOT / "wistia_assets_tests").rglob("*.py")]
    assert len(tests) > 50
    let_in = [t for t in tests if any(fnmatch.fnmatch(t, p) for p in allowed)]
    assert not let_in, let_in
    # Nor would the image's own package glob take them.
    assert not [p for p in allowed if fnmatch.fnmatch("wistia_assets_tests/conftest.py", p)]


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


# The image's interpreter and platform, whatever machine runs the tests.
IMAGE_MARKERS = {
    **default_environment(),
    "python_version": "3.11",
    "python_full_version": "3.11.13",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
}


def test_lock_is_closed_under_requirements():
    """Every requirement of a locked distribution is locked and satisfied on the image's platform
    (checked with the metadata installed here, for each distribution whose installed version is
    the locked one): the image installs the lock with --no-deps, so a gap would only show at
    import. Independent of uv, which wrote the lock."""
    pins = lock()
    checked = 0
    for name, version in pins.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # the `ecs` extra (dagster-postgres, its driver) is not in the dev venv
        if Version(dist.version) != Version(version):
            continue
        for raw in dist.requires or ():
            req = Requirement(raw)
            if req.marker is not None and not req.marker.evaluate({**IMAGE_MARKERS, "extra": ""}):
                continue
            dep = canonicalize_name(req.name)
            assert dep in pins, f"{name} needs {dep}"
            assert req.specifier.contains(pins[dep], prereleases=True), f"{name}: {req}"
        checked += 1
    assert checked > len(pins) * 0.8, "too few locked versions installed to check the closure"


def test_build_backend_is_hash_pinned_and_satisfies_pyproject():
    pins = lock("build-requirements.lock")
    pinned = requirement_lines(DEPLOY / "build-requirements.lock")
    assert len(pinned) == len(pins)
    assert all("--hash=sha256:" in line for line in pinned), pinned
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


def test_the_image_carries_the_rds_ca_bundle_where_dagster_yaml_reads_it():
    """The Postgres connection verifies RDS against `sslrootcert`: the image must hold AWS's
    bundle exactly there, taken from the build context (where the operator downloaded it) and
    never from the repository."""
    params = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["storage"]["postgres"]
    sslrootcert = params["postgres_db"]["params"]["sslrootcert"]
    (copy,) = [v.split() for k, v in instructions() if k == "COPY" and v.endswith(sslrootcert)]
    assert copy[0] == "--from=rds-ca", copy  # the stage that checks the bundle (below)
    assert f"RDS_CA_BUNDLE={AWS_BUNDLE}" in [v for k, v in instructions() if k == "ARG"]
    assert f"!{AWS_BUNDLE}" in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    tracked = subprocess.run(["git", "ls-files", "*.pem"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0 and tracked.stdout == "", tracked.stdout
    assert subprocess.run(["git", "check-ignore", "-q", AWS_BUNDLE], cwd=ROOT).returncode == 0
    # The README's download command is the one a failed build prints.
    assert DOWNLOAD in " ".join((DEPLOY / "README.md").read_text().split())


def check_bundle(path: Path, name: str = AWS_BUNDLE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BUNDLE_CHECK), str(path), name], capture_output=True, text=True
    )


def self_signed(path: Path, *, authority: bool) -> Path:
    """A throwaway certificate made here (cryptography comes with moto): never AWS's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wistia_assets tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, "bundle check"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no RDS CA bundle at deploy/rds-global-bundle.pem"),
        ("", "no RDS CA bundle at deploy/rds-global-bundle.pem"),
        ("<html><body>403 Forbidden</body></html>\n", "holds no PEM certificate"),
        ("leaf", "holds certificates but no certificate authority"),
    ],
    ids=["missing", "empty", "error-page", "no-authority"],
)
def test_a_build_without_a_usable_rds_ca_bundle_stops_saying_how_to_get_it(tmp_path, content, says):
    bundle = tmp_path / "rds-global-bundle.pem"
    if content == "leaf":
        self_signed(bundle, authority=False)
    elif content is not None:
        bundle.write_text(content)
    done = check_bundle(bundle)
    assert done.returncode == 1 and done.stdout == ""
    message = done.stderr
    assert message.startswith("error: ") and says in message, message
    assert message.rstrip().endswith(DOWNLOAD), message


def test_a_bundle_of_certificate_authorities_passes_and_is_described(tmp_path):
    done = check_bundle(self_signed(tmp_path / "ca.pem", authority=True), "build/test-ca.pem")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout == "RDS CA bundle build/test-ca.pem: 1 CA certificate (wistia_assets tests)\n"
    )
