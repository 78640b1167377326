"""Silver: typed, deduplicated, PII-free tables that analysts query (Athena; DuckDB locally).

`silver_facts` builds the two fact partitions of a (day, media) window in one step, so one Spark
session (local) or one Glue pool slot serves both, and the reconciliation of events against
`play_count` sees both results. `dim_media` is unpartitioned and refreshes itself whenever a new
metadata snapshot lands (eager automation). The Spark work is the runner in
`wistia_assets.transforms`, run locally or on Glue by the `silver` engine resource; metadata and
checks are built here from its metrics, identically for both engines.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Backoff,
    Failure,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from wistia_assets.assets.bronze import OWNERS
from wistia_assets.assets.column_schema import declared_schema, written_schema
from wistia_assets.orchestration.schedule import watermark_origin
from wistia_assets.partitions import Window, window_partitions
from wistia_assets.resources.catalog import SilverCatalog, TableChangedDuringScan
from wistia_assets.resources.silver_engine import SilverEngine
from wistia_assets.resources.watermarks import WatermarksResource
from wistia_assets.settings import Settings
from wistia_assets.storage.partition import BronzeNotIngested
from wistia_assets.transforms.report import check_outcomes, preview_markdown
from wistia_assets.wistia.windows import account_day_span, event_window, requested_span

SILVER_KINDS = {"spark", "glue", "athena", "s3"}
# Warn when events and plays of a day disagree by more than this share (late events, sessions
# Wistia counts differently); the numbers are always in the metadata.
RECONCILIATION_WARN_SHARE = 0.10
# Warn when more than this share of a pull's events lie outside the account days it asked for:
# the API reads the dates in another zone (or with other ends) than the settings say, and the
# events at the other edge of the UTC day may be missing.
OUTSIDE_REQUEST_WARN_SHARE = 0.01
# A day whose by_date counts plays fails (blocking) when the pull holds fewer events of that
# account day than this share of them. by_date's play_count is no identity with events (other
# teams saw it differ from the analytics plays by ~14 %, hours_watched may be derived, late
# events trail it), but half of it is beyond any of that: the events were not returned.
MIN_EVENT_SHARE_OF_PLAYS = 0.5
# Below this many plays a share says little: only "no events at all" fails such a day.
MIN_PLAYS_FOR_SHARE = 20
DOCTOR = "run `wistia-assets doctor`"
DATASET_OF = {"fact_events": "events", "fact_media_by_date": "media_by_date"}

_DESCRIPTIONS = {
    "fact_events": (
        "One row per Wistia viewing event (deduplicated on event_key, the latest pull wins), "
        "typed: received_at (UTC timestamp), percent_viewed (0-1), geography (country, region, "
        "city), user agent (browser, platform, is_mobile), embed page. Partitioned by dt and "
        "media_id: dt=D holds exactly the events received on UTC day D, whatever the account's "
        "time zone (the pull covering the account's days is routed by received_at). Removed: ip, "
        "email, lat/lon, conversion_data, the heatmap token, query strings of embed_url; ip "
        "and visitor_key are replaced by keyed HMAC-SHA256 hashes (ip_hash, visitor_hash) for "
        "distinct counts. Records that break the schema are quarantined in the "
        "Bronze zone, never dropped silently."
    ),
    "fact_media_by_date": (
        "One row per media per day: load_count, play_count, hours_watched (hours), as Wistia's "
        "by_date stats report them; a pulled quiet day is a row of zeros. Wistia counts them by "
        "the account's days, which cannot be split: partition dt=D holds the account's day D "
        "(midnight to midnight in WISTIA_ACCOUNT_TIMEZONE), which equals fact_events' UTC day D "
        "only for a UTC account. hours_watched may be derived by Wistia (a per-media constant "
        "times plays), not summed from viewing."
    ),
    "dim_media": (
        "One row per media (Type-1: the latest metadata snapshot wins): title, url, channel "
        "(from MEDIA_CHANNELS, else derived from the media name: YT -> youtube, FB -> facebook, "
        "else unknown), created_at, updated_at, duration, project, tags."
    ),
}

# The freshness deadline of the daily schedule: by 06:00 UTC yesterday's partitions exist.
DAILY_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24)
)


def _specs(table: str, partitions) -> list[AssetCheckSpec]:
    common = {"asset": table}
    if table == "fact_events":
        return [
            AssetCheckSpec(
                "event_key_unique",
                description="event_key is unique in the partition and across all of fact_events",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "no_personal_data",
                description="no forbidden column (ip, email, lat, lon, conversion_data, raw "
                "visitor_key, ...) and no string value that looks like an IP or email address",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "reconciles_with_play_count",
                description=f"events vs fact_media_by_date.play_count of the day, warns beyond "
                f"{RECONCILIATION_WARN_SHARE:.0%}",
                additional_deps=["fact_media_by_date"],
                **common,
            ),
            AssetCheckSpec(
                "events_cover_plays",
                description="when by_date counts plays on the account's day, the events pull "
                f"holds at least {MIN_EVENT_SHARE_OF_PLAYS:.0%} as many events of that day "
                f"(from {MIN_PLAYS_FOR_SHARE} plays; below, at least one): an empty pull is a "
                "quiet day only when by_date agrees",
                blocking=True,
                additional_deps=["fact_media_by_date"],
                **common,
            ),
            AssetCheckSpec(
                "received_at_on_partition_day",
                description="every row's received_at is on the partition's UTC day (error); "
                "events of neighbouring days in the pull are routed to them (counted); events "
                "outside the account days requested warn beyond "
                f"{OUTSIDE_REQUEST_WARN_SHARE:.0%} (the API's zone or window is not the "
                "configured one)",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "no_unknown_fields",
                description="fields the API sent that the pipeline does not know (new API "
                "fields): a warning, not a failure",
                **common,
            ),
            AssetCheckSpec("quarantine_share", description="share of quarantined lines", **common),
        ]
    if table == "fact_media_by_date":
        return [
            AssetCheckSpec(
                "one_row_per_date",
                description="a pulled day is exactly one row",
                blocking=True,
                **common,
            ),
            AssetCheckSpec(
                "no_personal_data",
                description="no forbidden column and no IP/email-looking value",
                blocking=True,
                **common,
            ),
            AssetCheckSpec("quarantine_share", description="share of quarantined lines", **common),
        ]
    return [
        AssetCheckSpec("media_id_unique", description="one row per media", blocking=True, **common),
        AssetCheckSpec(
            "every_media_present",
            description="every configured media (MEDIA_IDS) has a row",
            **common,
        ),
        AssetCheckSpec(
            "no_personal_data",
            description="no forbidden column and no IP/email-looking value",
            blocking=True,
            **common,
        ),
        AssetCheckSpec(
            "channel_known",
            description="every media has a channel other than 'unknown' (set MEDIA_CHANNELS)",
            **common,
        ),
    ]


def _severity(name: str) -> AssetCheckSeverity:
    return AssetCheckSeverity.WARN if name == "WARN" else AssetCheckSeverity.ERROR


def silver_metadata(metrics: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"dagster/row_count": int(metrics.get("rows", 0))}
    if metrics.get("schema"):
        metadata["dagster/column_schema"] = written_schema(metrics["table"], metrics["schema"])
    for key in (
        "duplicates_removed",
        "quarantined",
        "bronze_rows",
        "bronze_events",
        "routed_away",
        "out_of_day_share",
        "play_count",
        "load_count",
        "hours_watched",
        "elapsed_seconds",
        "glue_run_id",
    ):
        if metrics.get(key) is not None:
            metadata[key] = metrics[key]
    for key in ("quarantine_reasons", "unknown_fields"):
        if metrics.get(key):
            metadata[key] = MetadataValue.json(metrics[key])
    if metrics.get("location"):
        metadata["location"] = MetadataValue.path(metrics["location"])
    if metrics.get("quarantine_location"):
        metadata["quarantine_location"] = MetadataValue.path(metrics["quarantine_location"])
    if "preview" in metrics:
        metadata["preview"] = MetadataValue.md(preview_markdown(metrics["preview"]))
    metadata["engine"] = metrics.get("engine", "spark")
    return metadata


def _check(
    table: str,
    name: str,
    passed: bool,
    severity: str,
    description: str | None = None,
    **metadata,
) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=table,
        check_name=name,
        passed=bool(passed),
        severity=_severity(severity),
        description=description,
        metadata={
            k: (MetadataValue.json(v) if isinstance(v, dict | list) else v)
            for k, v in metadata.items()
        },
    )


@dataclass(frozen=True)
class PullCoverage:
    """A fact_events pull seen in the account's zone (from the runner's received_histogram)."""

    day: date  # the partition's UTC day, and the by_date row's (account) date
    zone: str
    semantics: str
    start_date: str  # what was asked for
    end_date: str
    events: int  # distinct valid events in the pull, any day
    account_day_events: int  # ... of them on the account's day `day` (by_date's day)
    outside_request: int  # ... received outside the account days the request asked for
    measured: bool = True  # False: no histogram (an older Glue script); UTC-day rows instead

    @property
    def outside_share(self) -> float:
        return self.outside_request / self.events if self.events else 0.0

    @property
    def settings(self) -> str:
        return f"WISTIA_ACCOUNT_TIMEZONE={self.zone}, WISTIA_EVENTS_WINDOW={self.semantics}"


def _bucket_start(name: str) -> datetime:
    return datetime.strptime(name, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)


def pull_coverage(
    metrics: dict[str, Any], day: date, zone: ZoneInfo, semantics: str
) -> PullCoverage:
    """Where the pull's events fall: on the account's day `day`, outside the request."""
    request = event_window(day, zone, semantics)
    fields = {
        "day": day,
        "zone": str(zone),
        "semantics": semantics,
        "start_date": request.start_date.isoformat(),
        "end_date": request.end_date.isoformat(),
    }
    histogram = metrics.get("received_histogram")
    if not histogram:
        rows = int(metrics.get("rows", 0))
        return PullCoverage(
            **fields, events=rows, account_day_events=rows, outside_request=0, measured=False
        )
    day_start, day_end = account_day_span(day, zone)
    lo, hi = requested_span(request, zone)
    # Events beyond the days the histogram resolves are outside any request for `day`.
    beyond = int(histogram.get("earlier", 0)) + int(histogram.get("later", 0))
    on_day, outside = 0, beyond
    for name, n in histogram["counts"].items():
        start = _bucket_start(name)
        on_day += n if day_start <= start < day_end else 0
        outside += 0 if lo <= start < hi else n
    events = sum(histogram["counts"].values()) + beyond
    return PullCoverage(**fields, events=events, account_day_events=on_day, outside_request=outside)


def _covers_plays(table: str, where: str, play_count: int | None, cover: PullCoverage):
    """`events_cover_plays`: a pull with (far) fewer events than by_date's plays of the day is
    a failure to explain, not a quiet day. The message names the likely cause and the command."""
    metadata = {
        "play_count": play_count if play_count is not None else -1,
        "account_day": cover.day.isoformat(),
        "account_day_events": cover.account_day_events,
        "pull_events": cover.events,
        "outside_request": cover.outside_request,
        "request": {"start_date": cover.start_date, "end_date": cover.end_date},
        "account_timezone": cover.zone,
        "events_window": cover.semantics,
        # False: the run reported no histogram (a Glue script older than it): UTC-day rows.
        "counted_in_account_zone": cover.measured,
    }
    if not play_count:
        note = "no by_date row to compare" if play_count is None else "by_date counts no play"
        return _check(table, "events_cover_plays", True, "ERROR", note, **metadata)
    floor = MIN_EVENT_SHARE_OF_PLAYS * play_count if play_count >= MIN_PLAYS_FOR_SHARE else 1
    if cover.account_day_events >= floor:
        return _check(table, "events_cover_plays", True, "ERROR", **metadata)
    if cover.events == 0:
        found = "the events pull returned no events"
        cause = (
            f"likely the events window (WISTIA_EVENTS_WINDOW={cover.semantics}: the API reads "
            f"start_date={cover.start_date}/end_date={cover.end_date} otherwise) or the "
            f"account's time zone (WISTIA_ACCOUNT_TIMEZONE={cover.zone})"
        )
    else:
        found = (
            f"the events pull holds {cover.account_day_events} events of that day "
            f"({cover.events} in all, {cover.outside_request} outside the days requested)"
        )
        first, second = (
            ("account's time zone", "events window")
            if cover.outside_request
            else ("events window", "account's time zone")
        )
        cause = f"likely the {first} or the {second} ({cover.settings})"
    message = (
        f"{where}: by_date counts {play_count} plays on the account's {cover.day} but {found}: "
        f"{cause}; {DOCTOR}"
    )
    return _check(table, "events_cover_plays", False, "ERROR", message, **metadata)


def _on_partition_day(table: str, where: str, metrics: dict[str, Any], cover: PullCoverage):
    """`received_at_on_partition_day`: Silver holds its UTC day only (error otherwise); a pull
    with events outside the account days requested warns that the settings are not the API's."""
    rows = int(metrics.get("rows", 0))
    out_of_day = int(
        metrics.get("out_of_day", round(float(metrics.get("out_of_day_share") or 0) * rows))
    )
    metadata = {
        "silver_out_of_day": out_of_day,
        "routed_away": int(metrics.get("routed_away", 0)),
        "routed_away_events": int(metrics.get("routed_away_events", 0)),
        "outside_request": cover.outside_request,
        "outside_request_share": round(cover.outside_share, 6),
        "request": {"start_date": cover.start_date, "end_date": cover.end_date},
        "min_received_at": metrics.get("min_received_at"),
        "max_received_at": metrics.get("max_received_at"),
    }
    name = "received_at_on_partition_day"
    if out_of_day:
        message = (
            f"{where}: {out_of_day} Silver rows were received on another UTC day than the "
            "partition's: routing by received_at failed; re-run the day and report the bug"
        )
        return _check(table, name, False, "ERROR", message, **metadata)
    if cover.outside_share > OUTSIDE_REQUEST_WARN_SHARE:
        message = (
            f"{where}: {cover.outside_request} of {cover.events} events were received outside "
            f"the account days requested ({cover.start_date}..{cover.end_date} with "
            f"{cover.settings}): the API reads the window otherwise, and events at the other "
            f"edge of the UTC day may be missing; {DOCTOR}"
        )
        return _check(table, name, False, "WARN", message, **metadata)
    return _check(table, name, True, "ERROR", **metadata)


