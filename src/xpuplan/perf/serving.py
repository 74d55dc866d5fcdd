"""LLM serving estimator: memory, prefill, decode steps and steady-state continuous batching.

One vectorized core, :func:`serving_capacity_arrays`, evaluates any number of candidates
(accelerator x layout x precision) at once; the scalar :func:`estimate_serving` and the planner
both call it. Per replica of ``tp x pp`` chips:

Memory (bytes per chip)
    weights = (block matmuls x weight bytes + embeddings/head/norms x 2) / (tp pp): quantized
    checkpoints keep embeddings and the LM head in 16 bit (NVIDIA ModelOpt, AutoAWQ defaults).
    KV budget = usable_hbm_fraction x (HBM - weights - runtime reserve); a sequence reserves
    on average the KV of ``input + output / 2`` tokens (paged, allocated on demand), a static
    batch or a static-shape runtime the whole sequence (bucket).
    KV heads shard over at most ``n_kv_heads`` TP ranks (GQA heads are replicated beyond that,
    Ainslie et al. 2023); MLA's latent is replicated on every TP rank.
Prefill (one request of L tokens, compute-bound)
    FLOPs = L x (forward FLOPs per token at causal context L, without the LM head) + LM head
    (only the last position needs logits); includes the quadratic attention term
    (:func:`xpuplan.models.counts.forward_flops_per_token`). Time = FLOPs / (tp x peak x
    compute_fraction) + 2 all-reduces per layer of the L x d activations (Megatron TP,
    Shoeybi et al. 2019) + one engine iteration.
Decode step at batch B (roofline, Williams et al. 2009)
    max(weight bytes touched / (BW x hbm_bw_fraction), B x FLOPs per token / (peak x
    compute_fraction)) + B x context x KV bytes / (BW x kv_bw_fraction) + 2 all-reduces per
    layer of B x d activations + step overhead. MoE layers read only the experts the batch
    touches: E (1 - (1 - k/E)^B) of E experts for B tokens routed top-k uniformly.
    Pipeline parallelism runs ``pp`` micro-batches of B/pp; a token passes every stage.
Continuous batching
    :mod:`xpuplan.perf.queueing`: throughput lambda(B) = B / (n step(B) + B S), TTFT = wait
    for the next iteration + the iteration carrying the prompt (+ the front end's dispatch
    window, when it batches requests) + wait for a batch slot, TPOT = step / (1 - rho) with
    its tail. Under p99 targets the operating point keeps the p99 request out of the slot
    queue.
Static batching (``batching="static"``)
    B requests prefilled together, then decoded together (Neuron, ``benchmark_latency``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator, Offering, PricingModel
from xpuplan.errors import InputError
from xpuplan.models.counts import (
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
)
from xpuplan.models.spec import ModelSpec
from xpuplan.perf import comm, queueing
from xpuplan.perf.serving_efficiency import (
    EFFICIENCY_FIELDS,
    ServingEfficiency,
    efficiency_for,
)
from xpuplan.units import GIB, SECONDS_PER_HOUR, TERA

__all__ = [
    "KV_PRECISIONS",
    "PRECISION_BYTES",
    "STATUS_MESSAGES",
    "WEIGHT_PRECISIONS",
    "ModelTerms",
    "PricedServingEstimate",
    "ServingArrays",
    "ServingCandidates",
    "ServingCost",
    "ServingEstimate",
    "build_candidates",
    "cheapest_offering",
    "compute_precision",
    "cost_per_million_tokens",
    "default_kv_precision",
    "estimate_serving",
    "estimate_serving_priced",
    "serving_capacity_arrays",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
Batching = Literal["continuous", "static"]

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
# Percentile of the latency targets (p99 TTFT / TPOT: MLPerf LLM server rules, vLLM and
# TensorRT-LLM benchmark reports).
_LATENCY_QUANTILE = 0.99
# Smallest sequence bucket of static-shape runtimes (transformers-neuronx buckets start at 128).
MIN_BUCKET_TOKENS = 128.0

STATUS_MESSAGES: dict[int, str] = {
    0: "ok",
    1: "weights do not fit in the replica's memory",
    2: "the KV cache of one sequence does not fit next to the weights",
    3: "no batch meets the latency targets",
    4: "the request rate exceeds the replica's capacity",
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


@dataclass(frozen=True)
class ModelTerms:
    """The per-model numbers the serving core needs, derived once from a :class:`ModelSpec`."""

    name: str
    n_layers: int
    d_model: int
    n_kv_heads: int
    latent_kv: bool  # MLA: one latent per token, replicated on every TP rank
    block_params: float  # matmul + bias weights of the blocks except routed experts
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
            expert_params=float(p.experts),
            other_params=float(p.embedding + p.position + p.head + p.norms),
            head_read_params=float(spec.vocab_size * spec.d_model),
            n_experts=spec.moe.n_routed_experts if spec.moe else 0,
            top_k=spec.moe.top_k if spec.moe else 0,
        )


@dataclass(frozen=True)
class ServingCandidates:
    """Column arrays of candidates (all broadcastable); see :func:`build_candidates`."""

    peak_tflops: (
        FloatArray  # dense peak per chip at the compute precision (fp4: x fp4_peak_fraction)
    )
    attention_peak_tflops: FloatArray  # dense peak of attention (QK^T, AV) at the KV precision
    hbm_gb: FloatArray
    hbm_tbps: FloatArray
    tp_link_gbytes_per_s: FloatArray  # unidirectional bandwidth the TP all-reduce can use
    tp: FloatArray  # chips in a tensor-parallel group
    pp: FloatArray
    kv_shards_per_chip: FloatArray  # NeuronCores that each hold their own KV heads, else 1
    weight_bytes_per_param: FloatArray
    kv_bytes_per_element: FloatArray
    efficiency: dict[str, FloatArray]

    def __len__(self) -> int:
        return int(np.broadcast(self.peak_tflops, self.tp, self.pp).size)


def _as_list(value: Any, n: int) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value] * n
    if len(value) != n:
        raise InputError(f"expected one value per accelerator ({n}), got {len(value)}")
    return list(value)


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
) -> ServingCandidates:
    """Candidate arrays for ``accelerators[index]`` with layouts ``tp x pp`` (vectorized gather).

    Per-accelerator columns are built once (a loop over the distinct accelerators, not over the
    candidates) and gathered with ``index``. ``tp_unit="cores"`` reads ``tp`` as NeuronCores
    (the Neuron SDK convention), converted to chips with the catalog's ``cores_per_chip`` or
    the ``cores_per_chip`` given (Trainium2 exposes 4 logical cores of its 8 with the default
    LNC=2). ``efficiency`` (one per accelerator, or one for all) overrides the family defaults.
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
    effs = (
        _as_list(efficiency, n)
        if efficiency is not None
        else [efficiency_for(a.vendor_family) for a in accelerators]
    )
    peak = np.empty(n)
    fp4 = np.zeros(n, dtype=bool)
    attention_peak = np.empty(n)
    kv_bytes = np.empty(n)
    for i, acc in enumerate(accelerators):
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
    cores = np.array(
        [
            (cores_per_chip or a.cores_per_chip) if a.software_stack == "Neuron" else 1
            for a in accelerators
        ],
        dtype=np.float64,
    )
    scaleup = np.array([a.scaleup_gbytes_per_s or 0.0 for a in accelerators], dtype=np.float64)
    domain = np.array([a.scaleup_domain_chips for a in accelerators], dtype=np.float64)
    topo = np.array([comm.topology_code(a.scaleup_topology) for a in accelerators])
    eff_cols = {
        k: np.array([getattr(e, k) for e in effs], dtype=np.float64) for k in EFFICIENCY_FIELDS
    }

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
    return ServingCandidates(
        peak_tflops=peak[idx] * np.where(fp4[idx], eff_cols["fp4_peak_fraction"][idx], 1.0),
        attention_peak_tflops=attention_peak[idx],
        hbm_gb=np.array([a.hbm_gb for a in accelerators])[idx],
        hbm_tbps=np.array([a.hbm_tbps for a in accelerators])[idx],
        tp_link_gbytes_per_s=np.asarray(link, dtype=np.float64),
        tp=tp_chips,
        pp=np.maximum(np.asarray(pp, dtype=np.float64), 1.0),
        kv_shards_per_chip=cores[idx].astype(np.float64),
        weight_bytes_per_param=np.full(idx.shape, PRECISION_BYTES[weight_precision]),
        kv_bytes_per_element=kv_bytes[idx],
        efficiency={k: v[idx] for k, v in eff_cols.items()},
    )


