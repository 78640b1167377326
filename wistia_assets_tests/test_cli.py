"""The operator's command line, run in-process (one Spark session) against the built-in sandbox in
a temporary lake and DAGSTER_HOME: `watermark show|set` (confirmation, validation, backwards
only as an override, and what the next tick then does), `rerun` re-materializing a day and
printing the outcome, `query` over Silver; every bad input is exit code 2 and one line on
stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter, build_schedule_context

from wistia_assets.catalog.duckdb_catalog import run_query
from wistia_assets.sandbox import SandboxWistia
from wistia_assets.settings import Settings
from wistia_assets.watermarks.store import SqliteWatermarkStore
from wistia_assets_tests.support.cli import (
    DAY,
    EVENTS_PER_DAY,
    SEED,
    START,
    TODAY,
    A,
    B,
    assert_one_line_error,
    cli,
    environment,
)

YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = environment(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture(scope="module")
def rerun_lake(tmp_path_factory, spark):
    """A lake after `wistia-assets rerun` of DAY for media A, twice (the second replaces)."""
    root = tmp_path_factory.mktemp("rerun")
    values = environment(root)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        first = cli("rerun", "--date", DAY.isoformat(), "--media-id", A)
        _, [(rows_after_first,)] = run_query(values["WISTIA_LAKE_ROOT"], COUNT_DAY)
        second = cli("rerun", "--date", DAY.isoformat(), "--media-id", A)
        yield values, first, second, rows_after_first


COUNT_DAY = f"SELECT count(*) FROM fact_events WHERE dt = '{DAY}' AND media_id = '{A}'"


def watermarks(env) -> SqliteWatermarkStore:
    return SqliteWatermarkStore(Path(env["WISTIA_LAKE_ROOT"]) / "_state" / "watermarks.sqlite")


def test_watermark_show_lists_every_configured_media_and_what_is_unset(env):
    code, out, err = cli("watermark", "show")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["dataset", "media_id", "last_date", "updated_at"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["events", A, "unset"],
        ["media_by_date", A, "unset"],
        ["events", B, "unset"],
        ["media_by_date", B, "unset"],
    ]
    watermarks(env).advance("events", A, DAY)
    _, out, _ = cli("watermark", "show")
    assert out.splitlines()[1].split()[:3] == ["events", A, DAY.isoformat()]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--dataset", "evnts", "--date", "2026-11-03"], ["unknown watermark dataset 'evnts'"]),
        (["--media-id", "BAD/ID", "--date", "2026-11-03"], ["--media-id", "'BAD/ID'"]),
        (["--media-id", "zzzz9999", "--date", "2026-11-03"], ["zzzz9999 is not configured"]),
        (["--date", "2026-02-30"], ["--date", "not a real calendar date"]),
        (["--date", "03/11/2026"], ["--date", "YYYY-MM-DD"]),
        (["--date", TODAY.isoformat()], ["has not ended yet"]),
        (
            ["--date", (START - timedelta(days=2)).isoformat()],
            ["before WISTIA_START_DATE", f"use {START - timedelta(days=1)} (nothing done yet)"],
        ),
    ],
)
def test_watermark_set_validates_before_anything_changes(env, args, fragments):
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = {"--dataset": "events", "--media-id": A, **given}
    flat = [item for pair in argv.items() for item in pair]
    code, out, err = cli("watermark", "set", *flat, "--yes")
    assert_one_line_error(code, err, *fragments)
    assert out == "" and watermarks(env).all() == []


def test_watermark_set_needs_yes_and_moves_backwards_only_as_an_override(env, monkeypatch):
    store = watermarks(env)
    for dataset in ("events", "media_by_date"):
        store.advance(dataset, A, YESTERDAY)
    back = YESTERDAY - timedelta(days=5)

    code, out, err = cli(
        "watermark", "set", "--dataset", "events", "--media-id", A, "--date", back.isoformat()
    )
    assert_one_line_error(code, err, f"({YESTERDAY} -> {back})", "add --yes to confirm")
    assert store.get("events", A) == YESTERDAY

    # The pipeline itself can never pull a watermark back...
    assert store.advance("events", A, back) is False and store.get("events", A) == YESTERDAY
    # ...the operator can, and is told what the schedule will do about it.
    code, out, err = cli(
        "watermark",
        "set",
        "--dataset",
        "events",
        "--media-id",
        A,
        "--date",
        back.isoformat(),
        "--yes",
    )
    assert code == 0 and err == ""
    assert out.strip() == (
        f"events/{A}: {YESTERDAY} -> {back} "
        f"(moved backwards: the next daily tick re-builds every day from "
        f"{back + timedelta(days=1)})"
    )
    assert store.get("events", A) == back

    # And it does: today's tick re-builds A after that day (done up to it, set today: nothing
    # of it is still settling); B, never built, gets the usual pair.
    assert first_days_of_todays_tick() == {
        A: back + timedelta(days=1),
        B: YESTERDAY - timedelta(days=1),
    }

    code, out, _ = cli("watermark", "show")
    assert [line.split()[:3] for line in out.splitlines()[1:3]] == [
        ["events", A, back.isoformat()],
        ["media_by_date", A, YESTERDAY.isoformat()],
    ]


def first_days_of_todays_tick() -> dict[str, date]:
    """media -> the oldest day today's daily tick requests for it."""
    from wistia_assets.definitions import build_defs

    defs = build_defs(Settings.from_env())
    with build_schedule_context(
        scheduled_execution_time=datetime.combine(TODAY, datetime.min.time(), UTC),
        resources={"watermarks": defs.resources["watermarks"]},
        repository_def=defs.get_repository_def(),
    ) as context:
        requests = defs.resolve_schedule_def("wistia_daily").evaluate_tick(context).run_requests
    first_of: dict[str, date] = {}
    for request in requests:
        day, media = request.partition_key.split("|")
        first_of.setdefault(media, date.fromisoformat(day))
    return first_of


