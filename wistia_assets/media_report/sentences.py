"""The report's comparisons, one sentence each, written from the figures: which media is ahead,
by how much, and what each one's value is. Nothing is canned: with other numbers the sentence
says other things (ahead/behind, rose/fell, the same), and a figure that is missing is said so.
"""

from __future__ import annotations

from wistia_assets.media_report.figures import LABELS, UNITS, Media, ReportFigures, format_value

# Each compared metric and how a sentence names it ("was played on 41 % of its loads").
PHRASES = {
    "play_rate": "was played on {v} of its loads",
    "plays": "was played {v} times",
    "hours_watched": "was watched for {v}",
    "unique_visitors": "reached {v} unique visitors",
    "mean_percent_viewed": "was watched to {v} of its length on average",
    "watched_75_share": "kept {v} of its viewers past three quarters of the video",
    "mobile_share": "was watched on a mobile device in {v} of the sessions whose device is known",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _difference(metric: str, high: float, low: float) -> str:
    """How far the first value is above the second, in the metric's own terms."""
    if UNITS[metric] == "share":
        return f"{(high - low) * 100:.0f} percentage points higher"
    if low <= 0:
        return "ahead of none"
    ratio = high / low
    if ratio >= 1.95:
        return f"{ratio:.1f} times as {'much' if UNITS[metric] == 'hours' else 'many'}"
    return f"{(ratio - 1) * 100:.0f} % more"


def compare(figures: ReportFigures, metric: str) -> str:
    """`the YouTube media was played on 41 % of its loads, the Facebook media on 18 % (23
    percentage points less)`; with one media a plain statement, with no data a plain absence."""
    unit = UNITS[metric]
    totals = ((m, figures.total(m.media_id, metric)) for m in figures.media)
    known = [(m, value) for m, value in totals if value is not None]
    if not known:
        return f"{LABELS[metric]}: no data in this range."
    known.sort(key=lambda mv: (-mv[1], mv[0].label))
    phrase = PHRASES[metric]
    first, first_value = known[0]
    text = f"{_capital(first.name)} {phrase.format(v=format_value(first_value, unit))}"
    if len(known) == 1:
        return text + "."
    parts = []
    for media, value in known[1:]:
        if format_value(value, unit) == format_value(first_value, unit):
            parts.append(f"{media.name} the same")
        else:
            shown = format_value(value, unit)
            parts.append(
                f"{media.name} {shown} ({first.label} {_difference(metric, first_value, value)})"
            )
    return f"{text}; {', '.join(parts)}."


def trend(figures: ReportFigures, media: Media, metric: str = "plays") -> str | None:
    """How a media's metric moved from its first to its last built day of the range."""
    days = [d for d in figures.days if (d, media.media_id) in figures.daily]
    if len(days) < 2:
        return None
    start, end = days[0], days[-1]
    a = figures.value(start, media.media_id, metric) or 0
    b = figures.value(end, media.media_id, metric) or 0
    unit = UNITS[metric]
    what = LABELS[metric].lower()
    if a == b:
        return f"{media.label}: {what} were {format_value(a, unit)} on {start} and on {end}."
    verb = "rose" if b > a else "fell"
    change = f" ({(b - a) / a * 100:+.0f} %)" if a else ""
    return (
        f"{media.label}: {what} {verb} from {format_value(a, unit)} on {start} to "
        f"{format_value(b, unit)} on {end}{change}."
    )


def top_label(figures: ReportFigures, media: Media, dimension: str) -> str | None:
    rows = [r for r in figures.top(media.media_id, dimension) if not r[0].startswith("(")]
    total = sum(n for _, n in figures.top(media.media_id, dimension))
    if not rows or not total:
        return None
    label, n = rows[0]
    return f"{label} ({n / total * 100:.0f} % of its sessions)"


def where_from(figures: ReportFigures, dimension: str = "country") -> str | None:
    parts = []
    for media in figures.media:
        top = top_label(figures, media, dimension)
        if top:
            parts.append(f"{media.label} from {top}")
    if not parts:
        return None
    return f"Most sessions came, for {'; for '.join(parts)}."


def sentences(figures: ReportFigures) -> list[str]:
    out = [compare(figures, metric) for metric in PHRASES]
    where = where_from(figures, "country")
    if where:
        out.append(where)
    for media in figures.media:
        moved = trend(figures, media)
        if moved:
            out.append(moved)
    return out
