"""JSON-able summaries of a model: what ``xpuplan model show`` and ``model list`` print."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from xpuplan.models.counts import (
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
    training_flops_per_token,
)
from xpuplan.models.presets import get_preset, list_presets, preset_record
from xpuplan.models.spec import ModelSpec

__all__ = [
    "DEFAULT_SEQ_LEN",
    "KV_BYTES_PER_ELEMENT",
    "active_params_non_embedding",
    "model_summary",
    "preset_rows",
]

# Storage size of one cached element per precision (bf16/fp16 2 bytes, fp8 1, int4 half).
KV_BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}
# Context used when none is asked for (capped by the model's own maximum).
DEFAULT_SEQ_LEN = 4096


def active_params_non_embedding(spec: ModelSpec) -> int:
    """Active parameters without the input embedding and position tables.

    The convention of gpt-oss's model card ("5.1B active" for gpt-oss-120b) and DeepSeek's
    "activated" counts: a lookup table is not compute; the LM head stays in.
    """
    p = count_params(spec)
    lookup = p.position + (0 if spec.tied_embeddings else p.embedding)
    return p.active - lookup


def _architecture(spec: ModelSpec) -> dict[str, Any]:
    fields = asdict(spec)
    for key in ("name", "source", "notes"):
        fields.pop(key)
    return fields


def model_summary(
    spec: ModelSpec,
    seq_len: int | None = None,
    *,
    causal: bool = False,
    kv_precisions: dict[str, float] | None = None,
) -> dict[str, Any]:
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
    return {
        "name": spec.name,
        "source": spec.source,
        "notes": list(spec.notes),
        "params_total": params.total,
        "params_active": params.active,
        "params_active_non_embedding": active_params_non_embedding(spec),
        "params": params.as_dict(),
        "seq_len": seq,
        "causal": causal,
        "forward_flops_per_token": forward.total,
        "forward_flops_per_token_breakdown": forward.as_dict(),
        "training_flops_per_token": training_flops_per_token(spec, seq, causal=causal),
        "kv_cache_bytes_per_token": {
            name: kv_cache_bytes_per_token(spec, size, seq) for name, size in precisions.items()
        },
        "architecture": _architecture(spec),
    }


def preset_rows() -> list[dict[str, Any]]:
    """One row per bundled preset: name, kind, total and active parameters, source."""
    rows = []
    for name in list_presets():
        spec = get_preset(name)
        params = count_params(spec)
        rows.append(
            {
                "name": name,
                "kind": "moe" if spec.is_moe else "dense",
                "params_total": params.total,
                "params_active": params.active,
                "source": spec.source,
                "as_of": preset_record(name).get("as_of"),
            }
        )
    return rows
