"""The code location: every asset, check, job, schedule, sensor and resource, for one deployment."""

from dagster import Definitions

defs = Definitions()
