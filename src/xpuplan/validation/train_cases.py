"""Predict a ``train`` validation case with the training estimator.

A case states what its source states; everything else is filled by the rules below, derived
from each framework's documented practice, never from the case's measured results. The rules
are keyed on the case's ``framework`` text; a case from any other source gets the generic rules.

Generic rules (any source)
    * Degrees: ``tp``, ``pp``, ``cp``, ``ep``, ``dp`` as stated; unstated tp/pp/cp/ep are 1 and
      ``dp`` is what is left of the device count. When tp, pp and dp are all unstated, the
      fastest feasible layout found by :func:`xpuplan.perf.training.best_layout` (stated
      fields kept): a published benchmark's configuration is a tuned one.
    * Sharding: "ZeRO-n" in ``zero`` gives stage n; a truthy ``fsdp`` (True, "FULL_SHARD") is
      stage 3 over all data-parallel devices ("HYBRID" shards within a scale-up domain);
      otherwise ZeRO-1 (Megatron's distributed optimizer, NeMo and NxD default) when dp > 1.
    * Recomputation: a ``recompute`` mentioning "full" is full; one that offloads to host
      ("offload ...") is full too, because such MaxText policies offload a few tensors (layer
      input, attention projections) and recompute everything else, MLP matmuls included;
      "none"/"no"/"false" is none; anything else (selective, minimal, save_*) is selective:
      those policies keep the matmul outputs and recompute only cheap element-wise work.
      Unstated: selective, or full when no micro-batch fits in memory with selective; on a
      stack with block recomputation (Megatron-Core, NeMo) only the fewest layers per stage
      that make it fit (``--recompute-method block --recompute-num-layers``).
    * Sequence parallelism with TP unless the case says otherwise.
    * Batch: ``global_batch_seqs``, else ``global_batch_tokens / seq_len``, else
      ``per_device_batch x chips``. ``micro_batch`` as stated, else ``per_device_batch`` (per
      device, so x tp per model replica), else the largest power of two (up to 16) whose
      memory fits, with one micro-batch per step.
    * Network: a single "N Gbps" figure in ``hardware.interconnect`` is the per-node scale-out
      bandwidth (divided by ``accelerators_per_node``); otherwise the catalog value.
    * Precision: fp8 when the precision text names fp8 for compute, else bf16.

Megatron-Core (NVIDIA/Megatron-LM README scaling tables; NeMo, which runs on it)
    ZeRO-1 (the README's ``--overlap-param-gather`` is a distributed-optimizer option),
    micro-batch 1, sequence parallelism. With pp > 1 and no stated virtual_pp, the interleaved
    1F1B schedule with two layers per model chunk (one when a stage has an odd number of
    layers), NVIDIA's practice in its published NeMo/Megatron performance configs (GPT-3
    175B: TP 4, PP 8, VP 6 = 2 layers per chunk), when the micro-batch count is a multiple of
    pp (Megatron's requirement for interleaving). Strong-scaling
    rows state no layout; they reuse tp=8, pp=6 of the weak-scaling table's 177B row (the
    case notes say it is the same model), dp = GPUs / 48.

MaxText (AI-Hypercomputer/maxtext perf tables and recipes)
    FSDP (ZeRO-3) over the chips of one slice (``ici_fsdp``), tensor parallelism ``ici_tensor``
    inside it, data parallelism across slices over DCN ("across N slice(s)", "N x v5e-256");
    the scale-up domain is the slice. ``per_device_batch`` sequences per chip, no gradient
    accumulation. On GPUs (A3 VMs) the FSDP domain is one 8-GPU VM and DP spans VMs.

MosaicML llm-foundry (Composer, PyTorch FSDP)
    FULL_SHARD over all GPUs, micro-batch and gradient accumulation as stated, activation
    checkpointing as stated in ``parallelism.recompute`` (the table's HFU/MFU ratio is a
    measured output and is not read).

AWS Neuron (NeuronX Distributed / NeMo Megatron on Trainium)
    Degrees count NeuronCores: the device is a NeuronCore, and the chip's peak, HBM and links
    are split between its cores. Cores per chip = tp x pp x dp / chips when all are stated
    (Trainium2's default logical core pairs two physical cores), else ``cores_per_chip``
    (2 on Trainium1). ZeRO-1 and
    selective recomputation (NxD defaults) unless stated.

FLOP conventions of the measured TFLOP/s and MFU
    Our model FLOPs count attention non-causally (PaLM / Megatron convention), which is what
    every public source uses: Megatron-LM's ``num_floating_point_operations``, MaxText's
    ``calculate_tflops_training_per_device`` before its causal change, llm-foundry's
    ``flops_per_batch`` ("MFU includes attention FLOPs"). A case whose text says its FLOPs are
    causal ("causal convention") or exclude attention ("6N", "without attention") is compared
    in that convention instead. MFU is over the dense peak of the training precision, unless
    the case's own TFLOP/s / MFU ratio shows the source divided by the chip's other (bf16 or
    fp8) peak: a convention, read like the FLOP convention, never a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.models.counts import TRAINING_TO_FORWARD, forward_flops_per_token
from xpuplan.models.describe import spec_from_description
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.efficiency import EfficiencyParams, EfficiencyTable
from xpuplan.perf.layout import Layout, Recompute
from xpuplan.perf.memory import MAXTEXT_REMAT_SAVES
from xpuplan.perf.stack import STACKS, Stack, stack_for_framework
from xpuplan.perf.training import (
    FULL_TRAINING,
    Finetune,
    HardwareArrays,
    TrainingEstimate,
    best_layout,
    default_global_batch_seqs,
    estimate_training,
    fewest_recomputed_layers,
    hardware_arrays,
    stack_precision,
)
from xpuplan.validation.accelerator_ids import resolve_accelerator
from xpuplan.validation.cases import CaseSkipped, ValidationCase

__all__ = [
    "Prediction",
    "PreparedTrainCase",
    "case_finetune",
    "case_layout",
    "case_stack",
    "flop_convention",
    "predict_train_case",
    "prepare_train_case",
]


def case_stack(case: ValidationCase) -> Stack:
    """The software stack a case ran (framework text, and the source's year for Megatron-LM).

    MLPerf Training closed-division GPT-3 and Llama-2-70B-LoRA submissions on NVIDIA GPUs run
    NVIDIA's NeMo/Megatron-Core reference implementations (fp8 via Transformer Engine, the
    ``FP8=True`` of their configs) whatever container the submitter names; Intel Gaudi
    submissions run Intel's Megatron-DeepSpeed port in fp8 (Intel Gaudi MLPerf Training v3.1
    and v4.0 results notes: "FP8"); both are read with the NeMo-style stack."""
    when = " ".join(t for t in (case.source.title, case.source.url, case.source.table) if t)
    stack = stack_for_framework(case.framework, when)
    mlperf = "mlperf" in when.lower() or "training_results_v" in when.lower()
    if mlperf and stack.name == "generic" and case.hardware.family in ("nvidia", "intel"):
        return STACKS["nemo"]
    if mlperf and stack.name == "maxtext":
        return STACKS["maxtext-mlperf"]
    if stack.name == "generic" and case.hardware.family == "aws" and "neuroncore" in case.text:
        return STACKS["nxd"]
    return stack


def _stack(case: ValidationCase) -> str:
    """The layout rules a case follows (one per framework family of the module docstring)."""
    name = case_stack(case).name
    if name == "nxd":
        return "neuron"
    if name.startswith("megatron") or name == "nemo":
        return "megatron"
    if name == "fsdp":
        return "mosaic"
    if name.startswith("maxtext"):
        return "maxtext"
    return name  # axlearn, generic


def flop_convention(case: ValidationCase) -> str:
    """ "noncausal" (default), "causal" or "no_attention" for the case's TFLOP/s and MFU."""
    text = case.text
    if re.search(r"\b6\s*n\s*d?\b|excludes? attention|without attention", text):
        return "no_attention"
    if re.search(r"(?<!non-)causal (attention )?(flops? )?(convention|count)", text):
        return "causal"
    return "noncausal"


