"""Silver holds UTC days whatever the account's time zone.

The sandbox's account is set 5 h west and 9 h east of UTC (`day_offset_hours`), with late
events, page drift, schema-breaking records and another media's events. The daily schedule's
plan (`repull_days`: yesterday plus the re-pulls) runs tick after tick on the sandbox's clock
for both media; each window is pulled into Bronze (the request covering the UTC day: two account
days) and built into `fact_events`. Then, against the sandbox's ground truth:

- every settled UTC day (pulled again after it settled) holds exactly the events received that
  day, each once, none lost at either boundary, and its quarantine exactly the broken records of
  that day;
- `event_key` is unique across the table, though neighbouring pulls overlap by an account day;
- without the third pull, late events of the east account would have been missed.

The pulls go through the product's ingestion and runner directly (no Dagster). Every window of
every tick is pulled into Bronze; Silver is built after the last pull of each window here (a
build replaces its partition whole from Bronze, and routing leaves neighbours nothing to clash
on, so the builds in between would change nothing of the result: ~12 Silver builds per offset
instead of 24). `test_the_window_job_requests_and_checks_in_the_accounts_zone` covers the wiring
from settings through the Bronze asset to the Silver checks once.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reliability.truth import (
    account_days_of,
    check_events,
    check_quarantine,
    check_table_unique,
    utc_day_truth,
)
from wistia_assets.definitions import build_defs
from wistia_assets.ingestion import ingest_events
from wistia_assets.orchestration.plan import plan_tick, repull_days
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import ManualClock, SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings, WistiaApiSettings
from wistia_assets.storage.objects import LocalStore
from wistia_assets.transforms.runner import run_partition
from wistia_assets.wistia.client import WistiaClient
from wistia_assets.wistia.rate_budget import RateBudget
from wistia_assets.wistia.windows import settles_at

pytestmark = [pytest.mark.spark, pytest.mark.slow]

HASH_KEY = "zones-hash-key-5e2b"
FIRST_TICK = date(2026, 11, 10)
TICKS = 4
ZONES = {-5: ZoneInfo("Etc/GMT+5"), 9: ZoneInfo("Etc/GMT-9")}  # Etc signs are inverted
FAULTS = "drift=2,bad=0.02,foreign=0.02"


def at_tick(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 15, tzinfo=UTC)


@pytest.mark.long
@pytest.mark.parametrize("offset", sorted(ZONES))
def test_every_event_lands_in_exactly_one_utc_partition(spark, tmp_path, offset):
    zone = ZONES[offset]
    clock = ManualClock(at_tick(FIRST_TICK))
    sandbox = SandboxWistia(
        seed=41 + offset,
        clock=clock,
        events_per_day=(40, 80),
        late_share=0.2,
        faults=FAULTS,
        day_offset_hours=offset,
    )
    store = LocalStore(tmp_path)
    uri = tmp_path.as_uri()
    last_pull: dict[tuple[date, str], datetime] = {}
    pulls: dict[tuple[date, str], int] = {}
    routed = 0
    client = WistiaClient(
        # several pages a pull: drift shifts them
        WistiaApiSettings(wistia_base_url=sandbox.base_url, per_page=25),
        budget=RateBudget(60_000),
        transport=sandbox.transport(),
    )
    ticks = [at_tick(FIRST_TICK + timedelta(days=n)) for n in range(TICKS)]
    plans = {
        tick: plan_tick(
            tick.date(), SANDBOX_MEDIA_IDS, {}, date(2026, 1, 1), tick_at=tick, zone=zone
        )
        for tick in ticks
    }
    last_tick = {(w.day, w.media_id): tick for tick in ticks for w in plans[tick]}
    with client:
        for tick in ticks:
            windows = plans[tick]
            assert {w.day for w in windows} == set(repull_days(tick, zone))
            assert len({w.day for w in windows}) == 3  # yesterday and two re-pulls
            clock.set(tick + timedelta(minutes=5))
            for w in windows:
                manifest = ingest_events(
                    client, store, w.day, w.media_id, source="sandbox", zone=zone
                )
                assert manifest["window"]["account_days"] == [
                    d.isoformat() for d in account_days_of(sandbox, w.day)
                ]
                last_pull[(w.day, w.media_id)] = clock()
                pulls[(w.day, w.media_id)] = pulls.get((w.day, w.media_id), 0) + 1
                if last_tick[(w.day, w.media_id)] != tick:
                    continue
                metrics = run_partition(
                    spark,
                    table="fact_events",
                    dt=w.day.isoformat(),
                    media_id=w.media_id,
                    bronze_root=uri,
                    silver_root=uri,
                    hash_key=HASH_KEY.encode(),
                )
                assert metrics.out_of_day == 0
                routed += metrics.routed_away_events

    assert routed > 0  # the pulls did span two account days
    # Settled: re-pulled after it settled. (The oldest day of the first tick is pulled once:
    # the page drift of that one pull can hide events, which the client's re-read is for.)
    settled = sorted(
        {d for (d, m), t in last_pull.items() if t >= settles_at(d, zone) and pulls[(d, m)] > 1}
    )
    assert len(settled) >= 3
    missed_by_two_pulls = 0
    for day in sorted({d for d, _ in last_pull}):
        for media in SANDBOX_MEDIA_IDS:
            truth = utc_day_truth(sandbox, media, day)
            if day in settled:
                # Exactly the day's events, typed as the truth says; the day's broken records
                # (and only them) in its quarantine.
                assert check_events(sandbox, tmp_path, day, media, HASH_KEY) == []
                assert check_quarantine(sandbox, tmp_path, day, media) == []
                # Both account days contributed events to this UTC day.
                days_of = {sandbox.timeline.local_day(_ms(t["received_at"])) for t in truth}
                assert days_of == set(account_days_of(sandbox, day))
                second_pull = at_tick(day + timedelta(days=2)) + timedelta(minutes=5)
                missed_by_two_pulls += sum(
                    sandbox.arrival_of(t["event_key"]) > second_pull for t in truth
                )
            else:
                # Still settling (or pulled once): what had arrived by its last pull, no other.
                pulled = last_pull[(day, media)]
                arrived = [t for t in truth if sandbox.arrival_of(t["event_key"]) <= pulled]
                problems = check_events(sandbox, tmp_path, day, media, HASH_KEY, truth=arrived)
                # Drift can hide a few events from the last page turn of an unsettled pull.
                assert all("missing" in p for p in problems), problems
    assert check_table_unique(tmp_path) == []
    if offset > 0:
        # East of UTC, the account day that closes a UTC day ends late on the next: its late
        # events come after the 1-day overlap's pull. The third pull brought them in.
        assert missed_by_two_pulls > 0


def _ms(received_at: str) -> int:
    return int(datetime.fromisoformat(received_at.replace("Z", "+00:00")).timestamp() * 1000)


def test_the_window_job_requests_and_checks_in_the_accounts_zone(spark, tmp_path):
    """Through Dagster, a Tokyo account (UTC+9): the Bronze manifest records the request that
    covers the UTC day, Silver holds that day, by_date's plays reconcile with the events of the
    account's day. Configured as UTC instead, the pull holds events outside the days it asked
    for: a warning naming the zone and `doctor` (not blocking: the day is still mostly there)."""
    day = date(2026, 11, 12)
    media = SANDBOX_MEDIA_IDS[0]
    clock = ManualClock(at_tick(day + timedelta(days=3)))  # settled
    sandbox = SandboxWistia(seed=43, clock=clock, events_per_day=(60, 90), day_offset_hours=9)
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    results = {}
    with serve(sandbox) as server:
        wistia = WistiaApiResource(
            wistia_base_url=server.url, wistia_api_token="t", rate_limit_per_minute=6000
        )
        for name, zone in (("tokyo", "Asia/Tokyo"), ("utc", "UTC")):
            lake = tmp_path / name
            settings = Settings.from_env(
                {
                    "WISTIA_LAKE_ROOT": str(lake),
                    "WISTIA_START_DATE": "2026-11-01",
                    "MEDIA_IDS": media,
                    "WISTIA_ACCOUNT_TIMEZONE": zone,
                    "WISTIA_HASH_KEY": HASH_KEY,  # the local engine takes it from Settings
                }
            )
            defs = build_defs(settings, resource_overrides={"wistia": wistia})
            result = defs.resolve_job_def("wistia_window").execute_in_process(
                partition_key=f"{day}|{media}", run_config=quiet, raise_on_error=False
            )
            assert result.success, name
            results[name] = (lake, {c.check_name: c for c in result.get_asset_check_evaluations()})
            assert defs.resources["watermarks"].store().get("events", media) == day

    lake, checks = results["tokyo"]
    manifest = json.loads(
        (lake / f"bronze/wistia/events/dt={day}/media_id={media}/_manifest.json").read_text()
    )
    assert manifest["window"] == {
        "start_date": "2026-11-12",
        "end_date": "2026-11-13",
        "utc_day": "2026-11-12",
        "account_timezone": "Asia/Tokyo",
        "account_days": ["2026-11-12", "2026-11-13"],
        "semantics": "inclusive",
    }
    assert check_events(sandbox, lake, day, media, HASH_KEY) == []
    # (The sandbox sends a field the pipeline does not know: `no_unknown_fields` warns.)
    assert [name for name, c in checks.items() if not c.passed] == ["no_unknown_fields"]
    on_day = checks["received_at_on_partition_day"].metadata
    assert on_day["routed_away_events"].value > 0 and on_day["outside_request"].value == 0
    plays = sandbox.ground_truth_by_date(media, day)["play_count"]
    assert checks["reconciles_with_play_count"].metadata["events"].value == plays

    lake, checks = results["utc"]
    warning = checks["received_at_on_partition_day"]
    assert not warning.passed and warning.severity.value == "WARN"
    assert "WISTIA_ACCOUNT_TIMEZONE=UTC" in warning.description
    assert warning.description.endswith("run `wistia-assets doctor`")
    assert checks["events_cover_plays"].passed  # most of the day is there: a warning only
