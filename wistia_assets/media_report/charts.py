"""The report's charts, drawn with matplotlib's object API on the Agg/SVG backends: no display,
no browser, no network, and the same bytes for the same figures (fixed SVG ids, no dates).

Readable in black and white: the media differ by line style, marker and hatch, never by colour
alone; every chart has a title, the unit on its axis and the date range. A day that is not
built is a hatched band labelled "not built"; a built day without plays is a point at zero.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from wistia_assets.media_report.figures import LABELS, UNITS, ReportFigures

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# One style per media, in order: black solid with filled circles, grey dashed with open
# squares, then dotted triangles; bars alternate solid black, hatched white, dotted grey.
LINE_STYLES = (
    {"color": "black", "linestyle": "-", "marker": "o", "markerfacecolor": "black"},
    {"color": "#555555", "linestyle": "--", "marker": "s", "markerfacecolor": "white"},
    {"color": "#888888", "linestyle": ":", "marker": "^", "markerfacecolor": "#888888"},
)
BAR_STYLES = (
    {"color": "black", "edgecolor": "black"},
    {"color": "white", "edgecolor": "black", "hatch": "///"},
    {"color": "#bbbbbb", "edgecolor": "black", "hatch": ".."},
)
RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: small files, selectable labels
    "svg.hashsalt": "wistia-media-report",  # stable element ids
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
TREND_METRICS = (
    "loads",
    "plays",
    "play_rate",
    "hours_watched",
    "sessions",
    "unique_visitors",
    "mean_percent_viewed",
    "watched_75_share",
    "mobile_share",
)
# The y axis' unit of each trend panel.
Y_LABELS = {
    "loads": "loads",
    "plays": "plays",
    "play_rate": "% of loads",
    "hours_watched": "hours",
    "sessions": "sessions",
    "unique_visitors": "visitors",
    "mean_percent_viewed": "% of the video",
    "watched_75_share": "% of sessions",
    "mobile_share": "% of sessions",
}


def _unit_axis(unit: str) -> tuple[str, Callable[[float, int], str]]:
    if unit == "share":
        return "% ", FuncFormatter(lambda v, _: f"{v * 100:.0f} %")
    if unit == "hours":  # 0.25 h and 1,200 h alike: no trailing zeros, no rounding to equal ticks
        return "hours", FuncFormatter(lambda v, _: f"{v:,.2f}".rstrip("0").rstrip("."))
    return "count", FuncFormatter(lambda v, _: f"{v:,.0f}")


def _range(figures: ReportFigures) -> str:
    return f"{figures.first} to {figures.last} (UTC days)"


def trends(figures: ReportFigures) -> Figure:
    """Small multiples: one panel per metric, one line per media, over the range's days."""
    days = figures.days
    fig = Figure(figsize=(10, 8.6), layout="constrained")
    axes = fig.subplots(3, 3, sharex=True).flatten()
    ticks = list(range(len(days)))
    step = max(1, -(-len(days) // 4))  # at most 4 date labels: three panels share a row
    for ax, metric in zip(axes, TREND_METRICS, strict=True):
        unit = UNITS[metric]
        _, formatter = _unit_axis(unit)
        for i, day in enumerate(days):
            if any((day, m.media_id) in figures.missing for m in figures.media):
                ax.axvspan(
                    i - 0.5, i + 0.5, facecolor="none", edgecolor="#999999", hatch="xx", linewidth=0
                )
        for media, style in zip(figures.media, LINE_STYLES, strict=False):
            xs = [i for i, d in enumerate(days) if (d, media.media_id) in figures.daily]
            ys = [figures.value(days[i], media.media_id, metric) for i in xs]
            pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                label=media.label,
                markersize=4,
                linewidth=1.4,
                **style,
            )
        ax.set_title(LABELS[metric])
        ax.set_ylabel(Y_LABELS[metric], fontsize=8)
        ax.yaxis.set_major_formatter(formatter)
        # Counts tick at whole numbers only (no "2.5 visitors" rounded to a second "2").
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=unit == "count"))
        ax.set_ylim(bottom=0, top=1.0 if unit == "share" else None)
        ax.set_xticks(ticks[::step], [days[i][5:] for i in ticks[::step]])
        ax.set_xlim(-0.5, len(days) - 0.5)
    handles, labels = axes[0].get_legend_handles_labels()
    if figures.missing:
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="none", edgecolor="#999999", hatch="xx"))
        labels.append("not built (missing) or held back" if figures.held else "not built (missing)")
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    fig.suptitle(f"Daily trend per media, {_range(figures)}")
    return fig


