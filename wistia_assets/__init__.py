"""wistia_assets: Wistia video statistics as Dagster assets (Bronze on S3, Silver on Glue/Athena).

`defs` is the code location (`dagster ... -m wistia_assets`). The Glue job ships only
`wistia_assets.transforms` and runs without Dagster installed, so the definitions load only where
Dagster exists.
"""

from importlib.util import find_spec

if find_spec("dagster") is not None:
    from wistia_assets.definitions import defs

    __all__ = ["defs"]
