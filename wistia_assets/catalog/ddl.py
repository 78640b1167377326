"""The column lists of the Athena DDL and the Glue tables, rendered from `transforms/columns.py`.

`deploy/athena/*.sql` holds exactly `athena_columns(...)` between `CREATE ... (` and `)`, and
each `AWS::Glue::Table` of `deploy/cloudformation/data.yaml` lists `glue_yaml(...)`; a test
proves both, name by name, type by type, comment by comment, and prints what to paste when a
column changes. Names Athena reserves (`date`) are quoted in the DDL.
"""

from __future__ import annotations

from wistia_assets.transforms.columns import Column, Table

# Athena DDL reserved words among our column names.
RESERVED = frozenset({"date"})


def _ddl_column(column: Column) -> str:
    name = f"`{column.name}`" if column.name in RESERVED else column.name
    return f"{name} {column.type} COMMENT '{column.description}'"


def athena_columns(table: Table) -> str:
    """The column block of `CREATE EXTERNAL TABLE ... (<this>)`, two-space indented."""
    return ",\n".join(f"  {_ddl_column(c)}" for c in table.columns)


def athena_partitions(table: Table) -> str:
    """The `PARTITIONED BY (...)` clause (empty for an unpartitioned table)."""
    if not table.partition_columns:
        return ""
    inner = ",\n".join(f"  {_ddl_column(c)}" for c in table.partition_columns)
    return f"PARTITIONED BY (\n{inner}\n)"


def glue_yaml(columns: tuple[Column, ...], indent: int = 12) -> str:
    """Glue's `Columns` / `PartitionKeys` entries as YAML flow mappings, ready to paste into
    data.yaml."""
    pad = " " * indent
    return "\n".join(
        f'{pad}- {{Name: {c.name}, Type: {c.type}, Comment: "{c.description}"}}' for c in columns
    )
