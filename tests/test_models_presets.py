"""Bundled presets against published parameter counts, and the contract every preset passes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from xpuplan.errors import UnknownNameError
from xpuplan.models.counts import (
    count_params,
    forward_flops_per_token,
    kv_cache_bytes_per_token,
    layer_params,
    training_flops_per_token,
)
from xpuplan.models.presets import get_preset, list_presets, preset_record, resolve_model
from xpuplan.models.summary import active_params_non_embedding, model_summary

# (preset, published total, published active or None, relative tolerance, source)
PUBLISHED = [
    ("llama-3.1-8b", 8.03e9, None, 3e-3, "meta-llama/Llama-3.1-8B model card: 8.03B"),
    ("llama-3.1-70b", 70.55e9, None, 3e-3, "meta-llama/Llama-3.1-70B model card: 70.6B"),
    ("llama-3.1-405b", 405.85e9, None, 3e-3, "meta-llama/Llama-3.1-405B card: 405.85B"),
    ("mixtral-8x7b", 46.7e9, 12.9e9, 1e-2, "mistral.ai/news/mixtral-of-experts: 46.7B/12.9B"),
    ("mixtral-8x22b", 141e9, 39e9, 1e-2, "mistral.ai/news/mixtral-8x22b: 141B/39B active"),
    ("qwen3-235b-a22b", 235e9, 22e9, 1e-2, "Qwen/Qwen3-235B-A22B card: 235B/22B activated"),
    ("qwen3-30b-a3b", 30.5e9, 3.3e9, 2e-2, "Qwen/Qwen3-30B-A3B card: 30.5B/3.3B activated"),
    ("qwen1.5-moe-a2.7b", 14.3e9, 2.7e9, 1e-2, "Qwen1.5-MoE blog: 14.3B total, 2.7B active"),
    ("deepseek-v2", 236e9, 21e9, 2e-2, "DeepSeek-V2 paper abstract: 236B/21B activated"),
    ("gpt3-175b", 175e9, None, 5e-3, "Brown et al. 2020, table 2.1: 175.0B"),
    ("mpt-7b", 6.7e9, None, 1e-2, "MosaicML MPT-7B announcement: 6.7B parameters"),
    ("mpt-30b", 30e9, None, 1e-2, "MosaicML MPT-30B announcement: 30B parameters"),
    ("phi-3-mini", 3.8e9, None, 1e-2, "Abdin et al. 2024 (Phi-3 report): 3.8B"),
    ("gemma-2-9b", 9.24e9, None, 1e-2, "google/gemma-2-9b safetensors: 9.24B"),
    ("gemma-2-27b", 27.2e9, None, 1e-2, "google/gemma-2-27b safetensors: 27.2B"),
    ("qwen2.5-7b", 7.61e9, None, 1e-2, "Qwen/Qwen2.5-7B card: 7.61B"),
    ("qwen2.5-72b", 72.7e9, None, 1e-2, "Qwen/Qwen2.5-72B card: 72.7B"),
    ("qwen3-8b", 8.2e9, None, 1e-2, "Qwen/Qwen3-8B card: 8.2B"),
    ("qwen3-32b", 32.8e9, None, 1e-2, "Qwen/Qwen3-32B card: 32.8B"),
    ("llama-3.2-1b", 1.23e9, None, 1e-2, "meta-llama/Llama-3.2-1B card: 1.23B"),
    ("llama-3.2-3b", 3.21e9, None, 1e-2, "meta-llama/Llama-3.2-3B card: 3.21B"),
    ("deepseek-v2-lite", 15.7e9, None, 1e-2, "DeepSeek-V2-Lite card: 15.7B total"),
    ("gpt-oss-20b", 20.91e9, None, 1e-3, "OpenAI gpt-oss model card, table 1: 20.91B"),
    ("gpt-oss-120b", 116.83e9, None, 1e-3, "OpenAI gpt-oss model card, table 1: 116.83B"),
]


@pytest.mark.parametrize(("name", "total", "active", "rel", "source"), PUBLISHED)
def test_published_totals(
    name: str, total: float, active: float | None, rel: float, source: str
) -> None:
    p = count_params(get_preset(name))
    assert p.total == pytest.approx(total, rel=rel), source
    if active is not None:
        assert p.active == pytest.approx(active, rel=rel), source


@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("gpt2", 124_439_808),  # GPT2LMHeadModel parameter count (HF openai-community/gpt2)
        ("llama-2-7b", 6_738_415_616),  # meta-llama/Llama-2-7b-hf safetensors total
        ("mistral-7b", 7_241_732_096),  # mistralai/Mistral-7B-v0.1 safetensors total
        ("gpt-neox-20b", 20_554_567_680),  # Black et al. 2022, GPT-NeoX-20B, table 1
    ],
)
def test_exact_published_totals(name: str, exact: int) -> None:
    assert count_params(get_preset(name)).total == exact


def test_deepseek_v3_total_and_active() -> None:
    # DeepSeek-V3 technical report abstract: 671B total, 37B activated per token; the HF
    # checkpoint's extra 14B (685B) is the MTP module, which the 671B excludes.
    spec = get_preset("deepseek-v3")
    p = count_params(spec)
    assert p.total == pytest.approx(671e9, rel=1e-3)
    # "37B" is rounded: 37.55B counting the embedding table, 36.63B without it.
    assert p.active == pytest.approx(37e9, rel=1.6e-2)
    assert active_params_non_embedding(spec) == pytest.approx(37e9, rel=1.1e-2)


@pytest.mark.parametrize(
    ("name", "active"),
    [
        # OpenAI gpt-oss model card, table 1: active parameters per token exclude the
        # embedding table (5.13B / 3.61B).
        ("gpt-oss-120b", 5.13e9),
        ("gpt-oss-20b", 3.61e9),
        # DeepSeek-V2 paper, table: V2-Lite 2.4B activated.
        ("deepseek-v2-lite", 2.4e9),
    ],
)
def test_active_without_embedding(name: str, active: float) -> None:
    assert active_params_non_embedding(get_preset(name)) == pytest.approx(active, rel=2.5e-2)


def test_at_least_thirty_presets_with_the_required_names() -> None:
    names = set(list_presets())
    required = {
        "llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3-8b", "llama-3-70b",
        "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-3.2-1b", "llama-3.2-3b",
        "llama-3.3-70b", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b", "qwen2.5-7b",
        "qwen2.5-72b", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b",
        "deepseek-v2-lite", "deepseek-v3", "gemma-2-9b", "gemma-2-27b", "gemma-3-27b", "gpt2",
        "gpt3-175b", "mpt-7b", "mpt-30b", "falcon-40b", "phi-3-mini", "gpt-oss-20b",
        "gpt-oss-120b", "olmo-2-7b",
    }  # fmt: skip
    assert required <= names
    assert len(names) >= 30


def test_falcon_7b_multi_query_hand_count() -> None:
    # Falcon-7B: one shared K/V head of 64, fused qkv without bias, 4h GELU MLP, one
    # LayerNorm (weight+bias) per layer, tied 65024-token embedding, final LayerNorm.
    d, v = 4544, 65024
    per_layer = d * (d + 2 * 64) + d * d + 2 * d * 4 * d + 2 * d
    assert count_params(get_preset("falcon-7b")).total == v * d + 32 * per_layer + 2 * d
    assert kv_cache_bytes_per_token(get_preset("falcon-7b"), 2) == 2 * 64 * 32 * 2


def test_gemma3_local_global_layers() -> None:
    spec = get_preset("gemma-3-27b")
    # 62 layers, every 6th global (sliding_window_pattern 6): 10 global, 52 local of 1024.
    assert (spec.n_layers - spec.n_local_layers, spec.sliding_window) == (10, 1024)
    per_layer = 2 * 16 * 128 * 2
    assert kv_cache_bytes_per_token(spec, 2, 32768) == per_layer * (10 + 52 * 1024 / 32768)


@pytest.mark.parametrize("name", list_presets())
def test_contract_battery(name: str) -> None:
    spec = get_preset(name)
    record = preset_record(name)
    assert record["source"] and record["as_of"]
    p = count_params(spec)
    parts = p.as_dict()
    total, active = parts.pop("total"), parts.pop("active")
    assert all(v >= 0 for v in parts.values())
    assert sum(parts.values()) == total > 0
    assert 0 < active <= total
    assert (active < total) == spec.is_moe
    assert sum(layer_params(spec)) < total
    for seq in (1, 2048, 32768):
        f = forward_flops_per_token(spec, seq)
        assert f.total > 0 and math.isfinite(f.total)
        # Outside attention scores, forward FLOPs are 2 x the active matmul weights: the
        # active parameters less lookup tables and norms (biases make up the < 0.5 % left).
        lookup = p.position + (0 if spec.tied_embeddings else p.embedding)
        matmul = active - lookup - p.norms
        assert f.total - f.attention_scores == pytest.approx(2 * matmul, rel=5e-3)
        assert training_flops_per_token(spec, seq) == pytest.approx(3 * f.total)
        assert forward_flops_per_token(spec, seq, causal=True).total <= f.total
    assert kv_cache_bytes_per_token(spec, 2) > 0
    assert kv_cache_bytes_per_token(spec, 2, 8192) <= kv_cache_bytes_per_token(spec, 2)
    summary = model_summary(spec, 4096).to_dict()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary["params_total"] == total and summary["params_active"] == active


def test_resolve_model_by_name_key_and_path(tmp_path: Path) -> None:
    assert resolve_model("llama-3.1-8b") == get_preset("llama-3.1-8b")
    assert resolve_model("Llama 3.1 8B") == get_preset("llama-3.1-8b")
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(preset_record("llama-3.1-8b")["config"]))
    from_dir = resolve_model(str(folder))
    from_file = resolve_model(str(folder / "config.json"))
    assert from_dir.name == from_file.name == "tiny"
    assert count_params(from_dir).total == count_params(get_preset("llama-3.1-8b")).total


def test_unknown_preset_suggests_the_nearest() -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean 'llama-3.1-70b'"):
        get_preset("llama-3.1-70")
    with pytest.raises(UnknownNameError, match=r"did you mean 'mixtral-8x7b'"):
        resolve_model("mixtral-8x7")


def test_public_api_is_pinned() -> None:
    import xpuplan.models

    assert sorted(xpuplan.models.__all__) == [
        "FlopBreakdown", "MLASpec", "MoESpec", "ModelSpec", "ParamBreakdown", "count_params",
        "forward_flops_per_token", "get_preset", "kv_cache_bytes_per_token", "list_presets",
        "load_hf_config", "model_summary", "resolve_model", "spec_from_description",
        "spec_from_hf_config", "training_flops_per_token",
    ]  # fmt: skip
    for name in xpuplan.models.__all__:
        assert getattr(xpuplan.models, name) is not None
