"""The undocumented answers of Wistia's API that the pipeline handles by itself (for each,
`wistia-assets doctor` says "ok", test_doctor.py): a page past the end of a day of exactly
100 x k events answered with an error or with the last page again, `hours_watched` derived as a
per-media constant x plays, throttling answered 503 with Retry-After.

The sandbox plays all three at once, per past-end answer, and the `wistia_window` job runs over
HTTP with the default settings: the run succeeds with no check failing (the derived hours raise
no false alarm), the 503 paused the shared rate budget for its Retry-After, Bronze holds the day
once, and Silver (events, by_date with the hours as Wistia sent them, quarantine) equals the
sandbox's truth. The excluded window ends and account zones, which the pipeline cannot guess,
are caught loudly instead (test_empty_day.py, test_account_time_zones.py).
"""

from __future__ import annotations

from datetime import date

import pytest
from dagster import DagsterInstance

from reliability.truth import check_window
from wistia_assets.definitions import build_defs
from wistia_assets.resources.wistia_api import WistiaApiResource
from wistia_assets.sandbox import SandboxWistia, serve
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets.storage.objects import LocalStore
from wistia_assets.wistia.rate_budget import RateBudget
from wistia_assets_tests.support.bronze import bronze_events, materializations

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MEDIA = SANDBOX_MEDIA_IDS[0]
DAY = date(2026, 11, 10)
TOKEN = "choices-token-8e4b"
HASH_KEY = "choices-hash-key-2a9c"
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@pytest.mark.parametrize(
    ("past_end", "window_end"),
    [("404", "HTTP 404 on page 3"), ("repeat", "repeat of page 2")],
)
def test_a_full_last_page_derived_hours_and_503_throttling_build_the_day_without_alarm(
    spark, tmp_path, monkeypatch, past_end, window_end
):
    holds: list[float] = []
    hold = RateBudget.hold

    def recorded_hold(budget, seconds):
        holds.append(seconds)
        hold(budget, seconds)

    monkeypatch.setattr(RateBudget, "hold", recorded_hold)
    sandbox = SandboxWistia(
        seed=17,
        token=TOKEN,
        events_per_day=200,  # two exactly full pages: the pull must ask what follows
        past_end=past_end,
        hours_watched="derived",
        throttle_status=503,
        faults="retry_after=1",
    )
    assert len(sandbox.ground_truth_events(MEDIA, DAY)) == 200
    sandbox.fail_next(1, "429", endpoint="events")  # throttled: 503 + Retry-After: 1
    lake = tmp_path / "lake"
    settings = Settings.from_env(
        {
            "WISTIA_LAKE_ROOT": str(lake),
            "WISTIA_START_DATE": "2026-11-01",
            "MEDIA_IDS": MEDIA,
            "WISTIA_HASH_KEY": HASH_KEY,  # the local engine takes it from Settings
        }
    )
    with serve(sandbox) as server:
        wistia = WistiaApiResource(
            wistia_base_url=server.url, wistia_api_token=TOKEN, rate_limit_per_minute=6000
        )
        defs = build_defs(settings, resource_overrides={"wistia": wistia})
        result = defs.resolve_job_def("wistia_window").execute_in_process(
            partition_key=f"{DAY}|{MEDIA}",
            instance=DagsterInstance.ephemeral(),
            run_config=QUIET,
        )

    assert result.success
    throttled = [e for e in sandbox.request_log.entries() if e.status == 503]
    assert len(throttled) == 1
    assert holds == [1]  # the 503 held the shared budget like a 429
    bronze = materializations(result)["bronze_events"]
    assert bronze["throttled"] == 1 and bronze["window_end"] == window_end
    assert bronze_events(LocalStore(lake)) == sandbox.ground_truth_events(MEDIA, DAY)
    assert check_window(sandbox, lake, DAY, MEDIA, HASH_KEY) == []
    # No check fails; the one warning is the sandbox's field the pipeline does not know (it
    # sends `attributes` now and then, as Wistia may add fields), unrelated to these answers.
    failed = [
        (c.asset_key.to_user_string(), c.check_name, c.severity.value)
        for c in result.get_asset_check_evaluations()
        if not c.passed
    ]
    assert failed == [("fact_events", "no_unknown_fields", "WARN")]
    assert defs.resources["watermarks"].store().get("events", MEDIA) == DAY
