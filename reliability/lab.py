"""One case's world: an empty lake, a Dagster instance, and the sandbox API on a loopback socket.

A `Lab` is what every case starts from. The sandbox requires a bearer token (the harness's
distinctive secret, so the security scan can look for it) and runs on a `ManualClock`, so a case
decides which late events have arrived. Runs go through the real entry points: the `wistia_window`
job of `build_defs(settings)` executed in this process, or the `wistia-assets` CLI in a
subprocess when the case needs a process it can kill.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from wistia_assets.sandbox import ManualClock, SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS

REPO = Path(__file__).resolve().parent.parent
MEDIA = SANDBOX_MEDIA_IDS
# Distinctive per harness process: a hit in the security scan can only be a leak of this run.
TOKEN = f"wistia-tok-{secrets.token_hex(12)}"
HASH_KEY = f"hash-key-{secrets.token_hex(16)}"
WINDOW_JOB = "wistia_window"
# The console logger at WARNING, as `wistia-assets run` does; every event still reaches the
# instance's event log, which the security scan reads.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def utc_today() -> date:
    return datetime.now(UTC).date()


def default_day() -> date:
    """A closed day that is a valid daily partition, with closed neighbours on both sides."""
    return utc_today() - timedelta(days=10)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def settled(day: date) -> datetime:
    """A moment when every event of `day` has arrived (late ones come 1-20 h after its end)."""
    return day_start(day) + timedelta(days=2)


@dataclass
class Run:
    """What one run did, as the harness saw it."""

    label: str
    success: bool
    seconds: float
    requests: int = 0  # requests the sandbox received during the run
    injected: int = 0  # of which answered with an injected fault
    retries: int = 0  # as the Bronze manifests counted them
    run_id: str | None = None
    error: str | None = None
    returncode: int | None = None
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)


class LogCapture(logging.Handler):
    """Every Python log record of the process, formatted, for the secret scan."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break the run
            text = f"{record.msg!r} {record.args!r}"
        extra = {k: v for k, v in record.__dict__.items() if k.startswith("wistia_")}
        self.lines.append(f"{record.levelname} {record.name}: {text} {extra or ''}")
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append(repr(record.exc_info[1]))


