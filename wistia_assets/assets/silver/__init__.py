"""Silver: typed, deduplicated, PII-free tables that analysts query (Athena; DuckDB locally).

- `facts.py`: `silver_facts`, the two fact partitions of a (day, media) window in one step, and
  the watermark that moves after them;
- `dim_media.py`: `dim_media`, unpartitioned, refreshed by every new metadata snapshot;
- `checks.py`: each table's checks, declared and evaluated side by side (`coverage.py`: a pull
  seen in the account's zone, for the events checks).
"""

from wistia_assets.assets.silver.dim_media import build_dim_media
from wistia_assets.assets.silver.facts import build_silver_facts
from wistia_assets.settings import Settings


def build_silver_assets(settings: Settings):
    return [build_silver_facts(settings), build_dim_media(settings)]


__all__ = ["build_silver_assets"]
