"""xpuplan estimate serve: throughput, latency, memory and cost of one serving setup."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from xpuplan.catalog.schema import PRICING_MODELS, PricingModel
from xpuplan.cli.common import CatalogOption, JsonOption, console, load_cli_catalog, print_json
from xpuplan.errors import InputError
from xpuplan.perf.serving import PricedServingEstimate, estimate_serving_priced

__all__ = ["serve"]


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _render(priced: PricedServingEstimate) -> None:
    e = priced.estimate
    table = Table(title=f"{e.model} on {e.count} x {e.accelerator_id}", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
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
        f"{_fmt(e.batch_per_replica, '', 0)} of {_fmt(e.max_batch_per_replica, '', 0)} that fit",
    )
    table.add_row("requests/s", _fmt(e.rate_per_s, "", 2))
    table.add_row(
        "output tokens/s (per chip)",
        f"{_fmt(e.output_tokens_per_s, '', 0)} ({_fmt(e.output_tokens_per_s_per_chip, '', 0)})",
    )
    table.add_row("max output tokens/s (offline)", _fmt(e.max_output_tokens_per_s, "", 0))
    table.add_row(
        "TTFT mean / p50 / p99",
        f"{_fmt(e.ttft_mean_ms)} / {_fmt(e.ttft_p50_ms)} / {_fmt(e.ttft_p99_ms)} ms",
    )
    table.add_row(
        "TPOT mean / p50 / p99",
        f"{_fmt(e.tpot_mean_ms)} / {_fmt(e.tpot_p50_ms)} / {_fmt(e.tpot_p99_ms)} ms",
    )
    table.add_row("end-to-end mean", f"{_fmt(e.e2e_mean_ms, ' ms', 0)}")
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
            f"{_fmt(c.usd_per_million_input_tokens, '', 3)} / "
            f"{_fmt(c.usd_per_million_output_tokens, '', 3)}",
        )
    console.print(table)
    step = Table(title="decode step breakdown (ms)")
    step.add_column("part")
    step.add_column("ms", justify="right")
    for name, value in e.decode_step_ms.items():
        step.add_row(name, f"{value:.2f}")
    console.print(step)
    if priced.note:
        console.print(f"note: {priced.note}", markup=False, highlight=False)


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
    if pricing not in PRICING_MODELS:
        raise InputError(f"--pricing {pricing!r}; allowed: {', '.join(PRICING_MODELS)}")
    for flag, value in (("--ttft-p99-ms", ttft_p99_ms), ("--tpot-p99-ms", tpot_p99_ms)):
        if value is not None and not value > 0:
            raise InputError(f"{flag} {value}: must be a positive number of milliseconds")
    pricing_model: PricingModel = pricing
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
        payload: dict[str, Any] = priced.to_dict()
        print_json(payload)
        return
    _render(priced)
