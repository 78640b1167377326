"""`silver_facts`: the two fact partitions of a (day, media) window, built in one step (or of
every window of a range of them, built together: `batch.py`).

One Spark session (local) or one Glue pool slot serves both, and the reconciliation of events
against `play_count` sees both results. The Spark work is the runner in `wistia_assets.transforms`,
run locally or on Glue by the `silver` engine resource; each result is mapped to metadata
(`assets/metadata.py`) and judged (`checks.py`) here, identically for both engines. The watermark
moves only after a partition passed its blocking checks (`judging.py`).
"""

# No `from __future__ import annotations`: Dagster reads the asset's annotations as objects.
import warnings
from collections.abc import Iterator
from datetime import timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetExecutionContext,
    AssetMaterialization,
    AssetSpec,
    FreshnessPolicy,
    MaterializeResult,
    PreviewWarning,
    multi_asset,
)

from wistia_assets.assets.bronze import OWNERS, layer_tags
from wistia_assets.assets.catalog_metadata import catalog_metadata
from wistia_assets.assets.column_schema import declared_schema
from wistia_assets.assets.metadata import result_metadata
from wistia_assets.assets.silver import checks
from wistia_assets.assets.silver.batch import record_batch
from wistia_assets.assets.silver.judging import (
    build_one,
    judge_fact_events,
    log_built,
    settle_watermark,
)
from wistia_assets.assets.spark_steps import spark_step
from wistia_assets.partitions import Window, window_partitions
from wistia_assets.resources.catalog import SilverCatalog
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.transforms.results import FactMediaByDateResult

SILVER_KINDS = {"spark", "glue", "athena", "s3"}

FACT_EVENTS_DESCRIPTION = (
    "One row per Wistia viewing event, deduplicated on event_key. Built from the partition's "
    "latest pull only; of its copies of a key, the first valid one: a copy received on the "
    "partition's own UTC day before one received on another day, then Bronze order (part, "
    "then line: the newest page position, pages being pulled newest-first). When the same "
    "media's neighbouring day (dt-1 or dt+1) already holds the key, the day written first "
    "keeps it and the later one quarantines its copy. Typed: received_at (UTC timestamp), "
    "percent_viewed (0-1), geography (country, region, city), user agent (browser, platform, "
    "is_mobile), embed page. Partitioned by dt and media_id: dt=D holds exactly the events "
    "received on UTC day D, whatever the account's time zone (the pull covering the account's "
    "days is routed by received_at). Removed: ip, "
    "email, lat/lon, conversion_data, the heatmap token, query strings of embed_url; ip "
    "and visitor_key are replaced by keyed HMAC-SHA256 hashes (ip_hash, visitor_hash) for "
    "distinct counts. Records that break the schema are quarantined in the "
    "Bronze zone, never dropped silently."
)
FACT_MEDIA_BY_DATE_DESCRIPTION = (
    "One row per media per day: load_count, play_count, hours_watched (hours), as Wistia's "
    "by_date stats report them; a pulled quiet day is a row of zeros. Wistia counts them by "
    "the account's days, which cannot be split: partition dt=D holds the account's day D "
    "(midnight to midnight in WISTIA_ACCOUNT_TIMEZONE), which equals fact_events' UTC day D "
    "only for a UTC account. hours_watched may be derived by Wistia (a per-media constant "
    "times plays), not summed from viewing."
)

# At 06:00 UTC each fact must have been materialized (any partition) within the 24 h before:
# that is what Dagster checks (the asset's last materialization), not which days exist — the
# watermarks and the schedule's catch-up see to those (`orchestration/freshness.py`).
DAILY_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24)
)


def _fact_spec(
    settings: Settings, table: str, bronze: str, description: str, partitions, **metadata
) -> AssetSpec:
    return AssetSpec(
        table,
        deps=[bronze],
        group_name="silver",
        description=description,
        owners=OWNERS,
        kinds=SILVER_KINDS,
        partitions_def=partitions,
        freshness_policy=DAILY_FRESHNESS,
        tags=layer_tags("silver", pii=False),
        metadata={
            **catalog_metadata(settings, table),
            **metadata,
            "dagster/column_schema": declared_schema(table),
        },
        skippable=True,
    )


def _partitioned_check_specs(partitions) -> list:
    """The facts' checks, one result per (day, media) partition: a Gold day waits on each
    media's own latest result (`all_deps_blocking_checks_passed`), not on whichever partition
    was checked last. Partitioned check specs are a preview in Dagster 1.13, and exactly this."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return [*checks.fact_events_specs(partitions), *checks.fact_media_by_date_specs(partitions)]


def build_silver_facts(settings: Settings):
    partitions = window_partitions(settings)

    @multi_asset(
        name="silver_facts",
        specs=[
            _fact_spec(
                settings,
                "fact_events",
                "bronze_events",
                FACT_EVENTS_DESCRIPTION,
                partitions,
                dedupe_key="event_key",
            ),
            _fact_spec(
                settings,
                "fact_media_by_date",
                "bronze_media_by_date",
                FACT_MEDIA_BY_DATE_DESCRIPTION,
                partitions,
            ),
        ],
        check_specs=_partitioned_check_specs(partitions),
        partitions_def=partitions,
        can_subset=True,
        **spark_step(settings),
    )
    def silver_facts(
        context: AssetExecutionContext,
        silver: TransformEngine,
        catalog: SilverCatalog,
        watermarks: WatermarksResource,
    ) -> Iterator[MaterializeResult | AssetMaterialization | AssetCheckEvaluation]:
        selected = [
            table
            # by_date first: the events' checks read its play_count.
            for table in ("fact_media_by_date", "fact_events")
            if table in {k.to_user_string() for k in context.selected_asset_keys}
        ]
        if not context.has_partition_key:
            # A range of windows (a `run` of several days): built together, then recorded
            # partition by partition (`silver/batch.py`).
            yield from record_batch(context, settings, silver, catalog, watermarks, selected)
            return
        window = Window.parse(context.partition_key)
        play_count = None
        for table in selected:
            result = build_one(context, silver, table, window)
            if isinstance(result, FactMediaByDateResult):
                play_count = result.play_count
                judged = checks.fact_media_by_date_checks(result)
            else:
                judged = judge_fact_events(result, window, settings, catalog, play_count)
            log_built(context, table, window, result)
            yield MaterializeResult(
                asset_key=table,
                metadata=result_metadata(result, engine=silver.kind),
                check_results=judged,
            )
            # Dagster fails the step after it returns when a blocking check failed with ERROR
            # severity, so the run fails and the failure sensor alerts.
            settle_watermark(context, watermarks, table, window, judged)

    return silver_facts
