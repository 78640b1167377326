"""The end-of-run summary of `wistia-assets run|rerun`: what was written, checks, smoke queries."""

from __future__ import annotations

from collections import defaultdict

from wistia_assets.assets.metadata import rows_of
from wistia_assets.deployments import deployment_for
from wistia_assets.settings import Settings


def _bronze_totals(outcomes) -> dict[str, tuple[int, int, int]]:
    """asset -> (partitions, rows, bytes) over the successful materializations."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for outcome in outcomes:
        for asset, metadata in outcome.metadata.items():
            if not asset.startswith("bronze_"):
                continue
            t = totals[asset]
            t[0] += 1
            t[1] += int(rows_of(metadata) or 0)
            t[2] += int(metadata.get("bytes") or 0)
    return {k: (partitions, rows, size) for k, (partitions, rows, size) in sorted(totals.items())}


def print_summary(settings: Settings, outcomes, seconds: float) -> None:
    failed = [o for o in outcomes if not o.success]
    print(f"\n== summary: {len(outcomes) - len(failed)}/{len(outcomes)} runs ok in {seconds:.1f}s")

    print("\nBronze written (raw NDJSON + manifests):")
    for asset, (parts, rows, size) in _bronze_totals(outcomes).items():
        print(f"  {asset:<24} {parts:3d} partitions  {rows:8d} records  {size / 1e6:8.2f} MB")

    silver: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for outcome in outcomes:
        for asset, metadata in outcome.metadata.items():
            if asset.startswith("bronze_"):
                continue
            for key in ("duplicates_removed", "quarantined"):
                silver[asset][key] += int(metadata.get(key) or 0)
    if deployment_for(settings).has_local_duckdb:
        from wistia_assets.catalog.duckdb_catalog import table_counts

        counts = table_counts(settings.lake_root)
        print("\nSilver and Gold tables (rows in the whole table, via DuckDB):")
        for table in ("fact_events", "fact_media_by_date", "dim_media", "media_daily"):
            extra = silver.get(table, {})
            notes = ", ".join(f"{k} {v}" for k, v in extra.items() if v)
            print(f"  {table:<24} {counts.get(table, 0):8d} rows  {notes}")

    checks: dict[tuple[str, str], list[bool]] = defaultdict(list)
    severity: dict[tuple[str, str], str] = {}
    failures = []
    for outcome in outcomes:
        for asset, name, passed, level, desc, partition in outcome.checks:
            checks[(asset, name)].append(passed)
            severity[(asset, name)] = level
            if not passed:
                where = partition or outcome.label
                failures.append(f"{level.lower():<5} {where} {asset}.{name}: {desc}")
    if checks:
        print("\nAsset checks (warn = reported, not blocking):")
        for (asset, name), results in sorted(checks.items()):
            ok = sum(results)
            if ok == len(results):
                mark = "ok  "
            else:
                mark = "warn" if severity[(asset, name)] == "WARN" else "FAIL"
            label = f"{asset}.{name}"
            print(f"  {mark} {label:<45} {ok}/{len(results)} passed")
        for line in failures[:10]:
            print(f"       {line}")
        if len(failures) > 10:
            print(f"       ... {len(failures) - 10} more")

    if failed:
        print("\nFailed runs:")
        for outcome in failed:
            print(f"  {outcome.label}: {outcome.error}")

    if deployment_for(settings).has_local_duckdb and not failed:
        from wistia_assets.commands.query import print_smoke

        print("\nSmoke queries (wistia-assets query --smoke):")
        print_smoke(settings.lake_root)
    if settings.uses_sandbox:
        print("\nNote: data came from the built-in SANDBOX API (no WISTIA_API_TOKEN set).")
