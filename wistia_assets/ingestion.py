"""Pull one (day, media) window from Wistia into Bronze, exactly as the API sent it.

No Dagster here: the Bronze assets, the CLI and the benchmarks call these functions. Each writes a
whole partition or nothing (see `storage.partition`) and returns the partition's manifest, which
records what was pulled (pages, rows, request ids, time, source) so that "zero events" is
distinguishable from "never pulled".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from wistia_assets.storage.layout import (
    BRONZE_EVENTS,
    BRONZE_MEDIA_BY_DATE,
    load_ts_token,
    manifest_key,
    metadata_snapshot,
    window_partition,
)
from wistia_assets.storage.objects import ObjectStore
from wistia_assets.storage.partition import PartitionWriter
from wistia_assets.wistia.client import Page, WistiaClient
from wistia_assets.wistia.windows import EventWindow, event_window

if TYPE_CHECKING:
    from wistia_assets.erasure.suppression import Suppression

# Request ids kept in a manifest: enough to quote to Wistia support, bounded for 10k-page days.
MAX_MANIFEST_REQUEST_IDS = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _PullLog:
    """What one pull did, for the manifest: counted per page, never holding the records."""

    def __init__(self, client: WistiaClient):
        self.client = client
        self.requests0 = client.stats.requests
        self.retries0 = client.stats.retries
        self.throttled0 = client.stats.throttled
        self.pages = 0
        self.request_ids: list[str] = []
        self.started_at = _utc_now()

    def page(self, page: Page) -> None:
        self.pages += 1
        if page.request_id and len(self.request_ids) < MAX_MANIFEST_REQUEST_IDS:
            self.request_ids.append(page.request_id)

    def fields(self) -> dict[str, Any]:
        stats = self.client.stats
        return {
            "pages": self.pages,
            "requests": stats.requests - self.requests0,
            "retries": stats.retries - self.retries0,
            "throttled": stats.throttled - self.throttled0,
            "request_ids": self.request_ids,
            "pull_started_at": _iso(self.started_at),
            "pulled_at": _iso(_utc_now()),
        }


def ingest_events(
    client: WistiaClient,
    store: ObjectStore,
    day: date,
    media_id: str,
    *,
    source: str,
    zone: ZoneInfo = ZoneInfo("UTC"),
    semantics: str = "inclusive",
    suppression: Suppression | None = None,
) -> dict[str, Any]:
    """Stream every event page of the request that covers UTC day `day` into a fresh Bronze
    partition. For an account whose days are not UTC days the request spans two account days;
    Bronze keeps all of it (as sent) and Silver routes each event by `received_at`.

    `suppression`: erased viewers; their events are dropped before the writer sees them and
    counted in the manifest (`suppressed`), see `erasure.suppression`."""
    partition = window_partition(BRONZE_EVENTS, day, media_id)
    request = event_window(day, zone, semantics)
    # A visitor key first met with an erased e-mail joins the suppression list; its events that
    # came earlier in the same pull are already in a part, so the pull is made once more
    # (nothing was committed: the manifest names the previous pull's parts until a commit).
    for attempt in (1, 2):
        before = suppression.mark() if suppression is not None else None
        pull = _PullLog(client)
        foreign = 0
        with PartitionWriter(store, partition) as writer:
            # Re-read pages included: a window that shifted while it was read is read again.
            events = client.iter_event_pages(media_id, request.start_date, request.end_date)
            for page in events:
                pull.page(page)
                # Kept as sent (Bronze is the API's record); Silver quarantines them. Counted
                # here so the materialization shows it at once.
                foreign += sum(1 for r in page.records if r.get("media_id") not in (None, media_id))
                records = page.records if suppression is None else suppression.keep(page.records)
                writer.write_records(records)
            # `before` is set exactly when `suppression` is: both checked, so both are narrowed.
            if (
                attempt == 1
                and suppression is not None
                and before is not None
                and suppression.learned_since(before)
            ):
                suppression.restore(before)
                writer.abandon()
                continue
            return writer.commit(
                **_window_fields(
                    "events", day, media_id, source, _request_fields(request, zone, semantics)
                ),
                **pull.fields(),
                **events.summary.manifest_fields(),
                foreign_media_rows=foreign,
                **(
                    {"suppressed": suppression.suppressed - before.suppressed}
                    if suppression is not None and before is not None
                    else {}
                ),
            )
    raise AssertionError("unreachable")


def ingest_media_by_date(
    client: WistiaClient, store: ObjectStore, day: date, media_id: str, *, source: str
) -> dict[str, Any]:
    partition = window_partition(BRONZE_MEDIA_BY_DATE, day, media_id)
    pull = _PullLog(client)
    page = client.media_by_date(media_id, day, day)
    pull.page(page)
    with PartitionWriter(store, partition) as writer:
        writer.write_records(page.records)
        return writer.commit(
            **_window_fields("media_by_date", day, media_id, source), **pull.fields()
        )


def snapshot_media(
    client: WistiaClient, store: ObjectStore, day: date, media_id: str, *, source: str
) -> dict[str, Any]:
    """Keep today's media object: one snapshot per load day (a same-day re-run replaces it)."""
    pull = _PullLog(client)
    page = client.show_media(media_id)
    pull.page(page)
    loaded_at = _utc_now()
    folder = metadata_snapshot(media_id, load_ts_token(loaded_at))
    media_folder = folder.rsplit("/", 1)[0]
    same_day = f"{media_folder}/load_ts={load_ts_token(loaded_at)[:8]}"
    previous = [
        key
        for key in store.list_keys(media_folder)
        if key.startswith(same_day) and not key.startswith(folder + "/")
    ]
    document = f"{folder}/doc.json"
    body = json.dumps(page.records[0], ensure_ascii=False).encode()
    # The document first, the manifest last: a snapshot without a manifest is not complete.
    store.write_bytes(document, body)
    manifest = {
        **_window_fields("media_metadata", day, media_id, source),
        **pull.fields(),
        "partition": folder,
        "document": document,
        "loaded_at": _iso(loaded_at),
        "rows": 1,
        "bytes": len(body),
    }
    store.write_bytes(manifest_key(folder), json.dumps(manifest, indent=2, sort_keys=True).encode())
    store.delete_keys(previous)
    return manifest


def _request_fields(request: EventWindow, zone: ZoneInfo, semantics: str) -> dict[str, Any]:
    """What the events request asked for, and what it means: enough to re-ask it by hand."""
    return {
        **request.params(),
        "utc_day": request.day.isoformat(),
        "account_timezone": str(zone),
        "account_days": [
            request.first_account_day.isoformat(),
            request.last_account_day.isoformat(),
        ],
        "semantics": semantics,
    }


def _window_fields(
    dataset: str, day: date, media_id: str, source: str, window: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "dt": day.isoformat(),
        "media_id": media_id,
        "window": window or {"start_date": day.isoformat(), "end_date": day.isoformat()},
        "source": source,
    }
