"""xpuplan estimate serve: throughput, latency, memory and cost of one serving setup."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from xpuplan.catalog.schema import PRICING_MODELS, PricingModel
from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    check_positive,
    console,
    load_cli_catalog,
    print_json,
)
from xpuplan.errors import InputError
from xpuplan.search.serving_cost import estimate_serving_priced
from xpuplan.report import terminal

__all__ = ["serve"]


def serve(
    model: Annotated[str, typer.Option("--model", help="Preset name or path to config.json.")],
    accelerator: Annotated[str, typer.Option("--accelerator", help="Accelerator id.")],
    count: Annotated[int, typer.Option("--count", help="Number of chips.")],
    tp: Annotated[int, typer.Option("--tp", help="Tensor-parallel degree (chips).")] = 1,
    pp: Annotated[int, typer.Option("--pp", help="Pipeline-parallel degree.")] = 1,
    ep: Annotated[int, typer.Option("--ep", help="Expert-parallel degree (MoE).")] = 1,
    tp_cores: Annotated[
        bool, typer.Option("--tp-cores", help="--tp counts NeuronCores (Neuron SDK convention).")
    ] = False,
    input_len: Annotated[int, typer.Option("--input", help="Input tokens per request.")] = 1024,
    output_len: Annotated[int, typer.Option("--output", help="Output tokens per request.")] = 256,
    rate: Annotated[
        float | None, typer.Option("--rate", help="Requests/s for the whole deployment.")
    ] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Concurrent sequences per replica.")
    ] = None,
    static: Annotated[
        bool, typer.Option("--static", help="Static batching (prefill all, then decode all).")
    ] = False,
    ttft_p99_ms: Annotated[
        float | None, typer.Option("--ttft-p99-ms", help="p99 time-to-first-token target.")
    ] = None,
    tpot_p99_ms: Annotated[
        float | None, typer.Option("--tpot-p99-ms", help="p99 time-per-output-token target.")
    ] = None,
    weight_precision: Annotated[
        str, typer.Option("--weight-precision", help="bf16, fp16, fp8, int8, int4 or fp4.")
    ] = "bf16",
    kv_precision: Annotated[
        str | None, typer.Option("--kv-precision", help="bf16, fp16, fp8 or int8.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Price from this provider.")
    ] = None,
    offering: Annotated[
        str | None, typer.Option("--offering", help="Price from this instance type.")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Price in this region.")] = None,
    pricing: Annotated[
        str,
        typer.Option("--pricing", help="on_demand, spot, commit_1y, commit_3y, capacity_block."),
    ] = "on_demand",
    json_output: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Estimate throughput, TTFT/TPOT, memory and cost per million tokens of one serving setup.

    Without --rate or --batch the operating point is the largest batch meeting the p99 targets,
    or, without targets, the largest that fits (offline maximum throughput).
    """
    if input_len < 1 or output_len < 1:
        raise InputError(f"--input {input_len} / --output {output_len}: must be >= 1 token")
    check_positive("--count", count, "number of chips")
    check_choice("--pricing", pricing, PRICING_MODELS)
    check_positive("--ttft-p99-ms", ttft_p99_ms, "number of milliseconds")
    check_positive("--tpot-p99-ms", tpot_p99_ms, "number of milliseconds")
    pricing_model = cast(PricingModel, pricing)  # checked above
    priced = estimate_serving_priced(
        load_cli_catalog(catalog),
        model,
        accelerator,
        provider=provider,
        instance=offering,
        region=region,
        pricing=pricing_model,
        count=count,
        tp=tp,
        pp=pp,
        ep=ep,
        tp_unit="cores" if tp_cores else "chips",
        weight_precision=weight_precision,
        kv_precision=kv_precision,
        input_len=input_len,
        output_len=output_len,
        rate=rate,
        batch=batch,
        ttft_p99_ms=ttft_p99_ms,
        tpot_p99_ms=tpot_p99_ms,
        batching="static" if static else "continuous",
    )
    if json_output:
        print_json(priced.to_dict())
    else:
        terminal.print_serving_estimate(console, priced)
