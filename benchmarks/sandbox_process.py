"""Start `benchmarks.sandbox_runner` as a child process and read its request log.

Only the child's own PID is ever signalled: other engineers run their own processes on this
machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServedRequest:
    """One request as the sandbox saw it arrive."""

    monotonic: float
    endpoint: str
    status: int | None
    media_id: str | None
    start_date: str | None
    page: int | None


@dataclass(frozen=True)
class SandboxLog:
    requests: list[ServedRequest]
    max_in_window_60: int  # computed by the sandbox's own RequestLog, the referee


def child_env() -> dict[str, str]:
    """The environment for harness children: `benchmarks` importable from any working dir."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return env


class SandboxProcess:
    """`with SandboxProcess(faults="latency_ms=200") as sandbox: ... sandbox.url ...`"""

    def __init__(self, *, faults: str = "", events_per_day: str = "120-420", seed: int = 7):
        self._args = [
            sys.executable,
            "-m",
            "benchmarks.sandbox_runner",
            "--faults",
            faults,
            "--events-per-day",
            events_per_day,
            "--seed",
            str(seed),
        ]
        self._proc: subprocess.Popen | None = None
        self.url = ""
        self.media_ids: tuple[str, ...] = ()
        self.pid = 0

    def __enter__(self) -> SandboxProcess:
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self._args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=child_env(),
        )
        hello = self._read_line()
        self.url, self.media_ids, self.pid = hello["url"], tuple(hello["media_ids"]), hello["pid"]
        return self

    def _read_line(self) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited early (code {self._proc.wait()})")
        return json.loads(line)

    def take_log(self) -> SandboxLog:
        """Every request since the previous call; the sandbox's log starts over."""
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write("log\n")
        self._proc.stdin.flush()
        answer = self._read_line()
        return SandboxLog(
            requests=[ServedRequest(*row) for row in answer["requests"]],
            max_in_window_60=answer["max_in_window_60"],
        )

    def __exit__(self, *exc_info: object) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # EOF: the child shuts its server down and exits
            proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            proc.kill()  # our own child, by its PID
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
