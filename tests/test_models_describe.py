"""Validation-style model descriptions: presets, family defaults and stated sizes."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from xpuplan.errors import ModelConfigError
from xpuplan.models.counts import count_params, training_flops_per_token
from xpuplan.models.describe import nominal_params, spec_from_description
from xpuplan.models.presets import get_preset


def _validation_models() -> list[dict[str, Any]]:
    text = resources.files("xpuplan.validation").joinpath("data", "public.yaml").read_text()
    cases = yaml.safe_load(text)["cases"]
    unique: dict[str, dict[str, Any]] = {}
    for case in cases:
        model = case["model"]
        unique[repr(sorted(model.items(), key=lambda kv: kv[0]))] = model
    return list(unique.values())


VALIDATION_MODELS = _validation_models()


@pytest.mark.parametrize("desc", VALIDATION_MODELS, ids=lambda d: f"{d['name']}@{d['seq_len']}")
def test_every_validation_model_builds_and_matches_stated_sizes(desc: dict[str, Any]) -> None:
    spec = spec_from_description(desc)
    p = count_params(spec)
    stated = desc.get("params")
    if stated is not None:
        # Round numbers ("7B", "16B") are nominal sizes; others (llm-foundry's table of
        # MPT sizes) are exact counts of the model that ran.
        rel = 5e-2 if stated % 1e9 == 0 else 1e-9
        assert p.total == pytest.approx(stated, rel=rel)
    moe = desc.get("moe") or {}
    if moe.get("total_params"):
        assert p.total == pytest.approx(moe["total_params"], rel=1e-2)
    if moe.get("active_params"):
        assert p.active == pytest.approx(moe["active_params"], rel=1e-2)
    if desc.get("seq_len"):
        assert spec.max_seq_len == desc["seq_len"]
    nominal = nominal_params(desc["name"])
    if nominal is not None:
        # Names round loosely: llm-foundry's "MPT-70B" has 64.9B parameters.
        assert p.total == pytest.approx(nominal, rel=0.1)


def test_named_preset_keeps_the_case_seq_len() -> None:
    spec = spec_from_description(
        {"name": "Llama 3.1 70B", "layers": 80, "hidden": 8192, "seq_len": 8192}
    )
    preset = get_preset("llama-3.1-70b")
    assert count_params(spec) == count_params(preset)
    assert spec.max_seq_len == 8192 and spec.name == "Llama 3.1 70B"
    assert "architecture of bundled preset llama-3.1-70b" in spec.notes


def test_preset_with_all_dims_null_is_the_preset() -> None:
    spec = spec_from_description({"name": "Mixtral 8x22B", "layers": None, "moe": {"top_k": 2}})
    assert count_params(spec) == count_params(get_preset("mixtral-8x22b"))


def test_disagreeing_dims_are_built_from_fields_with_a_note() -> None:
    spec = spec_from_description(
        {"name": "MPT-7B", "layers": 32, "hidden": 4096, "heads": 32, "vocab": 50368}
    )
    assert spec.vocab_size == 50368
    assert any("differs from preset mpt-7b (vocab 50368 vs 50432)" in n for n in spec.notes)


def test_gpt_family_defaults() -> None:
    spec = spec_from_description(
        {"name": "GPT-test", "layers": 24, "hidden": 2048, "seq_len": 2048}
    )
    # Megatron GPT: heads of 128, ffn 4h, vocab 51200, biases, LayerNorm, learned positions.
    assert (spec.n_heads, spec.n_kv_heads, spec.head_dim) == (16, 16, 128)
    assert (spec.ffn_dim, spec.vocab_size, spec.gated_mlp) == (8192, 51200, False)
    assert spec.learned_pos_emb and spec.norm == "layernorm" and spec.mlp_bias
    assert spec.tied_embeddings and spec.max_seq_len == 2048


def test_megatron_description_matches_narayanan_flops() -> None:
    # Narayanan et al. 2021 eq. 3 without recompute: 72 L h^2 (1 + s/(6h) + V/(12 L h)) per
    # token (derivation in test_models_counts).
    spec = spec_from_description(
        {"name": "GPT-177B (Megatron-Core scaling config)", "layers": 96, "hidden": 12288,
         "heads": 96, "vocab": 131072, "seq_len": 4096}
    )  # fmt: skip
    layers, h, v, s = 96, 12288, 131072, 4096
    expected = 72 * layers * h**2 * (1 + s / (6 * h) + v / (12 * layers * h))
    assert training_flops_per_token(spec, s) == pytest.approx(expected, rel=1e-12)


def test_llama_family_defaults() -> None:
    spec = spec_from_description({"name": "llama-like 7B", "layers": 32, "hidden": 4096})
    # meta-llama model.py: 256 * ceil(8 * 4096 / 3 / 256) = 11008
    assert (spec.ffn_dim, spec.gated_mlp, spec.norm, spec.tied_embeddings) == (
        11008,
        True,
        "rmsnorm",
        False,
    )
    assert spec.vocab_size == 32000 and spec.head_dim == 128


def test_maxtext_defaults() -> None:
    spec = spec_from_description(
        {"name": "MaxText synthetic dense 16B", "layers": 32, "hidden": 5120, "heads": 32,
         "ffn": 32768, "vocab": 32768}
    )  # fmt: skip
    assert (spec.head_dim, spec.gated_mlp, spec.tied_embeddings) == (256, False, True)
    # Hand count: attention 4 * 5120 * 8192, ReLU MLP 2 * 5120 * 32768, two RMSNorms per
    # layer, final norm, tied 32768 x 5120 table.
    per_layer = 4 * 5120 * 8192 + 2 * 5120 * 32768 + 2 * 5120
    assert count_params(spec).total == 32 * per_layer + 5120 + 32768 * 5120


def test_moe_description_without_preset() -> None:
    spec = spec_from_description(
        {"name": "Custom qwen MoE", "layers": 4, "hidden": 1024, "heads": 8, "ffn": 512,
         "vocab": 1000, "moe": {"num_experts": 16, "top_k": 2, "shared_experts": 0}}
    )  # fmt: skip
    assert spec.moe is not None
    assert (spec.moe.n_routed_experts, spec.moe.top_k, spec.moe.expert_ffn_dim) == (16, 2, 512)


def test_stated_params_far_off_get_a_note() -> None:
    spec = spec_from_description(
        {"name": "GPT-x", "layers": 2, "hidden": 256, "heads": 2, "params": 1e9}
    )
    assert any(note.startswith("params: counted") for note in spec.notes)


@pytest.mark.parametrize(
    ("desc", "pattern"),
    [
        ({"name": "GPT3-99B pre-training"}, "layers is null and no bundled preset matches"),
        ({"name": "x", "layers": 2, "hidden": 100, "heads": 3}, "heads is 3; expected a divisor"),
        ({"name": "x", "layers": 2, "hidden": 128, "kv_heads": 3}, "kv_heads is 3"),
        ({"name": "x", "layers": -2, "hidden": 128}, "layers is -2; expected a positive"),
        ({"name": "x", "layers": 2, "hidden": 128, "moe": {"experts": 4}}, "moe.top_k is None"),
        ({"name": "x", "layers": 2, "hidden": 128, "moe": [1]}, "moe is [1]"),
        ({"layers": 2}, "name is missing"),
    ],
)
def test_bad_descriptions_raise_one_line(desc: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ModelConfigError, match=pattern.replace("[", r"\[").replace("]", r"\]")):
        spec_from_description(desc)


def test_nominal_params_parsing() -> None:
    assert nominal_params("GPT-7.1B (Megatron-Core scaling config)") == pytest.approx(7.1e9)
    assert nominal_params("Mixtral 8x7B") is None
    assert nominal_params("gpt2 124M") == pytest.approx(124e6)
    assert nominal_params("no size") is None


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b"),  # a Hub id's organization
        ("Qwen/Qwen3-30B-A3B-Instruct-2507", "qwen3-30b-a3b"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),
        # a distilled model has its base model's architecture, not its teacher's
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "llama-3.3-70b"),
        ("DeepSeek-R1-Distill-Llama-8B", "llama-3.1-8b"),
        ("DeepSeek-R1-Distill-Qwen-7B", "qwen2.5-7b"),
    ],
)
def test_names_without_dimensions_take_their_preset(name: str, preset: str) -> None:
    spec = spec_from_description({"name": name})
    base = get_preset(preset)
    assert (spec.n_layers, spec.d_model, spec.n_kv_heads) == (
        base.n_layers, base.d_model, base.n_kv_heads,
    )  # fmt: skip
    assert f"architecture of bundled preset {preset}" in spec.notes


def test_a_distilled_model_without_a_known_base_needs_its_dimensions() -> None:
    with pytest.raises(ModelConfigError, match="no bundled preset matches"):
        spec_from_description({"name": "DeepSeek-R1-Distill-Qwen-32B"})
