"""dim_media on a local lake: the latest snapshot per media wins, re-runs upsert (a media without
a new snapshot keeps its row), channels come from configuration before the name rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wistia_assets.storage.objects import LocalStore
from wistia_assets.transforms.bronze_reader import BronzeNotIngested
from wistia_assets.transforms.runner import run_dim_media
from wistia_assets.transforms.schema import DIM_MEDIA
from wistia_assets_tests.support.transforms import (
    MEDIA_A,
    MEDIA_B,
    parquet_files,
    personal_looking_values,
    read_rows,
    write_snapshot,
)

pytestmark = pytest.mark.spark

OLD, NEW, NEWER = "20261119T020000000000Z", "20261120T020000123456Z", "20261121T020000000000Z"


def run_dim(spark, root, channels=None):
    uri = f"file://{root}"
    return run_dim_media(spark, bronze_root=uri, silver_root=uri, channels=channels or {})


def test_latest_snapshot_wins_then_upserts(spark, tmp_path):
    with pytest.raises(BronzeNotIngested, match="bronze_media_metadata has no snapshots"):
        run_dim(spark, tmp_path)

    write_snapshot(tmp_path, MEDIA_A, OLD, "media_e4a27b971d_old.json")
    write_snapshot(tmp_path, MEDIA_A, NEW, "media_e4a27b971d_new.json")
    b_key = write_snapshot(tmp_path, MEDIA_B, OLD, "media_abc123def4.json")
    first = run_dim(spark, tmp_path)
    table = tmp_path / "silver/wistia/dim_media"
    rows = {row["media_id"]: row for row in read_rows(table)}

    assert list(rows[MEDIA_A]) == [f.name for f in DIM_MEDIA.fields]
    a = rows[MEDIA_A]
    assert a["title"] == "Product demo - YT" and a["channel"] == "youtube"
    assert a["snapshot_loaded_at"] == datetime(2026, 11, 20, 2, 0, 0, 123456, tzinfo=UTC)
    assert a["numeric_id"] == 1001 and a["duration_seconds"] == 95.4
    assert a["url"] == f"https://home.wistia.com/medias/{MEDIA_A}"
    assert a["created_at"] == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert a["updated_at"] == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    assert (a["project_id"], a["project_name"], a["project_hashed_id"]) == (
        4242,
        "Marketing",
        "proj42abc",
    )
    assert a["thumbnail_url"] == "https://embed-ssl.wistia.com/deliveries/t1.jpg"
    assert a["tags"] == ["launch", "q4"] and a["archived"] is False
    assert (a["status"], a["media_type"]) == ("ready", "Video")
    b = rows[MEDIA_B]
    assert b["channel"] == "facebook" and b["archived"] is True and b["tags"] == ["teaser"]
    assert (b["project_id"], b["project_hashed_id"]) == (77, "soc77xyz")
    assert first.rows == first.distinct_media_ids == 2
    assert first.channels == {MEDIA_B: "facebook", MEDIA_A: "youtube"}
    assert first.media_ids == [MEDIA_B, MEDIA_A] and first.unknown_channel_media_ids == []
    assert personal_looking_values(table) == []

    # Next day: a newer snapshot of A; B's snapshot aged out of Bronze; B's channel configured.
    write_snapshot(tmp_path, MEDIA_A, NEWER, "media_e4a27b971d_newer.json")
    LocalStore(tmp_path).delete_keys([b_key])
    second = run_dim(spark, tmp_path, channels={MEDIA_B: "Newsletter"})
    rows = {row["media_id"]: row for row in read_rows(table)}
    assert len(parquet_files(table)) == 1  # the previous file is gone
    assert second.rows == 2 and second.snapshot_media == [MEDIA_A]
    a = rows[MEDIA_A]
    assert a["title"] == "Product demo v2 | IG" and a["channel"] == "instagram"
    assert a["snapshot_loaded_at"] == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert a["url"] == "https://example.wistia.com/medias/e4a27b971d"  # its own, no query
    assert a["duration_seconds"] == 101.5
    # B keeps its row (no snapshot now), with the configured channel.
    assert rows[MEDIA_B]["title"] == "Launch teaser FB"
    assert rows[MEDIA_B]["channel"] == "newsletter"
