"""Processes that die or race: `wistia-assets rerun` in subprocesses, SIGKILLed mid-write, run
three times, or run twice at once. This process's Spark session is stopped first: the machine
has two cores and each CLI process starts its own Spark driver."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from reliability.lab import (
    MEDIA,
    CliProcess,
    Lab,
    default_day,
    settled,
    stop_local_spark,
    wait_for_exit,
)
from reliability.matrix import Ctx, case
from reliability.truth import (
    bronze_manifest,
    parquet_files,
    partition_snapshot,
    sorted_rows,
)
from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    BRONZE_MEDIA_BY_DATE,
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
    window_partition,
)

M0, M1 = MEDIA
POLL_SECONDS = 0.002


def _wait_until(proc: CliProcess, condition: Callable[[], bool], timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.proc.poll() is not None:
            return False
        time.sleep(POLL_SECONDS)
    return False


def _visible(lake: Path, day, media) -> dict[str, dict[str, bytes]]:
    """What a reader can see of the partition: data files only (hidden staging excluded)."""
    out = {}
    for prefix in (BRONZE_EVENTS, BRONZE_MEDIA_BY_DATE, SILVER_FACT_EVENTS):
        files = partition_snapshot(lake, window_partition(prefix, day, media))
        out[prefix] = {k: v for k, v in files.items() if not k.startswith((".", "_"))}
    return out


def _reader_view(lake: Path, day, media) -> tuple[int, int]:
    """(fact_events rows, by_date play_count) through DuckDB, the local analysts' reader."""
    from wistia_assets.catalog.duckdb_catalog import run_query

    where = f"dt = '{day.isoformat()}' AND media_id = '{media}'"
    _, events = run_query(lake, f"SELECT count(*) FROM fact_events WHERE {where}")
    _, plays = run_query(lake, f"SELECT sum(play_count) FROM fact_media_by_date WHERE {where}")
    return int(events[0][0]), int(plays[0][0] or 0)


def _kill_case(
    ctx: Ctx,
    lab: Lab,
    *,
    moment: str,
    condition: Callable[[], bool],
    bronze_unchanged: bool,
) -> None:
    """A complete partition, then a rerun SIGKILLed at `moment`, a reader, and a healing rerun."""
    day = lab.day
    stop_local_spark()
    ctx.require_success(lab.rerun_cli(day, M0, tag="complete"))
    before = _visible(lab.lake, day, M0)
    manifest = bronze_manifest(lab.lake, day, M0)
    truth = len(lab.sandbox.ground_truth_events(M0, day))
    plays = lab.sandbox.ground_truth_by_date(M0, day)["play_count"]
    ctx.check(_reader_view(lab.lake, day, M0) == (truth, plays), "complete partition unreadable")

    proc = lab.spawn_cli(
        "rerun", "--date", day.isoformat(), "--media-id", M0, "--quiet", tag="killed"
    )
    caught = _wait_until(proc, condition)
    ctx.check(caught, f"never saw the process {moment}: the kill proved nothing")
    children = proc.kill9()
    survivors = wait_for_exit(children, timeout=30)
    ctx.check(not survivors, f"processes outlived the killed CLI: {survivors}")
    for pid in survivors:  # ours (children of the CLI we started): do not leak them
        _kill_pid(pid)
    ctx.note(f"SIGKILL {moment}; {len(children)} child process(es) exited with it")

    # Between the kill and the re-run a reader sees the previous complete partition.
    after = _visible(lab.lake, day, M0)
    current = bronze_manifest(lab.lake, day, M0)
    if bronze_unchanged:
        ctx.check(
            after[BRONZE_EVENTS] == before[BRONZE_EVENTS]
            and current["run_token"] == manifest["run_token"],
            "Bronze events partition changed by the run killed while writing it",
        )
    missing = [p["key"] for p in current["parts"] if not (lab.lake / p["key"]).is_file()]
    ctx.check(
        not missing and current["rows"] == truth,
        f"Bronze manifest after the kill: {current['rows']} rows, parts missing: {missing}",
    )
    ctx.check(
        after[SILVER_FACT_EVENTS] == before[SILVER_FACT_EVENTS],
        "fact_events partition files changed by the killed run",
    )
    ctx.check(
        _reader_view(lab.lake, day, M0) == (truth, plays),
        f"reader after the kill sees {_reader_view(lab.lake, day, M0)}, not {(truth, plays)}",
    )
    leftovers = sorted(
        p.relative_to(lab.lake).as_posix()
        for p in lab.lake.rglob("*")
        if p.is_file() and any(part.startswith((".spark-staging", "_staging")) for part in p.parts)
    )
    ctx.note(f"left behind by the kill (hidden from readers): {len(leftovers)} file(s)")

    ctx.require_success(lab.rerun_cli(day, M0, tag="healing"))
    ctx.matches_truth(lab, [day], [M0])


