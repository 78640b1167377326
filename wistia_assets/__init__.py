"""wistia_assets: Wistia video statistics as Dagster assets (Bronze on S3, Silver on Glue/Athena).

`defs` is the code location (`dagster ... -m wistia_assets`). The Glue job ships only
`wistia_assets.transforms` and runs without Dagster installed, so the definitions load only where
Dagster exists.

`defs` is built on first access, not on import: importing any submodule would otherwise build
every definition from the environment first, so a Spark Python worker unpickling a transform
imported Dagster and failed on settings it never uses, and `wistia-assets` printed a traceback
instead of its one-line error for a bad `MEDIA_IDS`. Dagster finds `defs` through `dir()`.
"""

from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What `__getattr__` below returns, declared for the type checker (never imported here).
    from wistia_assets.definitions import defs

if find_spec("dagster") is not None:
    __all__ = ["defs"]

    def __getattr__(name: str):
        if name == "defs":
            from wistia_assets.definitions import defs

            globals()["defs"] = defs
            return defs
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), "defs"})