def test_watermark_set_to_the_day_before_the_start_re_builds_from_the_first_day(env):
    """`set D` means "done up to D": the day before WISTIA_START_DATE is "nothing done yet"."""
    nothing_done = START - timedelta(days=1)
    for dataset in ("events", "media_by_date"):
        code, out, err = cli(
            "watermark",
            "set",
            *("--dataset", dataset, "--media-id", A, "--date", nothing_done.isoformat(), "--yes"),
        )
        assert code == 0 and err == ""
        assert out.strip() == (
            f"{dataset}/{A}: unset -> {nothing_done} (the next daily tick catches up from {START})"
        )
    assert first_days_of_todays_tick()[A] == START


def test_usage_errors_are_one_line(env):
    code, _, err = cli("watermark", "set", "--media-id", A, "--date", "2026-11-03")
    assert_one_line_error(code, err, "--dataset", "--help")
    code, _, err = cli("rerun")
    assert_one_line_error(code, err, "--date")
    code, _, err = cli("rerun", "--date", DAY.isoformat(), "--days", "3")
    assert_one_line_error(code, err, "unrecognized arguments: --days 3")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--days", "3", "--from", "2026-11-01"], ["either --days or --from/--to"]),
        (["--from", "2026-11-01"], ["--from and --to go together"]),
        (["--from", "2026-11-05", "--to", "2026-11-01"], ["is before --from"]),
        (["--from", DAY.isoformat(), "--to", TODAY.isoformat()], ["has not ended yet"]),
        (["--days", "0"], ["--days 0: expected 1..730"]),
        (["--from", "2026-02-30", "--to", "2026-03-01"], ["not a real calendar date"]),
    ],
)
def test_report_refuses_bad_ranges_with_one_line(env, args, fragments):
    code, out, err = cli("report", *args)
    assert_one_line_error(code, err, *fragments)
    assert out == ""


