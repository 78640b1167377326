"""Which Gold days are held back: a day whose Silver partition (any media, either fact) has a
blocking check whose latest evaluation failed.

The same rule as Dagster's `AutomationCondition.all_deps_blocking_checks_passed()` (the AWS
automation), read from the instance's check records so that every other path that builds Gold —
`wistia-assets run`/`rerun`/`report`, a backfill launched in the UI, `dagster asset materialize` —
holds the same days. A held day has no Gold partition (it is withdrawn, not left stale) and the
report names it as held back, with the check's message. When a later pull passes, the check's
latest evaluation passes and the day is built again by whatever runs next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dagster import AssetCheckKey, MultiPartitionKey

from wistia_assets.storage.layout import GOLD_MEDIA_DAILY, day_partition
from wistia_assets.storage.objects import ObjectStore

# The Silver tables a Gold day reads (media_daily's deps; the report reads fact_events too).
GOLD_SOURCES = ("fact_events", "fact_media_by_date")


@dataclass(frozen=True)
class HeldBack:
    day: str
    media_id: str
    check: str  # "fact_events:events_cover_plays"
    message: str

    def line(self) -> str:
        return f"{self.check} failed for {self.media_id}: {self.message}"


def blocking_check_keys() -> list[AssetCheckKey]:
    """The blocking checks of the Silver facts, from their specs (names are spelled there)."""
    from wistia_assets.assets.silver.checks import fact_events_specs, fact_media_by_date_specs

    return [s.key for s in [*fact_events_specs(), *fact_media_by_date_specs()] if s.blocking]


def held_back(instance, days: Iterable[str], media_ids: Sequence[str]) -> dict[str, list[HeldBack]]:
    """Day -> why it is held, for the days of `days` that are held (none: an empty dict)."""
    from wistia_assets.orchestration.dagster_internals import (
        latest_check_evaluation,
        latest_check_statuses,
    )

    wanted = {
        str(MultiPartitionKey({"date": d, "media_id": m})): (d, m) for d in days for m in media_ids
    }
    if not wanted:
        return {}
    held: dict[str, list[HeldBack]] = {}
    for check_key, partition in latest_check_statuses(
        instance, blocking_check_keys(), sorted(wanted), status="FAILED"
    ):
        if partition not in wanted:
            continue
        # Dagster's automation rule (`check_passed`): any failed latest result of a blocking
        # check holds the day, whatever its severity, so every path holds the same days.
        evaluation = latest_check_evaluation(instance, check_key, partition)
        day, media = wanted[partition]
        held.setdefault(day, []).append(
            HeldBack(
                day,
                media,
                f"{check_key.asset_key.to_user_string()}:{check_key.name}",
                _message(evaluation),
            )
        )
    return {d: sorted(v, key=lambda h: (h.media_id, h.check)) for d, v in sorted(held.items())}


def _message(evaluation) -> str:
    text = (getattr(evaluation, "description", None) or "").strip()
    return " ".join(text.split()) or "the check failed (its metadata in the Dagster UI says how)"


def spans(first: date, last: date, held: Iterable[str]) -> list[tuple[date, date]]:
    """The consecutive days of first..last that are not held, as (first, last) pairs."""
    skip = set(held)
    out: list[list[date]] = []
    day = first
    while day <= last:
        if day.isoformat() not in skip:
            if out and out[-1][1] == day - timedelta(days=1):
                out[-1][1] = day
            else:
                out.append([day, day])
        day += timedelta(days=1)
    return [(a, b) for a, b in out]


def withdraw_gold_days(store: ObjectStore, days: Iterable[str]) -> list[str]:
    """Remove the Gold partitions of held days (an older build would otherwise be served as if
    it were the day's); returns the days that had one."""
    withdrawn = []
    for day in days:
        keys = store.list_keys(day_partition(GOLD_MEDIA_DAILY, day))
        if keys:
            store.delete_keys(keys)
            withdrawn.append(day)
    return withdrawn
