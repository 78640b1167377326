"""The Silver-side erasure of a fact_events partition whose Bronze has expired: the viewer's rows
go, every other row of the partition keeps every value and its place, other partitions are not
touched, and a partition left empty is dropped."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow.parquet as pq
import pytest

from wistia_assets.storage.layout import SILVER_FACT_EVENTS, window_partition
from wistia_assets.storage.objects import LocalStore
from wistia_assets.transforms.results import ErasedRowsResult, from_json, to_json
from wistia_assets.transforms.runner import parse_visitor_hashes, run_erase_rows
from wistia_assets.transforms.silver_writes import data_files, replace_partition

pytestmark = pytest.mark.spark

THEM, OTHER = "a" * 64, "b" * 64
DAYS, MEDIA = ("2026-11-19", "2026-11-20"), "e4a27b971d"


def table_of(store: LocalStore, day: str):
    files = data_files(store, window_partition(SILVER_FACT_EVENTS, day, MEDIA))
    return pq.read_table([store.path(f) for f in files]) if files else None


def test_erase_rows_keeps_every_other_row_and_partition(tmp_path, spark):
    store = LocalStore(tmp_path)
    start = datetime(2026, 11, 19, 8)
    rows = [
        (f"ev{i:03d}", start + timedelta(minutes=i), [THEM, OTHER, None][i % 3], i * 1.5, d)
        for d in DAYS
        for i in range(30)
    ]
    frame = spark.createDataFrame(
        rows, "event_key string, received_at timestamp, visitor_hash string, "
        "percent_viewed double, dt string"
    ).selectExpr("*", f"'{MEDIA}' AS media_id")  # fmt: skip
    replace_partition(
        frame, store=store, table_prefix=SILVER_FACT_EVENTS, order_by=["received_at", "event_key"]
    )
    before = {d: table_of(store, d) for d in DAYS}
    other_day = {
        k: store.read_bytes(k) for k in store.list_keys(f"{SILVER_FACT_EVENTS}/dt={DAYS[0]}")
    }

    result = run_erase_rows(
        spark, dt=DAYS[1], media_id=MEDIA, silver_root=tmp_path.as_uri(), visitor_hashes=THEM
    )
    assert (result.rows_removed, result.rows, result.partition_deleted) == (10, 20, False)
    after = table_of(store, DAYS[1])
    kept = [r for r in before[DAYS[1]].to_pylist() if r["visitor_hash"] != THEM]
    # Every column of every other row, in the build's order (null hashes are nobody's: kept).
    assert after.to_pylist() == kept and after.column_names == before[DAYS[1]].column_names
    assert sum(r["visitor_hash"] is None for r in kept) == 10
    assert {
        k: store.read_bytes(k) for k in store.list_keys(f"{SILVER_FACT_EVENTS}/dt={DAYS[0]}")
    } == other_day
    # Sent back from Glue as JSON, read back as the same result.
    assert from_json(to_json(result)) == result and isinstance(result, ErasedRowsResult)

    again = run_erase_rows(
        spark, dt=DAYS[1], media_id=MEDIA, silver_root=tmp_path.as_uri(), visitor_hashes=[THEM]
    )
    assert again.rows_removed == 0 and table_of(store, DAYS[1]).to_pylist() == kept

    # A partition of the viewers' rows only is dropped, not left as it was.
    only = spark.createDataFrame(
        [("ev1", start, THEM, 1.0, "2026-11-21", MEDIA)],
        "event_key string, received_at timestamp, visitor_hash string, percent_viewed double, "
        "dt string, media_id string",
    )
    replace_partition(only, store=store, table_prefix=SILVER_FACT_EVENTS, order_by=["event_key"])
    gone = run_erase_rows(
        spark, dt="2026-11-21", media_id=MEDIA, silver_root=tmp_path.as_uri(),
        visitor_hashes=[THEM, OTHER],
    )  # fmt: skip
    assert (gone.rows_removed, gone.rows, gone.partition_deleted) == (1, 0, True)
    assert store.list_keys(window_partition(SILVER_FACT_EVENTS, "2026-11-21", MEDIA)) == []
    assert table_of(store, DAYS[0]).to_pylist() == before[DAYS[0]].to_pylist()


def test_visitor_hashes_must_be_hmacs_and_are_not_repeated():
    assert parse_visitor_hashes(f"{THEM}, {OTHER}") == {THEM, OTHER}
    for bad in ("", "visitor-key-123", f"{THEM},Ana@example.org", THEM.upper()):
        with pytest.raises(ValueError, match="64-character") as caught:
            parse_visitor_hashes(bad)
        assert "Ana" not in str(caught.value) and "visitor-key-123" not in str(caught.value)
