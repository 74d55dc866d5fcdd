"""The sections of a serving-plan report (``kind == "serving_plan"``): fleet composition, cost per
million tokens, per-vendor share, the best single type and the fleet without the share limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xpuplan.report.format import (
    DASH,
    as_float,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_usd,
)
from xpuplan.report.html import Cell, Section, cards, key_values, sources_table, table
from xpuplan.report.parts import (
    Plan,
    as_list,
    as_map,
    formatted,
    layout_text,
    notes_list,
    plan_label,
)
from xpuplan.report.svg import Bar, Segment, StackedRow, bar_chart, stacked_chart

__all__ = ["serve_sections"]


def _latency(entry: Mapping[str, Any], key: str, target: Any) -> Cell:
    """A predicted p99 latency against its target: "812 / 1,000 ms" (a dash when unknown)."""
    value = as_float(entry.get(key))
    if value is None:
        return Cell(DASH)
    goal = as_float(target)
    text = (
        f"{fmt_number(value)} ms"
        if goal is None
        else f"{fmt_number(value)} / {fmt_number(goal)} ms"
    )
    if goal is not None and value > goal:
        text += " (over target)"
    return Cell(text, value)


def _fleet_table(fleet: Mapping[str, Any], name: str, workload: Mapping[str, Any]) -> str:
    ttft_target, tpot_target = workload.get("ttft_p99_ms"), workload.get("tpot_p99_ms")
    rows: list[list[Cell | str]] = [
        [
            str(e.get("role", "colocated")),
            str(e.get("accelerator_id", DASH)),
            str(e.get("vendor", DASH)),
            str(e.get("provider", DASH)),
            str(e.get("region", DASH)),
            str(e.get("instance", DASH)),
            layout_text(e.get("layout")),
            Cell.num(e.get("chips_per_replica"), fmt_count(e.get("chips_per_replica"))),
            Cell.num(e.get("replicas"), fmt_count(e.get("replicas"))),
            Cell.num(e.get("instances"), fmt_count(e.get("instances"))),
            Cell.num(
                e.get("capacity_rps_per_replica"), fmt_number(e.get("capacity_rps_per_replica"))
            ),
            Cell.num(e.get("capacity_rps"), fmt_number(e.get("capacity_rps"))),
            _latency(e, "ttft_p99_ms", ttft_target),
            _latency(e, "tpot_p99_ms", tpot_target),
            Cell.num(e.get("usd_per_instance_hour"), fmt_usd(e.get("usd_per_instance_hour"))),
            Cell.num(e.get("usd_per_hour"), fmt_usd(e.get("usd_per_hour"))),
            str(e.get("pricing", DASH)),
        ]
        for e in as_list(fleet.get("entries"))
    ]
    headers = [
        "pool", "accelerator", "vendor", "provider", "region", "instance", "layout",
        "chips/replica", "replicas", "instances", "req/s per replica", "req/s", "TTFT p99 / target",
        "TPOT p99 / target", "$/h per instance", "$/h", "pricing",
    ]  # fmt: skip
    return table(headers, rows, name=name) + _pools_table(fleet, f"{name}-pools")


def _pools_table(fleet: Mapping[str, Any], name: str) -> str:
    """Per pool (prefill, decode; colocated in a mixed fleet): chips, cost and utilisation.
    Empty for a fleet of colocated replicas only (the fleet table says it all)."""
    pools = [as_map(p) for p in as_list(fleet.get("pools"))]
    if not pools or {p.get("role") for p in pools} == {"colocated"}:
        return ""
    rows: list[list[Cell | str]] = [
        [
            str(p.get("role", DASH)),
            Cell.num(p.get("chips"), fmt_count(p.get("chips"))),
            Cell.num(p.get("instances"), fmt_count(p.get("instances"))),
            Cell.num(p.get("usd_per_hour"), fmt_usd(p.get("usd_per_hour"))),
            Cell.num(p.get("capacity_rps"), fmt_number(p.get("capacity_rps"))),
            Cell.num(p.get("utilisation"), fmt_pct(p.get("utilisation"))),
        ]
        for p in pools
    ]
    headers = ["pool", "chips", "instances", "$/h", "capacity (req/s; prefill: prompts/s)",
               "mean utilisation"]  # fmt: skip
    return table(headers, rows, name=name)


def _fleet_cards(fleet: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("layout", str(fleet.get("layout", "colocated"))),
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
    layout = layout_text(entry.get("layout"))
    return f"{plan_label(entry)} {entry.get('region', '')} {layout}".strip()


def serve_sections(result: Mapping[str, Any]) -> tuple[str, list[Section]]:
    """Title and sections of a serving-plan report (``kind == "serving_plan"``)."""
    fleet = as_map(result.get("fleet"))
    single = as_map(result.get("single_type"))
    workload = as_map(result.get("workload"))
    title = f"Serving plan: {workload.get('model', 'model')}"
    unconstrained = as_map(result.get("unconstrained"))
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
        Section(
            "fleet", "Cheapest fleet", cards(headline) + _fleet_table(fleet, "fleet", workload)
        ),
        Section(
            "inputs",
            "Workload and constraints",
            key_values([*formatted(workload), *formatted(as_map(result.get("constraints")))]),
        ),
    ]
    share = as_map(fleet.get("vendor_capacity_share"))
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
                    for e in as_list(f.get("entries"))
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
            cards(_fleet_cards(single)) + _fleet_table(single, "single-type", workload),
        )
    )
    if unconstrained:
        sections.append(
            Section(
                "unconstrained",
                "Cheapest fleet without the vendor-share limit",
                cards(_fleet_cards(unconstrained))
                + _fleet_table(unconstrained, "unconstrained", workload),
            )
        )
    notes = notes_list(result.get("notes") or ())
    stats = [(k, result.get(k)) for k in ("candidates_evaluated", "candidate_types") if k in result]
    if notes or stats:
        sections.append(Section("search", "Search and notes", key_values(stats) + notes))
    entries = [*as_list(fleet.get("entries")), *as_list(single.get("entries"))]
    sections.append(
        Section(
            "sources",
            "Sources and dates",
            sources_table((_entry_label(e), as_list(e.get("sources"))) for e in entries),
        )
    )
    return title, sections
