"""The sections of each kind of report, built from the planner's ``to_dict()`` JSON.

Training plan: headline of the chosen plan, the cost-time plane with its Pareto front, the best
plan per vendor and per software stack (lock-in premium), memory and step-time breakdowns,
the top plans, notes and sources. Serving plan: fleet composition, cost per million tokens,
per-vendor share. Comparison: the options side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from xpuplan.report.format import (
    DASH,
    as_float,
    fmt_count,
    fmt_duration_s,
    fmt_number,
    fmt_pct,
    fmt_usd,
    fmt_value,
    time_unit_s,
)
from xpuplan.report.html import Cell, Section, cards, key_values, sources_table, table, text_of
from xpuplan.report.svg import (
    Bar,
    Point,
    Segment,
    StackedRow,
    bar_chart,
    scatter_chart,
    stacked_chart,
)

__all__ = ["compare_sections", "plan_label", "serve_sections", "train_sections"]

Plan = Mapping[str, Any]
_TOP_PLANS = 25  # rows of the top-plans table
_BREAKDOWN_PLANS = 6  # plans drawn in the breakdown charts
_LIMIT_KEYS = ("capacity", "hbm", "limit", "available")  # breakdown keys that are not parts


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def plan_label(plan: Plan) -> str:
    """Short label of a plan: accelerator/provider."""
    return f"{plan.get('accelerator_id', '?')}/{plan.get('provider', '?')}"


def _long_label(plan: Plan) -> str:
    return (
        f"{plan.get('accelerator_id', '?')} x{plan.get('chips', '?')} on "
        f"{plan.get('provider', '?')} {plan.get('instance', '?')} ({plan.get('region', '?')})"
    )


_LAYOUT_SHORT = {"micro_batch": "mb", "zero_stage": "z", "grad_accum": "ga", "recompute": "rc:"}


def _layout_text(layout: Any) -> str:
    """A layout as ``tp8 pp2 dp32 mb1 z1``: degrees first, then the other knobs; batch sizes
    (shown with the workload) and unit degrees of optional parallelisms are left out."""
    if not isinstance(layout, Mapping) or not layout:
        return DASH
    parts = []
    for key, value in layout.items():
        if key.startswith("global_") or isinstance(value, Mapping | list):
            continue
        if key in ("ep", "cp", "sp") and value == 1:
            continue
        if key == "recompute" and value in ("none", None):
            continue
        short = _LAYOUT_SHORT.get(key, key if len(key) <= 3 else f"{key}=")
        parts.append(f"{short}{text_of(value)}")
    return " ".join(parts) or DASH


def _plan_key(plan: Plan) -> tuple[str, ...]:
    names = ("provider", "region", "instance", "accelerator_id", "chips", "pricing")
    return (*(str(plan.get(k)) for k in names), _layout_text(plan.get("layout")))


def _objective_format(objective: str) -> Callable[[float], str]:
    name = objective.lower()
    if "time" in name or "fast" in name:
        return fmt_duration_s
    if "cost" in name or "usd" in name or "cheap" in name:
        return fmt_usd
    return fmt_number


def _breakdown_row(label: str, parts: Any, note: str = "") -> StackedRow | None:
    """A stacked row from a breakdown dict whose "total" is the sum of its parts."""
    if not isinstance(parts, Mapping):
        return None
    segments: list[Segment] = []
    limit: float | None = None
    for key, value in parts.items():
        number = as_float(value)
        if number is None or key == "total":
            continue
        if any(word in key for word in _LIMIT_KEYS):
            limit = number if limit is None else limit
        else:
            segments.append(Segment(key.replace("_", " "), number))
    total = as_float(parts.get("total"))
    summed = sum(s.value for s in segments)
    if total is not None and total > summed * (1 + 1e-6) + 1e-12:
        segments.append(Segment("unattributed", total - summed))
    return StackedRow(label, tuple(segments), limit, note) if segments else None


def _breakdown_charts(plans: Sequence[Plan], labels: Sequence[str]) -> str:
    memory = [
        _breakdown_row(lab, p.get("memory_gb_per_chip"))
        for p, lab in zip(plans, labels, strict=True)
    ]
    steps = [
        _breakdown_row(lab, p.get("step_time_breakdown_s"))
        for p, lab in zip(plans, labels, strict=True)
    ]
    mem_svg = stacked_chart(
        [r for r in memory if r is not None],
        name="memory",
        title="Memory per chip by part",
        value_label="GB per chip",
        value_format=lambda v: f"{fmt_number(v)} GB",
        limit_label="device memory",
    )
    step_rows = [r for r in steps if r is not None]
    longest = max((sum(s.value for s in r.segments) for r in step_rows), default=1.0)
    step_svg = stacked_chart(
        step_rows,
        name="step-time",
        title="Step time by part",
        value_label="time per step",
        value_format=fmt_duration_s,
        tick_unit=time_unit_s(longest),
    )
    out = ""
    if mem_svg:
        out += f"<figure>{mem_svg}<figcaption>Memory per chip: the parts add up to the total."
        out += "</figcaption></figure>"
    if step_svg:
        out += f"<figure>{step_svg}<figcaption>Step time: compute, exposed communication, "
        out += "pipeline bubble and the other parts add up to the step time.</figcaption></figure>"
    return out or '<p class="note">No breakdown was attached to these plans.</p>'


_UNIT_SUFFIXES = ("_s", "_ms", "_usd", "_pct")


def _formatted(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Label/value pairs; the unit leaves the label ("deadline_s" -> "deadline") for the value."""
    out = []
    for key, value in values.items():
        label = next((key[: -len(u)] for u in _UNIT_SUFFIXES if key.endswith(u)), key)
        out.append((label.replace("_", " "), fmt_value(key, value)))
    return out


