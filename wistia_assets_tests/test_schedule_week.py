"""Seven days of the `wistia_daily` schedule with one missed day: the exact run requests of every
tick (yesterday + the overlap re-pull, then the catch-up after the miss), idempotent ticks, and
— executed in order against a sandbox whose clock walks through the week — every day in Silver
exactly once, equal to what Wistia holds, with the watermarks where the next tick must start.

The week is in the past (2026-11-02..09): partitions end at yesterday in real time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster._daemon  # noqa: F401 - the scheduler module must be imported through the daemon
import httpx
import pytest
from dagster import DagsterInstance, build_schedule_context
from dagster._core.storage.tags import RUN_KEY_TAG, SCHEDULED_EXECUTION_TIME_TAG

# The daemon's own dedup lookup: whether a run already exists for (schedule, tick, run key).
from dagster._scheduler.scheduler import _get_existing_run_for_request

from wistia_assets.catalog.duckdb_catalog import run_query
from wistia_assets.definitions import build_defs
from wistia_assets.orchestration.schedule import watermark_origin
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import ManualClock, SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets.watermarks.store import DATASETS

A, B = SANDBOX_MEDIA_IDS
TICKS = [date(2026, 11, d) for d in range(3, 10)]  # seven daily ticks, 02:15 UTC
MISSED = date(2026, 11, 6)
START = "2026-11-02"
TOKEN = "week-token-51c8"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def at_0215(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 15, tzinfo=UTC)


def nov(d: int) -> str:
    return f"2026-11-{d:02d}"


def stamp_watermarks_with(monkeypatch, clock) -> None:
    """A watermark records when it moved (the schedule re-pulls what had not settled by then):
    the runs of a tick run at that tick's time here, not at the wall clock's."""
    monkeypatch.setattr(
        "wistia_assets.watermarks.store._now",
        lambda: clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )


def evaluate(defs, tick: date, watermarks: WatermarksResource, instance=None):
    schedule = defs.resolve_schedule_def("wistia_daily")
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=at_0215(tick),
        resources={"watermarks": watermarks},
        repository_def=defs.get_repository_def(),
    ) as context:
        return list(schedule.evaluate_tick(context).run_requests)


def summary(requests) -> list[tuple[str, str, str]]:
    return [(r.run_key, r.partition_key, r.tags["wistia/reason"]) for r in requests]


def expected(tick: int, days_and_reasons, media) -> list[tuple[str, str, str]]:
    return [
        (f"{nov(tick)}/{nov(d)}|{m}", f"{nov(d)}|{m}", reason)
        for d, reason in days_and_reasons
        for m in media
    ]


def test_a_missed_tick_is_caught_up_by_the_next_one_for_every_media(tmp_path, monkeypatch):
    """Daemon down on the 6th: that tick never runs. The tick of the 7th re-pulls the oldest
    watermark day (the 4th) and builds the 5th and 6th, for both media; then back to normal."""
    clock = ManualClock(at_0215(TICKS[0]))
    stamp_watermarks_with(monkeypatch, clock)
    settings = Settings.from_env({"WISTIA_LAKE_ROOT": str(tmp_path), "WISTIA_START_DATE": START})
    defs = build_defs(settings)
    watermarks = defs.resources["watermarks"]
    store = watermarks.store()
    want = {
        3: [(2, "daily")],  # the start date bounds the first tick
        4: [(2, "daily"), (3, "daily")],
        5: [(3, "daily"), (4, "daily")],
        7: [(4, "catch-up"), (5, "daily"), (6, "daily")],
        8: [(6, "daily"), (7, "daily")],
        9: [(7, "daily"), (8, "daily")],
    }
    for tick in TICKS:
        if tick == MISSED:
            continue
        requests = evaluate(defs, tick, watermarks)
        assert summary(requests) == expected(tick.day, want[tick.day], (A, B)), tick
        assert all(r.tags["wistia/tick"] == tick.isoformat() for r in requests)
        # Evaluating the same tick again asks for exactly the same runs.
        assert summary(evaluate(defs, tick, watermarks)) == summary(requests)
        clock.set(at_0215(tick) + timedelta(minutes=5))
        for r in requests:  # every run succeeds: Silver advances the watermarks
            day, media = r.partition_key.split("|")
            for dataset in DATASETS:
                store.advance(dataset, media, date.fromisoformat(day))
    assert {(m.dataset, m.media_id, m.last_date) for m in store.all()} == {
        (ds, m, date(2026, 11, 8)) for ds in DATASETS for m in (A, B)
    }


def _served_by_date(server_url: str, media: str, day: date) -> dict:
    response = httpx.get(
        f"{server_url}/stats/medias/{media}/by_date.json",
        params={"start_date": str(day), "end_date": str(day)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    (row,) = response.raise_for_status().json()
    return row


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.long
def test_a_week_of_ticks_executed_puts_every_day_in_silver_exactly_once(
    spark, tmp_path, monkeypatch
):
    """One media, executed: the tick of the 6th runs but every run fails (the account's token
    was rotated and the pipeline still had the old one). Nothing advances; the tick of the 7th
    catches up. Each tick's runs execute at that tick's time on the sandbox clock, so late events
    arrive between the first pull of a day and its re-pull, as they do in production."""
    lake = tmp_path / "lake"
    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(lake), "WISTIA_START_DATE": START, "MEDIA_IDS": A}
    )
    clock = ManualClock(at_0215(TICKS[0]))
    stamp_watermarks_with(monkeypatch, clock)
    sandbox = SandboxWistia(seed=23, clock=clock, token=TOKEN, events_per_day=(30, 60))
    instance = DagsterInstance.ephemeral()
    pulled_at: dict[date, datetime] = {}  # day -> time of its last successful pull

    with serve(sandbox) as server:
        wistia = WistiaApiResource(
            wistia_base_url=server.url,
            wistia_api_token=TOKEN,
            rate_limit_per_minute=6000,
            backoff_base=0.05,
        )
        defs = build_defs(settings, resource_overrides={"wistia": wistia})
        job = defs.resolve_job_def("wistia_window")
        schedule = defs.resolve_schedule_def("wistia_daily")
        watermarks = defs.resources["watermarks"]
        store = watermarks.store()
        want = {
            3: [(2, "daily")],
            4: [(2, "daily"), (3, "daily")],
            5: [(3, "daily"), (4, "daily")],
            6: [(4, "daily"), (5, "daily")],  # these runs fail
            7: [(4, "catch-up"), (5, "daily"), (6, "daily")],
            8: [(6, "daily"), (7, "daily")],
            9: [(7, "daily"), (8, "daily")],
        }
        for tick in TICKS:
            requests = evaluate(defs, tick, watermarks)
            assert summary(requests) == expected(tick.day, want[tick.day], (A,)), tick
            assert summary(evaluate(defs, tick, watermarks)) == summary(requests)
            moment = at_0215(tick)
            clock.set(moment + timedelta(minutes=5))  # the runs start a few minutes later
            sandbox.token = "rotated-token-0d2e" if tick == MISSED else TOKEN
            for request in requests:
                result = job.execute_in_process(
                    partition_key=request.partition_key,
                    instance=instance,
                    # The tags the daemon stamps on a scheduled run: its dedup key.
                    tags={
                        **request.tags,
                        RUN_KEY_TAG: request.run_key,
                        SCHEDULED_EXECUTION_TIME_TAG: moment.isoformat(),
                    },
                    run_config=QUIET,
                    raise_on_error=False,
                )
                day = date.fromisoformat(request.partition_key.split("|")[0])
                assert result.success == (tick != MISSED), request.run_key
                if result.success:
                    pulled_at[day] = clock()
            if tick == MISSED:
                # A failed day moves nothing: the next tick starts from the same watermark.
                assert {ds: store.get(ds, A) for ds in DATASETS} == {
                    ds: date(2026, 11, 4) for ds in DATASETS
                }
            # The same tick evaluated again after its runs (a daemon restart mid-tick): the
            # watermarks only moved forward, so it asks for a subset of the same run keys, and
            # Dagster finds the run it already launched for each: nothing new is launched.
            again = evaluate(defs, tick, watermarks)
            assert again and {r.run_key for r in again} <= {r.run_key for r in requests}
            for request in again:
                existing = _get_existing_run_for_request(instance, schedule, moment, request)
                assert existing is not None and existing.tags[RUN_KEY_TAG] == request.run_key

        days = [date(2026, 11, d) for d in range(2, 9)]
        assert sorted(pulled_at) == days
        # Every day x media exactly once in Silver; event_key unique across the whole table.
        _, rows = run_query(
            lake, "SELECT dt, media_id, count(*) FROM fact_media_by_date GROUP BY 1, 2 ORDER BY 1"
        )
        assert rows == [(d.isoformat(), A, 1) for d in days]
        _, [(events, keys)] = run_query(
            lake, "SELECT count(*), count(DISTINCT event_key) FROM fact_events"
        )
        assert events == keys > 0
        _, rows = run_query(lake, "SELECT DISTINCT dt FROM fact_events ORDER BY 1")
        assert [r[0] for r in rows] == [d.isoformat() for d in days]

        late_caught_by_repull = 0
        for day in days:
            truth = sandbox.ground_truth_events(A, day)
            _, rows = run_query(
                lake, f"SELECT event_key FROM fact_events WHERE dt = '{day}' AND media_id = '{A}'"
            )
            silver = sorted(r[0] for r in rows)
            _, [by_date] = run_query(
                lake,
                "SELECT load_count, play_count, hours_watched FROM fact_media_by_date "
                f"WHERE dt = '{day}' AND media_id = '{A}'",
            )
            if day < days[-1]:
                # Re-pulled a day or more after it ended: every late event had arrived.
                assert silver == sorted(t["event_key"] for t in truth), day
                final = sandbox.ground_truth_by_date(A, day)
                first_pull = at_0215(day + timedelta(days=1)) + timedelta(minutes=5)
                late_caught_by_repull += sum(
                    sandbox.arrival_of(t["event_key"]) > first_pull for t in truth
                )
            else:
                # Pulled once, at the last tick: what Wistia showed then, late events not yet.
                visible = [t for t in truth if sandbox.arrival_of(t["event_key"]) <= pulled_at[day]]
                assert silver == sorted(t["event_key"] for t in visible)
                assert len(visible) < len(truth)  # tomorrow's re-pull brings the rest
                clock.set(pulled_at[day])
                final = _served_by_date(server.url, A, day)
            assert by_date[:2] == (final["load_count"], final["play_count"]), day
            assert by_date[2] == pytest.approx(final["hours_watched"], abs=1e-9), day
        # The overlap re-pull is what brought the late events in.
        assert late_caught_by_repull > 0

    # The next tick starts from the 8th: both datasets advanced past the missed day.
    assert {ds: store.get(ds, A) for ds in DATASETS} == {ds: date(2026, 11, 8) for ds in DATASETS}


def test_a_failing_day_is_requested_by_every_tick_until_built_or_set_by_hand(tmp_path, monkeypatch):
    """The 5th fails on the ticks of the 6th and the 7th while the 6th succeeds: the watermark
    stays at the 4th, and the tick of the 8th asks for the 5th again (and rebuilds the 6th
    after it, so that the watermark can pass it). It keeps failing; an operator gives up on it
    with `watermark set` to the 5th: the next tick builds the days after it only."""
    clock = ManualClock(at_0215(TICKS[0]))
    stamp_watermarks_with(monkeypatch, clock)
    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(tmp_path), "WISTIA_START_DATE": START, "MEDIA_IDS": A}
    )
    defs = build_defs(settings)
    watermarks = defs.resources["watermarks"]
    store = watermarks.store()
    failing = date(2026, 11, 5)

    def tick(day: int) -> list[tuple[str, str, str]]:
        requests = evaluate(defs, date(2026, 11, day), watermarks)
        clock.set(at_0215(date(2026, 11, day)) + timedelta(minutes=5))
        for r in requests:  # each run: the Silver step records its day unless it failed
            built = date.fromisoformat(r.partition_key.split("|")[0])
            if built != failing:
                for dataset in DATASETS:
                    store.advance(dataset, A, built, origin=watermark_origin(r.tags))
        return summary(requests)

    assert tick(3) == expected(3, [(2, "daily")], (A,))
    assert tick(4) == expected(4, [(2, "daily"), (3, "daily")], (A,))
    assert tick(5) == expected(5, [(3, "daily"), (4, "daily")], (A,))
    assert tick(6) == expected(6, [(4, "daily"), (5, "daily")], (A,))  # the 5th fails
    assert tick(7) == expected(7, [(4, "catch-up"), (5, "daily"), (6, "daily")], (A,))
    assert store.get("events", A) == date(2026, 11, 4)  # the 6th was built: not passed to
    # The third tick: the 5th again, as catch-up now that it left the re-pull window (and the
    # 4th, which had not settled when the watermark last moved).
    assert tick(8) == expected(
        8, [(4, "catch-up"), (5, "catch-up"), (6, "daily"), (7, "daily")], (A,)
    )
    assert {ds: store.get(ds, A) for ds in DATASETS} == {ds: date(2026, 11, 4) for ds in DATASETS}

    # The operator gives up on the 5th (it is gone from Wistia, say) after the tick of the 8th.
    clock.set(at_0215(date(2026, 11, 8)) + timedelta(hours=6))
    for dataset in DATASETS:
        store.override(dataset, A, failing)
    assert tick(9) == expected(9, [(6, "catch-up"), (7, "daily"), (8, "daily")], (A,))
    assert {ds: store.get(ds, A) for ds in DATASETS} == {ds: date(2026, 11, 8) for ds in DATASETS}


def test_a_first_tick_whose_older_day_fails_asks_for_it_again(tmp_path, monkeypatch):
    """No watermark yet: the first tick asks for the 4th and 5th; the 4th fails, the 5th is
    built. The watermark starts at the day before the tick's first day (its run's origin), so
    the next tick asks for the 4th again instead of starting after the 5th."""
    clock = ManualClock(at_0215(date(2026, 11, 6)))
    stamp_watermarks_with(monkeypatch, clock)
    settings = Settings.from_env(
        {"WISTIA_LAKE_ROOT": str(tmp_path), "WISTIA_START_DATE": "2026-10-01", "MEDIA_IDS": A}
    )
    defs = build_defs(settings)
    watermarks = defs.resources["watermarks"]
    store = watermarks.store()
    requests = evaluate(defs, date(2026, 11, 6), watermarks)
    assert summary(requests) == expected(6, [(4, "daily"), (5, "daily")], (A,))
    assert {r.tags["wistia/first-day"] for r in requests} == {"2026-11-04"}
    (newer,) = [r for r in requests if r.partition_key.startswith("2026-11-05")]
    store.advance("events", A, date(2026, 11, 5), origin=watermark_origin(newer.tags))
    assert store.get("events", A) == date(2026, 11, 3)
    clock.set(at_0215(date(2026, 11, 7)))
    again = evaluate(defs, date(2026, 11, 7), watermarks)
    assert summary(again) == expected(7, [(4, "catch-up"), (5, "daily"), (6, "daily")], (A,))
