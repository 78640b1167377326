"""One line per failure: the message of the error the user can act on, never a stack trace.

`classify` tells what the user must change (exit 2: a setting, an argument, the install) from
what failed on the way (exit 1: the service, the disk) and from a bug (exit 1, said as a bug,
with the full traceback written to a file: `bug_report`).
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

BAD_INPUT, FAILED = 2, 1
# Wistia answers that only a different token, media id or parameter changes (errors.py).
_WISTIA_INPUT = ("WistiaAuthError", "WistiaForbiddenError", "WistiaNotFoundError",
                 "WistiaBadRequestError")  # fmt: skip
# botocore's: the AWS setup is missing something only the user can give.
_AWS_INPUT = ("NoCredentialsError", "NoRegionError", "PartialCredentialsError", "ProfileNotFound")

# Import names of the `local` extra (pyproject.toml), which the ECS image leaves out.
LOCAL_EXTRA = frozenset({"pyspark", "py4j", "duckdb", "pyarrow", "dagster_pyspark"})


def classify(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for an error the program expects; None for a bug."""
    from wistia_assets.settings import ConfigError

    name = type(exc).__name__
    if isinstance(exc, ConfigError):
        return BAD_INPUT, describe(exc)
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in LOCAL_EXTRA:
        return BAD_INPUT, describe(exc)
    from wistia_assets.wistia.errors import WistiaError

    if isinstance(exc, WistiaError):
        bad_input = any(c.__name__ in _WISTIA_INPUT for c in type(exc).__mro__)
        return (BAD_INPUT if bad_input else FAILED), describe(exc)
    if type(exc).__module__.startswith("botocore"):
        return (BAD_INPUT if name in _AWS_INPUT else FAILED), describe(exc)
    if isinstance(exc, OSError):  # the disk, a socket: failed on the way, not a wrong input
        return FAILED, describe(exc)
    return None


def bug_report(exc: BaseException) -> tuple[str, Path | None]:
    """The one line that says it is a bug and where the full traceback went (the file is the
    user's to attach to a report; nothing is sent anywhere)."""
    text = "".join(traceback.format_exception(exc))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(tempfile.gettempdir()) / "wistia-assets"
    path: Path | None = folder / f"traceback-{stamp}-{os.getpid()}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        where = f"the full traceback is in {path}"
    except OSError:
        path, where = None, "run again with --debug for the traceback"
    return (f"error: a bug in wistia-assets ({describe(exc)}); {where}; please report it", path)


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
