"""The doctor's first checks: the token and its permissions, every configured media, and what
by_date's hours_watched is."""

from __future__ import annotations

from wistia_assets.doctor.report import CHANGE, INFO, OK, UNVERIFIED, Change, Report, Row, setting
from wistia_assets.settings import Settings
from wistia_assets.wistia.probes import Access


def access_rows(settings: Settings, access: Access, report: Report) -> bool:
    """The token / media ids / stats rows; False when nothing further can be checked."""
    media = setting("media_ids")
    token = setting("wistia_api_token") if settings.wistia_api_token else "(sandbox: no token)"
    if access.rejected:
        report.add("token", "rejected (401)", token, CHANGE)
        report.changes.append(
            Change("wistia_api_token", None, "Wistia rejects it: use a current token instead")
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
                "wistia_api_token",
                None,
                "it may not read media: give it 'Read all folder and media data'",
            )
        )
    names = ", ".join(f"{m.media_id} {_short(m.name)!r}" for m in found) or "none"
    if missing:
        report.add(media, f"not in the account: {', '.join(missing)}", media, CHANGE)
        report.changes.append(
            Change(
                "media_ids",
                ",".join(m.media_id for m in found) or None,
                f"{', '.join(missing)} not found in this account (found: {names})",
            )
        )
    else:
        report.add(media, f"all found: {names}", media, OK if found else UNVERIFIED)
    if access.stats in ("forbidden", "rejected"):
        status = "403" if access.stats == "forbidden" else "401"
        report.rows[0] = Row(
            "token", f"valid for media; stats read refused ({status})", token, CHANGE
        )
        report.changes.append(
            Change(
                "wistia_api_token",
                None,
                f"it may not read stats ({status}): give it 'Read detailed stats' "
                "(or the account's plan lacks stats)",
            )
        )
        return False
    return bool(found)


def hours_watched_row(access: Access, report: Report) -> None:
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


def _short(name: str | None, limit: int = 24) -> str:
    name = name or ""
    return name if len(name) <= limit else name[: limit - 1] + "…"
