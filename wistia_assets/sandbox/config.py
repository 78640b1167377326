"""The sandbox's knobs (`WISTIA_SANDBOX_*`), parsed and checked in one place.

The local deployment's embedded sandbox (`deployments.py`), `sandbox_from_env` and
`wistia-assets sandbox serve` all build their sandbox from a `SandboxConfig`, so a knob means the
same wherever it is set and a typo fails with the variable's name. Besides the data (seed,
volume) and the faults, five knobs choose how the simulated API answers where Wistia's own
documentation is silent (the README's configuration table lists them), so that the pipeline and
`wistia-assets doctor` can be tested against each possibility:

    WISTIA_SANDBOX_EVENTS_WINDOW     inclusive | end-exclusive | start-exclusive | exclusive:
                                     how /stats/events reads start_date and end_date
    WISTIA_SANDBOX_ACCOUNT_TIMEZONE  an IANA zone where the account's days start (daylight
                                     saving included); WISTIA_SANDBOX_DAY_OFFSET_HOURS is the
                                     fixed-offset alternative (hours, -14..14)
    WISTIA_SANDBOX_PAST_END          empty | repeat | <HTTP status>: the answer to a page past the
                                     end of a window ([] / the last page again / that error)
    WISTIA_SANDBOX_HOURS_WATCHED     sum | derived: by_date's hours_watched as the true sum of
                                     viewing, or a per-media constant x play_count (as observed)
    WISTIA_SANDBOX_THROTTLE_STATUS   429 | 503: the status of throttling answers, with Retry-After
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wistia_assets.settings import WINDOW_SEMANTICS, ConfigError

ENV_VARS = {
    "seed": "WISTIA_SANDBOX_SEED",
    "faults": "WISTIA_SANDBOX_FAULTS",
    "events_per_day": "WISTIA_SANDBOX_EVENTS_PER_DAY",
    "day_offset_hours": "WISTIA_SANDBOX_DAY_OFFSET_HOURS",
    "account_timezone": "WISTIA_SANDBOX_ACCOUNT_TIMEZONE",
    "events_window": "WISTIA_SANDBOX_EVENTS_WINDOW",
    "past_end": "WISTIA_SANDBOX_PAST_END",
    "hours_watched": "WISTIA_SANDBOX_HOURS_WATCHED",
    "throttle_status": "WISTIA_SANDBOX_THROTTLE_STATUS",
}
HOURS_WATCHED = ("sum", "derived")
THROTTLE_STATUSES = (429, 503)
_INTEGER = re.compile(r"[+-]?\d+")


def check_events_window(value: str) -> str:
    if value not in WINDOW_SEMANTICS:
        raise ValueError(f"{value!r} is not one of {', '.join(WINDOW_SEMANTICS)}")
    return value


def check_past_end(value: str) -> str:
    """`empty`, `repeat`, or an error status 400-599 (as text, e.g. `404`)."""
    if value in ("empty", "repeat"):
        return value
    if re.fullmatch(r"[45]\d\d", value):
        return value
    raise ValueError(f"{value!r} is not empty, repeat or an HTTP error status such as 404")


def check_hours_watched(value: str) -> str:
    if value not in HOURS_WATCHED:
        raise ValueError(f"{value!r} is not one of {', '.join(HOURS_WATCHED)}")
    return value


def check_throttle_status(value: int) -> int:
    if value not in THROTTLE_STATUSES:
        raise ValueError(f"{value!r} is not 429 or 503")
    return value


def account_zone(name: str) -> ZoneInfo | None:
    """The zone of `WISTIA_SANDBOX_ACCOUNT_TIMEZONE` (None when unset: the fixed offset rules)."""
    if not name:
        return None
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", name):
        raise ValueError(f"{name!r} is not an IANA time zone name (e.g. America/New_York)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known IANA time zone") from None


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 7
    faults: str = ""
    events_per_day: str = "120-420"
    day_offset_hours: int = 0
    account_timezone: str = ""
    events_window: str = "inclusive"
    past_end: str = "empty"
    hours_watched: str = "sum"
    throttle_status: int = 429

    def __post_init__(self) -> None:
        from wistia_assets.sandbox.faults import Faults
        from wistia_assets.sandbox.sandbox import parse_events_per_day

        checks = {
            "faults": Faults.parse,
            "events_per_day": parse_events_per_day,
            "day_offset_hours": _check_offset,
            "account_timezone": account_zone,
            "events_window": check_events_window,
            "past_end": check_past_end,
            "hours_watched": check_hours_watched,
            "throttle_status": check_throttle_status,
        }
        for name, check in checks.items():
            try:
                check(getattr(self, name))
            except ValueError as exc:
                raise ConfigError(f"{ENV_VARS[name]}: {exc}") from None
        if self.account_timezone and self.day_offset_hours:
            raise ConfigError(
                "WISTIA_SANDBOX_ACCOUNT_TIMEZONE and WISTIA_SANDBOX_DAY_OFFSET_HOURS are both set: "
                "give the account's zone one way"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SandboxConfig:
        """The knobs from the environment; `overrides` (e.g. command-line flags) win unless None."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (env.get(ENV_VARS[f.name]) or "").strip()
            if not raw:
                continue
            if f.type == "int":
                if not _INTEGER.fullmatch(raw):
                    raise ConfigError(f"{ENV_VARS[f.name]}={raw!r} is not an integer")
                values[f.name] = int(raw)
            else:
                values[f.name] = raw.lower() if f.name != "account_timezone" else raw
        values.update({k: v for k, v in overrides.items() if v is not None and v != ""})
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> SandboxConfig:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None and v != ""})

    def sandbox_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `SandboxWistia` (and of `shared_sandbox`)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def resource_fields(self) -> dict[str, Any]:
        """The same, as `WistiaApiResource`'s `sandbox_*` fields."""
        return {f"sandbox_{name}": value for name, value in self.sandbox_kwargs().items()}

    @classmethod
    def from_resource_fields(cls, owner: Any) -> SandboxConfig:
        return cls(**{f.name: getattr(owner, f"sandbox_{f.name}") for f in fields(cls)})


def _check_offset(hours: int) -> int:
    if not -14 <= hours <= 14:
        raise ValueError(f"{hours} is not between -14 and 14 hours")
    return hours
