"""Results as rich tables on a terminal: what the CLI prints when ``--json`` is not given.

Every ``print_*`` function takes the :class:`rich.console.Console` to print on (the CLI's) and one
library result; nothing here computes, reads files or decides anything beyond layout. Numbers go
through :mod:`xpuplan.report.format` (and the planner's own ``format_duration``/``format_usd`` for
plan tables), so each quantity has one formatter. The progress bars of the long commands live
here too: they draw only on a terminal and never under ``--json``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from xpuplan.catalog.skypilot import SkypilotImport
from xpuplan.report.format import fmt_fixed, fmt_number, fmt_si
from xpuplan.search.training import format_duration, format_usd

if TYPE_CHECKING:
    from xpuplan.catalog.query import OfferingRow
    from xpuplan.catalog.schema import Accelerator, Region
    from xpuplan.perf.layout import Layout
    from xpuplan.perf.training import TrainingEstimate
    from xpuplan.search.results import (
        FleetPlan,
        ServingPlanResult,
        TrainingComparison,
        TrainingPlan,
        TrainingPlanResult,
    )
    from xpuplan.search.serving_cost import PricedServingEstimate
    from xpuplan.validation.run import ValidationReport

__all__ = [
    "count_progress",
    "print_accelerators",
    "print_comparison",
    "print_model",
    "print_model_list",
    "print_offerings",
    "print_regions",
    "print_serving_estimate",
    "print_serving_plan",
    "print_training_estimate",
    "print_training_plan",
    "print_validation",
    "stage_progress",
]

NA = "n/a"


# --- progress bars --------------------------------------------------------------------------


def _bar(console: Console, count_text: str) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(count_text),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextlib.contextmanager
def stage_progress(
    console: Console, enabled: bool
) -> Iterator[Callable[[str, float], None] | None]:
    """A bar per planner stage fed by ``update(stage, fraction)``; None (no bar) when not
    ``enabled`` or when ``console`` is not a terminal."""
    if not enabled or not console.is_terminal:
        yield None
        return
    with _bar(console, "{task.percentage:>3.0f}%") as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = int(bar.add_task(stage, total=1.0))
            bar.update(tasks[stage], completed=fraction)  # type: ignore[arg-type]

        yield update


@contextlib.contextmanager
def count_progress(
    console: Console, enabled: bool, description: str
) -> Iterator[Callable[[object], None] | None]:
    """A bar that advances by one per call (``callback(item)``), counting items done; None when
    not ``enabled`` or when ``console`` is not a terminal."""
    if not enabled or not console.is_terminal:
        yield None
        return
    with _bar(console, "{task.completed} done") as bar:
        task = bar.add_task(description, total=None)
        yield lambda _item: bar.advance(task)


# --- shared pieces ----------------------------------------------------------------------------


def _print_notes(console: Console, notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def _key_value_table(title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    return table


def _short_accelerator(accelerator_id: str) -> str:
    """``nvidia-h100-sxm`` -> ``h100-sxm`` for narrow tables (ids stay whole in JSON)."""
    for prefix in ("nvidia-", "amd-", "google-", "aws-", "intel-"):
        if accelerator_id.startswith(prefix):
            return accelerator_id[len(prefix) :]
    return accelerator_id


def _layout_text(layout: Layout) -> str:
    """``tp8 pp2 dp64`` (+ cp/ep/interleaving when used); the rest is in --json/--explain."""
    parts = [f"tp{layout.tp} pp{layout.pp}"]
    if layout.virtual_pp != 1:
        parts[0] += f"/v{layout.virtual_pp}"
    if layout.cp != 1:
        parts.append(f"cp{layout.cp}")
    parts.append(f"dp{layout.dp}")
    if layout.ep != 1:
        parts.append(f"ep{layout.ep}")
    return " ".join(parts)


def _energy_text(plan: TrainingPlan) -> str:
    """Total energy, or the accelerators' own energy marked ``*`` when PUE is unknown."""
    if plan.energy_kwh is not None:
        return fmt_si(plan.energy_kwh * 1e3, "Wh")
    if plan.it_energy_kwh is not None:
        return fmt_si(plan.it_energy_kwh * 1e3, "Wh") + "*"
    return NA


