"""Transformer architectures: specs, config.json readers, presets and exact counts."""

from xpuplan.models.counts import (
    FlopBreakdown,
    ParamBreakdown,
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
    training_flops_per_token,
)
from xpuplan.models.describe import spec_from_description
from xpuplan.models.hf import load_hf_config, spec_from_hf_config
from xpuplan.models.presets import get_preset, list_presets, resolve_model
from xpuplan.models.spec import MLASpec, ModelSpec, MoESpec
from xpuplan.models.summary import model_summary

__all__ = [
    "FlopBreakdown",
    "MLASpec",
    "MoESpec",
    "ModelSpec",
    "ParamBreakdown",
    "count_params",
    "forward_flops_per_token",
    "get_preset",
    "kv_cache_bytes_per_token",
    "list_presets",
    "load_hf_config",
    "model_summary",
    "resolve_model",
    "spec_from_description",
    "spec_from_hf_config",
    "training_flops_per_token",
]
