"""The column schema the Dagster UI shows for a table: names, types and descriptions.

Built from `transforms/columns.py` (no Spark needed, so the ECS image can load it): once on the
asset's definition, so the columns are described before anything was materialized, and on each
materialization from the schema Spark actually wrote, each column with its declared description.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dagster import TableColumn, TableSchema

from wistia_assets.transforms.columns import TABLES


def declared_schema(table: str) -> TableSchema:
    t = TABLES[table]
    return TableSchema(
        columns=[
            TableColumn(c.name, c.type, description=c.description)
            for c in (*t.columns, *t.partition_columns)
        ]
    )


def written_schema(table: str, written: Iterable[Sequence[str]]) -> TableSchema:
    """`written` is [name, Spark simpleString] per column, as the runner reports it (a list
    after the Glue job's JSON)."""
    t = TABLES[table]

    def description(name: str) -> str | None:
        try:
            return t.column(name).description
        except KeyError:
            return None

    return TableSchema(
        columns=[TableColumn(n, ty, description=description(n)) for n, ty in written]
    )
