"""The code location: every asset, check, job, schedule, sensor and resource, for one deployment.

`build_defs(settings)` is the whole wiring; `defs` is it applied to the environment, which is what
`dagster dev`, `dagster asset materialize -m wistia_assets` and the ECS code server load.
"""

from __future__ import annotations

from dagster import Definitions

from wistia_assets.assets.bronze import build_bronze_assets
from wistia_assets.deployments import resources_for
from wistia_assets.settings import Settings


def build_defs(settings: Settings) -> Definitions:
    return Definitions(
        assets=[*build_bronze_assets(settings)],
        resources=resources_for(settings),
    )


defs = build_defs(Settings.from_env())
