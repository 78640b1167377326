"""Shared fixtures: one Spark session and one moto server per test session (both cost seconds to
start), an environment that never reaches a real AWS account or the real Wistia API, and every
fixture more than one test module uses. Shared helpers that are not fixtures live in `support/`:
a test module never imports another test module."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest

# Before anything imports boto3 or Spark: no real credentials, no real endpoints, loopback Spark.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
for _name in ("WISTIA_API_TOKEN", "MEDIA_IDS", "BRONZE_BUCKET", "SILVER_BUCKET", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # noqa: S105 - moto's dummy credentials
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_REGION"] = "us-east-1"
os.environ["DAGSTER_DEPLOYMENT"] = "local"
# The local HMAC key file defaults to ~/.config: tests keep theirs in a temporary folder.
os.environ.setdefault(
    "WISTIA_HASH_KEY_FILE",
    os.path.join(tempfile.mkdtemp(prefix="wistia-tests-"), "hash_key"),
)


# A shell starts a background job without job control (`nohup make test &`, `cmd &` in a
# script) with SIGINT ignored. Dagster code the suite reaches in-process copies SIGINT's
# disposition to SIGTERM (`setup_interrupt_handlers`), and the `tail -F` processes of its compute
# log capture then inherit an ignored SIGTERM: each outlives its `terminate()` by a 30 s wait, and
# an in-process run (test_run_health) never ends. The suite restores both, as a foreground run
# has them.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# Markers follow the fixtures a test uses (directly or through other fixtures), so a new Spark test
# cannot forget its mark and slip into the fast phase of `make test`.
MARKS_BY_FIXTURE = {
    "spark": "spark",
}


# The Spark and end-to-end phase runs on several workers (`make test`: pytest-xdist, one module per
# worker at a time, `--dist loadfile`); a module starts when a worker is free, in this order. The
# longest modules go first, so none of them starts last and leaves the other workers idle: most
# of the phase is these few (seconds each, serially, on the 2-core machine of docs/BENCHMARKS.md,
# "The test suite on several workers"). A module not named keeps its place after them.
LONGEST_MODULES_FIRST = (
    "test_erasure_end_to_end.py",  # 72 s
    "test_benchmarks_smoke.py",  # 66 s
    "test_iam_calls.py",  # 47 s
    "test_held_back_days.py",  # 31 s
    "test_silver_spark_jobs.py",  # 28 s
    "test_erasure_expired_bronze.py",  # 26 s
    "test_cli.py",  # 25 s
    "test_aws_deployment.py",  # 25 s
    "test_reliability_smoke.py",  # 23 s
    "test_transforms_fact_events.py",  # 20 s
    "test_glue_silver_job.py",  # 19 s
    "test_erasure_job_checks.py",  # 15 s
    "test_empty_day.py",  # 15 s
)


_RANK = {name: rank for rank, name in enumerate(LONGEST_MODULES_FIRST)}


def _module_rank(item) -> int:
    return _RANK.get(item.path.name, len(_RANK))


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by `-m`
def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, mark in MARKS_BY_FIXTURE.items():
            if fixture in used and item.get_closest_marker(mark) is None:
                item.add_marker(mark)
    items.sort(key=_module_rank)  # stable: a module's tests keep their order


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def spark():
    """One local Spark session per test process (each `make test` worker starts its own; a cold
    start costs ~3 s)."""
    if shutil.which("java") is None:
        pytest.fail(
            "Java 17 is required for the Spark tests: apt-get install openjdk-17-jre-headless"
        )
    from wistia_assets.transforms.session import local_spark_session

    session = local_spark_session(app_name="wistia_assets_tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def moto_server():
    """A moto server on loopback; yields its endpoint URL. State is shared: use unique names."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_endpoint(moto_server, monkeypatch):
    """The moto endpoint, also exported as AWS_ENDPOINT_URL so boto3 everywhere picks it up."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


# -- the Wistia client against a scripted Wistia (test_wistia_client, test_event_pull) -----------


@pytest.fixture
def clock():
    """A fake monotonic clock: waits are recorded, nothing sleeps for real."""
    from wistia_assets_tests.support.clock import FakeClock

    return FakeClock()


@pytest.fixture
def router():
    """A respx router standing in for Wistia at `support.wistia.BASE`."""
    import respx

    from wistia_assets_tests.support.wistia import BASE

    return respx.MockRouter(assert_all_called=False, base_url=BASE)


@pytest.fixture
def make_client(router, clock):
    """A client (`support.wistia.client_with(**overrides)`) on `router`, waiting on `clock`, one
    page at a time unless the test asks for prefetch; closed after the test."""
    import httpx

    from wistia_assets.settings import Secret
    from wistia_assets.wistia import RateBudget, WistiaClient
    from wistia_assets_tests.support.wistia import BASE, TOKEN, client_with

    clients = []

    def make(**overrides) -> WistiaClient:
        options = {
            "wistia_base_url": BASE,
            "wistia_api_token": Secret(TOKEN),
            "page_prefetch": 1,
            "budget": RateBudget(60_000, burst=1_000, clock=clock, sleep=clock.sleep),
            "transport": httpx.MockTransport(router.handler),
            "sleep": clock.sleep,
        } | overrides
        client = client_with(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- the ECS instance of deploy/dagster.yaml (test_deploy_dagster_config, test_defs) -------------


@pytest.fixture
def ecs_instance(tmp_path, aws_endpoint, monkeypatch):
    """The deploy instance with SQLite storage, its AWS clients pointed at moto."""
    import boto3
    import yaml
    from dagster import DagsterInstance

    from wistia_assets_tests.support.deploy import ECS_ENV, instance_config

    ecs = boto3.client("ecs", endpoint_url=aws_endpoint, region_name="us-east-1")
    run_td = ecs.register_task_definition(
        family="configtest-run",
        containerDefinitions=[{"name": "run", "image": "example/dagster:abc123"}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
    )["taskDefinition"]["taskDefinitionArn"]
    boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1").create_bucket(
        Bucket=ECS_ENV["DAGSTER_COMPUTE_LOGS_BUCKET"]
    )
    for name, value in ECS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_RUN_TASK_DEFINITION", run_td)
    config = instance_config()
    config["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance, run_td


def java_available() -> bool:
    return (
        shutil.which("java") is not None
        and subprocess.run(["java", "-version"], capture_output=True, check=False).returncode == 0
    )


def create_watermark_table(
    endpoint: str, keys: tuple[str, str] = ("dataset", "media_id"), name: str | None = None
) -> str:
    """A fresh DynamoDB watermark table on moto, shaped like the data stack's (or with other key
    names: the seed's table calls them `pk`/`sk`); returns its name."""
    import uuid

    import boto3

    name = name or f"WistiaWatermarks-{uuid.uuid4().hex[:8]}"
    partition, sort = keys
    boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1").create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": partition, "AttributeType": "S"},
            {"AttributeName": sort, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": sort, "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def doctor_recommends(sandbox, today, env: dict[str, str] | None = None) -> dict[str, str]:
    """What `wistia-assets doctor` tells the operator to change (setting -> value), examined
    in-process against `sandbox` on `today` with the settings `env` (MEDIA_IDS defaults to the
    sandbox's media)."""
    from wistia_assets.doctor import examine
    from wistia_assets.settings import Secret, Settings, WistiaApiSettings
    from wistia_assets.wistia.client import WistiaClient
    from wistia_assets.wistia.rate_budget import RateBudget

    settings = Settings.from_env({"MEDIA_IDS": ",".join(sandbox.media_ids)} | (env or {}))
    client = WistiaClient(
        WistiaApiSettings(
            wistia_base_url=sandbox.base_url,
            wistia_api_token=Secret(sandbox.token) if sandbox.token else None,
        ),
        budget=RateBudget(1_000_000),
        transport=sandbox.transport(),
    )
    with client:
        report = examine(settings, client, today=today)
    return {change.setting: change.value for change in report.changes}
