"""xpuplan estimate train: step time, throughput, MFU and memory of one training setup."""

from __future__ import annotations

from typing import Annotated

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
from xpuplan.perf.layout import RECOMPUTE_CODES
from xpuplan.perf.stack import STACKS, get_stack
from xpuplan.perf.training import (
    DEFAULT_SEQ_LEN,
    LORA_TARGETS,
    Finetune,
    estimate_training_setup,
)
from xpuplan.report import terminal

__all__ = ["train"]


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
    vpp: Annotated[
        int | None,
        typer.Option("--vpp", help="Interleaved pipeline chunks per stage (virtual pipeline)."),
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
    precision: Annotated[
        str | None,
        typer.Option("--precision", help="bf16 or fp8 (default: the stack's recipe precision)."),
    ] = None,
    stack: Annotated[
        str,
        typer.Option(
            "--stack",
            help=f"Software stack whose defaults apply: {', '.join(STACKS)}.",
        ),
    ] = "generic",
    finetune: Annotated[
        str, typer.Option("--finetune", help="full, lora or qlora (frozen 4-bit base).")
    ] = "full",
    rank: Annotated[int, typer.Option("--rank", help="LoRA adapter rank.")] = 16,
    lora_targets: Annotated[
        str, typer.Option("--lora-targets", help="LoRA targets: attention or all-linear.")
    ] = "attention",
    json_output: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Estimate step time, tokens/s, MFU and memory of one training setup.

    Without --tp and --pp the fastest feasible layout is searched (the given flags stay fixed).
    """
    check_positive("--count", count, "number of chips")
    check_positive("--seq-len", seq_len, "number of tokens")
    check_positive("--global-batch", global_batch, "number of sequences")
    for flag, value in (("--tp", tp), ("--pp", pp), ("--dp", dp), ("--cp", cp), ("--ep", ep),
                        ("--micro-batch", micro_batch), ("--vpp", vpp)):  # fmt: skip
        check_positive(flag, value, "whole number")
    if recompute is not None:
        check_choice("--recompute", recompute, tuple(RECOMPUTE_CODES))
    if precision is not None:
        check_choice("--precision", precision, ("bf16", "fp8"))
    check_choice("--stack", stack, tuple(STACKS))
    check_choice("--finetune", finetune, ("full", "lora", "qlora"))
    check_choice("--lora-targets", lora_targets, tuple(LORA_TARGETS))
    check_positive("--rank", rank, "adapter rank")
    if zero is not None and zero not in (0, 1, 2, 3):
        raise InputError(f"--zero {zero}; allowed: 0, 1, 2, 3")
    if fsdp and zero not in (None, 3):
        raise InputError(f"--fsdp means ZeRO-3 but --zero {zero} was given; drop one")
    cat = load_cli_catalog(catalog)
    estimate = estimate_training_setup(
        resolve_model(model),
        cat.accelerator(accelerator),
        count,
        seq_len=seq_len,
        global_batch_seqs=global_batch,
        precision=precision,
        tp=tp,
        pp=pp,
        dp=dp,
        cp=cp,
        ep=ep,
        zero=3 if fsdp else zero,
        recompute=recompute,
        micro_batch=micro_batch,
        virtual_pp=vpp,
        stack=get_stack(stack),
        finetune=Finetune(finetune, rank, lora_targets),
    )
    if json_output:
        print_json(estimate.to_dict())
    else:
        terminal.print_training_estimate(console, estimate)
