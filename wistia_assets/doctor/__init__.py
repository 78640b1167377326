"""`wistia-assets doctor`: what the account's API does, next to what the pipeline assumes.

A read-only preflight for the first day with a real token (and for any later doubt). With a few
dozen requests from the shared rate budget it checks the token and its permissions, every
configured media id, the `per_page` cap, the answer to a page past the end, and how the events
endpoint reads its dates: which ends are inclusive and where the account's day starts. The
verdicts compare that with the settings the pipeline uses (`events_window`, `account_timezone`,
`per_page`: the report names their variables from the settings models), through the same
`event_window` the pipeline calls, so applying what the doctor recommends is exactly what makes
the pipeline right.

`report.py` holds the report and its printing, `access.py` the token and media checks,
`window.py` the events-window checks; `examine` runs them in order.

No Dagster here and no printing: `examine()` returns a `Report`; `commands/doctor.py` prints it.
"""

from __future__ import annotations

from datetime import date, timedelta

from wistia_assets.doctor.access import access_rows, hours_watched_row
from wistia_assets.doctor.report import (
    CHANGE,
    INFO,
    OK,
    UNVERIFIED,
    Change,
    Report,
    Row,
    assumed,
    render,
    setting,
)
from wistia_assets.doctor.window import (
    NEWEST_PROBE_AGE,
    OLDEST_PROBE_AGE,
    choose_day,
    window_rows,
)
from wistia_assets.settings import Settings
from wistia_assets.wistia.client import WistiaClient
from wistia_assets.wistia.errors import WistiaAuthError, WistiaError, WistiaForbiddenError
from wistia_assets.wistia.probes import ProbeBudget, ProbeBudgetSpent, check_access, recent_days

__all__ = [
    "CHANGE",
    "INFO",
    "MAX_REQUESTS",
    "OK",
    "UNVERIFIED",
    "Change",
    "Report",
    "Row",
    "choose_day",
    "examine",
    "render",
]

# Requests the doctor may spend besides one per media (media read) and one per media (by_date).
MAX_REQUESTS = 60


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
    if not access_rows(settings, access, report):
        return
    chosen = choose_day(
        {m.media_id: access.plays(m.media_id) for m in access.media if m.found},
        today,
        day=day,
        media_id=media_id,
    )
    hours_watched_row(access, report)
    if chosen is None:
        oldest, newest = (today - timedelta(days=n) for n in (OLDEST_PROBE_AGE, NEWEST_PROBE_AGE))
        wanted = f"on {day}" if day else f"from {oldest} to {newest}"
        report.add(
            "events window",
            f"no plays {wanted} (by_date) for {media_id or 'any media'}",
            assumed("events_window", settings.events_window),
            UNVERIFIED,
        )
        report.notes.append("run again with --date YYYY-MM-DD of a day with plays (by_date)")
        return
    media, day = chosen
    report.media_id, report.day = media, day
    try:
        window_rows(settings, client, budget, report, media, day, access.plays(media))
    except (WistiaAuthError, WistiaForbiddenError) as exc:
        report.add(
            "stats read (events)", f"refused: {exc.status}", setting("wistia_api_token"), CHANGE
        )
        report.changes.append(
            Change("wistia_api_token", None, f"the token may not read events: {exc}")
        )
