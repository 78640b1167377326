"""Gold: the weekly media report and the daily table it is drawn from.

- `media_daily.py` (daily partitions): one row per UTC day and media with the report's metrics,
  rebuilt by Spark (local, or the Glue job through the `silver` engine) once every media's facts
  of the day exist. A range of days is one run and one Spark job (single-run backfill policy).
- `media_report.py` (unpartitioned): the last 7 complete days (or the range asked for in its run
  config) as a self-contained HTML file under `reports/wistia/` in the lake, and, on the
  materialization, the summary table, the comparisons and the key charts. The figures are
  computed by Spark too; this step only draws and writes (matplotlib, no Spark, no Parquet), so
  it runs in the ECS run task as it is.
- `checks.py`: media_daily's check, declared and evaluated side by side.

Both refresh themselves (declarative automation, the `wistia_automation` sensor): a day of
`media_daily` after its facts were rebuilt, the report after `media_daily` or `dim_media` was.
A day whose Silver failed a blocking check is held back by every path that builds Gold
(`orchestration/held_back.py`) and named as such in the report.
"""

import warnings

from dagster import BetaWarning

from wistia_assets.assets.gold.media_daily import build_media_daily
from wistia_assets.assets.gold.media_report import ReportRange, build_media_report, report_range
from wistia_assets.settings import Settings


def build_gold_assets(settings: Settings):
    with warnings.catch_warnings():
        # Beta in Dagster 1.13 (the multi-to-daily mapping, single-run backfills), and exactly
        # what a daily table over (date x media) partitions needs.
        warnings.simplefilter("ignore", BetaWarning)
        return [
            build_media_daily(settings),
            build_media_report(settings),
        ]


__all__ = ["ReportRange", "build_gold_assets", "report_range"]
