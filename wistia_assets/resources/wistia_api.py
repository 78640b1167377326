"""The Wistia API as a Dagster resource: the real API, or the built-in sandbox when no token is set.

The choice is made once, from settings, and announced: a run against the sandbox logs a warning
and every materialization carries `source: sandbox`, so sandbox numbers never pass for real ones.

The resource carries the API model's fields (`WistiaApiSettings`) and the sandbox's
(`SandboxConfig`, as `sandbox_<name>`) under the models' own names. Dagster's config schema needs
each field written on the class; its default and help come from the model's declaration, and
`test_settings_models` holds the two field sets equal.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.settings import PipelineSettings, Secret, WistiaApiSettings, env_name
from wistia_assets.settings.declaration import declarations
from wistia_assets.wistia.client import DEFAULT_BACKOFF_BASE, WistiaClient

TOKEN_SETTING = env_name(WistiaApiSettings, "wistia_api_token")
SANDBOX_WARNING = (
    f"{TOKEN_SETTING} is not set: this run uses the built-in SANDBOX Wistia API "
    f"(simulated data, not your account). Set {TOKEN_SETTING} and "
    f"{env_name(PipelineSettings, 'media_ids')} for real data."
)


def _declared(model: Any, name: str) -> Any:
    """A resource field with the declared default and help of the model's field `name`."""
    declaration = declarations(model)[name]
    return Field(
        default=getattr(model(), name), description=f"{declaration.help} ({declaration.env})."
    )


def _api(name: str) -> Any:
    return _declared(WistiaApiSettings, name)


def _sandbox(name: str) -> Any:
    return _declared(SandboxConfig, name)


class WistiaApiResource(ConfigurableResource):
    """Opens `WistiaClient`s that share this process's rate budget."""

    wistia_base_url: str = _api("wistia_base_url")
    # The token as Dagster resolves it (an EnvVar in the deployments: the UI shows its name only).
    wistia_api_token: str | None = Field(
        default=None, description=f"API token ({TOKEN_SETTING}); unset = built-in sandbox."
    )
    wistia_timeout: float = _api("wistia_timeout")
    per_page: int = _api("per_page")
    first_page: int = _api("first_page")
    rate_limit_per_minute: int = _api("rate_limit_per_minute")
    wistia_pool_slots: int = _api("wistia_pool_slots")
    max_attempts: int = _api("max_attempts")
    page_prefetch: int = _api("page_prefetch")
    backoff_base: float = Field(
        default=DEFAULT_BACKOFF_BASE, description="First retry wait in seconds."
    )
    sandbox: bool = Field(default=False, description="Serve requests from the built-in sandbox.")
    sandbox_seed: int = _sandbox("seed")
    sandbox_faults: str = _sandbox("faults")
    sandbox_events_per_day: str = _sandbox("events_per_day")
    sandbox_day_offset_hours: int = _sandbox("day_offset_hours")
    sandbox_account_timezone: str = _sandbox("account_timezone")
    sandbox_events_window: str = _sandbox("events_window")
    sandbox_past_end: str = _sandbox("past_end")
    sandbox_hours_watched: str = _sandbox("hours_watched")
    sandbox_throttle_status: int = _sandbox("throttle_status")

    @classmethod
    def for_settings(
        cls, api: WistiaApiSettings, sandbox: SandboxConfig | None = None
    ) -> WistiaApiResource:
        """The resource of a deployment: the model's values; the token as an `EnvVar` (Dagster
        resolves it at run time and shows only the variable's name in the UI); `sandbox` given:
        the built-in sandbox so configured."""
        values: dict[str, Any] = {
            name: getattr(api, name) for name in declarations(WistiaApiSettings)
        }
        values["wistia_api_token"] = EnvVar(TOKEN_SETTING) if api.wistia_api_token else None
        if sandbox is not None:
            values |= {"sandbox": True, **sandbox.resource_fields()}
        return cls(**values)

    @property
    def source(self) -> str:
        return "sandbox" if self.sandbox else "wistia"

    def api_settings(self, base_url: str | None = None) -> WistiaApiSettings:
        """The API model of this resource's fields (the sandbox's clients go without a token)."""
        values = {name: getattr(self, name) for name in declarations(WistiaApiSettings)}
        token = self.wistia_api_token
        values["wistia_api_token"] = Secret(token) if token and not self.sandbox else None
        if base_url is not None:
            values["wistia_base_url"] = base_url
        return WistiaApiSettings(**values)

    @contextlib.contextmanager
    def open_client(self, log: logging.Logger | None = None) -> Iterator[WistiaClient]:
        transport = None
        base_url = None
        if self.sandbox:
            from wistia_assets.sandbox import shared_sandbox

            if log is not None:
                log.warning(SANDBOX_WARNING)
            # One sandbox per process: a re-pull in a later run of this process must meet the
            # same simulated account (drift reveals, late arrivals), not a fresh one.
            sandbox = shared_sandbox(**SandboxConfig.from_resource_fields(self).sandbox_kwargs())
            transport = sandbox.transport()
            base_url = sandbox.base_url
        client = WistiaClient(
            self.api_settings(base_url),
            transport=transport,
            backoff_base=self.backoff_base,
            logger=log,
        )
        with client:
            yield client
