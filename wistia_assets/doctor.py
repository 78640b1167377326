"""`wistia-assets doctor`: what the account's API does, next to what the pipeline assumes.

A read-only preflight for the first day with a real token (and for any later doubt). With a few
dozen requests from the shared rate budget it checks the token and its permissions, every
`MEDIA_IDS` entry, the `per_page` cap, the answer to a page past the end, and how the events
endpoint reads its dates: which ends are inclusive and where the account's day starts. The
verdicts compare that with the settings the pipeline uses (`WISTIA_EVENTS_WINDOW`,
`WISTIA_ACCOUNT_TIMEZONE`, `WISTIA_PER_PAGE`), through the same `event_window` the pipeline
calls, so applying what the doctor recommends is exactly what makes the pipeline right.

No Dagster here and no printing: `examine()` returns a `Report`; `commands/doctor.py` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from wistia_assets.settings import Settings
from wistia_assets.wistia.account_days import (
    DayStart,
    Pull,
    Semantics,
    day_bounds,
    day_start,
    format_offset,
    midnight,
    suggest,
    window_semantics,
    zone_offset,
)
from wistia_assets.wistia.client import WistiaClient
from wistia_assets.wistia.errors import WistiaAuthError, WistiaError, WistiaForbiddenError
from wistia_assets.wistia.event_pull import NOT_AN_END
from wistia_assets.wistia.probes import (
    Access,
    PastEnd,
    ProbeBudget,
    ProbeBudgetSpent,
    check_access,
    past_end_answer,
    per_page_cap,
    pull_window,
    recent_days,
)
from wistia_assets.wistia.windows import event_window

# Requests the doctor may spend besides one per media (media read) and one per media (by_date).
MAX_REQUESTS = 60
# The probe day: old enough that late events have arrived (up to ~20 h after a day ends) and
# its next day is over in every zone; recent enough to be within by_date's lookback.
NEWEST_PROBE_AGE, OLDEST_PROBE_AGE = 3, 18
OK, CHANGE, UNVERIFIED, INFO = "ok", "CHANGE", "unverified", "info"


@dataclass(frozen=True)
class Row:
    check: str
    found: str
    assumed: str
    verdict: str


@dataclass(frozen=True)
class Change:
    setting: str
    value: str | None  # None: no single value to recommend (the message says what to choose)
    why: str

    def line(self) -> str:
        what = f"{self.setting}={self.value}" if self.value is not None else self.setting
        return f"change {what}: {self.why}"


@dataclass
class Report:
    source: str
    base_url: str
    media_id: str | None = None
    day: date | None = None
    requests: int = 0
    rows: list[Row] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        unverified = any(r.verdict == UNVERIFIED for r in self.rows)
        return 1 if self.changes or unverified else 0

    def add(self, check: str, found: str, assumed: str, verdict: str) -> None:
        self.rows.append(Row(check, found, assumed, verdict))


def examine(
    settings: Settings,
    client: WistiaClient,
    *,
    today: date,
    day: date | None = None,
    media_id: str | None = None,
    max_requests: int = MAX_REQUESTS,
) -> Report:
    report = Report(settings.source, settings.wistia_base_url)
    budget = ProbeBudget(client, max_requests + 2 * len(settings.media_ids))
    try:
        _examine(settings, client, budget, report, today=today, day=day, media_id=media_id)
    except ProbeBudgetSpent as exc:
        report.notes.append(f"stopped early: {exc}; the checks not shown are unverified")
        report.add("request budget", f"{budget.limit} requests spent", "-", UNVERIFIED)
    except WistiaError as exc:  # an outage, a wrong base URL: the checks not shown are unknown
        report.notes.append(f"stopped early: {exc}")
        report.add("Wistia", f"stopped answering ({type(exc).__name__})", "-", UNVERIFIED)
    report.requests = budget.used
    return report


def _examine(
    settings: Settings,
    client: WistiaClient,
    budget: ProbeBudget,
    report: Report,
    *,
    today: date,
    day: date | None,
    media_id: str | None,
) -> None:
    first, last = recent_days(today)
    if day is not None:
        first = min(first, day - timedelta(days=1))
    access = check_access(client, budget, settings.media_ids, (first, last))
    if not _access_rows(settings, access, report):
        return
    chosen = choose_day(
        {m.media_id: access.plays(m.media_id) for m in access.media if m.found},
        today,
        day=day,
        media_id=media_id,
    )
    _hours_watched_row(access, report)
    if chosen is None:
        oldest, newest = (today - timedelta(days=n) for n in (OLDEST_PROBE_AGE, NEWEST_PROBE_AGE))
        wanted = f"on {day}" if day else f"from {oldest} to {newest}"
        report.add(
            "events window",
            f"no plays {wanted} (by_date) for {media_id or 'any media'}",
            f"WISTIA_EVENTS_WINDOW={settings.events_window}",
            UNVERIFIED,
        )
        report.notes.append("run again with --date YYYY-MM-DD of a day with plays (by_date)")
        return
    report.media_id, report.day = chosen
    try:
        _window_rows(settings, client, budget, report, access.plays(chosen[0]))
    except (WistiaAuthError, WistiaForbiddenError) as exc:
        report.add("stats read (events)", f"refused: {exc.status}", "WISTIA_API_TOKEN", CHANGE)
        report.changes.append(
            Change("WISTIA_API_TOKEN", None, f"the token may not read events: {exc}")
        )


# -- token, media, stats --------------------------------------------------------------------------


def _access_rows(settings: Settings, access: Access, report: Report) -> bool:
    """The token / MEDIA_IDS / stats rows; False when nothing further can be checked."""
    token = "WISTIA_API_TOKEN" if settings.wistia_api_token else "(sandbox: no token)"
    if access.rejected:
        report.add("token", "rejected (401)", token, CHANGE)
        report.changes.append(
            Change("WISTIA_API_TOKEN", None, "Wistia rejects it: use a current token instead")
        )
        return False
    found = [m for m in access.media if m.found]
    forbidden = [m.media_id for m in access.media if m.problem == "forbidden"]
    missing = [m.media_id for m in access.media if m.problem == "missing"]
    media_read = "refused (403)" if forbidden else "ok"
    report.add("token", f"valid; media read {media_read}; stats read {access.stats}", token, OK)
    if forbidden:
        report.rows[-1] = Row(
            "token", f"valid; media read refused (403) for {', '.join(forbidden)}", token, CHANGE
        )
        report.changes.append(
            Change(
                "WISTIA_API_TOKEN",
                None,
                "it may not read media: give it 'Read all folder and media data'",
            )
        )
    names = ", ".join(f"{m.media_id} {_short(m.name)!r}" for m in found) or "none"
    if missing:
        report.add("MEDIA_IDS", f"not in the account: {', '.join(missing)}", "MEDIA_IDS", CHANGE)
        report.changes.append(
            Change(
                "MEDIA_IDS",
                ",".join(m.media_id for m in found) or None,
                f"{', '.join(missing)} not found in this account (found: {names})",
            )
        )
    else:
        report.add("MEDIA_IDS", f"all found: {names}", "MEDIA_IDS", OK if found else UNVERIFIED)
    if access.stats in ("forbidden", "rejected"):
        status = "403" if access.stats == "forbidden" else "401"
        report.rows[0] = Row(
            "token", f"valid for media; stats read refused ({status})", token, CHANGE
        )
        report.changes.append(
            Change(
                "WISTIA_API_TOKEN",
                None,
                f"it may not read stats ({status}): give it 'Read detailed stats' "
                "(or the account's plan lacks stats)",
            )
        )
        return False
    return bool(found)


def _hours_watched_row(access: Access, report: Report) -> None:
    """Whether by_date's hours_watched is a sum of viewing or plays x a constant (observed of
    the real API): for information, the pipeline stores it as sent and reconciles only plays."""
    per_media = {
        media: {
            round(r["hours_watched"] / r["play_count"], 9)
            for r in rows
            if isinstance(r, dict) and r.get("play_count") and r.get("hours_watched")
        }
        for media, rows in access.by_date.items()
    }
    constant = sorted(m for m, values in per_media.items() if len(values) == 1)
    varying = sorted(m for m, values in per_media.items() if len(values) > 1)
    if constant and not varying:
        found = "hours per play the same every day: a derived figure"
    elif varying and not constant:
        found = "hours per play varies by day: a sum of viewing"
    elif constant:
        found = f"a derived figure for {', '.join(constant)}, a sum for {', '.join(varying)}"
    else:
        return
    report.add("by_date hours_watched", found, "stored as sent, never reconciled", INFO)


# -- the events window ----------------------------------------------------------------------------


def choose_day(
    plays: dict[str, dict[date, int]],
    today: date,
    *,
    day: date | None = None,
    media_id: str | None = None,
) -> tuple[str, date] | None:
    """The (media, day) to probe: a day with plays whose neighbours have plays too (their
    events bound the day's start), cheapest to read; `day`/`media_id` pin either."""
    candidates = []
    for media, by_day in plays.items():
        if media_id is not None and media != media_id:
            continue
        days = (
            [day]
            if day is not None
            else [today - timedelta(days=n) for n in range(NEWEST_PROBE_AGE, OLDEST_PROBE_AGE + 1)]
        )
        for d in days:
            own = by_day.get(d, 0)
            if own <= 0:
                continue
            prev, nxt = by_day.get(d - timedelta(days=1), 0), by_day.get(d + timedelta(days=1), 0)
            pages = 3 * ceil(own / 100) + ceil(prev / 100) + ceil(nxt / 100)
            candidates.append((not (prev and nxt), pages, -d.toordinal(), media, d))
    if not candidates:
        return None
    *_, media, chosen = min(candidates)
    return media, chosen


def _window_rows(
    settings: Settings,
    client: WistiaClient,
    budget: ProbeBudget,
    report: Report,
    plays: dict[date, int],
) -> None:
    media, day = report.media_id, report.day
    prev, nxt = day - timedelta(days=1), day + timedelta(days=1)
    pulls = {
        (day, day): pull_window(client, budget, media, day, day),
        (day, nxt): pull_window(client, budget, media, day, nxt),
        (prev, day): pull_window(client, budget, media, prev, day),
    }
    one_day, later, earlier = (pulls[k].pull for k in ((day, day), (day, nxt), (prev, day)))
    wider = None
    if not (one_day.events or later.events or earlier.events):
        pulls[(prev, nxt)] = pull_window(client, budget, media, prev, nxt)
        wider = pulls[(prev, nxt)].pull
    semantics = window_semantics(one_day, later, earlier, wider, plays)
    _semantics_rows(settings, report, semantics, pulls)
    start = None
    if semantics.value is not None:
        start = day_start(day_bounds(semantics.value, one_day, later, earlier, wider))
        _day_start_row(settings, report, start)
    _per_page_row(settings, client, budget, report, media, plays)
    _past_end_row(client, budget, report, media, [p.pull for p in pulls.values()])
    if semantics.value is not None and start is not None and start.measured:
        _request_row(settings, report, semantics.value, start)


def _ends(semantics: str) -> tuple[str, str]:
    start = "exclusive" if semantics in ("start-exclusive", "exclusive") else "inclusive"
    end = "exclusive" if semantics in ("end-exclusive", "exclusive") else "inclusive"
    return start, end


def _semantics_rows(settings: Settings, report: Report, semantics: Semantics, pulls) -> None:
    assumed = _ends(settings.events_window)
    sizes = ", ".join(
        f"({a}, {b}): {len(p.pull.events)}{'' if p.pull.complete else '+'}"
        for (a, b), p in pulls.items()
    )
    report.notes.append(f"events pulled by window: {sizes}")
    setting = f"WISTIA_EVENTS_WINDOW={settings.events_window}"
    if semantics.value is None:
        report.add("start_date / end_date", f"undecided: {semantics.reason}", setting, UNVERIFIED)
        return
    found = _ends(semantics.value)
    for name, measured, expected in zip(("start_date", "end_date"), found, assumed, strict=True):
        report.add(name, measured, setting, OK if measured == expected else CHANGE)
    if semantics.value != settings.events_window:
        report.changes.append(
            Change(
                "WISTIA_EVENTS_WINDOW",
                semantics.value,
                f"start_date is {found[0]} and end_date {found[1]} ({semantics.reason})",
            )
        )


def _day_start_row(settings: Settings, report: Report, start: DayStart) -> None:
    zone = settings.account_timezone
    offset = format_offset(zone_offset(zone, start.day))
    configured = f"WISTIA_ACCOUNT_TIMEZONE={zone.key} ({offset})"
    if not start.measured:
        report.add("account day start", start.describe(), configured, UNVERIFIED)
        return
    if start.fits(zone):
        report.add("account day start", start.describe(), configured, OK)
        return
    report.add("account day start", start.describe(), configured, CHANGE)
    names = suggest(start.zones)
    if names:
        why = f"the account's days start at {start.describe()}, e.g. {', '.join(names)}"
        why += ": pick the zone set in the Wistia account's settings"
    else:
        why = f"the account's days start at {start.describe()}, which no IANA zone matches"
    report.changes.append(Change("WISTIA_ACCOUNT_TIMEZONE", names[0] if names else None, why))


def _per_page_row(settings, client, budget, report, media, plays) -> None:
    if not plays:
        return
    first, last = min(plays), max(plays)
    cap = per_page_cap(client, budget, media, first, last, settings.per_page)
    assumed = f"WISTIA_PER_PAGE={settings.per_page}"
    if cap.below_setting:
        report.add("per_page cap", f"{cap.cap} ({cap.detail})", assumed, CHANGE)
        report.changes.append(
            Change(
                "WISTIA_PER_PAGE",
                str(cap.cap),
                f"Wistia returns at most {cap.cap} events a page: with {settings.per_page}, "
                "every full page would look like the last one",
            )
        )
    elif cap.cap is None:
        report.add("per_page cap", cap.detail, assumed, INFO)
    else:
        report.add("per_page cap", f"{cap.cap} ({cap.detail})", assumed, OK)
    if settings.first_page != 1:
        report.add("first page", "pages start at 1", f"WISTIA_PAGE={settings.first_page}", CHANGE)
        report.changes.append(
            Change("WISTIA_PAGE", "1", f"pages 1-{settings.first_page - 1} of each day are skipped")
        )


def _past_end_row(client, budget, report, media, pulls: list[Pull]) -> None:
    known = next((p for p in pulls if p.complete and p.events), None)
    answer: PastEnd | None = (
        past_end_answer(client, budget, media, known) if known is not None else None
    )
    handled = "the end of a day of exactly 100 x k events"
    if answer is None:
        report.add("page past the end", "not measured (no complete window)", handled, INFO)
        return
    if answer.answer == "other records":
        report.add("page past the end", f"{answer.answer} ({answer.detail})", handled, UNVERIFIED)
        report.notes.append(
            "Wistia answered a page past the end with events that are not the last page's: "
            "the pull cannot tell where a day of exactly 100 x k events ends"
        )
        return
    if answer.status in NOT_AN_END:
        report.add("page past the end", answer.answer, handled, UNVERIFIED)
        report.notes.append(
            f"Wistia answered a page past the end with {answer.answer}, which the pull takes "
            "for a failure: a day of exactly 100 x k events would fail (no setting changes it)"
        )
        return
    cost = ""
    if answer.status is not None:
        cost = "; costs 2 confirming requests on such days"
        if answer.status >= 500:
            cost = "; retried first: such days take ~1 min longer"
    report.add("page past the end", f"{answer.answer} ({answer.detail})", f"handled{cost}", OK)


def _request_row(settings: Settings, report: Report, semantics: str, start: DayStart) -> None:
    """What the pipeline will ask for UTC day D with the current settings, and whether that
    covers the UTC day under what was measured."""
    utc_day = report.day
    window = event_window(utc_day, settings.account_timezone, settings.events_window)
    asked = f"{window.start_date}..{window.end_date}"
    first, last = window.start_date, window.end_date
    if semantics in ("start-exclusive", "exclusive"):
        first += timedelta(days=1)
    if semantics in ("end-exclusive", "exclusive"):
        last -= timedelta(days=1)
    model = ZoneInfo(start.zones[0]) if start.zones else None
    if first > last or model is None:
        covered = first <= last
        detail = "no day at all" if not covered else "days in an unknown zone"
    else:
        begins = datetime(first.year, first.month, first.day, tzinfo=model)
        after = last + timedelta(days=1)
        ends = datetime(after.year, after.month, after.day, tzinfo=model)
        covered = begins <= midnight(utc_day) and midnight(utc_day + timedelta(days=1)) <= ends
        detail = f"account days {first}..{last}"
    verdict = OK if covered else CHANGE
    what = f"asks {asked}, gets {detail}: {'covers it' if covered else 'misses part of it'}"
    report.add(f"request for UTC {utc_day}", what, "the settings above", verdict)


def _short(name: str | None, limit: int = 24) -> str:
    name = name or ""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def render(report: Report) -> str:
    where = f"{report.base_url} ({'built-in sandbox' if report.source == 'sandbox' else 'Wistia'})"
    probe = f", media {report.media_id}, day {report.day}" if report.day else ""
    lines = [f"wistia-assets doctor: {where}{probe}, {report.requests} requests", ""]
    header = Row("check", "found", "pipeline assumes", "verdict")
    rows = [header, *report.rows]
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("check", "found", "assumed")]
    for row in rows:
        cells = (row.check, row.found, row.assumed)
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + row.verdict
        )
    lines.append("")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.extend(change.line() for change in report.changes)
    if report.exit_code == 0:
        lines.append("ok: the API behaves as the pipeline is configured")
    elif not report.changes:
        lines.append("unverified: see the rows above; no setting to change was found")
    return "\n".join(lines) + "\n"
