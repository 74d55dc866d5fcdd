"""Training step time, throughput, MFU and memory: one vectorized core, one scalar front end.

The core :func:`estimate_training_arrays` works on broadcastable numpy arrays (one element per
candidate: accelerator numbers, layout degrees, efficiency parameters) so the planner can score
about a million layouts per second; :func:`estimate_training` wraps one candidate in size-1
arrays and returns a :class:`TrainingEstimate`. There is one formula, not two.

Step time of the busiest device (itemized; the parts sum to the total)::

    step = n_micro * (matmul + attention + memory_bound + exposed TP/EP/CP/PP comm)
           + bubble + exposed DP/FSDP comm + optimizer + fixed overhead + straggler

* **matmul**: every weight matmul of a micro-batch on the device (forward + 2x backward, +1
  forward with full recomputation) at ``eff_max * (1 - exp(-AI / (k * ridge)))`` of the peak,
  where ``AI = 2MKN / (e (MK + KN + MN))`` is the arithmetic intensity of its per-device shape
  (M tokens, K x N weight slice, e bytes per element) and ``ridge = peak / hbm_bw`` the chip's
  roofline ridge point (Williams et al. 2009, "Roofline"). Small per-device matmuls (large TP,
  small hidden sizes, few tokens per expert) fall below ``eff_max``; ``k`` is one fitted
  constant.
* **attention**: the flash-attention FLOPs actually executed (causal: half of the score matrix;
  backward = 2.5x forward because it recomputes the scores, Dao 2023 FlashAttention-2) at
  ``attention_eff`` of the bf16 peak.
* **memory_bound**: norms, residual adds, rotary, activation functions, cross-entropy over the
  vocabulary, and with fp8 the scaled casts of GEMM operands (bytes counted per token, at
  ``hbm_eff`` of the HBM bandwidth).
* **TP**: 4 all-reduces (or reduce-scatter + all-gather with sequence parallelism, same bytes)
  of ``tokens x d_model`` bf16 per layer and micro-batch (Shoeybi et al. 2019; Korthikanti et
  al. 2022), 6 with full recomputation; ``1 - tp_overlap`` of it is exposed. **EP**: 4
  all-to-alls of the routed tokens per MoE layer. **CP**: ring exchange of K/V (3 passes),
  hidden behind attention. **PP**: activation send/recv per micro-batch and stage, and the 1F1B
  bubble ``(pp - 1) / v`` micro-batch times (Narayanan et al. 2021).
* **DP/FSDP**: ZeRO-3/FSDP all-gathers the weights twice (bf16) and reduce-scatters the fp32
  gradients every micro-batch; ZeRO 0-2 reduce the fp32 gradients (and gather bf16 weights for
  ZeRO 1/2) once per step; hybrid sharding adds an all-reduce of the gradient shards across
  replicas. Collectives are hierarchical (scale-up domain, then each device's own scale-out
  link: :mod:`xpuplan.perf.comm`); at most ``dp_overlap`` of them hides behind the compute
  they run alongside, and never more than that compute.
* **optimizer**: Adam reads and writes 32 bytes per local parameter (memory bound).
* **straggler**: a synchronous step waits for the slowest of the N scale-up domains; with a
  relative jitter sigma per domain that costs ``sigma * sqrt(2 ln N)`` of the step.

Outputs: step time, tokens/s, model TFLOP/s per device, MFU and HFU, memory per device.
**MFU convention**: model FLOPs of :func:`xpuplan.models.counts.training_flops_per_token` (all
matmuls incl. the LM head, attention scores counted *non-causally*, training = 3x forward; the
PaLM appendix B / Megatron-LM convention) over the dense peak of the training precision. HFU
adds the recomputed FLOPs (full recomputation: one more forward; selective: the attention
scores once more).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt

from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.jsontypes import as_dict, js
from xpuplan.models.spec import ModelSpec
from xpuplan.perf import comm
from xpuplan.perf.efficiency import EfficiencyParams, EfficiencyTable, load_efficiency
from xpuplan.perf.layout import (
    RECOMPUTE_CODES,
    Layout,
    LayoutArrays,
    LayoutGrid,
    ModelShape,
    check_layout,
    enumerate_layouts,
    ep_ok,
    pp_ok,
    tp_ok,
)
from xpuplan.perf.memory import (
    HBM_USABLE_FRACTION,
    SAVE_ALL,
    memory_arrays,
    params_per_device,
    remat_saves,
    stage_layers,
)
from xpuplan.perf.stack import STACKS, Stack
from xpuplan.units import GIGA, TERA, hbm_bytes

__all__ = [
    "DEFAULT_BATCH_TOKENS",
    "DEFAULT_SEQ_LEN",
    "FULL_TRAINING",
    "INFEASIBLE_REASONS",
    "LORA_TARGETS",
    "STEP_PARTS",
    "Finetune",
    "HardwareArrays",
    "TrainArraysResult",
    "TrainingEstimate",
    "TrainingFigures",
    "best_layout",
    "default_global_batch_seqs",
    "estimate_training",
    "estimate_training_arrays",
    "estimate_training_setup",
    "fewest_recomputed_layers",
    "hardware_arrays",
    "stack_precision",
]

FloatArray = npt.NDArray[np.float64]

PARAM_GATHER_BYTES = 2.0  # weights are gathered in the bf16 compute dtype
ACT_COMM_BYTES = 2.0  # bf16 activations on the wire (TP, EP, PP, CP)
ADAM_STEP_BYTES = 32.0  # read fp32 master/m/v/grad (16 B), write master/m/v + bf16 copy (14 B)
# Per token per layer element-wise traffic, in d_model units, of the residual stream: 2 norms
# (read + write) and 2 residual adds (read 2, write 1) = 4 + 6.
RESIDUAL_STREAM_ELEMS = 10.0
LOGIT_TRAFFIC_BYTES = 16.0  # per vocab entry: write bf16 logits, fp32 softmax r/w, bwd r/w
FP8_CAST_BYTES = 3.0  # read bf16, write fp8
# Low-precision GEMMs per training precision: Transformer Engine's fp8 recipes run all three
# GEMMs of a linear layer (forward, activation gradient, weight gradient) in fp8; AQT int8
# training (MaxText / Pax, the int8 recipes of the TPU MLPerf GPT-3 runs) quantizes the
# forward and the activation-gradient GEMMs only, the weight gradient stays bf16 (MaxText
# layers/quantizations.py, AQT config: fwd_bits=8, dlhs_bits=8, drhs_bits=None).
WGRAD_BF16_PRECISIONS = frozenset({"int8"})
FLASH_BACKWARD_TO_FORWARD = 2.5  # FlashAttention-2 backward: 5 matmuls vs 2 forward (Dao 2023)
# Unfused attention (Megatron-LM 2021-22) writes the score matrix and runs softmax, mask and
# dropout over it: forward writes QK^T (2 B), the fused scale-mask-softmax reads and writes it
# (4 B), dropout reads and writes it with a 1-byte mask (5 B), AV reads it (2 B) = 13 B per
# score; the backward touches each about twice (26 B). 39 bytes per score element in all.
SCORE_TRAFFIC_BYTES = 39.0
# QLoRA stores the frozen base in 4-bit NormalFloat with double-quantized block scales:
# 4.127 bits per weight (Dettmers et al. 2023, section 3) = 0.516 bytes; every pass dequantizes
# the weights it uses to bf16 (read 0.516 B, write 2 B).
NF4_WEIGHT_BYTES = 0.516
NF4_DEQUANT_BYTES = NF4_WEIGHT_BYTES + 2.0

STEP_PARTS: tuple[str, ...] = (
    "matmul",
    "attention",
    "memory_bound",
    "tp_comm",
    "ep_comm",
    "cp_comm",
    "pp_comm",
    "pipeline_bubble",
    "dp_comm",
    "optimizer",
    "overhead",
    "straggler",
)
INFEASIBLE_REASONS: dict[int, str] = {
    0: "feasible",
    1: "does not fit in device memory",
    2: "global batch is not a multiple of dp x micro-batch",
    3: "tp does not divide the attention heads",
    4: "pp is more pipeline stages than the layers",
    5: "ep does not divide the experts or dp x cp",
    6: "the accelerator does not support the precision",
}


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


LORA_TARGETS: dict[str, tuple[str, ...]] = {
    "attention": ("q", "k", "v", "o"),
    "all-linear": ("q", "k", "v", "o", "mlp"),
}


@dataclass(frozen=True)
class Finetune:
    """What is trained: every weight (``full``), or low-rank adapters on a frozen base
    (``lora``; ``qlora`` keeps the base in 4-bit NF4, Dettmers et al. 2023).

    LoRA (Hu et al. 2021) adds ``B A`` (rank ``rank``) beside each targeted weight
    (``targets``: ``attention`` = q, k, v, o; ``all-linear`` adds the MLP matrices). The base
    has no weight gradients and no optimizer states; the backward still computes the
    activation gradients through every base matmul (one backward GEMM instead of two), so a
    micro-batch costs about 2/3 of full training's matmul FLOPs plus the adapters'."""

    method: str = "full"  # full | lora | qlora
    rank: int = 16
    targets: str = "attention"

    def __post_init__(self) -> None:
        if self.method not in ("full", "lora", "qlora"):
            raise InputError(f"finetune {self.method!r}: allowed full, lora, qlora")
        if self.targets not in LORA_TARGETS:
            raise InputError(f"LoRA targets {self.targets!r}: allowed {', '.join(LORA_TARGETS)}")
        if not isinstance(self.rank, int) or self.rank < 1:
            raise InputError(f"LoRA rank {self.rank!r}: must be a positive integer")

    @property
    def frozen_base(self) -> bool:
        return self.method != "full"

    def adapter_params_per_layer(self, shape: ModelShape) -> float:
        """Adapter weights of one layer: r x (in + out) per targeted matrix."""
        if not self.frozen_base:
            return 0.0
        h = float(shape.d_model)
        kv = max(shape.qkv_out - shape.d_attn, 0) / 2.0
        total = self.rank * ((h + shape.d_attn) + 2 * (h + kv) + (shape.d_attn + h))
        if self.targets == "all-linear":
            width = shape.ffn_dim or shape.expert_ffn_dim * max(shape.top_k, 1)
            total += self.rank * (shape.mlp_mats * (h + width))
        return total

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "rank": self.rank, "targets": self.targets}


FULL_TRAINING = Finetune()


@dataclass(frozen=True)
class HardwareArrays:
    """Per-device hardware numbers and efficiency parameters, one element per accelerator or
    per candidate (all fields broadcast). Bandwidths a catalog leaves unknown are ``inf``
    (that collective is then not costed)."""

    peak_tflops: FloatArray  # dense peak at the training precision, per device
    attn_peak_tflops: FloatArray  # bf16 dense peak per device (attention runs in bf16)
    hbm_gb: FloatArray
    hbm_tbps: FloatArray
    scaleup_gbytes_per_s: FloatArray  # bidirectional aggregate per device (vendor convention)
    domain_devices: FloatArray  # devices in one scale-up domain / ICI slice
    topology: npt.NDArray[np.int64]  # comm.TOPOLOGY_CODES
    scaleout_gbytes_per_s: FloatArray  # per device, per direction
    bytes_per_element: FloatArray  # matmul operand bytes (2 bf16, 1 fp8)
    matmul_eff_max: FloatArray
    matmul_intensity_scale: FloatArray
    attention_eff: FloatArray
    hbm_eff: FloatArray
    scaleup_bus_eff: FloatArray
    scaleout_bus_eff: FloatArray
    dp_overlap: FloatArray
    tp_overlap: FloatArray
    step_overhead_s: FloatArray
    sync_jitter: FloatArray
    scaleup_latency_s: FloatArray
    scaleout_latency_s: FloatArray
    fp8_matmul_ratio: FloatArray
    flash_attention: FloatArray  # 1.0 fused flash attention, 0.0 materialized scores (stack)
    stack_matmul_scale: FloatArray  # the stack's factor on matmul_eff_max (efficiency table)
    grad_reduce_bytes: FloatArray  # bytes per gradient element on the DP wire (stack)
    wgrad_bf16: FloatArray  # 1.0 where weight-gradient GEMMs stay bf16 (WGRAD_BF16_PRECISIONS)
    master_is_param: FloatArray  # 1.0 where the fp32 parameter is the master copy (stack)
    selective_saves: npt.NDArray[np.int64]  # memory.remat_saves mask under selective (stack)
    full_saves: npt.NDArray[np.int64]  # memory.remat_saves mask under full recomputation

    def take(self, index: npt.ArrayLike) -> HardwareArrays:
        """Rows ``index`` of every field (e.g. the accelerator index of each candidate)."""
        idx = np.asarray(index)
        return HardwareArrays(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})


def hardware_arrays(
    accelerators: Sequence[Accelerator],
    *,
    precision: str = "bf16",
    efficiency: EfficiencyTable | None = None,
    devices_per_chip: Sequence[int] | int = 1,
    domain_chips: Sequence[int | None] | None = None,
    scaleout_gbits_per_s_per_chip: Sequence[float | None] | None = None,
    missing_precision: str = "raise",
    stack: Stack | Sequence[Stack] | None = None,
) -> HardwareArrays:
    """One row per accelerator (``take`` them per candidate). A chip without the precision
    raises, or with ``missing_precision="nan"`` gets a NaN peak (its candidates come out
    infeasible, reason 6). ``domain_chips`` overrides the scale-up domain (an offering's NVLink
    domain, a TPU slice); ``scaleout_gbits_per_s_per_chip`` the network (an instance's NIC).
    ``stack`` (default: ``generic``, also the planner's) switches TP-communication overlap,
    gradient-reduction overlap and flash attention off where the framework has none, and
    brings its fitted matmul factor and gradient bytes."""
    stacks = (
        list(stack)
        if isinstance(stack, Sequence)
        else [stack or STACKS["generic"]] * len(accelerators)
    )
    table = efficiency or load_efficiency()
    n = len(accelerators)
    per_chip = (
        [devices_per_chip] * n if isinstance(devices_per_chip, int) else list(devices_per_chip)
    )
    domains = list(domain_chips) if domain_chips is not None else [None] * n
    nets = (
        list(scaleout_gbits_per_s_per_chip)
        if scaleout_gbits_per_s_per_chip is not None
        else [None] * n
    )
    rows: dict[str, list[float]] = {f.name: [] for f in fields(HardwareArrays)}
    for acc, dpc, domain, net, stack in zip(
        accelerators, per_chip, domains, nets, stacks, strict=True
    ):
        overlap_tp = 1.0 if stack.tp_comm_overlap else 0.0
        overlap_dp = 1.0 if stack.dp_comm_overlap else 0.0
        flash = 1.0 if stack.flash_attention else 0.0
        peak = acc.peak_tflops(precision)
        if peak is None and missing_precision == "nan":
            peak = float("nan")
        if peak is None:
            raise InputError(
                f"precision {precision!r} is not supported by {acc.id} (no dense "
                f"{precision} peak in the catalog); use bf16"
            )
        eff = table.for_accelerator(acc.id, acc.vendor_family)
        up = acc.scaleup_gbytes_per_s
        out = net if net is not None else acc.scaleout_gbits_per_s_per_chip
        rows["peak_tflops"].append(peak / dpc)
        rows["attn_peak_tflops"].append(acc.bf16_dense_tflops / dpc)
        rows["hbm_gb"].append(hbm_bytes(acc.hbm_gb) / GIGA / dpc)
        rows["hbm_tbps"].append(acc.hbm_tbps / dpc)
        rows["scaleup_gbytes_per_s"].append(np.inf if up is None else up / dpc)
        rows["domain_devices"].append((domain or acc.scaleup_domain_chips) * dpc)
        rows["topology"].append(comm.topology_code(acc.scaleup_topology))
        rows["scaleout_gbytes_per_s"].append(
            np.inf if out is None else float(comm.scaleout_gbytes_per_s(out)) / dpc
        )
        rows["bytes_per_element"].append({"fp8": 1.0, "int8": 1.0, "fp4": 0.5}.get(precision, 2.0))
        for name, value in eff.to_dict().items():
            scale = {"tp_overlap": overlap_tp, "dp_overlap": overlap_dp}.get(name, 1.0)
            rows[name].append(value * scale)
        rows["flash_attention"].append(flash)
        rows["grad_reduce_bytes"].append(stack.grad_reduce_bytes)
        rows["wgrad_bf16"].append(1.0 if precision in WGRAD_BF16_PRECISIONS else 0.0)
        rows["stack_matmul_scale"].append(table.stack_matmul_scale.get(stack.name, 1.0))
        rows["master_is_param"].append(1.0 if stack.master_is_param else 0.0)
        selective, full = _remat_masks(stack)
        rows["selective_saves"].append(selective)
        rows["full_saves"].append(full)
    arrays: dict[str, Any] = {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
    for name in ("topology", "selective_saves", "full_saves"):
        arrays[name] = np.asarray(rows[name], dtype=np.int64)
    return HardwareArrays(**arrays)


def _remat_masks(stack: Stack) -> tuple[int, int]:
    """What a layer keeps under selective and under full recomputation on ``stack``
    (:func:`xpuplan.perf.memory.remat_saves`). A stack with named checkpoints keeps its policy's
    tensors; where that policy is full (or offloads), "selective" means MaxText's ``minimal``
    (every matmul output saved, element-wise work rematerialized), and full keeps the layer
    input unless the policy offloads it."""
    if stack.remat_policy is None:
        return SAVE_ALL, SAVE_ALL
    policy = remat_saves(stack.remat_policy, stack.remat_offloaded)
    full = policy & remat_saves("full", stack.remat_offloaded)
    selective = policy if policy & ~full else remat_saves("minimal", stack.remat_offloaded)
    return selective, full


@dataclass(frozen=True)
class TrainArraysResult:
    """Per-candidate outputs; ``parts_s`` sums to ``step_time_s``."""

    step_time_s: FloatArray
    tokens_per_s: FloatArray
    model_tflops_per_device: FloatArray
    mfu: FloatArray
    hfu: FloatArray
    memory_gb: FloatArray
    memory_parts_gb: dict[str, FloatArray]
    usable_memory_gb: FloatArray
    parts_s: dict[str, FloatArray]
    comm_raw_s: dict[str, FloatArray]  # collective times before overlap
    n_micro: FloatArray
    fits_memory: npt.NDArray[np.bool_]
    feasible: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.int64]  # INFEASIBLE_REASONS


def _intensity(m: FloatArray, k: npt.ArrayLike, n: npt.ArrayLike, e: FloatArray) -> FloatArray:
    """Arithmetic intensity (FLOP per byte) of an (m x k) @ (k x n) matmul, e bytes/element."""
    k_, n_ = _f(k), _f(n)
    return 2.0 * m * k_ * n_ / (e * (m * k_ + k_ * n_ + m * n_))


def _group_inner(n: FloatArray, stride: FloatArray, domain: FloatArray) -> FloatArray:
    """Members of a group (consecutive ranks ``stride`` apart) inside one scale-up domain."""
    return np.clip(np.floor(domain / np.maximum(stride, 1.0)), 1.0, np.maximum(n, 1.0))


class _Fabric:
    """Collective costs for groups placed ``stride`` ranks apart on one candidate's fabric."""

    def __init__(self, hw: HardwareArrays) -> None:
        self.hw = hw
        self._cache: dict[tuple[int, int], tuple[Any, Any, tuple[FloatArray, ...]]] = {}
        self.out_bw = _f(hw.scaleout_gbytes_per_s) * hw.scaleout_bus_eff
        # Switched (and "none") fabrics give every group half the bidirectional aggregate
        # (comm.link_gbytes_per_s); only torus/ring rows need the dimensions a group spans.
        self.torus = comm.TOPOLOGY_DIMS[np.asarray(hw.topology, dtype=np.int64)] > 0
        self.any_torus = bool(np.any(self.torus))
        self.switched_bw = _f(hw.scaleup_gbytes_per_s) / 2.0 * hw.scaleup_bus_eff
        self._p2p: tuple[FloatArray, FloatArray] | None = None
        self._torus_rows: dict[tuple[int, ...], tuple[Any, ...]] = {}

    def _inner_bw(self, inner: FloatArray) -> FloatArray:
        hw = self.hw
        if not self.any_torus:
            return self.switched_bw
        if bool(np.all(self.torus)):
            bw = comm.link_gbytes_per_s(
                hw.scaleup_gbytes_per_s, hw.topology, inner, hw.domain_devices
            )
            return bw * hw.scaleup_bus_eff
        # Mixed fabrics (one row per candidate): the torus rule on the torus rows only.
        shape = np.broadcast_shapes(np.shape(inner), self.torus.shape)

        def at(a: npt.ArrayLike) -> FloatArray:
            return np.broadcast_to(np.asarray(a), shape).reshape(-1)[rows]

        if shape not in self._torus_rows:  # the torus rows' hardware, gathered once per shape
            rows = np.flatnonzero(np.broadcast_to(self.torus, shape))
            fields = (hw.scaleup_gbytes_per_s, hw.topology, hw.domain_devices, hw.scaleup_bus_eff)
            self._torus_rows[shape] = (rows, *(at(a) for a in fields))
        rows, up, topology, domain, bus_eff = self._torus_rows[shape]
        out = np.array(np.broadcast_to(self.switched_bw, shape), dtype=np.float64)
        out.reshape(-1)[rows] = comm.link_gbytes_per_s(up, topology, at(inner), domain) * bus_eff
        return out

    def _args(self, n: FloatArray, stride: FloatArray) -> tuple[FloatArray, ...]:
        # The same (group, stride) arrays serve several collectives of one evaluation: compute
        # their placement and link bandwidth once (keyed on the array objects, alive here).
        key = (id(n), id(stride))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is n and cached[1] is stride:
            return cached[2]
        args = self._compute_args(n, stride)
        self._cache[key] = (n, stride, args)
        return args

    def _compute_args(self, n: FloatArray, stride: FloatArray) -> tuple[FloatArray, ...]:
        inner = _group_inner(n, stride, _f(self.hw.domain_devices))
        return (
            n,
            inner,
            self._inner_bw(inner),
            _f(self.hw.scaleup_latency_s),
            self.out_bw,
            _f(self.hw.scaleout_latency_s),
        )

    def allreduce(self, nbytes: FloatArray, n: FloatArray, stride: FloatArray) -> FloatArray:
        return comm.hierarchical_allreduce_time_s(nbytes, *self._args(n, stride))

    def reduce_scatter(self, nbytes: FloatArray, n: FloatArray, stride: FloatArray) -> FloatArray:
        return comm.hierarchical_reduce_scatter_time_s(nbytes, *self._args(n, stride))

    def allgather(self, nbytes: FloatArray, n: FloatArray, stride: FloatArray) -> FloatArray:
        return comm.hierarchical_allgather_time_s(nbytes, *self._args(n, stride))

    def alltoall(self, nbytes: FloatArray, n: FloatArray, stride: FloatArray) -> FloatArray:
        return comm.hierarchical_alltoall_time_s(nbytes, *self._args(n, stride))

    def p2p(self, nbytes: FloatArray, inside: npt.NDArray[np.bool_]) -> FloatArray:
        hw = self.hw
        if self._p2p is None:  # a pair of neighbours' link, the same for PP and CP
            two = np.full(np.shape(self.torus), 2.0)
            self._p2p = (self._inner_bw(two), self.out_bw)
        up, out = self._p2p
        inner = comm.p2p_time_s(nbytes, up, hw.scaleup_latency_s)
        outer = comm.p2p_time_s(nbytes, out, hw.scaleout_latency_s)
        return np.where(inside, inner, outer)


def estimate_training_arrays(
    shape: ModelShape,
    hw: HardwareArrays,
    layout: LayoutArrays,
    global_batch_seqs: npt.ArrayLike,
    *,
    usable_memory_fraction: float = HBM_USABLE_FRACTION,
    finetune: Finetune = FULL_TRAINING,
) -> TrainArraysResult:
    """The vectorized estimator (see the module docstring for every term)."""
    lora = finetune.frozen_base
    dp, tp, pp, cp, ep = (_f(x) for x in (layout.dp, layout.tp, layout.pp, layout.cp, layout.ep))
    mb, v = _f(layout.micro_batch), np.maximum(_f(layout.virtual_pp), 1.0)
    zero = np.asarray(layout.zero, dtype=np.int64)
    shard = np.where(zero >= 1, np.maximum(_f(layout.shard), 1.0), 1.0)
    rc = np.asarray(layout.recompute, dtype=np.int64)
    layers = stage_layers(shape.n_layers, pp)  # layers on the busiest stage
    # Share of the stage's layers recomputed in full (block recomputation recomputes r of them;
    # without it, every layer: min(inf, L) / L = 1, no division needed)
    block = np.isfinite(layout.recompute_layers)
    if np.any(block):
        full_rc = np.where(rc >= 2, np.minimum(_f(layout.recompute_layers), layers) / layers, 0.0)
    else:
        full_rc = np.where(rc >= 2, 1.0, 0.0)
    sp = np.asarray(layout.sequence_parallel, dtype=bool) & (tp > 1)
    tp_sp = np.where(sp, tp, 1.0)  # the TP split of the sequence-parallel regions
    recomputes = rc >= 1  # selective or full
    gbs = _f(global_batch_seqs)
    h, s = float(shape.d_model), float(shape.seq_len)
    e = _f(hw.bytes_per_element)
    peak = _f(hw.peak_tflops) * TERA
    hbm_bw = _f(hw.hbm_tbps) * TERA * hw.hbm_eff

    n_micro_exact = gbs / (dp * mb)
    n_micro = np.maximum(np.floor(n_micro_exact), 1.0)
    tokens = mb * s / cp  # tokens of one micro-batch on one device

    # ---- matmuls (forward FLOPs per layer and micro-batch on one device)
    ridge = peak / (_f(hw.hbm_tbps) * TERA)  # FLOP per byte where compute and HBM balance
    intensity0 = hw.matmul_intensity_scale * ridge

    eff_bf16 = hw.matmul_eff_max * hw.stack_matmul_scale
    eff_max = np.minimum(eff_bf16 * np.where(e < 2.0, hw.fp8_matmul_ratio, 1.0), 1.0)
    eff_peak = eff_max * peak  # per hardware row, not per candidate

    def mm_time(flops: FloatArray, m: FloatArray, k: npt.ArrayLike, n: npt.ArrayLike) -> FloatArray:
        size = _intensity(m, k, n, e) / intensity0
        return flops / (eff_peak * -np.expm1(-size))

    f_attn = 2.0 * tokens * shape.attn_weights_per_layer / tp
    f_mlp = 2.0 * tokens * shape.dense_mlp_weights_per_layer / tp
    f_head = 2.0 * tokens * h * shape.vocab / tp
    f_exp = imbalance = tokens_per_expert = tokens  # MoE only (set below)
    if shape.n_experts:
        f_exp = 2.0 * tokens * shape.active_expert_weights_per_layer / tp
        tokens_per_expert = np.maximum(ep * tokens * shape.top_k / shape.n_experts, 1.0)
        # Load imbalance: a balanced router still draws each expert's tokens at random; the
        # busiest of E experts gets T + sqrt(2 T ln E) of a mean T (Gaussian extreme value, as
        # for the straggler term), and every device waits for it.
        imbalance = 1.0 + np.sqrt(2.0 * np.log(max(shape.n_experts, 2)) / tokens_per_expert)

    def layer_time(mm: Callable[..., FloatArray]) -> FloatArray:
        t = mm(f_attn, tokens, h, shape.d_attn / tp) + mm(
            f_mlp, tokens, h, max(shape.ffn_dim, 1) / tp
        )
        if shape.n_experts:
            t = t + imbalance * mm(f_exp, tokens_per_expert, h, shape.expert_ffn_dim / tp)
        return t

    t_layer_fwd = layer_time(mm_time)
    # forward + backward (activation and weight gradients: 2x), + forward again with full
    # recompute; a frozen base (LoRA) has no weight-gradient GEMMs: 1x backward.
    base_passes = 2.0 if lora else 3.0
    passes = base_passes + full_rc
    t_head_pass = mm_time(f_head, tokens, h, shape.vocab / tp)
    t_matmul = passes * layers * t_layer_fwd + base_passes * t_head_pass
    wgrad_bf16 = np.asarray(hw.wgrad_bf16) > 0.5
    if not lora and np.any(wgrad_bf16):
        # The weight-gradient pass at the bf16 peak and efficiency (WGRAD_BF16_PRECISIONS).
        peak16 = _f(hw.attn_peak_tflops) * TERA
        eff16 = np.minimum(eff_bf16, 1.0)
        i16 = hw.matmul_intensity_scale * peak16 / (_f(hw.hbm_tbps) * TERA)
        e16 = np.full_like(e, 2.0)

        def mm_time16(
            flops: FloatArray, m: FloatArray, k: npt.ArrayLike, n: npt.ArrayLike
        ) -> FloatArray:
            size = _intensity(m, k, n, e16) / i16
            return flops / (eff16 * peak16 * -np.expm1(-size))

        wgrad16 = layers * layer_time(mm_time16) + mm_time16(f_head, tokens, h, shape.vocab / tp)
        wgrad_low = layers * t_layer_fwd + t_head_pass
        t_matmul = t_matmul + np.where(wgrad_bf16, wgrad16 - wgrad_low, 0.0)
    adapter = finetune.adapter_params_per_layer(shape)
    if adapter:  # thin rank-r GEMMs of the adapters: forward, both backward GEMMs, recompute
        f_adapter = 2.0 * tokens * adapter / tp
        t_matmul = t_matmul + (3.0 + full_rc) * layers * mm_time(
            f_adapter, tokens, h, finetune.rank
        )

    # ---- attention core: flash (causal FLOPs executed, backward recomputes the scores) or,
    # on stacks without it, unfused batched GEMMs over the full score matrix plus the
    # score-matrix traffic of softmax, mask and dropout (memory bound, below).
    flash = _f(hw.flash_attention) > 0.5
    all_flash = bool(np.all(flash))  # the usual case: the unfused terms are not computed
    f_core = tokens * shape.attn_score_flops_per_token_causal / shape.n_layers / tp
    if all_flash:
        core_passes = (1.0 + FLASH_BACKWARD_TO_FORWARD + full_rc) * f_core
    else:
        f_core_full = tokens * shape.attn_score_flops_per_token / shape.n_layers / tp
        core_passes = np.where(
            flash, 1.0 + FLASH_BACKWARD_TO_FORWARD + full_rc, 3.0 + recomputes
        ) * np.where(flash, f_core, f_core_full)
    # Attention is GEMMs plus an online softmax: it reaches at most the bf16 GEMM efficiency.
    attn_eff = np.minimum(hw.attention_eff, eff_bf16)
    t_attention = core_passes * layers / (attn_eff * _f(hw.attn_peak_tflops) * TERA)
    score_bytes: FloatArray | float = 0.0
    if not all_flash:
        scores = tokens * shape.n_heads / tp * (s / cp) * layers  # score elements per micro-batch
        score_bytes = np.where(
            flash, 0.0, SCORE_TRAFFIC_BYTES * scores * (1.0 + 13.0 / 39.0 * recomputes)
        )

    # ---- memory-bound element-wise work
    mlp_width = shape.ffn_dim * (1.0 - shape.moe_layer_fraction) + (
        shape.top_k * shape.expert_ffn_dim * shape.moe_layer_fraction
    )
    elems = (
        RESIDUAL_STREAM_ELEMS * h / tp_sp + (2.0 * shape.qkv_out + shape.mlp_mats * mlp_width) / tp
    )
    elem_bytes = ACT_COMM_BYTES * elems * tokens * layers * passes
    logit_bytes = LOGIT_TRAFFIC_BYTES * tokens * shape.vocab / tp
    # FP8 GEMMs need scaled casts of their operands (Micikevicius et al. 2022, "FP8 Formats for
    # Deep Learning"; Transformer Engine): forward inputs of the four linears, backward output
    # gradients and transposed input copies, and the local weights twice per micro-batch; each
    # cast reads 2 bytes and writes 1.
    layer_weights = (shape.attn_weights_per_layer + shape.dense_mlp_weights_per_layer) / tp
    fp8 = e < 2.0
    cast_bytes: FloatArray | float = 0.0
    if np.any(fp8):
        linear_in = 2.0 * h + shape.d_attn + mlp_width
        linear_grad = shape.qkv_out + 2.0 * h + (shape.mlp_mats - 1) * mlp_width
        cast_elems = (2.0 * linear_in + linear_grad) / tp * tokens * layers
        cast_elems = cast_elems + 2.0 * layer_weights * layers
        cast_bytes = np.where(fp8, FP8_CAST_BYTES * cast_elems, 0.0)
    dequant_bytes = (
        NF4_DEQUANT_BYTES * layer_weights * layers * passes if finetune.method == "qlora" else 0.0
    )
    t_memory = (elem_bytes + logit_bytes + cast_bytes + score_bytes + dequant_bytes) / hbm_bw

    t_compute = t_matmul + t_attention + t_memory

    # ---- tensor / expert / context / pipeline parallel communication (per micro-batch)
    fabric = _Fabric(hw)
    one = np.ones_like(tp)
    act_bytes = ACT_COMM_BYTES * tokens * h
    n_tp_coll = 4.0 + 2.0 * full_rc
    tp_raw = n_tp_coll * layers * fabric.allreduce(act_bytes, tp, one)
    tp_keep = 1.0 - hw.tp_overlap  # the exposed share of TP, EP and PP traffic
    tp_exposed = tp_keep * tp_raw
    if shape.n_experts:
        a2a_bytes = act_bytes * shape.top_k / tp_sp
        ep_raw = (
            n_tp_coll
            * layers
            * shape.moe_layer_fraction
            * fabric.alltoall(imbalance * a2a_bytes, ep, tp)
        )
    else:
        ep_raw = np.zeros_like(tp_raw)
    ep_exposed = tp_keep * ep_raw
    kv_width = max(shape.qkv_out - shape.d_attn, 0)
    kv_bytes = ACT_COMM_BYTES * tokens * kv_width / tp
    cp_inside = cp * tp <= _f(hw.domain_devices)
    # Collectives of a branch no candidate takes are not computed (np.where discards them).
    if np.any(cp > 1):
        cp_raw = np.where(cp > 1, 3.0 * (cp - 1.0) * layers * fabric.p2p(kv_bytes, cp_inside), 0.0)
    else:
        cp_raw = np.zeros_like(tp_raw)
    cp_exposed = np.maximum(cp_raw - t_attention, 0.0)
    devices = dp * tp * pp * cp
    pp_inside = devices <= _f(hw.domain_devices)
    p2p_bytes = act_bytes / tp_sp
    pp_raw = np.where(pp > 1, 2.0 * v * fabric.p2p(p2p_bytes, pp_inside), 0.0)
    pp_exposed = tp_keep * pp_raw

    t_stage = t_compute + tp_exposed + ep_exposed + cp_exposed + pp_exposed
    bubble = (pp - 1.0) / v * t_stage

    # ---- data-parallel / FSDP communication (a frozen base reduces only adapter gradients
    # and updates only adapter states, but FSDP still gathers the base weights)
    p_dev = params_per_device(shape, tp, pp, ep)
    p_train = adapter * stage_layers(shape.n_layers, pp) / tp if lora else p_dev
    gather_bytes = NF4_WEIGHT_BYTES if finetune.method == "qlora" else PARAM_GATHER_BYTES
    stride_shard = tp * cp
    replicas = dp / shard
    fsdp = zero >= 3
    grad_bytes = hw.grad_reduce_bytes * p_train
    zeros = np.zeros(np.broadcast_shapes(np.shape(zero), np.shape(t_stage)))
    # The gradient reduce-scatter is the same collective for FSDP and ZeRO 1-2, and so is the
    # weight all-gather when both gather the bf16 weights of the same parameters: computed once.
    grad_rs = fabric.reduce_scatter(grad_bytes, shard, stride_shard)
    step_ag = fabric.allgather(PARAM_GATHER_BYTES * p_train, shard, stride_shard)
    same_gather = gather_bytes == PARAM_GATHER_BYTES and not lora
    per_mb = zeros
    if np.any(fsdp):  # FSDP: gathers (forward and backward) and reduce-scatter per micro-batch
        fsdp_gather = (
            step_ag if same_gather else fabric.allgather(gather_bytes * p_dev, shard, stride_shard)
        )
        per_mb = np.where(fsdp, 2.0 * fsdp_gather + grad_rs, 0.0)
    ddp = zero == 0
    sharded = np.zeros_like(zeros)
    if not np.all(fsdp | ddp):  # ZeRO 1-2: once per step
        sharded = grad_rs + step_ag
    sharded_step = (
        np.where(ddp, fabric.allreduce(grad_bytes, dp, stride_shard), sharded)
        if np.any(ddp)
        else sharded
    )
    replica_step = (
        np.where(
            zero >= 1,
            fabric.allreduce(grad_bytes / shard, replicas, stride_shard * shard),
            0.0,
        )
        if np.any(replicas > 1)  # hybrid sharding only
        else zeros
    )
    per_step = np.where(fsdp, 0.0, sharded_step) + replica_step
    # At most dp_overlap of a collective hides behind compute (prefetch limits, SM and memory
    # contention, the first gather and last reduction of a pass), and never more than the
    # compute it runs alongside: one micro-batch for per-micro-batch FSDP traffic, the last
    # backward plus the next first forward for once-per-step traffic.
    keep = 1.0 - hw.dp_overlap
    mb_exposed = np.maximum(per_mb - t_stage, keep * per_mb)
    step_exposed = np.maximum(per_step - t_stage, keep * per_step)
    dp_exposed = n_micro * mb_exposed + step_exposed
    dp_raw = n_micro * per_mb + per_step

    # ---- optimizer and fixed overhead
    t_optimizer = ADAM_STEP_BYTES * p_train / shard / hbm_bw
    overhead = _f(hw.step_overhead_s) * np.ones_like(t_stage)

    parts = {
        "matmul": n_micro * t_matmul,
        "attention": n_micro * t_attention,
        "memory_bound": n_micro * t_memory,
        "tp_comm": n_micro * tp_exposed,
        "ep_comm": n_micro * ep_exposed,
        "cp_comm": n_micro * cp_exposed,
        "pp_comm": n_micro * pp_exposed,
        "pipeline_bubble": bubble,
        "dp_comm": dp_exposed,
        "optimizer": t_optimizer,
        "overhead": overhead,
    }
    # Synchronous steps wait for the slowest of the scale-up domains (extreme value of N
    # Gaussian delays: sqrt(2 ln N) standard deviations).
    domains = np.maximum(devices / _f(hw.domain_devices), 1.0)
    base_step = sum(parts.values())
    parts["straggler"] = base_step * hw.sync_jitter * np.sqrt(2.0 * np.log(domains))
    shape_out = np.broadcast_shapes(*(np.shape(p) for p in parts.values()))
    parts = {
        k: p
        if isinstance(p, np.ndarray) and p.shape == shape_out and p.dtype == np.float64
        else np.broadcast_to(p, shape_out).astype(np.float64)
        for k, p in parts.items()
    }
    # The parts summed in the same order as base_step, then the straggler: their total.
    step = np.asarray(base_step + parts["straggler"], dtype=np.float64)
    if step.shape != shape_out:
        step = np.broadcast_to(step, shape_out).copy()

    tokens_per_step = gbs * s
    tokens_per_s = tokens_per_step / step
    # LoRA: the FLOPs the method needs (forward + activation-gradient backward of the base, the
    # adapters' three passes), not full training's 3x forward.
    flops_per_token = (
        shape.forward_flops_per_token * 2.0 + 6.0 * adapter * shape.n_layers
        if lora
        else shape.model_flops_per_token
    )
    model_flops = flops_per_token * tokens_per_step
    recompute_flops = np.where(
        rc >= 2,
        full_rc * shape.forward_flops_per_token,
        np.where(rc == 1, shape.attn_score_flops_per_token, 0.0),
    )
    hardware_flops = model_flops + recompute_flops * tokens_per_step
    device_s = step * devices
    model_tflops = model_flops / device_s / TERA
    peak_flop = device_s * peak
    mfu = model_flops / peak_flop
    hfu = hardware_flops / peak_flop

    mem = memory_arrays(
        shape,
        hbm_gb=hw.hbm_gb,
        tp=tp,
        pp=pp,
        cp=cp,
        ep=ep,
        shard=shard,
        zero=zero,
        recompute=rc,
        sequence_parallel=sp,
        micro_batch=mb,
        n_micro=n_micro,
        virtual_pp=v,
        usable_fraction=usable_memory_fraction,
        flash=flash,
        trainable_per_device=p_train if lora else None,
        base_weight_bytes=NF4_WEIGHT_BYTES if finetune.method == "qlora" else None,
        fp8=e < 2.0,
        frozen_mlp=lora and finetune.targets == "attention",
        grad_bytes=hw.grad_reduce_bytes,
        recompute_fraction=full_rc if np.any(block) else 1.0,
        master_is_param=hw.master_is_param > 0.5,
        selective_saves=hw.selective_saves,
        full_saves=hw.full_saves,
        device_params=p_dev,
        stage_layer_count=layers,
    )
    reason = np.zeros(shape_out, dtype=np.int64)
    checks = [
        (6, ~np.isfinite(step)),
        (5, ~ep_ok(shape.n_experts, ep, dp, cp)),
        (4, ~pp_ok(shape.n_layers, pp)),
        (3, ~tp_ok(shape.n_heads, tp)),
        (2, (n_micro_exact < 1) | (np.abs(n_micro_exact - np.round(n_micro_exact)) > 1e-9)),
        (1, ~mem.fits),
    ]
    for code, bad in checks:  # the last check that fails is reported (memory last)
        np.copyto(reason, code, where=np.broadcast_to(bad, shape_out))
    memory_parts = {k: np.broadcast_to(val, shape_out) for k, val in mem.gb().items()}
    return TrainArraysResult(
        step_time_s=step,
        tokens_per_s=np.broadcast_to(tokens_per_s, shape_out),
        model_tflops_per_device=np.broadcast_to(model_tflops, shape_out),
        mfu=np.broadcast_to(mfu, shape_out),
        hfu=np.broadcast_to(hfu, shape_out),
        memory_gb=np.broadcast_to(mem.total / GIGA, shape_out),
        memory_parts_gb=memory_parts,
        usable_memory_gb=np.broadcast_to(mem.usable / GIGA, shape_out),
        parts_s=parts,
        comm_raw_s={
            "tp": np.broadcast_to(n_micro * tp_raw, shape_out),
            "ep": np.broadcast_to(n_micro * ep_raw, shape_out),
            "cp": np.broadcast_to(n_micro * cp_raw, shape_out),
            "pp": np.broadcast_to(n_micro * pp_raw, shape_out),
            "dp": np.broadcast_to(dp_raw, shape_out),
        },
        n_micro=np.broadcast_to(n_micro, shape_out),
        fits_memory=np.broadcast_to(mem.fits, shape_out),
        feasible=reason == 0,
        reason=reason,
    )


# ---------------------------------------------------------------- scalar front end


@dataclass(frozen=True, kw_only=True)
class TrainingFigures:
    """What one training setup achieves, under the names every training result uses.

    An estimate has these figures, and a plan is an estimate placed and priced: both inherit
    them, so a quantity has one name whether ``estimate train`` or ``plan train`` prints it.
    Memory is per chip (all its devices); ``capacity`` is the usable part of its memory.
    """

    step_time_s: Annotated[float, js(exclusiveMinimum=0)]
    tokens_per_s: Annotated[float, js(exclusiveMinimum=0)]
    mfu: Annotated[float, js(minimum=0, maximum=1)]
    step_time_breakdown_s: Annotated[
        dict[str, float],
        js(
            description="step time by part, seconds; the parts add up to 'total'",
            properties={"total": {"type": "number", "minimum": 0}},
            required=["total"],
        ),
    ]
    memory_gb_per_chip: Annotated[
        dict[str, float],
        js(
            description=(
                "memory per chip by part, GB; the parts add up to 'total'; "
                "'capacity' is the usable device memory"
            ),
            properties={
                "total": {"type": "number", "minimum": 0},
                "capacity": {"type": "number", "minimum": 0},
            },
            required=["total"],
        ),
    ]


@dataclass(frozen=True, kw_only=True)
class TrainingEstimate(TrainingFigures):
    """One training setup: step time, throughput, MFU/HFU and memory, with breakdowns."""

    model: str
    accelerator_id: str
    chips: int
    layout: Layout
    seq_len: int
    global_batch_seqs: int
    precision: str
    tokens_per_s_per_chip: float
    model_tflops_per_chip: float
    hfu: float
    comm_raw_s: dict[str, float]
    fits_memory: bool
    n_micro: int
    efficiency: EfficiencyParams
    notes: tuple[str, ...] = ()
    stack: str = "generic"
    finetune: Finetune = FULL_TRAINING

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def estimate_training(
    model: ModelSpec,
    accelerator: Accelerator,
    layout: Layout,
    *,
    seq_len: int,
    global_batch_seqs: int,
    precision: str = "bf16",
    efficiency: EfficiencyParams | None = None,
    scaleup_domain_chips: int | None = None,
    scaleout_gbits_per_s_per_chip: float | None = None,
    stack: Stack | None = None,
    finetune: Finetune = FULL_TRAINING,
) -> TrainingEstimate:
    """Estimate one setup (the vectorized core on size-1 arrays).

    ``scaleup_domain_chips`` overrides the accelerator's scale-up domain (TPU slice size, an
    instance's NVLink domain); by default it is the catalog's domain, capped at the chip count.
    Raises :class:`InputError` for an impossible layout; a layout that runs out of memory is
    returned with ``fits_memory=False`` and a note.
    """
    if seq_len < 1 or global_batch_seqs < 1:
        raise InputError(
            f"seq_len={seq_len} and global_batch_seqs={global_batch_seqs} must be positive"
        )
    check_layout(layout, model, global_batch_seqs=global_batch_seqs)
    chips = layout.chips
    if layout.devices % layout.devices_per_chip:
        raise InputError(
            f"layout: {layout.devices} devices is not a whole number of chips "
            f"({layout.devices_per_chip} devices per chip)"
        )
    domain = scaleup_domain_chips or min(accelerator.scaleup_domain_chips, max(chips, 1))
    table = load_efficiency()
    if efficiency is not None:
        table = EfficiencyTable(default=efficiency, families={}, meta={})
    hw = hardware_arrays(
        [accelerator],
        precision=precision,
        efficiency=table,
        devices_per_chip=layout.devices_per_chip,
        domain_chips=[domain],
        scaleout_gbits_per_s_per_chip=[scaleout_gbits_per_s_per_chip],
        stack=stack,
    )
    shape = ModelShape.from_spec(model, seq_len)
    result = estimate_training_arrays(
        shape, hw, LayoutArrays.from_layout(layout), global_batch_seqs, finetune=finetune
    )
    notes: list[str] = []
    if accelerator.scaleup_gbytes_per_s is None:
        notes.append(f"{accelerator.id}: scale-up bandwidth unknown; its collectives not costed")
    if scaleout_gbits_per_s_per_chip is None and accelerator.scaleout_gbits_per_s_per_chip is None:
        notes.append(f"{accelerator.id}: scale-out bandwidth unknown; its collectives not costed")
    fits = bool(result.fits_memory.reshape(-1)[0])
    if not fits:
        notes.append(
            f"needs {float(result.memory_gb.reshape(-1)[0]):.1f} GB per device, more than the "
            f"usable {float(result.usable_memory_gb.reshape(-1)[0]):.1f} GB "
            f"({HBM_USABLE_FRACTION:.0%} of HBM): raise tp/pp/zero, recompute or lower micro-batch"
        )

    def scalar(a: FloatArray) -> float:
        return float(np.asarray(a).reshape(-1)[0])

    tokens_per_s = scalar(result.tokens_per_s)
    eff = efficiency or table.for_accelerator(accelerator.id, accelerator.vendor_family)
    return TrainingEstimate(
        model=model.name,
        accelerator_id=accelerator.id,
        chips=chips,
        layout=layout,
        seq_len=seq_len,
        global_batch_seqs=global_batch_seqs,
        precision=precision,
        step_time_s=scalar(result.step_time_s),
        tokens_per_s=tokens_per_s,
        tokens_per_s_per_chip=tokens_per_s / chips,
        model_tflops_per_chip=scalar(result.model_tflops_per_device) * layout.devices_per_chip,
        mfu=scalar(result.mfu),
        hfu=scalar(result.hfu),
        step_time_breakdown_s={k: scalar(v) for k, v in result.parts_s.items()}
        | {"total": scalar(result.step_time_s)},
        comm_raw_s={k: scalar(v) for k, v in result.comm_raw_s.items()},
        # the core works per device; a chip holds devices_per_chip of them
        memory_gb_per_chip={
            k: scalar(v) * layout.devices_per_chip for k, v in result.memory_parts_gb.items()
        }
        | {
            "total": scalar(result.memory_gb) * layout.devices_per_chip,
            "capacity": scalar(result.usable_memory_gb) * layout.devices_per_chip,
        },
        fits_memory=fits,
        n_micro=int(scalar(result.n_micro)),
        efficiency=eff,
        notes=tuple(notes),
        stack=(stack or STACKS["generic"]).name,
        finetune=finetune,
    )


def best_layout(
    model: ModelSpec,
    accelerator: Accelerator,
    chips: int,
    *,
    seq_len: int,
    global_batch_seqs: int,
    precision: str = "bf16",
    fixed: dict[str, Any] | None = None,
    efficiency: EfficiencyParams | None = None,
    devices_per_chip: int = 1,
    scaleup_domain_chips: int | None = None,
    scaleout_gbits_per_s_per_chip: float | None = None,
    stack: Stack | None = None,
    finetune: Finetune = FULL_TRAINING,
) -> TrainingEstimate:
    """The fastest feasible layout of ``chips``: the estimator on every layout of
    :func:`~xpuplan.perf.layout.enumerate_layouts` (the planner's grid and rules; the stated
    global batch is kept exactly).

    ``fixed`` pins layout fields (``tp``, ``pp``, ``dp``, ``zero``, ``recompute``, ...).
    Raises :class:`InfeasibleError` naming the constraint that removed the last candidates.
    """
    if chips < 1 or seq_len < 1 or global_batch_seqs < 1:
        raise InputError(
            f"chips={chips}, seq_len={seq_len} and global_batch_seqs={global_batch_seqs} "
            "must be positive"
        )
    devices = chips * devices_per_chip
    domain = scaleup_domain_chips or min(accelerator.scaleup_domain_chips, chips)
    grid = LayoutGrid(batch_tolerance=0.0).pinned(fixed)
    removed: dict[str, int] = {}
    layouts = enumerate_layouts(
        model,
        devices,
        seq_len=seq_len,
        global_batch_seqs=global_batch_seqs,
        grid=grid,
        domain_devices=domain * devices_per_chip,
        removed=removed,
    )
    if len(layouts) == 0:
        pinned = ", ".join(f"{k}={v}" for k, v in (fixed or {}).items() if v is not None)
        last = [rule for rule, n in removed.items() if n]
        raise InfeasibleError(
            f"no layout of {devices} devices for {model.name or 'the model'}"
            + (f" with {pinned}" if pinned else "")
            + f": {last[-1] if last else 'the grid is empty'}"
        )
    table = load_efficiency()
    if efficiency is not None:
        table = EfficiencyTable(default=efficiency, families={}, meta={})
    hw = hardware_arrays(
        [accelerator],
        precision=precision,
        efficiency=table,
        devices_per_chip=devices_per_chip,
        domain_chips=[domain],
        scaleout_gbits_per_s_per_chip=[scaleout_gbits_per_s_per_chip],
        stack=stack,
    )
    shape = ModelShape.from_spec(model, seq_len)
    result = estimate_training_arrays(
        shape, hw, layouts, layouts.global_batch_seqs, finetune=finetune
    )
    if not result.feasible.any():
        reasons, counts = np.unique(result.reason, return_counts=True)
        summary = "; ".join(
            f"{n} {INFEASIBLE_REASONS[int(r)]}" for r, n in zip(reasons, counts, strict=True)
        )
        hint = ""
        if result.reason.min() == 1:
            hint = (
                f" (smallest need {float(result.memory_gb.min()):.0f} GB per device vs "
                f"{float(result.usable_memory_gb.reshape(-1)[0]):.0f} GB usable: more chips)"
            )
        raise InfeasibleError(
            f"no feasible layout for {model.name or 'the model'} on {chips} x {accelerator.id} "
            f"with a global batch of {global_batch_seqs} sequences: {summary}{hint}"
        )
    score = np.where(result.feasible, result.tokens_per_s, -np.inf)
    best = int(np.argmax(score))
    layout = layouts.layout(best, devices_per_chip=devices_per_chip)
    estimate = estimate_training(
        model,
        accelerator,
        layout,
        seq_len=seq_len,
        global_batch_seqs=global_batch_seqs,
        precision=precision,
        efficiency=efficiency,
        scaleup_domain_chips=scaleup_domain_chips,
        scaleout_gbits_per_s_per_chip=scaleout_gbits_per_s_per_chip,
        stack=stack,
        finetune=finetune,
    )
    n_feasible = int(result.feasible.sum())
    note = f"layout chosen by search over {len(layouts)} candidates ({n_feasible} feasible)"
    return replace(estimate, notes=(*estimate.notes, note))


# 4M tokens per step, the Llama 2 pre-training batch (Touvron et al. 2023, section 2.2).
DEFAULT_BATCH_TOKENS = 4 * 1024 * 1024
# 4,096 tokens, the Llama 2 pre-training context (same source).
DEFAULT_SEQ_LEN = 4096


def default_global_batch_seqs(seq_len: int, chips: int) -> int:
    """About :data:`DEFAULT_BATCH_TOKENS` per step, rounded up to a multiple of ``chips``."""
    seqs = max(1, -(-DEFAULT_BATCH_TOKENS // seq_len))
    return -(-seqs // chips) * chips


def stack_precision(stack: Stack, accelerator: Accelerator) -> str:
    """The precision a stack's recipes run on a chip: its low precision (fp8, int8) where the
    chip's peak at it exceeds the bf16 peak (fp8: Hopper, Blackwell, MI300, Gaudi 2; int8: TPU
    v5e/v5p), else bf16."""
    low = stack.low_precision
    peak = accelerator.peak_tflops(low) if low else None
    if low and peak is not None and peak > accelerator.bf16_dense_tflops * 1.01:
        return low
    return "bf16"


def fewest_recomputed_layers(
    layout: Layout, n_layers: int, fits: Callable[[Layout], bool]
) -> Layout | None:
    """Block recomputation (:attr:`Stack.block_recompute`; Megatron-Core ``--recompute-method
    block --recompute-num-layers r``): ``layout`` with full recomputation of the fewest of a
    stage's layers that ``fits``, or None when recomputing every layer does not fit either.
    Memory falls as layers are recomputed, so the count is bisected."""
    per_stage = -(-n_layers // layout.pp)

    def with_layers(n: int) -> Layout:
        return replace(layout, recompute="full", recompute_layers=n if n < per_stage else None)

    if not fits(with_layers(per_stage)):
        return None
    low, high = 0, per_stage
    while high - low > 1:
        mid = (low + high) // 2
        if fits(with_layers(mid)):
            high = mid
        else:
            low = mid
    return with_layers(high)


def estimate_training_setup(
    model: ModelSpec,
    accelerator: Accelerator,
    chips: int,
    *,
    seq_len: int,
    global_batch_seqs: int | None = None,
    precision: str | None = None,
    tp: int | None = None,
    pp: int | None = None,
    dp: int | None = None,
    cp: int | None = None,
    ep: int | None = None,
    zero: int | None = None,
    recompute: str | None = None,
    micro_batch: int | None = None,
    virtual_pp: int | None = None,
    stack: Stack | None = None,
    finetune: Finetune = FULL_TRAINING,
) -> TrainingEstimate:
    """One training setup as a user states it (``xpuplan estimate train``).

    With ``tp`` and ``pp`` both given the layout is exactly the one stated, unset fields taking
    the stack's defaults (:mod:`xpuplan.perf.stack`; dp fills the chips, ZeRO-1 with a
    distributed optimizer, micro-batch 1, the stack's recomputation, or when that does not fit
    the fewest layers recomputed in full that do (:func:`fewest_recomputed_layers`, stacks with
    block recomputation) or every layer); otherwise the fastest feasible layout is searched
    with every given field pinned. ``precision`` defaults to the stack's (:func:`stack_precision`);
    ``global_batch_seqs`` to :func:`default_global_batch_seqs`.
    """
    stack = stack or STACKS["generic"]
    for name, value in (("chips", chips), ("seq_len", seq_len)):
        if value < 1:
            raise InputError(f"{name} {value}: must be a positive integer")
    if zero is not None and zero not in (0, 1, 2, 3):
        raise InputError(f"zero {zero}: allowed ZeRO stages are 0, 1, 2, 3")
    if recompute is not None and recompute not in RECOMPUTE_CODES:
        raise InputError(f"recompute {recompute!r}: allowed {', '.join(RECOMPUTE_CODES)}")
    precision = precision or stack_precision(stack, accelerator)
    batch = global_batch_seqs or default_global_batch_seqs(seq_len, chips)
    if tp is None or pp is None:
        fixed = {
            "tp": tp,
            "pp": pp,
            "dp": dp,
            "cp": cp,
            "ep": ep,
            "zero": zero,
            "recompute": recompute,
            "micro_batch": micro_batch,
            "virtual_pp": virtual_pp,
        }
        return best_layout(
            model,
            accelerator,
            chips,
            seq_len=seq_len,
            global_batch_seqs=batch,
            precision=precision,
            fixed=fixed,
            stack=stack,
            finetune=finetune,
        )
    cp_ = cp or 1
    if chips % (tp * pp * cp_):
        raise InputError(f"tp {tp} x pp {pp} x cp {cp_} does not divide the {chips} chips")
    default_zero = 3 if stack.fsdp else (1 if stack.distributed_optimizer else 0)
    layout = Layout(
        dp=dp or chips // (tp * pp * cp_),
        tp=tp,
        pp=pp,
        cp=cp_,
        ep=ep or 1,
        zero=default_zero if zero is None else zero,
        recompute=recompute or stack.recompute,  # type: ignore[arg-type]
        micro_batch=micro_batch or stack.micro_batch,
        virtual_pp=virtual_pp or 1,
        sequence_parallel=stack.sequence_parallel,
    )
    check_layout(layout, model, chips=chips, global_batch_seqs=batch)

    def run(lay: Layout) -> TrainingEstimate:
        return estimate_training(
            model,
            accelerator,
            lay,
            seq_len=seq_len,
            global_batch_seqs=batch,
            precision=precision,
            stack=stack,
            finetune=finetune,
        )

    estimate = run(layout)
    if recompute is None and not estimate.fits_memory and layout.recompute != "full":
        if stack.block_recompute:
            block = fewest_recomputed_layers(
                layout, model.n_layers, lambda lay: run(lay).fits_memory
            )
            if block is not None:
                per_stage = -(-model.n_layers // layout.pp)
                layers = block.recompute_layers or per_stage
                note = (
                    f"{layout.recompute} recomputation does not fit; {layers} of {per_stage} "
                    f"layers per stage recomputed in full ({stack.name}: block recomputation)"
                )
                full = run(block)
                return replace(full, notes=(*full.notes, note))
        full = run(replace(layout, recompute="full"))
        if full.fits_memory:
            note = f"{layout.recompute} recomputation does not fit; full recomputation used"
            return replace(full, notes=(*full.notes, note))
    return estimate