def _recompute(value: str | bool | None) -> Recompute:
    if value is None:
        return "selective"
    text = str(value).lower()
    if "full" in text or "offload" in text:
        return "full"
    if text.strip() in ("none", "no", "false", "off", "disabled"):
        return "none"
    return "selective"


# Pax / Praxis checkpoint-policy names of the MLPerf GPT-3 recipes, read as the MaxText policy
# that saves the same matmul outputs (praxis AutodiffCheckpointType: SAVE_DOT_EXCEPT_LOGITS_FFN1
# saves every dot output except the logits and the first feed-forward matmul).
_REMAT_ALIASES = {
    "save_dot_except_logits_ffn1": "save_dot_except_mlpwi",
    "save_dot_except_logits": "minimal",
}
# Free-text names of the tensors a MaxText ``custom`` policy offloads (configs/base.yml keys).
_OFFLOAD_WORDS = {
    "decoder input": ("decoder_layer_input",),
    "q/k/v": ("query_proj", "key_proj", "value_proj"),
    "out proj": ("out_proj",),
    "/out": ("out_proj",),
}


def _named_remat(stack: Stack, recompute: str | bool | None) -> Stack:
    """A stack with named checkpoints (MaxText) running the case's ``remat_policy``: the policy
    name, or for ``custom`` the tensors the case says it offloads to the host."""
    if stack.remat_policy is None or recompute is None:
        return stack
    text = str(recompute).lower()
    if "custom" in text:
        offloaded = tuple(
            dict.fromkeys(
                n for word, names in _OFFLOAD_WORDS.items() if word in text for n in names
            )
        )
        return replace(stack, remat_policy="custom", remat_offloaded=offloaded)
    names = sorted([*MAXTEXT_REMAT_SAVES, *_REMAT_ALIASES], key=len, reverse=True)
    for name in names:
        if re.search(rf"(?<![a-z_]){name}(?![a-z_0-9])", text):
            return replace(stack, remat_policy=_REMAT_ALIASES.get(name, name))
    return stack