def _kill_pid(pid: int) -> None:
    import contextlib
    import os
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@case(
    "kill_bronze",
    "SIGKILL in the middle of a Bronze write",
    "killed while the events part is being written (page 3 requested, staging file open): a "
    "reader sees the previous complete partition; the re-run heals it: Silver = truth",
    group="process",
)
def kill_bronze(ctx: Ctx) -> None:
    # 150 ms per request: the events pull of 600 events takes about a second, long enough to
    # stand inside it.
    lab = ctx.lab(seed=30, events_per_day=600, faults="latency_ms=150")

    def mid_bronze() -> bool:
        entries = lab.sandbox.request_log.entries()
        paging = any(
            e.endpoint == "events" and int(e.query.get("page", 1)) >= 3
            for e in entries[len(entries) - 20 :]
        )
        staging = lab.lake / "_staging"
        return paging and staging.is_dir() and any(staging.iterdir())

    _kill_case(
        ctx,
        lab,
        moment="during the Bronze events write",
        condition=mid_bronze,
        bronze_unchanged=True,
    )


@case(
    "kill_silver",
    "SIGKILL in the middle of a Silver write",
    "killed while Spark writes fact_events (its staging folder exists): a reader sees the "
    "previous complete partition; the re-run heals it: Silver = truth",
    group="process",
)
def kill_silver(ctx: Ctx) -> None:
    lab = ctx.lab(seed=31, events_per_day=600)
    table = lab.lake / SILVER_FACT_EVENTS

    def mid_silver() -> bool:
        return table.is_dir() and any(p.name.startswith(".spark-staging") for p in table.iterdir())

    # Bronze was replaced by the killed run before Silver started: complete, just newer.
    _kill_case(
        ctx,
        lab,
        moment="during the Silver fact_events write",
        condition=mid_silver,
        bronze_unchanged=False,
    )


@case(
    "rerun_three_times",
    "every partition re-run three times",
    "2 days x 2 media under 429/503/foreign/bad faults, each run three times: Silver rows and "
    "the Parquet files' bytes identical every time (sorted rows compared, files hashed), "
    "Silver = truth",
    group="replay",
)
def rerun_three_times(ctx: Ctx) -> None:
    second = default_day() + timedelta(days=1)
    lab = ctx.lab(
        seed=32,
        events_per_day=300,
        faults="429=0.1,retry_after=1,503=0.1,foreign=0.03,bad=0.03",
        clock_at=settled(second),  # every late event of both days has arrived
    )
    days = [lab.day, second]
    rounds, files = [], []
    for round_no in range(3):
        for day in days:
            for media in MEDIA:
                ctx.require_success(lab.run_window(day, media, label=f"round {round_no + 1}"))
        rounds.append(
            {
                (day, media, prefix): sorted_rows(lab.lake, prefix, day, media)
                for day in days
                for media in MEDIA
                for prefix in (SILVER_FACT_EVENTS, SILVER_FACT_MEDIA_BY_DATE)
            }
        )
        files.append(
            {
                (day, media, prefix): sorted(
                    hashlib.sha256(p.read_bytes()).hexdigest()
                    for p in parquet_files(lab.lake / window_partition(prefix, day, media))
                )
                for day in days
                for media in MEDIA
                for prefix in (SILVER_FACT_EVENTS, SILVER_FACT_MEDIA_BY_DATE)
            }
        )
        ctx.matches_truth(lab, days, MEDIA)
    for n in (1, 2):
        changed = [key for key in rounds[0] if rounds[n][key] != rounds[0][key]]
        ctx.check(not changed, f"round {n + 1} differs from round 1 in {changed}")
    # Stronger than rows: the Parquet files themselves (names aside) are the same bytes.
    same_bytes = all(files[n] == files[0] for n in (1, 2))
    ctx.check(same_bytes, "the Parquet files of a partition differ between rounds")
    how = "byte-for-byte the same Parquet files" if same_bytes else "same rows, file bytes differ"
    ctx.note(
        f"{len(rounds[0])} partitions x 3 rounds identical ({how}); "
        f"{sum(len(v) for v in rounds[0].values())} rows per round"
    )


