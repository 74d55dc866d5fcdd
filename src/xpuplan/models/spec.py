"""ModelSpec: the architecture of a decoder-only transformer, frozen and unit-free.

One description covers dense decoders, GQA/MQA, MoE (routed + shared experts, leading dense
layers), DeepSeek MLA, sliding-window / local-global attention, gated or plain MLPs, tied
embeddings and biases. Counting (parameters, FLOPs, KV cache) lives in ``counts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MLASpec", "MoESpec", "ModelSpec"]


@dataclass(frozen=True)
class MoESpec:
    """Mixture-of-experts feed-forward layers (Mixtral, Qwen-MoE, DeepSeek-V2/V3, gpt-oss)."""

    n_routed_experts: int
    top_k: int
    expert_ffn_dim: int
    n_shared_experts: int = 0
    shared_expert_ffn_dim: int = 0  # per shared expert; 0 means expert_ffn_dim
    n_dense_layers: int = 0  # leading layers with a dense MLP (DeepSeek first_k_dense_replace)
    dense_ffn_dim: int = 0  # ffn size of those dense layers; 0 means ModelSpec.ffn_dim
    router_bias: bool = False
    shared_expert_gate: bool = (
        False  # Qwen2-MoE: sigmoid gate (d_model weights) on the shared expert
    )


@dataclass(frozen=True)
class MLASpec:
    """DeepSeek multi-head latent attention (DeepSeek-V2 paper, section 2.1)."""

    q_lora_rank: int  # 0 means queries are projected directly (DeepSeek-V2-Lite)
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer. Dimensions are counts, never bytes."""

    name: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    ffn_dim: int  # intermediate size of the dense MLP
    vocab_size: int
    max_seq_len: int = 4096
    gated_mlp: bool = True  # SwiGLU/GeGLU: three matrices; plain GELU MLP: two
    tied_embeddings: bool = False
    qkv_bias: bool = False
    attn_out_bias: bool = False
    mlp_bias: bool = False
    norm: Literal["rmsnorm", "layernorm"] = "rmsnorm"
    qk_norm: bool = False  # per-head RMSNorm on q and k (Qwen3, OLMo2, Gemma3)
    learned_pos_emb: bool = False  # GPT-2/OPT-style absolute position table of max_seq_len rows
    parallel_attn_mlp: bool = False  # GPT-J/NeoX/Falcon parallel residual (one shared norm)
    moe: MoESpec | None = None
    mla: MLASpec | None = None
    sliding_window: int | None = None  # window in tokens of the local layers
    n_global_layers: int | None = None  # layers with full attention; None means all of them
    source: str = ""
    # Added by the model-architecture engineer (defaults keep the fields above meaning the same):
    norms_per_layer: int | None = None  # None: 1 when parallel_attn_mlp else 2 (Gemma2/3 have 4)
    norm_bias: bool | None = None  # None: LayerNorm has a bias, RMSNorm none (MPT: no bias)
    qk_norm_per_head: bool = True  # False: q/k norms span all heads (OLMo2)
    attention_sinks: bool = False  # gpt-oss: one learned sink logit per head per layer
    notes: tuple[str, ...] = ()  # caveats found while building the spec (cross-check warnings)

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def d_attn(self) -> int:
        """Width of the concatenated query heads, ``n_heads * head_dim``."""
        return self.n_heads * self.head_dim

    @property
    def n_local_layers(self) -> int:
        """Layers with sliding-window attention (0 without a window or when all are global)."""
        if self.sliding_window is None or self.n_global_layers is None:
            return 0
        return self.n_layers - self.n_global_layers
