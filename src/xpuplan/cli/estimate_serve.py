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
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.models.presets import resolve_model
from xpuplan.perf.serving import SCHEDULERS, SpecDecode, parse_stack
from xpuplan.perf.serving.step import SPEC_METHODS, SpecMethod
from xpuplan.report import terminal
from xpuplan.search.serving_cost import estimate_serving_priced

__all__ = ["serve"]


def serve(
    model: Annotated[str, typer.Option("--model", help="Preset name or path to config.json.")],
    accelerator: Annotated[str, typer.Option("--accelerator", help="Accelerator id.")],
    count: Annotated[int, typer.Option("--count", help="Number of chips.")],
    tp: Annotated[
        int | None,
        typer.Option("--tp", help="Tensor-parallel degree (chips); default: search tp x pp x ep."),
    ] = None,
    pp: Annotated[int | None, typer.Option("--pp", help="Pipeline-parallel degree.")] = None,
    ep: Annotated[int | None, typer.Option("--ep", help="Expert-parallel degree (MoE).")] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            help="Serving engine[==version]: tensorrt-llm, vllm, sglang, jetstream, "
            "nxd-inference (default: the chip family's engine, today's release).",
        ),
    ] = None,
    batching: Annotated[
        str | None,
        typer.Option(
            "--batching", help="continuous, chunked, static or disaggregated (default continuous)."
        ),
    ] = None,
    spec_decode: Annotated[
        str | None,
        typer.Option(
            "--spec-decode", help="Speculative decoding: draft (with --draft-model), eagle, medusa."
        ),
    ] = None,
    draft_model: Annotated[
        str | None, typer.Option("--draft-model", help="Draft model (preset or config.json).")
    ] = None,
    spec_tokens: Annotated[int, typer.Option("--spec-tokens", help="Tokens drafted per step.")] = 4,
    acceptance: Annotated[
        float, typer.Option("--acceptance", help="Per-token acceptance rate of the drafts.")
    ] = 0.7,
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
    or, without targets, the largest that fits (offline maximum throughput). Without --tp every
    tp x pp (x ep for MoE) layout of the chips is evaluated and the best kept. When no layout
    serves the request, the estimate of the closest one (naming its binding limit) is still
    printed and the command exits with code 3.
    """
    if input_len < 1 or output_len < 1:
        raise InputError(f"--input {input_len} / --output {output_len}: must be >= 1 token")
    check_positive("--count", count, "number of chips")
    for flag, value in (("--tp", tp), ("--pp", pp), ("--ep", ep), ("--batch", batch)):
        check_positive(flag, value, "whole number")
    check_positive("--rate", rate, "number of requests/s")
    check_choice("--pricing", pricing, PRICING_MODELS)
    check_positive("--ttft-p99-ms", ttft_p99_ms, "number of milliseconds")
    check_positive("--tpot-p99-ms", tpot_p99_ms, "number of milliseconds")
    pricing_model = cast(PricingModel, pricing)  # checked above
    if static and batching not in (None, "static"):
        raise InputError(f"--static and --batching {batching}: give one of them")
    scheduler = "static" if static else (batching or "continuous")
    check_choice("--batching", scheduler, tuple(SCHEDULERS))
    cat = load_cli_catalog(catalog)
    family = cat.accelerator(accelerator).vendor_family
    speculative = None
    if spec_decode is not None:
        check_choice("--spec-decode", spec_decode, SPEC_METHODS)
        speculative = SpecDecode(
            method=cast(SpecMethod, spec_decode),
            tokens=spec_tokens,
            acceptance=acceptance,
            draft=resolve_model(draft_model) if draft_model else None,
        )
    elif draft_model is not None:
        raise InputError("--draft-model needs --spec-decode draft")
    spec = resolve_model(model)
    if input_len + output_len > spec.max_seq_len:
        raise InputError(
            f"--input {input_len} + --output {output_len} tokens: more than {spec.name}'s "
            f"context of {spec.max_seq_len:,} tokens"
        )
    priced = estimate_serving_priced(
        cat,
        spec,
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
        batching=scheduler,
        stack=parse_stack(stack, family),
        spec_decode=speculative,
    )
    if json_output:
        print_json(priced.to_dict())
    else:
        terminal.print_serving_estimate(console, priced)
    if not priced.feasible:
        # the estimate above shows the layout closest to serving and its binding limit
        raise InfeasibleError(
            f"no layout of {priced.model} on {count} x {accelerator} serves this request: "
            f"{priced.status}"
        )
