"""What the report sections share: reading plan dicts, labels, layouts, breakdown charts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from xpuplan.report.format import (
    DASH,
    as_float,
    fmt_duration_s,
    fmt_number,
    fmt_usd,
    fmt_value,
    time_unit_s,
)
from xpuplan.report.html import Cell, text_of
from xpuplan.report.svg import Segment, StackedRow, stacked_chart

__all__ = [
    "BREAKDOWN_PLANS",
    "TOP_PLANS",
    "Plan",
    "as_list",
    "as_map",
    "breakdown_charts",
    "breakdown_row",
    "energy_cell",
    "energy_text",
    "esc",
    "formatted",
    "layout_text",
    "long_label",
    "notes_list",
    "objective_format",
    "plan_key",
    "plan_label",
    "plan_layout_text",
]

Plan = Mapping[str, Any]
TOP_PLANS = 25  # rows of the top-plans table
BREAKDOWN_PLANS = 6  # plans drawn in the breakdown charts
_LIMIT_KEYS = ("capacity", "hbm", "limit", "available")  # breakdown keys that are not parts


def as_list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def plan_label(plan: Plan) -> str:
    """Short label of a plan: accelerator/provider."""
    return f"{plan.get('accelerator_id', '?')}/{plan.get('provider', '?')}"


def long_label(plan: Plan) -> str:
    return (
        f"{plan.get('accelerator_id', '?')} x{plan.get('chips', '?')} on "
        f"{plan.get('provider', '?')} {plan.get('instance', '?')} ({plan.get('region', '?')})"
    )


# Layout keys as tables show them, in this order (any other key follows as key=value).
_LAYOUT_SHORT = {
    "tp": "tp",
    "pp": "pp",
    "virtual_pp": "v",
    "cp": "cp",
    "dp": "dp",
    "ep": "ep",
    "micro_batch": "mb",
    "n_micro": "ga",
    "zero": "z",
    "dp_shard": "shard",
    "sequence_parallel": "sp",
    "recompute": "rc:",
    "recompute_layers": "rc_layers=",
    "devices_per_chip": "dev/chip",
}
_UNIT_KEYS = ("virtual_pp", "cp", "ep", "devices_per_chip")  # shown only when not 1


def _layout_default(layout: Mapping[str, Any], key: str, value: Any) -> bool:
    """Whether ``value`` of ``key`` is what a reader assumes unless told (so it is not shown)."""
    if key in _UNIT_KEYS:
        return bool(value == 1)
    if key in ("recompute", "recompute_layers"):
        return value in ("none", None)
    if key == "sequence_parallel":  # only matters with tensor parallelism
        return value is True or layout.get("tp") == 1
    if key == "dp_shard":  # full sharding (or none without ZeRO) is the default
        return bool(value == (1 if layout.get("zero") == 0 else layout.get("dp")))
    return False


def layout_text(layout: Any, n_micro: Any = None) -> str:
    """A layout as ``tp8 pp2 dp32 mb1 ga4 z1``: degrees first, then the other knobs, in one
    order whatever the order of the keys; ``n_micro`` (a plan's micro-batches per step) shows as
    ``ga``. Batch sizes (shown with the workload) and knobs at their usual value (unit degrees,
    full sharding, sequence parallelism on, no recomputation) are left out."""
    if not isinstance(layout, Mapping) or not layout:
        return DASH
    values = dict(layout)
    if n_micro is not None:
        values["n_micro"] = n_micro
    ordered = [k for k in _LAYOUT_SHORT if k in values]
    ordered += [k for k in values if k not in _LAYOUT_SHORT]
    parts = []
    for key in ordered:
        value = values[key]
        if key.startswith("global_") or isinstance(value, Mapping | list):
            continue
        if _layout_default(values, key, value):
            continue
        if key == "sequence_parallel":
            parts.append("sp" if value else "no-sp")
            continue
        short = _LAYOUT_SHORT.get(key, key if len(key) <= 3 else f"{key}=")
        parts.append(f"{short}{text_of(value)}")
    return " ".join(parts) or DASH


def plan_layout_text(plan: Plan) -> str:
    """:func:`layout_text` of a training plan: its layout and micro-batches per step."""
    return layout_text(plan.get("layout"), plan.get("n_micro"))


def plan_key(plan: Plan) -> tuple[str, ...]:
    names = ("provider", "region", "instance", "accelerator_id", "chips", "pricing")
    return (*(str(plan.get(k)) for k in names), plan_layout_text(plan))


def objective_format(objective: str) -> Callable[[float], str]:
    name = objective.lower()
    if "time" in name or "fast" in name:
        return fmt_duration_s
    if "cost" in name or "usd" in name or "cheap" in name:
        return fmt_usd
    return fmt_number


def breakdown_row(label: str, parts: Any, note: str = "") -> StackedRow | None:
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


def breakdown_charts(plans: Sequence[Plan], labels: Sequence[str]) -> str:
    memory = [
        breakdown_row(lab, p.get("memory_gb_per_chip"))
        for p, lab in zip(plans, labels, strict=True)
    ]
    steps = [
        breakdown_row(lab, p.get("step_time_breakdown_s"))
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


def formatted(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Label/value pairs; the unit leaves the label ("deadline_s" -> "deadline") for the value."""
    out = []
    for key, value in values.items():
        label = next((key[: -len(u)] for u in _UNIT_SUFFIXES if key.endswith(u)), key)
        out.append((label.replace("_", " "), fmt_value(key, value)))
    return out


def energy_text(plan: Plan) -> str:
    """Facility energy, or the accelerators' own energy marked * when the PUE is unknown."""
    if as_float(plan.get("energy_kwh")) is not None:
        return f"{fmt_number(plan.get('energy_kwh'))} kWh"
    if as_float(plan.get("it_energy_kwh")) is not None:
        return f"{fmt_number(plan.get('it_energy_kwh'))} kWh* (chips only, PUE unknown)"
    return DASH


def energy_cell(plan: Plan) -> Cell:
    if as_float(plan.get("energy_kwh")) is None and as_float(plan.get("it_energy_kwh")) is not None:
        return Cell.num(plan.get("it_energy_kwh"), fmt_number(plan.get("it_energy_kwh")) + "*")
    return Cell.num(plan.get("energy_kwh"), fmt_number(plan.get("energy_kwh")))


def notes_list(notes: Iterable[Any]) -> str:
    items = "".join(f"<li>{esc(n)}</li>" for n in notes if n)
    return f"<ul>{items}</ul>" if items else ""


def esc(value: Any) -> str:
    return escape(str(value))
