"""`wistia-assets erase`: a viewer's erasure request, and the auditor's list of them.

    erase --email E | --visitor-key K [--dry-run]   find, remove, suppress (or only show)
    erase --list                                     every erasure record (hashes only)

The value is hashed here, before anything else happens (`erasure.viewer.Hasher.subject`): the
Dagster runs this starts carry partition keys and the erasure's id (a prefix of the hash), the
output and the logs show hashes. The Silver partitions are rebuilt through the same
`wistia_window` job as `rerun` (only its `fact_events` asset: Bronze is not pulled again), then
the Gold days touched and every report whose range covers one of them. A partition whose Bronze
has expired (retention) cannot be rebuilt: the viewer's rows are removed from it Silver-side
(`TransformEngine.erase_rows`), every other row kept.
"""

from __future__ import annotations

import argparse
from datetime import date

from wistia_assets.erasure import eraser
from wistia_assets.erasure.bronze import Hit
from wistia_assets.erasure.keys import erasure_store, hash_key
from wistia_assets.erasure.records import Erasure
from wistia_assets.erasure.viewer import EMAIL, VISITOR_KEY, Hasher
from wistia_assets.settings import ConfigError, Settings

ERASURE_TAG = "wistia/erasure"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "erase",
        help="erase a viewer everywhere and keep them out (GDPR art. 17, CCPA)",
        description="Remove a viewer's events from Bronze (quarantine included) and Silver, "
        "rebuild the Gold days and reports touched, and suppress the viewer's future events. "
        "Only keyed hashes of the value are recorded.",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the viewer's e-mail address")
    who.add_argument("--visitor-key", help="the viewer's Wistia visitor_key")
    who.add_argument("--list", action="store_true", help="print the erasure records")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="print the partitions and counts; change nothing"
    )
    mode.add_argument(
        "--hash-only",
        action="store_true",
        help="print the keyed hash only: the config of the erase_viewer Dagster job",
    )


def _short(h: str) -> str:
    return f"{h[:12]}…"


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        print("  the viewer is in no partition of the lake")
    for hit in sorted(hits, key=lambda h: (h.day, h.media_id, h.zone)):
        print(f"  {hit.zone:<10} {hit.key:<24} {hit.events:>6} event(s)")


def show_list(settings: Settings) -> int:
    records = erasure_store(settings).all()
    if not records:
        print("no erasure records")
        return 0
    for r in records:
        print(f"{r.id}  {r.status:<7}  by {r.kind}  hash {r.subject_hash}")
        print(f"  requested {r.requested_at}  finished {r.finished_at or '-'}")
        print(f"  events removed {r.events_removed}  events suppressed since {r.events_suppressed}")
        print(f"  visitor key hashes: {', '.join(r.visitor_hashes) or '-'}")
        print(f"  e-mail hashes: {', '.join(r.email_hashes) or '-'}")
        print(f"  partitions touched: {', '.join(r.partitions) or '-'}")
    return 0


def _request(args: argparse.Namespace) -> tuple[str, str]:
    if args.email is not None:
        return EMAIL, args.email
    return VISITOR_KEY, args.visitor_key


def main(args: argparse.Namespace) -> int:
    if args.list:
        if args.dry_run or args.hash_only:
            raise ConfigError("--dry-run and --hash-only go with --email or --visitor-key")
        return show_list(Settings.from_env())
    kind, raw = _request(args)
    settings = Settings.from_env()
    # Validate before the key is created: bad input changes nothing.
    from wistia_assets.erasure.viewer import normalize_email, normalize_visitor_key

    (normalize_email if kind == EMAIL else normalize_visitor_key)(raw)
    if args.hash_only:
        key = hash_key(settings, create=False)
        if key is None:
            raise ConfigError(
                "no hash key yet (WISTIA_HASH_KEY, WISTIA_HASH_KEY_FILE): nothing was built, so "
                "a hash would match nothing; run `erase` itself"
            )
        print(f"kind: {kind}\nsubject_hash: {Hasher(key).subject(kind, raw)}")
        return 0
    key = hash_key(settings, create=not args.dry_run)
    if key is None:
        # No key yet: nothing was ever built, so nothing can match a hash; any key finds the
        # Bronze lines (none are hashed there), and none is kept.
        import secrets

        key = secrets.token_bytes(32)
    hasher = Hasher(key)
    subject_hash = hasher.subject(kind, raw)
    # The raw value goes here: nothing below (logs, the erasure record) can reach it.
    del raw
    args.email = args.visitor_key = None
    return erase(settings, kind, subject_hash, hasher, dry_run=args.dry_run)


def erase(
    settings: Settings, kind: str, subject_hash: str, hasher: Hasher, *, dry_run: bool
) -> int:
    from wistia_assets.deployments import resources_for

    lake = resources_for(settings)["lake"]
    store = erasure_store(settings)
    find_silver = _silver_finder(settings)
    plan = eraser.plan(
        store=store,
        bronze_store=lake.bronze,
        silver_store=lake.silver,
        hasher=hasher,
        kind=kind,
        subject_hash=subject_hash,
        find_silver=find_silver,
    )
    print(
        f"wistia-assets erase: {kind} hash {_short(subject_hash)} (erasure {plan.erasure.id}), "
        f"{len(plan.viewer.visitor_hashes)} visitor key hash(es), lake {settings.lake_root}"
    )
    _print_hits(plan.hits)
    if dry_run:
        print(
            f"dry run: would rewrite {len(plan.of('bronze'))} Bronze partition(s) and rebuild "
            f"{len(plan.silver_partitions)} Silver partition(s); nothing changed"
        )
        return 0
    runner = _DagsterRebuild(settings, plan.erasure.id)
    try:
        record = eraser.apply(
            plan,
            store=store,
            bronze_store=lake.bronze,
            silver_store=lake.silver,
            rebuild_silver=runner.silver,
            rebuild_gold=runner.gold,
            find_silver=find_silver,
            strip_silver=runner.strip,
        )
    except eraser.ErasureIncomplete as exc:
        print(f"error: {exc}")
        return 1
    _print_done(record)
    return 0


