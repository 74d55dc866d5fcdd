"""The training software stack: framework features that change step time, as inputs.

A :class:`Stack` says what a framework of a given vintage does by default: whether it overlaps
tensor-parallel communication with the matmuls, whether attention is a fused flash kernel, whether
the optimizer states are sharded (distributed optimizer / ZeRO-1), which precision, micro-batch
and recomputation its published recipes use when a run does not say. These are documented facts
about the software, never values fitted to measurements; what *is* fitted
(:mod:`xpuplan.perf.efficiency`) is how much of a collective an overlapping stack manages to hide.

Every field can be overridden (``dataclasses.replace``); a plan or a validation case names the
stack it assumes (``Stack.name``). Sources per stack are in ``source``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from xpuplan.errors import InputError

__all__ = ["STACKS", "Stack", "get_stack", "stack_for_accelerator", "stack_for_framework"]


@dataclass(frozen=True)
class Stack:
    """Defaults of one framework and version (see the module docstring)."""

    name: str
    description: str
    tp_comm_overlap: bool  # TP all-gather/reduce-scatter pipelined against the GEMMs
    flash_attention: bool  # fused attention that never writes the score matrix
    distributed_optimizer: bool  # optimizer states sharded over data parallel (ZeRO-1)
    fsdp: bool  # weights, gradients and states sharded (ZeRO-3 / FSDP) by default
    low_precision: str | None  # fp8 / int8 GEMMs in the recipes, where the chip's peak is higher
    micro_batch: int  # default micro-batch per model replica (sequences)
    recompute: str  # default activation recomputation: none, selective or full
    sequence_parallel: bool  # Megatron sequence parallelism with TP
    interleaved_pp: bool  # interleaved 1F1B (virtual pipeline) when pp > 1
    source: str
    # Bytes per gradient element on the data-parallel wire: fp32 (Megatron-LM forces
    # accumulate_allreduce_grads_in_fp32 with bf16; FSDP reduce_dtype fp32) unless stated.
    grad_reduce_bytes: float = 4.0
    # Gradient reduction overlapped with the backward (bucketed, as PyTorch DDP, Megatron-Core
    # --overlap-grad-reduce, FSDP, XLA); Megatron-LM 2021-22's default local DDP reduced after it.
    dp_comm_overlap: bool = True
    # When the default recomputation does not fit, recompute only as many layers per stage as
    # needed (Megatron-Core --recompute-method block --recompute-num-layers N; the NeMo /
    # Megatron-Bridge performance recipes set recompute_num_layers or offload a few layers'
    # activations rather than recompute every layer). False: every layer (Hugging Face /
    # PyTorch gradient checkpointing wraps all layers).
    block_recompute: bool = False
    # The fp32 parameter is the optimizer's master copy, cast to bf16 only for compute: 4 bytes
    # of parameter + 8 of Adam moments instead of a bf16 weight + 12 bytes (PyTorch FSDP
    # MixedPrecision docs: param_dtype is the dtype of the unsharded parameters used in
    # forward/backward, the sharded ones stay in full precision; MaxText weight_dtype float32).
    master_is_param: bool = False
    # JAX/XLA named checkpoints: MaxText's remat_policy (memory.MAXTEXT_REMAT_SAVES, "custom")
    # and the tensors a custom policy offloads to host memory; None: PyTorch-style recomputation.
    remat_policy: str | None = None
    remat_offloaded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


STACKS: dict[str, Stack] = {
    s.name: s
    for s in (
        Stack(
            name="megatron-2021",
            description="Megatron-LM 2021-2022 (PTD-P): no TP overlap, unfused attention",
            tp_comm_overlap=False,
            flash_attention=False,
            distributed_optimizer=False,
            fsdp=False,
            low_precision=None,
            micro_batch=1,
            recompute="full",
            sequence_parallel=False,
            interleaved_pp=True,
            source="NVIDIA/Megatron-LM v2.x-v3.0 arguments.py: --checkpoint-activations (full), "
            "TP all-reduces synchronous in mpu/mappings.py, softmax via fused_softmax (scores "
            "materialized); --DDP-impl local reduces gradients after the backward; distributed "
            "optimizer and sequence parallelism arrive in v3.0 (2022)",
            dp_comm_overlap=False,
        ),
        Stack(
            name="megatron-2022",
            description="Megatron-LM 3.x (2022): sequence parallel + selective recompute",
            tp_comm_overlap=False,
            flash_attention=False,
            distributed_optimizer=False,
            fsdp=False,
            low_precision=None,
            micro_batch=1,
            recompute="selective",
            sequence_parallel=True,
            interleaved_pp=True,
            source="NVIDIA/Megatron-LM v3.0 arguments.py: --sequence-parallel, "
            "--recompute-activations (selective); attention scores still materialized",
            dp_comm_overlap=False,
        ),
        Stack(
            name="megatron-core",
            description="Megatron-Core 2024+ (Megatron-LM README benchmarks): TE, overlap",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=False,
            low_precision=None,
            micro_batch=1,
            recompute="selective",
            sequence_parallel=True,
            interleaved_pp=True,
            source="NVIDIA/Megatron-LM README 'Performance Benchmarking' (r0.8): "
            "--use-distributed-optimizer --overlap-grad-reduce --overlap-param-gather "
            "--tp-comm-overlap, Transformer Engine fused attention, micro-batch 1",
            block_recompute=True,
        ),
        Stack(
            name="nemo",
            description="NVIDIA NeMo 2.x / NeMo MLPerf recipes on Megatron-Core: fp8 on Hopper+",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=False,
            low_precision="fp8",
            micro_batch=1,
            recompute="selective",
            sequence_parallel=True,
            interleaved_pp=True,
            source="NeMo performance summary (docs.nvidia.com/nemo-framework, 'Performance') "
            "and NVIDIA's MLPerf Training GPT-3/Llama-2-70B-LoRA configs: fp8 (Transformer "
            "Engine), micro-batch 1, tp_comm_overlap (userbuffers), interleaved pipeline, "
            "distributed_fused_adam with grad_sync_dtype bf16",
            grad_reduce_bytes=2.0,
            block_recompute=True,
        ),
        Stack(
            name="maxtext",
            description="MaxText (JAX/XLA): FSDP over the slice, async collectives",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=True,
            low_precision=None,
            micro_batch=12,
            recompute="full",
            # logical_axis_rules shard activation_embed and norm over the tensor axis: the
            # residual stream, norms and stored layer inputs are split by TP as with Megatron's
            # sequence parallelism (same bytes per device).
            sequence_parallel=True,
            interleaved_pp=False,
            source="AI-Hypercomputer/maxtext configs/base.yml: ici_fsdp_parallelism -1, "
            "per_device_batch_size 12 (per chip: micro_batch counts sequences per chip here, "
            "lowered when it does not fit, as MaxText's batch-size guide advises), "
            "gradient_accumulation_steps 1, remat_policy full, dtype bfloat16, "
            "attention 'autoselected' (splash/flash), "
            "XLA async collective fusion / collective matmul; logical_axis_rules "
            "['activation_embed', 'tensor'], ['norm', 'tensor']; weight_dtype float32, "
            "grad_dtype float32 (the fp32 parameter is Adam's master)",
            master_is_param=True,
            remat_policy="full",
        ),
        Stack(
            name="maxtext-mlperf",
            description="MaxText / Pax MLPerf GPT-3 recipes: int8 quantized training (AQT)",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=True,
            low_precision="int8",
            micro_batch=12,
            recompute="full",
            # logical_axis_rules shard activation_embed and norm over the tensor axis: the
            # residual stream, norms and stored layer inputs are split by TP as with Megatron's
            # sequence parallelism (same bytes per device).
            sequence_parallel=True,
            interleaved_pp=False,
            source="mlcommons/training_results_v4.0 Google/benchmarks/gpt3/implementations/"
            "maxtext/v5p-*.sh (quantization=int8, remat_policy=full, attention=flash); Google "
            "Cloud blog 'Accurate Quantized Training (AQT) for TPU v5e' (MLPerf 3.1 GPT-3, int8); "
            "MaxText configs/base.yml weight_dtype float32",
            master_is_param=True,
            remat_policy="full",
        ),
        Stack(
            name="axlearn",
            description="AXLearn (JAX/XLA; TPU, Trainium): FSDP across chips, TP in chip",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=True,
            low_precision=None,
            micro_batch=1,
            recompute="selective",
            sequence_parallel=False,
            interleaved_pp=False,
            source="AXLearn fuji mesh rule, quoted in the Trainium2 case (fsdp=-1, model=4 on "
            "trn2: 'TP within the chip, FSDP across chips'), bf16, flash kernels",
        ),
        Stack(
            name="nxd",
            description="AWS NeuronX Distributed / NeMo-Megatron on Neuron",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=False,
            low_precision=None,
            micro_batch=1,
            recompute="selective",
            sequence_parallel=True,
            interleaved_pp=False,
            source="aws-neuron-sdk NxD training tutorials: ZeRO-1 (NeuronZero1Optimizer), "
            "selective activation checkpointing, sequence parallel, NKI flash attention, "
            "micro-batch 1",
        ),
        Stack(
            name="fsdp",
            description="PyTorch FSDP / DeepSpeed ZeRO-3 (llm-foundry, torchtitan): FULL_SHARD",
            tp_comm_overlap=False,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=True,
            low_precision=None,
            micro_batch=1,
            recompute="none",
            sequence_parallel=False,
            interleaved_pp=False,
            source="mosaicml/llm-foundry yamls (fsdp_config sharding_strategy FULL_SHARD, "
            "attn_impl flash, amp_bf16); PyTorch FSDP MixedPrecision docs (param_dtype bf16 "
            "for compute, sharded fp32 parameters kept as the optimizer's)",
            master_is_param=True,
        ),
        Stack(
            name="generic",
            description="Any other framework: Megatron-style defaults without overlap claims",
            tp_comm_overlap=True,
            flash_attention=True,
            distributed_optimizer=True,
            fsdp=False,
            low_precision=None,
            micro_batch=1,
            recompute="selective",
            sequence_parallel=True,
            interleaved_pp=False,
            source="assumption: a 2024+ framework with flash attention and ZeRO-1; "
            "micro-batch 1 (the default of Megatron, NeMo, NxD and MaxText)",
        ),
    )
}


def get_stack(name: str) -> Stack:
    """The stack called ``name`` (one-line error listing the allowed names)."""
    try:
        return STACKS[name]
    except KeyError:
        raise InputError(f"stack {name!r} is unknown; allowed: {', '.join(STACKS)}") from None


# The stack a plan assumes on each vendor software stack (the catalog's ``software_stack``): the
# framework its vendor publishes training results with (NxD on Neuron, MaxText on TPUs); a
# generic 2024+ stack elsewhere.
_PLAN_STACKS = {"Neuron": "nxd", "XLA/TPU": "maxtext"}


def stack_for_accelerator(software_stack: str) -> Stack:
    """The stack plans assume on a chip whose vendor software is ``software_stack``."""
    return STACKS[_PLAN_STACKS.get(software_stack, "generic")]


def stack_for_framework(framework: str | None, when: str | None = None) -> Stack:
    """The stack a framework description implies (``when``: other text naming a year, such as
    the source title, to tell 2021-22 Megatron-LM from Megatron-Core)."""
    text = (framework or "").lower()
    years = [int(y) for y in re.findall(r"\b(20[12]\d)\b", f"{text} {when or ''}")]
    if "axlearn" in text:
        return STACKS["axlearn"]
    if "neuron" in text or "nxd" in text:
        return STACKS["nxd"]
    if "maxtext" in text or "jax" in text or re.search(r"\bpax", text):
        return STACKS["maxtext"]  # Pax/Praxis: the same JAX SPMD FSDP-over-slice practice
    if "nemo" in text:
        return STACKS["nemo"]
    if "megatron" in text:
        if "core" in text or "mcore" in text:
            return STACKS["megatron-core"]
        if years and max(years) <= 2021:
            return STACKS["megatron-2021"]
        if years and max(years) <= 2022:
            return STACKS["megatron-2022"]
        return STACKS["megatron-core"]
    if any(k in text for k in ("fsdp", "llm-foundry", "composer", "torchtitan", "deepspeed")):
        return STACKS["fsdp"]
    return STACKS["generic"]
