"""`wistia-assets run` and `wistia-assets rerun`: materialize day windows through Dagster.

Both execute the same `wistia_window` job the schedule launches, in this process (so local Spark
starts once), recorded in the Dagster instance at DAGSTER_HOME: the UI of `make dev` shows these
runs like any other. One window is one run of the whole job. Several are pulled into Bronze one
run per window (a failed pull fails its window only), then the Silver facts of the pulled windows
are built in one run per range of days x media (`assets/silver/batch.py`: the same Spark jobs
for all, each window still recorded and checked on its own). Then dim_media is refreshed, the
Gold days of the range rebuilt and the media report written (what the automation sensor does
in AWS), a summary printed, and last where the report is.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from wistia_assets.assets.metadata import rows_of
from wistia_assets.orchestration.alerts import (
    describe_run_failure,
    failed_blocking_checks,
    one_line,
    root_cause,
)
from wistia_assets.orchestration.jobs import (
    DIM_MEDIA_JOB,
    RANGE_END_TAG,
    RANGE_START_TAG,
    WINDOW_BRONZE,
    WINDOW_JOB,
    WINDOW_SILVER,
)
from wistia_assets.partitions import Window, days
from wistia_assets.run_health import fail_runs_whose_process_died
from wistia_assets.settings import ConfigError, Settings, parse_date, parse_media_id

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# The most days a Silver run of a range builds at once: a week of a real account is a few
# thousand events a media, one small batch; a longer backfill is several runs, so one Spark
# batch never holds months of Bronze (its memory) and a failed run loses a week at most.
RANGE_DAYS = 7


@dataclass
class Outcome:
    label: str
    success: bool
    seconds: float
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # asset -> metadata
    # (asset, check, passed, severity "ERROR"|"WARN", short description of the metadata,
    # the partition judged: the run's own, or one of a range's)
    checks: list[tuple[str, str, bool, str, str, str | None]] = field(default_factory=list)
    error: str | None = None
    run_id: str | None = None


def dagster_instance():
    from dagster import DagsterInstance

    # Dagster's own variable, not a setting of the package: `DagsterInstance.get()` reads it from
    # the environment, so the default is put there (and the user's value is left alone).
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(Path(".dagster_home").resolve())
        os.environ["DAGSTER_HOME"] = home
    Path(home).mkdir(parents=True, exist_ok=True)
    return DagsterInstance.get()


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _first_failure(result, instance) -> str:
    # A failed blocking check fails the step with a message that only names it: the check's
    # own description says why and what to run.
    checks = failed_blocking_checks(instance, result.run_id)
    if checks:
        return checks[0]["message"]
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error is not None:
                return one_line(root_cause(data.error))
    return "the run failed (see the Dagster UI for the event log)"


def execute(job, label: str, instance, quiet_logs: bool, **kwargs) -> Outcome:
    started = time.monotonic()
    run_config = {**(QUIET_LOGS if quiet_logs else {}), **kwargs.pop("run_config", {})}
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config or None,
        **kwargs,
    )
    outcome = Outcome(label, result.success, time.monotonic() - started, run_id=result.run_id)
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        asset = mat.asset_key.to_user_string()
        metadata = {k: _plain(v) for k, v in mat.metadata.items()}
        if asset in WINDOW_SILVER:
            # Each window of a range has its own: their counts add up.
            outcome.metadata[asset] = _added(outcome.metadata.get(asset), metadata)
        else:
            # Gold's range of days has one build's figures, on every day.
            outcome.metadata[asset] = metadata
    for evaluation in result.get_asset_check_evaluations():
        desc = ""
        if evaluation.metadata:
            desc = ", ".join(f"{k}={_plain(v)}" for k, v in list(evaluation.metadata.items())[:3])
        outcome.checks.append(
            (
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                evaluation.passed,
                evaluation.severity.value,
                desc,
                evaluation.partition or result.dagster_run.tags.get("dagster/partition"),
            )
        )
    if not result.success:
        outcome.error = _first_failure(result, instance)
    return outcome


# What adds up over the partitions of a range (the rest is the last partition's).
ADDED = ("dagster/partition_row_count", "dagster/row_count", "duplicates_removed", "quarantined")


def _added(before: dict[str, Any] | None, metadata: dict[str, Any]) -> dict[str, Any]:
    if before is None:
        return metadata
    merged = dict(metadata)
    for key in ADDED:
        if key in before or key in metadata:
            merged[key] = int(before.get(key) or 0) + int(metadata.get(key) or 0)
    return merged


def windows_for(args: argparse.Namespace, settings: Settings) -> list[Window]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    if args.command == "rerun":
        day = parse_date(args.date, source="--date")
        first = last = day
    else:
        if not 1 <= args.days <= 730:
            raise ConfigError(f"--days {args.days}: expected 1..730")
        last = parse_date(args.end_date, source="--end-date") if args.end_date else yesterday
        first = last - timedelta(days=args.days - 1)
    _check_range(first, last, settings, yesterday)
    media = settings.media_ids
    if getattr(args, "media_id", None):
        media_id = parse_media_id(args.media_id, source="--media-id")
        if media_id not in settings.media_ids:
            raise ConfigError(
                f"--media-id {media_id} is not configured "
                f"(MEDIA_IDS: {', '.join(settings.media_ids)})"
            )
        media = (media_id,)
    return [Window(day, m) for day in days(first, last) for m in media]


def _check_range(first: date, last: date, settings: Settings, yesterday: date) -> None:
    if last > yesterday:
        raise ConfigError(
            f"{last} has not ended yet (UTC): the newest day that can be built is {yesterday}"
        )
    if first < settings.start_date:
        raise ConfigError(
            f"{first} is before WISTIA_START_DATE={settings.start_date}: partitions start there"
        )


def _print_outcome(outcome: Outcome) -> None:
    status = "ok  " if outcome.success else "FAIL"
    facts = []
    for asset, metadata in outcome.metadata.items():
        rows = rows_of(metadata)
        if rows is not None:
            facts.append(f"{asset}={rows}")
    line = f"  {status} {outcome.label:<24} {outcome.seconds:6.1f}s  {' '.join(facts)}"
    print(line)
    if outcome.error:
        print(f"       error: {outcome.error}")


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    windows = windows_for(args, settings)
    # One Silver step for one window, else one per range (if every pull succeeds).
    steps = len(silver_ranges(windows, settings.media_ids)) if len(windows) > 1 else 1
    early = _start_spark_early(settings, steps, warm=len(windows) > 1)
    from wistia_assets.definitions import build_defs
    from wistia_assets.deployments import resources_for

    # The Spark engine as a process of this many Silver steps should start it (the local JVM's
    # compilers: `transforms/session.py`, MANY_BUILDS).
    engine = resources_for(settings)["silver"].for_silver_steps(steps)
    defs = build_defs(settings, resource_overrides={"silver": engine})
    source = "SANDBOX (simulated data)" if settings.uses_sandbox else settings.wistia_base_url
    print(
        f"wistia-assets {args.command}: {len(windows)} partition(s), deployment "
        f"{settings.deployment}, source {source}, lake {_lake(settings)}"
    )
    instance = dagster_instance()
    # A run killed mid-step keeps its pool slot: this run would wait for it forever.
    for line in fail_runs_whose_process_died(instance):
        print(f"note: {line}")
    window_job = defs.resolve_job_def(WINDOW_JOB)
    if args.command == "run":
        from wistia_assets.commands import retention

        retention.apply(settings, quiet=True)
    if early is not None:
        early.launched()
    started = time.monotonic()
    show = (lambda _outcome: None) if args.quiet else _print_outcome
    if len(windows) == 1:
        (window,) = windows
        outcome = execute(window_job, window.key, instance, True, partition_key=window.key)
        outcomes = [outcome]
        show(outcome)
    else:
        # The session (and its warm-up) ends while Bronze is pulled; its end is waited for
        # before the first Silver build.
        ready = early.wait if early is not None else (lambda: None)
        outcomes = _windows_in_ranges(
            window_job, instance, windows, settings.media_ids, show, before_silver=ready
        )
    # dim_media upserts the latest metadata snapshots: worth a run only if this one wrote some
    # (when every window failed it would only fail again, for a consequential reason).
    if any("bronze_media_metadata" in o.metadata for o in outcomes):
        dim = execute(defs.resolve_job_def(DIM_MEDIA_JOB), "dim_media", instance, True)
        outcomes.append(dim)
        if not args.quiet:
            _print_outcome(dim)
    elif not args.quiet:
        print("  skip dim_media: no new media metadata snapshot")

    report = _gold(args, defs, instance, windows, outcomes, settings.media_ids)

    _alert_failures(defs, instance, outcomes)
    from wistia_assets.commands.summary import print_summary

    print_summary(settings, outcomes, time.monotonic() - started)
    if report is not None:
        from wistia_assets.commands.report import report_location, shown

        location = report_location(report)
        if location:
            print(f"\n{report.metadata['media_report'].get('coverage', '')}")
            print(f"Media report: {shown(location)}")
    return 0 if all(o.success for o in outcomes) else 1


def _windows_in_ranges(
    window_job, instance, windows: list[Window], media_ids, show, before_silver
) -> list:
    """Each window pulled into Bronze by a run of its own, then the Silver facts of the pulled
    ones in one run per range (`silver_ranges`), after `before_silver()`."""
    from dagster import AssetKey

    bronze = [AssetKey(asset) for asset in WINDOW_BRONZE]
    silver = [AssetKey(asset) for asset in WINDOW_SILVER]
    outcomes = []
    pulled = []
    for window in windows:
        outcome = execute(
            window_job, window.key, instance, True, partition_key=window.key, asset_selection=bronze
        )
        outcomes.append(outcome)
        show(outcome)
        if outcome.success:
            pulled.append(window)
    if pulled:
        before_silver()
    for first, last in silver_ranges(pulled, media_ids):
        if first == last:
            kwargs: dict[str, Any] = {"partition_key": first.key}
            label = f"silver {first.key}"
        else:
            kwargs = {"tags": {RANGE_START_TAG: first.key, RANGE_END_TAG: last.key}}
            label = f"silver {first.key}..{last.key}"
        outcome = execute(window_job, label, instance, True, asset_selection=silver, **kwargs)
        outcomes.append(outcome)
        show(outcome)
    return outcomes


def silver_ranges(windows: list[Window], media_ids) -> list[tuple[Window, Window]]:
    """The pulled windows as ranges of Dagster's (date x media_id) partitions: each the days
    first..last of the media between first's and last's in `media_ids` (a range of a
    two-dimensional partitioning is every pair of its two ranges). Days with the same media,
    consecutive, make one range of at most `RANGE_DAYS` days; a media missing on a day (its pull
    failed) splits it. Oldest first: the neighbour guard judges the older days first, as one
    window after the other."""
    order = list(media_ids)
    by_day: dict[date, list[int]] = {}
    for window in windows:
        by_day.setdefault(window.day, []).append(order.index(window.media_id))
    # Each day's media as contiguous runs of the configured order.
    spans_of = {day: _runs(sorted(indexes)) for day, indexes in by_day.items()}
    ranges: list[tuple[Window, Window]] = []
    open_: dict[tuple[int, int], tuple[date, date]] = {}
    for day in sorted(spans_of):
        for span in list(open_):
            first, last = open_[span]
            continues = span in spans_of[day] and day == last + timedelta(days=1)
            if not continues or (day - first).days >= RANGE_DAYS:
                ranges.append(_range(first, last, span, order))
                del open_[span]
        for span in spans_of[day]:
            first, _ = open_.get(span, (day, day))
            open_[span] = (first, day)
    ranges += [_range(first, last, span, order) for span, (first, last) in open_.items()]
    return sorted(ranges, key=lambda r: (r[0].day, order.index(r[0].media_id)))


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _range(first: date, last: date, span: tuple[int, int], order: list[str]):
    return Window(first, order[span[0]]), Window(last, order[span[1]])


def _start_spark_early(settings: Settings, steps: int, *, warm: bool):
    """Local Spark's JVM starting now, on a thread (`transforms/session.EarlyStart`), with the
    session the engine will ask for, and (`warm`: Bronze pulls come first) warmed up on made-up
    days; None where Spark is not local."""
    if not settings.runs_spark_here:
        return None
    from wistia_assets.transforms.session import EarlyStart, local_session_conf

    return EarlyStart(local_session_conf(settings.spark_driver_memory, steps), warm=warm)


def _gold(
    args, defs, instance, windows: list[Window], outcomes: list[Outcome], media_ids
) -> Outcome | None:
    """The Gold days of the range, then the report: the run's own range for `run`, the last 7
    complete days for `rerun`. Skipped when no Silver partition was built; a day held back (a
    blocking check of its Silver failed) is not rebuilt, and the report names it."""
    from wistia_assets.commands.report import build_gold_days, build_report

    built = [o for o in outcomes if "fact_media_by_date" in o.metadata]
    if not built:
        if not args.quiet:
            print("  skip media_daily and media_report: no Silver day was built")
        return None
    first, last = min(w.day for w in windows), max(w.day for w in windows)
    days, held = build_gold_days(defs, instance, first, last, True, media_ids)
    for day, reasons in held.items():
        # Not a failure of this step: the Silver run that failed the check already is one.
        if not args.quiet:
            print(f"  hold media_daily {day}: held back, " + "; ".join(r.line() for r in reasons))
    for outcome in (
        *days,
        build_report(
            defs,
            instance,
            (
                {"start": first.isoformat(), "end": last.isoformat()}
                if args.command == "run"
                else {"days": 7}
            ),
            True,
        ),
    ):
        outcomes.append(outcome)
        if not args.quiet:
            _print_outcome(outcome)
    return outcomes[-1] if outcomes[-1].success else None


def _alert_failures(defs, instance, outcomes: list[Outcome]) -> None:
    """Runs executed here are not seen by the code location's failure sensor (they belong to no
    launched job): send their alerts the same way, so a failed rerun still pages someone."""
    failed = [o for o in outcomes if not o.success and o.run_id]
    if not failed:
        return
    alerts = defs.resources["alerts"]
    for outcome in failed:
        run = instance.get_run_by_id(outcome.run_id)
        alert = describe_run_failure(instance, run, outcome.error)
        alert["source"] = "wistia-assets CLI"
        print(f"alert sent to {alerts.notify(alert)}: {outcome.label}")


def _lake(settings: Settings) -> str:
    from wistia_assets.deployments import deployment_for

    # One folder locally; the two buckets in AWS.
    return " + ".join(dict.fromkeys(deployment_for(settings).lake_roots(settings)))
