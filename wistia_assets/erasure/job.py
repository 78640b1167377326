"""The erasure as a Dagster job (`erase_viewer`): launched from the UI's Launchpad or with
`dagster job launch`, in either deployment, with the *hash* of the value as its config
(`wistia-assets erase --hash-only --email E` prints it). The config is shown in the UI and kept
in the run's record, so a value that is not a 64-hex hash is refused without being repeated.

It does what `wistia-assets erase` does, with the deployment's own resources: plan and record
the erasure, rewrite the Bronze partitions (`lake`), rebuild the Silver `fact_events` partitions
(or, where Bronze has expired, remove the viewer's rows Silver-side) and the Gold `media_daily`
days through the transform engine (local Spark, or the Glue job), and logs a materialization of
each rebuilt partition so the asset's history shows the erasure.
Silver is searched in the Parquet files locally, with the catalog (Athena) in AWS.

In AWS its run task runs as the platform stack's EraseTaskRole, not RunTaskRole: the job's
`ecs/task_overrides` run tag (deployments.py) asks ECS for it.
"""

# No `from __future__ import annotations`: Dagster reads the op's config and resource types from
# the evaluated annotations.
import re
from datetime import date

from dagster import (
    AssetCheckEvaluation,
    AssetMaterialization,
    Config,
    DagsterRunStatus,
    Failure,
    OpExecutionContext,
    RunsFilter,
    job,
    op,
)
from pydantic import Field

from wistia_assets.assets.silver.checks import as_evaluation
from wistia_assets.assets.silver.judging import judge_fact_events
from wistia_assets.erasure import eraser
from wistia_assets.erasure.keys import erasure_store, hash_key
from wistia_assets.erasure.viewer import KINDS, Hasher
from wistia_assets.orchestration.held_back import (
    blocking_check_keys,
    held_back,
    spans,
    withdraw_gold_days,
)
from wistia_assets.partitions import Window
from wistia_assets.resources.catalog import SilverCatalog
from wistia_assets.resources.lake import LakeResource
from wistia_assets.resources.silver_engine import TransformEngine
from wistia_assets.settings import Settings

ERASE_JOB = "erase_viewer"
_HASH = re.compile(r"^[0-9a-f]{64}$")


class EraseConfig(Config):
    kind: str = Field(description="what the hash is of: email or visitor_key")
    subject_hash: str = Field(
        description="HMAC-SHA256 hex of the e-mail address or visitor key, as `wistia-assets "
        "erase --hash-only` prints it. Never the value itself: run config is kept and shown."
    )


def check_config(config: EraseConfig) -> None:
    if config.kind not in KINDS:
        raise Failure(f"kind must be one of {', '.join(KINDS)}")
    if not _HASH.match(config.subject_hash):
        # Not repeated: an operator may have pasted the value itself.
        raise Failure(
            "subject_hash is not a 64-character lower-case hex hash: give what `wistia-assets "
            "erase --hash-only` prints, never the e-mail address or visitor key"
        )


def log_check(context: OpExecutionContext, evaluation: AssetCheckEvaluation) -> None:
    """Record a check's result from inside an op. Dagster 1.13's `log_event` records an
    AssetCheckEvaluation (it has a branch for it), though its annotation, `UserEvent`, omits it."""
    context.log_event(evaluation)  # pyright: ignore[reportArgumentType]  # see the docstring


