"""xpuplan estimate train: step time, throughput, MFU and memory of one training setup."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

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
from xpuplan.models.presets import resolve_model
from xpuplan.perf.layout import RECOMPUTE_CODES, Layout
from xpuplan.perf.training import best_layout, estimate_training
from xpuplan.report import terminal

__all__ = ["DEFAULT_BATCH_TOKENS", "DEFAULT_SEQ_LEN", "train"]

DEFAULT_SEQ_LEN = 4096
# 4M tokens per step, the Llama 2 pre-training batch (Touvron et al. 2023, section 2.2).
DEFAULT_BATCH_TOKENS = 4 * 1024 * 1024


def _default_batch(seq_len: int, devices: int) -> int:
    """About DEFAULT_BATCH_TOKENS, rounded up to a multiple of the device count."""
    seqs = max(1, math.ceil(DEFAULT_BATCH_TOKENS / seq_len))
    return math.ceil(seqs / devices) * devices


def train(
    model: Annotated[str, typer.Option("--model", help="Preset name or path to config.json.")],
    accelerator: Annotated[str, typer.Option("--accelerator", help="Accelerator id.")],
    count: Annotated[int, typer.Option("--count", help="Number of chips.")],
    tp: Annotated[int | None, typer.Option("--tp", help="Tensor parallel degree.")] = None,
    pp: Annotated[int | None, typer.Option("--pp", help="Pipeline parallel degree.")] = None,
    dp: Annotated[int | None, typer.Option("--dp", help="Data parallel degree.")] = None,
    cp: Annotated[int | None, typer.Option("--cp", help="Context parallel degree.")] = None,
    ep: Annotated[int | None, typer.Option("--ep", help="Expert parallel degree.")] = None,
    zero: Annotated[int | None, typer.Option("--zero", help="ZeRO stage 0-3.")] = None,
    fsdp: Annotated[bool, typer.Option("--fsdp", help="FSDP full shard (ZeRO-3).")] = False,
    recompute: Annotated[
        str | None, typer.Option("--recompute", help="none, selective or full.")
    ] = None,
    micro_batch: Annotated[
        int | None, typer.Option("--micro-batch", help="Sequences per micro-batch and replica.")
    ] = None,
    global_batch: Annotated[
        int | None, typer.Option("--global-batch", help="Sequences per step (default ~4M tokens).")
    ] = None,
    seq_len: Annotated[
        int, typer.Option("--seq-len", help="Tokens per sequence.")
    ] = DEFAULT_SEQ_LEN,
    precision: Annotated[str, typer.Option("--precision", help="bf16 or fp8.")] = "bf16",
    json_output: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Estimate step time, tokens/s, MFU and memory of one training setup.

    Without --tp and --pp the fastest feasible layout is searched (the given flags stay fixed).
    """
    check_positive("--count", count, "number of chips")
    check_positive("--seq-len", seq_len, "number of tokens")
    check_positive("--global-batch", global_batch, "number of sequences")
    if recompute is not None:
        check_choice("--recompute", recompute, tuple(RECOMPUTE_CODES))
    check_choice("--precision", precision, ("bf16", "fp8"))
    if zero is not None and zero not in (0, 1, 2, 3):
        raise InputError(f"--zero {zero}; allowed: 0, 1, 2, 3")
    if fsdp and zero not in (None, 3):
        raise InputError(f"--fsdp means ZeRO-3 but --zero {zero} was given; drop one")
    stage = 3 if fsdp else zero
    cat = load_cli_catalog(catalog)
    acc = cat.accelerator(accelerator)
    spec = resolve_model(model)
    batch = global_batch or _default_batch(seq_len, count)
    fixed: dict[str, Any] = {
        "tp": tp,
        "pp": pp,
        "dp": dp,
        "cp": cp,
        "ep": ep,
        "zero": stage,
        "recompute": recompute,
        "micro_batch": micro_batch,
    }
    if tp is None or pp is None:
        estimate = best_layout(
            spec,
            acc,
            count,
            seq_len=seq_len,
            global_batch_seqs=batch,
            precision=precision,
            fixed=fixed,
        )
    else:
        tp_, pp_, cp_ = tp, pp, cp or 1
        if count % (tp_ * pp_ * cp_):
            raise InputError(
                f"--tp {tp_} x --pp {pp_} x --cp {cp_} does not divide --count {count}"
            )
        layout = Layout(
            dp=dp or count // (tp_ * pp_ * cp_),
            tp=tp_,
            pp=pp_,
            cp=cp_,
            ep=ep or 1,
            zero=1 if stage is None else stage,
            recompute=recompute or "selective",  # type: ignore[arg-type]
            micro_batch=micro_batch or 1,
        )
        from xpuplan.perf.layout import check_layout

        check_layout(layout, spec, chips=count, global_batch_seqs=batch)
        estimate = estimate_training(
            spec, acc, layout, seq_len=seq_len, global_batch_seqs=batch, precision=precision
        )
    if json_output:
        print_json(estimate.to_dict())
    else:
        terminal.print_training_estimate(console, estimate)