@dataclass(frozen=True)
class ServingArrays:
    """Per-candidate results of :func:`serving_capacity_arrays` (per replica; times in s)."""

    status: npt.NDArray[np.int64]  # STATUS_MESSAGES code; 0 = feasible
    weights_gb_per_chip: FloatArray
    kv_budget_gb_per_chip: FloatArray
    kv_gb_per_sequence_per_chip: FloatArray
    max_batch: FloatArray  # concurrent sequences that fit (memory, engine cap)
    batch: FloatArray  # operating concurrency
    rate_per_s: FloatArray  # completed requests/s
    output_tokens_per_s: FloatArray
    input_tokens_per_s: FloatArray
    prefill_latency_s: FloatArray
    prefill_busy_s: FloatArray
    prefill_share: FloatArray
    step_s: FloatArray
    step_weights_s: FloatArray
    step_kv_s: FloatArray
    step_compute_s: FloatArray
    step_comm_s: FloatArray
    step_overhead_s: FloatArray
    ttft_mean_s: FloatArray
    ttft_p50_s: FloatArray
    ttft_p99_s: FloatArray
    tpot_mean_s: FloatArray
    tpot_p50_s: FloatArray
    tpot_p99_s: FloatArray
    e2e_mean_s: FloatArray
    max_rate_per_s: FloatArray  # offline: at max_batch
    max_output_tokens_per_s: FloatArray

    @property
    def feasible(self) -> npt.NDArray[np.bool_]:
        ok: npt.NDArray[np.bool_] = self.status == 0
        return ok

    def row(self, i: int) -> dict[str, float]:
        """One candidate as plain floats."""
        return {
            f.name: float(np.broadcast_to(getattr(self, f.name), self.status.shape)[i])
            for f in dataclasses.fields(self)
        }


