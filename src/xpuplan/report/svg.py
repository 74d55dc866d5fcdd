"""Inline SVG charts drawn in Python: a cost-time scatter with its Pareto front, horizontal
bars, and horizontal stacked bars.

Every chart is one ``<svg class="chart" data-chart=NAME data-marks=N>`` element whose data
marks carry ``class="mark"`` (tests and the browser check count them). All text is escaped;
coordinates are finite by construction (inputs are filtered to finite values first).
"""

from __future__ import annotations

import colorsys
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = [
    "Bar",
    "Point",
    "Scale",
    "Segment",
    "StackedRow",
    "bar_chart",
    "chart_colours",
    "color_for",
    "plottable",
    "scatter_chart",
    "stacked_chart",
]

Formatter = Callable[[float], str]

# Okabe & Ito (2008), "Color Universal Design": a palette distinguishable with the common forms
# of colour blindness. Vendors get fixed colours so every chart of a report agrees.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_VENDOR_COLORS = {
    "NVIDIA": "#009E73",
    "AMD": "#D55E00",
    "Google": "#0072B2",
    "AWS": "#E69F00",
    "Intel": "#56B4E9",
    "Microsoft": "#CC79A7",
    "Meta": "#000000",
}
_WIDTH = 760
_FONT_PX = 12
_PLOT_LIMIT = 1e100
LOG_SPAN = 10.0  # an axis whose values span more than this factor is drawn logarithmic
_CHAR_PX = 7.2  # generous mean advance of a 12 px sans-serif character, for label collision checks


def _extra_colour(index: int) -> str:
    """The ``index``-th colour past the palette: hues spread by the golden angle (each new one
    far from the last), mid lightness, as #rrggbb."""
    hue = (index * 137.508) % 360 / 360
    r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.65)
    return f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"


@functools.lru_cache(maxsize=256)
def chart_colours(keys: tuple[str, ...]) -> dict[str, str]:
    """A distinct colour for each of ``keys`` (one chart's series): vendors keep their fixed
    colours, the others take the palette colours no series of the chart uses yet, then
    further hues; no two series share one."""
    colours = {k: _VENDOR_COLORS[k] for k in keys if k in _VENDOR_COLORS}
    free = [c for c in _PALETTE if c not in colours.values()]
    extra = 0
    for key in keys:
        if key in colours:
            continue
        if free:
            colours[key] = free.pop(0)
            continue
        while (colour := _extra_colour(extra)) in colours.values():
            extra += 1
        colours[key] = colour
        extra += 1
    return colours


def color_for(key: str, order: Sequence[str] = ()) -> str:
    """The colour of series ``key`` among the series ``order`` of one chart (see
    :func:`chart_colours`); a vendor's fixed colour, or a palette colour, outside one."""
    keys = tuple(dict.fromkeys(order))
    if key in keys:
        return chart_colours(keys)[key]
    if key in _VENDOR_COLORS:
        return _VENDOR_COLORS[key]
    return _PALETTE[sum(map(ord, key)) % len(_PALETTE)]


def plottable(value: float) -> bool:
    """Zero, or finite between 1e-100 and 1e100 in size: anything else is a data error, not
    chart content (and would overflow a log axis)."""
    return value == 0 or (math.isfinite(value) and 1 / _PLOT_LIMIT < abs(value) < _PLOT_LIMIT)


def _n(value: float) -> str:
    """A coordinate for an attribute (one decimal); callers guarantee it is finite."""
    return f"{value:.1f}"


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{escape(content)}</text>'


@dataclass(frozen=True)
class Scale:
    """A linear or logarithmic map from a data interval onto a pixel interval."""

    lo: float
    hi: float
    start_px: float
    end_px: float
    log: bool = False
    unit: float = 1.0  # ticks are round numbers of this unit (e.g. 86400 for days)

    @classmethod
    def fit(
        cls,
        values: Sequence[float],
        start_px: float,
        end_px: float,
        *,
        log: bool,
        unit: float = 1.0,
    ) -> Scale:
        """A scale spanning ``values`` with a little margin (log only when all are > 0)."""
        lo, hi = min(values), max(values)
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
            pad = max((hi - lo) * 0.08, 0.1)
            return cls(10 ** (lo - pad), 10 ** (hi + pad), start_px, end_px, True, unit)
        if hi - lo <= max(abs(hi), abs(lo)) * 1e-9 or hi - lo < 1e-200:
            pad = abs(hi) * 0.1 if abs(hi) > 1e-200 else 1.0
            return cls(lo - pad, hi + pad, start_px, end_px, False, unit)
        pad = (hi - lo) * 0.08
        low = 0.0 if lo >= 0 and lo - pad < 0 else lo - pad
        return cls(low, hi + pad, start_px, end_px, False, unit)

    def _unit(self, value: float) -> float:
        if self.log:
            return (math.log10(value) - math.log10(self.lo)) / (
                math.log10(self.hi) - math.log10(self.lo)
            )
        return (value - self.lo) / (self.hi - self.lo)

    def px(self, value: float) -> float:
        return self.start_px + self._unit(value) * (self.end_px - self.start_px)

    def ticks(self) -> list[float]:
        """Round tick values (in ``unit``) inside the domain: 1-2-5 per decade on log scales."""
        lo, hi = self.lo / self.unit, self.hi / self.unit
        if self.log:
            first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
            steps = (1.0,) if last - first > 4 else (1.0, 2.0, 5.0)
            found = [m * 10.0**e for e in range(first, last + 1) for m in steps]
            return [t * self.unit for t in found if lo <= t <= hi]
        raw = (hi - lo) / 5
        if not (raw > 0 and math.isfinite(raw)):
            return []
        base = 10 ** math.floor(math.log10(raw))
        step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
        start = math.ceil(lo / step) * step
        count = int((hi - start) / step + 1e-9) + 1
        return [(start + i * step) * self.unit for i in range(count)]


