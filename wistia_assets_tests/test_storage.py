"""Bronze partitions are replaced whole: readers see the previous pull or the new one, never a
mix, never a partial file, also when the writer is killed midway; on a folder and on S3 (moto)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import boto3
import pytest

from wistia_assets.storage.layout import manifest_key
from wistia_assets.storage.objects import MULTIPART_CHUNK, LocalStore, S3Store
from wistia_assets.storage.partition import PartitionWriter, read_manifest

PARTITION = "bronze/wistia/events/dt=2026-11-20/media_id=abcd1234"


def read_partition(store, partition=PARTITION) -> list[dict]:
    """What a reader sees: exactly the parts the manifest names."""
    manifest = read_manifest(store, partition)
    if manifest is None:
        return []
    lines = []
    for part in manifest["parts"]:
        lines += store.read_bytes(part["key"]).decode().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "lake")
    endpoint = request.getfixturevalue("moto_server")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"bronze-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Store(bucket, client)


def test_rewrite_replaces_partition_without_stale_or_duplicate_parts(store):
    for pull in range(3):
        with PartitionWriter(store, PARTITION, max_part_bytes=200) as writer:
            writer.write_records({"event_key": f"e{i}", "pull": pull} for i in range(10))
            manifest = writer.commit(dataset="events")
        assert manifest["rows"] == 10 and len(manifest["parts"]) > 1

    records = read_partition(store)
    assert sorted(r["event_key"] for r in records) == sorted(f"e{i}" for i in range(10))
    assert {r["pull"] for r in records} == {2}
    # Nothing but the last pull's parts and its manifest remain in the partition.
    keys = store.list_keys(PARTITION)
    assert set(keys) == {p["key"] for p in manifest["parts"]} | {manifest_key(PARTITION)}


def test_failed_write_keeps_previous_pull_visible(store):
    with PartitionWriter(store, PARTITION) as writer:
        writer.write_records([{"event_key": "old"}])
        writer.commit()
    with pytest.raises(RuntimeError), PartitionWriter(store, PARTITION) as writer:
        writer.write_records([{"event_key": "new-1"}])
        raise RuntimeError("API died mid-window")
    assert [r["event_key"] for r in read_partition(store)] == ["old"]
    # The aborted part never became an object.
    assert len([k for k in store.list_keys(PARTITION) if "/part-" in k]) == 1


def test_empty_window_is_a_committed_partition_with_zero_rows(store):
    with PartitionWriter(store, PARTITION) as writer:
        manifest = writer.commit(dataset="events")
    assert manifest["rows"] == 0 and manifest["parts"] == []
    assert read_manifest(store, PARTITION)["rows"] == 0  # pulled, nothing there
    assert read_manifest(store, PARTITION.replace("2026-11-20", "2026-11-21")) is None


def test_s3_large_partition_streams_through_multipart_upload(moto_server):
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    bucket = f"bronze-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    store = S3Store(bucket, client)
    record = {"event_key": "k", "pad": "x" * 1000}
    n = (2 * MULTIPART_CHUNK) // 1000 + 50
    with PartitionWriter(store, PARTITION) as writer:
        writer.write_records(dict(record, event_key=f"k{i}") for i in range(n))
        manifest = writer.commit()
    (part,) = manifest["parts"]
    head = client.head_object(Bucket=bucket, Key=part["key"])
    assert head["ContentLength"] == part["bytes"] > 2 * MULTIPART_CHUNK
    assert "-" in head["ETag"]  # a multipart ETag: the part was streamed, not buffered whole
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_local_keys_cannot_escape_the_lake(tmp_path):
    store = LocalStore(tmp_path)
    for key in ("../x", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            store.write_bytes(key, b"x")


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from wistia_assets.storage.objects import LocalStore
    from wistia_assets.storage.partition import PartitionWriter
    store = LocalStore(sys.argv[1])
    def records():
        i = 0
        while True:
            yield {"event_key": f"new-{i}", "pad": "y" * 200}
            i += 1
            if i == 2000:
                print("writing", flush=True)
            if i % 5000 == 0:
                time.sleep(0.01)
    with PartitionWriter(store, sys.argv[2], max_part_bytes=1_000_000) as writer:
        writer.write_records(records())
    """)


def test_sigkill_during_write_leaves_previous_pull_intact_and_next_write_cleans_up(tmp_path):
    lake = tmp_path / "lake"
    store = LocalStore(lake)
    with PartitionWriter(store, PARTITION) as writer:
        writer.write_records({"event_key": f"old-{i}"} for i in range(5))
        writer.commit()

    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(lake), PARTITION],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "writing"
    # Let it finish a few 1 MB parts and be in the middle of another.
    deadline = time.time() + 20
    while time.time() < deadline and len(store.list_keys(PARTITION)) < 4:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # A reader still sees exactly the previous pull.
    assert sorted(r["event_key"] for r in read_partition(store)) == [f"old-{i}" for i in range(5)]
    # Whatever the killed writer finished is unnamed by any manifest; its open part is hidden.
    leftovers = [k for k in store.list_keys(PARTITION) if "/part-" in k]
    assert len(leftovers) >= 2
    with PartitionWriter(store, PARTITION) as writer:
        writer.write_records([{"event_key": "fresh"}])
        manifest = writer.commit()
    assert [r["event_key"] for r in read_partition(store)] == ["fresh"]
    assert set(store.list_keys(PARTITION)) == {manifest["parts"][0]["key"], manifest_key(PARTITION)}


def test_staging_files_of_killed_writers_are_swept_when_old(tmp_path):
    lake = tmp_path / "lake"
    store = LocalStore(lake)
    staging = lake / "_staging"
    staging.mkdir(parents=True, exist_ok=True)
    old, fresh = staging / "old.tmp", staging / "fresh.tmp"
    old.write_bytes(b"half a part")
    fresh.write_bytes(b"a live writer's part")
    os.utime(old, (time.time() - 7 * 3600,) * 2)
    assert store.remove_stale_staging() == 1
    assert not old.exists() and fresh.exists()  # a write in progress is never touched
    os.utime(fresh, (time.time() - 7 * 3600,) * 2)
    LocalStore(lake)  # opening the lake sweeps too
    assert not fresh.exists()
