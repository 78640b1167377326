"""fact_media_by_date on a local lake: both date forms, counts as numbers or strings, the zero
row of a quiet day, deduplication and every quarantine reason."""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq
import pytest

from wistia_assets.transforms.runner import run_partition
from wistia_assets_tests.support.transforms import (
    MEDIA_A,
    fixture_lines,
    parquet_files,
    partition_dir,
    read_quarantine,
    read_rows,
    write_bronze,
)

pytestmark = pytest.mark.spark


def run_by_date(spark, root, dt):
    uri = f"file://{root}"
    return run_partition(
        spark,
        table="fact_media_by_date",
        dt=dt,
        media_id=MEDIA_A,
        bronze_root=uri,
        silver_root=uri,
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    write_bronze(
        root, "media_by_date", "2026-11-21", MEDIA_A, fixture_lines("media_by_date.ndjson")
    )
    write_bronze(root, "media_by_date", "2026-11-22", MEDIA_A, [])
    return root


def rows_of(root, dt):
    return read_rows(partition_dir(root, "fact_media_by_date", dt, MEDIA_A))


def test_both_date_forms_string_counts_duplicates_and_every_quarantine_reason(spark, lake):
    metrics = run_by_date(spark, lake, "2026-11-21")
    # Line 1 (timestamp-ish date, counts as strings) and line 2 (plain date, numbers) are the
    # same day: the first in Bronze order is kept.
    assert rows_of(lake, "2026-11-21") == [
        {"date": date(2026, 11, 21), "load_count": 7, "play_count": 2, "hours_watched": 0.25}
    ]
    assert metrics.rows == 1 and metrics.duplicates_removed == 1
    assert metrics.zero_filled is False
    assert (metrics.load_count, metrics.play_count, metrics.hours_watched) == (7, 2, 0.25)
    assert metrics.quarantine_reasons == {
        "date 2026-11-22 outside dt=2026-11-21": 1,
        "unparsable date": 1,
        "invalid load_count": 1,
        "invalid play_count": 1,
        "invalid hours_watched": 1,
        "unparsable JSON": 1,
    }
    quarantined = read_quarantine(lake, "media_by_date", "2026-11-21", MEDIA_A)
    assert [row["line_no"] for row in quarantined] == [3, 4, 5, 6, 7, 8]
    assert quarantined[-1]["line"] == "<html>503 Service Unavailable</html>"
    assert metrics.unknown_fields == {"unique_plays": 1}
    # One of the three readable records describes another day.
    assert metrics.out_of_day_share == pytest.approx(1 / 3, abs=1e-6)
    assert [name for name, _ in metrics.schema] == [
        "date",
        "load_count",
        "play_count",
        "hours_watched",
        "dt",
        "media_id",
    ]


def test_a_quiet_day_is_one_row_of_zeros(spark, lake):
    metrics = run_by_date(spark, lake, "2026-11-22")
    assert rows_of(lake, "2026-11-22") == [
        {"date": date(2026, 11, 22), "load_count": 0, "play_count": 0, "hours_watched": 0.0}
    ]
    assert metrics.zero_filled is True and metrics.rows == 1
    assert metrics.bronze_rows == 0 and metrics.quarantined == 0
    # Its file declares the same schema as a day with data (nullable columns), not the required
    # columns constant expressions would give.
    (zero_file,) = parquet_files(partition_dir(lake, "fact_media_by_date", "2026-11-22", MEDIA_A))
    assert all(field.nullable for field in pq.read_schema(zero_file))


def test_a_derived_hours_watched_is_kept_as_wistia_sent_it(spark, tmp_path):
    # Other teams saw the real by_date's hours_watched = a per-media constant x play_count: a
    # figure of Wistia's, not a sum Silver could check. It is stored as sent, like any other.
    from wistia_assets.ingestion import ingest_media_by_date
    from wistia_assets.sandbox import SandboxWistia
    from wistia_assets.storage.objects import LocalStore
    from wistia_assets_tests.support.wistia import sandbox_client

    sandbox = SandboxWistia(hours_watched="derived")
    media, day = sandbox.media_ids[0], date(2026, 11, 20)
    with sandbox_client(sandbox) as client:
        ingest_media_by_date(client, LocalStore(tmp_path), day, media, source="sandbox")

    metrics = run_partition(
        spark,
        table="fact_media_by_date",
        dt=day.isoformat(),
        media_id=media,
        bronze_root=f"file://{tmp_path}",
        silver_root=f"file://{tmp_path}",
    )

    sent = sandbox.ground_truth_by_date(media, day)
    (row,) = read_rows(partition_dir(tmp_path, "fact_media_by_date", day.isoformat(), media))
    assert (
        row["hours_watched"]
        == sent["hours_watched"]
        == pytest.approx(
            sent["play_count"]
            * sandbox.ground_truth_by_date(media, date(2026, 11, 1))["hours_watched"]
            / sandbox.ground_truth_by_date(media, date(2026, 11, 1))["play_count"]
        )
    )
    assert metrics.quarantined == 0 and metrics.rows == 1
