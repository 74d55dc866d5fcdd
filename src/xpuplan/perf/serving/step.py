"""Time of one prefill and one decode step of a replica (roofline, Williams et al. 2009).

Prefill (compute-bound) of L tokens: FLOPs = L x (forward FLOPs per token at causal context L,
without the LM head) + LM head (only the last position needs logits), over ``tp x peak x
compute_fraction x rows / (rows + gemm_half_rows)``; the quadratic attention term
(:func:`xpuplan.models.counts.forward_flops_per_token`) runs at the attention peak x
``attention_fraction`` x the share of a wide systolic array the head fills
(:func:`attention_flops_per_s`); plus 2 TP all-reduces per layer of the L x d activations
(Megatron TP, Shoeybi et al. 2019) and one engine iteration.

Decode step at batch B (per pipeline stage of B/pp): the overlap of weight bytes touched / (BW x
hbm_bw_fraction) and B x FLOPs / (peak x compute_fraction x GEMM row efficiency) (their
p-norm, :func:`overlapped_s`: the larger near either roof, sqrt(2) x it at the ridge) + the KV
read (attention kernel, at least its FLOPs) + 2 all-reduces per layer + MoE all-to-all when experts
are split by expert parallelism + step overhead; a token passes every stage, and the stages
run at the pace of the slowest, the last one that also holds the LM head. Expert-parallel
MoE layers (routed GEMMs, expert weight reads, all-to-all) run at ``ep_moe_fraction`` of that
efficiency (:mod:`xpuplan.perf.serving_efficiency`). MoE layers read
only the experts the batch touches: E (1 - (1 - k/E)^B) of E experts for B tokens routed top-k;
a backend that runs MoE layers densely (NxD Inference on Neuron: ``forward_all_experts`` once
tokens x k / E reaches 1) reads every expert and does every expert's FLOPs for every token, in
prefill and decode.

Beam search with w beams: every request decodes w hypotheses per step (w GEMM rows, w KV
reads), one token of output per step.

Speculative decoding (:class:`SpecDecode`): each step drafts k tokens (a draft model's k
decode steps, or EAGLE / Medusa heads: one extra decoder layer and the LM head per draft
token), then verifies k + 1 positions per sequence in one target pass (B (k+1) GEMM rows,
weights read once); it yields (1 - a^(k+1)) / (1 - a) tokens per sequence at per-token
acceptance a (Leviathan et al. 2023, eq. 1). The step time reported is per generated token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.errors import InputError
from xpuplan.models.counts import (
    decode_attention_score_flops,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
)
from xpuplan.models.spec import ModelSpec
from xpuplan.perf import comm
from xpuplan.perf.serving.candidates import ACTIVATION_BYTES, ModelTerms, ServingCandidates
from xpuplan.perf.serving.memory import bucket, dp_attention, kv_share, mean_bucket
from xpuplan.units import TERA

__all__ = [
    "SPEC_METHODS",
    "SpecDecode",
    "StepModel",
    "draft_weight_bytes",
    "gemm_rows_efficiency",
    "overlapped_s",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
SpecMethod = Literal["draft", "eagle", "medusa"]
SPEC_METHODS: tuple[str, ...] = ("draft", "eagle", "medusa")


@dataclass(frozen=True)
class SpecDecode:
    """Speculative decoding: ``tokens`` drafted per step, accepted each with probability
    ``acceptance`` (given: it depends on the draft and the data, not on the chip)."""

    method: SpecMethod
    tokens: int
    acceptance: float
    draft: ModelSpec | None = None  # the draft model (method "draft")

    def __post_init__(self) -> None:
        if self.method not in SPEC_METHODS:
            raise InputError(
                f"spec decode: method {self.method!r} is not one of {', '.join(SPEC_METHODS)}"
            )
        if not 1 <= self.tokens <= 16:
            raise InputError(f"spec decode: tokens {self.tokens!r} must be in 1..16")
        if not 0.0 <= self.acceptance < 1.0:
            raise InputError(f"spec decode: acceptance {self.acceptance!r} must be in [0, 1)")
        if self.method == "draft" and self.draft is None:
            raise InputError("spec decode: method 'draft' needs a draft model (draft)")

    @property
    def tokens_per_step(self) -> float:
        """Expected tokens a sequence gains per verification step (Leviathan et al. 2023)."""
        a = self.acceptance
        return (1.0 - a ** (self.tokens + 1)) / (1.0 - a)


# Exponent of the p-norm that joins a decode step's weight-streaming and GEMM times. The roofline
# max(memory, compute) is the bound of perfect overlap (Williams, Waterman and Patterson 2009);
# measured kernels fall below both roofs near the ridge point, where neither the memory system
# nor the tensor units are kept busy the whole time (Ofenbeck et al. 2014, "Applying the
# roofline model", ISPASS). p = 2 was chosen by leave-one-source-out cross-validation of the
# serving calibration on 702 public cases (`validate --cross-validate source --kind infer`):
# throughput / latency 14.2 % / 21.1 % with the max (p -> infinity), 10.7 % / 18.3 % with p = 2
# (docs/serving-estimator.md lists the values tried).
OVERLAP_P = 2.0


def overlapped_s(memory_s: npt.ArrayLike, compute_s: npt.ArrayLike) -> FloatArray:
    """Time of work that streams ``memory_s`` of bytes and does ``compute_s`` of math at once:
    (memory^p + compute^p)^(1/p) with p = :data:`OVERLAP_P`; the larger of the two when one
    dominates, up to 2^(1/p) x it when they are equal."""
    m = np.asarray(memory_s, dtype=np.float64)
    c = np.asarray(compute_s, dtype=np.float64)
    out: FloatArray = (m**OVERLAP_P + c**OVERLAP_P) ** (1.0 / OVERLAP_P)
    return out


def attention_flops_per_s(model: ModelSpec, c: ServingCandidates) -> FloatArray:
    """FLOP/s attention's matmuls (QK^T, AV) run at, before the compute fraction: the
    attention peak x ``attention_fraction`` (flash-attention kernels reach less of the peak
    than GEMMs: softmax and rescaling between the two matmuls) x the share of a systolic
    array they fill. QK^T contracts over the head dimension and AV outputs it, so on an
    array wider than the head (TPU v6e: 256, head_dim 128) only head_dim / width of it
    works; MLA's heads are qk_nope + qk_rope wide (``perf/data/matrix_units.yaml``)."""
    head = model.mla.qk_nope_head_dim + model.mla.qk_rope_head_dim if model.mla else model.head_dim
    width = np.asarray(c.matrix_unit_width, dtype=np.float64)
    fill = np.where(width > 0, np.minimum(1.0, head / np.maximum(width, 1.0)), 1.0)
    out: FloatArray = c.attention_peak_tflops * TERA * c.efficiency["attention_fraction"] * fill
    return out