def _energy_text(plan: Plan) -> str:
    """Facility energy, or the accelerators' own energy marked * when the PUE is unknown."""
    if as_float(plan.get("energy_kwh")) is not None:
        return f"{fmt_number(plan.get('energy_kwh'))} kWh"
    if as_float(plan.get("it_energy_kwh")) is not None:
        return f"{fmt_number(plan.get('it_energy_kwh'))} kWh* (chips only, PUE unknown)"
    return DASH


def _plan_cards(plan: Plan) -> str:
    return cards(
        [
            ("total cost", fmt_usd(plan.get("cost_usd"))),
            ("wall time", fmt_duration_s(plan.get("wall_time_s"))),
            ("cluster price", f"{fmt_usd(plan.get('usd_per_hour'))}/h"),
            ("chips", f"{fmt_count(plan.get('chips'))} x {plan.get('accelerator_id', DASH)}"),
            ("where", f"{plan.get('provider', DASH)} {plan.get('region', DASH)}"),
            ("instance", f"{fmt_count(plan.get('instances'))} x {plan.get('instance', DASH)}"),
            ("pricing", str(plan.get("pricing", DASH))),
            ("MFU", fmt_pct(plan.get("mfu"))),
            ("energy", _energy_text(plan)),
            ("CO2", f"{fmt_number(plan.get('co2_kg'))} kg"),
            ("step time", fmt_duration_s(plan.get("step_time_s"))),
            ("layout", _layout_text(plan.get("layout"))),
        ]
    )


def _plans_table(plans: Sequence[Plan], name: str) -> str:
    rows: list[list[Cell | str]] = [
        [
            Cell.num(i + 1, str(i + 1)),
            str(p.get("accelerator_id", DASH)),
            str(p.get("vendor", DASH)),
            str(p.get("software_stack", DASH)),
            str(p.get("provider", DASH)),
            str(p.get("region", DASH)),
            str(p.get("instance", DASH)),
            Cell.num(p.get("chips"), fmt_count(p.get("chips"))),
            _layout_text(p.get("layout")),
            Cell.num(p.get("wall_time_s"), fmt_duration_s(p.get("wall_time_s"))),
            Cell.num(p.get("cost_usd"), fmt_usd(p.get("cost_usd"))),
            Cell.num(p.get("usd_per_hour"), fmt_usd(p.get("usd_per_hour"))),
            Cell.num(p.get("mfu"), fmt_pct(p.get("mfu"))),
            _energy_cell(p),
            Cell.num(p.get("co2_kg"), fmt_number(p.get("co2_kg"))),
        ]
        for i, p in enumerate(plans)
    ]
    headers = [
        "#", "accelerator", "vendor", "stack", "provider", "region", "instance", "chips",
        "layout", "wall time", "cost", "$/hour", "MFU", "energy kWh", "CO2 kg",
    ]  # fmt: skip
    starred = any(str(r[13].text).endswith("*") for r in rows if isinstance(r[13], Cell))
    note = '<p class="note">* the chips\' own energy: no PUE for that region.</p>'
    return table(headers, rows, name=name, highlight_first=True) + (note if starred else "")