def check_results(
    table: str,
    metrics: dict[str, Any],
    *,
    table_duplicates: int | None = None,
    play_count: int | None = None,
    media_ids: tuple[str, ...] = (),
    coverage: PullCoverage | None = None,
) -> list[AssetCheckResult]:
    """Every check of `table`, from the runner's metrics plus what the catalog measured.

    `coverage` (fact_events) is the pull seen in the account's zone; without it the account is
    taken to be UTC with inclusive windows."""
    outcomes = {o.name: o for o in check_outcomes(metrics)}
    results = []
    values = metrics.get("personal_values") or {}
    no_personal = outcomes["no_personal_data_columns"]
    results.append(
        _check(
            table,
            "no_personal_data",
            no_personal.passed and not any(values.values()),
            "ERROR",
            forbidden_columns_present=no_personal.metadata.get("forbidden_columns_present", []),
            personal_looking_values={k: v for k, v in values.items() if v},
        )
    )
    if "quarantine_share" in outcomes:
        q = outcomes["quarantine_share"]
        results.append(_check(table, "quarantine_share", q.passed, "WARN", **q.metadata))
    if table == "fact_events":
        unique = outcomes["event_key_unique"]
        results.append(
            _check(
                table,
                "event_key_unique",
                unique.passed and not table_duplicates,
                "ERROR",
                **unique.metadata,
                duplicate_keys_in_table=table_duplicates if table_duplicates is not None else -1,
            )
        )
        if coverage is None:
            day = date.fromisoformat(str(metrics.get("dt")))
            coverage = pull_coverage(metrics, day, ZoneInfo("UTC"), "inclusive")
        where = f"{table} {metrics.get('dt')}|{metrics.get('media_id')}"
        results.append(_covers_plays(table, where, play_count, coverage))
        # Events of the account's day (by_date's day), not of the UTC partition: the two differ
        # by the zone's offset, and only the first compares with play_count.
        events = coverage.account_day_events
        if play_count is None:
            results.append(
                _check(
                    table,
                    "reconciles_with_play_count",
                    False,
                    "WARN",
                    note="fact_media_by_date has no row for this day yet",
                    events=events,
                )
            )
        else:
            gap = abs(events - play_count) / max(play_count, 1)
            results.append(
                _check(
                    table,
                    "reconciles_with_play_count",
                    gap <= RECONCILIATION_WARN_SHARE,
                    "WARN",
                    events=events,
                    play_count=play_count,
                    gap_share=round(gap, 4),
                )
            )
        results.append(_on_partition_day(table, where, metrics, coverage))
        unknown = metrics.get("unknown_fields") or {}
        results.append(
            _check(table, "no_unknown_fields", not unknown, "WARN", unknown_fields=unknown)
        )
    elif table == "fact_media_by_date":
        one = outcomes["one_row_per_date"]
        results.append(_check(table, "one_row_per_date", one.passed, "ERROR", **one.metadata))
    else:
        unique = outcomes["media_id_unique"]
        results.append(_check(table, "media_id_unique", unique.passed, "ERROR", **unique.metadata))
        present = set(metrics.get("media_ids") or [])
        missing = sorted(set(media_ids) - present)
        results.append(_check(table, "every_media_present", not missing, "ERROR", missing=missing))
        unknown_channel = sorted(metrics.get("unknown_channel_media_ids") or [])
        results.append(
            _check(
                table,
                "channel_known",
                not unknown_channel,
                "WARN",
                media_with_unknown_channel=unknown_channel,
            )
        )
    return results