def gemm_rows_efficiency(rows: npt.ArrayLike, c: ServingCandidates) -> FloatArray:
    """Share of the achievable GEMM rate at ``rows`` rows (tokens): rows / (rows + half).

    Tensor-core GEMMs are tiled over rows (64-256 per tile on Hopper/CDNA3): few rows leave
    tiles and waves partly empty; ``gemm_half_rows`` is the row count at half efficiency.
    """
    r = np.maximum(np.asarray(rows, dtype=np.float64), 1e-9)
    out: FloatArray = r / (r + c.efficiency["gemm_half_rows"])
    return out


class StepModel:
    """Prefill and decode-step times of every candidate for one model and request shape."""

    def __init__(
        self,
        model: ModelSpec,
        terms: ModelTerms,
        c: ServingCandidates,
        weights_per_chip: FloatArray,
        *,
        input_len: float,
        output_len: float,
        output_len_scv: float,
        spec: SpecDecode | None = None,
        beams: float = 1.0,
    ) -> None:
        e = c.efficiency
        self.c, self.terms, self.spec, self.beams = c, terms, spec, beams
        self.chips = c.tp * c.pp
        self.bw = c.hbm_tbps * TERA
        self.flops = c.peak_tflops * TERA
        self.padded = e["kv_read_padded"] > 0.5
        # expert-parallel MoE layers reach ep_moe_fraction of the dense layers' efficiency
        self.ep_moe = np.where((c.ep > 1) & (terms.n_experts > 0), e["ep_moe_fraction"], 1.0)
        self.kv_share = kv_share(terms, c)
        l_in, l_out = float(input_len), float(output_len)
        # prefill of one prompt
        # static shapes: buckets of the compiled longest sequence (the model's max_seq_len)
        self.max_tokens = float(model.max_seq_len)
        self.pf_tokens = np.where(self.padded, bucket(l_in, self.max_tokens), l_in)
        per_token = forward_flops_per_token(model, round(l_in), causal=True)
        attn = per_token.attention_scores * self.pf_tokens / max(l_in, 1.0)
        # a backend that runs MoE layers densely once the routed load reaches its threshold
        # (NxD: every token through every expert) does the unrouted experts' FLOPs too
        self.dense_moe_at = e.get("moe_all_experts_load", 0.0 * c.tp)
        mm = (
            per_token.total
            - per_token.attention_scores
            - per_token.head
            + np.where(self.dense_moe(self.pf_tokens), self.unrouted_expert_flops_per_token, 0.0)
        )
        self.attention_flops_per_s = attention_flops_per_s(model, c)
        pf_per_token = mm / self.flops + attn / self.attention_flops_per_s
        self.pf_compute_at_peak = (self.pf_tokens * pf_per_token + per_token.head / self.flops) / (
            c.tp * e["compute_fraction"]
        )
        # the routed experts' share of it: their GEMMs run at the rows each expert receives
        routed = np.where(self.dense_moe(self.pf_tokens), 0.0, self.routed_expert_flops_per_token)
        self.pf_routed_at_peak = (
            self.pf_tokens * routed / self.flops / (c.tp * e["compute_fraction"] * self.ep_moe)
        )
        self.pf_comm = self.layers_comm_s(self.pf_tokens)
        self.pf_weights = weights_per_chip / (self.bw * e["hbm_bw_fraction"])
        # decode: mean cached context of a running sequence (length-biased)
        self.ctx_plain = l_in + (1.0 + output_len_scv) * max(l_out - 1.0, 0.0) / 2.0
        self.ctx_mean = np.where(
            self.padded,
            mean_bucket(l_in, l_in + max(l_out - 1.0, 0.0), self.max_tokens),
            self.ctx_plain,
        )
        self.kv_bytes_ctx = kv_cache_bytes_per_token(model, 1.0, max(round(self.ctx_plain), 1))
        dec = forward_flops_per_token(model, max(round(self.ctx_plain), 1))
        self.dec_time_token = (dec.total - dec.attention_scores) / self.flops
        self.head_time_token = dec.head / self.flops
        self.dec_routed_time_token = self.routed_expert_flops_per_token / self.flops
        # decode attention is one memory-bound kernel per layer: it streams the KV cache and
        # does its QK^T / AV FLOPs on the fly (FlashDecoding); its time is the larger of the two
        # (MLA: in the latent space, weights absorbed; decode_attention_score_flops)
        scores = decode_attention_score_flops(model, max(round(self.ctx_plain), 1))
        self.attn_time_token = scores / self.attention_flops_per_s
        self.draft_terms = (
            ModelTerms.from_spec(spec.draft) if spec and spec.draft is not None else None
        )
        self.draft_flops_token = (
            forward_flops_per_token(spec.draft, max(round(self.ctx_plain), 1)).total
            if spec and spec.draft is not None
            else 0.0
        )

    @property
    def routed_expert_flops_per_token(self) -> float:
        """FLOPs per token of the routed experts a token goes through (2 per weight)."""
        t = self.terms
        return 2.0 * t.expert_params * t.top_k / t.n_experts if t.n_experts else 0.0

    def expert_rows(self, rows: npt.ArrayLike) -> FloatArray:
        """Rows of each touched expert's GEMM when ``rows`` tokens are routed together: the
        rows x top_k routed rows spread over the experts that receive any (uniform routing:
        experts x (1 - (1 - top_k / experts)^rows)), so one token makes top_k GEMMs of one row
        and a large batch rows x top_k / experts rows each (expert parallelism gathers every
        rank's tokens for its experts)."""
        t = self.terms
        r = np.maximum(np.asarray(rows, dtype=np.float64), 1e-9)
        if not t.n_experts:
            return r
        touched = t.n_experts * (1.0 - (1.0 - t.top_k / t.n_experts) ** r)
        out: FloatArray = r * t.top_k / np.maximum(touched, 1e-9)
        return out

    @property
    def unrouted_expert_flops_per_token(self) -> float:
        """FLOPs per token of the experts a token is not routed to (2 per weight)."""
        t = self.terms
        return 2.0 * t.expert_params * (1.0 - t.top_k / t.n_experts) if t.n_experts else 0.0

    def dense_moe(self, tokens: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether ``tokens`` routed together run every expert on every token: the routed
        load tokens x top_k / experts reaches the backend's threshold (0: never)."""
        t = self.terms
        load = np.asarray(tokens, dtype=np.float64) * t.top_k / max(t.n_experts, 1)
        out: npt.NDArray[np.bool_] = (
            (self.dense_moe_at > 0.0) & (load >= self.dense_moe_at) & (t.n_experts > 0)
        )
        return out

    def allreduce_s(self, nbytes: npt.ArrayLike) -> FloatArray:
        """One TP all-reduce: steps x alpha + ring bandwidth term (``perf.comm``)."""
        c, e = self.c, self.c.efficiency
        bandwidth = comm.ring_allreduce_time_s(
            nbytes, c.tp, c.tp_link_gbytes_per_s * e["collective_bw_fraction"], 0.0
        )
        out: FloatArray = bandwidth + c.allreduce_steps * e["collective_latency_s"]
        return out

    def layers_comm_s(self, rows: npt.ArrayLike) -> FloatArray:
        """Collectives of ``rows`` tokens through every layer: two TP all-reduces per layer
        (after attention and after the MLP); an expert-parallel MoE layer exchanges its tokens
        by a dispatch and a combine all-to-all instead of the MLP's all-reduce, and
        data-parallel attention needs no all-reduce at all."""
        c, e, terms = self.c, self.c.efficiency, self.terms
        act = np.asarray(rows, dtype=np.float64) * terms.d_model * ACTIVATION_BYTES
        moe_ep = (c.ep > 1) & (terms.n_experts > 0)
        reduces = np.where(dp_attention(terms, c), 0.0, np.where(moe_ep, 1.0, 2.0))
        t_ar = reduces * terms.n_layers * self.allreduce_s(act)
        moe_layers = terms.n_layers if terms.n_experts else 0
        t_a2a = np.where(moe_ep, 2.0 / self.ep_moe, 0.0) * (
            moe_layers
            * comm.alltoall_time_s(
                act * max(terms.top_k, 1) / c.ep,  # each rank dispatches its share of tokens
                c.ep,
                c.tp_link_gbytes_per_s * e["collective_bw_fraction"],
                e["collective_latency_s"],
            )
        )
        out: FloatArray = t_ar + t_a2a
        return out

    # ---------------------------------------------------------------- prefill

    def prefill(
        self, b: FloatArray, batched: npt.ArrayLike = 0.0, *, static: bool = False
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(latency, busy time, compute time) of one prefill at concurrency b.

        Continuous batching runs the prefill inside an iteration whose GEMMs also carry the
        b / pp decode rows of the stage and the ``batched`` other prompts dispatched with it;
        a static batch prefills b prompts together.
        """
        c = self.c
        rows = (
            b * self.pf_tokens
            if static
            else b / c.pp + (1.0 + np.asarray(batched)) * (self.pf_tokens)
        )
        compute = (self.pf_compute_at_peak - self.pf_routed_at_peak) / gemm_rows_efficiency(
            rows, c
        ) + self.pf_routed_at_peak / gemm_rows_efficiency(self.expert_rows(rows), c)
        overhead = c.efficiency["step_overhead_s"]
        latency = np.maximum(compute, self.pf_weights) + self.pf_comm + overhead
        return latency, (compute + self.pf_comm) / c.pp, compute

    def static_prefill(self, b: FloatArray) -> FloatArray:
        """Time to prefill a static batch of b prompts (pipelined over pp stages)."""
        c = self.c
        compute = self.prefill(b, static=True)[2]
        out: FloatArray = (
            b * compute / c.pp
            + compute * (1.0 - 1.0 / c.pp)
            + b * self.pf_comm
            + np.maximum(self.pf_weights - b * compute, 0.0)
            + c.efficiency["step_overhead_s"]
        )
        return out

    # ---------------------------------------------------------------- decode

    def decode(
        self, b_total: FloatArray, ctx: npt.ArrayLike | None = None
    ) -> dict[str, FloatArray]:
        """Decode step at batch ``b_total`` reading ``ctx`` cached tokens per sequence (default:
        the mean running context), per generated token: parts that sum to ``total``."""
        c, e, terms = self.c, self.c.efficiency, self.terms
        context = self.ctx_mean if ctx is None else np.asarray(ctx, dtype=np.float64)
        spec = self.spec
        # rows per request in the target pass: drafted positions x beam-search hypotheses
        positions = (1.0 + (spec.tokens if spec else 0)) * self.beams
        # a static-shape runtime compiled for a decode batch runs all its slots every step,
        # busy or not (its GEMM rows and KV buckets are fixed at compile time)
        b_total = np.where(
            self.padded & (e["compiled_batch"] > 0.0),
            np.maximum(b_total, e["compiled_batch"]),
            b_total,
        )
        b = b_total / c.pp
        rows = b * positions
        touched = 1.0 - (1.0 - terms.top_k / terms.n_experts) ** rows if terms.n_experts else 0.0
        dense = self.dense_moe(rows)
        touched = np.where(dense, 1.0, touched)
        # the pipeline runs at its slowest stage: the last one, which holds the LM head too
        # (in 16 bit) besides its 1/pp of the blocks (Megatron-LM / TensorRT-LLM pipeline
        # split: the head on the last rank); with pp = 1 this is the whole model per chip
        w_bytes = (
            terms.block_params * c.weight_bytes_per_param
            + terms.expert_params * c.weight_bytes_per_param * touched / self.ep_moe
        ) / self.chips + terms.head_read_params * 2.0 / c.tp
        dp_attn = dp_attention(terms, c)
        # data-parallel attention: each rank streams the whole attention of its stage
        w_bytes = w_bytes + np.where(
            dp_attn,
            terms.attention_params * c.weight_bytes_per_param * (1.0 / c.pp - 1.0 / self.chips),
            0.0,
        )
        t_w = w_bytes / (self.bw * e["hbm_bw_fraction"])
        token_time = (
            self.dec_time_token
            + (c.pp - 1.0) * self.head_time_token  # the last stage's LM head (above)
            + np.where(dense, self.unrouted_expert_flops_per_token / self.flops, 0.0)
        )
        routed = np.where(dense, 0.0, self.dec_routed_time_token)
        t_c = (
            rows
            * (
                (token_time - routed) / gemm_rows_efficiency(rows, c)
                + routed / gemm_rows_efficiency(self.expert_rows(rows), c) / self.ep_moe
            )
            / (self.chips * e["compute_fraction"])
        )
        t_kv = b * self.beams * context * self.kv_bytes_ctx * c.kv_bytes_per_element * self.kv_share
        t_kv = np.maximum(
            t_kv / (self.bw * e["kv_bw_fraction"]),
            rows
            * self.attn_time_token
            * context
            / self.ctx_plain
            / (self.chips * e["compute_fraction"]),
        )
        act = rows * terms.d_model * ACTIVATION_BYTES
        p2p = (c.pp - 1.0) * comm.p2p_time_s(act, c.tp_link_gbytes_per_s, e["collective_latency_s"])
        # weight streaming and GEMM math overlap imperfectly near the ridge point (OVERLAP_P)
        both = overlapped_s(t_w, t_c)
        weights_part = np.where(t_w >= t_c, both, 0.0) * c.pp
        compute_part = np.where(t_w >= t_c, 0.0, both) * c.pp
        overhead = e["step_overhead_s"] + self.host_s(b_total)
        draft = self.draft_s(b) * c.pp if spec else 0.0 * b
        parts = {
            "weights": weights_part,
            "compute": compute_part,
            "kv": t_kv * c.pp,
            "comm": self.layers_comm_s(rows) + p2p,  # every stage's layers
            "overhead": overhead,
            "draft": draft,
        }
        per_token = spec.tokens_per_step if spec else 1.0
        parts = {k: np.asarray(v / per_token, dtype=np.float64) for k, v in parts.items()}
        parts["total"] = sum(parts.values(), np.zeros(np.shape(b)))
        return parts

    def host_s(self, b_total: npt.ArrayLike) -> FloatArray:
        """Engine host work that grows with the running sequences and is not overlapped with
        the chips: a Python engine's scheduler, input preparation and per-request output
        bookkeeping touch every running sequence each iteration (vLLM ``Scheduler.schedule``
        / ``update_from_output``); multi-step scheduling (vLLM V0 ``--num-scheduler-steps``)
        pays it once per ``scheduler_steps`` decode iterations. Under data-parallel attention
        every ep rank runs its own engine loop over its own sequences, side by side."""
        c, e = self.c, self.c.efficiency
        ranks = np.where(dp_attention(self.terms, c), c.ep, 1.0)
        out: FloatArray = (
            e["host_s_per_sequence"]
            * np.asarray(b_total, dtype=np.float64)
            / (e["scheduler_steps"] * ranks)
        )
        return out

    def draft_s(self, b: FloatArray) -> FloatArray:
        """Time of drafting ``spec.tokens`` tokens for b sequences on one stage (memory-bound
        reads of the draft weights, or its FLOPs; EAGLE / Medusa: one decoder layer of the
        target and its LM head per draft token, Li et al. 2024, Cai et al. 2024)."""
        c, e, spec, terms = self.c, self.c.efficiency, self.spec, self.terms
        assert spec is not None
        if self.draft_terms is not None:
            d = self.draft_terms
            params = d.block_params + d.expert_params + d.head_read_params
            flops = self.draft_flops_token
        else:
            params = terms.block_params / terms.n_layers + terms.head_read_params
            flops = 2.0 * params
        t_w = params * c.weight_bytes_per_param / self.chips / (self.bw * e["hbm_bw_fraction"])
        t_c = (
            b
            * flops
            / (self.chips * self.flops * e["compute_fraction"] * gemm_rows_efficiency(b, c))
        )
        # a draft model runs its own engine iterations; heads are fused into the target's
        launches = e["step_overhead_s"] if self.draft_terms is not None else 0.0
        out: FloatArray = spec.tokens * (np.maximum(t_w, t_c) + launches)
        return out


def draft_weight_bytes(spec: SpecDecode | None, terms: ModelTerms) -> float:
    """Weights a replica holds for drafting, in 16 bit: the draft model, or one decoder layer
    of the target (EAGLE head; Medusa's k residual heads are smaller)."""
    if spec is None:
        return 0.0
    if spec.draft is not None:
        d = ModelTerms.from_spec(spec.draft)
        return (d.block_params + d.expert_params + d.other_params) * 2.0
    return terms.block_params / terms.n_layers * 2.0
