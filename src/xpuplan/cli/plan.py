"""``xpuplan plan train|serve``: search the catalog for the best training run or serving fleet.

Each command parses its flags, calls :func:`xpuplan.plan.plan_training` or
:func:`xpuplan.plan.plan_serving` and renders rich tables (or JSON with ``--json``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xpuplan.cli.common import CatalogOption, JsonOption, console, load_cli_catalog, print_json
from xpuplan.cli.export import ReportOption, check_report_path, save_report
from xpuplan.energy import PowerModel
from xpuplan.plan import plan_serving, plan_training
from xpuplan.search.filters import OfferingFilter, split_list
from xpuplan.search.results import (
    FleetPlan,
    ServingPlanResult,
    Source,
    TrainingPlan,
    TrainingPlanResult,
)
from xpuplan.search.training import format_duration, format_usd

__all__ = [
    "app",
    "print_energy_footnote",
    "progress_callback",
    "render_sources",
    "render_training_plans",
]

app = typer.Typer(
    help="Find where to train or serve a model: chip, cloud, region, layout, cost, CO2.",
    no_args_is_help=True,
)

ModelOption = Annotated[
    str, typer.Option("--model", help="Model preset name or path to a config.json.")
]
RegionsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--regions",
        help="eu (EU/EEA), us, ISO country codes (DE) or region codes (us-east-1, "
        "gcp:europe-west4); comma-separated or repeated.",
    ),
]
ProvidersOption = Annotated[
    list[str] | None, typer.Option("--providers", help="Only these providers (aws,gcp,...).")
]
VendorsOption = Annotated[
    list[str] | None, typer.Option("--vendors", help="Only these chip vendors (nvidia,amd,...).")
]
ExcludeVendorsOption = Annotated[
    list[str] | None, typer.Option("--exclude-vendors", help="Never these chip vendors.")
]
AcceleratorsOption = Annotated[
    list[str] | None, typer.Option("--accelerators", help="Only these accelerator ids.")
]
PricingOption = Annotated[
    str,
    typer.Option("--pricing", help="on_demand, spot, commit_1y, commit_3y or capacity_block."),
]
PrecisionOption = Annotated[
    str, typer.Option("--precision", help="Compute precision: bf16 or fp8.")
]
IdleOption = Annotated[
    float | None,
    typer.Option(
        "--power-idle-fraction",
        help="Use P = TDP x (f + (1-f) x utilisation) instead of the TDP upper bound.",
    ),
]


@contextlib.contextmanager
def progress_callback(enabled: bool) -> Iterator[Callable[[str, float], None] | None]:
    """A rich progress bar fed by the planner's callback, or None when disabled."""
    if not enabled or not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = int(bar.add_task(stage, total=1.0))
            bar.update(tasks[stage], completed=fraction)  # type: ignore[arg-type]

        yield update


def _filter(
    pricing: str,
    regions: list[str] | None,
    providers: list[str] | None,
    vendors: list[str] | None,
    exclude_vendors: list[str] | None,
    accelerators: list[str] | None,
) -> OfferingFilter:
    return OfferingFilter(
        pricing=pricing,
        regions=split_list(regions),
        providers=split_list(providers),
        vendors=split_list(vendors),
        exclude_vendors=split_list(exclude_vendors),
        accelerators=split_list(accelerators),
    )