def _zero_stage(case: ValidationCase, dp: int) -> int:
    zero = case.parallelism.zero
    if zero is not None:
        match = re.search(r"(\d)", str(zero))
        if match:
            return int(match.group(1))
    fsdp = case.parallelism.fsdp
    if fsdp is True or (isinstance(fsdp, str) and "shard" in fsdp.lower()):
        return 3
    return 1 if dp > 1 else 0


def _slices(case: ValidationCase) -> int:
    notes = " ".join(t for t in (case.parallelism.notes, case.hardware.system) if t)
    match = re.search(r"across (\d+) slice", notes) or re.search(r"(\d+)\s*x\s*v\d", notes)
    return int(match.group(1)) if match else 1


def _scaleout_gbits(case: ValidationCase) -> float | None:
    text = case.hardware.interconnect or ""
    figures = re.findall(r"(\d+(?:\.\d+)?)\s*gbps", text.lower())
    per_node = case.hardware.accelerators_per_node
    if len(figures) == 1 and per_node:
        return float(figures[0]) / per_node
    return None


def _precision(case: ValidationCase, stack: Stack, acc: Accelerator) -> tuple[str, str | None]:
    """The case's precision and, when the case does not state it, the assumption made."""
    text = (case.precision or "").lower()
    if re.search(r"fp4", text) and acc.peak_tflops("fp4"):
        return "fp4", None  # NVFP4 / MXFP4 GEMMs (Blackwell)
    if "fp8" in text and "weights fp8" not in text:
        return "fp8", None
    if re.search(r"\bint8\b|aqt", text) and acc.peak_tflops("int8"):
        return "int8", None
    if re.search(r"bf16|bfloat16|fp16|float16|amp|mixed", text) and "not stated" not in text:
        return "bf16", None
    chosen = stack_precision(stack, acc)
    return chosen, f"precision unstated: {chosen}, the {stack.name} stack's recipe precision"


