"""Read-only probes of a Wistia account, a few requests each: what `wistia-assets doctor` and the
contract tests measure instead of assuming (what Wistia leaves undocumented, e.g. the account's time
zone and how the events window's ends are read).

Every probe goes through a `WistiaClient`, so each request takes its token from the shared rate
budget and is retried like the pipeline's own. Nothing here writes anything anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from wistia_assets.wistia.account_days import Pull, keyed_events
from wistia_assets.wistia.client import WistiaClient
from wistia_assets.wistia.errors import (
    WistiaAuthError,
    WistiaError,
    WistiaForbiddenError,
    WistiaNotFoundError,
)
from wistia_assets.wistia.read_digest import record_id

# Pages of one probe window before the doctor stops reading it (and reports what it saw).
MAX_PAGES_PER_WINDOW = 10


class ProbeBudgetSpent(Exception):
    """The doctor's request budget is used up; the checks not done yet stay unverified."""


class ProbeBudget:
    """At most `limit` requests of `client` from now on (retries count: they are requests)."""

    def __init__(self, client: WistiaClient, limit: int):
        self.client = client
        self.limit = limit
        self.start = client.stats.requests

    @property
    def used(self) -> int:
        return self.client.stats.requests - self.start

    def check(self, needed: int = 1) -> None:
        if self.used + needed > self.limit:
            raise ProbeBudgetSpent(f"the doctor's budget of {self.limit} requests is spent")


@dataclass
class MediaCheck:
    media_id: str
    found: bool
    name: str | None = None
    problem: str | None = None  # "missing" | "forbidden"


@dataclass
class Access:
    """Whether the token works, what it may read, which media exist, and their by_date rows."""

    rejected: bool = False  # the token itself (401 on a media read)
    media: list[MediaCheck] = field(default_factory=list)
    stats: str = "not checked"  # ok | forbidden | rejected | not checked
    by_date: dict[str, list[dict]] = field(default_factory=dict)  # media -> rows

    def plays(self, media_id: str) -> dict[date, int]:
        return {
            date.fromisoformat(row["date"]): int(row.get("play_count") or 0)
            for row in self.by_date.get(media_id, [])
            if isinstance(row, dict) and isinstance(row.get("date"), str)
        }


def check_access(
    client: WistiaClient, budget: ProbeBudget, media_ids: tuple[str, ...], days: tuple[date, date]
) -> Access:
    """`/medias/{id}.json` for every media (media read), then by_date of each found one over
    `days` (stats read). 401 = the token is rejected; 403 = it lacks that permission."""
    access = Access()
    for media_id in media_ids:
        budget.check()
        try:
            (media,) = client.show_media(media_id).records
        except WistiaAuthError:
            access.rejected = True
            return access
        except WistiaForbiddenError:
            access.media.append(MediaCheck(media_id, False, problem="forbidden"))
            continue
        except WistiaNotFoundError:
            access.media.append(MediaCheck(media_id, False, problem="missing"))
            continue
        access.media.append(MediaCheck(media_id, True, name=str(media.get("name") or "")))
    start, end = days
    for check in access.media:
        if not check.found:
            continue
        budget.check()
        try:
            rows = client.media_by_date(check.media_id, start, end).records
        except (WistiaAuthError, WistiaForbiddenError) as exc:
            access.stats = "rejected" if isinstance(exc, WistiaAuthError) else "forbidden"
            return access
        access.by_date[check.media_id] = rows
        access.stats = "ok"
    return access


@dataclass(frozen=True)
class WindowPull:
    pull: Pull


def pull_window(
    client: WistiaClient,
    budget: ProbeBudget,
    media_id: str,
    start: date,
    end: date,
    *,
    max_pages: int = MAX_PAGES_PER_WINDOW,
) -> WindowPull:
    """The window's events as the pipeline's own pull reads them, cut at `max_pages`."""
    records: list[dict] = []
    pages = client.iter_event_pages(media_id, start, end)
    read = 0
    complete = True
    try:
        for page in pages:
            records.extend(page.records)
            read += 1
            if read >= max_pages and len(page.records) == client.per_page:
                complete = False
                break
            budget.check(needed=0)
    finally:
        pages.close()
    return WindowPull(Pull(start, end, tuple(keyed_events(records)), complete))


@dataclass(frozen=True)
class PerPage:
    cap: int | None  # the most events one page returned (None: not measured)
    below_setting: bool  # a page shorter than per_page was followed by more events
    detail: str


def per_page_cap(
    client: WistiaClient,
    budget: ProbeBudget,
    media_id: str,
    start: date,
    end: date,
    per_page: int,
) -> PerPage:
    """Ask a wide window for `per_page + 1` events (above Wistia's documented cap of 100 when
    per_page is 100), and, when that comes back short of `per_page`, whether a page 2 follows:
    a cap below WISTIA_PER_PAGE would make every full page look like the last one."""
    budget.check()
    over = client.event_page(media_id, start, end, 1, per_page=per_page + 1)
    got = len(over.records)
    if got >= per_page:
        return PerPage(got, False, f"asked for {per_page + 1}, got {got}")
    budget.check()
    try:
        second = client.event_page(media_id, start, end, 2, per_page=got or 1)
    except WistiaError:  # Wistia's answer past the end: there was no second page
        more = False
    else:
        more = bool(second.records) and [record_id(r) for r in second.records] != [
            record_id(r) for r in over.records
        ]
    if more and got:
        return PerPage(got, True, f"asked for {per_page + 1}, got {got}, then more")
    return PerPage(None, False, f"only {got} events in {start}..{end}: cap not reached")


@dataclass(frozen=True)
class PastEnd:
    answer: str  # "empty array" | "repeat of the last page" | "HTTP <status>" | "other records"
    status: int | None
    detail: str


def past_end_answer(
    client: WistiaClient, budget: ProbeBudget, media_id: str, pull: Pull
) -> PastEnd | None:
    """What Wistia answers for the page just past the end of a window whose size is known
    (a complete, non-empty `pull`), asked with a page size that makes its last page full."""
    count = len(pull.events)
    if not pull.complete or count == 0:
        return None
    per_page = max(d for d in range(1, min(count, 100) + 1) if count % d == 0)
    page = count // per_page + 1
    budget.check()
    try:
        answer = client.event_page(media_id, pull.start, pull.end, page, per_page=per_page)
    except WistiaError as exc:
        return PastEnd(f"HTTP {exc.status}", exc.status, _where(page, per_page, count))
    where = _where(page, per_page, count)
    keys = [record_id(r) for r in answer.records]
    if not keys:
        return PastEnd("empty array", None, where)
    if keys == [key for key, _ in pull.events[-per_page:]]:
        return PastEnd("repeat of the last page", None, where)
    return PastEnd("other records", None, where)


def recent_days(today: date, lookback: int = 21) -> tuple[date, date]:
    """The by_date range the doctor looks at: the last `lookback` days before today."""
    return today - timedelta(days=lookback), today - timedelta(days=1)


def _where(page: int, per_page: int, count: int) -> str:
    return f"page {page} at per_page={per_page} of a {count}-event window"
