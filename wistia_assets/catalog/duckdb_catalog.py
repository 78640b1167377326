"""The local stand-in for Glue catalog + Athena: DuckDB views over the Silver and Gold Parquet.

Views glob exactly the documented layout (`dt=*/media_id=*/*.parquet`), so Spark's staging
folders (`.spark-staging-*`, `_temporary`) of an interrupted write are never read, and partition
values stay strings, as in the Athena tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from wistia_assets.storage.layout import GOLD_MEDIA_DAILY, SILVER_TABLE_PREFIXES

TABLE_PREFIXES = {**SILVER_TABLE_PREFIXES, "media_daily": GOLD_MEDIA_DAILY}
_GLOBS = {
    "fact_events": "dt=*/media_id=*/*.parquet",
    "fact_media_by_date": "dt=*/media_id=*/*.parquet",
    "dim_media": "*.parquet",
    "media_daily": "dt=*/*.parquet",
}
_PARTITIONS = {
    "fact_events": "{'dt': VARCHAR, 'media_id': VARCHAR}",
    "fact_media_by_date": "{'dt': VARCHAR, 'media_id': VARCHAR}",
    "media_daily": "{'dt': VARCHAR}",
}


class MissingTable(LookupError):
    pass


def connect(lake_root: str | Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """An in-memory DuckDB with one view per Silver/Gold table that has data; returns the names."""
    root = Path(lake_root).resolve()
    con = duckdb.connect(":memory:")
    present = []
    for table, prefix in TABLE_PREFIXES.items():
        folder = root / prefix
        pattern = _GLOBS[table]
        if not folder.is_dir() or not any(folder.glob(pattern)):
            continue
        source = str(folder / pattern).replace("'", "''")
        hive = (
            f", hive_partitioning = true, hive_types = {_PARTITIONS[table]}"
            if table in _PARTITIONS
            else ", hive_partitioning = false"
        )
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}'{hive})")
        present.append(table)
    return con, present


def run_query(lake_root: str | Path, sql: str) -> tuple[list[str], list[tuple]]:
    con, present = connect(lake_root)
    try:
        cursor = con.execute(sql)
    except duckdb.CatalogException as exc:
        missing = [t for t in TABLE_PREFIXES if t not in present]
        hint = f" (no data yet for: {', '.join(missing)}; run `make run` first)" if missing else ""
        raise MissingTable(f"{str(exc).splitlines()[0]}{hint}") from None
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall()


def table_counts(lake_root: str | Path) -> dict[str, int]:
    con, present = connect(lake_root)
    counts = {}
    for t in present:
        # count(*) answers exactly one row: unpacking says so, and fails loudly otherwise.
        [(counts[t],)] = con.execute(f"SELECT count(*) FROM {t}").fetchall()
    return counts


def format_table(columns: list[str], rows: list[tuple], max_rows: int = 50) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows[:max_rows]]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    if len(rows) > max_rows:
        out.append(f"... {len(rows) - max_rows} more rows")
    return "\n".join(out)