def _global_batch(case: ValidationCase, seq_len: int) -> int | None:
    b = case.batch
    if b.global_batch_seqs:
        return b.global_batch_seqs
    if b.global_batch_tokens:
        return max(1, b.global_batch_tokens // seq_len)
    if b.per_device_batch:
        return round(b.per_device_batch * case.hardware.count)
    return None


def _neuron_devices_per_chip(case: ValidationCase, accelerator: Accelerator) -> int:
    """Degrees of a Neuron case count logical NeuronCores: when all are stated they say how
    many per chip; else the chip's default logical cores (Trainium2: 8 physical cores, logical
    NeuronCore config LNC=2 by default = 4; aws-neuron-sdk 'Logical NeuronCore configuration')."""
    p, chips = case.parallelism, case.hardware.count
    if p.tp and p.dp:
        stated = p.tp * (p.pp or 1) * (p.cp or 1) * p.dp
        if stated % chips == 0:
            return stated // chips
    if accelerator.generation == "NeuronCore-v3":
        return max(1, accelerator.cores_per_chip // 2)
    return accelerator.cores_per_chip


def case_layout(
    case: ValidationCase, accelerator: Accelerator, model: ModelSpec, seq_len: int
) -> tuple[Layout, int | None, int | None]:
    """Layout (micro_batch 0 when unstated), global batch and scale-up domain of ``case``.

    tp/pp of a Megatron/NeMo or generic case that states no layout are 0: searched later."""
    layout, batch, domain, _ = _case_layout(case, accelerator, model, seq_len)
    return layout, batch, domain


def _case_layout(
    case: ValidationCase, accelerator: Accelerator, model: ModelSpec, seq_len: int
) -> tuple[Layout, int | None, int | None, list[str]]:
    p, b, chips = case.parallelism, case.batch, case.hardware.count
    stack = case_stack(case)
    rules = _stack(case)
    notes: list[str] = []
    per_chip = 1
    if rules == "neuron" or (rules == "axlearn" and accelerator.vendor_family == "aws"):
        per_chip = _neuron_devices_per_chip(case, accelerator)
    devices = chips * per_chip
    tp, pp, cp, ep = p.tp or 1, p.pp or 1, p.cp or 1, p.ep or 1
    stated_batch = _global_batch(case, seq_len)
    if rules == "maxtext" and p.tp is None and stated_batch and stated_batch < devices:
        # per_device_batch_size < 1: MaxText needs ici_tensor_parallelism >= 1 / batch per chip
        tp = max(1, devices // stated_batch)
        notes.append(f"tp unstated: {tp}, so that each chip group holds one sequence")
    if rules == "axlearn" and accelerator.vendor_family == "aws" and p.tp is None:
        tp = per_chip
        notes.append(
            f"layout unstated: AXLearn's Trainium mesh rule, TP {tp} over the logical cores of "
            "each chip, FSDP across chips (AXLearn fuji mesh rule, quoted in the case notes)"
        )
    if devices % (tp * pp * cp):
        raise CaseSkipped(
            f"tp*pp*cp={tp * pp * cp} does not divide {devices} devices; state dp or the "
            "devices per chip in the case"
        )
    dp = devices // (tp * pp * cp)
    if p.dp is not None and rules not in ("maxtext", "axlearn") and p.dp != dp:
        raise CaseSkipped(f"dp={p.dp} disagrees with devices/(tp*pp*cp)={dp}; fix the case")
    zero = _zero_stage(case, dp)
    if p.zero is None and not p.fsdp:
        zero = 3 if stack.fsdp else (1 if stack.distributed_optimizer and dp > 1 else 0)
    shard: int | None = None
    domain: int | None = None
    if rules == "maxtext" or (rules == "axlearn" and accelerator.vendor_family == "tpu"):
        zero = 3
        if accelerator.vendor_family == "tpu":
            domain = chips // _slices(case)
        else:  # GPU VMs: FSDP inside the NVLink domain, DP across VMs
            domain = min(accelerator.scaleup_domain_chips, chips)
        shard = max(1, domain // (tp * cp))
    elif rules == "axlearn":
        zero = 3
    elif zero == 3 and isinstance(p.fsdp, str) and "hybrid" in p.fsdp.lower():
        shard = max(1, min(dp, accelerator.scaleup_domain_chips // (tp * cp)))
    global_batch = _global_batch(case, seq_len)
    if accelerator.scaleup_topology == "none" and case.hardware.accelerators_per_node:
        domain = case.hardware.accelerators_per_node  # PCIe cards: the server's PCIe fabric
    if b.micro_batch:
        micro = b.micro_batch
    elif b.per_device_batch and float(b.per_device_batch).is_integer():
        micro = int(b.per_device_batch) * tp * cp
    elif rules == "maxtext" and global_batch is not None and global_batch % dp == 0:
        micro = global_batch // dp  # no gradient accumulation: the batch is spread per chip
    elif rules == "maxtext":  # per_device_batch_size per chip, no gradient accumulation
        micro = stack.micro_batch * tp * cp
        notes.append(
            f"batch unstated: MaxText per_device_batch_size {stack.micro_batch} "
            "(configs/base.yml), lowered until it fits"
        )
        global_batch = global_batch or micro * dp
    else:
        micro = stack.micro_batch
        notes.append(f"micro-batch unstated: {micro}, the {stack.name} stack's default")
    if global_batch is None:
        global_batch = default_global_batch_seqs(seq_len, dp * micro)
        notes.append(
            f"global batch unstated: {global_batch} sequences (~4M tokens, the Llama 2 "
            "pre-training batch, rounded to a multiple of dp x micro-batch)"
        )
    virtual = p.virtual_pp or 1
    if stack.interleaved_pp and p.virtual_pp is None and pp > 1:
        per_stage = -(-model.n_layers // pp)
        n_micro = global_batch // (dp * max(micro, 1))
        if n_micro % pp == 0 and per_stage > 1:
            virtual = per_stage // 2 if per_stage % 2 == 0 else per_stage
            notes.append(
                f"virtual pipeline unstated: {virtual} chunks of {per_stage // virtual} layers "
                "(NVIDIA's interleaved-1F1B recipes)"
            )
    sp = p.sequence_parallel
    recompute = _recompute(p.recompute) if p.recompute is not None else stack.recompute
    if p.recompute is None:
        notes.append(f"recomputation unstated: {recompute} ({stack.name} default)")
    layout = Layout(
        dp=dp,
        tp=tp,
        pp=pp,
        cp=cp,
        ep=ep,
        zero=zero,
        dp_shard=shard,
        sequence_parallel=stack.sequence_parallel if sp is None else _truthy(sp),
        recompute=recompute,  # type: ignore[arg-type]
        micro_batch=micro,
        virtual_pp=virtual,
        devices_per_chip=per_chip,
    )
    return layout, global_batch, domain, notes


def _truthy(value: bool | str) -> bool:
    return str(value).lower() not in ("false", "no", "none", "off")


@dataclass(frozen=True)
class PreparedTrainCase:
    """Everything the estimator needs for one case, resolved by the rules above."""

    case: ValidationCase
    model: ModelSpec
    accelerator: Accelerator
    layout: Layout
    seq_len: int
    global_batch_seqs: int
    precision: str
    domain_chips: int | None
    scaleout_gbits: float | None
    stack: Stack = STACKS["generic"]
    assumptions: tuple[str, ...] = ()
    finetune: Finetune = FULL_TRAINING

    def estimate(self, efficiency: EfficiencyParams | None = None) -> TrainingEstimate:
        return estimate_training(
            self.model,
            self.accelerator,
            self.layout,
            seq_len=self.seq_len,
            global_batch_seqs=self.global_batch_seqs,
            precision=self.precision,
            efficiency=efficiency,
            scaleup_domain_chips=self.domain_chips,
            scaleout_gbits_per_s_per_chip=self.scaleout_gbits,
            stack=self.stack,
            finetune=self.finetune,
        )

    def hardware(self, table: EfficiencyTable | None = None) -> HardwareArrays:
        """The size-1 hardware arrays of this case (for vectorized re-evaluation)."""
        domain = self.domain_chips or min(
            self.accelerator.scaleup_domain_chips, max(self.layout.chips, 1)
        )
        return hardware_arrays(
            [self.accelerator],
            precision=self.precision,
            efficiency=table,
            devices_per_chip=self.layout.devices_per_chip,
            domain_chips=[domain],
            scaleout_gbits_per_s_per_chip=[self.scaleout_gbits],
            stack=self.stack,
        )

    def metrics(
        self, tokens_per_s: float, step_time_s: float, hfu_over_mfu: float
    ) -> dict[str, float]:
        """Predicted values under the validation metric names, in the source's convention."""
        chips = self.case.hardware.count
        convention = flop_convention(self.case)
        forward = forward_flops_per_token(self.model, self.seq_len, causal=convention == "causal")
        flops_per_token = TRAINING_TO_FORWARD * (
            forward.total - (forward.attention_scores if convention == "no_attention" else 0.0)
        )
        acc = self.accelerator
        peak = _mfu_peak(self.case, acc, self.precision)
        tflops_per_chip = tokens_per_s / chips * flops_per_token / 1e12
        per_chip = tokens_per_s / chips
        return {
            "tokens_per_s": tokens_per_s,
            "tokens_per_s_per_device": per_chip,
            "tokens_per_s_per_accelerator": per_chip,
            "tokens_per_s_per_gpu": per_chip,
            "tokens_per_s_per_chip": per_chip,
            "sequences_per_s": tokens_per_s / self.seq_len,
            "samples_per_s": tokens_per_s / self.seq_len,
            "tflops_per_device": tflops_per_chip,
            "tflops_per_gpu": tflops_per_chip,
            "tflops_per_chip": tflops_per_chip,
            "aggregate_pflops": tflops_per_chip * chips / 1e3,
            "mfu": tflops_per_chip / peak,
            "hfu": tflops_per_chip / peak * hfu_over_mfu,
            "step_time_s": step_time_s,
            "step_time_ms": step_time_s * 1e3,
        }


def _mfu_peak(case: ValidationCase, acc: Accelerator, precision: str) -> float:
    """The peak a source divides by for MFU: the training precision's, unless the case's own
    TFLOP/s-to-MFU ratio shows it used the chip's bf16 (or fp8) peak instead."""
    peak = acc.peak_tflops(precision) or acc.bf16_dense_tflops
    measured = case.measured()
    if measured.get("tflops_per_device") and measured.get("mfu"):
        implied = measured["tflops_per_device"] / measured["mfu"]
        options = [p for p in (acc.bf16_dense_tflops, acc.fp8_dense_tflops) if p]
        peak = min(options, key=lambda p: abs(p / implied - 1.0))
    return peak


def case_finetune(case: ValidationCase) -> tuple[Finetune, str | None]:
    """The case's ``finetune`` block (LoRA / QLoRA) and the assumption made for its targets."""
    raw = getattr(case, "finetune", None)
    if not isinstance(raw, dict) or str(raw.get("method", "full")).lower() == "full":
        return FULL_TRAINING, None
    method = str(raw.get("method")).lower()
    if method not in ("lora", "qlora"):
        raise CaseSkipped(f"finetune.method {method!r}: allowed lora, qlora")
    rank = raw.get("rank") or 16
    targets = raw.get("targets")
    note = None
    if not targets:
        note = "LoRA targets unstated: attention (q, k, v, o; NeMo's default target_modules)"
        kind = "attention"
    else:
        names = " ".join(str(t).lower() for t in targets)
        mlp = re.search(r"mlp|fc|gate|up_proj|down_proj|linear", names)
        kind = "all-linear" if mlp else "attention"
    if not raw.get("rank"):
        note = (note + "; " if note else "") + "LoRA rank unstated: 16"
    return Finetune(method, int(rank), kind), note


def _fits(prepared: PreparedTrainCase) -> bool:
    return prepared.estimate().fits_memory


def prepare_train_case(case: ValidationCase, catalog: Catalog) -> PreparedTrainCase:
    """Resolve model, accelerator, layout and batch of a case (CaseSkipped when impossible)."""
    hw = case.hardware
    accelerator = resolve_accelerator(catalog, hw.accelerator_id, hw.accelerator)
    seq_len = case.model.seq_len
    if seq_len is None:
        raise CaseSkipped("sequence length not stated; add model.seq_len to the case")
    try:
        model = spec_from_description(case.model.model_dump())
    except InputError as error:
        raise CaseSkipped(f"model not buildable: {error}") from None
    stack = _named_remat(case_stack(case), case.parallelism.recompute)
    precision, precision_note = _precision(case, stack, accelerator)
    finetune, finetune_note = case_finetune(case)
    p = case.parallelism
    unstated_layout = p.tp is None and p.pp is None and p.dp is None
    try:
        layout, global_batch, domain, notes = _case_layout(case, accelerator, model, seq_len)
    except InputError as error:
        raise CaseSkipped(f"layout not runnable: {error}") from None
    notes = [f"stack: {stack.name} ({stack.description})", *notes]
    if precision_note:
        notes.append(precision_note)
    if finetune_note:
        notes.append(finetune_note)
    base = PreparedTrainCase(
        case=case,
        model=model,
        accelerator=accelerator,
        layout=layout,
        seq_len=seq_len,
        global_batch_seqs=global_batch or layout.dp * max(layout.micro_batch, 1),
        precision=precision,
        domain_chips=domain,
        scaleout_gbits=_scaleout_gbits(case),
        stack=stack,
        assumptions=tuple(notes),
        finetune=finetune,
    )
    try:
        rules = _stack(case)
        if rules in ("megatron", "generic") and unstated_layout:
            return _searched(base)
        candidate = base
        if base.global_batch_seqs % (layout.dp * layout.micro_batch):
            raise CaseSkipped(
                f"global batch {base.global_batch_seqs} is not a multiple of dp x micro-batch "
                f"= {layout.dp} x {layout.micro_batch}; state micro_batch or the layout"
            )
        if rules == "maxtext" and not (case.batch.micro_batch or case.batch.per_device_batch):
            micro = layout.micro_batch
            unit = layout.tp * layout.cp
            ladder = [m * unit for m in (8, 6, 4, 3, 2, 1) if m * unit < micro]
            while not _fits(candidate) and ladder:
                micro = ladder.pop(0)
                candidate = replace(
                    candidate,
                    layout=replace(layout, micro_batch=micro),
                    global_batch_seqs=(case.batch.global_batch_seqs or micro * layout.dp),
                )
            layout = candidate.layout
            if micro != base.layout.micro_batch:
                note = f"per-device batch lowered to {micro // (layout.tp * layout.cp)} to fit"
                candidate = replace(candidate, assumptions=(*candidate.assumptions, note))
        if not _fits(candidate) and p.recompute is None and layout.recompute != "full":
            full = _least_recompute(candidate) if stack.block_recompute else None
            if full is not None:
                return full
            full = replace(candidate, layout=replace(layout, recompute="full"))
            if _fits(full):
                note = f"{layout.recompute} recomputation does not fit: full recomputation"
                return replace(full, assumptions=(*full.assumptions, note))
        return candidate
    except InputError as error:
        raise CaseSkipped(f"layout not runnable: {error}") from None


def _least_recompute(candidate: PreparedTrainCase) -> PreparedTrainCase | None:
    """The fewest layers per stage recomputed in full that make ``candidate`` fit (block
    recomputation, :func:`xpuplan.perf.training.fewest_recomputed_layers`), or None when even
    every layer does not."""
    layout = candidate.layout
    block = fewest_recomputed_layers(
        layout, candidate.model.n_layers, lambda lay: _fits(replace(candidate, layout=lay))
    )
    if block is None:
        return None
    per_stage = -(-candidate.model.n_layers // layout.pp)
    note = (
        f"{layout.recompute} recomputation does not fit: {block.recompute_layers or per_stage} "
        f"of {per_stage} layers per stage recomputed ({candidate.stack.name}: block "
        "recomputation, --recompute-num-layers)"
    )
    return replace(candidate, layout=block, assumptions=(*candidate.assumptions, note))


def _searched(base: PreparedTrainCase) -> PreparedTrainCase:
    """Unstated layout: the fastest feasible one with the stack's defaults pinned (published
    configurations are tuned; micro-batch, ZeRO and recomputation as the stack does them)."""
    p = base.case.parallelism
    fixed: dict[str, Any] = {
        "cp": p.cp,
        "ep": p.ep,
        "zero": base.layout.zero,
        "recompute": base.layout.recompute if p.recompute is not None else None,
        "micro_batch": base.layout.micro_batch,
    }
    chips = base.case.hardware.count
    try:
        estimate = best_layout(
            base.model,
            base.accelerator,
            chips,
            seq_len=base.seq_len,
            global_batch_seqs=base.global_batch_seqs,
            precision=base.precision,
            fixed=fixed,
            scaleup_domain_chips=base.domain_chips,
            scaleout_gbits_per_s_per_chip=base.scaleout_gbits,
            stack=base.stack,
            finetune=base.finetune,
        )
    except InfeasibleError as error:
        raise CaseSkipped(f"no feasible layout: {error}") from None
    lay = estimate.layout
    note = (
        f"layout unstated: searched (tp {lay.tp}, pp {lay.pp}, dp {lay.dp}, vpp "
        f"{lay.virtual_pp}, {lay.recompute} recompute)"
    )
    return replace(base, layout=lay, assumptions=(*base.assumptions, note))


class Prediction(dict[str, float]):
    """Predicted metrics plus the assumptions made for the case's unstated values."""

    assumptions: tuple[str, ...] = ()


def predict_train_case(case: ValidationCase, catalog: Catalog) -> dict[str, float]:
    """Predicted values under the case's own metric names (see the module docstring)."""
    prepared = prepare_train_case(case, catalog)
    estimate = prepared.estimate()
    ratio = estimate.hfu / estimate.mfu if estimate.mfu > 0 else 1.0
    out = Prediction(prepared.metrics(estimate.tokens_per_s, estimate.step_time_s, ratio))
    out.assumptions = prepared.assumptions
    return out
