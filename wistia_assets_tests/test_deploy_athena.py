"""deploy/athena: the DDL and the Glue tables of the data stack are the tables of
`transforms/columns.py` and `transforms/schema.py` (the Spark schemas the transforms write),
name by name, type by type, comment by comment; the smoke queries are the local ones
(wistia_assets/catalog/smoke.py) and run over tables of exactly that schema.

Athena cannot run here; DuckDB executes the smoke queries over empty tables created from the
DDL's columns, which proves every column they name exists with a usable type.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from wistia_assets.catalog.ddl import athena_columns, athena_partitions, glue_yaml
from wistia_assets.catalog.smoke import SMOKE_QUERIES
from wistia_assets.transforms import schema
from wistia_assets.transforms.columns import TABLES as DECLARED
from wistia_assets_tests.support.deploy import cfn_template

ROOT = Path(__file__).resolve().parent.parent
ATHENA = ROOT / "deploy" / "athena"
TABLES = {"fact_events": "FactEventsTable", "fact_media_by_date": "FactMediaByDateTable"}
TABLES["dim_media"] = "DimMediaTable"
TABLES["media_daily"] = "MediaDailyTable"
SPARK = {
    "fact_events": schema.FACT_EVENTS,
    "fact_media_by_date": schema.FACT_MEDIA_BY_DATE,
    "dim_media": schema.DIM_MEDIA,
    "media_daily": schema.MEDIA_DAILY,
}
ZONE = {"media_daily": "gold"}
DUCK_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "array<string>": "VARCHAR[]",
}


COLUMN = re.compile(r"^\s*(`?\w+`?)\s+([\w<>]+) COMMENT '([^']*)',?$", re.M)


def ddl_columns(table: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(name, type, comment) of the DDL's columns and of its partition columns."""
    text = (ATHENA / f"{table}.sql").read_text()
    body = re.search(r"\((.*?)\n\)", text, re.S).group(1)
    columns = [(m.group(1).strip("`"), m.group(2), m.group(3)) for m in COLUMN.finditer(body)]
    part = re.search(r"PARTITIONED BY \((.*?)\n\)", text, re.S)
    partitions = (
        [(m.group(1), m.group(2), m.group(3)) for m in COLUMN.finditer(part.group(1))]
        if part
        else []
    )
    return columns, partitions


def glue_table(name: str) -> dict:
    return cfn_template("data.yaml")["Resources"][TABLES[name]]["Properties"]["TableInput"]


def declared(table: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    t = DECLARED[table]
    return (
        [(c.name, c.type, c.description) for c in t.columns],
        [(c.name, c.type, c.description) for c in t.partition_columns],
    )


@pytest.mark.parametrize("table", sorted(TABLES))
def test_the_declared_columns_are_what_spark_writes(table):
    """columns.py and the StructType the transform casts to: same names, same types."""
    columns, _ = declared(table)
    assert [(f.name, f.dataType.simpleString()) for f in SPARK[table].fields] == [
        (name, type_) for name, type_, _ in columns
    ]
    for name, _, description in columns:
        # What it is, and where it comes from: a word, not a placeholder.
        assert len(description) >= 20 and "'" not in description and len(description) <= 255, name


@pytest.mark.parametrize("table", sorted(TABLES))
def test_ddl_is_the_declared_table(table):
    columns, partitions = declared(table)
    ddl, ddl_partitions = ddl_columns(table)
    expected = athena_columns(DECLARED[table])
    assert ddl == columns, f"deploy/athena/{table}.sql should list:\n{expected}"
    assert ddl_partitions == partitions, athena_partitions(DECLARED[table])


@pytest.mark.parametrize("table", sorted(TABLES))
def test_the_glue_table_is_the_declared_table(table):
    columns, partitions = declared(table)
    glue = glue_table(table)
    listed = [
        (c["Name"], c["Type"], c.get("Comment")) for c in glue["StorageDescriptor"]["Columns"]
    ]
    assert listed == columns, f"{TABLES[table]} Columns:\n{glue_yaml(DECLARED[table].columns)}"
    keys = [(c["Name"], c["Type"], c.get("Comment")) for c in glue.get("PartitionKeys", [])]
    assert keys == partitions, glue_yaml(DECLARED[table].partition_columns, indent=10)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_ddl_matches_the_glue_table(table):
    glue = glue_table(table)
    text = (ATHENA / f"{table}.sql").read_text()
    assert f"/{ZONE.get(table, 'silver')}/wistia/{table}/" in text
    assert glue["StorageDescriptor"]["Location"]["Fn::Sub"].endswith(
        f"/{ZONE.get(table, 'silver')}/wistia/{table}/"
    )
    for key in glue["Parameters"]:
        if key.startswith("projection.") or key == "storage.location.template":
            assert f"'{key}'" in text, f"{table}: {key}"


def smoke_file() -> dict[str, str]:
    text = (ATHENA / "smoke_queries.sql").read_text()
    queries = {}
    for block in re.split(r"^-- name: ", text, flags=re.M)[1:]:
        name, _, sql = block.partition("\n")
        sql = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
        queries[name.strip()] = sql.strip().rstrip(";")
    return queries


def normal(sql: str) -> str:
    return " ".join(sql.split())


def test_smoke_queries_are_the_local_ones():
    athena = smoke_file()
    assert set(athena) == set(SMOKE_QUERIES)
    for name, sql in SMOKE_QUERIES.items():
        assert normal(athena[name]) == normal(sql), name


# One value per DDL type; every string is the same, so every join on media_id (or dt) matches.
ONE_ROW = {
    "VARCHAR": "'m1'",
    "TIMESTAMP": "TIMESTAMP '2026-11-20 01:02:03'",
    "DATE": "DATE '2026-11-20'",
    "DOUBLE": "0.5",
    "BIGINT": "1",
    "BOOLEAN": "true",
    "VARCHAR[]": "['m1']",
}


def test_smoke_queries_run_over_the_ddl_schema():
    con = duckdb.connect()
    for table in TABLES:
        columns, partitions = ddl_columns(table)
        types = [DUCK_TYPES[t] for _, t, _ in columns + partitions]
        cols = ", ".join(f'"{n}" {DUCK_TYPES[t]}' for n, t, _ in columns + partitions)
        con.execute(f"CREATE TABLE {table} ({cols})")
        con.execute(f"INSERT INTO {table} VALUES ({', '.join(ONE_ROW[t] for t in types)})")
    for name, sql in smoke_file().items():
        rows = con.execute(sql).fetchall()  # raises on an unknown column or a type error
        # One matching row in every table: a query that still answers nothing joins or filters
        # on columns whose DDL types or values can never meet.
        assert rows, f"smoke query {name} returns no row over one matching row per table"