@dataclass(frozen=True)
class Point:
    """One plan in the cost-time plane."""

    x: float
    y: float
    label: str
    group: str
    on_front: bool = False
    chosen: bool = False
    tooltip: str = ""


def _axis_x(scale: Scale, y_px: float, fmt: Formatter, label: str) -> list[str]:
    parts = [
        f'<line class="axis" x1="{_n(scale.start_px)}" y1="{_n(y_px)}" '
        f'x2="{_n(scale.end_px)}" y2="{_n(y_px)}"/>'
    ]
    for tick in scale.ticks():
        x = scale.px(tick)
        parts.append(
            f'<line class="tick" x1="{_n(x)}" y1="{_n(y_px)}" x2="{_n(x)}" y2="{_n(y_px + 5)}"/>'
        )
        parts.append(_text(x, y_px + 18, fmt(tick), text_anchor="middle"))
    middle = (scale.start_px + scale.end_px) / 2
    parts.append(_text(middle, y_px + 38, label, text_anchor="middle", class_="axis-label"))
    return parts


def _axis_y(scale: Scale, x_px: float, x_end: float, fmt: Formatter, label: str) -> list[str]:
    parts = [
        f'<line class="axis" x1="{_n(x_px)}" y1="{_n(scale.start_px)}" '
        f'x2="{_n(x_px)}" y2="{_n(scale.end_px)}"/>'
    ]
    for tick in scale.ticks():
        y = scale.px(tick)
        parts.append(
            f'<line class="grid" x1="{_n(x_px)}" y1="{_n(y)}" x2="{_n(x_end)}" y2="{_n(y)}"/>'
        )
        parts.append(_text(x_px - 6, y + 4, fmt(tick), text_anchor="end"))
    middle = (scale.start_px + scale.end_px) / 2
    parts.append(
        f'<text class="axis-label" text-anchor="middle" transform="translate(14 {_n(middle)}) '
        f'rotate(-90)">{escape(label)}</text>'
    )
    return parts


def _legend(groups: Sequence[str], left: float, order: Sequence[str]) -> tuple[list[str], float]:
    """Legend swatches from the top-left, wrapping at the chart width; returns parts and the
    y just below the legend."""
    parts: list[str] = []
    x, y = left, 18.0
    for group in groups:
        width = 24 + _CHAR_PX * len(group)
        if x > left and x + width > _WIDTH - 10:
            x, y = left, y + 17
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" '
            f'fill="{color_for(group, order)}"/>'
        )
        parts.append(_text(x + 14, y, group))
        x += width
    return parts, y + 16