@pytest.mark.slow
@pytest.mark.spark
def test_report_on_demand_writes_the_lakes_html_to_out(rerun_lake, monkeypatch, tmp_path):
    values = rerun_lake[0]
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    out_file = tmp_path / "reports" / "week.html"
    code, out, err = cli("report", "--from", DAY.isoformat(), "--to", DAY.isoformat(), "--out",
                         str(out_file))  # fmt: skip
    assert code == 0, out + err
    assert out.strip().splitlines()[-1] == f"report: {out_file}"
    # Only media A was built: the report says B's day is missing instead of showing a zero.
    assert f"Not built yet, shown as missing: {DAY} (" in out
    lake_copy = Path(values["WISTIA_LAKE_ROOT"]) / f"reports/wistia/media_report_{DAY}_{DAY}.html"
    assert out_file.read_bytes() == lake_copy.read_bytes()
    assert f"Media report, {DAY} to {DAY}" in out_file.read_text()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--date", "2026-13-01"], ["--date: '2026-13-01' is not a real calendar date"]),
        (["--date", "yesterday"], ["--date: 'yesterday' is not a date in YYYY-MM-DD form"]),
        (["--date", DAY.isoformat(), "--media-id", "zzzz9999"], ["zzzz9999 is not configured"]),
        (["--date", TODAY.isoformat()], [f"{TODAY} has not ended yet", str(YESTERDAY)]),
        (["--date", (TODAY + timedelta(days=3)).isoformat()], ["has not ended yet"]),
        (["--date", (START - timedelta(days=1)).isoformat()], ["before WISTIA_START_DATE"]),
    ],
)
def test_rerun_refuses_bad_input_with_one_line(env, args, fragments):
    code, out, err = cli("rerun", *args)
    assert_one_line_error(code, err, *fragments)
    assert out == ""
    assert not Path(env["WISTIA_LAKE_ROOT"]).exists()  # nothing was touched


def test_the_installed_command_prints_one_line_and_no_traceback(env):
    # The console script, as an operator runs it: nothing else on stderr (no warnings, no logs).
    result = subprocess.run(
        [str(Path(sys.executable).with_name("wistia-assets")), "rerun", "--date", "2026-13-01"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_one_line_error(result.returncode, result.stderr, "not a real calendar date")


@pytest.mark.slow
@pytest.mark.spark
def test_rerun_rematerializes_the_day_and_prints_the_outcome(rerun_lake):
    values, first, second, rows_after_first = rerun_lake
    truth = SandboxWistia(seed=SEED, events_per_day=EVENTS_PER_DAY).ground_truth_events(A, DAY)
    for code, out, err in (first, second):
        assert code == 0, out + err
        assert "wistia-assets rerun: 1 partition(s), deployment local, source SANDBOX" in out
        (line,) = [x for x in out.splitlines() if f"{DAY}|{A}" in x and "fact_events=" in x]
        assert line.split()[0] == "ok"
        assert f"fact_events={len(truth)}" in line and "fact_media_by_date=1" in line
        # The window, the dim_media refresh, the Gold day and the media report.
        assert "== summary: 4/4 runs ok" in out
        assert "== plays_per_media_per_day" in out  # the smoke queries ran on the result
        # It ends by saying where the report is, and the report is there.
        last = out.strip().splitlines()[-1]
        assert last.startswith("Media report: ") and Path(last.split(": ", 1)[1]).is_file()
    lake = values["WISTIA_LAKE_ROOT"]
    # Replaced, not appended: the day holds exactly what Wistia holds, once.
    assert rows_after_first == len(truth)
    _, [(rows, keys)] = run_query(
        lake, "SELECT count(*), count(DISTINCT event_key) FROM fact_events"
    )
    assert rows == keys == len(truth)
    _, rows = run_query(lake, "SELECT dt, media_id FROM fact_media_by_date")
    assert rows == [(DAY.isoformat(), A)]
    # Both runs are in the instance the UI of `make dev` reads.
    instance = DagsterInstance.from_config(values["DAGSTER_HOME"])
    runs = instance.get_runs(
        RunsFilter(job_name="wistia_window", tags={"dagster/partition": f"{DAY}|{A}"})
    )
    assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] * 2


@pytest.mark.slow
@pytest.mark.spark
def test_query_prints_silver_results(rerun_lake, monkeypatch):
    values = rerun_lake[0]
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    code, out, err = cli(
        "query", "SELECT dt, media_id, count(*) AS events FROM fact_events GROUP BY 1, 2"
    )
    assert code == 0 and err == ""
    header, rule, row = out.splitlines()
    assert header.split() == ["dt", "media_id", "events"] and set(rule) <= {"-", " "}
    assert row.split()[:2] == [DAY.isoformat(), A] and int(row.split()[2]) > 0

    code, out, _ = cli("query", "--smoke")
    assert code == 0
    for name in ("plays_per_media_per_day", "events_per_country", "plays_by_channel"):
        assert f"== {name} (" in out

    code, _, err = cli("query", "SELECT * FROM fact_evnts")
    assert_one_line_error(code, err, "fact_evnts")
    code, _, err = cli("query")
    assert_one_line_error(code, err, "--smoke")


def test_a_failed_rerun_sends_the_same_alert_as_the_sensor(env, monkeypatch):
    """A run the CLI executes is invisible to the failure sensor: the CLI alerts itself, with
    the partition, the failed assets, the one-line cause and Wistia's x-request-id."""
    import json

    from wistia_assets.sandbox import serve

    sandbox = SandboxWistia(token="the-right-token", seed=SEED, events_per_day=EVENTS_PER_DAY)
    with serve(sandbox) as server:
        monkeypatch.setenv("WISTIA_API_TOKEN", "a-rotated-token-9d3e")
        monkeypatch.setenv("WISTIA_BASE_URL", server.url)
        monkeypatch.setenv("MEDIA_IDS", A)
        code, out, err = cli("rerun", "--date", DAY.isoformat(), "--quiet")
    assert code == 1
    assert "rejected the API token" in out
    alerts = Path(env["WISTIA_LAKE_ROOT"], "_state", "run_failures.jsonl").read_text().splitlines()
    (alert,) = [json.loads(line) for line in alerts]  # one failed run, one alert
    assert alert["partition"] == f"{DAY.isoformat()}|{A}"
    assert alert["source"] == "wistia-assets CLI"
    assert "bronze_events" in alert["assets"]
    assert "rejected the API token" in alert["error"]
    (logged,) = sandbox.request_log.entries()
    assert alert["x_request_id"] == logged.request_id
    assert "a-rotated-token-9d3e" not in json.dumps(alert) + out + err


def _a_bug(*_args, **_kwargs):
    return {}["a key no code path sets"]


def test_a_bug_is_one_line_that_says_so_and_where_the_traceback_is(env, monkeypatch):
    # A defect anywhere below the command line: here, the watermark store's reader.
    monkeypatch.setattr(SqliteWatermarkStore, "all", _a_bug)
    code, out, err = cli("watermark", "show")
    assert code == 1  # not 2: nothing the user typed or set is wrong
    (line,) = err.splitlines()
    assert line.startswith("error: a bug in wistia-assets (KeyError: ")
    assert "Traceback" not in err
    written = Path(line.split("the full traceback is in ", 1)[1].split(";", 1)[0])
    trace = written.read_text()
    assert trace.startswith("Traceback (most recent call last):")
    assert "_a_bug" in trace and "KeyError: 'a key no code path sets'" in trace


def test_debug_prints_the_traceback_of_a_bug(env, monkeypatch):
    monkeypatch.setattr(SqliteWatermarkStore, "all", _a_bug)
    for argv in (("--debug", "watermark", "show"), ("watermark", "show", "--debug")):
        code, out, err = cli(*argv)
        assert code == 1
        assert err.startswith("Traceback (most recent call last):")
        assert "_a_bug" in err
        assert err.splitlines()[-1].startswith("error: a bug in wistia-assets (KeyError: ")


def test_a_failure_on_the_way_is_exit_1_and_not_called_a_bug(env, monkeypatch):
    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SqliteWatermarkStore, "all", disk_full)
    code, out, err = cli("watermark", "show")
    assert code == 1
    assert err.splitlines() == ["error: OSError: [Errno 28] No space left on device"]


