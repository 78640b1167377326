"""The doctor's window checks: which (media, day) to probe, how the events endpoint reads its
dates, where the account's day starts, the per_page cap, the answer to a page past the end, and
what the pipeline will ask for a UTC day with the current settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from wistia_assets.doctor.report import CHANGE, INFO, OK, UNVERIFIED, Change, Report, assumed
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
from wistia_assets.wistia.event_pull import NOT_AN_END
from wistia_assets.wistia.probes import (
    PastEnd,
    ProbeBudget,
    past_end_answer,
    per_page_cap,
    pull_window,
)
from wistia_assets.wistia.windows import event_window

# The probe day: old enough that late events have arrived (up to ~20 h after a day ends) and
# its next day is over in every zone; recent enough to be within by_date's lookback.
NEWEST_PROBE_AGE, OLDEST_PROBE_AGE = 3, 18


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


def window_rows(
    settings: Settings,
    client: WistiaClient,
    budget: ProbeBudget,
    report: Report,
    media: str,
    day: date,
    plays: dict[date, int],
) -> None:
    """The window rows for the probe's (media, day) and that media's plays by day."""
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
        _request_row(settings, report, day, semantics.value, start)


def _ends(semantics: str) -> tuple[str, str]:
    start = "exclusive" if semantics in ("start-exclusive", "exclusive") else "inclusive"
    end = "exclusive" if semantics in ("end-exclusive", "exclusive") else "inclusive"
    return start, end


def _semantics_rows(settings: Settings, report: Report, semantics: Semantics, pulls) -> None:
    expected_ends = _ends(settings.events_window)
    sizes = ", ".join(
        f"({a}, {b}): {len(p.pull.events)}{'' if p.pull.complete else '+'}"
        for (a, b), p in pulls.items()
    )
    report.notes.append(f"events pulled by window: {sizes}")
    configured = assumed("events_window", settings.events_window)
    if semantics.value is None:
        report.add(
            "start_date / end_date", f"undecided: {semantics.reason}", configured, UNVERIFIED
        )
        return
    found = _ends(semantics.value)
    for name, measured, expected in zip(
        ("start_date", "end_date"), found, expected_ends, strict=True
    ):
        report.add(name, measured, configured, OK if measured == expected else CHANGE)
    if semantics.value != settings.events_window:
        report.changes.append(
            Change(
                "events_window",
                semantics.value,
                f"start_date is {found[0]} and end_date {found[1]} ({semantics.reason})",
            )
        )


def _day_start_row(settings: Settings, report: Report, start: DayStart) -> None:
    zone = settings.account_timezone
    offset = format_offset(zone_offset(zone, start.day))
    configured = f"{assumed('account_timezone', zone.key)} ({offset})"
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
    report.changes.append(Change("account_timezone", names[0] if names else None, why))


def _per_page_row(settings, client, budget, report, media, plays) -> None:
    if not plays:
        return
    first, last = min(plays), max(plays)
    cap = per_page_cap(client, budget, media, first, last, settings.per_page)
    configured = assumed("per_page", settings.per_page)
    if cap.below_setting:
        report.add("per_page cap", f"{cap.cap} ({cap.detail})", configured, CHANGE)
        report.changes.append(
            Change(
                "per_page",
                str(cap.cap),
                f"Wistia returns at most {cap.cap} events a page: with {settings.per_page}, "
                "every full page would look like the last one",
            )
        )
    elif cap.cap is None:
        report.add("per_page cap", cap.detail, configured, INFO)
    else:
        report.add("per_page cap", f"{cap.cap} ({cap.detail})", configured, OK)
    if settings.first_page != 1:
        report.add(
            "first page", "pages start at 1", assumed("first_page", settings.first_page), CHANGE
        )
        report.changes.append(
            Change("first_page", "1", f"pages 1-{settings.first_page - 1} of each day are skipped")
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


def _request_row(
    settings: Settings, report: Report, utc_day: date, semantics: str, start: DayStart
) -> None:
    """What the pipeline will ask for UTC day D with the current settings, and whether that
    covers the UTC day under what was measured."""
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