def _num(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def _layout_text(layout: dict[str, object]) -> str:
    """``tp8 pp2 dp64`` (+ cp/ep/interleaving when used); the rest is in --json/--explain."""
    parts = [f"tp{layout['tp']} pp{layout['pp']}"]
    if layout.get("virtual_pp", 1) != 1:
        parts[0] += f"/v{layout['virtual_pp']}"
    if layout.get("cp", 1) != 1:
        parts.append(f"cp{layout['cp']}")
    parts.append(f"dp{layout['dp']}")
    if layout.get("ep", 1) != 1:
        parts.append(f"ep{layout['ep']}")
    return " ".join(parts)


def _short_accelerator(accelerator_id: str) -> str:
    """``nvidia-h100-sxm`` -> ``h100-sxm`` for narrow tables (ids stay whole in JSON)."""
    for prefix in ("nvidia-", "amd-", "google-", "aws-", "intel-"):
        if accelerator_id.startswith(prefix):
            return accelerator_id[len(prefix) :]
    return accelerator_id


def _si(value: float, unit: str) -> str:
    """``163 MWh``, ``80.0 GWh``, ``950 kg``-style compact quantities (value in base units)."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _energy_text(plan: TrainingPlan) -> str:
    """Total energy, or the accelerators' own energy marked ``*`` when PUE is unknown."""
    if plan.energy_kwh is not None:
        return _si(plan.energy_kwh * 1e3, "Wh")
    if plan.it_energy_kwh is not None:
        return _si(plan.it_energy_kwh * 1e3, "Wh") + "*"
    return "n/a"


def _co2_text(plan: TrainingPlan) -> str:
    if plan.co2_kg is None:
        return "n/a"
    return f"{plan.co2_kg / 1e3:.3g} t" if plan.co2_kg >= 1e3 else f"{plan.co2_kg:.3g} kg"


def render_training_plans(title: str, plans: Sequence[TrainingPlan]) -> Table:
    """A table of training plans (shared by ``plan train`` and ``compare``)."""
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
            format_usd(p.cost_usd),
            f"{p.mfu:.0%}",
            _energy_text(p),
            _co2_text(p),
        )
    return table


def print_energy_footnote(plans: Sequence[TrainingPlan]) -> None:
    """Explain the ``*`` of :func:`_energy_text` when a table used it."""
    if any(p.energy_kwh is None and p.it_energy_kwh is not None for p in plans):
        console.print(
            "note: * accelerator (IT) energy only: the region's PUE is unknown", highlight=False
        )


def render_sources(plans: Sequence[TrainingPlan]) -> Table:
    """Every source used by ``plans``, once (``--explain``)."""
    table = Table(title="Sources of the numbers used", title_justify="left")
    for name in ("kind", "key", "as_of", "fields", "source"):
        table.add_column(name, overflow="fold")
    seen: set[tuple[str, str, str]] = set()
    sources: list[Source] = []
    for plan in plans:
        for s in plan.sources:
            if (s.kind, s.key, s.source) not in seen:
                seen.add((s.kind, s.key, s.source))
                sources.append(s)
    for s in sources:
        table.add_row(s.kind, s.key, s.as_of or "", ", ".join(s.fields), s.source)
    return table