def _bucket(tokens: FloatArray) -> FloatArray:
    """Static-shape bucket of a sequence: the next power of two, at least MIN_BUCKET_TOKENS."""
    t = np.maximum(tokens, 1.0)
    return np.maximum(2.0 ** np.ceil(np.log2(t) - 1e-12), MIN_BUCKET_TOKENS)


def _mean_bucket(lo: float, hi: float) -> float:
    """Mean bucket over positions uniform on [lo, hi] (exact for power-of-two buckets)."""
    if hi <= lo:
        return float(_bucket(np.array(lo)))
    total = 0.0
    edge = MIN_BUCKET_TOKENS
    start = lo
    while start < hi:
        while edge < start:
            edge *= 2.0
        stop = min(hi, edge)
        total += (stop - start) * edge
        start = stop
        edge *= 2.0
    return total / (hi - lo)


def gemm_rows_efficiency(rows: npt.ArrayLike, c: ServingCandidates) -> FloatArray:
    """Share of the achievable GEMM rate at ``rows`` rows (tokens): rows / (rows + half).

    Tensor-core GEMMs are tiled over rows (64-256 per tile on Hopper/CDNA3): few rows leave
    tiles and waves partly empty; ``gemm_half_rows`` is the row count at half efficiency.
    """
    r = np.maximum(np.asarray(rows, dtype=np.float64), 1e-9)
    out: FloatArray = r / (r + c.efficiency["gemm_half_rows"])
    return out


def _allreduce_s(
    nbytes: npt.ArrayLike, c: ServingCandidates, latency: FloatArray | None = None
) -> FloatArray:
    e = c.efficiency
    return comm.ring_allreduce_time_s(
        nbytes,
        c.tp,
        c.tp_link_gbytes_per_s * e["collective_bw_fraction"],
        e["collective_latency_s"] if latency is None else latency,
    )


