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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wistia_assets.settings import WINDOW_SEMANTICS, ConfigError
from wistia_assets.settings.declaration import declarations, read, setting

HOURS_WATCHED = ("sum", "derived")
THROTTLE_STATUSES = (429, 503)
_INTEGER = re.compile(r"[+-]?\d+")


def _integer(raw: str, name: str) -> int:
    if not _INTEGER.fullmatch(raw):
        raise ConfigError(f"{name}={raw!r} is not an integer")
    return int(raw)


def _word(raw: str, name: str) -> str:
    return raw.lower()


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


def _check_faults(spec: str) -> str:
    from wistia_assets.sandbox.faults import Faults

    Faults.parse(spec)
    return spec


def _check_events_per_day(value: str) -> str:
    from wistia_assets.sandbox.sandbox import parse_events_per_day

    parse_events_per_day(value)
    return value


def _check_offset(hours: int) -> int:
    if not -14 <= hours <= 14:
        raise ValueError(f"{hours} is not between -14 and 14 hours")
    return hours


@dataclass(frozen=True)
class SandboxConfig:
    """Each knob declared once: `from_env` reads it, `wistia-assets sandbox serve` makes a flag
    of it (`--<field-name>`), the resource carries it as `sandbox_<field-name>`."""

    seed: int = setting(
        "WISTIA_SANDBOX_SEED", default="7", parse=_integer, help="sandbox data seed"
    )
    faults: str = setting(
        "WISTIA_SANDBOX_FAULTS",
        unset="",
        parse=_word,
        documented_default="empty",
        check=_check_faults,
        help="sandbox fault spec, e.g. '429=0.1,latency_ms=200' (see sandbox/faults.py)",
    )
    events_per_day: str = setting(
        "WISTIA_SANDBOX_EVENTS_PER_DAY",
        default="120-420",
        parse=_word,
        check=_check_events_per_day,
        help="sandbox events per media per day: N or LO-HI",
    )
    day_offset_hours: int = setting(
        "WISTIA_SANDBOX_DAY_OFFSET_HOURS",
        default="0",
        parse=_integer,
        check=_check_offset,
        help="sandbox account days shifted by N hours (-14..14)",
    )
    account_timezone: str = setting(
        "WISTIA_SANDBOX_ACCOUNT_TIMEZONE",
        unset="",
        check=account_zone,
        help="sandbox account days in this IANA zone (DST included)",
    )
    events_window: str = setting(
        "WISTIA_SANDBOX_EVENTS_WINDOW",
        default="inclusive",
        parse=_word,
        check=check_events_window,
        help="how the sandbox reads start_date/end_date: " + ", ".join(WINDOW_SEMANTICS),
    )
    past_end: str = setting(
        "WISTIA_SANDBOX_PAST_END",
        default="empty",
        parse=_word,
        check=check_past_end,
        help="the sandbox's answer to a page past the end: empty, repeat or a status",
    )
    hours_watched: str = setting(
        "WISTIA_SANDBOX_HOURS_WATCHED",
        default="sum",
        parse=_word,
        check=check_hours_watched,
        help="sandbox by_date hours_watched: " + " or ".join(HOURS_WATCHED),
    )
    throttle_status: int = setting(
        "WISTIA_SANDBOX_THROTTLE_STATUS",
        default="429",
        parse=_integer,
        check=check_throttle_status,
        help="status of the sandbox's throttling answers: 429 | 503",
    )

    def __post_init__(self) -> None:
        for name, declaration in declarations(self).items():
            if declaration.check is None:
                continue
            try:
                declaration.check(getattr(self, name))
            except ValueError as exc:
                raise ConfigError(f"{declaration.env}: {exc}") from None
        if self.account_timezone and self.day_offset_hours:
            raise ConfigError(
                "WISTIA_SANDBOX_ACCOUNT_TIMEZONE and WISTIA_SANDBOX_DAY_OFFSET_HOURS are both set: "
                "give the account's zone one way"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SandboxConfig:
        """The knobs from the environment; `overrides` (e.g. command-line flags) win unless None."""
        values = read(cls, env)
        values.update({k: v for k, v in overrides.items() if v is not None and v != ""})
        return cls(**values)

    def sandbox_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `SandboxWistia` (and of `shared_sandbox`)."""
        return {name: getattr(self, name) for name in declarations(self)}

    def resource_fields(self) -> dict[str, Any]:
        """The same, as `WistiaApiResource`'s `sandbox_*` fields."""
        return {f"sandbox_{name}": value for name, value in self.sandbox_kwargs().items()}

    @classmethod
    def from_resource_fields(cls, owner: Any) -> SandboxConfig:
        return cls(**{name: getattr(owner, f"sandbox_{name}") for name in declarations(cls)})
