"""The code location: every asset, check, job, schedule, sensor and resource, for one deployment.

`build_defs(settings)` is the whole wiring; `defs` is it applied to the environment, which is what
`dagster dev`, `dagster asset materialize -m wistia_assets` and the ECS code server load.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
)

from wistia_assets.assets.bronze import build_bronze_assets
from wistia_assets.assets.gold import build_gold_assets
from wistia_assets.assets.silver import build_silver_assets
from wistia_assets.deployments import deployment_for, resources_for
from wistia_assets.erasure.job import build_erase_job
from wistia_assets.orchestration.alerts import build_failure_sensor
from wistia_assets.orchestration.dagster_internals import (
    read_migration_scripts_once,
    reuse_sqlite_connections,
)
from wistia_assets.orchestration.jobs import build_gold_jobs, build_jobs
from wistia_assets.orchestration.schedule import build_daily_schedule
from wistia_assets.settings import Settings


def build_defs(settings: Settings, resource_overrides: dict | None = None) -> Definitions:
    """Everything for `settings.deployment`; tests swap single resources via `resource_overrides`
    (e.g. a Glue client that runs the entry script locally)."""
    # Every process that loads the definitions runs Dagster runs (the CLI, a code server, a run
    # worker): each run's new event-log database then reads no migration script, and its events
    # are written over one kept connection per database.
    read_migration_scripts_once()
    reuse_sqlite_connections()
    window_job, dim_media_job = build_jobs()
    automation = AutomationConditionSensorDefinition(
        "wistia_automation",
        # The Gold group and dim_media. (The selection string "group:gold or key:dim_media" says
        # the same but makes Dagster 1.13 warn about its own beta `include_sources` parameter.)
        target=AssetSelection.groups("gold") | AssetSelection.assets("dim_media"),
        # Keeps dim_media fresh after new metadata snapshots, and the Gold days and the media
        # report after the Silver they read. On in AWS; locally the operator starts it (make dev
        # never runs anything by surprise; `make run` refreshes dim_media, Gold and the report).
        default_status=(
            DefaultSensorStatus.RUNNING
            if deployment_for(settings).starts_on_its_own
            else DefaultSensorStatus.STOPPED
        ),
        minimum_interval_seconds=300,
    )
    return Definitions(
        assets=[
            *build_bronze_assets(settings),
            *build_silver_assets(settings),
            *build_gold_assets(settings),
        ],
        jobs=[window_job, dim_media_job, *build_gold_jobs(), build_erase_job(settings)],
        schedules=[build_daily_schedule(settings, window_job)],
        sensors=[build_failure_sensor(), automation],
        resources={**resources_for(settings), **(resource_overrides or {})},
    )


defs = build_defs(Settings.from_env())
