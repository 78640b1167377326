"""`wistia-assets query`: SQL over the local Silver tables with DuckDB (Athena's stand-in)."""

from __future__ import annotations

import argparse

from wistia_assets.catalog.duckdb_catalog import MissingTable, format_table, run_query
from wistia_assets.catalog.smoke import SMOKE_QUERIES
from wistia_assets.settings import ConfigError, Settings


def print_smoke(lake_root) -> None:
    for name, sql in SMOKE_QUERIES.items():
        try:
            columns, rows = run_query(lake_root, sql)
        except MissingTable as exc:  # e.g. a lake built before Gold existed
            print(f"\n== {name}: skipped, {exc}")
            continue
        print(f"\n== {name} ({len(rows)} rows)")
        print(format_table(columns, rows, max_rows=20))


def main(args: argparse.Namespace) -> int:
    # Here, not at the top: it loads Dagster, which only this entry point of the module needs.
    from wistia_assets.deployments import deployment_for

    settings = Settings.from_env()
    if not deployment_for(settings).has_local_duckdb:
        raise ConfigError(
            "wistia-assets query reads the local lake; in AWS query the Glue tables with Athena "
            "(deploy/athena/ has the same smoke queries)"
        )
    if args.smoke:
        print_smoke(settings.lake_root)
        return 0
    if not args.sql:
        raise ConfigError('give a SQL statement or --smoke, e.g. wistia-assets query "SELECT 1"')
    import duckdb

    try:
        columns, rows = run_query(settings.lake_root, args.sql)
    except (MissingTable, duckdb.Error) as exc:  # the SQL given: the user's to change (exit 2)
        raise ConfigError(str(exc).splitlines()[0]) from None
    print(format_table(columns, rows, max_rows=200))
    return 0