def _print_done(record: Erasure) -> None:
    print(
        f"done: erasure {record.id} removed {record.events_removed} Bronze event(s), rebuilt "
        f"{len(record.partitions)} Silver partition(s); the viewer's future events are "
        "suppressed at ingestion (`wistia-assets erase --list`)"
    )


def _silver_finder(settings: Settings):
    from wistia_assets.deployments import deployment_for

    if not deployment_for(settings).has_local_duckdb:
        return None  # no pyarrow in the ECS image: Silver partitions come from Bronze
    from wistia_assets.erasure import silver

    return silver.find


class _DagsterRebuild:
    """Silver and Gold rebuilt through the code location's own jobs, recorded in the instance
    like `rerun`'s runs; only partition keys and the erasure id reach Dagster."""

    def __init__(self, settings: Settings, erasure_id: str):
        from wistia_assets.commands.materialize import dagster_instance
        from wistia_assets.definitions import build_defs

        self.settings = settings
        self.defs = build_defs(settings)
        self.instance = dagster_instance()
        self.tags = {ERASURE_TAG: erasure_id}

    def silver(self, keys: list[str]) -> None:
        from dagster import AssetKey

        from wistia_assets.commands.materialize import execute
        from wistia_assets.orchestration.jobs import WINDOW_JOB

        job = self.defs.resolve_job_def(WINDOW_JOB)
        for key in keys:
            outcome = execute(
                job,
                f"fact_events {key}",
                self.instance,
                True,
                partition_key=key,
                asset_selection=[AssetKey("fact_events")],
                tags=self.tags,
            )
            written = "fact_events" in outcome.metadata
            status = "ok  " if outcome.success else ("hold" if written else "FAIL")
            print(f"  {status} fact_events {key} {outcome.seconds:6.1f}s")
            if not outcome.success and written:
                # Rewritten without the viewer, but a blocking check of the day fails now (the
                # viewer's events were all the plays of the day, say): the erasure holds, the
                # Gold day is held back until a later pull passes (`run`'s `hold` line).
                print(f"       held back: {outcome.error}")
            elif not outcome.success:
                raise eraser.ErasureIncomplete(
                    f"rebuilding fact_events {key} failed: {outcome.error}; the record stays "
                    "pending, run the same erase again once the cause is fixed"
                )

    def strip(self, keys: list[str], visitor_hashes: list[str]) -> None:
        """Partitions whose Bronze expired: the viewer's rows removed Silver-side, through the
        deployment's transform engine (`TransformEngine.erase_rows`), recorded in the instance."""
        import time

        from dagster import AssetMaterialization

        from wistia_assets.deployments import resources_for
        from wistia_assets.partitions import Window

        engine = resources_for(self.settings)["silver"]
        for key in keys:
            started = time.monotonic()
            try:
                result = engine.erase_rows(None, Window.parse(key), visitor_hashes)
            except Exception as exc:
                raise eraser.ErasureIncomplete(
                    f"removing the viewer from fact_events {key} (no Bronze left) failed: "
                    f"{type(exc).__name__}; the record stays pending, run the same erase again "
                    "once the cause is fixed"
                ) from exc
            self.instance.report_runless_asset_event(
                AssetMaterialization(
                    "fact_events",
                    partition=key,
                    description=f"viewer rows removed by erasure {self.tags[ERASURE_TAG]} "
                    "(no Bronze left to rebuild from)",
                    metadata={
                        "dagster/partition_row_count": result.rows,
                        "rows_removed": result.rows_removed,
                        "erasure": self.tags[ERASURE_TAG],
                    },
                )
            )
            print(
                f"  ok   fact_events {key} {time.monotonic() - started:6.1f}s "
                f"(no Bronze: {result.rows_removed} row(s) removed in Silver, {result.rows} left)"
            )

    def gold(self, days: list[str]) -> None:
        from wistia_assets.commands.report import build_gold_days, build_report

        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        built, held = build_gold_days(
            self.defs, self.instance, first, last, True, self.settings.media_ids
        )
        for day, reasons in held.items():
            # A day held back by a failed blocking check has no Gold to rebuild (as `run`).
            print(f"  hold media_daily {day}: held back, " + "; ".join(r.line() for r in reasons))
        outcomes = list(built)
        for start, end in _reports_covering(self.settings, first, last):
            config = {"start": start.isoformat(), "end": end.isoformat()}
            outcomes.append(build_report(self.defs, self.instance, config, True))
        for outcome in outcomes:
            print(
                f"  {'ok  ' if outcome.success else 'FAIL'} {outcome.label} "
                f"{outcome.seconds:6.1f}s"
            )
            if not outcome.success:
                raise eraser.ErasureIncomplete(
                    f"{outcome.label} failed: {outcome.error}; the record stays pending"
                )


def _reports_covering(settings: Settings, first: date, last: date) -> list[tuple[date, date]]:
    """(first, last) of every report kept in the lake whose range overlaps first..last."""
    import re

    from wistia_assets.deployments import resources_for
    from wistia_assets.storage.layout import REPORTS

    ranges = []
    for key in resources_for(settings)["lake"].silver.list_keys(REPORTS):
        m = re.search(r"media_report_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})\.html$", key)
        if m:
            start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            if start <= last and end >= first:
                ranges.append((start, end))
    return sorted(set(ranges))