def serving_capacity_arrays(
    model: ModelSpec,
    cands: ServingCandidates,
    *,
    input_len: float,
    output_len: float,
    input_len_scv: float = 0.0,
    output_len_scv: float = 0.0,
    batching: Batching = "continuous",
    batch: npt.ArrayLike | None = None,
    rate_per_replica: npt.ArrayLike | None = None,
    ttft_p99_ms: float | None = None,
    tpot_p99_ms: float | None = None,
    replicas: npt.ArrayLike = 1.0,
) -> ServingArrays:
    """Evaluate every candidate: memory, prefill, decode, throughput and latency (per replica).

    Operating point: ``batch`` if given; else ``rate_per_replica`` (requests/s) if given; else
    the largest batch that meets ``ttft_p99_ms`` / ``tpot_p99_ms``; else the largest batch that
    fits (offline maximum throughput). ``input_len_scv`` / ``output_len_scv`` are the squared
    coefficients of variation of the lengths (0 for fixed lengths). Running sequences are
    length-biased (inspection paradox): their mean decoded length is (1 + scv) out / 2.
    ``replicas`` (per candidate) share the front end's dispatch window (``dispatch_window_s``
    of the efficiency; no effect when it is 0).
    """
    if input_len < 1 or output_len < 1:
        raise InputError(f"input/output length must be >= 1 token, got {input_len}/{output_len}")
    terms = ModelTerms.from_spec(model)
    c = cands
    e = c.efficiency
    chips = c.tp * c.pp
    bw = c.hbm_tbps * TERA
    flops = c.peak_tflops * TERA
    padded = e["kv_read_padded"] > 0.5
    l_in, l_out = float(input_len), float(output_len)
    seq = l_in + l_out
    n_decode = max(l_out - 1.0, 0.0)

    # ---- memory (bytes per chip)
    weights = (
        (terms.block_params + terms.expert_params) * c.weight_bytes_per_param
        + terms.other_params * 2.0
    ) / chips
    reserve = e["runtime_reserve_gb"] * GIB
    hbm = c.hbm_gb * GIB  # vendors' HBM "GB" are binary (H100 80 GB = 81,559 MiB)
    kv_budget = np.maximum(e["usable_hbm_fraction"] * (hbm - weights - reserve), 0.0)
    if terms.latent_kv:
        kv_share = 1.0 / c.pp
    else:
        kv_share = c.kv_shards_per_chip / np.minimum(c.tp * c.kv_shards_per_chip, terms.n_kv_heads)
        kv_share = kv_share / c.pp
    kv_elems_seq = kv_cache_bytes_per_token(model, 1.0, round(seq))
    # Paged KV is allocated on demand: a running sequence holds on average its prompt plus
    # half its output (vLLM PagedAttention; TensorRT-LLM MAX_UTILIZATION); static-shape
    # runtimes (kv_read_padded) hold the whole bucket. Static batches hold their full length.
    resident = seq if batching == "static" else l_in + (1.0 + output_len_scv) * l_out / 2.0
    kv_seq_chip = np.where(padded, _bucket(np.array(seq)), resident) * kv_elems_seq
    kv_seq_chip = kv_seq_chip * c.kv_bytes_per_element * kv_share
    mem_batch = np.floor(kv_budget / kv_seq_chip)
    max_batch = np.minimum(mem_batch, e["max_sequences"])
    status = np.where(weights + reserve >= hbm, 1, np.where(max_batch < 1, 2, 0)).astype(np.int64)
    max_batch = np.maximum(max_batch, 1.0)

    # ---- prefill of one request
    pf_tokens = np.where(padded, _bucket(np.array(l_in)), l_in)
    per_token = forward_flops_per_token(model, round(l_in), causal=True)
    attn_per_token = per_token.attention_scores * pf_tokens / max(l_in, 1.0)
    mm_per_token = per_token.total - per_token.attention_scores - per_token.head
    pf_time_per_token = mm_per_token / flops + attn_per_token / (c.attention_peak_tflops * TERA)
    pf_compute_at_peak = (pf_tokens * pf_time_per_token + per_token.head / flops) / (
        c.tp * e["compute_fraction"]
    )
    pf_comm = 2.0 * terms.n_layers * _allreduce_s(pf_tokens * terms.d_model * ACTIVATION_BYTES, c)
    pf_weights = weights / (bw * e["hbm_bw_fraction"])

    def prefill(
        b: FloatArray, batched: npt.ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(latency, busy time, compute time) of one prefill at concurrency b.

        Continuous batching runs the prefill inside an iteration whose GEMMs also carry the
        b / pp decode rows of the stage and the ``batched`` other prompts dispatched with it;
        a static batch prefills b prompts together.
        """
        rows = (
            b * pf_tokens
            if batching == "static"
            else b / c.pp + (1.0 + np.asarray(batched)) * pf_tokens
        )
        compute = pf_compute_at_peak / gemm_rows_efficiency(rows, c)
        latency = np.maximum(compute, pf_weights) + pf_comm + e["step_overhead_s"]
        return latency, (compute + pf_comm) / c.pp, compute

    # ---- decode step at batch B, reading `ctx` cached tokens per sequence
    mean_pos_lo, mean_pos_hi = l_in, l_in + max(l_out - 1.0, 0.0)
    ctx_plain = l_in + (1.0 + output_len_scv) * max(l_out - 1.0, 0.0) / 2.0
    ctx_mean = np.where(padded, _mean_bucket(mean_pos_lo, mean_pos_hi), ctx_plain)
    kv_elems_ctx = kv_cache_bytes_per_token(model, 1.0, max(round(ctx_plain), 1))
    dec = forward_flops_per_token(model, max(round(ctx_plain), 1))
    dec_time_token = (dec.total - dec.attention_scores) / flops
    # decode attention is one memory-bound kernel per layer: it streams the KV cache and does
    # its QK^T / AV FLOPs on the fly (FlashDecoding); its time is the larger of the two
    attn_time_token = dec.attention_scores / (c.attention_peak_tflops * TERA)

    def step(b_total: FloatArray, ctx: FloatArray) -> dict[str, FloatArray]:
        b = b_total / c.pp
        touched = 1.0 - (1.0 - terms.top_k / terms.n_experts) ** b if terms.n_experts else 0.0
        w_bytes = (
            terms.block_params * c.weight_bytes_per_param
            + terms.expert_params * c.weight_bytes_per_param * touched
            + terms.head_read_params * 2.0
        ) / chips
        t_w = w_bytes / (bw * e["hbm_bw_fraction"])
        t_c = b * dec_time_token / (chips * e["compute_fraction"] * gemm_rows_efficiency(b, c))
        t_kv = b * ctx * kv_elems_ctx * c.kv_bytes_per_element * kv_share
        t_kv = np.maximum(
            t_kv / (bw * e["kv_bw_fraction"]),
            b * attn_time_token * ctx / ctx_plain / (chips * e["compute_fraction"]),
        )
        t_ar = 2.0 * terms.n_layers / c.pp * _allreduce_s(b * terms.d_model * ACTIVATION_BYTES, c)
        p2p = (c.pp - 1.0) * comm.p2p_time_s(
            b * terms.d_model * ACTIVATION_BYTES, c.tp_link_gbytes_per_s, e["collective_latency_s"]
        )
        weights_part = np.where(t_w >= t_c, t_w, 0.0) * c.pp
        compute_part = np.where(t_w >= t_c, 0.0, t_c) * c.pp
        overhead = e["step_overhead_s"] + 0.0 * b
        total = weights_part + compute_part + t_kv * c.pp + t_ar * c.pp + p2p + overhead
        return {
            "total": total,
            "weights": weights_part,
            "compute": compute_part,
            "kv": t_kv * c.pp,
            "comm": t_ar * c.pp + p2p,
            "overhead": overhead,
        }

    def static_prefill(b: FloatArray) -> FloatArray:
        compute = prefill(b)[2]
        return (
            b * compute / c.pp
            + compute * (1.0 - 1.0 / c.pp)
            + b * pf_comm
            + np.maximum(pf_weights - b * compute, 0.0)
            + e["step_overhead_s"]
        )

    # offline (everything queued at once): no arrival process for a dispatch window to gather
    offline = batch is None and rate_per_replica is None and ttft_p99_ms is None
    offline = offline and tpot_p99_ms is None
    window = e["dispatch_window_s"] * (0.0 if offline else 1.0)
    sharing = np.maximum(np.asarray(replicas, dtype=np.float64), 1.0)

    def dispatched(b: FloatArray, t_step: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(rate, other prompts per dispatched batch) at concurrency b.

        The front end sends the requests of each ``dispatch_window_s`` to one of the
        ``replicas`` in turn: a replica receives lambda x replicas x window prompts at once,
        prefilled in one iteration. The batch size depends on the rate and the rate on the
        prefill time (larger GEMMs): one fixed-point pass, exact when the window is 0.
        """
        lam = queueing.rate_at_concurrency(b, n_decode, t_step, prefill(b)[1])
        if np.any(window > 0.0):
            others = lam * sharing * window
            lam = queueing.rate_at_concurrency(b, n_decode, t_step, prefill(b, others)[1])
        return lam, lam * sharing * window

    def rate(b: FloatArray, t_step: FloatArray) -> FloatArray:
        if batching == "static":
            return b / (static_prefill(b) + n_decode * t_step)
        return dispatched(b, t_step)[0]

    def latencies(
        b: FloatArray, quantiles: tuple[float, ...] = (0.5, 0.99)
    ) -> dict[str, FloatArray]:
        st = step(b, ctx_mean)
        lam = rate(b, st["total"])
        out: dict[str, FloatArray] = {"rate": lam, **{f"step_{k}": v for k, v in st.items()}}
        if not quantiles:
            return out
        if batching == "static":
            ttft = static_prefill(b)
            out["ttft_mean"] = out["ttft_p50"] = out["ttft_p99"] = ttft
            out["tpot_mean"] = st["total"]
            for q in (0.5, 0.99):
                pos = l_in + q * max(l_out - 1.0, 0.0)
                ctx_q = np.where(padded, _bucket(np.array(pos)), pos)
                out[f"tpot_p{round(q * 100)}"] = step(b, ctx_q)["total"]
            out["rho"] = ttft / (ttft + n_decode * st["total"])
            out["prefill_latency"], out["prefill_busy"] = prefill(b)[:2]
            return out
        t = st["total"]
        others = lam * sharing * window  # prompts dispatched with this one (dispatched())
        prefill_latency, prefill_busy, _ = prefill(b, others)
        own = prefill_latency - e["step_overhead_s"]

        def first_token(own_s: FloatArray, q: float | None = None) -> FloatArray:
            return queueing.first_token_s(
                lam, prefill_busy, input_len_scv, t, own_s, q,
                window_s=window, window_prompts=others, window_prompt_busy_s=prefill_busy,
            )  # fmt: skip

        tpot = queueing.tpot_quantile_s(t, lam, prefill_busy, input_len_scv, n_decode)
        first = first_token(own)
        holding = first + n_decode * tpot  # a request holds its batch slot this long
        out["ttft_mean"] = first + queueing.admission_wait_s(max_batch, b, holding)
        out["tpot_mean"] = tpot
        for q in quantiles:
            own_q = queueing.gamma_quantile(own, input_len_scv, q)
            first_q = first_token(own_q, q)
            wait = queueing.admission_wait_s(max_batch, b, holding, quantile=q)
            out[f"ttft_p{round(q * 100)}"] = first_q + wait
            out[f"tpot_p{round(q * 100)}"] = queueing.tpot_quantile_s(
                t,
                lam,
                prefill_busy,
                input_len_scv,
                n_decode,
                quantile=q,
                decode_tokens_scv=output_len_scv,
            )
        out["rho"] = queueing.prefill_share(lam, prefill_busy)
        out["prefill_latency"], out["prefill_busy"] = prefill_latency, prefill_busy
        out["slot_wait_prob"] = queueing.erlang_c_halfin_whitt(max_batch, b)
        return out

    shape = np.broadcast(max_batch, c.tp, c.peak_tflops).shape
    max_batch = np.broadcast_to(max_batch, shape).astype(np.float64)
    status = np.broadcast_to(status, shape).copy()
    at_max = latencies(max_batch, ())

    def bisect(ok: Any) -> FloatArray:
        """Largest B in [1, max_batch] with ok(B) (ok is monotone: true below a threshold)."""
        lo = np.ones(shape)
        hi = max_batch.copy()
        good_hi = ok(hi)
        for _ in range(32):
            mid = 0.5 * (lo + hi)
            m = ok(mid)
            lo = np.where(m, mid, lo)
            hi = np.where(m, hi, mid)
        return np.where(good_hi, max_batch, lo)

    if batch is not None:
        b_op = np.broadcast_to(np.asarray(batch, dtype=np.float64), shape).copy()
        status = np.where((status == 0) & (b_op > max_batch), 2, status)
    elif rate_per_replica is not None:
        target = np.broadcast_to(np.asarray(rate_per_replica, dtype=np.float64), shape)
        b_op = bisect(lambda b: latencies(b, ())["rate"] <= target)
        status = np.where((status == 0) & (target > at_max["rate"] * (1 + 1e-9)), 4, status)
    elif ttft_p99_ms is not None or tpot_p99_ms is not None:
        ttft_max = np.inf if ttft_p99_ms is None else ttft_p99_ms / 1e3
        tpot_max = np.inf if tpot_p99_ms is None else tpot_p99_ms / 1e3

        def meets(b: FloatArray) -> npt.NDArray[np.bool_]:
            """p99 targets met, and the p99 request does not wait for a batch slot.

            Near the slot limit the Erlang-C wait rises from nothing to seconds within a
            few sqrt(B) sequences (Halfin-Whitt), over the sequence lifetime (tens of
            seconds): a finite benchmark run there meets or misses the TTFT target by
            chance. The operating point stays where fewer than 1 - q requests wait
            (P_wait <= 1 - q), which costs under ~2 % of the throughput at the cliff.
            """
            lat = latencies(b, (_LATENCY_QUANTILE,))
            ok: npt.NDArray[np.bool_] = (
                (lat["ttft_p99"] <= ttft_max)
                & (lat["tpot_p99"] <= tpot_max)
                & (lat.get("slot_wait_prob", 0.0) <= 1.0 - _LATENCY_QUANTILE)
            )
            return ok

        b_op = bisect(meets)
        status = np.where((status == 0) & ~meets(np.ones(shape)), 3, status)
    else:
        b_op = max_batch
    op = latencies(b_op)
    no_fit = (status == 1) | (status == 2)  # nothing runs: no throughput or latency to report
    for key in ("rate", "ttft_mean", "ttft_p50", "ttft_p99", "tpot_mean", "tpot_p50", "tpot_p99"):
        op[key] = np.where(no_fit, np.nan, op[key])
    at_max["rate"] = np.where(no_fit, np.nan, at_max["rate"])
    if batching == "continuous" and offline:
        # offline: every slot busy, requests queue without bound - no steady-state TTFT
        for key in ("ttft_mean", "ttft_p50", "ttft_p99"):
            op[key] = np.full(shape, np.inf)
    lam = op["rate"]
    return ServingArrays(
        status=status,
        weights_gb_per_chip=weights / GIB + 0.0 * max_batch,
        kv_budget_gb_per_chip=kv_budget / GIB + 0.0 * max_batch,
        kv_gb_per_sequence_per_chip=kv_seq_chip / GIB + 0.0 * max_batch,
        max_batch=np.where(no_fit, 0.0, max_batch),
        batch=np.where(no_fit, 0.0, b_op),
        rate_per_s=lam,
        output_tokens_per_s=lam * l_out,
        input_tokens_per_s=lam * l_in,
        prefill_latency_s=op["prefill_latency"],
        prefill_busy_s=op["prefill_busy"],
        prefill_share=op["rho"],
        step_s=op["step_total"],
        step_weights_s=op["step_weights"],
        step_kv_s=op["step_kv"],
        step_compute_s=op["step_compute"],
        step_comm_s=op["step_comm"],
        step_overhead_s=op["step_overhead"] + 0.0 * max_batch,
        ttft_mean_s=op["ttft_mean"],
        ttft_p50_s=op["ttft_p50"],
        ttft_p99_s=op["ttft_p99"],
        tpot_mean_s=op["tpot_mean"],
        tpot_p50_s=op["tpot_p50"],
        tpot_p99_s=op["tpot_p99"],
        e2e_mean_s=op["ttft_mean"] + n_decode * op["tpot_mean"],
        max_rate_per_s=at_max["rate"],
        max_output_tokens_per_s=at_max["rate"] * l_out,
    )


# ---------------------------------------------------------------- scalar API


@dataclass(frozen=True)
class ServingEstimate:
    """One serving deployment: ``replicas`` copies of a ``tp x pp`` model on ``count`` chips.

    Throughputs are for the whole deployment; latencies and memory per replica / chip.
    """

    model: str
    accelerator_id: str
    count: int
    replicas: int
    tp: int
    pp: int
    ep: int
    weight_precision: str
    kv_precision: str
    compute_precision: str
    batching: str
    input_len: float
    output_len: float
    feasible: bool
    status: str
    batch_per_replica: float
    max_batch_per_replica: float
    rate_per_s: float
    output_tokens_per_s: float
    input_tokens_per_s: float
    output_tokens_per_s_per_chip: float
    max_output_tokens_per_s: float
    ttft_mean_ms: float
    ttft_p50_ms: float
    ttft_p99_ms: float
    tpot_mean_ms: float
    tpot_p50_ms: float
    tpot_p99_ms: float
    e2e_mean_ms: float
    memory_gb_per_chip: dict[str, float]
    prefill: dict[str, float]
    decode_step_ms: dict[str, float]
    efficiency: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _resolve_model(model: ModelSpec | str) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    from xpuplan.models.presets import resolve_model

    return resolve_model(model)


def estimate_serving(
    model: ModelSpec | str,
    accelerator: Accelerator,
    *,
    count: int,
    tp: int,
    pp: int = 1,
    ep: int = 1,
    weight_precision: str = "bf16",
    kv_precision: str | None = None,
    input_len: float,
    output_len: float,
    input_len_scv: float = 0.0,
    rate: float | None = None,
    batch: float | None = None,
    ttft_p99_ms: float | None = None,
    tpot_p99_ms: float | None = None,
    efficiency: ServingEfficiency | None = None,
    batching: Batching = "continuous",
    tp_unit: Literal["chips", "cores"] = "chips",
) -> ServingEstimate:
    """Estimate serving ``model`` on ``count`` chips of ``accelerator`` (one formula with the
    planner: :func:`serving_capacity_arrays` on a one-candidate array).

    ``rate`` is requests/s for the whole deployment and ``batch`` the concurrent sequences per
    replica; without either, the operating point is the largest batch that meets the p99
    latency targets, or the largest that fits (offline maximum throughput).
    """
    spec = _resolve_model(model)
    for name, value in (("count", count), ("tp", tp), ("pp", pp), ("ep", ep)):
        if int(value) != value or value < 1:
            raise InputError(f"{name}: {value!r} must be a positive integer")
    if batching not in ("continuous", "static"):
        raise InputError(f"batching: {batching!r} must be 'continuous' or 'static'")
    if rate is not None and batch is not None:
        raise InputError("give either rate or batch, not both")
    if rate is not None and not rate > 0:
        raise InputError(f"rate: {rate!r} must be > 0 requests/s")
    if batch is not None and not batch >= 1:
        raise InputError(f"batch: {batch!r} must be >= 1 sequence per replica")
    cands = build_candidates(
        [accelerator],
        [0],
        [tp],
        [pp],
        weight_precision=weight_precision,
        kv_precision=kv_precision,
        efficiency=efficiency,
        tp_unit=tp_unit,
    )
    tp_chips = int(cands.tp[0])
    replicas = count // (tp_chips * pp)
    if replicas < 1:
        raise InputError(
            f"count: {count} chips cannot hold one replica of tp {tp_chips} x pp {pp} chips"
        )
    if spec.moe is not None and (ep > tp_chips * pp or spec.moe.n_routed_experts % ep):
        raise InputError(
            f"ep: {ep} must divide the {spec.moe.n_routed_experts} experts and be <= tp x pp"
        )
    if spec.moe is None and ep != 1:
        raise InputError(f"ep: {ep} needs a mixture-of-experts model; {spec.name} is dense")
    r = serving_capacity_arrays(
        spec,
        cands,
        input_len=input_len,
        output_len=output_len,
        input_len_scv=input_len_scv,
        batching=batching,
        batch=batch,
        rate_per_replica=None if rate is None else rate / replicas,
        ttft_p99_ms=ttft_p99_ms,
        tpot_p99_ms=tpot_p99_ms,
        replicas=replicas,
    ).row(0)
    eff = {k: float(v[0]) for k, v in cands.efficiency.items()}
    kv = kv_precision or default_kv_precision(weight_precision, accelerator)
    code = int(r["status"])
    ms = 1e3
    return ServingEstimate(
        model=spec.name,
        accelerator_id=accelerator.id,
        count=count,
        replicas=replicas,
        tp=tp_chips,
        pp=pp,
        ep=ep,
        weight_precision=weight_precision,
        kv_precision=kv,
        compute_precision=compute_precision(weight_precision, accelerator),
        batching=batching,
        input_len=float(input_len),
        output_len=float(output_len),
        feasible=code == 0,
        status=STATUS_MESSAGES[code],
        batch_per_replica=r["batch"],
        max_batch_per_replica=r["max_batch"],
        rate_per_s=r["rate_per_s"] * replicas,
        output_tokens_per_s=r["output_tokens_per_s"] * replicas,
        input_tokens_per_s=r["input_tokens_per_s"] * replicas,
        output_tokens_per_s_per_chip=r["output_tokens_per_s"] / (tp_chips * pp),
        max_output_tokens_per_s=r["max_output_tokens_per_s"] * replicas,
        ttft_mean_ms=r["ttft_mean_s"] * ms,
        ttft_p50_ms=r["ttft_p50_s"] * ms,
        ttft_p99_ms=r["ttft_p99_s"] * ms,
        tpot_mean_ms=r["tpot_mean_s"] * ms,
        tpot_p50_ms=r["tpot_p50_s"] * ms,
        tpot_p99_ms=r["tpot_p99_s"] * ms,
        e2e_mean_ms=r["e2e_mean_s"] * ms,
        memory_gb_per_chip={
            "hbm": accelerator.hbm_gb,
            "weights": r["weights_gb_per_chip"],
            "runtime_reserve": eff["runtime_reserve_gb"],
            "kv_budget": r["kv_budget_gb_per_chip"],
            "kv_per_sequence": r["kv_gb_per_sequence_per_chip"],
            "kv_in_use": r["kv_gb_per_sequence_per_chip"] * r["batch"],
        },
        prefill={
            "latency_ms": r["prefill_latency_s"] * ms,
            "busy_ms": r["prefill_busy_s"] * ms,
            "time_share": r["prefill_share"],
        },
        decode_step_ms={
            "weights": r["step_weights_s"] * ms,
            "compute": r["step_compute_s"] * ms,
            "kv_cache": r["step_kv_s"] * ms,
            "communication": r["step_comm_s"] * ms,
            "overhead": r["step_overhead_s"] * ms,
            "total": r["step_s"] * ms,
        },
        efficiency=eff,
    )


# ---------------------------------------------------------------- cost


@dataclass(frozen=True)
class ServingCost:
    """Price of a serving deployment and its cost per million input and output tokens.

    The hourly price of all ``count`` chips is split between input and output tokens by the
    share of replica time spent in prefill (input) versus decode (output); idle capacity is
    charged to both in the same proportion.
    """

    provider: str
    region: str
    instance: str
    pricing: str
    usd_per_chip_hour: float
    usd_per_hour: float
    prefill_time_share: float
    usd_per_million_input_tokens: float
    usd_per_million_output_tokens: float
    usd_per_million_tokens: float  # all tokens (input + output) at one price

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def cost_per_million_tokens(
    estimate: ServingEstimate, offering: Offering, pricing: PricingModel = "on_demand"
) -> ServingCost:
    """Cost per million input/output tokens of ``estimate`` rented as ``offering``."""
    per_chip = offering.usd_per_chip_hour(pricing)
    if per_chip is None:
        raise InputError(
            f"pricing: offering {offering.provider}/{offering.instance} in {offering.region} has "
            f"no {pricing!r} price; it has {', '.join(offering.usd_per_hour) or 'none'}"
        )
    usd_per_s = per_chip * estimate.count / SECONDS_PER_HOUR
    share = float(np.clip(estimate.prefill["time_share"], 0.0, 1.0))
    million = 1e6

    def per_million(part: float, tokens_per_s: float) -> float:
        return usd_per_s * part / tokens_per_s * million if tokens_per_s > 0 else math.inf

    total_tokens = estimate.input_tokens_per_s + estimate.output_tokens_per_s
    return ServingCost(
        provider=offering.provider,
        region=offering.region,
        instance=offering.instance,
        pricing=pricing,
        usd_per_chip_hour=per_chip,
        usd_per_hour=per_chip * estimate.count,
        prefill_time_share=share,
        usd_per_million_input_tokens=per_million(share, estimate.input_tokens_per_s),
        usd_per_million_output_tokens=per_million(1.0 - share, estimate.output_tokens_per_s),
        usd_per_million_tokens=per_million(1.0, total_tokens),
    )


def cheapest_offering(
    catalog: Catalog,
    accelerator_id: str,
    *,
    provider: str | None = None,
    instance: str | None = None,
    region: str | None = None,
    pricing: PricingModel = "on_demand",
) -> Offering | None:
    """The offering of ``accelerator_id`` with the lowest ``pricing`` price per chip-hour among
    those matching the filters; None when none has that price."""
    matches = [
        o
        for o in catalog.offerings_for(accelerator_id)
        if (provider is None or o.provider == provider)
        and (instance is None or o.instance == instance)
        and (region is None or o.region == region)
        and o.usd_per_chip_hour(pricing) is not None
    ]
    if not matches:
        return None
    return min(matches, key=lambda o: (o.usd_per_chip_hour(pricing), o.provider, o.region))


@dataclass(frozen=True)
class PricedServingEstimate:
    """A serving estimate with its cost (None when the catalog has no matching price)."""

    estimate: ServingEstimate
    cost: ServingCost | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.estimate.to_dict(),
            "cost": None if self.cost is None else self.cost.to_dict(),
            "cost_note": self.note,
        }


