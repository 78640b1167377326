"""Configuration from the environment: one validated, immutable object.

Every knob of the platform is an environment variable (names from the original configuration
reference, see the README's configuration table), declared once, with its default, parser and
help, as a field of its concern's model: `WistiaApiSettings` (wistia_api.py), `PipelineSettings`
(pipeline.py), `LakeSettings` (lake.py), `AwsSettings` (aws.py), and the sandbox's own
`SandboxConfig` (sandbox/config.py). `Settings` is all four at once, with the rules that join
them (the aws deployment's requirements, the sandbox's media). Values are checked here, once, so
a typo in `MEDIA_IDS` or a malformed date fails at start with a message naming the variable
instead of deep inside a run. Secrets are wrapped in `Secret`, whose repr never shows the value.

To add a setting: one `setting(...)` field in its model, its row in the README's table, its test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from wistia_assets.settings.aws import AwsSettings
from wistia_assets.settings.declaration import (
    Declaration,
    declarations,
    env_name,
    environment,
    given,
    read,
)
from wistia_assets.settings.lake import LakeSettings
from wistia_assets.settings.pipeline import (
    DEFAULT_START_DATE,
    DEPLOYMENTS,
    SANDBOX_MEDIA_IDS,
    WINDOW_SEMANTICS,
    PipelineSettings,
)
from wistia_assets.settings.values import (
    DATE_PATTERN,
    MEDIA_ID_PATTERN,
    ConfigError,
    Secret,
    parse_date,
    parse_media_id,
    parse_media_ids,
)
from wistia_assets.settings.wistia_api import WistiaApiSettings

# The models `Settings` is made of, in the order their variables are read.
MODELS = (PipelineSettings, WistiaApiSettings, LakeSettings, AwsSettings)

__all__ = [
    "DATE_PATTERN",
    "DEFAULT_START_DATE",
    "DEPLOYMENTS",
    "MEDIA_ID_PATTERN",
    "MODELS",
    "SANDBOX_MEDIA_IDS",
    "WINDOW_SEMANTICS",
    "AwsSettings",
    "ConfigError",
    "Declaration",
    "LakeSettings",
    "PipelineSettings",
    "Secret",
    "Settings",
    "WistiaApiSettings",
    "aws_location",
    "declarations",
    "env_name",
    "parse_date",
    "parse_media_id",
    "parse_media_ids",
    "spark_driver_memory",
]


def aws_location(env: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(`AWS_ENDPOINT_URL` or None, `AWS_REGION`/`AWS_DEFAULT_REGION` or us-east-1).

    Its own function as well as fields of Settings: the transforms build S3 clients inside the
    Glue job too, which has no Settings (`aws.py`).
    """
    found = read(AwsSettings, env, names=("aws_endpoint_url", "aws_region"))
    return found.get("aws_endpoint_url"), found["aws_region"]


def spark_driver_memory(env: Mapping[str, str] | None = None) -> str:
    """`WISTIA_SPARK_DRIVER_MEMORY` (default 2g) as Spark's `spark.driver.memory` reads it.

    Its own function as well as a field of Settings: the test and benchmark Spark sessions need
    this one value without the rest of the configuration.
    """
    return read(LakeSettings, env, names=("spark_driver_memory",))["spark_driver_memory"]


@dataclass(frozen=True)
class Settings(PipelineSettings, WistiaApiSettings, LakeSettings, AwsSettings):
    """Every model's fields, flat (`settings.per_page`, `settings.lake_root`); a `Settings` is a
    `WistiaApiSettings` too, so the client takes it as it is."""

    @property
    def uses_sandbox(self) -> bool:
        """The local deployment without a token talks to the built-in sandbox API."""
        return self.deployment == "local" and self.wistia_api_token is None

    @property
    def runs_spark_here(self) -> bool:
        """The local deployment runs Spark in this process (aws runs it on Glue). Here, not in
        `deployments.py`: `run` starts the JVM before it imports Dagster (`session.EarlyStart`)."""
        return self.deployment == "local"

    @property
    def source(self) -> str:
        return "sandbox" if self.uses_sandbox else "wistia"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = environment(env)

        def is_set(model: type, name: str) -> bool:
            return given(env, declarations(model)[name]) is not None

        # The rules that join settings come first, in the order a newcomer meets them.
        deployment = read(PipelineSettings, env, names=("deployment",))["deployment"]
        token = env_name(WistiaApiSettings, "wistia_api_token")
        if deployment == "aws" and not is_set(WistiaApiSettings, "wistia_api_token"):
            raise ConfigError(
                f"{token} is not set: the aws deployment always calls the real Wistia "
                "API (inject the token from Secrets Manager)"
            )
        media = env_name(PipelineSettings, "media_ids")
        if is_set(PipelineSettings, "media_ids"):
            read(PipelineSettings, env, names=("media_ids",))
        elif is_set(WistiaApiSettings, "wistia_api_token") or deployment != "local":
            raise ConfigError(
                f"{media} is not set: list the Wistia hashed media ids to ingest, "
                f"comma-separated (e.g. {media}=e4a27b971d,abc123def4)"
            )
        start_date = read(PipelineSettings, env, names=("start_date",))["start_date"]
        if start_date > date.today():
            raise ConfigError(
                f"{env_name(PipelineSettings, 'start_date')}={start_date} is in the future"
            )
        if deployment == "aws":
            if not is_set(AwsSettings, "hash_key_secret_id"):
                raise ConfigError(
                    f"{env_name(AwsSettings, 'hash_key_secret_id')} is not set: the aws "
                    "deployment's Glue job reads the key that pseudonymises ip and visitor_key "
                    "from this Secrets Manager secret"
                )
            for bucket in ("bronze_bucket", "silver_bucket"):
                if not is_set(AwsSettings, bucket):
                    raise ConfigError(
                        f"{env_name(AwsSettings, bucket)} is not set: the aws deployment stores "
                        "the lake on S3"
                    )
        found: dict = {}
        for model in MODELS:
            found |= read(model, env)
        settings = cls(**found)
        if settings.per_slot_rate_per_minute < 1:
            raise ConfigError(
                f"{env_name(WistiaApiSettings, 'rate_limit_per_minute')} / "
                f"{env_name(WistiaApiSettings, 'wistia_pool_slots')} is below 1/min"
            )
        return settings
