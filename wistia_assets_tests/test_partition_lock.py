"""Two writers of one Bronze partition never interleave (found by the reliability harness's
concurrency case): without the lock, writer A's commit deleted every part its manifest did not
name, including writer B's finished part, and B then published a manifest naming a part that no
longer existed, so Silver failed on the partition until it was pulled again. The lock is a flock,
released by the kernel when its holder is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

from wistia_assets.storage.objects import LocalStore
from wistia_assets.storage.partition import PartitionWriter, read_manifest

PARTITION = "bronze/wistia/events/dt=2026-11-20/media_id=abcd1234"


def test_a_second_writer_waits_and_its_manifest_names_only_existing_parts(tmp_path):
    store = LocalStore(tmp_path)
    b_entered = threading.Event()

    def writer_b() -> None:
        with PartitionWriter(store, PARTITION) as b:
            b_entered.set()
            b.write_records([{"event_key": "b"}])
            b.commit()

    with PartitionWriter(store, PARTITION) as a:
        a.write_records([{"event_key": "a"}])
        thread = threading.Thread(target=writer_b)
        thread.start()
        # B is held at the door while A writes and commits (before: it ran alongside).
        assert not b_entered.wait(0.5)
        a.commit()
    thread.join(10)
    assert b_entered.is_set()
    manifest = read_manifest(store, PARTITION)
    assert [store.exists(p["key"]) for p in manifest["parts"]] == [True]
    assert store.read_bytes(manifest["parts"][0]["key"]) == b'{"event_key":"b"}\n'
    assert len([k for k in store.list_keys(PARTITION) if "/part-" in k]) == 1


HOLDER = textwrap.dedent("""
    import sys, time
    from wistia_assets.storage.objects import LocalStore
    from wistia_assets.storage.partition import PartitionWriter
    with PartitionWriter(LocalStore(sys.argv[1]), sys.argv[2]) as writer:
        writer.write_records([{"event_key": "killed"}])
        print("holding", flush=True)
        time.sleep(600)
    """)


def test_a_sigkilled_writer_does_not_keep_the_partition_locked(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), PARTITION], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "holding"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = threading.Event()

    def write() -> None:
        with PartitionWriter(LocalStore(tmp_path), PARTITION) as writer:
            writer.write_records([{"event_key": "next"}])
            writer.commit()
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(10)
