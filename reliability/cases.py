"""The fault cases: the sandbox misbehaves, the `wistia_window` job runs in this process, and
Silver must come out exactly as the ground truth says (see docs/RELIABILITY.md for the matrix)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from dagster import AssetKey

from reliability.lab import MEDIA, Lab, day_start, first_failure, settled
from reliability.matrix import Ctx, case
from reliability.truth import (
    bronze_manifest,
    check_by_date,
    check_events,
    quarantine_summary,
    served_non_truth,
    silver_rows,
)
from wistia_assets.sandbox import Faults
from wistia_assets.storage.layout import (
    SILVER_FACT_EVENTS,
    SILVER_FACT_MEDIA_BY_DATE,
    window_partition,
)

M0, M1 = MEDIA


def _faults_seen(lab: Lab) -> Counter:
    return Counter(e.fault for e in lab.sandbox.request_log.entries() if e.fault)


def _one_window_through(ctx: Ctx, lab: Lab, *kinds: str) -> Counter:
    """Run the default window, require success, the faults really met, and the ground truth."""
    run = lab.run_window()
    ctx.require_success(run)
    seen = _faults_seen(lab)
    for kind in kinds:
        ctx.check(seen[kind] > 0, f"no '{kind}' fault was injected: the case proved nothing")
    ctx.check(run.retries > 0, "the Bronze manifests count no retries")
    ctx.matches_truth(lab, [lab.day], [M0])
    ctx.note(f"faults met: {dict(seen)}")
    return seen


@case(
    "throttle_429",
    "429 bursts with Retry-After",
    "run succeeds; every retry of a 429 waits at least its Retry-After; Silver = truth",
    quick=True,
)
def throttle_429(ctx: Ctx) -> None:
    lab = ctx.lab(seed=11, events_per_day=600, faults="429=0.3,retry_after=2")
    lab.sandbox.fail_next(3, "429")  # a burst: the first three requests are all throttled
    _one_window_through(ctx, lab, "429")
    # The next attempt of a throttled request (same path and query) came Retry-After later.
    entries = lab.sandbox.request_log.entries()
    early = []
    for i, entry in enumerate(entries):
        if entry.fault != "429":
            continue
        retry = next(
            (e for e in entries[i + 1 :] if (e.path, e.query) == (entry.path, entry.query)), None
        )
        if retry is not None and retry.monotonic - entry.monotonic < 2.0 - 0.05:
            early.append(round(retry.monotonic - entry.monotonic, 2))
    ctx.check(not early, f"{len(early)} retries came before Retry-After (2 s): {early[:5]}")


@case(
    "unavailable_503",
    "503 storms without Retry-After",
    "run succeeds with exponential backoff; Silver = truth",
)
def unavailable_503(ctx: Ctx) -> None:
    lab = ctx.lab(seed=12, events_per_day=600, faults="503=0.3")
    lab.sandbox.fail_next(4, "503")  # a storm: four 503s in a row, no Retry-After
    _one_window_through(ctx, lab, "503")


@case(
    "server_errors_5xx",
    "500 / 502 / 504 (JSON and gateway HTML bodies)",
    "all three statuses met and retried; Silver = truth",
)
def server_errors(ctx: Ctx) -> None:
    lab = ctx.lab(seed=13, events_per_day=600, faults="5xx=0.4")
    seen = _one_window_through(ctx, lab)
    for status in ("500", "502", "504"):
        ctx.check(seen[status] > 0, f"no {status} was injected")


@case(
    "read_timeouts",
    "read timeouts on full 100-event pages",
    "timeouts on full pages are retried (WISTIA_TIMEOUT=1 s, responses held 3 s); Silver = truth",
)
def read_timeouts(ctx: Ctx) -> None:
    lab = ctx.lab(
        seed=14,
        events_per_day=450,
        faults="timeout=0.15,slow_s=3",
        settings_env={"WISTIA_TIMEOUT": "1"},
    )
    # Besides the random ones: the first two events requests (full pages) certainly time out.
    lab.sandbox.fail_next(2, "timeout", endpoint="events")
    _one_window_through(ctx, lab, "timeout")
    full = [
        e
        for e in lab.sandbox.request_log.entries()
        if e.fault == "timeout" and e.endpoint == "events" and int(e.query.get("page", 1)) <= 4
    ]
    ctx.check(full, "no timeout hit a full events page (pages 1-4 of 450 events)")


@case(
    "connection_resets",
    "connections reset or closed without a response",
    "resets (RST and FIN) are retried; Silver = truth",
)
def connection_resets(ctx: Ctx) -> None:
    lab = ctx.lab(seed=15, events_per_day=600, faults="reset=0.3")
    lab.sandbox.fail_next(2, "reset", endpoint="events")
    _one_window_through(ctx, lab, "reset")


@case(
    "truncated_body",
    "truncated JSON bodies (short Content-Length and cut reads)",
    "a 200 with unparseable JSON is retried, never written; Silver = truth",
    quick=True,
)
def truncated_body(ctx: Ctx) -> None:
    lab = ctx.lab(seed=16, events_per_day=600, faults="truncate=0.3")
    # Both kinds on a full events page: a short Content-Length (200 + unparseable JSON) and a
    # full Content-Length whose read ends early.
    lab.sandbox.fail_next(1, "truncate", endpoint="events")
    lab.sandbox.fail_next(1, "truncate_read", endpoint="events")
    seen = _one_window_through(ctx, lab)
    for kind in ("truncate", "truncate_read"):
        ctx.check(seen[kind] > 0, f"no '{kind}' body was injected")


@case(
    "page_drift",
    "page drift: new events at the head while paging",
    "first pull: pages shifted (duplicates removed), the pull re-read the window and found the "
    "drift events: Silver = truth after it; the overlap re-pull keeps Silver = truth",
)
def page_drift(ctx: Ctx) -> None:
    lab = ctx.lab(seed=17, events_per_day=450, faults="drift=3")
    first = lab.run_window(label="first pull")
    ctx.require_success(first)
    bronze = first.metadata.get("bronze_events", {})
    ctx.check(bronze.get("reads", 0) >= 2, "the pull did not re-read the shifted window")
    removed = first.metadata.get("fact_events", {}).get("duplicates_removed", 0)
    ctx.check(removed > 0, "the drift showed no event twice: the case proved nothing")
    ctx.matches_truth(lab, [lab.day], [M0])
    ctx.note(
        f"first pull: {bronze.get('reads')} reads, {bronze.get('reread_requests')} re-read "
        f"requests, {removed} duplicates removed"
    )
    # The next day's run re-pulls this day (1-day overlap).
    lab.clock.advance(days=1)
    ctx.require_success(lab.run_window(label="overlap re-pull"))
    ctx.matches_truth(lab, [lab.day], [M0])


@case(
    "late_events",
    "late events that only appear on the overlap re-pull",
    "run D at D+1 00:10: Silver = events arrived by then (no late one); run D again at D+2 "
    "(tomorrow's overlap): Silver = truth, by_date exact",
    quick=True,
)
def late_events(ctx: Ctx) -> None:
    lab = ctx.lab(seed=18, events_per_day=400, faults="late=0.1")
    day = lab.day
    lab.clock.set(day_start(day) + timedelta(days=1, minutes=10))
    ctx.require_success(lab.run_window(label="D at D+1 00:10"))
    now = lab.clock()
    truth = lab.sandbox.ground_truth_events(M0, day)
    arrived = [t for t in truth if lab.sandbox.arrival_of(t["event_key"]) <= now]
    late = len(truth) - len(arrived)
    ctx.check(late > 0, "no event was still late at D+1 00:10: the case proved nothing")
    ctx.expect(check_events(lab.sandbox, lab.lake, day, M0, _hash_key(), truth=arrived))
    ctx.note(f"{late} of {len(truth)} events arrived after the first pull")
    lab.clock.set(settled(day))
    ctx.require_success(lab.run_window(label="D again as D+1's overlap"))
    ctx.matches_truth(lab, [day], [M0])


def _hash_key() -> str:
    from reliability.lab import HASH_KEY

    return HASH_KEY


@case(
    "foreign_media",
    "an event whose media_id is another media's",
    "quarantined in the partition it was served to, with its reason; present exactly once in "
    "its own media's partition; never duplicated",
)
def foreign_media(ctx: Ctx) -> None:
    lab = ctx.lab(seed=19, events_per_day=300, faults="foreign=0.05")
    for media in MEDIA:
        ctx.require_success(lab.run_window(media=media))
    ctx.matches_truth(lab, [lab.day], MEDIA)
    for media, other in ((M0, M1), (M1, M0)):
        foreign = {r["event_key"] for _, r in served_non_truth(lab.sandbox, lab.day, media)}
        ctx.check(foreign, f"{media}: no foreign record served: the case proved nothing")
        own = [r["event_key"] for r in silver_rows(lab.lake, SILVER_FACT_EVENTS, lab.day, other)]
        here = {r["event_key"] for r in silver_rows(lab.lake, SILVER_FACT_EVENTS, lab.day, media)}
        ctx.check(
            all(own.count(k) == 1 for k in foreign),
            f"{len(foreign)} events of {other} served to {media} are not exactly once in {other}",
        )
        ctx.check(not foreign & here, f"{other}'s events are in {media}'s partition")
        ctx.note(f"{media}: quarantine {quarantine_summary(lab.lake, lab.day, media)}")


@case(
    "bad_records",
    "schema-breaking records (no event_key, bad received_at, percent_viewed 250)",
    "each quarantined with its reason; the rest = truth",
)
def bad_records(ctx: Ctx) -> None:
    lab = ctx.lab(seed=20, events_per_day=400, faults="bad=0.05")
    ctx.require_success(lab.run_window())
    ctx.matches_truth(lab, [lab.day], [M0])
    summary = quarantine_summary(lab.lake, lab.day, M0)
    ctx.check(summary, "nothing quarantined: the case proved nothing")
    ctx.note(f"quarantine {summary}")


@case(
    "zero_day",
    "a day with zero events",
    "Bronze manifest rows=0 vs no manifest for a never-pulled day (whose Silver build fails "
    "clearly); Silver: no fact_events partition, one by_date row of zeros; a re-pull that "
    "turns a day with data into zero events removes the old rows",
    quick=True,
)
def zero_day(ctx: Ctx) -> None:
    lab = ctx.lab(seed=21, events_per_day=250)
    day = lab.day
    ctx.require_success(lab.run_window(label="day with data"))
    ctx.matches_truth(lab, [day], [M0])
    # The same window now holds nothing (e.g. Wistia purged it): the re-pull must say so.
    lab.sandbox.faults = Faults.parse(f"zero_days={day.isoformat()}")
    ctx.require_success(lab.run_window(label="re-pull of a zero day"))
    manifest = bronze_manifest(lab.lake, day, M0)
    ctx.check(manifest is not None and manifest["rows"] == 0, f"zero-day manifest: {manifest}")
    ctx.check(manifest and manifest.get("pages") == 1, "a zero day is one (empty) page")
    ctx.check(
        not (lab.lake / window_partition(SILVER_FACT_EVENTS, day, M0)).exists(),
        "fact_events partition of a zero day still exists",
    )
    ctx.expect(check_by_date(lab.sandbox, lab.lake, day, M0))
    by_date = silver_rows(lab.lake, SILVER_FACT_MEDIA_BY_DATE, day, M0)
    ctx.check(
        by_date and by_date[0]["play_count"] == 0 and by_date[0]["load_count"] == 0,
        f"zero day by_date row: {by_date}",
    )
    # A day never pulled has no manifest, and Silver refuses to build it from nothing.
    never = day - timedelta(days=1)
    ctx.check(bronze_manifest(lab.lake, never, M0) is None, "never-pulled day has a manifest")
    failed = _silver_only(lab, never, M0)
    ctx.check(
        not failed.success and "has not been ingested" in (first_failure(failed.all_events)),
        "a Silver build of a never-pulled day did not fail with 'has not been ingested'",
    )
    ctx.note(f"never-pulled day: {first_failure(failed.all_events)[:90]}")


def _silver_only(lab: Lab, day, media):
    from wistia_assets.definitions import build_defs

    job = build_defs(lab.settings()).resolve_job_def("wistia_window")
    return job.execute_in_process(
        partition_key=f"{day.isoformat()}|{media}",
        instance=lab.instance,
        raise_on_error=False,
        asset_selection=[AssetKey("fact_events"), AssetKey("fact_media_by_date")],
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )


@case(
    "api_outage",
    "the Wistia API down longer than the retry budget",
    "the run fails (after the step's own retries) with one message naming the outage and "
    "writes no file of the partition; the next run after the outage heals it: Silver = truth",
)
def api_outage(ctx: Ctx) -> None:
    lab = ctx.lab(seed=22, events_per_day=300, settings_env={"WISTIA_MAX_ATTEMPTS": "3"})
    lab.sandbox.start_outage("503")
    failed = lab.run_window(label="during the outage")
    lab.sandbox.end_outage()
    ctx.check(not failed.success, "the run succeeded during an outage")
    message = failed.error or ""
    ctx.check(
        "did not answer" in message and "503" in message,
        f"the failure does not name the outage: {message!r}",
    )
    ctx.check("\n" not in message.strip(), "the failure message is more than one line")
    ctx.note(f"outage: {failed.requests} requests, message: {message[:150]}")
    written = [
        p.relative_to(lab.lake).as_posix()
        for p in lab.lake.rglob("*")
        if p.is_file() and "_state" not in p.parts
    ]
    ctx.check(not written, f"the failed run left files in the lake: {written[:5]}")
    ctx.require_success(lab.run_window(label="after the outage"))
    ctx.matches_truth(lab, [lab.day], [M0])
