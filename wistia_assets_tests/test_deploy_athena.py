"""deploy/athena: the DDL agrees with the Glue tables of the data stack, and the smoke queries
are the local ones (wistia_assets/catalog/smoke.py) and run over tables of exactly that schema.

Athena cannot run here; DuckDB executes the smoke queries over empty tables created from the
DDL's columns, which proves every column they name exists with a usable type.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from cfnlint.decode import decode

from wistia_assets.catalog.smoke import SMOKE_QUERIES

ROOT = Path(__file__).resolve().parent.parent
ATHENA = ROOT / "deploy" / "athena"
TABLES = {"fact_events": "FactEventsTable", "fact_media_by_date": "FactMediaByDateTable"}
TABLES["dim_media"] = "DimMediaTable"
DUCK_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "array<string>": "VARCHAR[]",
}


def ddl_columns(table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    text = (ATHENA / f"{table}.sql").read_text()
    body = re.search(r"\((.*?)\n\)", text, re.S).group(1)
    columns = [
        (m.group(1).strip("`"), m.group(2))
        for m in re.finditer(r"^\s*(`?\w+`?)\s+([\w<>]+),?$", body, re.M)
    ]
    part = re.search(r"PARTITIONED BY \((.*?)\)", text)
    partitions = re.findall(r"(\w+) (\w+)", part.group(1)) if part else []
    return columns, partitions


def glue_table(name: str) -> dict:
    body, errors = decode(str(ROOT / "deploy" / "cloudformation" / "data.yaml"))
    assert not errors
    return json.loads(json.dumps(body))["Resources"][TABLES[name]]["Properties"]["TableInput"]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_ddl_matches_the_glue_table(table):
    columns, partitions = ddl_columns(table)
    glue = glue_table(table)
    assert columns == [(c["Name"], c["Type"]) for c in glue["StorageDescriptor"]["Columns"]]
    assert partitions == [(c["Name"], c["Type"]) for c in glue.get("PartitionKeys", [])]
    text = (ATHENA / f"{table}.sql").read_text()
    assert f"/silver/wistia/{table}/" in text
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


def test_smoke_queries_run_over_the_ddl_schema():
    con = duckdb.connect()
    for table in TABLES:
        columns, partitions = ddl_columns(table)
        cols = ", ".join(f'"{n}" {DUCK_TYPES[t]}' for n, t in columns + partitions)
        con.execute(f"CREATE TABLE {table} ({cols})")
    for name, sql in smoke_file().items():
        con.execute(sql).fetchall()  # raises on an unknown column or a type error
        assert name