def _svg(name: str, height: float, marks: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" data-marks="{marks}" '
        f'viewBox="0 0 {_WIDTH} {_n(height)}" width="{_WIDTH}" height="{_n(height)}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{_FONT_PX}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _overlaps(box: tuple[float, float, float, float], placed: list[tuple[float, ...]]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in placed)


def _fit_text(text: str, width_px: float) -> str:
    """``text`` cut with an ellipsis to fit ``width_px`` (by the mean character advance)."""
    room = int(width_px / _CHAR_PX)
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


def scatter_chart(
    points: Sequence[Point],
    *,
    name: str,
    title: str,
    x_label: str,
    y_label: str,
    x_format: Formatter,
    y_format: Formatter,
    x_unit: float = 1.0,
    y_unit: float = 1.0,
    max_labels: int = 14,
    x_marks: Sequence[tuple[float, str]] = (),
    y_marks: Sequence[tuple[float, str]] = (),
) -> str:
    """Cost-time scatter: one circle per point, the Pareto front as a step line, labels on the
    chosen point and the front (as many as fit without overlapping), and dashed reference
    lines at ``x_marks`` and ``y_marks`` (a deadline, a budget). An axis turns logarithmic
    when its values (marks included) spread over more than a factor of 10."""
    usable = [p for p in points if plottable(p.x) and plottable(p.y)]
    if not usable:
        return ""
    x_marks = [(v, t) for v, t in x_marks if plottable(v) and v > 0]
    y_marks = [(v, t) for v, t in y_marks if plottable(v) and v > 0]
    order = sorted({p.group for p in usable})
    left, right = 86.0, _WIDTH - 20.0
    body, legend_bottom = _legend(order, left, order)
    top, bottom = legend_bottom + 10, legend_bottom + 300
    xs = [p.x for p in usable] + [v for v, _ in x_marks]
    ys = [p.y for p in usable] + [v for v, _ in y_marks]
    log_x = min(xs) > 0 and max(xs) / min(xs) > LOG_SPAN
    log_y = min(ys) > 0 and max(ys) / min(ys) > LOG_SPAN
    sx = Scale.fit(xs, left, right, log=log_x, unit=x_unit)
    sy = Scale.fit(ys, bottom, top, log=log_y, unit=y_unit)
    body += _axis_y(sy, left, right, y_format, y_label + (" (log)" if log_y else ""))
    body += _axis_x(sx, bottom, x_format, x_label + (" (log)" if log_x else ""))
    for value, text in x_marks:
        x = sx.px(value)
        body.append(
            f'<line class="limit" x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            'stroke="#B00020" stroke-dasharray="6 4"/>'
        )
        body.append(_text(x - 4, top + 12, f"{text} {x_format(value)}", class_="limit-label",
                          text_anchor="end"))  # fmt: skip
    for value, text in y_marks:
        y = sy.px(value)
        body.append(
            f'<line class="limit" x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" '
            'stroke="#B00020" stroke-dasharray="6 4"/>'
        )
        body.append(_text(right - 4, y - 4, f"{text} {y_format(value)}", class_="limit-label",
                          text_anchor="end"))  # fmt: skip
    front = sorted((p for p in usable if p.on_front), key=lambda p: (p.x, p.y))
    if len(front) > 1:
        steps = [f"{_n(sx.px(front[0].x))},{_n(sy.px(front[0].y))}"]
        for prev, cur in itertools.pairwise(front):
            steps.append(f"{_n(sx.px(cur.x))},{_n(sy.px(prev.y))}")
            steps.append(f"{_n(sx.px(cur.x))},{_n(sy.px(cur.y))}")
        body.append(f'<polyline class="front" points="{" ".join(steps)}"/>')
    placed: list[tuple[float, ...]] = []
    # Dominated points first, so the front and the chosen plan are drawn on top.
    for p in sorted(usable, key=lambda p: (p.on_front, p.chosen)):
        cx, cy = sx.px(p.x), sy.px(p.y)
        radius = 7 if p.chosen else (5 if p.on_front else 3.5)
        css = "mark" + (" front-mark" if p.on_front else "") + (" chosen" if p.chosen else "")
        body.append(
            f'<circle class="{css}" cx="{_n(cx)}" cy="{_n(cy)}" r="{radius}" '
            f'fill="{color_for(p.group, order)}"><title>{escape(p.tooltip or p.label)}</title>'
            "</circle>"
        )
        placed.append((cx - radius, cy - radius, cx + radius, cy + radius))
    labelled = 0
    for p in sorted(usable, key=lambda p: (not p.chosen, not p.on_front, p.x)):
        if labelled >= max_labels or not (p.on_front or p.chosen):
            break
        cx, cy = sx.px(p.x), sy.px(p.y)
        width = _CHAR_PX * len(p.label)
        # Try right-above, right-below, left-above, left-below; skip the label if all collide.
        for x0, y0 in ((cx + 8, cy - 16), (cx + 8, cy + 4), (cx - 8 - width, cy - 16),
                       (cx - 8 - width, cy + 4)):  # fmt: skip
            box = (x0, y0, x0 + width, y0 + 13)
            if x0 < left or x0 + width > right or y0 < top - 8 or y0 + 13 > bottom:
                continue
            if not _overlaps(box, placed):
                placed.append(box)
                body.append(_text(x0, y0 + 11, p.label, class_="point-label"))
                labelled += 1
                break
    return _svg(name, bottom + 48, len(usable), title, body)


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, a value, a note printed after it."""

    label: str
    value: float
    note: str = ""
    group: str = ""
    highlight: bool = False


def bar_chart(
    bars: Sequence[Bar], *, name: str, title: str, value_label: str, value_format: Formatter
) -> str:
    """Horizontal bars from zero, one row per bar; value and note printed after each bar."""
    usable = [b for b in bars if plottable(b.value) and b.value >= 0]
    if not usable:
        return ""
    label_w = min(max(_CHAR_PX * max(len(b.label) for b in usable) + 16, 90), 260)
    notes = [value_format(b.value) + (f"  {b.note}" if b.note else "") for b in usable]
    note_w = min(_CHAR_PX * max(len(n) for n in notes) + 12, _WIDTH - label_w - 220)
    left, right, top, row_h = label_w, _WIDTH - note_w, 34.0, 26.0
    scale = Scale(0.0, max(b.value for b in usable) or 1.0, left, right)
    order = sorted({b.group for b in usable})
    body: list[str] = [_text(left, 20, value_label, class_="axis-label")]
    for i, (bar, note) in enumerate(zip(usable, notes, strict=True)):
        y = top + i * row_h
        width = max(scale.px(bar.value) - left, 1.0)
        css = "mark" + (" highlight" if bar.highlight else "")
        body.append(_text(left - 8, y + 15, _fit_text(bar.label, left - 12), text_anchor="end"))
        body.append(
            f'<rect class="{css}" x="{_n(left)}" y="{_n(y + 3)}" width="{_n(width)}" height="17" '
            f'fill="{color_for(bar.group, order)}"><title>{escape(bar.label)}: '
            f"{escape(note)}</title></rect>"
        )
        body.append(_text(left + width + 6, y + 15, _fit_text(note, _WIDTH - left - width - 10)))
    bottom = top + len(usable) * row_h + 4
    body.append(
        f'<line class="axis" x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(bottom)}"/>'
    )
    return _svg(name, bottom + 10, len(usable), title, body)


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar."""

    label: str
    value: float


@dataclass(frozen=True)
class StackedRow:
    """One stacked bar: its parts, and an optional limit drawn as a line (e.g. HBM size)."""

    label: str
    segments: tuple[Segment, ...]
    limit: float | None = None
    note: str = ""


@dataclass(frozen=True)
class _Stacks:
    rows: list[StackedRow] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def _clean(rows: Sequence[StackedRow]) -> _Stacks:
    out = _Stacks()
    for row in rows:
        segments = tuple(s for s in row.segments if plottable(s.value) and s.value > 0)
        if not segments:
            continue
        limit = row.limit if row.limit is not None and plottable(row.limit) else None
        out.rows.append(StackedRow(row.label, segments, limit, row.note))
        out.keys.extend(s.label for s in segments if s.label not in out.keys)
    return out


def stacked_chart(
    rows: Sequence[StackedRow],
    *,
    name: str,
    title: str,
    value_label: str,
    value_format: Formatter,
    tick_unit: float = 1.0,
    limit_label: str = "",
) -> str:
    """Horizontal stacked bars on one linear scale from zero, with a legend of the parts and
    an optional limit line per row."""
    stacks = _clean(rows)
    if not stacks.rows:
        return ""
    label_w = min(max(_CHAR_PX * max(len(r.label) for r in stacks.rows) + 16, 90), 300)
    left, right, row_h = label_w, _WIDTH - 120.0, 30.0
    body, top = _legend(stacks.keys, left, stacks.keys)
    totals = [sum(s.value for s in r.segments) for r in stacks.rows]
    limits = [r.limit for r in stacks.rows if r.limit is not None]
    scale = Scale(0.0, max([*totals, *limits]) * 1.04, left, right, unit=tick_unit)
    marks = 0
    for i, (row, total) in enumerate(zip(stacks.rows, totals, strict=True)):
        y = top + i * row_h
        body.append(_text(left - 8, y + 16, _fit_text(row.label, left - 12), text_anchor="end"))
        x = left
        for seg in row.segments:
            width = scale.px(seg.value) - left
            body.append(
                f'<rect class="mark" x="{_n(x)}" y="{_n(y + 3)}" width="{_n(max(width, 0.5))}" '
                f'height="19" fill="{color_for(seg.label, stacks.keys)}"><title>'
                f"{escape(row.label)}: {escape(seg.label)} {escape(value_format(seg.value))}"
                "</title></rect>"
            )
            x += width
            marks += 1
        note = value_format(total) + (f" {row.note}" if row.note else "")
        text_x = x + 6
        if row.limit is not None and x - 2 <= scale.px(row.limit) <= text_x + _CHAR_PX * len(note):
            text_x = scale.px(row.limit) + 6  # keep the total clear of the limit line
        body.append(_text(text_x, y + 16, note))
        if row.limit is not None:
            lx = scale.px(row.limit)
            body.append(
                f'<line class="limit" x1="{_n(lx)}" y1="{_n(y)}" x2="{_n(lx)}" y2="{_n(y + 25)}">'
                f"<title>{escape(limit_label)}: {escape(value_format(row.limit))}</title></line>"
            )
    bottom = top + len(stacks.rows) * row_h + 4
    body += _axis_x(scale, bottom, value_format, value_label)
    return _svg(name, bottom + 46, marks, title, body)
