"""One line per failure: the message of the error the user can act on, never a stack trace."""

from __future__ import annotations

# Import names of the `local` extra (pyproject.toml), which the ECS image leaves out.
LOCAL_EXTRA = frozenset({"pyspark", "py4j", "duckdb", "pyarrow", "dagster_pyspark"})


def describe(exc: BaseException) -> str:
    from wistia_assets.settings import ConfigError

    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in LOCAL_EXTRA:
        return (
            f"{exc.name} is not installed: this command needs the local deployment's packages "
            "(pip install 'wistia_assets[local]'); the ECS image carries only the aws deployment"
        )
    try:
        from wistia_assets.wistia.errors import WistiaError

        if isinstance(exc, WistiaError):
            return str(exc)
    except ImportError:  # pragma: no cover - the client ships with the package
        pass
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
