"""The sections of a training-plan report (``kind == "training_plan"``): the chosen plan, the
cost-time plane with its Pareto front, the best plan per vendor and software stack (lock-in
premium), memory and step-time breakdowns, the top plans, notes and sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xpuplan.report.format import (
    DASH,
    as_float,
    fmt_count,
    fmt_duration_s,
    fmt_number,
    fmt_pct,
    fmt_usd,
    time_unit_s,
)
from xpuplan.report.html import Cell, Section, cards, key_values, sources_table, table
from xpuplan.report.parts import (
    BREAKDOWN_PLANS,
    TOP_PLANS,
    Plan,
    as_list,
    as_map,
    breakdown_charts,
    energy_cell,
    energy_text,
    esc,
    formatted,
    long_label,
    notes_list,
    objective_format,
    plan_key,
    plan_label,
    plan_layout_text,
)
from xpuplan.report.svg import Bar, Point, bar_chart, scatter_chart

__all__ = ["train_sections"]


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
            ("energy", energy_text(plan)),
            ("CO2", f"{fmt_number(plan.get('co2_kg'))} kg"),
            ("step time", fmt_duration_s(plan.get("step_time_s"))),
            ("layout", plan_layout_text(plan)),
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
            plan_layout_text(p),
            Cell.num(p.get("wall_time_s"), fmt_duration_s(p.get("wall_time_s"))),
            Cell.num(p.get("cost_usd"), fmt_usd(p.get("cost_usd"))),
            str(p.get("pricing", DASH)),
            Cell.num(p.get("usd_per_hour"), fmt_usd(p.get("usd_per_hour"))),
            Cell.num(p.get("mfu"), fmt_pct(p.get("mfu"))),
            energy_cell(p),
            Cell.num(p.get("co2_kg"), fmt_number(p.get("co2_kg"))),
        ]
        for i, p in enumerate(plans)
    ]
    headers = [
        "#", "accelerator", "vendor", "stack", "provider", "region", "instance", "chips",
        "layout", "wall time", "cost", "pricing", "$/hour", "MFU", "energy kWh", "CO2 kg",
    ]  # fmt: skip
    starred = any(str(r[14].text).endswith("*") for r in rows if isinstance(r[14], Cell))
    note = '<p class="note">* the chips\' own energy: no PUE for that region.</p>'
    return table(headers, rows, name=name, highlight_first=True) + (note if starred else "")


def _scatter(
    plans: Sequence[Plan],
    front_keys: set[tuple[str, ...]],
    chosen: Plan,
    constraints: Mapping[str, Any] | None = None,
) -> str:
    points: dict[tuple[str, ...], Point] = {}
    chosen_key = plan_key(chosen)
    for p in plans:
        x, y = as_float(p.get("wall_time_s")), as_float(p.get("cost_usd"))
        if x is None or y is None:
            continue
        key = plan_key(p)
        points[key] = Point(
            x=x,
            y=y,
            label=plan_label(p),
            group=str(p.get("vendor", "other")),
            on_front=key in front_keys,
            chosen=key == chosen_key,
            tooltip=f"{long_label(p)}: {fmt_usd(y)} in {fmt_duration_s(x)}",
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
        x_marks=_limit((constraints or {}).get("deadline_s"), "deadline"),
        y_marks=_limit((constraints or {}).get("budget_usd"), "budget"),
    )


def _limit(value: Any, text: str) -> list[tuple[float, str]]:
    number = as_float(value)
    return [] if number is None else [(number, text)]


def _lock_in_chart(entries: Sequence[Plan], group_kind: str, objective: str) -> str:
    chosen = [e for e in entries if e.get("group_kind") == group_kind]
    fmt = objective_format(objective)
    bars = []
    for e in sorted(chosen, key=lambda e: as_float(e.get("objective_value")) or 0.0):
        value = as_float(e.get("objective_value"))
        premium = as_float(e.get("premium_pct"))
        if value is None:
            continue
        plan = as_map(e.get("plan"))
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
    plans = as_list(result.get("plans"))
    pareto = as_list(result.get("pareto"))
    chosen = plans[0]
    objective = str(result.get("objective", "cost"))
    workload = as_map(result.get("workload"))
    title = f"Training plan: {workload.get('model', 'model')}"
    sections = [
        Section(
            "chosen",
            "Chosen plan",
            f"<p>{esc(long_label(chosen))}, ranked first by {esc(objective)}.</p>"
            + _plan_cards(chosen)
            + notes_list(chosen.get("notes") or ()),
        ),
        Section(
            "inputs",
            "Workload and constraints",
            key_values(
                [
                    *formatted(workload),
                    *formatted(as_map(result.get("constraints"))),
                    ("objective", objective),
                ]
            ),
        ),
    ]
    front_keys = {plan_key(p) for p in pareto}
    lock_in_plans = [
        as_map(e.get("plan")) for e in as_list(result.get("lock_in")) if as_map(e).get("plan")
    ]
    chart = _scatter(
        [*plans, *pareto, *lock_in_plans], front_keys, chosen, as_map(result.get("constraints"))
    )
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
    lock_in = as_list(result.get("lock_in"))
    vendor_chart = _lock_in_chart(lock_in, "vendor", objective)
    stack_chart = _lock_in_chart(lock_in, "software_stack", objective)
    rows = [
        (
            str(as_map(e).get("group_kind", "")),
            str(as_map(e).get("group", "")),
            plan_label(as_map(as_map(e).get("plan")))
            + f" ({as_map(as_map(e).get('plan')).get('pricing', '')})"
            if as_map(e).get("plan")
            else f"no plan: {as_map(e).get('reason') or 'unknown'}",
        )
        for e in lock_in
    ]
    every = table(("group", "name", "best plan or reason"), rows, name="lock-in-all")
    if vendor_chart or stack_chart or rows:
        sections.append(
            Section(
                "lock-in",
                "Best per vendor and software stack",
                '<p class="note">The premium is what staying with one vendor (or software '
                "stack) costs over the best plan overall.</p>"
                + (f"<figure>{vendor_chart}</figure>" if vendor_chart else "")
                + (f"<figure>{stack_chart}</figure>" if stack_chart else "")
                + every,
            )
        )
    shown = plans[:BREAKDOWN_PLANS]
    labels = [f"#{i + 1} {plan_label(p)}" for i, p in enumerate(shown)]
    sections.append(
        Section("breakdown", "Where memory and time go", breakdown_charts(shown, labels))
    )
    sections.append(
        Section(
            "plans",
            f"Top plans ({min(len(plans), TOP_PLANS)} of {len(plans)})",
            _plans_table(plans[:TOP_PLANS], "plans"),
        )
    )
    if pareto:
        sections.append(Section("front", "Pareto front", _plans_table(pareto, "pareto")))
    stats = as_map(result.get("stats"))
    notes = notes_list(result.get("notes") or ())
    if stats or notes:
        sections.append(Section("search", "Search and notes", key_values(stats.items()) + notes))
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table(
                (f"#{i + 1} {plan_label(p)}", as_list(p.get("sources")))
                for i, p in enumerate(plans)
            ),
        )
    )
    return title, sections