class Lab:
    """Use as a context manager; see the module docstring."""

    def __init__(
        self,
        name: str,
        *,
        day: date | None = None,
        seed: int = 7,
        events_per_day: int | str = 300,
        faults: str = "",
        clock_at: datetime | None = None,
        settings_env: dict[str, str] | None = None,
        keep: bool = False,
    ):
        self.name = name
        self.day = day or default_day()
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix=f"wistia-rel-{name}-"))
        self.lake = self.root / "lake"
        self.home = self.root / "dagster_home"
        self.home.mkdir()
        # The local instance configuration `make run` uses, pools and run queue limits included.
        shutil.copy(REPO / "dagster.local.yaml", self.home / "dagster.yaml")
        self.clock = ManualClock(clock_at or settled(self.day))
        self.sandbox = SandboxWistia(
            seed=seed,
            faults=faults,
            clock=self.clock,
            token=TOKEN,
            events_per_day=events_per_day,
        )
        self.server = None
        self.instance = None
        self.settings_env = dict(settings_env or {})
        self.runs: list[Run] = []
        self.outputs: list[str] = []  # stdout/stderr of subprocesses and captured streams
        self.capture = LogCapture()
        self._saved_env: dict[str, str | None] = {}

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Lab:
        self.server = serve(self.sandbox)
        # The deployment's environment in this process too, as an operator exports it: the token
        # reaches the resource through EnvVar (resolved at run time), the hash key the Spark
        # engine, and Spark's Python workers import wistia_assets, which builds the definitions
        # from the environment.
        for name, value in self.env.items():
            if name == "DAGSTER_HOME":
                continue  # this process opens its instance explicitly (`self.instance`)
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        from dagster import DagsterInstance
        from dagster._core.instance.ref import InstanceRef

        self.instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home)))
        root = logging.getLogger()
        root.addHandler(self.capture)
        return self

    def __exit__(self, *exc_info) -> None:
        logging.getLogger().removeHandler(self.capture)
        if self.instance is not None:
            self.instance.dispose()
        if self.server is not None:
            self.server.shutdown()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def env(self) -> dict[str, str]:
        """The deployment's environment: what an operator would export."""
        return {
            "DAGSTER_DEPLOYMENT": "local",
            "DAGSTER_HOME": str(self.home),
            "WISTIA_API_TOKEN": TOKEN,
            "WISTIA_HASH_KEY": HASH_KEY,
            "WISTIA_BASE_URL": self.server.url,
            "MEDIA_IDS": ",".join(MEDIA),
            "WISTIA_LAKE_ROOT": str(self.lake),
            "WISTIA_START_DATE": (self.day - timedelta(days=30)).isoformat(),
            "SPARK_LOCAL_IP": "127.0.0.1",
            **self.settings_env,
        }

    def settings(self):
        from wistia_assets.settings import Settings

        return Settings.from_env(self.env)

    # --- runs ---------------------------------------------------------------------------------

    def run_window(self, day: date | None = None, media: str = MEDIA[0], *, label: str = "") -> Run:
        """The `wistia_window` job for one partition, in this process."""
        from wistia_assets.definitions import build_defs

        day = day or self.day
        job = build_defs(self.settings()).resolve_job_def(WINDOW_JOB)
        before = len(self.sandbox.request_log)
        started = time.monotonic()
        result = job.execute_in_process(
            partition_key=f"{day.isoformat()}|{media}",
            instance=self.instance,
            raise_on_error=False,
            run_config=QUIET,
        )
        run = Run(
            label=label or f"{day}|{media}",
            success=result.success,
            seconds=time.monotonic() - started,
            run_id=result.run_id,
        )
        self._count_requests(run, before)
        for event in result.get_asset_materialization_events():
            mat = event.event_specific_data.materialization
            run.metadata[mat.asset_key.to_user_string()] = {
                k: getattr(v, "value", v) for k, v in mat.metadata.items()
            }
        run.retries = sum(
            int(meta.get("retries", 0))
            for asset, meta in run.metadata.items()
            if asset.startswith("bronze_")
        )
        if not result.success:
            run.error = first_failure(result.all_events)
        self.runs.append(run)
        return run

    def run_windows(self, days: list[date], media: tuple[str, ...] = MEDIA) -> list[Run]:
        return [self.run_window(d, m) for d in days for m in media]

    def _count_requests(self, run: Run, before: int) -> None:
        entries = self.sandbox.request_log.entries()[before:]
        run.requests = len(entries)
        run.injected = sum(1 for e in entries if e.fault is not None)

    def cli_command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "wistia_assets.cli", *args]

    def spawn_cli(self, *args: str, tag: str, env: dict[str, str] | None = None) -> CliProcess:
        """`wistia-assets <args>` in a subprocess with the deployment's environment."""
        env = {**os.environ, **self.env, **(env or {})}
        # One Spark driver per subprocess at 1 GB: the machine is shared.
        env.setdefault("WISTIA_SPARK_DRIVER_MEMORY", "1g")
        out = self.root / f"{tag}.out"
        err = self.root / f"{tag}.err"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            proc = subprocess.Popen(  # noqa: S603 - our own CLI, arguments from the harness
                self.cli_command(*args),
                cwd=self.root,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        return CliProcess(self, tag, proc, out, err, len(self.sandbox.request_log))

    def rerun_cli(self, day: date, media: str, *, tag: str, timeout: float = 300) -> Run:
        """`wistia-assets rerun --date D --media-id M` to completion."""
        process = self.spawn_cli(
            "rerun", "--date", day.isoformat(), "--media-id", media, "--quiet", tag=tag
        )
        return process.wait(timeout)

    @contextlib.contextmanager
    def captured_streams(self) -> Iterator[None]:
        """Capture this process's stdout/stderr (Dagster's console logger writes there)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
        self.outputs += [out.getvalue(), err.getvalue()]


@dataclass
class CliProcess:
    lab: Lab
    tag: str
    proc: subprocess.Popen
    out: Path
    err: Path
    requests_before: int
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def descendants(self) -> list[int]:
        """PIDs of this process's children, grandchildren... (the Spark JVM among them)."""
        found: list[int] = []
        pending = [self.proc.pid]
        while pending:
            pid = pending.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    for child in task.read_text().split():
                        found.append(int(child))
                        pending.append(int(child))
        return found

    def kill9(self) -> list[int]:
        """SIGKILL the CLI process (by its PID only). Returns its descendants' PIDs, which the
        caller must see exit (the Spark JVM ends when its parent's pipe closes)."""
        children = self.descendants()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._collect()
        return children

    def wait(self, timeout: float) -> Run:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise
        return self._collect(code)

    def _collect(self, code: int | None = None) -> Run:
        stdout = self.out.read_text(errors="replace")
        stderr = self.err.read_text(errors="replace")
        self.lab.outputs += [stdout, stderr]
        run = Run(
            label=f"cli:{self.tag}",
            success=code == 0,
            seconds=time.monotonic() - self.started,
            returncode=self.proc.returncode,
            error=_last_error_line(stderr) if code not in (0, None) else None,
        )
        self.lab._count_requests(run, self.requests_before)
        self.lab.runs.append(run)
        return run

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")


def wait_for_exit(pids: list[int], timeout: float = 30.0) -> list[int]:
    """PIDs still alive after `timeout` (zombies of other parents count as gone)."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.2)
    return alive


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _last_error_line(stderr: str) -> str | None:
    """The CLI's one-line error, else the exception line of a traceback, else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for wanted in (
        lambda line: line.startswith("error:"),
        lambda line: re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b", line) is not None,
    ):
        found = [line for line in lines if wanted(line)]
        if found:
            return found[-1]
    return lines[-1] if lines else None


def first_failure(events) -> str:
    """The message a user sees for the run's first failed step."""
    for event in events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error is not None:
                error = data.error
                while error.cause is not None and error.cls_name.startswith("Dagster"):
                    error = error.cause
                return f"{error.cls_name}: {error.message.strip().splitlines()[0]}"
    return "the run failed without a step failure"


def stop_local_spark() -> None:
    """Stop this process's Spark session before subprocesses start their own (shared machine)."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is not None:
        session.stop()
