"""``xpuplan compare``: two or more concrete options side by side on the same training run."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xpuplan.cli.common import CatalogOption, JsonOption, console, load_cli_catalog, print_json
from xpuplan.cli.export import ReportOption, check_report_path, save_report
from xpuplan.cli.plan import print_energy_footnote, render_sources, render_training_plans
from xpuplan.energy import PowerModel
from xpuplan.plan import compare_options
from xpuplan.search.results import TrainingComparison

__all__ = ["compare"]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def _render(result: TrainingComparison, explain: bool) -> None:
    w = result.workload
    console.print(
        f"[bold]{w['model']}[/]: {w['tokens']:.3g} tokens, seq {w['seq_len']}, global batch "
        f"{w['global_batch_tokens']:,} tokens, {w['precision']}",
        highlight=False,
    )
    console.print(render_training_plans("Options (best layout of each)", result.plans))
    table = Table(title=f"Relative to option 1 ({result.options[0]})", title_justify="left")
    for name in ("#", "option", "time", "cost", "energy", "CO2"):
        table.add_column(name, justify="left" if name == "option" else "right")
    for k, (option, rel) in enumerate(zip(result.options, result.relative_pct, strict=True), 1):
        table.add_row(
            str(k),
            option,
            _pct(rel["wall_time_s"]),
            _pct(rel["cost_usd"]),
            _pct(rel["energy_kwh"]),
            _pct(rel["co2_kg"]),
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    print_energy_footnote(result.plans)
    for note in sorted({n for p in result.plans for n in p.notes}):
        console.print(f"note: {note}", highlight=False)
    if explain:
        console.print(render_sources(result.plans))


def compare(
    model: Annotated[str, typer.Option("--model", help="Model preset name or config.json.")],
    tokens: Annotated[str, typer.Option("--tokens", help="Training tokens, e.g. 1T.")],
    option: Annotated[
        list[str],
        typer.Option(
            "--option",
            help="PROVIDER:INSTANCE\\[@REGION] \\[xN] \\[pricing=..] \\[tp=..] \\[pp=..] "
            "\\[mb=..] \\[zero=..] \\[recompute=..]; repeat for each option "
            "(e.g. 'aws:p5.48xlarge x8').",
        ),
    ],
    seq_len: Annotated[
        int | None, typer.Option("--seq-len", help="Sequence length (default 4096).")
    ] = None,
    global_batch_tokens: Annotated[
        str | None,
        typer.Option("--global-batch-tokens", help="Global batch in tokens (default 4M)."),
    ] = None,
    pricing: Annotated[
        str, typer.Option("--pricing", help="Pricing model for options without pricing=.")
    ] = "on_demand",
    precision: Annotated[str, typer.Option("--precision", help="bf16 or fp8.")] = "bf16",
    power_idle_fraction: Annotated[
        float | None,
        typer.Option("--power-idle-fraction", help="Linear power model instead of TDP."),
    ] = None,
    json_: JsonOption = False,
    explain: Annotated[bool, typer.Option("--explain", help="List every source used.")] = False,
    report: ReportOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Compare concrete options (offering x count) on the same training run."""
    check_report_path(report)
    result = compare_options(
        model,
        tokens,
        option,
        catalog=load_cli_catalog(catalog),
        seq_len=seq_len,
        global_batch_tokens=global_batch_tokens,
        precision=precision,
        pricing=pricing,
        power=PowerModel(idle_fraction=power_idle_fraction),
    )
    if json_:
        print_json(result.to_dict())
    else:
        _render(result, explain)
    save_report(result.to_dict(), report, quiet=json_)
