"""The code location loads, in both deployments, and its shape is what operators, checks and the
docs rely on: asset keys, groups, kinds, partitions, jobs, schedule, sensors, checks, pools."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AssetKey,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MultiPartitionsDefinition,
    build_schedule_context,
)

from wistia_assets.definitions import build_defs
from wistia_assets.settings import SANDBOX_MEDIA_IDS, Settings
from wistia_assets_tests.conftest import create_watermark_table

ASSETS = {
    "bronze_events": ("bronze", True),
    "bronze_media_by_date": ("bronze", True),
    "bronze_media_metadata": ("bronze", True),
    "fact_events": ("silver", True),
    "fact_media_by_date": ("silver", True),
    "dim_media": ("silver", False),
    "media_daily": ("gold", "daily"),
    "media_report": ("gold", False),
}
CHECKS = {
    ("fact_events", "event_key_unique"),
    ("fact_events", "no_personal_data"),
    ("fact_events", "events_cover_plays"),
    ("fact_events", "reconciles_with_play_count"),
    ("fact_events", "received_at_on_partition_day"),
    ("fact_events", "no_unknown_fields"),
    ("fact_events", "quarantine_share"),
    ("fact_media_by_date", "one_row_per_date"),
    ("fact_media_by_date", "no_personal_data"),
    ("fact_media_by_date", "quarantine_share"),
    ("dim_media", "media_id_unique"),
    ("dim_media", "every_media_present"),
    ("dim_media", "no_personal_data"),
    ("dim_media", "channel_known"),
    ("media_daily", "every_media_present"),
}
# Red in the UI, and the watermark does not move: the runbook lists exactly these.
BLOCKING = {
    ("fact_events", "event_key_unique"),
    ("fact_events", "no_personal_data"),
    ("fact_events", "events_cover_plays"),
    ("fact_events", "received_at_on_partition_day"),
    ("fact_media_by_date", "one_row_per_date"),
    ("fact_media_by_date", "no_personal_data"),
    ("dim_media", "media_id_unique"),
    ("dim_media", "no_personal_data"),
}
AWS_ENV = {
    "DAGSTER_DEPLOYMENT": "aws",
    "WISTIA_API_TOKEN": "t0ken",
    "MEDIA_IDS": "abcd1234,efgh5678",
    "BRONZE_BUCKET": "bronze",
    "SILVER_BUCKET": "silver",
    "WISTIA_HASH_KEY_SECRET_ID": "wistia/hash-key",
    "WISTIA_START_DATE": "2026-11-01",
}


def test_local_definitions_shape():
    defs = build_defs(Settings.from_env({"WISTIA_START_DATE": "2026-11-01"}))
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == set(ASSETS)
    for key, (group, partitioned) in ASSETS.items():
        node = graph.get(AssetKey(key))
        assert node.group_name == group
        assert node.owners == ["team:data-engineering"]
        assert len(node.description) > 60, f"{key} needs a description that says what it holds"
        if partitioned == "daily":
            assert isinstance(node.partitions_def, DailyPartitionsDefinition)
            assert node.partitions_def.get_first_partition_key() == "2026-11-01"
        elif partitioned:
            partitions = node.partitions_def
            assert isinstance(partitions, MultiPartitionsDefinition)
            assert [d.name for d in partitions.partitions_defs] == ["date", "media_id"]
            assert partitions.has_partition_key(f"2026-11-20|{SANDBOX_MEDIA_IDS[0]}")
            assert partitions.get_partition_keys()[0] == f"2026-11-01|{SANDBOX_MEDIA_IDS[0]}"
        else:
            assert node.partitions_def is None
    kinds = {k.to_user_string(): graph.get(k).kinds for k in graph.get_all_asset_keys()}
    assert kinds["bronze_events"] == {"wistia", "s3"}
    assert kinds["fact_events"] >= {"spark", "glue", "athena"}
    # Lineage: Bronze -> Silver, one to one.
    assert graph.get(AssetKey("fact_events")).parent_keys == {AssetKey("bronze_events")}
    assert graph.get(AssetKey("dim_media")).parent_keys == {AssetKey("bronze_media_metadata")}
    # Gold: the daily table over both facts, the report over it, dim_media and the events.
    assert graph.get(AssetKey("media_daily")).parent_keys == {
        AssetKey("fact_events"),
        AssetKey("fact_media_by_date"),
    }
    assert graph.get(AssetKey("media_report")).parent_keys == {
        AssetKey("media_daily"),
        AssetKey("dim_media"),
        AssetKey("fact_events"),
    }
    # Every column of every Silver and Gold table is described in the UI's column schema.
    for key in ("fact_events", "fact_media_by_date", "dim_media", "media_daily"):
        columns = graph.get(AssetKey(key)).metadata["dagster/column_schema"].columns
        assert columns and all(len(c.description or "") >= 20 for c in columns), key
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == CHECKS
    blocking = {
        (k.asset_key.to_user_string(), k.name)
        for k in graph.asset_check_keys
        if graph.get_check_spec(k).blocking
    }
    assert blocking == BLOCKING
    assert {j.name for j in defs.resolve_all_job_defs()} >= {
        "wistia_window",
        "dim_media_refresh",
        "media_daily_build",
        "media_report_build",
    }
    schedule = defs.resolve_schedule_def("wistia_daily")
    assert schedule.cron_schedule == "15 2 * * *" and schedule.execution_timezone == "UTC"
    # Locally nothing runs by surprise: the schedule and automation wait for the operator.
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert (
        defs.resolve_sensor_def("wistia_automation").default_status == DefaultSensorStatus.STOPPED
    )
    alerts = defs.resolve_sensor_def("wistia_run_failure_alerts")
    assert alerts.default_status == DefaultSensorStatus.RUNNING
    bronze = defs.resolve_assets_def(AssetKey("bronze_events"))
    assert bronze.op.pool == "wistia_api"
    assert defs.resolve_assets_def(AssetKey("fact_events")).op.pool == "spark"


def test_the_schedule_describes_the_cron_it_runs_on():
    # The UI shows the description beside the schedule: it must not name another time.
    env = {"WISTIA_START_DATE": "2026-11-01", "WISTIA_SCHEDULE_CRON": "40 5 * * *"}
    schedule = build_defs(Settings.from_env(env)).resolve_schedule_def("wistia_daily")
    assert schedule.cron_schedule == "40 5 * * *"
    assert "`40 5 * * *`" in schedule.description, schedule.description


def test_the_module_exposes_defs_for_dagster_cli():
    # What `dagster dev -m wistia_assets` and the code server do: find the one loadable target in
    # the module pyproject names. Two targets, or none, and Dagster refuses to start.
    import tomllib

    from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module

    with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
        module_name = tomllib.load(f)["tool"]["dagster"]["module_name"]
    targets = loadable_targets_from_python_module(module_name, working_directory=None)
    assert [t.attribute for t in targets] == [
        "defs"
    ], f"Dagster finds {[t.attribute for t in targets]} in {module_name}: it loads exactly one"
    window = targets[0].target_definition.resolve_job_def("wistia_window")
    selected = {key.to_user_string() for key in window.asset_layer.selected_asset_keys}
    assert {
        "bronze_events",
        "fact_events",
        "fact_media_by_date",
    } <= selected, f"the window job the schedule runs selects only {sorted(selected)}"


def test_aws_definitions_load_with_the_production_instance_and_tick(
    ecs_instance, aws_endpoint, monkeypatch
):
    instance, _ = ecs_instance
    table = create_watermark_table(aws_endpoint)
    env = {**AWS_ENV, "DDB_TABLE": table, "AWS_ENDPOINT_URL": aws_endpoint}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    defs = build_defs(Settings.from_env(env))
    defs.get_repository_def().load_all_definitions()
    assert defs.resolve_assets_def(AssetKey("fact_events")).op.pool == "glue"
    schedule = defs.resolve_schedule_def("wistia_daily")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING  # a deploy turns it on
    assert (
        defs.resolve_sensor_def("wistia_automation").default_status == DefaultSensorStatus.RUNNING
    )
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 21, 2, 15, tzinfo=UTC),
        resources={"watermarks": defs.resources["watermarks"]},
        repository_def=defs.get_repository_def(),
    ) as context:
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [(r.partition_key, r.run_key) for r in requests] == [
        (f"2026-11-{d}|{m}", f"2026-11-21/2026-11-{d}|{m}")
        for d in (19, 20)
        for m in ("abcd1234", "efgh5678")
    ]