def build_erase_job(settings: Settings):
    from wistia_assets.deployments import deployment_for

    deployment = deployment_for(settings)
    local_silver_scan = deployment.has_local_duckdb

    @op(name="erase")
    def erase_viewer(
        context: OpExecutionContext,
        config: EraseConfig,
        lake: LakeResource,
        silver: TransformEngine,
        catalog: SilverCatalog,
    ) -> None:
        check_config(config)
        if deployment.runs_in_ecs_tasks and settings.erase_task_role_arn is None:
            # Before any change: under the run task's own role the first Bronze read is denied.
            raise Failure(
                "ERASE_TASK_ROLE_ARN is not set: in AWS the erase runs under the platform stack's "
                "EraseTaskRole (output EraseTaskRoleArn), the only run role that may read and "
                "rewrite Bronze events; deploy the current platform stack"
            )
        from wistia_assets.erasure import silver as silver_scan

        # Locally the Parquet files themselves; in AWS one Athena query (no pyarrow in the image).
        find_silver = silver_scan.find if local_silver_scan else silver_scan.catalog_finder(catalog)
        store = erasure_store(settings)
        plan = eraser.plan(
            store=store,
            bronze_store=lake.bronze,
            silver_store=lake.silver,
            hasher=Hasher(hash_key(settings)),
            kind=config.kind,
            subject_hash=config.subject_hash,
            find_silver=find_silver,
        )
        context.log.info(
            f"erasure {plan.erasure.id}: {len(plan.hits)} partition(s) hold the viewer: "
            + ", ".join(f"{h.zone} {h.key} ({h.events})" for h in plan.hits)
        )

        blocking = set(blocking_check_keys())

        def rebuild_silver(keys: list[str]) -> None:
            for key in keys:
                window = Window.parse(key)
                result = silver.build_fact_events(context, window)
                context.log_event(
                    AssetMaterialization(
                        "fact_events",
                        partition=key,
                        description=f"rebuilt by erasure {plan.erasure.id}",
                        metadata={
                            "dagster/partition_row_count": result.rows,
                            "erasure": plan.erasure.id,
                        },
                    )
                )
                # Judged as the Silver step judges a build, and recorded for this partition: a
                # Gold day waits on the latest result of each blocking check, and without these
                # the latest would be the one from before the viewer's events were removed.
                for judged in judge_fact_events(result, window, settings, catalog):
                    log_check(context, as_evaluation(judged, key, blocking))

        def strip_silver(keys: list[str], visitor_hashes: list[str]) -> None:
            # No Bronze left (retention): the rows go Silver-side, on the same engine.
            for key in keys:
                result = silver.erase_rows(context, Window.parse(key), visitor_hashes)
                context.log_event(
                    AssetMaterialization(
                        "fact_events",
                        partition=key,
                        description=f"viewer rows removed by erasure {plan.erasure.id} (no "
                        "Bronze left to rebuild from)",
                        metadata={
                            "dagster/partition_row_count": result.rows,
                            "rows_removed": result.rows_removed,
                            "erasure": plan.erasure.id,
                        },
                    )
                )

        def rebuild_gold(days: list[str]) -> None:
            first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
            held = held_back(context.instance, days, settings.media_ids)
            for day, reasons in held.items():
                context.log.warning(
                    f"media_daily {day}: held back, " + "; ".join(r.line() for r in reasons)
                )
            withdraw_gold_days(lake.silver, held)
            for a, b in spans(first, last, held):
                silver.build_media_daily(context, a.isoformat(), b.isoformat(), settings.media_ids)
                for day in days:
                    if a.isoformat() <= day <= b.isoformat():
                        context.log_event(
                            AssetMaterialization(
                                "media_daily", partition=day, metadata={"erasure": plan.erasure.id}
                            )
                        )

        def no_run_in_flight() -> None:
            # A run that read the suppression list before the record existed could commit the
            # viewer's events after the rewrite. Runs whose steps start from now on drop them
            # (queued, starting); the ones already going must finish first (S3 has no
            # partition lock).
            going = RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING])
            others = [r for r in context.instance.get_runs(going) if r.run_id != context.run_id]
            if others:
                names = ", ".join(sorted({r.job_name for r in others}))
                raise Failure(
                    f"erasure {plan.erasure.id} is recorded pending (ingestion now drops the "
                    f"viewer), but {len(others)} other run(s) are in progress ({names}): one may "
                    "have read the suppression list before; launch erase_viewer again with the "
                    "same config once they have finished"
                )

        try:
            record = eraser.apply(
                plan,
                store=store,
                bronze_store=lake.bronze,
                silver_store=lake.silver,
                rebuild_silver=rebuild_silver,
                rebuild_gold=rebuild_gold,
                find_silver=find_silver,
                strip_silver=strip_silver,
                before_rewrite=no_run_in_flight,
            )
        except eraser.ErasureIncomplete as exc:
            raise Failure(str(exc)) from None
        context.log.info(
            f"erasure {record.id} done: {record.events_removed} Bronze event(s) removed, "
            f"{len(record.partitions)} Silver partition(s) rebuilt"
        )

    @job(
        name=ERASE_JOB,
        description="Erase a viewer everywhere and suppress their future events. Config: the "
        "kind and the keyed hash of the value (`wistia-assets erase --hash-only`), never the "
        "value.",
        # In AWS, the role its run task asks ECS for (deployments.py).
        tags={"team": "data-engineering", **deployment.erase_run_tags(settings)},
    )
    def erase_job() -> None:
        erase_viewer()

    return erase_job
