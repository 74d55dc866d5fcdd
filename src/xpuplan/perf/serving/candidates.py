"""Serving candidates: per-chip columns (peaks, memory, links, efficiency) of every
accelerator x layout x precision x stack to evaluate, gathered as numpy arrays.

Precision: fp8/fp4 weights run natively where the chip has that peak (no fp4 speedup on a chip
without FP4); int8/int4 are weight-only (bf16 matmuls). The software stack
(:mod:`xpuplan.perf.serving.engine`) picks the efficiency (chip family x stack generation) and
the engine's defaults (static shapes, Neuron logical cores). Power-limited boards run their
tensor cores below the boost clock of their spec peak (:func:`sustained_clock_fraction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import yaml

from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InputError
from xpuplan.models.counts import count_params
from xpuplan.models.spec import ModelSpec
from xpuplan.perf import comm
from xpuplan.perf.serving.engine import ServingStack, default_stack, get_engine
from xpuplan.perf.serving_efficiency import (
    EFFICIENCY_FIELDS,
    ServingEfficiency,
    efficiency_for,
)

__all__ = [
    "ACTIVATION_BYTES",
    "KV_PRECISIONS",
    "PRECISION_BYTES",
    "STATUS_MESSAGES",
    "WEIGHT_PRECISIONS",
    "ModelTerms",
    "ServingCandidates",
    "allreduce_latency_steps",
    "build_candidates",
    "compute_precision",
    "default_kv_precision",
    "matrix_unit_width",
    "memory_gb",
    "moe_all_experts_load",
    "reads_padded_kv",
    "sustained_clock_fraction",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

# Bytes per stored element. fp4 = NVFP4 (4-bit values + one FP8 scale per 16: NVIDIA
# "Introducing NVFP4", 2025); int4 = AWQ/GPTQ with group size 128 and fp16 scale + zero per
# group (Lin et al. 2024, AWQ).
PRECISION_BYTES: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5 + 4.0 / 128.0,
    "fp4": 0.5 + 1.0 / 16.0,
}
WEIGHT_PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
KV_PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8")
# Activations exchanged by tensor parallelism stay in 16 bit.
ACTIVATION_BYTES = 2.0

STATUS_MESSAGES: dict[int, str] = {
    0: "ok",
    1: "weights do not fit in the replica's memory",
    2: "the KV cache of one sequence does not fit next to the weights",
    3: "no batch meets the latency targets",
    4: "the request rate exceeds the replica's capacity",
    5: "the stated batch's KV cache does not fit next to the weights",
}


def compute_precision(weight_precision: str, accelerator: Accelerator) -> str:
    """Precision the matmuls run at: fp8/fp4 weights with native support run natively (W8A8,
    W4A4); int8/int4 are weight-only quantization upcast to bf16 (AWQ/GPTQ kernels), as is any
    format the chip has no peak for."""
    if weight_precision in ("fp8", "fp4") and accelerator.peak_tflops(weight_precision):
        return weight_precision
    return "bf16"


def default_kv_precision(weight_precision: str, accelerator: Accelerator) -> str:
    """FP8 KV cache with fp8/fp4 checkpoints on chips with FP8 (ModelOpt FP8/NVFP4 checkpoints
    quantize the KV cache to FP8), else bf16."""
    if weight_precision in ("fp8", "fp4") and accelerator.peak_tflops("fp8"):
        return "fp8"
    return "bf16"


@cache
def _perf_data(name: str) -> dict[str, Any]:
    """A bundled ``perf/data`` YAML file (sustained clocks, matrix-unit widths), read once."""
    text = resources.files("xpuplan.perf").joinpath(f"data/{name}").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def matrix_unit_width(accelerator: Accelerator) -> float:
    """Width of the chip's systolic matrix units (``perf/data/matrix_units.yaml``, by
    architecture), 0 when its matmul units are not such arrays or their width is unpublished."""
    arch = _perf_data("matrix_units.yaml")["architectures"].get(accelerator.generation)
    return float(arch["width"]) if arch else 0.0


def sustained_clock_fraction(accelerator: Accelerator) -> float:
    """Share of the spec (boost-clock) tensor peak the board sustains within its power limit:
    ``min(1, (tdp_w / (watts_per_dense_tflops x bf16 peak))^exponent)`` with the architecture's
    reference and the exponent (1: power ~ clock at the voltage floor) from
    ``perf/data/sustained_clock.yaml`` (1 when either is unknown)."""
    table = _perf_data("sustained_clock.yaml")
    arch = table["architectures"].get(accelerator.generation)
    if arch is None or not accelerator.tdp_w:
        return 1.0
    needed_w = float(arch["watts_per_dense_tflops"]) * accelerator.bf16_dense_tflops
    return float(min(1.0, (accelerator.tdp_w / needed_w) ** float(table["exponent"])))


@dataclass(frozen=True)
class ModelTerms:
    """The per-model numbers the serving core needs, derived once from a :class:`ModelSpec`."""

    name: str
    n_layers: int
    d_model: int
    n_kv_heads: int
    latent_kv: bool  # MLA: one latent per token, replicated on every TP rank
    block_params: float  # matmul + bias weights of the blocks except routed experts
    attention_params: float  # attention projections (part of block_params)
    expert_params: float  # routed experts (all of them)
    other_params: float  # embedding, position table, LM head, norms (kept in 16 bit)
    head_read_params: float  # LM head read by every decode step (tied: the embedding)
    n_experts: int
    top_k: int

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> ModelTerms:
        p = count_params(spec)
        block = p.attention + p.mlp + p.shared_experts + p.router
        return cls(
            name=spec.name,
            n_layers=spec.n_layers,
            d_model=spec.d_model,
            n_kv_heads=spec.n_kv_heads,
            latent_kv=spec.mla is not None,
            block_params=float(block),
            attention_params=float(p.attention),
            expert_params=float(p.experts),
            other_params=float(p.embedding + p.position + p.head + p.norms),
            head_read_params=float(spec.vocab_size * spec.d_model),
            n_experts=spec.moe.n_routed_experts if spec.moe else 0,
            top_k=spec.moe.top_k if spec.moe else 0,
        )


@dataclass(frozen=True)
class ServingCandidates:
    """Column arrays of candidates (all broadcastable); see :func:`build_candidates`."""

    # dense peak per chip at the compute precision, at the sustained (power-limited) clock
    # (fp4: x fp4_peak_fraction)
    peak_tflops: FloatArray
    attention_peak_tflops: FloatArray  # dense peak of attention (QK^T, AV) at the KV precision
    hbm_gb: FloatArray
    hbm_tbps: FloatArray
    tp_link_gbytes_per_s: FloatArray  # unidirectional bandwidth the TP all-reduce can use
    tp: FloatArray  # chips in a tensor-parallel group
    pp: FloatArray
    kv_shards_per_chip: FloatArray  # (logical) NeuronCores that each hold their own KV heads
    weight_bytes_per_param: FloatArray
    kv_bytes_per_element: FloatArray
    efficiency: dict[str, FloatArray]
    # latency steps of one all-reduce over the TP group: 2(n-1) on a ring or a switch, 2 sum
    # (n_i - 1) over the spanned dimensions of a torus (dimension-ordered rings)
    allreduce_steps: FloatArray
    ep: FloatArray  # expert-parallel degree (MoE: experts split over ep chips, all-to-all)
    clock_fraction: FloatArray  # sustained / boost clock (power limit), 1 when not limited
    matrix_unit_width: FloatArray  # systolic array width (TPU MXU), 0 when not one

    def __len__(self) -> int:
        return int(np.broadcast(self.peak_tflops, self.tp, self.pp).size)


def _as_list(value: Any, n: int) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value] * n
    if len(value) != n:
        raise InputError(f"expected one value per accelerator ({n}), got {len(value)}")
    return list(value)


def allreduce_latency_steps(tp_chips: FloatArray, topology: npt.ArrayLike) -> FloatArray:
    """Latency steps (alphas) of one all-reduce over ``tp_chips``: 2(n-1) for a ring or a
    switch (ring algorithm, Patarasuk and Yuan 2009); on a d-dimensional torus the group is
    taken as a near-cube of side n^(1/d) over the dimensions it spans, reduced one dimension
    after the other (2 sum (side - 1), Sack and Gropp 2012's dimension-ordered rings)."""
    n = np.maximum(np.asarray(tp_chips, dtype=np.float64), 1.0)
    dims = comm.TOPOLOGY_DIMS[np.asarray(topology, dtype=np.int64)]
    spanned = np.clip(np.ceil(np.log2(n) - 1e-9), 1.0, np.maximum(dims, 1.0))
    side = n ** (1.0 / spanned)
    torus = 2.0 * spanned * (side - 1.0)
    ring = 2.0 * (n - 1.0)
    out: FloatArray = np.where(dims >= 2, np.minimum(torus, ring), ring)
    return out


# GDDR6 boards keep ECC in-band: with ECC on (the data-center default) 1/16 of the DRAM holds
# the check bytes (NVIDIA IGX DRAM-ECC guide: "Inline ECC ... 1/16th of DRAM is reserved"), so
# nvidia-smi reports 46,068 MiB on a 48 GB L40S or A40 (48 GiB x 15/16 - 12 MiB) and 23,034 MiB
# on a 24 GB L4. HBM carries its ECC in extra dies/bits and GDDR7 boards report their full size.
INLINE_ECC_USABLE = 15.0 / 16.0


def memory_gb(accelerator: Accelerator) -> float:
    """Device memory a runtime can allocate (GiB): the catalog size, less the in-band ECC
    share on GDDR6 boards (:data:`INLINE_ECC_USABLE`)."""
    gddr6 = (accelerator.hbm_type or "").upper().startswith("GDDR6")
    return float(accelerator.hbm_gb) * (INLINE_ECC_USABLE if gddr6 else 1.0)


def reads_padded_kv(stack: ServingStack, accelerator: Accelerator) -> bool:
    """Decode attention reads whole static-shape buckets: the engine compiles static shapes,
    or the chip's compiler does (Neuron, XLA), whatever engine fronts it."""
    compiled = accelerator.software_stack in ("Neuron", "XLA/TPU")
    return compiled or get_engine(stack.engine).can("static_shapes")


def moe_all_experts_load(stack: ServingStack, accelerator: Accelerator) -> float:
    """Routed load (tokens x top_k / experts) from which MoE layers run every token through
    every expert (0: never): the engine's, or on Neuron the NxD Inference backend's, which
    compiles the model whatever front end (vLLM, TGI) schedules it."""
    if accelerator.software_stack == "Neuron":
        return get_engine("nxd-inference").moe_all_experts_load
    return get_engine(stack.engine).moe_all_experts_load


def _stack_for(accelerator: Accelerator, stack: ServingStack | None) -> ServingStack:
    return stack if stack is not None else default_stack(accelerator.vendor_family)


def build_candidates(
    accelerators: Sequence[Accelerator],
    index: npt.ArrayLike,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike = 1,
    *,
    weight_precision: str = "bf16",
    kv_precision: str | None = None,
    efficiency: ServingEfficiency | Sequence[ServingEfficiency] | None = None,
    tp_unit: Literal["chips", "cores"] = "chips",
    cores_per_chip: float | None = None,
    stack: ServingStack | None = None,
    ep: npt.ArrayLike = 1,
) -> ServingCandidates:
    """Candidate arrays for ``accelerators[index]`` with layouts ``tp x pp`` (vectorized gather).

    Per-accelerator columns are built once (a loop over the distinct accelerators, not over the
    candidates) and gathered with ``index``. ``stack`` (None: each family's default engine at
    its newest generation) picks the efficiency (family x generation) and the engine defaults:
    static shapes (padded KV reads) and Neuron logical cores. ``tp_unit="cores"`` reads ``tp``
    as (logical) NeuronCores, the Neuron SDK convention: physical cores / the engine's default
    logical-core size (Trainium2: 8 / LNC 2 = 4), or the ``cores_per_chip`` given.
    ``efficiency`` (one per accelerator, or one for all) overrides the family x generation
    values.
    """
    if weight_precision not in WEIGHT_PRECISIONS:
        raise InputError(
            f"weight precision: {weight_precision!r} is not one of {', '.join(WEIGHT_PRECISIONS)}"
        )
    if kv_precision is not None and kv_precision not in KV_PRECISIONS:
        raise InputError(
            f"KV-cache precision: {kv_precision!r} is not one of {', '.join(KV_PRECISIONS)}"
        )
    n = len(accelerators)
    stacks = [_stack_for(a, stack) for a in accelerators]
    effs = (
        _as_list(efficiency, n)
        if efficiency is not None
        else [
            efficiency_for(
                a.vendor_family,
                generation=st.generation,
                engine=st.backend_key(a.software_stack),
                architecture=a.generation,
            )
            for a, st in zip(accelerators, stacks, strict=True)
        ]
    )
    peak = np.empty(n)
    fp4 = np.zeros(n, dtype=bool)
    attention_peak = np.empty(n)
    kv_bytes = np.empty(n)
    clock = np.empty(n)
    static = np.empty(n)
    exposed = np.empty(n)
    cores = np.empty(n)
    dense_moe = np.empty(n)
    for i, (acc, st) in enumerate(zip(accelerators, stacks, strict=True)):
        precision = compute_precision(weight_precision, acc)
        value = acc.peak_tflops(precision)
        peak[i] = value if value is not None else acc.bf16_dense_tflops
        fp4[i] = precision == "fp4"
        kv = kv_precision or default_kv_precision(weight_precision, acc)
        kv_bytes[i] = PRECISION_BYTES[kv]
        # FP8 attention (FlashAttention-3 / TensorRT-LLM FP8 FMHA) when the cache is FP8
        attention_peak[i] = (acc.peak_tflops("fp8") if kv == "fp8" else None) or (
            acc.bf16_dense_tflops
        )
        clock[i] = sustained_clock_fraction(acc)
        engine = get_engine(st.engine)
        static[i] = 1.0 if reads_padded_kv(st, acc) else 0.0
        exposed[i] = 1.0 if st.exposes_host_work() else 0.0
        dense_moe[i] = moe_all_experts_load(st, acc)
        logical = engine.logical_cores_per_chip(acc.cores_per_chip, acc.generation)
        cores[i] = (cores_per_chip or logical) if acc.software_stack == "Neuron" else 1.0
    scaleup = np.array([a.scaleup_gbytes_per_s or 0.0 for a in accelerators], dtype=np.float64)
    domain = np.array([a.scaleup_domain_chips for a in accelerators], dtype=np.float64)
    topo = np.array([comm.topology_code(a.scaleup_topology) for a in accelerators])
    eff_cols = {
        k: np.array([getattr(e, k) for e in effs], dtype=np.float64) for k in EFFICIENCY_FIELDS
    }
    if efficiency is None:
        eff_cols["kv_read_padded"] = static
        # per-request host work only where the engine version runs it every iteration
        eff_cols["host_s_per_sequence"] = eff_cols["host_s_per_sequence"] * exposed
    eff_cols["moe_all_experts_load"] = dense_moe

    idx = np.asarray(index, dtype=np.int64)
    tp_raw = np.asarray(tp, dtype=np.float64)
    tp_chips = tp_raw / cores[idx] if tp_unit == "cores" else tp_raw
    tp_chips = np.maximum(np.ceil(tp_chips - 1e-9), 1.0)
    within = (tp_chips <= domain[idx]) & (scaleup[idx] > 0)
    link = np.where(
        within,
        comm.link_gbytes_per_s(
            np.where(scaleup[idx] > 0, scaleup[idx], 1.0), topo[idx], tp_chips, domain[idx]
        ),
        eff_cols["pcie_gbytes_per_s"][idx],
    )
    steps = np.where(within, allreduce_latency_steps(tp_chips, topo[idx]), 2.0 * (tp_chips - 1.0))
    sustained = clock[idx]
    return ServingCandidates(
        peak_tflops=peak[idx]
        * sustained
        * np.where(fp4[idx], eff_cols["fp4_peak_fraction"][idx], 1.0),
        attention_peak_tflops=attention_peak[idx] * sustained,
        matrix_unit_width=np.array([matrix_unit_width(a) for a in accelerators])[idx],
        hbm_gb=np.array([memory_gb(a) for a in accelerators])[idx],
        hbm_tbps=np.array([a.hbm_tbps for a in accelerators])[idx],
        tp_link_gbytes_per_s=np.asarray(link, dtype=np.float64),
        tp=tp_chips,
        pp=np.maximum(np.asarray(pp, dtype=np.float64), 1.0),
        kv_shards_per_chip=cores[idx].astype(np.float64),
        weight_bytes_per_param=np.full(idx.shape, PRECISION_BYTES[weight_precision]),
        kv_bytes_per_element=kv_bytes[idx],
        efficiency={k: v[idx] for k, v in eff_cols.items()},
        allreduce_steps=np.asarray(steps, dtype=np.float64),
        ep=np.maximum(np.asarray(ep, dtype=np.float64), 1.0) + 0.0 * tp_chips,
        clock_fraction=sustained,
    )
