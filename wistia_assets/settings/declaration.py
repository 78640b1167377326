"""A setting is declared once, as a field of its concern's model: `setting(...)` puts the
variable's name, its default as it would be written in the environment, its parser and its help
text on the dataclass field, and everything else reads them from there: `read` (the
environment), the sandbox's command-line flags, `doctor`'s advice, the README check.

A model is a frozen dataclass whose fields are settings; a value given to the constructor is
taken as it is (tests, code), a value read from the environment goes through the parser.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from wistia_assets.settings.values import Parse, text

_KEY = "wistia_assets.setting"


@dataclass(frozen=True)
class Declaration:
    env: str  # the environment variable
    help: str  # one line for the README, `--help` and the Dagster UI
    parse: Parse  # (text, variable name) -> value, or ConfigError
    # The default as written in the environment, parsed like a given value; None: unset.
    default: str | None
    # Variables read, in order, when `env` is unset (AWS_DEFAULT_REGION after AWS_REGION).
    fallbacks: tuple[str, ...] = ()
    # How the README words a default that is not a value (MEDIA_IDS: the two sandbox media).
    documented_default: str | None = None
    # Run on a value however it arrives (constructor, flag, environment): ValueError -> refused.
    check: Callable[[Any], Any] | None = None


def setting(
    env: str,
    *,
    help: str,  # noqa: A002 - the word argparse and the README use
    default: str | None = None,
    parse: Parse = text,
    fallbacks: tuple[str, ...] = (),
    unset: Any = None,
    unset_factory: Callable[[], Any] | None = None,
    documented_default: str | None = None,
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A dataclass field that is the setting `env`. Its Python default is `default` parsed (at
    import; `read` parses it again at each call, so `~` and the like resolve when read), else
    `unset` (or `unset_factory()`)."""
    declaration = Declaration(env, help, parse, default, fallbacks, documented_default, check)
    metadata = {_KEY: declaration}
    if default is not None:
        return field(default=parse(default, env), metadata=metadata)
    if unset_factory is not None:
        return field(default_factory=unset_factory, metadata=metadata)
    return field(default=unset, metadata=metadata)


def declarations(model: Any) -> dict[str, Declaration]:
    """Field name -> declaration, in the model's field order."""
    return {f.name: f.metadata[_KEY] for f in fields(model) if _KEY in f.metadata}


def env_name(model: Any, name: str) -> str:
    """The variable of field `name`: code that names a setting to the user asks here."""
    return declarations(model)[name].env


def environment(env: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """`env`, or the process environment: the one place the package reads it."""
    return os.environ if env is None else env


def given(env: Mapping[str, str], declaration: Declaration) -> str | None:
    """The variable's text (or its fallbacks'), stripped; None when unset or blank."""
    for name in (declaration.env, *declaration.fallbacks):
        value = env.get(name)
        if value and value.strip():
            return value.strip()
    return None


def read(
    model: Any, env: Mapping[str, str] | None = None, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The model's settings from `env` (default: the process environment), parsed: a variable
    that is set, else the declared default; one without either is left out (the field's
    `unset` value holds). `names` limits the read to those fields."""
    env = environment(env)
    wanted = declarations(model)
    if names is not None:
        wanted = {name: wanted[name] for name in names}
    values: dict[str, Any] = {}
    for name, declaration in wanted.items():
        raw = given(env, declaration)
        if raw is None:
            raw = declaration.default
        if raw is not None:
            values[name] = declaration.parse(raw, declaration.env)
    return values
