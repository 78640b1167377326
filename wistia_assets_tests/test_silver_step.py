"""The Silver step with a stand-in engine and catalog (no Spark): what it records, and that a
failed blocking check holds the watermark while a passed partition moves it one day."""

# No `from __future__ import annotations`: Dagster reads the engine's annotations as objects.
from datetime import date

import pytest
from dagster import DagsterInstance, materialize

from wistia_assets.assets.silver import build_silver_assets
from wistia_assets.resources.catalog import SilverCatalog
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.resources.watermarks import SqliteWatermarks
from wistia_assets.settings import Settings
from wistia_assets_tests.silver_results import by_date_result, events_result, histogram

DAY = date(2026, 11, 20)
MEDIA = "e4a27b971d"


class StandInEngine(TransformEngine):
    """Returns the results a test gives, as a Glue or Spark build would."""

    events_overrides: dict = {}

    @property
    def kind(self) -> str:
        return "spark"

    def build_partition(self, context, table: str, window):
        where = {"dt": window.day.isoformat(), "media_id": window.media_id}
        if table == "fact_media_by_date":
            return by_date_result(**where, play_count=3)
        fields = {"rows": 3, "received_histogram": {f"{DAY}T10:00": 3}, **self.events_overrides}
        fields["received_histogram"] = histogram(fields["received_histogram"])
        return events_result(**where, **fields)


class StandInCatalog(SilverCatalog):
    duplicates: int = 0

    def duplicate_event_keys(self) -> int | None:
        return self.duplicates

    def play_count(self, window) -> int | None:
        raise AssertionError("by_date was built in the same step: its play_count is used")


def run_window(tmp_path, *, events_overrides=None, duplicates=0):
    settings = Settings.from_env(
        {"MEDIA_IDS": MEDIA, "WISTIA_START_DATE": "2026-11-01", "WISTIA_LAKE_ROOT": str(tmp_path)}
    )
    silver_facts, _ = build_silver_assets(settings)
    watermarks = SqliteWatermarks(sqlite_path=str(tmp_path / "w.sqlite"))
    result = materialize(
        [silver_facts],
        partition_key=f"{DAY}|{MEDIA}",
        resources={
            "silver": StandInEngine(events_overrides=events_overrides or {}),
            "catalog": StandInCatalog(duplicates=duplicates),
            "watermarks": watermarks,
        },
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    store = watermarks.store()
    return result, store.get("events", MEDIA), store.get("media_by_date", MEDIA)


def test_a_passed_window_moves_both_watermarks(tmp_path):
    result, events, by_date = run_window(tmp_path)
    assert result.success
    assert (events, by_date) == (DAY, DAY)
    materializations = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    metadata = {m.asset_key.to_user_string(): m.metadata for m in materializations}
    assert metadata["fact_events"]["dagster/partition_row_count"].value == 3
    assert metadata["fact_media_by_date"]["play_count"].value == 3


@pytest.mark.parametrize(
    ("overrides", "duplicates", "failed_check"),
    [
        ({"distinct_event_keys": 2}, 0, "event_key_unique"),  # a duplicate in the partition
        ({}, 5, "event_key_unique"),  # ... or across the table
        ({"personal_values": {"city": 1}}, 0, "no_personal_data"),
        ({"received_histogram": {}}, 0, "events_cover_plays"),  # 3 plays, no event
        ({"out_of_day": 1}, 0, "received_at_on_partition_day"),
    ],
)
def test_a_failed_blocking_check_holds_the_watermark(tmp_path, overrides, duplicates, failed_check):
    result, events, by_date = run_window(
        tmp_path, events_overrides=overrides, duplicates=duplicates
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
    checks = {(c.asset_key.to_user_string(), c.check_name): c.passed
              for c in result.get_asset_check_evaluations()}  # fmt: skip
    assert checks[("fact_events", failed_check)] is False
    # The partition is written and recorded, but not done: the events watermark stays where
    # it was (never set here), while by_date, which passed, moves.
    assert len(result.get_asset_materialization_events()) == 2
    assert events is None
    assert by_date == DAY


def test_a_warning_holds_nothing(tmp_path):
    result, events, _ = run_window(tmp_path, events_overrides={"unknown_fields": {"new": 1}})
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["no_unknown_fields"] is False
    assert events == DAY