def _co2_text(plan: TrainingPlan) -> str:
    if plan.co2_kg is None:
        return NA
    return f"{plan.co2_kg / 1e3:.3g} t" if plan.co2_kg >= 1e3 else f"{plan.co2_kg:.3g} kg"


def _signed_pct(value: float | None) -> str:
    return fmt_fixed(value, 1, "%", missing=NA, signed=True)


# --- training plans and comparisons -----------------------------------------------------------


def _training_plans_table(title: str, plans: Sequence[TrainingPlan]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("offering")
    table.add_column("region")
    table.add_column("chips", justify="right")
    table.add_column("layout")
    for name in ("time", "cost", "MFU", "energy", "CO2"):
        table.add_column(name, justify="right")
    for k, p in enumerate(plans, 1):
        table.add_row(
            str(k),
            f"{p.provider}:{p.instance} x{p.instances}",
            p.region,
            f"{p.chips} {_short_accelerator(p.accelerator_id)}",
            _layout_text(p.layout),
            format_duration(p.wall_time_s),
            f"{format_usd(p.cost_usd)}\n{p.pricing}",
            f"{p.mfu:.0%}",
            _energy_text(p),
            _co2_text(p),
        )
    return table


def _sources_table(plans: Sequence[TrainingPlan]) -> Table:
    """Every source used by ``plans``, once (``--explain``)."""
    table = Table(title="Sources of the numbers used", title_justify="left")
    for name in ("kind", "key", "as_of", "fields", "source"):
        table.add_column(name, overflow="fold")
    seen: set[tuple[str, str, str]] = set()
    for plan in plans:
        for s in plan.sources:
            if (s.kind, s.key, s.source) not in seen:
                seen.add((s.kind, s.key, s.source))
                table.add_row(s.kind, s.key, s.as_of or "", ", ".join(s.fields), s.source)
    return table


def _print_plan_footnotes(
    console: Console,
    notes: Sequence[str],
    plans: Sequence[TrainingPlan],
    shown: Sequence[TrainingPlan],
) -> None:
    """The result's notes, the ``*`` of :func:`_energy_text` when any ``shown`` row used it,
    then the notes of ``plans`` (the ranked ones), each once."""
    _print_notes(console, notes)
    if any(p.energy_kwh is None and p.it_energy_kwh is not None for p in shown):
        console.print(
            "note: * accelerator (IT) energy only: the region's PUE is unknown", highlight=False
        )
    _print_notes(console, sorted({n for p in plans for n in p.notes}))


def _lock_in_table(result: TrainingPlanResult) -> Table:
    table = Table(
        title="Lock-in premium: best plan per vendor and per software stack", title_justify="left"
    )
    for name in ("group", "name", "plan or reason", "pricing", "time", "cost", "premium"):
        table.add_column(name, justify="right" if name == "premium" else "left")
    for e in result.lock_in:
        if e.plan is None:
            table.add_row(
                e.group_kind, e.group, f"no plan: {e.reason or 'unknown'}", "-", "-", "-", "-"
            )
            continue
        table.add_row(
            e.group_kind,
            e.group,
            f"{e.plan.chips} {_short_accelerator(e.plan.accelerator_id)} "
            f"({e.plan.provider} {e.plan.region})",
            e.plan.pricing,
            format_duration(e.plan.wall_time_s),
            format_usd(e.plan.cost_usd),
            _signed_pct(e.premium_pct) if e.premium_pct is not None else "-",
        )
    return table


def _print_explain(console: Console, result: TrainingPlanResult) -> None:
    best = result.plans[0]
    for line in (
        "layout of plan 1: "
        + ", ".join(f"{k}={v}" for k, v in best.layout.to_dict().items())
        + f"; n_micro={best.n_micro}, global_batch_seqs={best.global_batch_seqs}",
        "memory per chip (GB): "
        + ", ".join(f"{k} {v:.1f}" for k, v in best.memory_gb_per_chip.items()),
        "step time (s): "
        + ", ".join(f"{k} {v:.3g}" for k, v in best.step_time_breakdown_s.items()),
    ):
        console.print(line, highlight=False)


def print_training_plan(console: Console, result: TrainingPlanResult, explain: bool) -> None:
    """``plan train``: the workload, top plans, an even spread of the Pareto front (at most 12
    rows; ``--json`` has all of it), lock-in premiums, search size and notes; with ``explain``
    plan 1's breakdowns and every source."""
    w = result.workload
    c = result.constraints
    console.print(
        Text(str(w["model"]), style="bold"),
        f": {fmt_number(w['tokens'])} tokens, seq {w['seq_len']}, global batch "
        f"{w['global_batch_tokens']:,} tokens, {w['precision']}; objective {result.objective}; "
        f"deadline {format_duration(c['deadline_s'])}"
        + (" (default)" if c["deadline_is_default"] else "")
        + (f", budget {format_usd(c['budget_usd'])}" if c["budget_usd"] else "")
        + (
            "; best pricing per offering" + (" (spot allowed)" if c.get("allow_spot") else "")
            if c["pricing"] == "best"
            else f"; {c['pricing']} prices"
        ),
        highlight=False,
        sep="",
    )
    console.print(_training_plans_table("Top plans (best region per instance type)", result.plans))
    front = result.pareto
    if len(front) > 12:
        step = (len(front) - 1) / 11
        front = tuple(front[round(i * step)] for i in range(12))
    console.print(
        _training_plans_table(f"Cost vs time Pareto front ({len(result.pareto)} plans)", front)
    )
    console.print(_lock_in_table(result))
    s = result.stats
    console.print(
        f"searched {s.candidates_evaluated:,} candidates on {s.offerings} offerings "
        f"({s.hardware_groups} hardware types); {s.feasible_plans:,} feasible plans",
        highlight=False,
    )
    _print_plan_footnotes(console, result.notes, result.plans, [*result.plans, *result.pareto])
    if explain:
        _print_explain(console, result)
        console.print(_sources_table(result.plans))


def print_comparison(console: Console, result: TrainingComparison, explain: bool) -> None:
    """``compare``: each option's best plan, then time/cost/energy/CO2 relative to option 1."""
    w = result.workload
    console.print(
        Text(str(w["model"]), style="bold"),
        f": {fmt_number(w['tokens'])} tokens, seq {w['seq_len']}, global batch "
        f"{w['global_batch_tokens']:,} tokens, {w['precision']}",
        highlight=False,
        sep="",
    )
    console.print(_training_plans_table("Options (best layout of each)", result.plans))
    table = Table(title=f"Relative to option 1 ({result.options[0]})", title_justify="left")
    for name in ("#", "option", "time", "cost", "energy", "CO2"):
        table.add_column(name, justify="left" if name == "option" else "right")
    for k, (option, rel) in enumerate(zip(result.options, result.relative_pct, strict=True), 1):
        table.add_row(
            str(k),
            option,
            *(_signed_pct(rel[key]) for key in ("wall_time_s", "cost_usd", "energy_kwh", "co2_kg")),
        )
    console.print(table)
    for option, reason in result.missing:
        console.print(f"no plan for {option}: {reason}", highlight=False, markup=False)
    _print_plan_footnotes(console, result.notes, result.plans, result.plans)
    if explain:
        console.print(_sources_table(result.plans))


# --- serving fleets -----------------------------------------------------------------------------


def _fleet_table(title: str, fleet: FleetPlan) -> Table:
    pooled = fleet.layout != "colocated"
    table = Table(title=f"{title} ({fleet.layout})" if pooled else title, title_justify="left")
    columns: tuple[str, ...] = ("pool",) if pooled else ()
    columns += ("provider:instance", "region", "replica", "layout", "replicas", "instances")
    for name in columns:
        table.add_column(name, justify="right" if name in ("replicas", "instances") else "left")
    for name in ("req/s each", "$/h"):
        table.add_column(name, justify="right")
    for e in fleet.entries:
        table.add_row(
            *((e.role,) if pooled else ()),
            f"{e.provider}:{e.instance}",
            e.region,
            f"{e.chips_per_replica} x {e.accelerator_id}",
            " ".join(f"{k}{v}" for k, v in e.layout.items()),
            str(e.replicas),
            str(e.instances),
            f"{e.capacity_rps_per_replica:.3g}",
            fmt_fixed(e.usd_per_hour, 2),
        )
    return table


def _fleet_summary(name: str, fleet: FleetPlan) -> str:
    shares = ", ".join(f"{v} {s:.0%}" for v, s in fleet.vendor_capacity_share.items())
    energy = fmt_fixed(fleet.energy_kwh_per_hour, 1, " kWh/h", missing="energy n/a")
    co2 = fmt_fixed(fleet.co2_kg_per_hour, 1, " kg CO2/h", missing="CO2 n/a")
    pools = ""
    if fleet.layout != "colocated":
        pools = "; pools: " + ", ".join(
            f"{p.role} {p.chips} chips ${p.usd_per_hour:,.2f}/h "
            f"{p.capacity_rps:.3g} {'prompts' if p.role == 'prefill' else 'req'}/s "
            f"at {p.utilisation:.0%}"
            for p in fleet.pools
        )
    return (
        f"{name}: ${fleet.usd_per_hour:,.2f}/h for {fleet.capacity_rps:.3g} req/s on "
        f"{fleet.chips} chips; ${fleet.usd_per_million_tokens:.3f} per M tokens "
        f"(${fleet.usd_per_million_output_tokens:.3f} per M output tokens); {energy}; {co2}; "
        f"capacity by vendor: {shares}{pools}"
    )


def print_serving_plan(console: Console, result: ServingPlanResult) -> None:
    """``plan serve``: the cheapest fleet, the best single-type fleet and what the mix saves."""
    w = result.workload
    console.print(
        Text(str(w["model"]), style="bold"),
        f": {w['rate_rps']:g} req/s x peak/mean {w['peak_to_mean']:g} = "
        f"{result.required_rps:g} req/s to provision; {w['input_tokens']} in / "
        f"{w['output_tokens']} out tokens; p99 TTFT <= {w['ttft_p99_ms']:g} ms, "
        f"p99 TPOT <= {w['tpot_p99_ms']:g} ms",
        highlight=False,
        sep="",
    )
    console.print(_fleet_table("Cheapest fleet", result.fleet))
    console.print(_fleet_summary("fleet", result.fleet), highlight=False)
    console.print(_fleet_table("Best single-type fleet", result.single_type))
    console.print(_fleet_summary("single type", result.single_type), highlight=False)
    if result.unconstrained is not None:
        console.print(
            _fleet_summary("without the vendor-share limit", result.unconstrained),
            highlight=False,
        )
        console.print(
            f"the vendor-share limit costs {result.share_limit_premium_pct:+.1f}% "
            "over the cheapest unconstrained fleet",
            highlight=False,
        )
    if result.vendors:
        table = Table(
            title="Every vendor and software stack: cheapest single-type fleet or reason",
            title_justify="left",
        )
        for name in ("group", "name", "fleet or reason", "pricing", "$/h", "premium"):
            table.add_column(name, justify="right" if name in ("$/h", "premium") else "left")
        for v in result.vendors:
            if v.fleet is None or not v.fleet.entries:
                table.add_row(v.group_kind, v.group, f"no fleet: {v.reason}", "-", "-", "-")
                continue
            e = v.fleet.entries[0]
            table.add_row(
                v.group_kind,
                v.group,
                f"{v.fleet.chips} {_short_accelerator(e.accelerator_id)} "
                f"({e.provider}:{e.instance} {e.region})"
                + ("" if v.fleet.layout == "colocated" else f", {v.fleet.layout}"),
                e.pricing,
                f"${v.fleet.usd_per_hour:,.2f}",
                _signed_pct(v.premium_pct),
            )
        console.print(table)
    cheaper = "less" if result.savings_pct >= 0 else "more"
    console.print(
        f"the fleet costs {abs(result.savings_pct):.1f}% {cheaper} than the best single type "
        f"({result.candidate_types} replica types considered, "
        f"{result.candidates_evaluated} hardware x layout candidates evaluated)",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


# --- single-setup estimates ---------------------------------------------------------------------


def print_training_estimate(console: Console, estimate: TrainingEstimate) -> None:
    """``estimate train``: headline numbers, the step-time and the memory breakdowns."""
    e = estimate
    head = _key_value_table(f"{e.model} on {e.chips} x {e.accelerator_id}")
    lay = e.layout
    head.add_row(
        "layout",
        f"dp {lay.dp} x tp {lay.tp} x pp {lay.pp} x cp {lay.cp}, ep {lay.ep}, "
        f"zero {lay.zero} (shard {lay.shard}), recompute {lay.recompute}, "
        f"micro-batch {lay.micro_batch} x {e.n_micro}, vpp {lay.virtual_pp}",
    )
    head.add_row("sequence length / global batch", f"{e.seq_len} / {e.global_batch_seqs} seqs")
    head.add_row("precision", e.precision)
    head.add_row("step time", f"{e.step_time_s:.3f} s")
    head.add_row(
        "tokens/s (per chip)",
        f"{fmt_fixed(e.tokens_per_s)} ({fmt_fixed(e.tokens_per_s_per_chip)})",
    )
    head.add_row("model TFLOP/s per chip", f"{e.model_tflops_per_chip:.1f}")
    head.add_row("MFU / HFU", f"{e.mfu:.1%} / {e.hfu:.1%}")
    fits = "fits" if e.fits_memory else "DOES NOT FIT"
    memory = e.memory_gb_per_chip
    head.add_row(
        "memory per chip",
        f"{memory['total']:.1f} GB of {memory['capacity']:.1f} usable ({fits})",
    )
    console.print(head)
    parts = Table(title="step time breakdown")
    parts.add_column("part")
    parts.add_column("seconds", justify="right")
    parts.add_column("share", justify="right")
    for name, value in e.step_time_breakdown_s.items():
        if value > 0 and name != "total":
            parts.add_row(name, f"{value:.4f}", f"{value / e.step_time_s:.1%}")
    console.print(parts)
    mem = Table(title="memory per chip (GB)")
    mem.add_column("part")
    mem.add_column("GB", justify="right")
    for name, value in memory.items():
        if name not in ("total", "capacity"):
            mem.add_row(name, f"{value:.2f}")
    console.print(mem)
    _print_notes(console, e.notes)


def print_serving_estimate(console: Console, priced: PricedServingEstimate) -> None:
    """``estimate serve``: operating point, latencies, memory, price and the decode step."""

    def num(value: float, digits: int = 1, unit: str = "") -> str:
        return fmt_fixed(value, digits, unit, missing=NA)

    e = priced
    table = _key_value_table(f"{e.model} on {e.count} x {e.accelerator_id}")
    table.add_row(
        "layout", f"{e.replicas} replica(s) of tp {e.tp} x pp {e.pp} (ep {e.ep}), {e.batching}"
    )
    table.add_row(
        "precision",
        f"weights {e.weight_precision}, KV {e.kv_precision}, matmuls {e.compute_precision}",
    )
    table.add_row("request", f"{e.input_len:,.0f} in / {e.output_len:,.0f} out tokens")
    table.add_row("status", e.status)
    table.add_row(
        "batch per replica",
        f"{num(e.batch_per_replica, 0)} of {num(e.max_batch_per_replica, 0)} that fit",
    )
    table.add_row("requests/s", num(e.rate_per_s, 2))
    table.add_row(
        "output tokens/s (per chip)",
        f"{num(e.output_tokens_per_s, 0)} ({num(e.output_tokens_per_s_per_chip, 0)})",
    )
    table.add_row("max output tokens/s (offline)", num(e.max_output_tokens_per_s, 0))
    table.add_row(
        "TTFT mean / p50 / p99",
        f"{num(e.ttft_mean_ms)} / {num(e.ttft_p50_ms)} / {num(e.ttft_p99_ms)} ms",
    )
    table.add_row(
        "TPOT mean / p50 / p99",
        f"{num(e.tpot_mean_ms)} / {num(e.tpot_p50_ms)} / {num(e.tpot_p99_ms)} ms",
    )
    table.add_row("end-to-end mean", num(e.e2e_mean_ms, 0, " ms"))
    mem = e.memory_gb_per_chip
    table.add_row(
        "memory per chip",
        f"weights {mem['weights']:.1f} + KV {mem['kv_in_use']:.1f} of {mem['kv_budget']:.1f} "
        f"budget (HBM {mem['hbm']:.0f} GB)",
    )
    if priced.cost is not None:
        c = priced.cost
        table.add_row("price", f"${c.usd_per_hour:,.2f}/h ({c.pricing}, {c.provider} {c.instance})")
        table.add_row(
            "USD per 1M input / output tokens",
            f"{num(c.usd_per_million_input_tokens, 3)} / {num(c.usd_per_million_output_tokens, 3)}",
        )
    console.print(table)
    step = Table(title="decode step breakdown (ms)")
    step.add_column("part")
    step.add_column("ms", justify="right")
    for name, value in e.decode_step_ms.items():
        step.add_row(name, f"{value:.2f}")
    console.print(step)
    if priced.cost_note:
        _print_notes(console, [priced.cost_note])


# --- validation ---------------------------------------------------------------------------------


def _error_cell(error: float) -> Text:
    colour = "green" if abs(error) <= 0.10 else ("yellow" if abs(error) <= 0.25 else "red")
    return Text(f"{error:+.1%}", style=colour)


def print_validation(console: Console, report: ValidationReport) -> None:
    """``validate``: each case's primary metric, then |error| statistics per kind and family."""
    cases = Table(title="validation cases (primary metric)")
    for column in ("case", "kind", "family", "metric", "predicted", "measured", "error"):
        cases.add_column(column, justify="right" if column in ("predicted", "measured") else "left")
    for c in report.cases:
        if c.status != "ok" or c.primary_metric is None:
            cases.add_row(c.id, c.kind, c.family, "-", "-", "-", f"skipped: {c.reason}")
            continue
        m = c.metrics[c.primary_metric]
        cases.add_row(
            c.id,
            c.kind,
            c.family,
            c.primary_metric,
            f"{m.predicted:,.4g}",
            f"{m.measured:,.4g}",
            _error_cell(m.rel_error),
        )
    console.print(cases)
    summary = Table(title="summary: |relative error| of the primary metric")
    for column in ("kind", "family", "n", "median", "p90", "max", "worst case"):
        summary.add_column(column)
    by_family: dict[str, dict[str, Any]] = report.summary["by_family"]
    for kind, stats in report.summary["by_kind"].items():
        for family, s in [("all", stats), *by_family.get(kind, {}).items()]:
            summary.add_row(
                kind,
                family,
                str(s["n"]),
                f"{s['median_abs_error']:.1%}",
                f"{s['p90_abs_error']:.1%}",
                f"{s['max_abs_error']:.1%}",
                s["worst_case"],
            )
    console.print(summary)
    for kind, count in report.summary["counts"].items():
        console.print(f"{kind}: {count.get('ok', 0)} predicted, {count.get('skipped', 0)} skipped")


# --- catalog ------------------------------------------------------------------------------------


def _dash(value: float | None, digits: int = 0) -> str:
    return fmt_fixed(value, digits, missing="-")


def print_accelerators(console: Console, rows: Sequence[Accelerator]) -> None:
    """``catalog accelerators``: dense peaks, memory and scale-up fabric per chip."""
    table = Table(title=f"{len(rows)} accelerators (dense peaks, per chip)")
    table.add_column("id", no_wrap=True)
    for name in ("vendor", "family", "BF16 TF/s", "FP8 TF/s", "HBM GB", "HBM TB/s"):
        table.add_column(name, justify="right" if "/" in name or "GB" in name else "left")
    table.add_column("scale-up")
    table.add_column("stack")
    for a in rows:
        fabric = f"{a.scaleup_domain_chips} {a.scaleup_topology}"
        if a.scaleup_gbytes_per_s is not None:
            fabric += f" {a.scaleup_gbytes_per_s:,.0f} GB/s"
        table.add_row(
            a.id,
            a.vendor,
            a.family,
            _dash(a.bf16_dense_tflops),
            _dash(a.fp8_dense_tflops),
            _dash(a.hbm_gb),
            _dash(a.hbm_tbps, 2),
            fabric,
            a.software_stack,
        )
    console.print(table)


def print_offerings(console: Console, rows: Sequence[OfferingRow], pricing: str) -> None:
    """``catalog offerings``: instance, region and price per chip-hour, in the given order."""
    table = Table(title=f"{len(rows)} offerings, cheapest first ({pricing} per chip-hour)")
    for name in ("provider", "region", "instance", "accelerator"):
        table.add_column(name, no_wrap=name == "accelerator")
    table.add_column("chips", justify="right")
    table.add_column("USD/chip-h", justify="right")
    table.add_column("pricing")
    table.add_column("as of")
    for row in rows:
        o = row.offering
        chips = str(o.chips_per_instance)
        if o.allowed_chip_counts:
            chips += f" (slices to {max(o.allowed_chip_counts)})"
        table.add_row(
            o.provider,
            o.region,
            o.instance,
            o.accelerator_id,
            chips,
            _dash(row.usd_per_chip_hour, 3),
            row.pricing or "-",
            o.as_of.isoformat(),
        )
    console.print(table)


def print_regions(console: Console, rows: Sequence[Region]) -> None:
    """``catalog regions``: country, EU/EEA status, grid carbon intensity and PUE."""
    table = Table(title=f"{len(rows)} regions")
    for name in ("provider", "code", "city", "country", "EU", "EEA"):
        table.add_column(name)
    table.add_column("gCO2/kWh", justify="right")
    table.add_column("PUE", justify="right")
    for r in rows:
        table.add_row(
            r.provider,
            r.code,
            r.city or "-",
            r.country,
            "yes" if r.eu else "no",
            "yes" if r.eea else "no",
            _dash(r.grid_gco2_per_kwh, 0),
            _dash(r.pue, 2),
        )
    console.print(table)


# --- models -------------------------------------------------------------------------------------


def _billions(value: float) -> str:
    return fmt_fixed(value / 1e9, 3, "B")


def print_model_list(console: Console, rows: Sequence[Mapping[str, Any]]) -> None:
    """``model list``: the bundled presets with total and active parameters."""
    table = Table(title="Bundled model presets")
    for column in ("name", "kind", "total params", "active params", "source"):
        table.add_column(column, justify="right" if "params" in column else "left")
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            _billions(row["params_total"]),
            _billions(row["params_active"]),
            row["source"],
        )
    console.print(table)


def print_model(console: Console, s: Mapping[str, Any]) -> None:
    """``model show``: parameters by part, FLOPs per token, KV cache per token, architecture."""
    table = _key_value_table(f"{s['name']}  ({s['source']})")
    table.add_row("parameters, total", _billions(s["params_total"]))
    table.add_row("parameters, active per token", _billions(s["params_active"]))
    for part, value in s["params"].items():
        if part not in ("total", "active") and value:
            table.add_row(f"  {part}", _billions(value))
    attention = "causal" if s["causal"] else "full"
    table.add_row(f"forward GFLOP/token @ {s['seq_len']} ({attention})", "")
    for part, value in s["forward_flops_per_token_breakdown"].items():
        table.add_row(f"  {part}", fmt_fixed(value / 1e9, 2))
    table.add_row(
        "training GFLOP/token (3x forward)", fmt_fixed(s["training_flops_per_token"] / 1e9, 2)
    )
    for precision, value in s["kv_cache_bytes_per_token"].items():
        table.add_row(f"KV cache per token, {precision}", fmt_fixed(value / 1024, 1, " KiB"))
    architecture = dict(s["architecture"])
    if not architecture.get("qk_norm"):
        architecture.pop("qk_norm_per_head", None)
    for key, value in architecture.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, False, 0))
        if value not in (None, False, 0, ""):
            table.add_row(key, str(value))
    for note in s["notes"]:
        table.add_row("note", note)
    console.print(table)


