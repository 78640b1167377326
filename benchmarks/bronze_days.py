"""Bronze days of any size for the Silver benchmark, written the way production writes them.

A day is pulled from the sandbox API in-process (no HTTP: this measures Silver, not the client)
through `WistiaClient` and `ingest_events`, so the parts, the manifest and the line order are the
real Bronze writer's. Two sandbox faults make the work realistic:

- `drift`: while the day is paged, each page reveals one new event at the head, so the last
  record of a page shows up again at the top of the next one: about one duplicate per page
  (~1 % of the events), which Silver removes on `event_key`. Having seen the pages shift, the
  pull reads the day again and rewrites the stretch at the head where the new events landed
  (another ~1-2 % of lines; a 10,000-event day has 10,321 Bronze lines since, 10,121 before).
- `bad` and `foreign`: ~0.1 % schema-breaking records (no event_key, an unparsable received_at,
  percent_viewed 250) and ~0.1 % copies of another media's events, which Silver quarantines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from wistia_assets.ingestion import ingest_events, ingest_media_by_date
from wistia_assets.sandbox import SandboxWistia
from wistia_assets.settings import WistiaApiSettings
from wistia_assets.storage.objects import LocalStore
from wistia_assets.wistia import RateBudget, WistiaClient

PER_PAGE = 100
# High enough never to wait: the pull is fixture preparation, not a measurement.
UNLIMITED_PER_MINUTE = 1_000_000
BAD_SHARE = 0.001
FOREIGN_SHARE = 0.001


@dataclass(frozen=True)
class BronzeDay:
    lake: Path
    dt: str
    media_id: str
    events: int | str  # the sandbox's events per day, N or LO-HI (drift events come on top)
    lines: int  # Bronze lines: events, drift duplicates, bad and foreign records
    part_keys: tuple[str, ...]  # in manifest order
    foreign: int  # lines of another media, as ingestion counted them

    @property
    def uri(self) -> str:
        return f"file://{self.lake}"


def realistic_faults(events: int | str) -> str:
    # One drift turn per page: the duplicates scale with the day instead of stopping after the
    # sandbox's default four turns.
    most = int(str(events).rpartition("-")[2])
    turns = max(1, most // PER_PAGE + 1)
    return f"drift=1,drift_turns={turns},bad={BAD_SHARE},foreign={FOREIGN_SHARE}"


def write_bronze_days(
    lake: Path,
    events: int | str,
    days: tuple[date, ...],
    *,
    faults: str | None = None,
    media_by_date: bool = False,
    seed: int = 7,
) -> list[BronzeDay]:
    """Pull `days` of the sandbox's first media (`events` a day) into Bronze under `lake`."""
    sandbox = SandboxWistia(
        seed=seed,
        events_per_day=events,
        faults=realistic_faults(events) if faults is None else faults,
    )
    store = LocalStore(lake)
    media_id = sandbox.media_ids[0]
    written = []
    # One page at a time: drift is revealed page turn by page turn, so sequential paging makes
    # the duplicates (and so the fixture) the same on every run.
    with WistiaClient(
        WistiaApiSettings(wistia_base_url=sandbox.base_url, per_page=PER_PAGE, page_prefetch=1),
        budget=RateBudget(UNLIMITED_PER_MINUTE),
        transport=sandbox.transport(),
    ) as client:
        for day in days:
            manifest = ingest_events(client, store, day, media_id, source="sandbox")
            if media_by_date:
                ingest_media_by_date(client, store, day, media_id, source="sandbox")
            written.append(
                BronzeDay(
                    lake=store.root,
                    dt=day.isoformat(),
                    media_id=media_id,
                    events=events,
                    lines=int(manifest["rows"]),
                    part_keys=tuple(part["key"] for part in manifest["parts"]),
                    foreign=int(manifest["foreign_media_rows"]),
                )
            )
    return written


def write_bronze_day(lake: Path, events: int | str, day: date, **kwargs) -> BronzeDay:
    (written,) = write_bronze_days(lake, events, (day,), **kwargs)
    return written
