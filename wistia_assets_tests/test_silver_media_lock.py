"""Gold never reads a media's Silver files while a Silver build (or an erasure's rewrite) of that
media replaces them: both take the lock named by `silver_media_lock`, and Gold waits for it."""

from __future__ import annotations

import threading

from wistia_assets.storage.layout import silver_media_lock
from wistia_assets.storage.objects import store_for_uri
from wistia_assets.transforms.gold_runner import _media_locks

MEDIA, OTHER = "e4a27b971d", "b1c2d3e4f5"


def _gold_reads(store, media_ids, entered: threading.Event) -> threading.Thread:
    def read():
        with _media_locks(store, media_ids):
            entered.set()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_gold_waits_while_a_silver_build_holds_the_media(tmp_path):
    store = store_for_uri(tmp_path.as_uri())
    entered = threading.Event()
    with store.lock(silver_media_lock(MEDIA)):  # what runner.run_partition holds
        gold = _gold_reads(store, (OTHER, MEDIA), entered)
        assert not entered.wait(0.5), "Gold read a media whose Silver files were being replaced"
    assert entered.wait(10), "Gold did not go on once the Silver build released the media"
    gold.join(10)


def test_gold_does_not_wait_for_another_media(tmp_path):
    store = store_for_uri(tmp_path.as_uri())
    entered = threading.Event()
    with store.lock(silver_media_lock(OTHER)):
        gold = _gold_reads(store, (MEDIA,), entered)
        assert entered.wait(10)
    gold.join(10)
