"""``xpuplan plan train|serve``: search the catalog for the best training run or serving fleet.

Each command parses its flags, calls :func:`xpuplan.plan.plan_training` or
:func:`xpuplan.plan.plan_serving` and renders with :mod:`xpuplan.report.terminal` (or JSON with
``--json``); a progress bar shows on a terminal only, never with ``--json``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    console,
    load_cli_catalog,
    parse_usd,
    print_json,
    skypilot_accelerators,
    skypilot_regions,
)
from xpuplan.cli.export import ReportOption, check_report_path, save_report
from xpuplan.energy import PowerModel
from xpuplan.plan import DEFAULT_SERVING_LAYOUT, plan_serving, plan_training
from xpuplan.report import terminal
from xpuplan.search.filters import BEST, PRICING_CHOICES, OfferingFilter, split_list
from xpuplan.search.pricing import (
    DEFAULT_CHECKPOINT_INTERVAL_S,
    DEFAULT_RESTART_TIME_S,
    DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH,
    SpotModel,
)
from xpuplan.search.serving import LAYOUTS
from xpuplan.units import parse_duration_s

__all__ = ["app"]

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
        "gcp:europe-west4, or SkyPilot's aws/us-east-1); comma-separated or repeated.",
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
    list[str] | None,
    typer.Option(
        "--accelerators", help="Only these accelerator ids, or SkyPilot names (H100, tpu-v5p)."
    ),
]
PricingOption = Annotated[
    str,
    typer.Option(
        "--pricing",
        help="best (default: per offering the cheapest of on_demand, capacity_block, "
        "commit_1y, commit_3y, and spot with --allow-spot), or one model.",
    ),
]
AllowSpotOption = Annotated[
    bool, typer.Option("--allow-spot", help="Let --pricing best use spot capacity.")
]
PueOption = Annotated[
    float | None, typer.Option("--pue", help="PUE for every site instead of the catalog's.")
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


def _filter(
    pricing: str,
    regions: list[str] | None,
    providers: list[str] | None,
    vendors: list[str] | None,
    exclude_vendors: list[str] | None,
    accelerators: list[str] | None,
    allow_spot: bool = False,
) -> OfferingFilter:
    check_choice("--pricing", pricing, PRICING_CHOICES)
    return OfferingFilter(
        pricing=pricing,
        allow_spot=allow_spot,
        regions=skypilot_regions(split_list(regions)),
        providers=split_list(providers),
        vendors=split_list(vendors),
        exclude_vendors=split_list(exclude_vendors),
        accelerators=skypilot_accelerators(split_list(accelerators)),
    )


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
        str | None,
        typer.Option("--budget-usd", help="Most the run may cost, USD, e.g. 5e7 or 50M."),
    ] = None,
    regions: RegionsOption = None,
    providers: ProvidersOption = None,
    vendors: VendorsOption = None,
    exclude_vendors: ExcludeVendorsOption = None,
    accelerators: AcceleratorsOption = None,
    pricing: PricingOption = BEST,
    allow_spot: AllowSpotOption = False,
    spot_interruptions: Annotated[
        float,
        typer.Option(
            "--spot-interruptions-per-month",
            help="Expected spot interruptions per instance per month.",
        ),
    ] = DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH,
    checkpoint_interval: Annotated[
        str, typer.Option("--checkpoint-interval", help="Checkpoint interval on spot, e.g. 1h.")
    ] = f"{DEFAULT_CHECKPOINT_INTERVAL_S:g}s",
    restart_time: Annotated[
        str, typer.Option("--restart-time", help="Time to restart after a preemption, e.g. 10min.")
    ] = f"{DEFAULT_RESTART_TIME_S:g}s",
    max_chips: Annotated[
        int | None,
        typer.Option(
            "--max-chips",
            help="Most chips a plan may use; replaces each offering's catalog capacity limit.",
        ),
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help="Rank by cost, time or co2.")
    ] = "cost",
    top: Annotated[int, typer.Option("--top", help="How many plans to list.")] = 10,
    precision: PrecisionOption = "bf16",
    power_idle_fraction: IdleOption = None,
    pue: PueOption = None,
    json_: JsonOption = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show breakdowns and every source used.")
    ] = False,
    report: ReportOption = None,
    catalog: CatalogOption = None,
    finetune: Annotated[
        str, typer.Option("--finetune", help="full, lora or qlora (frozen 4-bit base).")
    ] = "full",
    rank: Annotated[int, typer.Option("--rank", help="LoRA adapter rank.")] = 16,
) -> None:
    """Plan a training run: the best offerings, chip counts and layouts."""
    from xpuplan.perf.training import Finetune

    tune = None if finetune == "full" else Finetune(finetune, rank)
    check_report_path(report)
    cat = load_cli_catalog(catalog)
    with terminal.stage_progress(console, not json_) as progress:
        result = plan_training(
            model,
            tokens,
            catalog=cat,
            seq_len=seq_len,
            global_batch_tokens=global_batch_tokens,
            precision=precision,
            deadline=deadline,
            budget_usd=parse_usd(budget_usd, "--budget-usd"),
            filters=_filter(
                pricing, regions, providers, vendors, exclude_vendors, accelerators, allow_spot
            ),
            max_chips=max_chips,
            objective=objective,
            top=top,
            power=PowerModel(idle_fraction=power_idle_fraction, pue=pue),
            progress=progress,
            spot=SpotModel(
                interruptions_per_instance_month=spot_interruptions,
                checkpoint_interval_s=parse_duration_s(
                    checkpoint_interval, "--checkpoint-interval"
                ),
                restart_time_s=parse_duration_s(restart_time, "--restart-time"),
            ),
            finetune=tune,
        )
    if json_:
        print_json(result.to_dict())
    else:
        terminal.print_training_plan(console, result, explain)
    save_report(result.to_dict(), report, quiet=json_)


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
    layout: Annotated[
        str,
        typer.Option(
            "--layout",
            help="colocated (replicas prefill and decode), disaggregated (separate prefill "
            "and decode pools on one software stack) or any (the cheaper mix).",
        ),
    ] = DEFAULT_SERVING_LAYOUT,
    regions: RegionsOption = None,
    providers: ProvidersOption = None,
    vendors: VendorsOption = None,
    exclude_vendors: ExcludeVendorsOption = None,
    accelerators: AcceleratorsOption = None,
    pricing: PricingOption = BEST,
    allow_spot: AllowSpotOption = False,
    precision: PrecisionOption = "bf16",
    power_idle_fraction: IdleOption = None,
    pue: PueOption = None,
    json_: JsonOption = False,
    report: ReportOption = None,
    catalog: CatalogOption = None,
) -> None:
    """Plan a serving fleet: the cheapest mix of replicas meeting the latency targets."""
    check_choice("--layout", layout, LAYOUTS)
    check_report_path(report)
    cat = load_cli_catalog(catalog)
    with terminal.stage_progress(console, not json_) as progress:
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
            filters=_filter(
                pricing, regions, providers, vendors, exclude_vendors, accelerators, allow_spot
            ),
            precision=precision,
            power=PowerModel(idle_fraction=power_idle_fraction, pue=pue),
            progress=progress,
            layout=layout,
        )
    if json_:
        print_json(result.to_dict())
    else:
        terminal.print_serving_plan(console, result)
    save_report(result.to_dict(), report, quiet=json_)
