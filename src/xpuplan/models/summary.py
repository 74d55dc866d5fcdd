"""What ``xpuplan model show`` and ``model list`` print: :class:`ModelSummary` and
:class:`PresetRow`, whose ``to_dict`` and JSON Schemas (model-show, model-list) both come from
their type hints (:mod:`xpuplan.jsontypes`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

from xpuplan.jsontypes import as_dict, js, json_key
from xpuplan.models.counts import (
    FlopBreakdown,
    ParamBreakdown,
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
    training_flops_per_token,
)
from xpuplan.models.presets import get_preset, list_presets, preset_record
from xpuplan.models.spec import MLASpec, ModelSpec, MoESpec

__all__ = [
    "DEFAULT_SEQ_LEN",
    "KV_BYTES_PER_ELEMENT",
    "ArchitectureKeys",
    "FlopBreakdownKeys",
    "ModelSummary",
    "ParamBreakdownKeys",
    "PresetRow",
    "active_params_non_embedding",
    "model_summary",
    "preset_rows",
]

# Storage size of one cached element per precision (bf16/fp16 2 bytes, fp8 1, int4 half).
KV_BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}
# Context used when none is asked for (capped by the model's own maximum).
DEFAULT_SEQ_LEN = 4096

Count = Annotated[int, js(minimum=1)]
Part = Annotated[int, js(minimum=0)]
PartFlops = Annotated[float, js(minimum=0)]
Dimension = Annotated[int, js(minimum=1)]


# --- the keys of the breakdowns and of the architecture, for the JSON Schema -----------------
# (a TypedDict ``XKeys`` becomes the schema definition ``x``; tests check each names exactly
# the fields of the type it describes)


class ParamBreakdownKeys(TypedDict):
    """Parameters by part; 'total' and 'active' are the sums (xpuplan.models.counts)."""

    embedding: Part
    position: Part
    attention: Part
    mlp: Part
    experts: Part
    shared_experts: Part
    router: Part
    norms: Part
    head: Annotated[int, js(minimum=0, description="untied LM head; 0 when tied")]
    total: Count
    active: Annotated[
        int,
        js(
            minimum=1,
            description="touched per token: routed experts scaled by top_k / n_routed_experts",
        ),
    ]


class FlopBreakdownKeys(TypedDict):
    """Forward FLOPs per token by part (multiply-add = 2 FLOPs); the parts add up to 'total'."""

    attention_proj: Annotated[
        float, js(minimum=0, description="q, k, v, o projections (MLA: its low-rank ones)")
    ]
    attention_scores: Annotated[float, js(minimum=0, description="QK^T and AV over the context")]
    mlp: Annotated[
        float, js(minimum=0, description="dense MLP + active routed experts + shared experts")
    ]
    router: PartFlops
    head: Annotated[float, js(minimum=0, description="LM head logits")]
    total: Annotated[float, js(exclusiveMinimum=0)]


class ArchitectureKeys(TypedDict):
    """The ModelSpec fields but name, source and notes (xpuplan.models.spec)."""

    n_layers: Dimension
    d_model: Dimension
    n_heads: Dimension
    n_kv_heads: Dimension
    head_dim: Dimension
    ffn_dim: Annotated[int, js(minimum=0, description="intermediate size of the dense MLP")]
    vocab_size: Dimension
    max_seq_len: Dimension
    gated_mlp: Annotated[bool, js(description="SwiGLU/GeGLU: three matrices; plain MLP: two")]
    tied_embeddings: bool
    qkv_bias: bool
    attn_out_bias: bool
    mlp_bias: bool
    norm: Literal["rmsnorm", "layernorm"]
    qk_norm: Annotated[bool, js(description="per-head RMSNorm on q and k")]
    learned_pos_emb: Annotated[
        bool, js(description="absolute position table of max_seq_len rows (GPT-2/OPT)")
    ]
    parallel_attn_mlp: Annotated[
        bool, js(description="parallel residual with one shared norm (GPT-J/NeoX/Falcon)")
    ]
    moe: Annotated[MoESpec | None, js(description="mixture-of-experts layers; null if dense")]
    mla: Annotated[MLASpec | None, js(description="DeepSeek multi-head latent attention, or null")]
    sliding_window: Annotated[
        int | None, js(minimum=1, description="window in tokens of the local layers")
    ]
    n_global_layers: Annotated[
        int | None,
        js(minimum=0, description="layers with full attention; null means all of them"),
    ]
    norms_per_layer: Annotated[
        int | None,
        js(minimum=0, description="null: 1 with parallel_attn_mlp, else 2"),
    ]
    norm_bias: Annotated[bool | None, js(description="null: LayerNorm has a bias, RMSNorm none")]
    qk_norm_per_head: Annotated[bool, js(description="false: q/k norms span all heads")]
    attention_sinks: Annotated[
        bool, js(description="one learned sink logit per head per layer (gpt-oss)")
    ]


def _architecture(spec: ModelSpec) -> dict[str, Any]:
    fields = dataclasses.asdict(spec)
    for key in ("name", "source", "notes"):
        fields.pop(key)
    return fields


@dataclass(frozen=True)
class ModelSummary:
    """Exact parameter counts, FLOPs per token and KV-cache bytes per token of one model."""

    name: str
    source: str
    notes: Annotated[tuple[str, ...], js(description="caveats found while building the spec")]
    params_active_non_embedding: Annotated[
        int,
        js(
            minimum=1,
            description="active parameters without the input embedding and position tables "
            "(the convention of DeepSeek's and gpt-oss's 'activated' counts)",
        ),
    ]
    params: Annotated[ParamBreakdown, js(shape=ParamBreakdownKeys)]
    seq_len: Annotated[
        int, js(minimum=1, description="context length the FLOPs and KV bytes are for")
    ]
    causal: Annotated[
        bool, js(description="attention scores counted over the causal half of the context")
    ]
    forward_flops_per_token_breakdown: Annotated[FlopBreakdown, js(shape=FlopBreakdownKeys)]
    training_flops_per_token: Annotated[
        float, js(exclusiveMinimum=0, description="forward + backward, 3x forward")
    ]
    kv_cache_bytes_per_token: Annotated[
        dict[str, Annotated[float, js(minimum=0)]],
        js(
            description="mean bytes per token of a context of seq_len, by cache precision "
            "(sliding-window layers capped at their window)"
        ),
    ]
    architecture: Annotated[dict[str, Any], js(shape=ArchitectureKeys)]

    @property
    @json_key(after="notes")
    def params_total(self) -> Annotated[int, js(minimum=1, description="params.total")]:
        return self.params.total

    @property
    @json_key(after="params_total")
    def params_active(
        self,
    ) -> Annotated[int, js(minimum=1, description="touched per token: params.active")]:
        return self.params.active

    @property
    @json_key(after="causal")
    def forward_flops_per_token(
        self,
    ) -> Annotated[
        float, js(exclusiveMinimum=0, description="forward_flops_per_token_breakdown.total")
    ]:
        return self.forward_flops_per_token_breakdown.total

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class PresetRow:
    """One bundled preset: its kind, total and active parameters and source."""

    name: str
    kind: Literal["dense", "moe"]
    params_total: Count
    params_active: Count
    source: str
    as_of: Annotated[
        str | None, js(description="when the preset's config was read (YYYY-MM), if known")
    ]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def active_params_non_embedding(spec: ModelSpec) -> int:
    """Active parameters without the input embedding and position tables.

    The convention of gpt-oss's model card ("5.1B active" for gpt-oss-120b) and DeepSeek's
    "activated" counts: a lookup table is not compute; the LM head stays in.
    """
    p = count_params(spec)
    lookup = p.position + (0 if spec.tied_embeddings else p.embedding)
    return p.active - lookup


def model_summary(
    spec: ModelSpec,
    seq_len: int | None = None,
    *,
    causal: bool = False,
    kv_precisions: dict[str, float] | None = None,
) -> ModelSummary:
    """Parameters, FLOPs per token and KV-cache bytes of ``spec`` at context ``seq_len``.

    ``seq_len`` defaults to ``min(max_seq_len, 4096)``. KV bytes are the mean per token over a
    context of ``seq_len`` (sliding-window layers capped at their window).
    """
    seq = seq_len if seq_len is not None else min(spec.max_seq_len, DEFAULT_SEQ_LEN)
    if seq <= 0:
        raise ValueError(f"seq_len must be positive, got {seq}")
    params = count_params(spec)
    forward = forward_flops_per_token(spec, seq, causal=causal)
    precisions = KV_BYTES_PER_ELEMENT if kv_precisions is None else kv_precisions
    return ModelSummary(
        name=spec.name,
        source=spec.source,
        notes=tuple(spec.notes),
        params_active_non_embedding=active_params_non_embedding(spec),
        params=params,
        seq_len=seq,
        causal=causal,
        forward_flops_per_token_breakdown=forward,
        training_flops_per_token=training_flops_per_token(spec, seq, causal=causal),
        kv_cache_bytes_per_token={
            name: kv_cache_bytes_per_token(spec, size, seq) for name, size in precisions.items()
        },
        architecture=_architecture(spec),
    )


def preset_rows() -> tuple[PresetRow, ...]:
    """One row per bundled preset: name, kind, total and active parameters, source."""
    rows = []
    for name in list_presets():
        spec = get_preset(name)
        params = count_params(spec)
        as_of = preset_record(name).get("as_of")
        rows.append(
            PresetRow(
                name=name,
                kind="moe" if spec.is_moe else "dense",
                params_total=params.total,
                params_active=params.active,
                source=spec.source,
                as_of=None if as_of is None else str(as_of),
            )
        )
    return tuple(rows)