def _energy_cell(plan: Plan) -> Cell:
    if as_float(plan.get("energy_kwh")) is None and as_float(plan.get("it_energy_kwh")) is not None:
        return Cell.num(plan.get("it_energy_kwh"), fmt_number(plan.get("it_energy_kwh")) + "*")
    return Cell.num(plan.get("energy_kwh"), fmt_number(plan.get("energy_kwh")))


def _notes(notes: Iterable[Any]) -> str:
    items = "".join(f"<li>{_esc(n)}</li>" for n in notes if n)
    return f"<ul>{items}</ul>" if items else ""


def _esc(value: Any) -> str:
    return escape(str(value))


def _scatter(plans: Sequence[Plan], front_keys: set[tuple[str, ...]], chosen: Plan) -> str:
    points: dict[tuple[str, ...], Point] = {}
    chosen_key = _plan_key(chosen)
    for p in plans:
        x, y = as_float(p.get("wall_time_s")), as_float(p.get("cost_usd"))
        if x is None or y is None:
            continue
        key = _plan_key(p)
        points[key] = Point(
            x=x,
            y=y,
            label=plan_label(p),
            group=str(p.get("vendor", "other")),
            on_front=key in front_keys,
            chosen=key == chosen_key,
            tooltip=f"{_long_label(p)}: {fmt_usd(y)} in {fmt_duration_s(x)}",
        )
    longest = max((p.x for p in points.values()), default=1.0)
    return scatter_chart(
        list(points.values()),
        name="pareto",
        title="Cost against wall time; the dashed line is the Pareto front",
        x_label="wall time",
        y_label="cost (USD)",
        x_format=fmt_duration_s,
        y_format=fmt_usd,
        x_unit=time_unit_s(longest),
    )


def _lock_in_chart(entries: Sequence[Plan], group_kind: str, objective: str) -> str:
    chosen = [e for e in entries if e.get("group_kind") == group_kind]
    fmt = _objective_format(objective)
    bars = []
    for e in sorted(chosen, key=lambda e: as_float(e.get("objective_value")) or 0.0):
        value = as_float(e.get("objective_value"))
        premium = as_float(e.get("premium_pct"))
        if value is None:
            continue
        plan = _map(e.get("plan"))
        note = "best overall" if premium == 0 else f"+{fmt_number(premium)}%"
        note += f" · {plan_label(plan)}"
        group = str(e.get("group", "?"))
        bars.append(
            Bar(
                group,
                value,
                note,
                group=group,
                highlight=premium == 0,
            )
        )
    return bar_chart(
        bars,
        name=f"lock-in-{group_kind.replace('_', '-')}",
        title=f"Best {objective} per {group_kind.replace('_', ' ')}",
        value_label=f"best {objective} per {group_kind.replace('_', ' ')}",
        value_format=fmt,
    )


def train_sections(result: Mapping[str, Any]) -> tuple[str, list[Section]]:
    """Title and sections of a training-plan report (``kind == "training_plan"``)."""
    plans = _list(result.get("plans"))
    pareto = _list(result.get("pareto"))
    chosen = plans[0]
    objective = str(result.get("objective", "cost"))
    workload = _map(result.get("workload"))
    title = f"Training plan: {workload.get('model', 'model')}"
    sections = [
        Section(
            "chosen",
            "Chosen plan",
            f"<p>{_esc(_long_label(chosen))}, ranked first by {_esc(objective)}.</p>"
            + _plan_cards(chosen)
            + _notes(chosen.get("notes") or ()),
        ),
        Section(
            "inputs",
            "Workload and constraints",
            key_values(
                [
                    *_formatted(workload),
                    *_formatted(_map(result.get("constraints"))),
                    ("objective", objective),
                ]
            ),
        ),
    ]
    front_keys = {_plan_key(p) for p in pareto}
    lock_in_plans = [_map(e.get("plan")) for e in _list(result.get("lock_in"))]
    chart = _scatter([*plans, *pareto, *lock_in_plans], front_keys, chosen)
    if chart:
        sections.append(
            Section(
                "pareto",
                "Cost and time",
                f"<figure>{chart}<figcaption>Each point is a plan (accelerator/provider); "
                "larger points lie on the Pareto front (no plan is both cheaper and faster); "
                "the outlined point is the chosen plan.</figcaption></figure>",
            )
        )
    lock_in = _list(result.get("lock_in"))
    vendor_chart = _lock_in_chart(lock_in, "vendor", objective)
    stack_chart = _lock_in_chart(lock_in, "software_stack", objective)
    if vendor_chart or stack_chart:
        sections.append(
            Section(
                "lock-in",
                "Best per vendor and software stack",
                '<p class="note">The premium is what staying with one vendor (or software '
                "stack) costs over the best plan overall.</p>"
                + (f"<figure>{vendor_chart}</figure>" if vendor_chart else "")
                + (f"<figure>{stack_chart}</figure>" if stack_chart else ""),
            )
        )
    shown = plans[:_BREAKDOWN_PLANS]
    labels = [f"#{i + 1} {plan_label(p)}" for i, p in enumerate(shown)]
    sections.append(
        Section("breakdown", "Where memory and time go", _breakdown_charts(shown, labels))
    )
    sections.append(
        Section(
            "plans",
            f"Top plans ({min(len(plans), _TOP_PLANS)} of {len(plans)})",
            _plans_table(plans[:_TOP_PLANS], "plans"),
        )
    )
    if pareto:
        sections.append(Section("front", "Pareto front", _plans_table(pareto, "pareto")))
    stats = _map(result.get("stats"))
    notes = _notes(result.get("notes") or ())
    if stats or notes:
        sections.append(Section("search", "Search and notes", key_values(stats.items()) + notes))
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table(
                (f"#{i + 1} {plan_label(p)}", _list(p.get("sources"))) for i, p in enumerate(plans)
            ),
        )
    )
    return title, sections


