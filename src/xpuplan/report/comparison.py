"""The sections of a comparison report (``kind == "training_comparison"``): the options side by
side, relative to the first, with cost, time and breakdown charts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xpuplan.report.format import (
    DASH,
    as_float,
    fmt_count,
    fmt_duration_s,
    fmt_number,
    fmt_pct,
    fmt_usd,
)
from xpuplan.report.html import Cell, Section, key_values, sources_table, table
from xpuplan.report.parts import (
    as_list,
    as_map,
    breakdown_charts,
    formatted,
    notes_list,
    plan_label,
    plan_layout_text,
)
from xpuplan.report.svg import Bar, bar_chart

__all__ = ["compare_sections"]


_COMPARE_ROWS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("accelerator", "accelerator_id", str),
    ("vendor", "vendor", str),
    ("software stack", "software_stack", str),
    ("provider", "provider", str),
    ("region", "region", str),
    ("instance", "instance", str),
    ("instances", "instances", fmt_count),
    ("chips", "chips", fmt_count),
    ("layout", "", plan_layout_text),  # key "": the row reads the whole plan
    ("pricing", "pricing", str),
    ("wall time", "wall_time_s", fmt_duration_s),
    ("total cost", "cost_usd", fmt_usd),
    ("cluster $/hour", "usd_per_hour", fmt_usd),
    ("step time", "step_time_s", fmt_duration_s),
    ("MFU", "mfu", fmt_pct),
    ("tokens/s", "tokens_per_s", fmt_number),
    ("energy kWh", "energy_kwh", fmt_number),
    ("chip energy kWh", "it_energy_kwh", fmt_number),
    ("CO2 kg", "co2_kg", fmt_number),
)


_METRIC_NAMES = {
    "wall_time_s": "wall time",
    "cost_usd": "cost",
    "energy_kwh": "energy",
    "co2_kg": "CO2",
}


def compare_sections(result: Mapping[str, Any]) -> tuple[str, list[Section]]:
    """Title and sections of a comparison (``kind == "training_comparison"``)."""
    plans = as_list(result.get("plans"))
    raw_options = result.get("options")
    options = [str(o) for o in raw_options] if isinstance(raw_options, list) else []
    names = [options[i] if i < len(options) else plan_label(p) for i, p in enumerate(plans)]
    relative = result.get("relative_pct")
    relative_rows = [as_map(r) for r in relative] if isinstance(relative, list) else []
    workload = as_map(result.get("workload"))
    title = f"Comparison: {workload.get('model', 'model')}"
    rows: list[list[Cell | str]] = []
    for label, key, fmt in _COMPARE_ROWS:
        row: list[Cell | str] = [label]
        for p in plans:
            value = p.get(key) if key else p
            row.append(Cell.num(value, fmt(value)) if as_float(value) is not None else fmt(value))
        rows.append(row)
    metrics = sorted({k for r in relative_rows for k in r})
    for metric in metrics:
        label = _METRIC_NAMES.get(metric, metric)
        row = [f"{label} vs {names[0]}" if names else label]
        for i in range(len(plans)):
            value = as_float(relative_rows[i].get(metric)) if i < len(relative_rows) else None
            text = DASH if value is None else f"{value:+.1f}%"
            row.append(Cell.num(value, text))
        rows.append(row)
    side_by_side = table(["", *names], rows, name="compare", sortable=False)
    cost_bars = [
        Bar(n, as_float(p.get("cost_usd")) or 0.0, group=str(p.get("vendor", "")))
        for n, p in zip(names, plans, strict=True)
        if as_float(p.get("cost_usd")) is not None
    ]
    time_bars = [
        Bar(n, as_float(p.get("wall_time_s")) or 0.0, group=str(p.get("vendor", "")))
        for n, p in zip(names, plans, strict=True)
        if as_float(p.get("wall_time_s")) is not None
    ]
    cost_svg = bar_chart(
        cost_bars,
        name="compare-cost",
        title="Total cost per option",
        value_label="total cost (USD)",
        value_format=fmt_usd,
    )
    time_svg = bar_chart(
        time_bars,
        name="compare-time",
        title="Wall time per option",
        value_label="wall time",
        value_format=fmt_duration_s,
    )
    figures = "".join(f"<figure>{svg}</figure>" for svg in (cost_svg, time_svg) if svg)
    sections = [
        Section("side-by-side", "Options side by side", side_by_side),
        Section("inputs", "Workload", key_values(formatted(workload))),
    ]
    if figures:
        sections.append(Section("charts", "Cost and time", figures))
    sections.append(
        Section("breakdown", "Where memory and time go", breakdown_charts(plans, names))
    )
    missing = [
        f"no plan for {as_map(m).get('option', '?')}: {as_map(m).get('reason', '')}"
        for m in as_list(result.get("missing"))
    ]
    notes = notes_list(
        [
            *missing,
            *(result.get("notes") or ()),
            *(n for p in plans for n in p.get("notes") or ()),
        ]
    )
    if notes:
        sections.append(Section("notes", "Notes", notes))
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table(
                (n, as_list(p.get("sources"))) for n, p in zip(names, plans, strict=True)
            ),
        )
    )
    return title, sections
