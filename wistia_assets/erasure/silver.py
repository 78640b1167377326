"""A viewer's rows in Silver `fact_events`: found by `visitor_hash`, the column Silver hashes
`visitor_key` into with the same key. Read with pyarrow, one column of each file (the `local`
extra; the aws deployment finds its partitions from Bronze and the erasure record instead)."""

from __future__ import annotations

import io

from wistia_assets.erasure.bronze import Hit, partitions
from wistia_assets.storage.layout import SILVER_FACT_EVENTS
from wistia_assets.storage.objects import ObjectStore


def find(store: ObjectStore, visitor_hashes: set[str]) -> list[Hit]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from wistia_assets.transforms.silver_writes import data_files

    hits = []
    if not visitor_hashes:
        return hits
    wanted = pa.array(sorted(visitor_hashes), type=pa.string())
    for partition, day, media_id in partitions(store, SILVER_FACT_EVENTS):
        n = 0
        for key in data_files(store, partition):
            column = pq.read_table(io.BytesIO(store.read_bytes(key)), columns=["visitor_hash"])
            n += pc.sum(pc.is_in(column["visitor_hash"], value_set=wanted)).as_py() or 0
        if n:
            hits.append(Hit("silver", day, media_id, n))
    return hits
