"""The doctor's report: a row per check, the settings to change, and how it prints.

Every setting the report names is spelled by its model (`setting`), never here: a renamed
variable renames the advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from wistia_assets.settings import Settings, env_name

OK, CHANGE, UNVERIFIED, INFO = "ok", "CHANGE", "unverified", "info"


def setting(name: str) -> str:
    """The environment variable of the `Settings` field `name`."""
    return env_name(Settings, name)


def assumed(name: str, value: object) -> str:
    """`<the variable of per_page>=100`: a setting as the pipeline has it."""
    return f"{setting(name)}={value}"


@dataclass(frozen=True)
class Row:
    check: str
    found: str
    assumed: str
    verdict: str


@dataclass(frozen=True)
class Change:
    name: str  # the `Settings` field; the user changes its variable (`setting`)
    value: str | None  # None: no single value to recommend (the message says what to choose)
    why: str

    @property
    def setting(self) -> str:
        return setting(self.name)

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
