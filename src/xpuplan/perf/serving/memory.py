"""How many sequences fit: weights, runtime reserve and KV cache per chip (bytes).

weights = (block matmuls x weight bytes + embeddings/head/norms x 2) / (tp pp): quantized
checkpoints keep embeddings and the LM head in 16 bit (NVIDIA ModelOpt, AutoAWQ defaults).
KV budget = usable_hbm_fraction x (HBM - weights - runtime reserve). KV heads shard over at most
``n_kv_heads`` TP ranks (GQA heads are replicated beyond that, Ainslie et al. 2023); MLA's
latent is replicated on every TP rank. A paged sequence holds on average its prompt plus its
length-biased half output (vLLM PagedAttention; TensorRT-LLM MAX_UTILIZATION); static-shape
runtimes hold the whole bucket, static batches their whole length, and so does an offline
burst of equal output lengths (:func:`lockstep_burst`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.models.counts import kv_cache_bytes_per_token
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving.candidates import ModelTerms, ServingCandidates
from xpuplan.units import GIB

__all__ = [
    "MIN_BUCKET_TOKENS",
    "Capacity",
    "bucket",
    "buckets",
    "dp_attention",
    "kv_capacity",
    "kv_share",
    "lockstep_burst",
    "mean_bucket",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

# Smallest sequence bucket of static-shape runtimes (transformers-neuronx buckets start at 128).
MIN_BUCKET_TOKENS = 128.0


def buckets(max_tokens: float) -> list[float]:
    """The sequence buckets a static-shape runtime compiles for a longest sequence of
    ``max_tokens``: powers of two from MIN_BUCKET_TOKENS below 2^round(log2 max), then the max
    itself (neuronx-distributed-inference ``modules/autobucketing.generate_buckets``: a model
    compiled for 12,800 tokens has buckets ..., 4,096, 8,192, 12,800, not 16,384)."""
    top = round(math.log2(max(max_tokens, 1.0)))
    low = round(math.log2(MIN_BUCKET_TOKENS))
    return [2.0**i for i in range(low, top)] + [float(max_tokens)]


def bucket(tokens: npt.ArrayLike, max_tokens: float | None = None) -> FloatArray:
    """Static-shape bucket of a sequence: the next power of two, at least MIN_BUCKET_TOKENS;
    with the compiled longest sequence ``max_tokens``, the smallest of :func:`buckets` that
    holds it (a sequence past the max keeps its power of two)."""
    t = np.maximum(np.asarray(tokens, dtype=np.float64), 1.0)
    out: FloatArray = np.maximum(2.0 ** np.ceil(np.log2(t) - 1e-12), MIN_BUCKET_TOKENS)
    if max_tokens is None:
        return out
    top = 2.0 ** (round(math.log2(max(max_tokens, 1.0))) - 1)  # largest power-of-two bucket
    capped: FloatArray = np.where((out > top) & (t <= max_tokens), max_tokens, out)
    return capped


def mean_bucket(lo: float, hi: float, max_tokens: float | None = None) -> float:
    """Mean bucket over positions uniform on [lo, hi] (exact for the buckets of
    :func:`bucket`)."""
    if hi <= lo:
        return float(bucket(lo, max_tokens))
    total = 0.0
    start = lo
    while start < hi:
        edge = float(bucket(start + 1e-9, max_tokens))
        stop = min(hi, edge) if edge > start else hi
        total += (stop - start) * edge
        start = stop
    return total / (hi - lo)


def dp_attention(terms: ModelTerms, c: ServingCandidates) -> npt.NDArray[np.bool_]:
    """Data-parallel attention with expert-parallel MoE for MLA models (SGLang / vLLM
    ``--enable-dp-attention``, TensorRT-LLM ``enable_attention_dp``, DeepSeek-V3 report sec.
    3.4): each of the ep ranks runs attention for its own sequences with a full copy of the
    attention weights, so MLA's latent cache is not replicated; experts are split over the ep
    ranks and exchanged by all-to-all. A grouped-query model with ep > 1 keeps tensor-parallel
    attention and expert-parallel MLP layers (vLLM ``--enable-expert-parallel``): which of the
    two a measured GQA run used is rarely stated (docs/serving-estimator.md)."""
    out: npt.NDArray[np.bool_] = (c.ep > 1) & (terms.n_experts > 0) & terms.latent_kv
    return out


def kv_share(terms: ModelTerms, c: ServingCandidates) -> FloatArray:
    """Share of a sequence's KV cache one chip holds (GQA heads over at most n_kv_heads ranks;
    every (logical) NeuronCore holds its own heads; MLA latent replicated on TP ranks; under
    data-parallel attention each sequence lives on one of the ep ranks)."""
    if terms.latent_kv:
        share: FloatArray = np.ones(np.shape(c.tp))
    else:
        share = c.kv_shards_per_chip / np.minimum(c.tp * c.kv_shards_per_chip, terms.n_kv_heads)
    result: FloatArray = np.where(dp_attention(terms, c), 1.0 / c.ep, share) / c.pp
    return result


def lockstep_burst(offline: bool, output_len_scv: float) -> bool:
    """Whether every running sequence reaches its full length at the same step.

    Offline, every request is queued at once and the engine admits as many as it has slots;
    with zero output-length variance they all decode the same number of steps, so the batch
    grows in step and ends together, and the next wave starts together. At the last step each
    sequence holds input + output tokens, not the input + output / 2 of a steady mix of ages:
    a batch sized for the average would run out of KV blocks before it ends (vLLM then preempts
    and recomputes; TensorRT-LLM's GUARANTEED_NO_EVICT admits only what fits at full length),
    so the sustained concurrency is what the cache holds at the peak. Any engine, any source:
    it depends only on the workload (offline, scv 0)."""
    return offline and output_len_scv == 0.0


@dataclass(frozen=True)
class Capacity:
    """Memory per chip (bytes) and the sequences that fit, per candidate."""

    weights: FloatArray
    reserve: FloatArray
    hbm: FloatArray
    kv_budget: FloatArray
    kv_per_sequence: FloatArray
    max_batch: FloatArray  # at least 1 (status says when even one does not fit)
    status: npt.NDArray[np.int64]  # 0 ok, 1 weights do not fit, 2 one sequence does not fit


def kv_capacity(
    model: ModelSpec,
    terms: ModelTerms,
    c: ServingCandidates,
    *,
    input_len: float,
    output_len: float,
    output_len_scv: float,
    full_sequence: bool,
    extra_weight_bytes: float = 0.0,
    beams: float = 1.0,
) -> Capacity:
    """Weights, KV budget and the largest batch of one replica (``full_sequence``: a static
    batch holds every sequence at full length). ``extra_weight_bytes`` per replica: a draft
    model's or speculative heads' weights. ``beams``: beam search keeps that many hypotheses
    per request, sharing the prompt's blocks (copy-on-write, vLLM / TensorRT-LLM)."""
    e = c.efficiency
    chips = c.tp * c.pp
    weights = (
        (terms.block_params + terms.expert_params) * c.weight_bytes_per_param
        + terms.other_params * 2.0
        + extra_weight_bytes
    ) / chips
    # data-parallel attention: every rank holds the whole attention of its stage
    replicated = terms.attention_params * c.weight_bytes_per_param * (1.0 / c.pp - 1.0 / chips)
    weights = weights + np.where(dp_attention(terms, c), replicated, 0.0)
    reserve = e["runtime_reserve_gb"] * GIB
    hbm = c.hbm_gb * GIB  # vendors' HBM "GB" are binary (H100 80 GB = 81,559 MiB)
    budget = np.maximum(e["usable_hbm_fraction"] * (hbm - weights - reserve), 0.0)
    seq = input_len + output_len
    per_token = kv_cache_bytes_per_token(model, 1.0, round(seq))
    generated = output_len if full_sequence else (1.0 + output_len_scv) * output_len / 2.0
    resident = input_len + beams * generated
    padded = e["kv_read_padded"] > 0.5
    per_seq = np.where(padded, beams * bucket(seq, model.max_seq_len), resident) * per_token
    per_seq = per_seq * c.kv_bytes_per_element * kv_share(terms, c)
    max_batch = np.minimum(np.floor(budget / per_seq), e["max_sequences"])
    status = np.where(weights + reserve >= hbm, 1, np.where(max_batch < 1, 2, 0)).astype(np.int64)
    return Capacity(
        weights=np.asarray(weights, dtype=np.float64),
        reserve=np.asarray(reserve, dtype=np.float64),
        hbm=np.asarray(hbm, dtype=np.float64),
        kv_budget=np.asarray(budget, dtype=np.float64),
        kv_per_sequence=np.asarray(per_seq, dtype=np.float64),
        max_batch=np.maximum(max_batch, 1.0),
        status=status,
    )