def _grouped_bars(ax, figures: ReportFigures, categories: list[str], values) -> None:
    n = max(1, len(figures.media))
    width = 0.8 / n
    for j, (media, style) in enumerate(zip(figures.media, BAR_STYLES, strict=False)):
        xs = [i + (j - (n - 1) / 2) * width for i in range(len(categories))]
        ax.bar(
            xs,
            [values(media, c) for c in categories],
            width=width,
            label=media.label,
            linewidth=0.8,
            **style,
        )
    ax.set_xticks(range(len(categories)), categories)


def engagement(figures: ReportFigures) -> Figure:
    """How far viewers watched: the distribution of percent_viewed, and the share that watched
    at least 25 / 50 / 75 / 95 % of the video."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(2, 1))
    buckets = sorted(
        {
            label
            for m in figures.media
            for label, _ in figures.top(m.media_id, "percent_viewed")
            if not label.startswith("(")
        }
    )

    def share_of_sessions(media, label):
        rows = dict(figures.top(media.media_id, "percent_viewed"))
        total = sum(rows.values())
        return rows.get(label, 0) / total if total else 0

    _grouped_bars(left, figures, buckets, share_of_sessions)
    left.set_xticks(range(len(buckets)), buckets, fontsize=8)
    left.set_title("Share of the video watched per session (distribution)")
    left.set_xlabel("percent of the video watched")
    left.yaxis.set_major_formatter(_unit_axis("share")[1])
    left.set_ylabel("share of sessions")
    thresholds = ["25", "50", "75", "95"]
    _grouped_bars(
        right,
        figures,
        thresholds,
        lambda media, t: figures.total(media.media_id, f"watched_{t}_share") or 0,
    )
    right.set_xticks(range(4), [f">= {t} %" for t in thresholds])
    right.set_title("Sessions that watched at least ...")
    right.yaxis.set_major_formatter(_unit_axis("share")[1])
    right.set_ylim(0, 1)
    left.legend(frameon=False)
    fig.suptitle(f"Engagement, {_range(figures)}")
    return fig


def _share_bars(ax, figures: ReportFigures, dimension: str, title: str, limit: int) -> None:
    """Horizontal bars: each label's share of the media's sessions, top labels first."""
    totals = {
        m.media_id: sum(n for _, n in figures.top(m.media_id, dimension)) for m in figures.media
    }
    order: dict[str, int] = {}
    for media in figures.media:
        for label, n in figures.top(media.media_id, dimension):
            order[label] = order.get(label, 0) + n
    labels = sorted(order, key=lambda k: (k == "(other)", -order[k], k))[:limit]
    n = max(1, len(figures.media))
    height = 0.8 / n
    for j, (media, style) in enumerate(zip(figures.media, BAR_STYLES, strict=False)):
        rows = dict(figures.top(media.media_id, dimension))
        total = totals[media.media_id] or 1
        ys = [i + (j - (n - 1) / 2) * height for i in range(len(labels))]
        ax.barh(
            ys,
            [rows.get(lb, 0) / total for lb in labels],
            height=height,
            label=media.label,
            linewidth=0.8,
            **style,
        )
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_unit_axis("share")[1])
    ax.set_xlabel("share of sessions")
    ax.set_title(title)


def audience(figures: ReportFigures) -> Figure:
    """Where viewers come from and what they watch on."""
    fig = Figure(figsize=(10, 7.6), layout="constrained")
    axes = fig.subplots(2, 3).flatten()
    panels = (
        ("country", "Top countries", 8),
        ("region", "Top regions (country / region)", 8),
        ("device", "Device", 3),
        ("browser", "Top browsers", 8),
        ("platform", "Top platforms", 8),
    )
    for ax, (dimension, title, limit) in zip(axes, panels, strict=False):
        _share_bars(ax, figures, dimension, title, limit)
    axes[-1].axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(handles, labels, loc="center", frameon=False, title="media")
    fig.suptitle(f"Audience, {_range(figures)}")
    return fig


def svg(fig: Figure) -> str:
    with rc_context(RC):
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    # Inside HTML: no XML prolog or doctype, and no RDF metadata block.
    text = text[text.index("<svg") :]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>") :]
    return text


def png_data_uri(fig: Figure, dpi: int = 72) -> str:
    out = io.BytesIO()
    with rc_context(RC):
        fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def all_charts(figures: ReportFigures) -> dict[str, Figure]:
    with rc_context(RC):
        return {
            "trends": trends(figures),
            "engagement": engagement(figures),
            "audience": audience(figures),
        }
