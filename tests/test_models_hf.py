"""config.json reading: every supported model_type, nesting, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xpuplan.errors import ModelConfigError
from xpuplan.models.counts import count_params
from xpuplan.models.hf import SUPPORTED_MODEL_TYPES, load_hf_config, spec_from_hf_config
from xpuplan.models.presets import get_preset, list_presets, preset_record

LLAMA_31_8B: dict[str, Any] = {
    # meta-llama/Llama-3.1-8B config.json, numerics-only keys included.
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "bos_token_id": 128000,
    "eos_token_id": 128001,
    "hidden_act": "silu",
    "hidden_size": 4096,
    "initializer_range": 0.02,
    "intermediate_size": 14336,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    },
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 128256,
}


def _write(tmp_path: Path, config: Any, name: str = "m") -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_full_llama_config_reads_like_the_preset(tmp_path: Path) -> None:
    spec = load_hf_config(_write(tmp_path, LLAMA_31_8B, "Llama-3.1-8B"))
    assert spec.name == "Llama-3.1-8B"
    assert count_params(spec) == count_params(get_preset("llama-3.1-8b"))
    assert (spec.n_kv_heads, spec.head_dim, spec.tied_embeddings) == (8, 128, False)


def test_every_model_type_has_a_preset_or_a_case() -> None:
    used = {preset_record(n)["config"].get("model_type") for n in list_presets()}
    # gemma3_text is read through gemma-3-27b's text_config.
    assert set(SUPPORTED_MODEL_TYPES) - used <= {"gemma3_text"}


@pytest.mark.parametrize(
    ("name", "model_type", "checks"),
    [
        ("mistral-7b", "mistral", {"sliding_window": 4096, "n_global_layers": 0}),
        ("qwen2.5-7b", "qwen2", {"qkv_bias": True, "attn_out_bias": False, "sliding_window": None}),
        ("qwen3-8b", "qwen3", {"qk_norm": True, "head_dim": 128}),
        ("olmo-2-7b", "olmo2", {"qk_norm": True, "qk_norm_per_head": False}),
        ("gemma-2-9b", "gemma2", {"n_global_layers": 21, "tied_embeddings": True}),
        ("gpt-neox-20b", "gpt_neox", {"parallel_attn_mlp": True, "norm": "layernorm"}),
        ("falcon-40b", "falcon", {"n_kv_heads": 8, "norms_per_layer": 2}),
        ("falcon-7b", "falcon", {"n_kv_heads": 1, "norms_per_layer": 1}),
        ("gpt2", "gpt2", {"learned_pos_emb": True, "max_seq_len": 1024, "ffn_dim": 3072}),
        ("gpt-oss-20b", "gpt_oss", {"n_global_layers": 12, "sliding_window": 128}),
        ("mpt-7b", "mpt", {"mlp_bias": False, "norm_bias": False, "learned_pos_emb": False}),
    ],
)
def test_structure_read_from_each_family(
    name: str, model_type: str, checks: dict[str, Any]
) -> None:
    assert preset_record(name)["config"]["model_type"] == model_type
    spec = get_preset(name)
    for field, value in checks.items():
        assert getattr(spec, field) == value, field


def test_deepseek_mla_and_moe_fields() -> None:
    lite, v3 = get_preset("deepseek-v2-lite"), get_preset("deepseek-v3")
    assert lite.mla is not None and lite.mla.q_lora_rank == 0  # q_lora_rank null
    assert v3.mla is not None and v3.mla.q_lora_rank == 1536
    assert v3.moe is not None and v3.moe.n_dense_layers == 3 and v3.moe.router_bias
    assert lite.moe is not None and lite.moe.n_shared_experts == 2 and not lite.moe.router_bias


def test_gemma3_text_config_nesting_matches_flat() -> None:
    nested = preset_record("gemma-3-27b")["config"]
    flat = spec_from_hf_config(nested["text_config"], name="g")
    assert count_params(spec_from_hf_config(nested, name="g")) == count_params(flat)


def test_qwen_moe_sparse_step_and_mlp_only_layers() -> None:
    config = dict(preset_record("qwen3-30b-a3b")["config"])
    config.update(decoder_sparse_step=2, mlp_only_layers=[1])
    spec = spec_from_hf_config(config, name="q")
    # Sparse layers: (i + 1) % 2 == 0 and i != 1 -> 23 of 48; the other 25 are dense.
    assert spec.moe is not None and spec.moe.n_dense_layers == 25


def test_unknown_model_type_with_standard_keys_warns() -> None:
    config = {**LLAMA_31_8B, "model_type": "brand_new"}
    with pytest.warns(UserWarning, match="brand_new"):
        spec = spec_from_hf_config(config, name="x")
    assert count_params(spec).total == count_params(get_preset("llama-3.1-8b")).total


def _one_line_error(config: Any, tmp_path: Path) -> str:
    folder = _write(tmp_path, config)
    with pytest.raises(ModelConfigError) as info:
        load_hf_config(folder)
    message = str(info.value)
    assert "\n" not in message
    assert str(folder / "config.json") in message
    return message


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"hidden_size": None}, "missing key 'hidden_size'"),
        ({"hidden_size": 4100}, "hidden_size 4100 is not divisible by num_attention_heads 32"),
        ({"num_key_value_heads": 5}, "num_key_value_heads 5 does not divide"),
        ({"intermediate_size": -1}, "'intermediate_size' must be >= 1, got -1"),
        ({"num_hidden_layers": True}, "'num_hidden_layers' must be an integer"),
        ({"vocab_size": "lots"}, "'vocab_size' must be an integer"),
        ({"tie_word_embeddings": "no"}, "'tie_word_embeddings' must be true or false"),
    ],
)
def test_bad_keys_name_the_key_and_the_file(
    change: dict[str, Any], pattern: str, tmp_path: Path
) -> None:
    config = {k: v for k, v in {**LLAMA_31_8B, **change}.items() if v is not None}
    assert pattern in _one_line_error(config, tmp_path)


def test_head_dim_makes_indivisible_hidden_valid() -> None:
    config = {**LLAMA_31_8B, "hidden_size": 4100, "head_dim": 128}
    assert spec_from_hf_config(config, name="x").head_dim == 128


def test_moe_and_layer_type_errors(tmp_path: Path) -> None:
    mixtral = {**preset_record("mixtral-8x7b")["config"], "num_experts_per_tok": 9}
    assert "num_experts_per_tok 9 exceeds" in _one_line_error(mixtral, tmp_path)
    oss = dict(preset_record("gpt-oss-20b")["config"])
    oss["layer_types"] = oss["layer_types"][:-1]
    assert "layer_types lists 23 layers" in _one_line_error(oss, tmp_path)
    unknown = {"model_type": "mystery", "hidden_size": 64}
    assert "missing key 'num_hidden_layers'" in _one_line_error(unknown, tmp_path)


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama",\n  "hidden_size": 4096,,\n}')
    with pytest.raises(ModelConfigError, match=r"config\.json: malformed JSON at line 2 column"):
        load_hf_config(path)
    path.write_text("[1, 2]")
    with pytest.raises(ModelConfigError, match="expected a JSON object, got list"):
        load_hf_config(path)
    with pytest.raises(ModelConfigError, match="no such file"):
        load_hf_config(tmp_path / "missing")
