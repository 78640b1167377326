"""Watermarks only move forward (conditional writes), an override can move them back, in SQLite
(local) and DynamoDB (aws, on moto)."""

from __future__ import annotations

from datetime import date

import boto3
import pytest

from wistia_assets.settings import ConfigError
from wistia_assets.watermarks.store import DynamoWatermarkStore, SqliteWatermarkStore
from wistia_assets_tests.conftest import create_watermark_table

D1, D2, D3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SqliteWatermarkStore(tmp_path / "wm.sqlite")
    endpoint = request.getfixturevalue("moto_server")
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    table = create_watermark_table(endpoint)
    return DynamoWatermarkStore(table, client)


def test_watermark_only_moves_forward(store):
    assert store.get("events", "abcd1234") is None
    assert store.advance("events", "abcd1234", D2) is True
    assert store.advance("events", "abcd1234", D1) is False  # a late run of an older day
    assert store.advance("events", "abcd1234", D2) is False  # same day: nothing to move
    assert store.get("events", "abcd1234") == D2
    assert store.advance("events", "abcd1234", D3) is True
    assert store.get("events", "abcd1234") == D3
    # Datasets and media are independent.
    assert store.get("media_by_date", "abcd1234") is None
    assert store.get("events", "efgh5678") is None


def test_override_can_move_back_and_lists_all(store):
    store.advance("events", "abcd1234", D3)
    store.advance("media_by_date", "abcd1234", D2)
    mark = store.override("events", "abcd1234", D1)
    assert mark.last_date == D1
    assert store.get("events", "abcd1234") == D1
    listed = {(w.dataset, w.media_id): w.last_date for w in store.all()}
    assert listed == {("events", "abcd1234"): D1, ("media_by_date", "abcd1234"): D2}


def test_rejects_unknown_dataset_and_bad_media_id(store):
    with pytest.raises(ConfigError, match="unknown watermark dataset"):
        store.advance("evnts", "abcd1234", D1)
    with pytest.raises(ConfigError, match="hashed media id"):
        store.advance("events", "../../etc", D1)
