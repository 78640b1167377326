"""Every Silver check judged from a typed build result, without Spark: what passes, what fails,
with which severity and which numbers. (The checks that need the account's clock are in
test_silver_day_checks.py.)"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from dagster import AssetCheckSeverity

from wistia_assets.assets.silver import checks
from wistia_assets.assets.silver.coverage import pull_coverage
from wistia_assets_tests.silver_results import (
    MEDIA,
    by_date_result,
    dim_result,
    events_result,
)

UTC_ZONE = ZoneInfo("UTC")
DAY = date(2026, 11, 20)


def judge_events(result, *, table_duplicates=0, play_count=3):
    cover = pull_coverage(result.received_histogram, DAY, UTC_ZONE, "inclusive")
    judged = checks.fact_events_checks(
        result, table_duplicates=table_duplicates, play_count=play_count, coverage=cover
    )
    return {c.check_name: c for c in judged}


def test_the_results_answer_exactly_the_declared_checks():
    """Dagster rejects a result of an undeclared check and leaves a declared one unanswered."""
    declared = {s.name for s in checks.fact_events_specs()}
    assert set(judge_events(events_result())) == declared
    by_date = checks.fact_media_by_date_checks(by_date_result())
    assert {c.check_name for c in by_date} == {s.name for s in checks.fact_media_by_date_specs()}
    dim = checks.dim_media_checks(dim_result(), (MEDIA,))
    assert {c.check_name for c in dim} == {s.name for s in checks.dim_media_specs()}


def test_a_good_partition_passes_every_check():
    assert all(c.passed for c in judge_events(events_result()).values())
    assert all(c.passed for c in checks.fact_media_by_date_checks(by_date_result()))
    assert all(c.passed for c in checks.dim_media_checks(dim_result(), (MEDIA,)))


def test_event_keys_must_be_unique_in_the_partition_and_in_the_table():
    in_partition = judge_events(events_result(rows=3, distinct_event_keys=2))["event_key_unique"]
    assert not in_partition.passed and in_partition.severity == AssetCheckSeverity.ERROR
    assert in_partition.metadata["distinct_event_keys"].value == 2
    in_table = judge_events(events_result(), table_duplicates=4)["event_key_unique"]
    assert not in_table.passed
    assert in_table.metadata["duplicate_keys_in_table"].value == 4
    no_table = judge_events(events_result(), table_duplicates=None)["event_key_unique"]
    assert no_table.passed and no_table.metadata["duplicate_keys_in_table"].value == -1


def test_personal_data_fails_by_column_or_by_value():
    column = judge_events(events_result(schema=[["event_key", "string"], ["ip", "string"]]))
    assert not column["no_personal_data"].passed
    assert column["no_personal_data"].metadata["forbidden_columns_present"].value == ["ip"]
    value = checks.fact_media_by_date_checks(by_date_result(personal_values={"city": 2}))[0]
    assert value.check_name == "no_personal_data" and not value.passed
    assert value.severity == AssetCheckSeverity.ERROR
    assert value.metadata["personal_looking_values"].value == {"city": 2}
    # A column counted with zero hits is no finding.
    clean = checks.dim_media_checks(dim_result(personal_values={"title": 0}), (MEDIA,))[0]
    assert clean.passed and clean.metadata["personal_looking_values"].value == {}


def test_a_large_quarantine_warns_and_says_why():
    share = judge_events(
        events_result(bronze_rows=15, quarantined=8, quarantine_reasons={"missing event_key": 8})
    )["quarantine_share"]
    assert not share.passed and share.severity == AssetCheckSeverity.WARN
    assert share.metadata["share"].value == round(8 / 15, 6)
    assert share.metadata["reasons"].value == {"missing event_key": 8}
    small = judge_events(events_result(bronze_rows=100, quarantined=5))["quarantine_share"]
    assert small.passed  # 5 % is the limit
    empty = judge_events(events_result(rows=0, bronze_rows=0))["quarantine_share"]
    assert empty.passed and empty.metadata["share"].value == 0.0


def test_unknown_fields_warn():
    result = judge_events(events_result(unknown_fields={"attributes": 1}))["no_unknown_fields"]
    assert not result.passed and result.severity == AssetCheckSeverity.WARN
    assert result.metadata["unknown_fields"].value == {"attributes": 1}


def test_a_by_date_day_is_exactly_one_row():
    for rows in (0, 2):
        (one,) = [
            c
            for c in checks.fact_media_by_date_checks(by_date_result(rows=rows))
            if c.check_name == "one_row_per_date"
        ]
        assert not one.passed and one.severity == AssetCheckSeverity.ERROR
        assert one.metadata["rows"].value == rows


def test_dim_media_names_missing_media_and_unknown_channels():
    other = "f00dfeed12"
    judged = {
        c.check_name: c
        for c in checks.dim_media_checks(
            dim_result(rows=2, distinct_media_ids=1, unknown_channel_media_ids=[MEDIA]),
            (MEDIA, other),
        )
    }
    assert not judged["media_id_unique"].passed
    assert not judged["every_media_present"].passed
    assert judged["every_media_present"].metadata["missing"].value == [other]
    channel = judged["channel_known"]
    assert not channel.passed and channel.severity == AssetCheckSeverity.WARN
    assert channel.metadata["media_with_unknown_channel"].value == [MEDIA]


def test_only_error_severity_failures_hold_the_watermark():
    judged = judge_events(
        events_result(unknown_fields={"x": 1}, distinct_event_keys=2), play_count=None
    )
    failed = {c.check_name for c in checks.blocking_failures(list(judged.values()))}
    # no_unknown_fields and reconciles_with_play_count fail too, as warnings only.
    assert not judged["no_unknown_fields"].passed
    assert not judged["reconciles_with_play_count"].passed
    assert failed == {"event_key_unique"}
    assert checks.blocking_failures(list(judge_events(events_result()).values())) == []
