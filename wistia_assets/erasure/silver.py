"""A viewer's rows in Silver `fact_events`: found by `visitor_hash`, the column Silver hashes
`visitor_key` into with the same key. Locally read with pyarrow, one column of each file (the
`local` extra); in AWS asked of the catalog (Athena: the ECS image has no pyarrow), so a viewer
whose Bronze has expired is still found in Silver."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from wistia_assets.erasure.bronze import Hit, partitions
from wistia_assets.storage.layout import SILVER_FACT_EVENTS
from wistia_assets.storage.objects import ObjectStore

if TYPE_CHECKING:
    from wistia_assets.resources.catalog import SilverCatalog


def find(store: ObjectStore, visitor_hashes: set[str]) -> list[Hit]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from wistia_assets.transforms.silver_writes import data_files

    hits = []
    if not visitor_hashes:
        return hits
    wanted = pa.array(sorted(visitor_hashes), type=pa.string())
    # pyarrow.compute defines is_in, sum and the rest when imported, so no stub declares them.
    is_in, total = pc.is_in, pc.sum  # pyright: ignore[reportAttributeAccessIssue]  # see above
    for partition, day, media_id in partitions(store, SILVER_FACT_EVENTS):
        n = 0
        for key in data_files(store, partition):
            column = pq.read_table(io.BytesIO(store.read_bytes(key)), columns=["visitor_hash"])
            found = is_in(column["visitor_hash"], value_set=wanted)
            n += total(found).as_py() or 0
        if n:
            hits.append(Hit("silver", day, media_id, n))
    return hits


def catalog_finder(catalog: SilverCatalog):
    """`find` through the deployment's catalog (one query over the table's visitor_hash)."""

    def find_in_catalog(store: ObjectStore, visitor_hashes: set[str]) -> list[Hit]:
        if not visitor_hashes:
            return []
        return [
            Hit("silver", day, media_id, n)
            for day, media_id, n in catalog.viewer_partitions(visitor_hashes)
            if n
        ]

    return find_in_catalog
