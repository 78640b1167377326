"""The ECS image, built here (`make image`) and started here (`make image-test`).

Inside the image, as the image's own user and through its own entrypoint: the gRPC code server
loads the aws deployment's definitions and answers Dagster's health check and repository listing;
the webserver starts on the image's dagster.yaml (Postgres storage, EcsRunLauncher, S3 compute
logs) and answers `/server_info` and a GraphQL query that sees the code location loaded with its
assets. AWS is a moto server and Postgres a throwaway cluster, both on loopback.

Postgres TLS as on RDS: dagster.yaml verifies the server (`sslmode: verify-full`) against the CA
bundle baked into the image. `make image-test` builds a TEST image whose bundle is a throwaway
CA (wistia_assets_tests/image_tls.py) instead of AWS's; the Postgres here presents a certificate
that CA issued for the name DAGSTER_PG_HOST gives, and accepts TLS connections only. Two servers
the image must refuse, and does, naming the certificate problem: one whose certificate another
CA signed, and the right server reached by a name its certificate does not hold (what
`verify-ca` or `require` would accept).

Not part of `make test` (marker `image`, deselected there): `make image-test` makes the test CA,
builds the image with it, and runs this module as root inside a private network namespace, so
the fixed ports of the entrypoint (3000, 4000) and of dagster.yaml's Postgres (5432) never meet
another process here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx
import pytest

from wistia_assets_tests.conftest import free_port
from wistia_assets_tests.image_tls import KeyPair, image_ca, issue_ca, issue_server_certificate

pytestmark = pytest.mark.image

STORAGE = ["--storage-driver", os.environ.get("BUILDAH_STORAGE_DRIVER", "vfs")]
ENTRYPOINT = "/opt/dagster/app/deploy/entrypoint.sh"
# Dagster's image does not carry these; the aws deployment must not need them.
LOCAL_ONLY = ("pyspark", "py4j", "duckdb", "pyarrow", "dagster_pyspark")
START_TIMEOUT = 180.0
BUNDLE = "/opt/dagster/rds-global-bundle.pem"  # dagster.yaml's sslrootcert
# The name DAGSTER_PG_HOST gives, as on ECS (an RDS endpoint name), and the server the test CA
# issued a certificate for; an impostor whose certificate another CA issued, at its own address
# (dagster.yaml's port is fixed). Both names resolve inside the container (buildah --add-host).
POSTGRES_HOST, POSTGRES_ADDRESS = "postgres.image-test.internal", "127.0.0.1"
IMPOSTOR_HOST, IMPOSTOR_ADDRESS = "impostor.image-test.internal", "127.0.0.2"


def buildah(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["buildah", *STORAGE, *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def image() -> str:
    name = os.environ.get("WISTIA_IMAGE")
    if not name:
        pytest.fail("WISTIA_IMAGE is not set: run `make image-test`, which builds and names it")
    for port in (3000, 4000, 5432):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                pytest.fail(
                    f"port {port} is in use: `make image-test` runs this in a private network "
                    "namespace (unshare --net) where the entrypoint's fixed ports are free"
                )
    return name


@pytest.fixture(scope="module")
def bundle_ca() -> KeyPair:
    """The CA the image was built to trust (`make image-test` made it before the build)."""
    directory = os.environ.get("WISTIA_IMAGE_TEST_CA")
    ca = image_ca(Path(directory)) if directory else None
    if ca is None or not (ca.certificate.is_file() and ca.key.is_file()):
        pytest.fail(
            "WISTIA_IMAGE_TEST_CA must name the folder of the test CA the image was built with: "
            "run `make image-test`, which makes it and builds the image with it"
        )
    return ca


@pytest.fixture(scope="module")
def container(image) -> Iterator[str]:
    name = f"wistia-image-test-{uuid.uuid4().hex[:8]}"
    hosts = [f"--add-host={POSTGRES_HOST}:{POSTGRES_ADDRESS}"]
    hosts.append(f"--add-host={IMPOSTOR_HOST}:{IMPOSTOR_ADDRESS}")
    buildah("from", "--pull=never", *hosts, "--name", name, image)
    yield name
    buildah("rm", name, check=False)


def run_in(container: str, *command: str, env: dict[str, str] | None = None) -> str:
    flags = [f"--env={k}={v}" for k, v in (env or {}).items()]
    out = buildah("run", "--isolation", "chroot", *flags, container, "--", *command)
    return out.stdout


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def sh(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


@contextmanager
def running_postgres(address: str, server: KeyPair) -> Iterator[Callable[[str], str]]:
    """A throwaway Postgres on ADDRESS:5432 presenting SERVER's certificate, with a `dagster`
    database; its pg_hba accepts TCP over TLS only (`hostssl`), so every connection that
    succeeds went through the certificate check."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        pytest.fail("Postgres is required: apt-get install -y postgresql (make image-test)")
    bin_dir = bins[-1]
    # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders there.
    root = Path(tempfile.mkdtemp(prefix="wistia-image-pg-"))
    data = root / "data"
    key, cert = root / "server.key", root / "server.crt"
    shutil.copy(server.key, key)
    shutil.copy(server.certificate, cert)
    key.chmod(0o600)
    for path in (root, key, cert):
        shutil.chown(path, "postgres")
    as_postgres = ("runuser", "-u", "postgres", "--")
    sh(*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "dagster", "--auth=trust")
    # Clients on loopback (all of 127/8 is local), over TLS only: no `host` line.
    (data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.0/8 trust\n")
    port = "5432"  # deploy/dagster.yaml's; free in make image-test's network namespace
    options = (
        f"-p {port} -k {root} -c listen_addresses={address} -c ssl=on "
        f"-c ssl_cert_file={cert} -c ssl_key_file={key} -c fsync=off"
    )
    pg_ctl = (*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data))
    sh(*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "start")
    local = ("-h", str(root), "-U", "dagster")  # the cluster's unix socket: no TLS needed

    def psql(sql: str) -> str:
        done = subprocess.run(
            [*as_postgres, str(bin_dir / "psql"), *local, "-d", "dagster", "-Atc", sql],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    try:
        sh(*as_postgres, str(bin_dir / "createdb"), *local, "dagster")
        yield psql
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(bundle_ca, tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """The deployment's Postgres (reached as POSTGRES_HOST): its certificate is for that name and
    comes from the image's CA. Yields a psql that runs SQL on the `dagster` database."""
    server = issue_server_certificate(bundle_ca, POSTGRES_HOST, tmp_path_factory.mktemp("pg-tls"))
    with running_postgres(POSTGRES_ADDRESS, server) as psql:
        yield psql


@pytest.fixture(scope="module")
def impostor(tmp_path_factory) -> Iterator[None]:
    """A Postgres whose certificate names the host it is reached by, but comes from a CA the
    image does not trust (a man in the middle, or a server that is not the RDS instance)."""
    folder = tmp_path_factory.mktemp("impostor-tls")
    other_ca = issue_ca(folder, "impostor-ca", "not the CA in the image")
    with running_postgres(
        IMPOSTOR_ADDRESS, issue_server_certificate(other_ca, IMPOSTOR_HOST, folder)
    ):
        yield


@pytest.fixture(scope="module")
def environment(moto_endpoint, postgres) -> dict[str, str]:
    """What the platform stack gives the code server and the webserver, pointed at loopback."""
    suffix = uuid.uuid4().hex[:8]
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    buckets = {z: f"wistia-{z}-{suffix}" for z in ("bronze", "silver", "pipes", "artifacts")}
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket)
    return {
        "DAGSTER_DEPLOYMENT": "aws",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "MEDIA_IDS": "abcd1234,efgh5678",
        "MEDIA_CHANNELS": "abcd1234:youtube",
        "WISTIA_START_DATE": "2026-11-01",
        "WISTIA_API_TOKEN": "image-test-token",
        "BRONZE_BUCKET": buckets["bronze"],
        "SILVER_BUCKET": buckets["silver"],
        "PIPES_BUCKET": buckets["pipes"],
        "DDB_TABLE": f"WistiaWatermarks-{suffix}",
        "GLUE_JOB_NAME": f"wistia-silver-{suffix}",
        "GLUE_DATABASE": f"wistia_silver_{suffix}",
        "ATHENA_WORKGROUP": "wistia-analytics",
        "ALERTS_TOPIC_ARN": f"arn:aws:sns:us-east-1:123456789012:alerts-{suffix}",
        "WISTIA_HASH_KEY_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
        "DAGSTER_PG_HOST": POSTGRES_HOST,
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_COMPUTE_LOGS_BUCKET": buckets["artifacts"],
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_RUN_TASK_DEFINITION": "arn:aws:ecs:us-east-1:123456789012:task-definition/run:1",
    }


class Service:
    """One entrypoint role started with `buildah run` in its own process group."""

    def __init__(
        self, container: str, role: str, env: dict[str, str], logs: Path, *args: str, log=None
    ):
        flags = [f"--env={k}={v}" for k, v in env.items()]
        self.log = logs / f"{log or role}.log"
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            ["buildah", *STORAGE, "run", "--isolation", "chroot", *flags, container]
            + ["--", ENTRYPOINT, role, *args],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive_or_fail(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.log.stem} exited {self.process.returncode}:\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_for(what: str, probe, service: Service):
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        service.alive_or_fail()
        try:
            return probe()
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
            time.sleep(1.0)
    pytest.fail(f"{what} did not answer within {START_TIMEOUT:.0f} s ({last}):\n{service.tail()}")


@pytest.fixture(scope="module")
def services(container, environment, tmp_path_factory) -> Iterator[dict[str, Service]]:
    logs = tmp_path_factory.mktemp("image-logs")
    started: dict[str, Service] = {}
    try:
        started["code-server"] = Service(container, "code-server", environment, logs)
        started["webserver"] = Service(container, "webserver", environment, logs)
        yield started
    finally:
        for service in started.values():
            service.stop()


def test_the_image_runs_as_its_own_user_without_the_local_extra(container, environment):
    assert run_in(container, "id", "-u").strip() == "10001"
    probe = (
        "import importlib.util as u, json; "
        f"print(json.dumps([m for m in {LOCAL_ONLY!r} if u.find_spec(m)]))"
    )
    assert json.loads(run_in(container, "python", "-c", probe)) == []
    # The image carries no tests, and does carry what `deploy verify`'s one-off tasks run.
    carried = (
        "import importlib.util as u; print(u.find_spec('wistia_assets_tests') is None, "
        "u.find_spec('wistia_assets.verification.identity') is not None)"
    )
    assert run_in(container, "python", "-c", carried).split() == ["True", "True"]
    # The aws definitions load (every module the code server imports) and say how long it took:
    # a measurement for the notes, not an assertion.
    timed = (
        "import time; t = time.perf_counter(); import wistia_assets; d = wistia_assets.defs; "
        "d.get_repository_def(); print(f'{time.perf_counter() - t:.2f}')"
    )
    seconds = run_in(container, "python", "-c", timed, env=environment).strip().splitlines()[-1]
    print(f"aws definitions loaded in the image in {seconds} s")


def test_the_image_trusts_the_ca_it_was_built_with_and_says_it_is_a_test_build(
    image, container, bundle_ca
):
    assert run_in(container, "cat", BUNDLE) == bundle_ca.certificate.read_text()
    labels = json.loads(buildah("inspect", "--type", "image", image).stdout)["Docker"]["config"]
    assert labels["Labels"]["wistia-assets.rds-ca"].startswith("TEST "), labels["Labels"]


def test_the_code_server_serves_the_aws_definitions(services):
    from dagster._grpc.client import DagsterGrpcClient

    client = DagsterGrpcClient(port=4000, host="127.0.0.1")
    wait_for("the code server", lambda: client.ping("image-test"), services["code-server"])
    listing = json.dumps(json.loads(client.list_repositories()))
    assert "wistia_assets" in listing and "error" not in listing.lower(), listing


def test_the_webserver_answers_its_health_check_and_sees_the_location(services):
    def server_info():
        return httpx.get("http://127.0.0.1:3000/server_info", timeout=5).raise_for_status().json()

    info = wait_for("the webserver's /server_info", server_info, services["webserver"])
    assert info["dagster_webserver_version"]

    query = """{ workspaceOrError { ... on Workspace { locationEntries {
        name loadStatus locationOrLoadError {
          ... on RepositoryLocation { repositories { assetNodes { assetKey { path } } } }
          ... on PythonError { message } } } } } }"""

    def location():
        reply = httpx.post("http://127.0.0.1:3000/graphql", json={"query": query}, timeout=10)
        (entry,) = reply.raise_for_status().json()["data"]["workspaceOrError"]["locationEntries"]
        # A code server that came up after the webserver shows as an error until the
        # webserver's watcher reconnects: wait for the repositories, not for the first answer.
        if entry["loadStatus"] != "LOADED" or "repositories" not in entry["locationOrLoadError"]:
            raise RuntimeError(f"location {entry['loadStatus']}: {entry['locationOrLoadError']}")
        return entry

    entry = wait_for("the code location in the webserver", location, services["webserver"])
    assert entry["name"] == "wistia_assets"
    loaded = entry["locationOrLoadError"]
    keys = {
        "/".join(node["assetKey"]["path"])
        for repo in loaded["repositories"]
        for node in repo["assetNodes"]
    }
    assert {"bronze_events", "fact_events", "dim_media"} <= keys


def test_the_instance_lives_in_the_verified_postgres(services, postgres):
    """The code server and the webserver opened the Dagster instance over TLS (the server takes
    nothing else) with the certificate verified, and created its tables there."""

    def run_list():
        reply = httpx.post(
            "http://127.0.0.1:3000/graphql",
            json={"query": "{ runsOrError { __typename ... on Runs { results { runId } } } }"},
            timeout=10,
        )
        return reply.raise_for_status().json()["data"]["runsOrError"]

    runs = wait_for("the webserver's run list", run_list, services["webserver"])
    assert runs == {"__typename": "Runs", "results": []}, runs
    tables = postgres("select string_agg(tablename, ',' order by tablename) from pg_tables")
    assert {"runs", "event_logs", "jobs"} <= set(tables.split(",")), tables


def code_location_on(host: str, container, environment, logs: Path) -> list[str]:
    """The load error (its messages, outermost first) of a code server started with
    DAGSTER_PG_HOST=HOST; empty when the location loaded."""
    from dagster._grpc.client import DagsterGrpcClient

    port = free_port()  # the fixed 4000 belongs to the `services` code server
    env = {**environment, "DAGSTER_PG_HOST": host}
    # The entrypoint passes extra arguments on to `dagster code-server start`: the last -p wins.
    service = Service(container, "code-server", env, logs, "-p", str(port), log=host)
    try:
        client = DagsterGrpcClient(port=port, host="127.0.0.1")
        wait_for(f"the code server on {host}", lambda: client.ping("image-test"), service)
        error = json.loads(client.list_repositories())
    finally:
        service.stop()
    messages = []
    while error and error.get("__class__") == "SerializableErrorInfo":
        messages.append(error["message"].strip())
        error = error["cause"]
    return messages


def test_a_postgres_whose_certificate_another_ca_signed_is_refused(
    container, environment, impostor, tmp_path
):
    refusal = code_location_on(IMPOSTOR_HOST, container, environment, tmp_path)
    assert any("SSL error: certificate verify failed" in m for m in refusal), refusal
    print(f"code location on {IMPOSTOR_HOST}: {refusal[-1]}")


def test_a_certificate_for_another_host_name_is_refused(container, environment, postgres, tmp_path):
    """The right server, reached by an address its certificate does not name: verify-full, not
    only verify-ca (which would accept it)."""
    refusal = code_location_on(POSTGRES_ADDRESS, container, environment, tmp_path)
    assert any(
        f'server certificate for "{POSTGRES_HOST}"' in m
        and f'does not match host name "{POSTGRES_ADDRESS}"' in m
        for m in refusal
    ), refusal
    print(f"code location on {POSTGRES_ADDRESS}: {refusal[-1]}")
