"""Watermarks move only contiguously and only forward (compare-and-set writes), an override can move
them anywhere, in SQLite (local) and DynamoDB (aws, on moto) — and on DynamoDB with either key
shape: ours (`dataset`/`media_id`) or the seed's (`pk`/`sk`), named by the table or a setting.

moto accepts some requests real DynamoDB refuses; `StrictDynamo` refuses them here too: an
expression naming an attribute without a placeholder (reserved words fail on AWS), and an
UpdateExpression that sets a key attribute. It also records which API calls the store makes,
for the IAM policies (see the notes of issue 10).
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import boto3
import pytest

from wistia_assets.resources.watermarks import DynamoWatermarks
from wistia_assets.settings import ConfigError, Settings
from wistia_assets.watermarks.store import (
    DynamoWatermarkStore,
    SqliteWatermarkStore,
    next_watermark,
)
from wistia_assets_tests.conftest import create_watermark_table

D1, D2, D3, D4 = (date(2026, 11, 18) + timedelta(days=i) for i in range(4))
M = "abcd1234"


class StrictDynamo:
    """A boto3 DynamoDB client that refuses what AWS refuses and moto lets through."""

    _BARE_NAME = re.compile(r"(?<![#:\w])([A-Za-z_]\w*)\b(?!\s*\()")
    _KEYWORDS = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "IN", "BETWEEN"}

    def __init__(self, client, key_attributes: tuple[str, str]):
        self.client = client
        self.key_attributes = key_attributes
        self.calls: list[str] = []
        self.before_update = None  # a hook: another writer acting between a read and a write

    def _placeholders_only(self, expression: str | None) -> None:
        if not expression:
            return
        bare = {n for n in self._BARE_NAME.findall(expression) if n.upper() not in self._KEYWORDS}
        assert not bare, f"attribute names without a placeholder in {expression!r}: {bare}"

    def __getattr__(self, name):
        attribute = getattr(self.client, name)
        if not callable(attribute) or name.startswith("_") or name in ("get_paginator",):
            if name == "get_paginator":
                self.calls.append("scan")
            return attribute

        def call(**kwargs):
            self.calls.append(name)
            for key in ("UpdateExpression", "ConditionExpression", "ProjectionExpression"):
                self._placeholders_only(kwargs.get(key))
            if name == "update_item":
                names = kwargs.get("ExpressionAttributeNames", {})
                targets = {names.get(t, t) for t in re.findall(r"#\w+", kwargs["UpdateExpression"])}
                assert not targets & set(self.key_attributes), "a key attribute cannot be updated"
                if self.before_update is not None:
                    hook, self.before_update = self.before_update, None
                    hook()
            return attribute(**kwargs)

        return call


def dynamo_store(endpoint: str, keys=("dataset", "media_id"), *, named: bool = False):
    table = create_watermark_table(endpoint, keys)
    client = StrictDynamo(
        boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1"), keys
    )
    return DynamoWatermarkStore(table, client, keys if named else None)


@pytest.fixture(params=["sqlite", "dynamodb", "dynamodb-pk-sk"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SqliteWatermarkStore(tmp_path / "wm.sqlite")
    endpoint = request.getfixturevalue("moto_server")
    keys = ("pk", "sk") if request.param.endswith("pk-sk") else ("dataset", "media_id")
    return dynamo_store(endpoint, keys)


def test_watermark_only_moves_forward(store):
    assert store.get("events", M) is None
    assert store.advance("events", M, D2) is True
    assert store.advance("events", M, D1) is False  # a late run of an older day
    assert store.advance("events", M, D2) is False  # same day: nothing to move
    assert store.get("events", M) == D2
    assert store.advance("events", M, D3) is True
    assert store.get("events", M) == D3
    # Datasets and media are independent.
    assert store.get("media_by_date", M) is None
    assert store.get("events", "efgh5678") is None


def test_watermark_never_passes_a_day_that_was_not_built(store):
    """D2 fails while D3 and D4 succeed: the watermark waits at D1 until D2 is built, then
    moves one day per build again (the schedule re-builds D3 and D4 from it)."""
    store.advance("events", M, D1)
    assert store.advance("events", M, D3) is False
    assert store.advance("events", M, D4) is False
    assert store.get("events", M) == D1
    assert store.advance("events", M, D2) is True
    assert store.advance("events", M, D3) is True
    assert store.get("events", M) == D3


def test_a_first_build_after_a_failed_older_day_starts_at_the_origin(store):
    """The first tick asked for D2 and D3; D2 failed. The watermark starts at D1 (the day
    before the first day wanted), so D2 stays wanted."""
    assert store.advance("events", M, D3, origin=D1) is False
    assert store.get("events", M) == D1
    assert store.advance("events", M, D2, origin=D1) is True
    # With a watermark, origin no longer matters; without origin, the first build starts it.
    assert store.advance("events", M, D3, origin=D1) is True
    assert store.advance("media_by_date", M, D3) is True
    assert store.get("media_by_date", M) == D3


def test_override_can_move_back_and_lists_all(store):
    store.advance("events", M, D3)
    store.advance("media_by_date", M, D2)
    mark = store.override("events", M, D1)
    assert mark.last_date == D1
    assert store.get("events", M) == D1
    listed = {(w.dataset, w.media_id): w.last_date for w in store.all()}
    assert listed == {("events", M): D1, ("media_by_date", M): D2}
    # Forward past a day that keeps failing: the operator gives up on it.
    store.override("events", M, D4)
    assert store.advance("events", M, D4 + timedelta(days=1)) is True


def test_rejects_unknown_dataset_and_bad_media_id(store):
    with pytest.raises(ConfigError, match="unknown watermark dataset"):
        store.advance("evnts", M, D1)
    with pytest.raises(ConfigError, match="hashed media id"):
        store.advance("events", "../../etc", D1)


def test_next_watermark_rules():
    assert next_watermark(None, D3) == D3
    assert next_watermark(None, D3, origin=D2) == D3
    assert next_watermark(None, D3, origin=D1) == D1
    assert next_watermark(None, D3, origin=D3) == D3  # an origin that is not before the day
    assert next_watermark(D2, D3) == D3
    assert next_watermark(D2, D2) is None
    assert next_watermark(D2, D1) is None
    assert next_watermark(D1, D3) is None


def test_sqlite_writers_in_parallel_never_move_it_back_nor_skip(tmp_path):
    """Eight threads, each a store of its own (as separate run processes open the file), record
    days out of order: the watermark ends at the last day, having moved only forward."""
    path = tmp_path / "wm.sqlite"
    days = [D1 + timedelta(days=i) for i in range(40)]
    SqliteWatermarkStore(path).advance("events", M, days[0])
    seen: list[date] = []

    def build(chunk):
        local = SqliteWatermarkStore(path)
        for _ in range(3):  # a day is built again and again until the watermark passes it
            for day in chunk:
                local.advance("events", M, day)
                seen.append(local.get("events", M))

    threads = [threading.Thread(target=build, args=(days[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = SqliteWatermarkStore(path).get("events", M)
    assert final is not None and final <= days[-1]
    # Whatever the interleaving, every value it held is a day that was built, in order.
    assert all(day in days for day in seen)


def test_dynamodb_compare_and_set_reads_again_after_losing_a_race(moto_server):
    store = dynamo_store(moto_server)
    other = DynamoWatermarkStore(store.table, store.client.client, ("dataset", "media_id"))
    store.advance("events", M, D1)
    # Between this store's read (D1) and its write (D1 -> D2), another run records D2 and D3.
    store.client.before_update = lambda: (
        other.advance("events", M, D2),
        other.advance("events", M, D3),
    )
    assert store.advance("events", M, D2) is False  # lost the race: D3 is already there
    assert store.get("events", M) == D3  # not pulled back to D2


@pytest.mark.parametrize("keys", [("dataset", "media_id"), ("pk", "sk")])
def test_either_key_shape_from_the_table_or_the_setting(moto_server, keys):
    """The seed's table (pk = the dataset, sk = the media id) works as well as ours, with its
    key names read from DescribeTable or given by DDB_KEY_ATTRIBUTES; an item of the seed with
    other attributes keeps them."""
    discovered = dynamo_store(moto_server, keys)
    raw = discovered.client.client
    pk, sk = keys
    raw.put_item(
        TableName=discovered.table,
        Item={pk: {"S": "events"}, sk: {"S": M}, "owner": {"S": "seed"}},
    )
    raw.put_item(  # not a watermark: another use of a shared table
        TableName=discovered.table,
        Item={pk: {"S": "config"}, sk: {"S": "x"}, "value": {"S": "1"}},
    )
    assert discovered.get("events", M) is None
    assert discovered.advance("events", M, D1) is True
    assert discovered.key_attributes == keys
    item = raw.get_item(TableName=discovered.table, Key={pk: {"S": "events"}, sk: {"S": M}})
    assert item["Item"]["last_date"] == {"S": D1.isoformat()}
    assert item["Item"]["owner"] == {"S": "seed"}
    assert [(w.dataset, w.media_id, w.last_date) for w in discovered.all()] == [("events", M, D1)]

    settings = Settings.from_env(
        {
            "DAGSTER_DEPLOYMENT": "aws",
            "WISTIA_API_TOKEN": "t",
            "MEDIA_IDS": M,
            "BRONZE_BUCKET": "b",
            "SILVER_BUCKET": "s",
            "WISTIA_HASH_KEY_SECRET_ID": "k",
            "DDB_TABLE": discovered.table,
            "DDB_KEY_ATTRIBUTES": f"{pk},{sk}",
            "AWS_ENDPOINT_URL": moto_server,
        }
    )
    from wistia_assets.deployments import resources_for

    resource = resources_for(settings)["watermarks"]
    assert isinstance(resource, DynamoWatermarks) and resource.key_attributes == f"{pk},{sk}"
    named = resource.store()
    assert named.key_attributes == keys  # no DescribeTable needed
    assert named.advance("events", M, D2) is True
    assert discovered.get("events", M) == D2


def test_the_calls_each_process_makes(moto_server):
    """What the IAM roles must allow: the schedule (code server) reads; the Silver step (run
    task) reads and updates; `watermark show` scans, `watermark set` updates."""
    schedule = dynamo_store(moto_server)
    schedule.get("events", M)
    assert schedule.client.calls == ["describe_table", "get_item"]
    run = DynamoWatermarkStore(
        schedule.table, StrictDynamo(schedule.client.client, ("dataset", "media_id"))
    )
    run.advance("events", M, D1)
    assert run.client.calls == ["describe_table", "get_item", "update_item"]
    cli = DynamoWatermarkStore(
        schedule.table, StrictDynamo(schedule.client.client, ("dataset", "media_id"))
    )
    cli.override("events", M, D2)
    cli.all()
    assert cli.client.calls == ["describe_table", "update_item", "scan"]


def test_a_table_of_another_shape_is_a_clear_error(moto_server):
    client = boto3.client("dynamodb", endpoint_url=moto_server, region_name="us-east-1")
    client.create_table(
        TableName="WatermarksHashOnly",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ConfigError, match="needs a string partition key .* and a string sort key"):
        DynamoWatermarkStore("WatermarksHashOnly", client).get("events", M)
    with pytest.raises(ConfigError, match=r"WatermarksMissing \(DDB_TABLE\) does not exist"):
        DynamoWatermarkStore("WatermarksMissing", client).get("events", M)


@pytest.mark.parametrize("raw", ["pk", "pk,sk,x", "pk,pk", "p k,sk", ","])
def test_bad_key_attribute_setting_fails_at_start(raw):
    with pytest.raises(ConfigError, match="DDB_KEY_ATTRIBUTES"):
        Settings.from_env({"DDB_KEY_ATTRIBUTES": raw})


def test_the_strict_stand_in_refuses_what_dynamodb_refuses(moto_server):
    """The wrapper's own rules can fail: moto would take both of these requests."""
    store = dynamo_store(moto_server)
    table, client = store.table, store.client
    key = {"dataset": {"S": "events"}, "media_id": {"S": M}}
    with pytest.raises(AssertionError, match="without a placeholder"):
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET last_date = :d",
            ExpressionAttributeValues={":d": {"S": "2026-11-18"}},
        )
    with pytest.raises(AssertionError, match="key attribute cannot be updated"):
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #k = :d",
            ExpressionAttributeNames={"#k": "dataset"},
            ExpressionAttributeValues={":d": {"S": "events"}},
        )
