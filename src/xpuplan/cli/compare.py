"""``xpuplan compare``: two or more concrete options side by side on the same training run."""

from __future__ import annotations

from typing import Annotated

import typer

from xpuplan.catalog.schema import PRICING_MODELS
from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    console,
    load_cli_catalog,
    print_json,
)
from xpuplan.cli.export import ReportOption, check_report_path, save_report
from xpuplan.energy import PowerModel
from xpuplan.plan import compare_options
from xpuplan.report import terminal

__all__ = ["compare"]


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
    check_choice("--pricing", pricing, PRICING_MODELS)
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
        terminal.print_comparison(console, result, explain)
    save_report(result.to_dict(), report, quiet=json_)
