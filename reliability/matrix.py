"""The case registry and what one case reports.

A case is a function of a `Ctx`: it opens labs (`ctx.lab(...)`), runs the pipeline, and records
problems with `ctx.expect(problems)` / `ctx.check(condition, message)`; an exception fails the
case with its message. Every lab's Silver is scanned for personal data and for duplicated event
keys before the case ends, whatever the case itself checked.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from reliability.lab import HASH_KEY, TOKEN, Lab, Run
from reliability.security import (
    check_layout,
    dagster_records,
    personal_values,
    scan_bytes,
    scan_files,
    scan_silver,
    scan_text,
)
from reliability.truth import check_table_unique, check_window

SECRETS = {"WISTIA_API_TOKEN": TOKEN, "WISTIA_HASH_KEY": HASH_KEY}


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    asserts: str
    quick: bool
    fn: Callable[[Ctx], None]
    group: str = "faults"


CASES: dict[str, Case] = {}


def case(name: str, title: str, asserts: str, *, quick: bool = False, group: str = "faults"):
    def register(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        CASES[name] = Case(name, title, asserts, quick, fn, group)
        return fn

    return register


@dataclass
class CaseResult:
    name: str
    title: str
    asserts: str
    group: str
    passed: bool
    seconds: float
    runs: list[Run] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def injected(self) -> int:
        return sum(r.injected for r in self.runs)

    @property
    def retries(self) -> int:
        return sum(r.retries for r in self.runs)


class Ctx:
    def __init__(self, name: str, keep: bool):
        self.name = name
        self.keep = keep
        self.stack: contextlib.ExitStack | None = None
        self.labs: list[Lab] = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.report_secret_scan = False

    def lab(self, **kwargs) -> Lab:
        lab = self.stack.enter_context(Lab(self.name, keep=self.keep, **kwargs))
        self.labs.append(lab)
        # Registered after entering: runs before the lab closes (ExitStack is LIFO).
        self.stack.callback(self._final_checks, lab)
        return lab

    def expect(self, problems: list[str]) -> None:
        self.failures += problems

    def check(self, condition: object, message: str) -> bool:
        if not condition:
            self.failures.append(message)
        return bool(condition)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def require_success(self, run: Run) -> bool:
        return self.check(run.success, f"{run.label}: run failed: {run.error}")

    def matches_truth(self, lab: Lab, days, media) -> None:
        """Silver of every (day, media) equals the ground truth (events, by_date, quarantine)."""
        for day in days:
            for m in media:
                self.expect(check_window(lab.sandbox, lab.lake, day, m, HASH_KEY))

    def _final_checks(self, lab: Lab) -> None:
        """Whatever the case did: unique event keys, no personal data in Silver, every file in
        the documented layout (no media id escaped its partition), no secret anywhere."""
        self.expect(check_table_unique(lab.lake))
        known = personal_values(_served_records(lab))
        problems, _ = scan_silver(lab.lake, known)
        self.expect(problems)
        self.expect(check_layout(lab.lake))
        hits, counts = scan_for_secrets(lab)
        self.expect(hits)
        if self.report_secret_scan:
            self.note(
                "secret scan: {files} files ({bytes} bytes: lake, DAGSTER_HOME, CLI output), "
                "{records} event log entries and run records, {logs} Python log records, "
                "{streams} captured stdout/stderr streams: {hits} hits".format(
                    **counts, hits=len(hits)
                )
            )


def scan_for_secrets(lab: Lab) -> tuple[list[str], dict[str, int]]:
    """The token and hash key in every file, log record, stream and Dagster record of the lab."""
    # The whole lab folder: lake, DAGSTER_HOME(s) with their SQLite files, subprocess output.
    hits, files = scan_files([lab.root], SECRETS)
    size = sum(p.stat().st_size for p in lab.root.rglob("*") if p.is_file())
    for i, line in enumerate(lab.capture.lines):
        hits += scan_text(line, SECRETS, f"Python log record #{i}")
    for i, text in enumerate(lab.outputs):
        hits += scan_text(text, SECRETS, f"captured stream #{i}")
    run_ids = [run.run_id for run in lab.instance.get_runs()]
    records = dagster_records(lab.instance, run_ids)
    for text in records:
        hits += scan_bytes(text.encode(), SECRETS, "a Dagster event log entry or run record")
    counts = {
        "files": files,
        "bytes": size,
        "records": len(records),
        "logs": len(lab.capture.lines),
        "streams": len(lab.outputs),
    }
    return sorted(set(hits)), counts


def _served_records(lab: Lab) -> list[dict]:
    """The raw records in the lab's Bronze events (what the API sent), for the PII scan."""
    import json

    records = []
    for path in (lab.lake / "bronze/wistia/events").rglob("part-*.json"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
    return records


def run_case(case: Case, *, keep: bool = False) -> CaseResult:
    started = time.monotonic()
    ctx = Ctx(case.name, keep)
    try:
        # Labs close (and their final checks run) even when the case body raised.
        with contextlib.ExitStack() as stack:
            ctx.stack = stack
            case.fn(ctx)
    except Exception as exc:  # noqa: BLE001 - a crashed case is a failed case, reported
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        ctx.failures.append(
            f"{type(exc).__name__}: {message} (at {frame.filename.rsplit('/', 1)[-1]}:"
            f"{frame.lineno})"
        )
    runs = [run for lab in ctx.labs for run in lab.runs]
    return CaseResult(
        name=case.name,
        title=case.title,
        asserts=case.asserts,
        group=case.group,
        passed=not ctx.failures,
        seconds=time.monotonic() - started,
        runs=runs,
        failures=ctx.failures,
        notes=ctx.notes,
    )
