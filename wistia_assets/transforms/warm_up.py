"""A fresh local session warmed up on the Silver builds' own queries, on made-up days.

The first build of a local session is slow however small its data (~4 s more than the next one
for the two fact tables): the JVM loads and compiles Spark's planner and executor and every class
Spark generates for the build's queries. `run` of several windows spends several seconds pulling
Bronze before its first Silver build (the rate budget paces the pulls), on a CPU that is mostly
idle. `warm_up` runs both fact builds of a batch of two adjacent made-up days of a made-up media
in a temporary lake in that time, through the tables' own builds (`fact_events.build`,
`fact_media_by_date.build`: the runner's locks and log lines are for real lakes), so that the
real build finds those classes loaded and compiled (Spark caches generated code by its text, and a
batch's queries are the same whatever its windows: `values.utc_day`). Nothing of it stays: the
lake is deleted, its frames unpersisted, and it shares nothing with the real lake.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

from wistia_assets.storage.layout import BRONZE_WINDOW_PREFIXES, window_partition
from wistia_assets.storage.objects import LocalStore
from wistia_assets.storage.partition import PartitionWriter

MEDIA = "warmup0media"
DAYS = ("2000-01-01", "2000-01-02")
# Not a secret: it hashes made-up values into a table that is deleted.
HASH_KEY = b"warm-up-only-not-a-key"


def _event(key: str, day: str, minute: int) -> dict:
    """A made-up event with every field a Silver row is typed from."""
    return {
        "received_at": f"{day}T10:{minute:02d}:00.000Z",
        "event_key": key,
        "visitor_key": f"visitor-{key}",
        "embed_url": "https://example.org/watch?x=1",
        "percent_viewed": "0.5",
        "ip": "192.0.2.1",
        "org": "Example",
        "country": "US",
        "region": "Ohio",
        "city": "Columbus",
        "media_id": MEDIA,
        "media_name": "warm-up",
        "conversion_type": "",
        "conversion_data": {},
        "user_agent_details": {
            "browser": "Chrome",
            "browser_version": "131",
            "platform": "Linux",
            "mobile": False,
        },
        "unknown_field": 1,
    }


def _bronze(store: LocalStore) -> None:
    for n, day in enumerate(DAYS):
        records = {
            # Two events of the day (a batch's common path: no key on two days) and a line that
            # is no JSON (the quarantine's write).
            "events": [
                json.dumps(_event(f"first-{n}", day, 1)),
                json.dumps(_event(f"second-{n}", day, 2)),
                "not json",
            ],
            "media_by_date": [
                json.dumps({"date": day, "load_count": 2, "play_count": 1, "hours_watched": 0.01})
            ],
        }
        for dataset, lines in records.items():
            partition = window_partition(BRONZE_WINDOW_PREFIXES[dataset], day, MEDIA)
            with PartitionWriter(store, partition) as writer:
                writer.write_lines(line.encode() + b"\n" for line in lines)
                writer.commit(dataset=dataset, dt=day, media_id=MEDIA, source="warm-up")


def warm_up(spark: SparkSession) -> None:
    """Build both fact tables of the made-up days in a temporary lake (see the module)."""
    from wistia_assets.transforms import fact_events, fact_media_by_date
    from wistia_assets.transforms.session import configure_silver_session

    configure_silver_session(spark)
    with tempfile.TemporaryDirectory(prefix="wistia-warm-up-") as tmp:
        lake = LocalStore(Path(tmp))
        _bronze(lake)
        windows = [(day, MEDIA) for day in DAYS]
        fact_media_by_date.build(spark, lake, lake, windows=windows)
        fact_events.build(spark, lake, lake, windows=windows, hash_key=HASH_KEY)