def _fleet_table(fleet: Mapping[str, Any], name: str) -> str:
    rows: list[list[Cell | str]] = [
        [
            str(e.get("accelerator_id", DASH)),
            str(e.get("vendor", DASH)),
            str(e.get("provider", DASH)),
            str(e.get("region", DASH)),
            str(e.get("instance", DASH)),
            _layout_text(e.get("layout")),
            Cell.num(e.get("chips_per_replica"), fmt_count(e.get("chips_per_replica"))),
            Cell.num(e.get("replicas"), fmt_count(e.get("replicas"))),
            Cell.num(e.get("instances"), fmt_count(e.get("instances"))),
            Cell.num(
                e.get("capacity_rps_per_replica"), fmt_number(e.get("capacity_rps_per_replica"))
            ),
            Cell.num(e.get("capacity_rps"), fmt_number(e.get("capacity_rps"))),
            Cell.num(e.get("usd_per_instance_hour"), fmt_usd(e.get("usd_per_instance_hour"))),
            Cell.num(e.get("usd_per_hour"), fmt_usd(e.get("usd_per_hour"))),
            str(e.get("pricing", DASH)),
        ]
        for e in _list(fleet.get("entries"))
    ]
    headers = [
        "accelerator", "vendor", "provider", "region", "instance", "layout", "chips/replica",
        "replicas", "instances", "req/s per replica", "req/s", "$/h per instance", "$/h",
        "pricing",
    ]  # fmt: skip
    return table(headers, rows, name=name)


def _fleet_cards(fleet: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("fleet price", f"{fmt_usd(fleet.get('usd_per_hour'))}/h"),
        ("per million tokens", fmt_usd(fleet.get("usd_per_million_tokens"))),
        ("per million output tokens", fmt_usd(fleet.get("usd_per_million_output_tokens"))),
        ("chips", fmt_count(fleet.get("chips"))),
        ("capacity", f"{fmt_number(fleet.get('capacity_rps'))} req/s"),
        ("energy", f"{fmt_number(fleet.get('energy_kwh_per_hour'))} kWh/h"),
        ("CO2", f"{fmt_number(fleet.get('co2_kg_per_hour'))} kg/h"),
    ]


def _entry_label(entry: Plan) -> str:
    return f"{entry.get('replicas', '?')}x {_type_label(entry)}"


def _type_label(entry: Plan) -> str:
    layout = _layout_text(entry.get("layout"))
    return f"{plan_label(entry)} {entry.get('region', '')} {layout}".strip()