def estimate_serving_priced(
    catalog: Catalog,
    model: ModelSpec | str,
    accelerator_id: str,
    *,
    provider: str | None = None,
    instance: str | None = None,
    region: str | None = None,
    pricing: PricingModel = "on_demand",
    **kwargs: Any,
) -> PricedServingEstimate:
    """:func:`estimate_serving` on a catalog accelerator, priced with the cheapest matching
    offering (``provider`` / ``instance`` / ``region`` filter it)."""
    accelerator = catalog.accelerator(accelerator_id)
    estimate = estimate_serving(model, accelerator, **kwargs)
    offering = cheapest_offering(
        catalog,
        accelerator_id,
        provider=provider,
        instance=instance,
        region=region,
        pricing=pricing,
    )
    if offering is None:
        wanted = ", ".join(
            f"{k} {v!r}"
            for k, v in (("provider", provider), ("instance", instance), ("region", region))
            if v
        )
        note = f"no {pricing} price for {accelerator_id}" + (f" with {wanted}" if wanted else "")
        if provider or instance or region:
            raise InputError(f"{note} in the catalog (xpuplan catalog offerings)")
        return PricedServingEstimate(estimate, None, note)
    note = f"cheapest matching {pricing} offering: {offering.provider} {offering.instance} in "
    note += offering.region
    if not estimate.feasible:
        return PricedServingEstimate(estimate, None, f"{note}; not priced: {estimate.status}")
    cost = cost_per_million_tokens(estimate, offering, pricing)
    return PricedServingEstimate(estimate, cost, note)
