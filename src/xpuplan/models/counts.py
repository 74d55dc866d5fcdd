"""Exact parameter, FLOP and KV-cache counts of a :class:`~xpuplan.models.spec.ModelSpec`.

Conventions (every estimator in xpuplan relies on them):

* **Parameters** are counted weight by weight as the HF reference implementations hold them:
  embedding table, learned position table, attention projections (+ biases, attention sinks),
  dense MLPs, routed experts, shared experts, routers, norms (LayerNorm weight + bias, RMSNorm
  weight; q/k norms; MLA's latent norms) and the untied LM head (0 when tied). ``active`` is
  the count a token touches: routed experts scaled by ``top_k / n_routed_experts``, everything
  else in full (the convention of Mixtral's "12.9B active" and DeepSeek-V3's "37B activated").
* **FLOPs** are model FLOPs of the matrix multiplications, a multiply-add = 2 FLOPs
  (Kaplan et al. 2020, table 1). Embedding lookups, norms, activations, softmax, biases and
  residual adds cost nothing. Per token and layer the forward pass costs 2 x (weights of the
  layer's matmuls that the token uses) plus the attention scores
  ``2 * 2 * s_eff * n_heads * head_dim`` (QK^T and AV), with ``s_eff = seq_len`` (the
  non-causal PaLM / Megatron model-FLOPs convention: Chowdhery et al. 2022, appendix B;
  Narayanan et al. 2021, eq. 3) or the mean number of keys a query attends when
  ``causal=True`` (``seq_len / 2``). Sliding-window layers use ``min(seq_len, window)``
  (non-causal) or the exact causal mean ``w - w**2 / (2 s)`` for ``s > w``. MLA uses
  ``qk_nope_head_dim + qk_rope_head_dim`` for QK^T and ``v_head_dim`` for AV (DeepSeek-V2,
  section 2.1; no weight absorption: the prompt's form). A decode step reads the cached
  latents directly (:func:`decode_attention_score_flops`). The LM head costs
  ``2 * d_model * vocab`` per token.
  Training = 3 x forward (backward = 2 x forward, Kaplan et al. 2020 section 2.1), without
  activation recomputation (that is hardware FLOPs, the estimators add it).
* **KV cache** per token: ``2 * n_kv_heads * head_dim`` elements per layer (K and V); MLA
  caches one latent ``kv_lora_rank + qk_rope_head_dim`` per layer (DeepSeek-V2 section 2.1.2).
  Sliding-window layers keep at most ``window`` tokens: with ``context_len`` given the result
  is the average over a context of that length; without it every layer keeps every token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from xpuplan.models.spec import ModelSpec

__all__ = [
    "TRAINING_TO_FORWARD",
    "FlopBreakdown",
    "ParamBreakdown",
    "attended_tokens",
    "attention_params_per_layer",
    "count_params",
    "decode_attention_score_flops",
    "forward_flops_per_token",
    "kv_cache_bytes_per_token",
    "kv_cache_elements_per_token_per_layer",
    "layer_params",
    "matmul_params_per_layer",
    "n_moe_layers",
    "training_flops_per_token",
]


@dataclass(frozen=True)
class ParamBreakdown:
    """Parameter counts per component; ``total`` is their sum."""

    embedding: int
    position: int
    attention: int
    mlp: int
    experts: int
    shared_experts: int
    router: int
    norms: int
    head: int  # untied LM head; 0 when tied to the embedding
    total: int
    active: int  # touched per token: routed experts scaled by top_k / n_routed_experts

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class FlopBreakdown:
    """Forward FLOPs per token (multiply-add = 2 FLOPs); ``total`` is the sum of the parts."""

    attention_proj: float  # q, k, v, o projections (MLA: its low-rank projections)
    attention_scores: float  # QK^T and AV over the context
    mlp: float  # dense MLP + active routed experts + shared experts
    router: float
    head: float  # LM head logits
    total: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


# ---------------------------------------------------------------- per-layer pieces


def n_moe_layers(spec: ModelSpec) -> int:
    """Layers whose feed-forward is a mixture of experts."""
    return 0 if spec.moe is None else spec.n_layers - spec.moe.n_dense_layers


def _dense_ffn_dim(spec: ModelSpec) -> int:
    if spec.moe is not None and spec.moe.dense_ffn_dim:
        return spec.moe.dense_ffn_dim
    return spec.ffn_dim


def _mlp_matrices(spec: ModelSpec) -> int:
    # SwiGLU/GeGLU: gate, up, down (Shazeer 2020); plain MLP: up, down.
    return 3 if spec.gated_mlp else 2


def _ffn_weights(spec: ModelSpec, ffn_dim: int) -> int:
    return _mlp_matrices(spec) * spec.d_model * ffn_dim


def _ffn_biases(spec: ModelSpec, ffn_dim: int) -> int:
    if not spec.mlp_bias:
        return 0
    return (_mlp_matrices(spec) - 1) * ffn_dim + spec.d_model


def _attention_weights(spec: ModelSpec) -> int:
    """Matmul weights of one attention block."""
    d = spec.d_model
    if spec.mla is not None:
        m = spec.mla
        qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q = d * m.q_lora_rank + m.q_lora_rank * spec.n_heads * qk_dim
        else:
            q = d * spec.n_heads * qk_dim
        kv_a = d * (m.kv_lora_rank + m.qk_rope_head_dim)
        kv_b = m.kv_lora_rank * spec.n_heads * (m.qk_nope_head_dim + m.v_head_dim)
        o = spec.n_heads * m.v_head_dim * d
        return q + kv_a + kv_b + o
    q_and_o = 2 * d * spec.n_heads * spec.head_dim
    k_and_v = 2 * d * spec.n_kv_heads * spec.head_dim
    return q_and_o + k_and_v


def attention_params_per_layer(spec: ModelSpec) -> int:
    """Weights, biases and sinks of one attention block (its norms are counted in ``norms``)."""
    params = _attention_weights(spec)
    if spec.qkv_bias:
        if spec.mla is not None:
            m = spec.mla
            params += spec.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim)
        else:
            params += (spec.n_heads + 2 * spec.n_kv_heads) * spec.head_dim
    if spec.attn_out_bias:
        params += spec.d_model
    if spec.attention_sinks:
        params += spec.n_heads
    return params


def _norm_size(spec: ModelSpec, width: int) -> int:
    has_bias = spec.norm == "layernorm" if spec.norm_bias is None else spec.norm_bias
    return 2 * width if has_bias else width


def _norms_per_layer(spec: ModelSpec) -> int:
    """Norm parameters inside one layer (block norms, q/k norms, MLA latent norms)."""
    count = spec.norms_per_layer
    if count is None:
        count = 1 if spec.parallel_attn_mlp else 2
    params = count * _norm_size(spec, spec.d_model)
    if spec.qk_norm:
        if spec.qk_norm_per_head:
            params += 2 * _norm_size(spec, spec.head_dim)
        else:
            params += _norm_size(spec, spec.n_heads * spec.head_dim)
            params += _norm_size(spec, spec.n_kv_heads * spec.head_dim)
    if spec.mla is not None:
        params += _norm_size(spec, spec.mla.kv_lora_rank)
        if spec.mla.q_lora_rank:
            params += _norm_size(spec, spec.mla.q_lora_rank)
    return params


def _router_params(spec: ModelSpec) -> int:
    if spec.moe is None:
        return 0
    moe = spec.moe
    params = spec.d_model * moe.n_routed_experts
    if moe.router_bias:
        params += moe.n_routed_experts
    if moe.shared_expert_gate and moe.n_shared_experts:
        params += spec.d_model * moe.n_shared_experts
    return params


def _shared_ffn_dim(spec: ModelSpec) -> int:
    assert spec.moe is not None
    return spec.moe.shared_expert_ffn_dim or spec.moe.expert_ffn_dim


def layer_params(spec: ModelSpec) -> tuple[int, ...]:
    """Parameters of each of the ``n_layers`` layers (all experts included), in order.

    Pipeline stages and per-device weight memory can be sized from this tuple; embedding,
    position table, final norm and head are not in it (see :func:`count_params`).
    """
    attention = attention_params_per_layer(spec) + _norms_per_layer(spec)
    dense_ffn = _dense_ffn_dim(spec)
    dense = attention + _ffn_weights(spec, dense_ffn) + _ffn_biases(spec, dense_ffn)
    if spec.moe is None:
        return (dense,) * spec.n_layers
    moe = spec.moe
    experts = moe.n_routed_experts * (
        _ffn_weights(spec, moe.expert_ffn_dim) + _ffn_biases(spec, moe.expert_ffn_dim)
    )
    shared = moe.n_shared_experts * (
        _ffn_weights(spec, _shared_ffn_dim(spec)) + _ffn_biases(spec, _shared_ffn_dim(spec))
    )
    sparse = attention + experts + shared + _router_params(spec)
    return (dense,) * moe.n_dense_layers + (sparse,) * n_moe_layers(spec)


def matmul_params_per_layer(spec: ModelSpec) -> tuple[float, float]:
    """Mean (all, active) matmul weights per layer: the weights a forward pass reads per token.

    ``all`` counts every expert, ``active`` only the ``top_k`` routed plus the shared experts
    (dense layers are averaged in). Biases and norms are left out (they are not matmuls).
    """
    attention = _attention_weights(spec)
    dense_layers = spec.n_layers - n_moe_layers(spec)
    dense = dense_layers * _ffn_weights(spec, _dense_ffn_dim(spec))
    all_ffn = float(dense)
    active_ffn = float(dense)
    if spec.moe is not None:
        moe = spec.moe
        expert = _ffn_weights(spec, moe.expert_ffn_dim)
        shared = moe.n_shared_experts * _ffn_weights(spec, _shared_ffn_dim(spec))
        router = spec.d_model * moe.n_routed_experts
        if moe.shared_expert_gate:
            router += spec.d_model * moe.n_shared_experts
        layers = n_moe_layers(spec)
        all_ffn += layers * (moe.n_routed_experts * expert + shared + router)
        active_ffn += layers * (moe.top_k * expert + shared + router)
    n = spec.n_layers
    return attention + all_ffn / n, attention + active_ffn / n


# ---------------------------------------------------------------- parameters


def count_params(spec: ModelSpec) -> ParamBreakdown:
    """Exact parameter count of ``spec``, itemized by component."""
    d = spec.d_model
    n_moe = n_moe_layers(spec)
    n_dense = spec.n_layers - n_moe
    embedding = spec.vocab_size * d
    position = spec.max_seq_len * d if spec.learned_pos_emb else 0
    attention = spec.n_layers * attention_params_per_layer(spec)
    dense_ffn = _dense_ffn_dim(spec)
    mlp = n_dense * (_ffn_weights(spec, dense_ffn) + _ffn_biases(spec, dense_ffn))
    experts = shared_experts = router = 0
    active_experts = 0.0
    if spec.moe is not None:
        moe = spec.moe
        per_expert = _ffn_weights(spec, moe.expert_ffn_dim) + _ffn_biases(spec, moe.expert_ffn_dim)
        experts = n_moe * moe.n_routed_experts * per_expert
        active_experts = n_moe * moe.top_k * per_expert
        shared_ffn = _shared_ffn_dim(spec)
        shared_experts = (
            n_moe
            * moe.n_shared_experts
            * (_ffn_weights(spec, shared_ffn) + _ffn_biases(spec, shared_ffn))
        )
        router = n_moe * _router_params(spec)
    norms = spec.n_layers * _norms_per_layer(spec) + _norm_size(spec, d)  # + final norm
    head = 0 if spec.tied_embeddings else spec.vocab_size * d
    total = (
        embedding + position + attention + mlp + experts + shared_experts + router + norms + head
    )
    active = total - experts + round(active_experts)
    return ParamBreakdown(
        embedding=embedding,
        position=position,
        attention=attention,
        mlp=mlp,
        experts=experts,
        shared_experts=shared_experts,
        router=router,
        norms=norms,
        head=head,
        total=total,
        active=active,
    )


# ---------------------------------------------------------------- FLOPs


def _mean_keys(seq_len: float, window: float | None, causal: bool) -> float:
    """Mean number of keys a query attends to in a sequence of ``seq_len`` tokens."""
    if window is None or window >= seq_len:
        return seq_len / 2 if causal else float(seq_len)
    if not causal:
        return float(window)
    # Causal with window w < s: query i sees min(i, w) keys; the mean over i = 1..s is
    # w - w^2 / (2 s) (continuous with s / 2 at s = w).
    return window - window * window / (2 * seq_len)


def attended_tokens(spec: ModelSpec, seq_len: int, *, causal: bool = False) -> float:
    """Keys attended per query, summed over the layers (sliding-window layers capped)."""
    n_local = spec.n_local_layers
    n_global = spec.n_layers - n_local
    full = _mean_keys(seq_len, None, causal)
    local = _mean_keys(seq_len, spec.sliding_window, causal) if n_local else 0.0
    return n_global * full + n_local * local


def decode_attention_score_flops(spec: ModelSpec, seq_len: int) -> float:
    """QK^T and AV FLOPs of one decoded token attending ``seq_len`` cached tokens.

    Grouped-query models: the forward pass's ``attention_scores``. MLA: decode runs in the
    latent space with W_UK absorbed into the query and W_UV into the output projection
    (DeepSeek-V2, Liu et al. 2024, section 2.1.2), so every head scores against the cached
    latent ``kv_lora_rank + qk_rope_head_dim`` wide and mixes the ``kv_lora_rank``-wide values:
    ``2 * n_heads * (2 * kv_lora_rank + qk_rope_head_dim)`` per attended token and layer (the
    576-wide QK and 512-wide AV of DeepSeek's FlashMLA decode kernel), 3.4x the prompt's form
    for DeepSeek-V3. The absorbed projections cost what the non-absorbed up-projection of the
    new token costs, so only the scores change."""
    if spec.mla is None:
        return forward_flops_per_token(spec, seq_len).attention_scores
    width = spec.n_heads * (2 * spec.mla.kv_lora_rank + spec.mla.qk_rope_head_dim)
    return 2.0 * width * attended_tokens(spec, seq_len)


def forward_flops_per_token(
    spec: ModelSpec, seq_len: int, *, causal: bool = False
) -> FlopBreakdown:
    """Forward FLOPs per token at context ``seq_len`` (conventions in the module docstring)."""
    if seq_len <= 0:
        raise ValueError(f"seq_len must be positive, got {seq_len}")
    d = spec.d_model
    attention_proj = 2.0 * spec.n_layers * _attention_weights(spec)
    if spec.mla is not None:
        qk_dim = spec.mla.qk_nope_head_dim + spec.mla.qk_rope_head_dim
        score_width = spec.n_heads * (qk_dim + spec.mla.v_head_dim)
    else:
        score_width = 2 * spec.n_heads * spec.head_dim
    # 2 FLOPs per multiply-add over QK^T (qk width) and AV (v width), per attended key.
    attention_scores = 2.0 * score_width * attended_tokens(spec, seq_len, causal=causal)
    n_moe = n_moe_layers(spec)
    mlp = 2.0 * (spec.n_layers - n_moe) * _ffn_weights(spec, _dense_ffn_dim(spec))
    router = 0.0
    if spec.moe is not None:
        moe = spec.moe
        active = moe.top_k * _ffn_weights(spec, moe.expert_ffn_dim)
        active += moe.n_shared_experts * _ffn_weights(spec, _shared_ffn_dim(spec))
        mlp += 2.0 * n_moe * active
        gates = moe.n_routed_experts + (moe.n_shared_experts if moe.shared_expert_gate else 0)
        router = 2.0 * n_moe * d * gates
    head = 2.0 * d * spec.vocab_size
    total = attention_proj + attention_scores + mlp + router + head
    return FlopBreakdown(
        attention_proj=attention_proj,
        attention_scores=attention_scores,
        mlp=mlp,
        router=router,
        head=head,
        total=total,
    )


# Backward costs twice the forward (grads w.r.t. activations and weights): Kaplan et al. 2020,
# section 2.1; Narayanan et al. 2021, section 5.1.
TRAINING_TO_FORWARD = 3.0


def training_flops_per_token(spec: ModelSpec, seq_len: int, *, causal: bool = False) -> float:
    """Model FLOPs per trained token: 3 x forward, no activation recomputation."""
    return TRAINING_TO_FORWARD * forward_flops_per_token(spec, seq_len, causal=causal).total


# ---------------------------------------------------------------- KV cache


def kv_cache_elements_per_token_per_layer(spec: ModelSpec) -> int:
    """Cached elements per token in one layer: K and V heads, or MLA's one latent."""
    if spec.mla is not None:
        return spec.mla.kv_lora_rank + spec.mla.qk_rope_head_dim
    return 2 * spec.n_kv_heads * spec.head_dim


def kv_cache_bytes_per_token(
    spec: ModelSpec, bytes_per_element: float, context_len: int | None = None
) -> float:
    """KV-cache bytes per token; with ``context_len``, the mean over a context that long.

    Sliding-window layers hold at most ``window`` tokens, so over a context of ``c`` tokens
    each of them averages ``min(c, window) / c`` of a full layer's bytes per token.
    """
    if bytes_per_element <= 0:
        raise ValueError(f"bytes_per_element must be positive, got {bytes_per_element}")
    per_layer = kv_cache_elements_per_token_per_layer(spec) * bytes_per_element
    n_local = spec.n_local_layers
    n_global = spec.n_layers - n_local
    if context_len is None or n_local == 0:
        return spec.n_layers * per_layer
    if context_len <= 0:
        raise ValueError(f"context_len must be positive, got {context_len}")
    assert spec.sliding_window is not None
    local_share = min(context_len, spec.sliding_window) / context_len
    return per_layer * (n_global + n_local * local_share)
