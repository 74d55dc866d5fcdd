"""``xpuplan compare``: two or more concrete options side by side on the same training run."""

from __future__ import annotations

from typing import Annotated

import typer

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
from xpuplan.errors import InputError
from xpuplan.plan import compare_options, compare_vendors
from xpuplan.report import terminal
from xpuplan.search.filters import BEST, PRICING_CHOICES, OfferingFilter, split_list

__all__ = ["compare"]


def compare(
    model: Annotated[str, typer.Option("--model", help="Model preset name or config.json.")],
    tokens: Annotated[str, typer.Option("--tokens", help="Training tokens, e.g. 1T.")],
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="PROVIDER:INSTANCE\\[@REGION] \\[xN] \\[pricing=..] \\[tp=..] \\[pp=..] "
            "\\[mb=..] \\[zero=..] \\[recompute=..]; repeat for each option "
            "(e.g. 'aws:p5.48xlarge x8').",
        ),
    ] = None,
    vendors: Annotated[
        list[str] | None,
        typer.Option(
            "--vendors",
            help="Instead of --option: each vendor's best plan side by side; 'all' or a "
            "comma list (nvidia,google,...).",
        ),
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="With --vendors: latest finish (90d).")
    ] = None,
    max_chips: Annotated[
        int | None, typer.Option("--max-chips", help="With --vendors: most chips a plan uses.")
    ] = None,
    regions: Annotated[
        list[str] | None, typer.Option("--regions", help="With --vendors: eu, us, DE, ...")
    ] = None,
    allow_spot: Annotated[
        bool, typer.Option("--allow-spot", help="Let --pricing best use spot capacity.")
    ] = False,
    pue: Annotated[
        float | None, typer.Option("--pue", help="PUE for every site instead of the catalog's.")
    ] = None,
    seq_len: Annotated[
        int | None, typer.Option("--seq-len", help="Sequence length (default 4096).")
    ] = None,
    global_batch_tokens: Annotated[
        str | None,
        typer.Option("--global-batch-tokens", help="Global batch in tokens (default 4M)."),
    ] = None,
    pricing: Annotated[
        str,
        typer.Option(
            "--pricing", help="best (default) or one pricing model, for options without pricing=."
        ),
    ] = BEST,
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
    check_choice("--pricing", pricing, PRICING_CHOICES)
    check_report_path(report)
    power = PowerModel(idle_fraction=power_idle_fraction, pue=pue)
    if vendors and option:
        raise InputError("--vendors and --option: give one of them, not both")
    if vendors:
        result = compare_vendors(
            model,
            tokens,
            split_list(vendors),
            catalog=load_cli_catalog(catalog),
            seq_len=seq_len,
            global_batch_tokens=global_batch_tokens,
            precision=precision,
            deadline=deadline,
            max_chips=max_chips,
            filters=OfferingFilter(
                pricing=pricing, allow_spot=allow_spot, regions=split_list(regions)
            ),
            power=power,
        )
    else:
        if not option:
            raise InputError("--option: give at least one option, or --vendors all")
        result = compare_options(
            model,
            tokens,
            option,
            catalog=load_cli_catalog(catalog),
            seq_len=seq_len,
            global_batch_tokens=global_batch_tokens,
            precision=precision,
            pricing=pricing,
            power=power,
        )
    if json_:
        print_json(result.to_dict())
    else:
        terminal.print_comparison(console, result, explain)
    save_report(result.to_dict(), report, quiet=json_)