def print_skypilot_import(console: Console, result: SkypilotImport, out: str) -> None:
    """``catalog import-skypilot``: what was written and the largest price differences."""
    console.print(
        f"{len(result.offerings)} offerings from {', '.join(result.files)} written to {out}; "
        f"{len(result.changes)} prices differ from the bundled catalog",
        highlight=False,
        markup=False,
    )
    ranked = sorted(result.changes, key=lambda c: -abs(math.log(c.ratio)) if c.ratio else 0.0)
    table = Table(title="Largest differences (bundled / SkyPilot)", title_justify="left")
    for name in ("offering", "region", "pricing", "bundled $/h", "SkyPilot $/h", "ratio"):
        table.add_column(name, justify="right" if "$" in name or name == "ratio" else "left")
    for c in ranked[:15]:
        table.add_row(
            f"{c.provider}:{c.instance}",
            c.region,
            c.pricing,
            "-" if c.bundled_usd_per_hour is None else f"{c.bundled_usd_per_hour:,.4g}",
            f"{c.imported_usd_per_hour:,.4g}",
            "new" if c.ratio is None else f"{c.ratio:.2f}x",
        )
    console.print(table)
    console.print(
        f"use it: xpuplan plan train ... --catalog {out}  (or XPUPLAN_CATALOG={out})",
        highlight=False,
        markup=False,
    )
