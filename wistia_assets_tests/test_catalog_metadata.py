"""What the catalog shows a Dagster user, as Dagster's standard keys and tags: where each asset
lives (`dagster/uri`), the table to query (`dagster/table_name`: `database.table` in Athena, the
DuckDB view locally), media_daily's column lineage, and `layer`/`pii` as tags that selections
(`tag:pii=true` in the UI, `dg` and `dagster`) filter on."""

from __future__ import annotations

from datetime import timedelta

from dagster import AssetKey, AssetSelection, TableColumnLineage

from wistia_assets.definitions import build_defs
from wistia_assets.settings import Settings
from wistia_assets.transforms.columns import MEDIA_DAILY, TABLES

LOCAL = {"WISTIA_START_DATE": "2026-11-01", "WISTIA_LAKE_ROOT": "/srv/lake"}
AWS = {
    "WISTIA_START_DATE": "2026-11-01",
    "DAGSTER_DEPLOYMENT": "aws",
    "WISTIA_API_TOKEN": "catalog-test-token",
    "BRONZE_BUCKET": "acme-bronze",
    "SILVER_BUCKET": "acme-silver",
    "GLUE_DATABASE": "acme_wistia",
    "MEDIA_IDS": "abcd1234,efgh5678",
    "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key",
}


def _graph(env):
    return build_defs(Settings.from_env(env)).resolve_asset_graph()


def _selected(env, selection: str) -> set[str]:
    keys = AssetSelection.from_string(selection).resolve(_graph(env))
    return {k.to_user_string() for k in keys}


def test_tag_pii_true_selects_exactly_the_bronze_assets():
    assert _selected(LOCAL, "tag:pii=true") == {
        "bronze_events",
        "bronze_media_by_date",
        "bronze_media_metadata",
    }
    assert _selected(LOCAL, "tag:layer=gold") == {"media_daily", "media_report"}
    assert _selected(LOCAL, "tag:pii=false and tag:layer=silver") == {
        "fact_events",
        "fact_media_by_date",
        "dim_media",
    }


def test_where_each_asset_lives_and_which_table_to_query_per_deployment():
    local, aws = _graph(LOCAL), _graph(AWS)

    def md(graph, key):
        return graph.get(AssetKey(key)).metadata

    assert md(local, "fact_events")["dagster/table_name"] == "fact_events"
    assert md(local, "fact_events")["dagster/uri"] == "file:///srv/lake/silver/wistia/fact_events"
    assert md(aws, "fact_events")["dagster/table_name"] == "acme_wistia.fact_events"
    assert md(aws, "fact_events")["dagster/uri"] == "s3://acme-silver/silver/wistia/fact_events"
    assert md(aws, "media_daily")["dagster/table_name"] == "acme_wistia.media_daily"
    assert md(aws, "media_daily")["dagster/uri"] == "s3://acme-silver/gold/wistia/media_daily"
    assert md(aws, "bronze_events")["dagster/uri"] == "s3://acme-bronze/bronze/wistia/events"
    assert "dagster/table_name" not in md(aws, "bronze_events")  # raw NDJSON, no table
    assert md(aws, "media_report")["dagster/uri"] == "s3://acme-silver/reports/wistia"
    # Tags, not metadata, for what people filter on.
    for graph in (local, aws):
        for key in graph.get_all_asset_keys():
            assert not {"layer", "personal_data"} & set(graph.get(key).metadata)


def test_every_media_daily_column_has_its_lineage_to_real_silver_columns():
    lineage = _graph(LOCAL).get(AssetKey("media_daily")).metadata["dagster/column_lineage"]
    assert isinstance(lineage, TableColumnLineage)
    assert set(lineage.deps_by_column) == {c.name for c in MEDIA_DAILY.columns}
    for column, deps in lineage.deps_by_column.items():
        assert deps, column
        for dep in deps:
            table = dep.asset_key.to_user_string()
            assert table in ("fact_events", "fact_media_by_date"), (column, table)
            # media_id is each fact's partition column; everything else a column of its table.
            known = {c.name for c in TABLES[table].columns} | {"media_id"}
            assert dep.column_name in known, (column, table, dep.column_name)


def test_gold_and_the_report_are_due_five_hours_after_the_schedules_tick():
    def deadline(env, key):
        return _graph(env).get(AssetKey(key)).freshness_policy.deadline_cron

    for key in ("media_daily", "media_report"):
        assert deadline(LOCAL, key) == "15 7 * * *"  # the default tick, 02:15 UTC
        assert deadline(LOCAL | {"WISTIA_SCHEDULE_CRON": "40 21 * * *"}, key) == "40 2 * * *"
        # Not one tick a day at a fixed hour: materialized within a day and those 5 hours.
        policy = _graph(LOCAL | {"WISTIA_SCHEDULE_CRON": "0 */6 * * *"}).get(AssetKey(key))
        assert policy.freshness_policy.fail_window.to_timedelta() == timedelta(hours=29)