def _render_training(result: TrainingPlanResult, explain: bool) -> None:
    w = result.workload
    c = result.constraints
    console.print(
        f"[bold]{w['model']}[/]: {w['tokens']:.3g} tokens, seq {w['seq_len']}, global batch "
        f"{w['global_batch_tokens']:,} tokens, {w['precision']}; objective {result.objective}; "
        f"deadline {format_duration(c['deadline_s'])}"
        + (" (default)" if c["deadline_is_default"] else "")
        + (f", budget {format_usd(c['budget_usd'])}" if c["budget_usd"] else "")
        + f"; {c['pricing']} prices",
        highlight=False,
    )
    console.print(render_training_plans("Top plans (best region per instance type)", result.plans))
    front = result.pareto
    if len(front) > 12:  # show an even spread of the front; --json has all of it
        step = (len(front) - 1) / 11
        front = tuple(front[round(i * step)] for i in range(12))
    console.print(
        render_training_plans(f"Cost vs time Pareto front ({len(result.pareto)} plans)", front)
    )
    table = Table(
        title="Lock-in premium: best plan per vendor and per software stack", title_justify="left"
    )
    for name in ("group", "name", "plan", "time", "cost", "premium"):
        table.add_column(name, justify="right" if name == "premium" else "left")
    for e in result.lock_in:
        table.add_row(
            e.group_kind,
            e.group,
            f"{e.plan.chips} {_short_accelerator(e.plan.accelerator_id)} "
            f"({e.plan.provider} {e.plan.region})",
            format_duration(e.plan.wall_time_s),
            format_usd(e.plan.cost_usd),
            _num(e.premium_pct, "+.1f") + ("%" if e.premium_pct == e.premium_pct else ""),
        )
    console.print(table)
    s = result.stats
    console.print(
        f"searched {s.candidates_evaluated:,} candidates on {s.offerings} offerings "
        f"({s.hardware_groups} hardware types); {s.feasible_plans:,} feasible plans",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    print_energy_footnote([*result.plans, *result.pareto])
    for note in sorted({n for p in result.plans for n in p.notes}):
        console.print(f"note: {note}", highlight=False)
    if explain:
        best = result.plans[0]
        console.print(
            "layout of plan 1: " + ", ".join(f"{k}={v}" for k, v in best.layout.items()),
            highlight=False,
        )
        console.print(
            "memory per chip (GB): "
            + ", ".join(f"{k} {v:.1f}" for k, v in best.memory_gb_per_chip.items()),
            highlight=False,
        )
        console.print(
            "step time (s): "
            + ", ".join(f"{k} {v:.3g}" for k, v in best.step_time_breakdown_s.items()),
            highlight=False,
        )
        console.print(render_sources(result.plans))


@app.command("train")
def train(
    model: ModelOption,
    tokens: Annotated[str, typer.Option("--tokens", help="Training tokens, e.g. 15T.")],
    seq_len: Annotated[
        int | None, typer.Option("--seq-len", help="Sequence length (default 4096).")
    ] = None,
    global_batch_tokens: Annotated[
        str | None,
        typer.Option(
            "--global-batch-tokens",
            help="Global batch in tokens (default 4M; 16M for models >= 100B parameters).",
        ),
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="Latest finish, e.g. 60d (default 90d).")
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", help="Most the run may cost, USD.")
    ] = None,
    regions: RegionsOption = None,
    providers: ProvidersOption = None,
    vendors: VendorsOption = None,
    exclude_vendors: ExcludeVendorsOption = None,
    accelerators: AcceleratorsOption = None,
    pricing: PricingOption = "on_demand",
    max_chips: Annotated[
        int | None, typer.Option("--max-chips", help="Most chips (quota) a plan may use.")
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help="Rank by cost, time or co2.")
    ] = "cost",
    top: Annotated[int, typer.Option("--top", help="How many plans to list.")] = 10,
    precision: PrecisionOption = "bf16",
    power_idle_fraction: IdleOption = None,
    json_: JsonOption = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show breakdowns and every source used.")
    ] = False,
    report: ReportOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Plan a training run: the best offerings, chip counts and layouts."""
    check_report_path(report)
    cat = load_cli_catalog(catalog)
    with progress_callback(not json_) as progress:
        result = plan_training(
            model,
            tokens,
            catalog=cat,
            seq_len=seq_len,
            global_batch_tokens=global_batch_tokens,
            precision=precision,
            deadline=deadline,
            budget_usd=budget_usd,
            filters=_filter(pricing, regions, providers, vendors, exclude_vendors, accelerators),
            max_chips=max_chips,
            objective=objective,
            top=top,
            power=PowerModel(idle_fraction=power_idle_fraction),
            progress=progress,
        )
    if json_:
        print_json(result.to_dict())
    else:
        _render_training(result, explain)
    save_report(result.to_dict(), report, quiet=json_)


def _fleet_table(title: str, fleet: FleetPlan) -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("provider:instance", "region", "replica", "layout", "replicas", "instances"):
        table.add_column(name, justify="right" if name in ("replicas", "instances") else "left")
    for name in ("req/s each", "$/h"):
        table.add_column(name, justify="right")
    for e in fleet.entries:
        table.add_row(
            f"{e.provider}:{e.instance}",
            e.region,
            f"{e.chips_per_replica} x {e.accelerator_id}",
            " ".join(f"{k}{v}" for k, v in e.layout.items()),
            str(e.replicas),
            str(e.instances),
            f"{e.capacity_rps_per_replica:.3g}",
            f"{e.usd_per_hour:,.2f}",
        )
    return table


def _fleet_summary(name: str, fleet: FleetPlan) -> str:
    shares = ", ".join(f"{v} {s:.0%}" for v, s in fleet.vendor_capacity_share.items())
    energy = (
        "energy n/a"
        if fleet.energy_kwh_per_hour is None
        else f"{fleet.energy_kwh_per_hour:,.1f} kWh/h"
    )
    co2 = "CO2 n/a" if fleet.co2_kg_per_hour is None else f"{fleet.co2_kg_per_hour:,.1f} kg CO2/h"
    return (
        f"{name}: ${fleet.usd_per_hour:,.2f}/h for {fleet.capacity_rps:.3g} req/s on "
        f"{fleet.chips} chips; ${fleet.usd_per_million_tokens:.3f} per M tokens "
        f"(${fleet.usd_per_million_output_tokens:.3f} per M output tokens); {energy}; {co2}; "
        f"capacity by vendor: {shares}"
    )


def _render_serving(result: ServingPlanResult) -> None:
    w = result.workload
    console.print(
        f"[bold]{w['model']}[/]: {w['rate_rps']:g} req/s x peak/mean {w['peak_to_mean']:g} = "
        f"{result.required_rps:g} req/s to provision; {w['input_tokens']} in / "
        f"{w['output_tokens']} out tokens; p99 TTFT <= {w['ttft_p99_ms']:g} ms, "
        f"p99 TPOT <= {w['tpot_p99_ms']:g} ms",
        highlight=False,
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
    cheaper = "less" if result.savings_pct >= 0 else "more"
    console.print(
        f"the fleet costs {abs(result.savings_pct):.1f}% {cheaper} than the best single type "
        f"({result.candidate_types} replica types considered, "
        f"{result.candidates_evaluated} hardware x layout candidates evaluated)",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


@app.command("serve")
def serve(
    model: ModelOption,
    rate: Annotated[float, typer.Option("--rate", help="Mean request rate, requests/s.")],
    input_tokens: Annotated[int, typer.Option("--input", help="Prompt tokens per request.")],
    output_tokens: Annotated[int, typer.Option("--output", help="Generated tokens per request.")],
    ttft_p99_ms: Annotated[
        float, typer.Option("--ttft-p99-ms", help="p99 time to first token target, ms.")
    ],
    tpot_p99_ms: Annotated[
        float, typer.Option("--tpot-p99-ms", help="p99 time per output token target, ms.")
    ],
    peak_to_mean: Annotated[
        float, typer.Option("--peak-to-mean", help="Provision for rate x this factor.")
    ] = 1.0,
    max_vendor_share: Annotated[
        float | None,
        typer.Option("--max-vendor-share", help="Most of the fleet's capacity one vendor holds."),
    ] = None,
    regions: RegionsOption = None,
    providers: ProvidersOption = None,
    vendors: VendorsOption = None,
    exclude_vendors: ExcludeVendorsOption = None,
    accelerators: AcceleratorsOption = None,
    pricing: PricingOption = "on_demand",
    precision: PrecisionOption = "bf16",
    power_idle_fraction: IdleOption = None,
    json_: JsonOption = False,
    report: ReportOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Plan a serving fleet: the cheapest mix of replicas meeting the latency targets."""
    check_report_path(report)
    cat = load_cli_catalog(catalog)
    with progress_callback(not json_) as progress:
        result = plan_serving(
            model,
            catalog=cat,
            rate_rps=rate,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            ttft_p99_ms=ttft_p99_ms,
            tpot_p99_ms=tpot_p99_ms,
            peak_to_mean=peak_to_mean,
            max_vendor_share=max_vendor_share,
            filters=_filter(pricing, regions, providers, vendors, exclude_vendors, accelerators),
            precision=precision,
            power=PowerModel(idle_fraction=power_idle_fraction),
            progress=progress,
        )
    if json_:
        print_json(result.to_dict())
    else:
        _render_serving(result)
    save_report(result.to_dict(), report, quiet=json_)