def _failure(exc: BronzeNotIngested | RuntimeError, what: str) -> Failure:
    # Neither is helped by running the step (and its Glue job) again right away.
    final = isinstance(exc, BronzeNotIngested | TableChangedDuringScan)
    return Failure(description=f"{what}: {exc}", allow_retries=not final)


def build_silver_assets(settings: Settings):
    partitions = window_partitions(settings)
    pool = "glue" if settings.deployment == "aws" else "spark"
    # A Glue run can fail for reasons that pass (capacity, a lost executor): retry once. A local
    # Spark failure is a bug or bad data and fails the same way again: no retry, no waiting.
    retry = (
        RetryPolicy(max_retries=1, delay=60, backoff=Backoff.EXPONENTIAL)
        if settings.deployment == "aws"
        else None
    )

    @multi_asset(
        name="silver_facts",
        specs=[
            AssetSpec(
                "fact_events",
                deps=["bronze_events"],
                group_name="silver",
                description=_DESCRIPTIONS["fact_events"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                partitions_def=partitions,
                freshness_policy=DAILY_FRESHNESS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "dedupe_key": "event_key",
                    "dagster/column_schema": declared_schema("fact_events"),
                },
                skippable=True,
            ),
            AssetSpec(
                "fact_media_by_date",
                deps=["bronze_media_by_date"],
                group_name="silver",
                description=_DESCRIPTIONS["fact_media_by_date"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                partitions_def=partitions,
                freshness_policy=DAILY_FRESHNESS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "dagster/column_schema": declared_schema("fact_media_by_date"),
                },
                skippable=True,
            ),
        ],
        check_specs=[*_specs("fact_events", partitions), *_specs("fact_media_by_date", partitions)],
        partitions_def=partitions,
        can_subset=True,
        pool=pool,
        retry_policy=retry,
    )
    def silver_facts(
        context: AssetExecutionContext,
        silver: SilverEngine,
        catalog: SilverCatalog,
        watermarks: WatermarksResource,
    ) -> Iterator[MaterializeResult]:
        window = Window.parse(context.partition_key)
        selected = {k.to_user_string() for k in context.selected_asset_keys}
        play_count = None
        # by_date first: the events' reconciliation check reads its play_count.
        for table in ("fact_media_by_date", "fact_events"):
            if table not in selected:
                continue
            try:
                metrics = silver.build_partition(context, table, window)
            except BronzeNotIngested as exc:
                raise _failure(exc, f"{table} {window.key}") from None
            metrics["engine"] = silver.kind
            if table == "fact_media_by_date":
                play_count = int(metrics.get("play_count", 0))
                checks = check_results(table, metrics)
            else:
                try:
                    if play_count is None:
                        play_count = catalog.play_count(window)
                    table_duplicates = catalog.duplicate_event_keys()
                except TableChangedDuringScan as exc:
                    raise _failure(exc, f"{table} {window.key}") from None
                checks = check_results(
                    table,
                    metrics,
                    table_duplicates=table_duplicates,
                    play_count=play_count,
                    coverage=pull_coverage(
                        metrics, window.day, settings.account_timezone, settings.events_window
                    ),
                )
            context.log.info(
                f"{table} {window.key}: {metrics.get('rows')} rows, "
                f"{metrics.get('duplicates_removed')} duplicates removed, "
                f"{metrics.get('quarantined')} quarantined -> {metrics.get('location')}"
            )
            yield MaterializeResult(
                asset_key=table, metadata=silver_metadata(metrics), check_results=checks
            )
            blocking_failed = [
                c.check_name
                for c in checks
                if not c.passed and c.severity == AssetCheckSeverity.ERROR
            ]
            if blocking_failed:
                for check in checks:
                    if check.check_name in blocking_failed and check.description:
                        context.log.error(check.description)
                # Dagster fails the step after it returns (a blocking check failed with ERROR
                # severity), so the run fails and the failure sensor alerts.
                context.log.error(
                    f"{table} {window.key}: watermark not advanced, failed checks: "
                    f"{', '.join(blocking_failed)}"
                )
                continue
            # Only now is the partition done. The watermark moves only to the day after it, so
            # it never passes a day that was not built: the schedule asks for that day again.
            store, dataset = watermarks.store(), DATASET_OF[table]
            origin = watermark_origin(context.run.tags)
            if store.advance(dataset, window.media_id, window.day, origin=origin):
                context.log.info(f"watermark {dataset}/{window.media_id} -> {window.day}")
            else:
                context.log.info(
                    f"watermark {dataset}/{window.media_id} stays at "
                    f"{store.get(dataset, window.media_id)} (built {window.day}; a watermark "
                    "moves one day at a time)"
                )

    @multi_asset(
        name="dim_media_build",
        specs=[
            AssetSpec(
                "dim_media",
                deps=["bronze_media_metadata"],
                group_name="silver",
                description=_DESCRIPTIONS["dim_media"],
                owners=OWNERS,
                kinds=SILVER_KINDS,
                metadata={
                    "layer": "silver",
                    "personal_data": "no",
                    "scd": "type-1",
                    "dagster/column_schema": declared_schema("dim_media"),
                },
                # Fresh without anyone asking: any new metadata snapshot triggers a rebuild.
                automation_condition=AutomationCondition.eager(),
            )
        ],
        check_specs=_specs("dim_media", None),
        pool=pool,
        retry_policy=retry,
    )
    def dim_media(context: AssetExecutionContext, silver: SilverEngine):
        try:
            metrics = silver.build_dim_media(context)
        except BronzeNotIngested as exc:
            raise _failure(exc, "dim_media") from None
        metrics["engine"] = silver.kind
        checks = check_results(
            "dim_media",
            metrics,
            media_ids=settings.media_ids,
        )
        return MaterializeResult(
            asset_key="dim_media", metadata=silver_metadata(metrics), check_results=checks
        )

    return [silver_facts, dim_media]


__all__ = ["AssetKey", "build_silver_assets", "check_results", "silver_metadata"]
