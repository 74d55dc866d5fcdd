"""Counts against published totals, hand counts and independent closed forms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.models.counts import (
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
    layer_params,
    matmul_params_per_layer,
    training_flops_per_token,
)
from xpuplan.models.spec import MLASpec, ModelSpec, MoESpec


def _llama(name: str, layers: int, d: int, heads: int, ffn: int) -> ModelSpec:
    # Llama 3.1 config.json values (meta-llama/Llama-3.1-{8B,70B,405B}): 8 KV heads, head_dim
    # 128, vocab 128256, untied embeddings, SwiGLU, RMSNorm.
    return ModelSpec(
        name=name,
        n_layers=layers,
        d_model=d,
        n_heads=heads,
        n_kv_heads=8,
        head_dim=128,
        ffn_dim=ffn,
        vocab_size=128256,
    )


LLAMA_31 = {
    "8b": _llama("llama-3.1-8b", 32, 4096, 32, 14336),
    "70b": _llama("llama-3.1-70b", 80, 8192, 64, 28672),
    "405b": _llama("llama-3.1-405b", 126, 16384, 128, 53248),
}


@pytest.mark.parametrize(
    ("size", "published"),
    [
        # Parameter counts shown on the Hugging Face model cards / safetensors index
        # (meta-llama/Llama-3.1-8B: 8.03B; -70B: 70.6B; -405B: 405.85B per Meta's
        # model card "Llama 3.1 405B: 405.85B parameters" in the safetensors metadata).
        ("8b", 8.03e9),
        ("70b", 70.55e9),
        ("405b", 405.85e9),
    ],
)
def test_llama31_totals_match_published(size: str, published: float) -> None:
    total = count_params(LLAMA_31[size]).total
    assert total == pytest.approx(published, rel=3e-3)


def test_llama31_8b_hand_count() -> None:
    # Hand count: embedding and head 128256*4096 each; per layer q,o 4096^2, k,v 1024*4096,
    # MLP 3*4096*14336, two RMSNorms; final norm.
    d, v, f = 4096, 128256, 14336
    per_layer = 2 * d * d + 2 * d * 1024 + 3 * d * f + 2 * d
    assert count_params(LLAMA_31["8b"]).total == 2 * v * d + 32 * per_layer + d


def test_llama31_kv_cache_bytes() -> None:
    # 2 (K,V) * 8 heads * 128 * layers * 2 bytes (bf16)
    assert kv_cache_bytes_per_token(LLAMA_31["8b"], 2) == 2 * 8 * 128 * 32 * 2
    assert kv_cache_bytes_per_token(LLAMA_31["70b"], 2) == 2 * 8 * 128 * 80 * 2
    assert kv_cache_bytes_per_token(LLAMA_31["405b"], 1) == 2 * 8 * 128 * 126


def _gpt(layers: int, d: int, vocab: int, seq: int) -> ModelSpec:
    """Megatron-style GPT: MHA, 4h GELU MLP, biases, LayerNorm, learned positions, tied."""
    return ModelSpec(
        name="gpt",
        n_layers=layers,
        d_model=d,
        n_heads=d // 128,
        n_kv_heads=d // 128,
        head_dim=128,
        ffn_dim=4 * d,
        vocab_size=vocab,
        max_seq_len=seq,
        gated_mlp=False,
        tied_embeddings=True,
        qkv_bias=True,
        attn_out_bias=True,
        mlp_bias=True,
        norm="layernorm",
        learned_pos_emb=True,
    )


@pytest.mark.parametrize(
    ("layers", "d", "vocab", "seq"),
    [(96, 12288, 51200, 2048), (24, 2048, 131072, 4096), (40, 5120, 50368, 8192)],
)
def test_training_flops_match_megatron_closed_form(
    layers: int, d: int, vocab: int, seq: int
) -> None:
    # Narayanan et al. 2021 eq. 3: F = 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) per iteration with
    # full recomputation (4 forward passes per layer, 3 for the logits). Without recompute the
    # layer part is 3/4 of that: 72 B s l h^2 (1 + s/(6h)) and the logits stay 6 B s h V,
    # i.e. 72 B s l h^2 (1 + s/(6h) + V/(12 l h)). Per token divide by B s.
    spec = _gpt(layers, d, vocab, seq)
    megatron = 72 * layers * d**2 * (1 + seq / (6 * d) + vocab / (12 * layers * d))
    assert training_flops_per_token(spec, seq) == pytest.approx(megatron, rel=1e-12)


@pytest.mark.parametrize(("layers", "d", "seq"), [(96, 12288, 2048), (32, 4096, 4096)])
def test_training_flops_match_6n_plus_attention(layers: int, d: int, seq: int) -> None:
    # PaLM appendix B (Chowdhery et al. 2022): 6N + 12 L H Q T per token, with N the matmul
    # parameters (embedding lookup and position table cost no FLOPs; the tied table is used
    # once as the LM head) and H*Q = d.
    spec = _gpt(layers, d, 50257, seq)
    p = count_params(spec)
    biases_and_norms = layers * (3 * d + d + 4 * d + d) + p.norms
    n_matmul = p.total - p.position - biases_and_norms
    assert training_flops_per_token(spec, seq) == pytest.approx(
        6 * n_matmul + 12 * layers * d * seq, rel=1e-12
    )


def test_causal_halves_attention_scores() -> None:
    spec = LLAMA_31["8b"]
    full = forward_flops_per_token(spec, 8192)
    causal = forward_flops_per_token(spec, 8192, causal=True)
    assert causal.attention_scores == pytest.approx(full.attention_scores / 2)
    # 2 * 2 * s * n_heads * head_dim per layer
    assert full.attention_scores == 4 * 8192 * 4096 * 32


def _mixtral_8x7b() -> ModelSpec:
    # mistralai/Mixtral-8x7B-v0.1 config.json
    return ModelSpec(
        name="mixtral-8x7b",
        n_layers=32,
        d_model=4096,
        n_heads=32,
        n_kv_heads=8,
        head_dim=128,
        ffn_dim=14336,
        vocab_size=32000,
        moe=MoESpec(n_routed_experts=8, top_k=2, expert_ffn_dim=14336),
    )


def test_mixtral_totals_and_active_hand_count() -> None:
    spec = _mixtral_8x7b()
    p = count_params(spec)
    # Mistral AI, "Mixtral of experts" (2024): 46.7B total, 12.9B active.
    assert p.total == pytest.approx(46.7e9, rel=5e-3)
    assert p.active == pytest.approx(12.9e9, rel=1e-2)
    # Hand count of the forward FLOPs per token at s = 4096 (non-causal):
    d, f, v, s = 4096, 14336, 32000, 4096
    attn = 2 * (2 * d * d + 2 * d * 1024)
    experts = 2 * 2 * 3 * d * f  # top-2 experts, 3 matrices each, 2 FLOPs per MAC
    router = 2 * d * 8
    scores = 4 * s * d
    per_layer = attn + experts + router + scores
    flops = forward_flops_per_token(spec, s)
    assert flops.total == 32 * per_layer + 2 * d * v
    assert flops.router == 32 * router


def test_sliding_window_kv_average_and_scores() -> None:
    spec = ModelSpec(
        name="local-global",
        n_layers=6,
        d_model=1024,
        n_heads=8,
        n_kv_heads=2,
        head_dim=128,
        ffn_dim=4096,
        vocab_size=1000,
        sliding_window=1024,
        n_global_layers=1,
    )
    per_layer = 2 * 2 * 128 * 2  # K and V, 2 heads, bf16
    # context 8192: the global layer keeps all, 5 local layers keep 1024 of 8192 tokens.
    assert kv_cache_bytes_per_token(spec, 2, 8192) == per_layer * (1 + 5 * 1024 / 8192)
    assert kv_cache_bytes_per_token(spec, 2) == 6 * per_layer
    assert kv_cache_bytes_per_token(spec, 2, 512) == 6 * per_layer
    flops = forward_flops_per_token(spec, 8192)
    assert flops.attention_scores == 4 * 1024 * (8192 + 5 * 1024)
    causal = forward_flops_per_token(spec, 8192, causal=True)
    # mean keys per query under a causal window w < s: w - w^2 / (2s)
    assert causal.attention_scores == 4 * 1024 * (4096 + 5 * (1024 - 1024**2 / (2 * 8192)))


def test_mla_kv_cache_and_scores() -> None:
    mla = MLASpec(
        q_lora_rank=1536,
        kv_lora_rank=512,
        qk_nope_head_dim=128,
        qk_rope_head_dim=64,
        v_head_dim=128,
    )
    spec = ModelSpec(
        name="mla",
        n_layers=4,
        d_model=7168,
        n_heads=128,
        n_kv_heads=128,
        head_dim=192,
        ffn_dim=18432,
        vocab_size=129280,
        mla=mla,
    )
    assert kv_cache_bytes_per_token(spec, 1) == 4 * (512 + 64)
    flops = forward_flops_per_token(spec, 1000)
    # layers * 2 FLOPs * keys * heads * (qk width 192 + v width 128)
    assert flops.attention_scores == 4 * 2 * 1000 * 128 * (192 + 128)
    # Hand count of the MLA projections of one layer.
    attn = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168
    assert flops.attention_proj == 2 * 4 * attn


@st.composite
def _specs(draw: st.DrawFn) -> ModelSpec:
    heads = draw(st.integers(1, 16))
    kv = draw(st.sampled_from([k for k in range(1, heads + 1) if heads % k == 0]))
    layers = draw(st.integers(1, 12))
    moe = None
    if draw(st.booleans()):
        experts = draw(st.integers(2, 16))
        moe = MoESpec(
            n_routed_experts=experts,
            top_k=draw(st.integers(1, experts)),
            expert_ffn_dim=draw(st.integers(1, 512)),
            n_shared_experts=draw(st.integers(0, 2)),
            shared_expert_ffn_dim=draw(st.integers(0, 512)),
            n_dense_layers=draw(st.integers(0, layers)),
            dense_ffn_dim=draw(st.integers(0, 512)),
            router_bias=draw(st.booleans()),
            shared_expert_gate=draw(st.booleans()),
        )
    mla = None
    if draw(st.booleans()):
        mla = MLASpec(
            q_lora_rank=draw(st.integers(0, 64)),
            kv_lora_rank=draw(st.integers(1, 64)),
            qk_nope_head_dim=draw(st.integers(1, 64)),
            qk_rope_head_dim=draw(st.integers(1, 32)),
            v_head_dim=draw(st.integers(1, 64)),
        )
    window = draw(st.one_of(st.none(), st.integers(1, 4096)))
    return ModelSpec(
        name="random",
        n_layers=layers,
        d_model=draw(st.integers(1, 1024)),
        n_heads=heads,
        n_kv_heads=kv,
        head_dim=draw(st.integers(1, 256)),
        ffn_dim=draw(st.integers(1, 4096)),
        vocab_size=draw(st.integers(1, 100_000)),
        max_seq_len=draw(st.integers(1, 8192)),
        gated_mlp=draw(st.booleans()),
        tied_embeddings=draw(st.booleans()),
        qkv_bias=draw(st.booleans()),
        attn_out_bias=draw(st.booleans()),
        mlp_bias=draw(st.booleans()),
        norm=draw(st.sampled_from(["rmsnorm", "layernorm"])),
        qk_norm=draw(st.booleans()),
        learned_pos_emb=draw(st.booleans()),
        parallel_attn_mlp=draw(st.booleans()),
        moe=moe,
        mla=mla,
        sliding_window=window,
        n_global_layers=None if window is None else draw(st.integers(0, layers)),
        attention_sinks=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(_specs(), st.integers(1, 32768), st.booleans())
def test_breakdowns_sum_to_totals(spec: ModelSpec, seq: int, causal: bool) -> None:
    p = count_params(spec)
    parts = p.as_dict()
    total, active = parts.pop("total"), parts.pop("active")
    assert sum(parts.values()) == total
    assert 0 < active <= total
    # Layers + embedding + position + head leave exactly the final norm (weight, maybe bias).
    final_norm = total - sum(layer_params(spec)) - p.embedding - p.position - p.head
    assert final_norm in (spec.d_model, 2 * spec.d_model)
    all_w, active_w = matmul_params_per_layer(spec)
    assert 0 < active_w <= all_w
    f = forward_flops_per_token(spec, seq, causal=causal)
    fd = f.as_dict()
    ftotal = fd.pop("total")
    assert sum(fd.values()) == pytest.approx(ftotal, rel=1e-12)
    assert f.attention_scores >= 0
    assert training_flops_per_token(spec, seq, causal=causal) == pytest.approx(3 * ftotal)
    assert kv_cache_bytes_per_token(spec, 2, seq) <= kv_cache_bytes_per_token(spec, 2)
    assert kv_cache_bytes_per_token(spec, 2, seq) > 0