def serve_sections(result: Mapping[str, Any]) -> tuple[str, list[Section]]:
    """Title and sections of a serving-plan report (``kind == "serving_plan"``)."""
    fleet = _map(result.get("fleet"))
    single = _map(result.get("single_type"))
    workload = _map(result.get("workload"))
    title = f"Serving plan: {workload.get('model', 'model')}"
    unconstrained = _map(result.get("unconstrained"))
    savings = as_float(result.get("savings_pct"))
    premium = as_float(result.get("share_limit_premium_pct"))
    headline = [
        *_fleet_cards(fleet),
        ("required rate", f"{fmt_number(result.get('required_rps'))} req/s"),
        ("saving vs one type", DASH if savings is None else f"{fmt_number(savings)}%"),
    ]
    if premium is not None:
        headline.append(("vendor-share limit costs", f"+{fmt_number(premium)}%"))
    sections = [
        Section("fleet", "Cheapest fleet", cards(headline) + _fleet_table(fleet, "fleet")),
        Section(
            "inputs",
            "Workload and constraints",
            key_values([*_formatted(workload), *_formatted(_map(result.get("constraints")))]),
        ),
    ]
    share = _map(fleet.get("vendor_capacity_share"))
    share_bars = [
        Bar(str(v), as_float(s) or 0.0, group=str(v))
        for v, s in share.items()
        if as_float(s) is not None
    ]
    share_svg = bar_chart(
        share_bars,
        name="vendor-share",
        title="Share of the fleet's capacity per vendor",
        value_label="share of capacity",
        value_format=fmt_pct,
    )
    fleets = [("cheapest fleet", fleet), ("best single type", single)]
    if unconstrained:
        fleets.append(("no vendor-share limit", unconstrained))
    composition = stacked_chart(
        [
            StackedRow(
                label,
                tuple(
                    Segment(_type_label(e), as_float(e.get("usd_per_hour")) or 0.0)
                    for e in _list(f.get("entries"))
                ),
            )
            for label, f in fleets
        ],
        name="fleet-cost",
        title="Price per hour by replica type",
        value_label="USD per hour",
        value_format=fmt_usd,
    )
    mix = "".join(f"<figure>{svg}</figure>" for svg in (share_svg, composition) if svg)
    if mix:
        sections.append(Section("mix", "Vendor share and composition", mix))
    sections.append(
        Section(
            "single",
            "Best single replica type",
            cards(_fleet_cards(single)) + _fleet_table(single, "single-type"),
        )
    )
    if unconstrained:
        sections.append(
            Section(
                "unconstrained",
                "Cheapest fleet without the vendor-share limit",
                cards(_fleet_cards(unconstrained)) + _fleet_table(unconstrained, "unconstrained"),
            )
        )
    notes = _notes(result.get("notes") or ())
    stats = [(k, result.get(k)) for k in ("candidates_evaluated", "candidate_types") if k in result]
    if notes or stats:
        sections.append(Section("search", "Search and notes", key_values(stats) + notes))
    entries = [*_list(fleet.get("entries")), *_list(single.get("entries"))]
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table((_entry_label(e), _list(e.get("sources"))) for e in entries),
        )
    )
    return title, sections


_COMPARE_ROWS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("accelerator", "accelerator_id", str),
    ("vendor", "vendor", str),
    ("software stack", "software_stack", str),
    ("provider", "provider", str),
    ("region", "region", str),
    ("instance", "instance", str),
    ("instances", "instances", fmt_count),
    ("chips", "chips", fmt_count),
    ("layout", "layout", _layout_text),
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
    plans = _list(result.get("plans"))
    raw_options = result.get("options")
    options = [str(o) for o in raw_options] if isinstance(raw_options, list) else []
    names = [options[i] if i < len(options) else plan_label(p) for i, p in enumerate(plans)]
    relative = result.get("relative_pct")
    relative_rows = [_map(r) for r in relative] if isinstance(relative, list) else []
    workload = _map(result.get("workload"))
    title = f"Comparison: {workload.get('model', 'model')}"
    rows: list[list[Cell | str]] = []
    for label, key, fmt in _COMPARE_ROWS:
        row: list[Cell | str] = [label]
        for p in plans:
            value = p.get(key)
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
        Section("inputs", "Workload", key_values(_formatted(workload))),
    ]
    if figures:
        sections.append(Section("charts", "Cost and time", figures))
    sections.append(
        Section("breakdown", "Where memory and time go", _breakdown_charts(plans, names))
    )
    notes = _notes(
        [*(result.get("notes") or ()), *(n for p in plans for n in p.get("notes") or ())]
    )
    if notes:
        sections.append(Section("notes", "Notes", notes))
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table((n, _list(p.get("sources"))) for n, p in zip(names, plans, strict=True)),
        )
    )
    return title, sections
