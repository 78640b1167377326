"""The report as one self-contained HTML file (inline SVG charts, inline CSS, no script, nothing
fetched), and the markdown summary the Dagster UI shows on the materialization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from wistia_assets.media_report import charts
from wistia_assets.media_report.figures import LABELS, METRICS, UNITS, ReportFigures, format_value
from wistia_assets.media_report.sentences import sentences
from wistia_assets.transforms.columns import MEDIA_DAILY

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:62rem;color:#111;line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid
#ccc}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #bbb;
padding:.2rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}
.meta{color:#444;font-size:.9rem}.missing{color:#777;font-style:italic}svg{max-width:100%;
height:auto}figure{margin:1rem 0}dl{font-size:.85rem}dt{font-weight:600}dd{margin:0 0 .4rem 1rem}
"""


@dataclass(frozen=True)
class RenderedReport:
    html: str
    summary_markdown: str
    sentences: list[str]
    chart_pngs: dict[str, str]  # chart name -> data URI (for the Dagster UI)


def _spans(by_day: dict[str, list]) -> list[tuple[str, list]]:
    """Consecutive days that lack the same media, as `first..last` (or the one day)."""
    spans: list[list] = []
    for day, media in by_day.items():
        previous = spans[-1] if spans else None
        if (
            previous
            and previous[2] == media
            and date.fromisoformat(day) - date.fromisoformat(previous[1]) == timedelta(days=1)
        ):
            previous[1] = day
        else:
            spans.append([day, day, media])
    return [(a if a == b else f"{a}..{b}", media) for a, b, media in spans]


def coverage(figures: ReportFigures) -> str:
    days = figures.days
    missing = figures.missing_by_day()
    built = len(days) - len(missing) - len(figures.held)
    text = (
        f"Covers {figures.first} to {figures.last} ({len(days)} UTC days): {built} of "
        f"{len(days)} days built for every media."
    )
    if missing:
        lacking = "; ".join(
            f"{span} ({', '.join(m.label for m in media)})" for span, media in _spans(missing)
        )
        text += f" Not built yet, shown as missing: {lacking}."
    if figures.held:
        text += (
            " Held back, because a blocking check of the day's Silver failed (built again "
            "once a later pull passes): "
            + "; ".join(f"{day} ({' '.join(why)})" for day, why in figures.held.items())
            + "."
        )
    quiet = figures.quiet()
    if quiet:
        text += (
            " Built with no play, shown as zero: "
            + "; ".join(f"{day} ({m.label})" for day, m in quiet)
            + "."
        )
    return text


def _summary_rows(figures: ReportFigures) -> tuple[list[str], list[list[str]]]:
    header = ["metric", *[m.label for m in figures.media]]
    rows = [["days built", *[str(figures.total(m.media_id, "days") or 0) for m in figures.media]]]
    for key, label, unit in METRICS:
        rows.append(
            [label, *[format_value(figures.total(m.media_id, key), unit) for m in figures.media]]
        )
    return header, rows


def summary_markdown(figures: ReportFigures) -> str:
    header, rows = _summary_rows(figures)
    titles = "; ".join(f"{m.label}: {m.title} ({m.media_id})" for m in figures.media)
    lines = [
        f"**{figures.first} to {figures.last}** — {titles}",
        "",
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *["| " + " | ".join(r) + " |" for r in rows],
    ]
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _daily_table(figures: ReportFigures) -> str:
    metrics = [key for key, _, _ in METRICS]
    header = ["day", "media", *[LABELS[k] for k in metrics]]
    rows = []
    for day in figures.days:
        for media in figures.media:
            if day in figures.held:
                rows.append([day, media.label, "held back", *[""] * (len(metrics) - 1)])
                continue
            if (day, media.media_id) in figures.missing:
                rows.append([day, media.label, "missing (not built)", *[""] * (len(metrics) - 1)])
                continue
            rows.append(
                [
                    day,
                    media.label,
                    *[
                        format_value(figures.value(day, media.media_id, k), UNITS[k])
                        for k in metrics
                    ],
                ]
            )
    return _table(header, rows)


def render(figures: ReportFigures, *, source: str, generated_at: str) -> RenderedReport:
    drawn = charts.all_charts(figures)
    said = sentences(figures)
    header, rows = _summary_rows(figures)
    media_list = "".join(
        f"<li><b>{escape(m.label)}</b>: {escape(m.title)} ({escape(m.media_id)}, channel "
        f"{escape(m.channel)})</li>"
        for m in figures.media
    )
    definitions = "".join(
        f"<dt>{escape(c.name)}</dt><dd>{escape(c.description)}</dd>" for c in MEDIA_DAILY.columns
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Media report {figures.first} to {figures.last}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Media report, {figures.first} to {figures.last}</h1>",
        f'<p class="meta">Source: {escape(source)}. Generated {escape(generated_at)} from the '
        "Gold table media_daily and the Silver tables fact_events and dim_media.</p>",
        f"<ul>{media_list}</ul>",
        f"<p>{escape(coverage(figures))}</p>",
        "<h2>Side by side</h2>",
        "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in said) + "</ul>",
        _table(header, rows),
        "<h2>Daily trend</h2>",
        f"<figure>{charts.svg(drawn['trends'])}</figure>",
        "<h2>Engagement</h2>",
        f"<figure>{charts.svg(drawn['engagement'])}</figure>",
        "<h2>Audience</h2>",
        f"<figure>{charts.svg(drawn['audience'])}</figure>",
        '<p class="meta">Regions are as Wistia sent them: current payloads name them '
        "(Florida), legacy ones give a code (FL). Device, browser and platform are unknown for "
        "legacy payloads, which carry no user agent.</p>",
        "<h2>Days</h2>",
        _daily_table(figures),
        "<h2>Definitions</h2>",
        f"<dl>{definitions}</dl>",
        "</body></html>",
    ]
    return RenderedReport(
        html="\n".join(parts),
        summary_markdown=summary_markdown(figures),
        sentences=said,
        chart_pngs={name: charts.png_data_uri(fig) for name, fig in drawn.items()},
    )