def test_rerun_starts_local_spark_before_it_loads_the_definitions(env, monkeypatch):
    """The JVM boots (~2 s) on the other core while Dagster and the definitions load
    (`session.EarlyStart`), with the session the engine asks for, and its process is running
    before the first run captures the process's output."""
    import argparse

    import wistia_assets.definitions as definitions
    from wistia_assets.commands import materialize
    from wistia_assets.transforms import session

    order: list[tuple[str, object]] = []

    class Started:
        def __init__(self, config, *, warm):
            order.append(("start", config))
            assert warm is False  # one window: its Silver step follows its pull at once

        def launched(self):
            order.append(("launched", None))

    class FirstRun(Exception):
        pass

    def first_run(*_args, **_kwargs):
        order.append(("run", None))
        raise FirstRun

    build = definitions.build_defs
    monkeypatch.setattr(session, "EarlyStart", Started)
    monkeypatch.setattr(
        definitions, "build_defs", lambda *a, **k: order.append(("defs", None)) or build(*a, **k)
    )
    monkeypatch.setattr(materialize, "execute", first_run)
    args = argparse.Namespace(command="rerun", date=DAY.isoformat(), media_id=A, quiet=True)
    with pytest.raises(FirstRun):
        materialize.main(args)
    assert [step for step, _ in order] == ["start", "defs", "launched", "run"]
    memory = Settings.from_env().spark_driver_memory
    assert order[0][1] == session.local_session_conf(memory, 1)


