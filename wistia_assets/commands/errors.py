"""One line per failure: the message of the error the user can act on, never a stack trace."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    from wistia_assets.settings import ConfigError

    if isinstance(exc, ConfigError):
        return str(exc)
    try:
        from wistia_assets.wistia.errors import WistiaError

        if isinstance(exc, WistiaError):
            return str(exc)
    except ImportError:  # pragma: no cover - the client ships with the package
        pass
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
