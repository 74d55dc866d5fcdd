"""HTML building blocks of a report: the page shell (inline CSS, a tiny sorting script),
tables, key-value lists, summary cards and the table of sources.

Every piece of text passes through :func:`html.escape`; callers hand in plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from xpuplan.report.format import DASH, as_float, fmt_number

__all__ = [
    "Cell",
    "Section",
    "cards",
    "key_values",
    "page",
    "sources_table",
    "table",
    "text_of",
]

_CSS = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #fff;
  --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
p.lead, p.note, figcaption { color: var(--muted); }
section { break-inside: avoid; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card .k { color: var(--muted); font-size: 12px; }
.card .v { font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
  vertical-align: top; }
th { background: #f4f6f8; position: sticky; top: 0; }
th.sortable { cursor: pointer; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #eef6fb; font-weight: 600; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 8px 0 16px; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg.chart .axis { stroke: #333; }
svg.chart .tick { stroke: #333; }
svg.chart .grid { stroke: #e6e9ed; }
svg.chart .axis-label { fill: var(--muted); }
svg.chart .front { fill: none; stroke: #333; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.chart circle.mark { stroke: #fff; stroke-width: 1; opacity: .85; }
svg.chart circle.front-mark { opacity: 1; stroke: #222; }
svg.chart circle.chosen { stroke: #000; stroke-width: 2.5; }
svg.chart rect.highlight { stroke: #000; stroke-width: 1.5; }
svg.chart .limit { stroke: #c00; stroke-width: 2; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { padding: 0; } th { position: static; } }
"""

# Click a header to sort its table (numbers by the data-v attribute, text otherwise).
_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.classList.add("sortable");
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var nx = parseFloat(x.getAttribute("data-v")), ny = parseFloat(y.getAttribute("data-v"));
        var d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.textContent.localeCompare(y.textContent);
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, for numbers, the value it sorts by."""

    text: str
    sort_value: float | None = None

    @classmethod
    def num(cls, value: Any, text: str) -> Cell:
        return cls(text, as_float(value))


@dataclass(frozen=True)
class Section:
    """One titled part of the page; ``body`` is already-escaped HTML."""

    id: str
    title: str
    body: str


def text_of(value: Any) -> str:
    """Any JSON value as short text (numbers with 3 significant digits; None as a dash)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={text_of(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(text_of(v) for v in value) or DASH
    return str(value)


def _cell(cell: Cell | str, tag: str) -> str:
    if isinstance(cell, str):
        return f"<{tag}>{escape(cell)}</{tag}>"
    if cell.sort_value is None:
        return f'<{tag} class="num">{escape(cell.text)}</{tag}>'
    return f'<{tag} class="num" data-v="{cell.sort_value!r}">{escape(cell.text)}</{tag}>'


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell | str]],
    *,
    name: str,
    highlight_first: bool = False,
    sortable: bool = True,
) -> str:
    """An HTML table; ``Cell`` entries are right-aligned numbers, strings are text."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body: list[str] = []
    for i, row in enumerate(rows):
        css = ' class="chosen"' if highlight_first and i == 0 else ""
        body.append(f"<tr{css}>" + "".join(_cell(c, "td") for c in row) + "</tr>")
    css = "sortable" if sortable else "plain"
    return (
        f'<div class="scroll"><table class="{css}" data-table="{escape(name)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    """A definition list of label/value pairs (values through :func:`text_of`)."""
    items = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(v if isinstance(v, str) else text_of(v))}</dd>"
        for k, v in pairs
    )
    return f'<dl class="kv">{items}</dl>' if items else ""


def cards(pairs: Iterable[tuple[str, str]]) -> str:
    """Headline figures as a grid of small cards."""
    items = "".join(
        f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div></div>'
        for k, v in pairs
    )
    return f'<div class="cards">{items}</div>'


def sources_table(source_lists: Iterable[tuple[str, Iterable[Mapping[str, Any]]]]) -> str:
    """Every distinct source behind the numbers, with the plans that used it.

    ``source_lists`` pairs a plan label with that plan's ``sources`` list (dicts with kind, key,
    source, as_of, fields).
    """
    merged: dict[tuple[str, str, str, str], tuple[list[str], list[str]]] = {}
    for label, sources in source_lists:
        for src in sources:
            if not isinstance(src, Mapping):
                continue
            key = (
                str(src.get("kind") or ""),
                str(src.get("key") or ""),
                str(src.get("source") or ""),
                str(src.get("as_of") or DASH),
            )
            fields, users = merged.setdefault(key, ([], []))
            for f in src.get("fields") or ():
                if str(f) not in fields:
                    fields.append(str(f))
            if label not in users:
                users.append(label)
    if not merged:
        return '<p class="note">No sources were attached to this result.</p>'
    rows = [
        [kind, key, source, as_of, ", ".join(fields) or DASH, _users(users)]
        for (kind, key, source, as_of), (fields, users) in sorted(merged.items())
    ]
    return table(
        ["kind", "row", "source", "as of", "numbers used", "used by"], rows, name="sources"
    )


def _users(users: list[str]) -> str:
    if len(users) <= 3:
        return "; ".join(users)
    return f"{'; '.join(users[:3])} and {len(users) - 3} more"


def page(title: str, lead: str, sections: Sequence[Section], footer: str) -> str:
    """The whole self-contained document: no external resource of any kind."""
    nav = " · ".join(f'<a href="#{escape(s.id)}">{escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>{s.body}</section>'
        for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # Forbid every network fetch: the report must work offline and leak nothing.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f'<body><main><h1>{escape(title)}</h1><p class="lead">{escape(lead)}</p>'
        f"<nav>{nav}</nav>{body}<footer>{escape(footer)}</footer></main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