def test_the_early_start_is_launched_once_the_jvm_runs_not_once_spark_is_ready(monkeypatch):
    """`launched()` returns when pyspark holds the JVM's gateway (the process exists, so a run
    that captures this process's descriptors starts after it), while the SparkContext is still
    being made; `wait()` returns when the whole start ended."""
    import threading

    from pyspark import SparkContext

    from wistia_assets.transforms import session

    jvm_up, ready = threading.Event(), threading.Event()

    def start_session(_config):
        jvm_up.wait(5)
        SparkContext._gateway = object()  # what launch_gateway leaves behind
        ready.wait(5)

    monkeypatch.setattr(SparkContext, "_gateway", None)
    monkeypatch.setattr(session, "start_session", start_session)
    early = session.EarlyStart({})
    returned = threading.Event()
    waiter = threading.Thread(target=lambda: (early.launched(), returned.set()))
    waiter.start()
    assert not returned.wait(0.2), "launched() returned before the JVM ran"
    jvm_up.set()
    assert returned.wait(5), "launched() did not return once the JVM ran"
    assert early._thread.is_alive()  # the session is still being made
    ready.set()
    early.wait()
    assert not early._thread.is_alive()


@pytest.mark.parametrize(
    ("pulls_succeed", "expected"),
    [
        (True, ["start warm=True", "launched", "pull", "pull", "wait", "silver"]),
        # Nothing pulled: no Silver run to wait for.
        (False, ["start warm=True", "launched", "pull", "pull"]),
    ],
)
def test_a_run_of_several_windows_warms_spark_up_while_bronze_is_pulled(
    env, monkeypatch, pulls_succeed, expected
):
    """Several windows: the early start also warms the session up (`warm_up.py`), the pulls
    start once the JVM runs, and the Silver run waits for the whole start."""
    import argparse

    from wistia_assets.commands import materialize
    from wistia_assets.transforms import session

    order: list[str] = []

    class Started:
        def __init__(self, config, *, warm):
            order.append(f"start warm={warm}")

        def launched(self):
            order.append("launched")

        def wait(self):
            order.append("wait")

    def execute(job, label, *_args, **kwargs):
        silver = label.startswith("silver")
        order.append("silver" if silver else "pull")
        return materialize.Outcome(label, silver or pulls_succeed, 0.0)

    monkeypatch.setattr(session, "EarlyStart", Started)
    monkeypatch.setattr(materialize, "execute", execute)
    monkeypatch.setattr(materialize, "_gold", lambda *a, **k: None)
    monkeypatch.setattr(materialize, "_alert_failures", lambda *a, **k: None)
    monkeypatch.setattr("wistia_assets.commands.summary.print_summary", lambda *a, **k: None)
    args = argparse.Namespace(command="rerun", date=DAY.isoformat(), media_id=None, quiet=True)
    materialize.main(args)
    assert order == expected


@pytest.mark.spark
def test_the_warm_up_leaves_nothing_behind(spark, tmp_path, monkeypatch, caplog):
    """It builds in a lake of its own that it deletes, caches nothing past its builds, and
    logs no build of its made-up days as if they were real."""
    import logging
    import tempfile

    from wistia_assets.transforms.warm_up import warm_up

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with caplog.at_level(logging.INFO):
        warm_up(spark)
    assert list(tmp_path.iterdir()) == []
    assert spark.sparkContext._jsc.getPersistentRDDs().isEmpty()
    assert not [r for r in caplog.records if "warmup0media" in r.getMessage()]


@pytest.mark.parametrize(("running", "warmed"), [(False, True), (True, False)])
def test_only_a_fresh_session_is_warmed_up(monkeypatch, running, warmed):
    """A process whose Spark already ran builds (a `dagster dev` worker's second run, a test
    process) has nothing to warm up: the early start only returns its session."""
    from pyspark import SparkContext

    from wistia_assets.transforms import session, warm_up

    calls = []
    monkeypatch.setattr(SparkContext, "_active_spark_context", object() if running else None)
    monkeypatch.setattr(session, "start_session", lambda config: "the session")
    monkeypatch.setattr(warm_up, "warm_up", calls.append)
    session.EarlyStart({}, warm=True).wait()
    assert calls == (["the session"] if warmed else [])
