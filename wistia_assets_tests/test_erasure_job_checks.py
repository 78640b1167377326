"""The `erase_viewer` job (what an operator launches in AWS) judges the fact_events partitions it
rebuilds as the Silver step judges a build, and holds the Gold days a failed blocking check
holds, as every other path that builds Gold does (issue "Gold trust"): without this, the latest
check results of a rebuilt partition would still be those of the build before the viewer's
events were removed, and a held-back day would get its Gold back from the erasure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import AssetCheckEvaluation, AssetCheckKey, AssetKey, DagsterInstance, job, op

from wistia_assets.assets.silver.checks import EVENTS_COVER_PLAYS, fact_events_specs
from wistia_assets.definitions import build_defs
from wistia_assets.erasure import bronze
from wistia_assets.erasure.job import ERASE_JOB
from wistia_assets.erasure.viewer import Hasher
from wistia_assets.orchestration.dagster_internals import latest_check_evaluation
from wistia_assets.orchestration.held_back import held_back
from wistia_assets.settings import Settings
from wistia_assets.storage.layout import BRONZE_EVENTS
from wistia_assets.storage.objects import LocalStore
from wistia_assets_tests.support.cli import DAY, cli, environment

pytestmark = pytest.mark.slow

KEY = "erasure-job-checks-key"


def a_viewer_of(store: LocalStore, media_id: str) -> str:
    for partition, _, _ in bronze.partitions(store, BRONZE_EVENTS):
        if f"media_id={media_id}" in partition:
            return json.loads(next(iter(bronze.lines_of(store, partition))))["visitor_key"]
    raise AssertionError(f"no Bronze events of {media_id}")


def record_failed_pull(instance: DagsterInstance, partition: str) -> None:
    """What a pull that failed `events_cover_plays` leaves in the instance: the check's latest
    evaluation of that partition, failed (test_held_back_days.py makes such a pull for real)."""

    @op
    def failed_pull(context):
        context.log_event(
            AssetCheckEvaluation(
                asset_key=AssetKey("fact_events"),
                check_name=EVENTS_COVER_PLAYS,
                passed=False,
                description="by_date counts 208 plays, the events pull holds 0",
                blocking=True,
                partition=partition,
            )
        )

    @job
    def earlier_pull():
        failed_pull()

    assert earlier_pull.execute_in_process(instance=instance).success


@pytest.mark.timeout(1200)
def test_the_erase_job_judges_what_it_rebuilds_and_holds_held_days(tmp_path, monkeypatch, spark):
    values = environment(tmp_path)
    values["WISTIA_HASH_KEY"] = KEY
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    lake = Path(values["WISTIA_LAKE_ROOT"])
    code, out, _ = cli("run", "--days", "1", "--end-date", DAY.isoformat(), "--quiet")
    assert code == 0, out
    settings = Settings.from_env()
    erased_media, other_media = settings.media_ids
    day = DAY.isoformat()
    gold_day = lake / "gold" / "wistia" / "media_daily" / f"dt={day}"
    assert any(gold_day.rglob("*.parquet"))

    instance = DagsterInstance.get()
    # The other media's pull of the day failed a blocking check: the day is held back.
    record_failed_pull(instance, f"{day}|{other_media}")
    assert day in held_back(instance, [day], settings.media_ids)

    viewer = a_viewer_of(LocalStore(lake), erased_media)
    config = {"kind": "visitor_key", "subject_hash": Hasher(KEY.encode())(viewer)}
    result = (
        build_defs(settings)
        .resolve_job_def(ERASE_JOB)
        .execute_in_process(run_config={"ops": {"erase": {"config": config}}}, instance=instance)
    )
    assert result.success

    # Each fact_events check of the rebuilt partition was judged again, by the erase run, and
    # those are now the partition's latest results.
    rebuilt = f"{day}|{erased_media}"
    judged = {(e.check_name, e.partition) for e in result.get_asset_check_evaluations()}
    assert {(spec.key.name, rebuilt) for spec in fact_events_specs()} <= judged, judged
    latest = latest_check_evaluation(
        instance, AssetCheckKey(AssetKey("fact_events"), EVENTS_COVER_PLAYS), rebuilt
    )
    assert latest is not None and latest.passed and latest.partition == rebuilt

    # The held day got no Gold from the erasure: its older build is withdrawn, as `run` does.
    assert day in held_back(instance, [day], settings.media_ids)
    assert not any(gold_day.rglob("*.parquet"))
    said = [
        e.user_message for e in instance.all_logs(result.run_id) if "held back" in e.user_message
    ]
    assert any(day in m and other_media in m for m in said), said