@case(
    "concurrent_same_partition",
    "two runs of the same partition at once",
    "two `wistia-assets rerun` of one (day, media) started together, sharing the Dagster "
    "instance (pools serialise their steps) and with an instance each (only the lake's "
    "partition locks keep them apart): both succeed, the Bronze manifest names only existing "
    "parts, no stray part is left, Silver = truth",
    group="process",
)
def concurrent_same_partition(ctx: Ctx) -> None:
    lab = ctx.lab(seed=33, events_per_day=600, faults="latency_ms=20")
    stop_local_spark()
    day = lab.day
    for label, separate in (("shared instance", False), ("an instance each", True)):
        procs = []
        for tag in ("a", "b"):
            env = {"DAGSTER_HOME": str(_own_home(lab, tag))} if separate else None
            procs.append(
                lab.spawn_cli(
                    "rerun",
                    "--date",
                    day.isoformat(),
                    "--media-id",
                    M0,
                    "--quiet",
                    tag=f"{tag}-{'own' if separate else 'shared'}",
                    env=env,
                )
            )
        runs = [proc.wait(600) for proc in procs]
        outcome = ", ".join(
            f"{r.label} {'ok' if r.success else 'failed: ' + str(r.error)}" for r in runs
        )
        ctx.note(f"{label}: {outcome}")
        ctx.check(all(r.success for r in runs), f"{label}: a concurrent run failed: {outcome}")
        manifest = bronze_manifest(lab.lake, day, M0)
        named = {p["key"] for p in (manifest or {}).get("parts", [])}
        missing = sorted(k for k in named if not (lab.lake / k).is_file())
        folder = lab.lake / window_partition(BRONZE_EVENTS, day, M0)
        stray = sorted(
            p.name
            for p in folder.glob("part-*")
            if f"{folder.relative_to(lab.lake)}/{p.name}" not in named
        )
        ctx.check(
            manifest is not None and not missing, f"{label}: manifest names missing {missing}"
        )
        ctx.check(not stray, f"{label}: parts no manifest names: {stray}")
        ctx.matches_truth(lab, [day], [M0])


def _own_home(lab: Lab, tag: str) -> Path:
    import shutil

    home = lab.root / f"dagster_home_{tag}"
    home.mkdir(exist_ok=True)
    shutil.copy(lab.home / "dagster.yaml", home / "dagster.yaml")
    return home


@case(
    "run_queue_per_media",
    "the run queue's one-run-per-media limit (schedule, backfills, UI)",
    "in dagster.local.yaml and deploy/dagster.yaml the daemon dequeues one run per media and "
    "none of a media with a run in progress; both let the daemon free slots of dead runs",
    quick=True,
    group="process",
)
def run_queue_per_media(ctx: Ctx) -> None:
    from reliability.queue import INSTANCE_FILES, dequeued, slot_freeing_seconds

    d0, d1 = "2026-11-10", "2026-11-11"
    for name, path in INSTANCE_FILES.items():
        got = dequeued(path, [f"{d0}|{M0}", f"{d1}|{M0}", f"{d0}|{M1}"])
        ctx.check(got == [f"{d0}|{M0}", f"{d0}|{M1}"], f"{name}: dequeued {got}")
        busy = dequeued(path, [f"{d1}|{M0}", f"{d1}|{M1}"], started=[f"{d0}|{M0}"])
        ctx.check(busy == [f"{d1}|{M1}"], f"{name}: with {M0} running, dequeued {busy}")
        seconds = slot_freeing_seconds(path)
        ctx.check(seconds, f"{name}: the daemon never frees the slots of a run that died")
        ctx.note(f"{name}: one run per media dequeued; dead runs' slots freed after {seconds} s")
