"""``xpuplan model list|show`` through :func:`xpuplan.cli.run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xpuplan.cli import run


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert run(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_show_405b_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(capsys, ["model", "show", "llama-3.1-405b", "--json", "--seq-len", "8192"])
    assert isinstance(out, dict)
    # Meta's model card: 405.85B parameters.
    assert out["params_total"] == pytest.approx(405.85e9, rel=3e-3)
    assert out["params_active"] == out["params_total"]
    assert out["seq_len"] == 8192
    # KV cache: 2 * 8 heads * 128 * 126 layers elements per token.
    assert out["kv_cache_bytes_per_token"] == {
        "bf16": 2 * 8 * 128 * 126 * 2,
        "fp8": 2 * 8 * 128 * 126,
        "int4": 2 * 8 * 128 * 126 / 2,
    }
    assert out["training_flops_per_token"] == pytest.approx(3 * out["forward_flops_per_token"])
    parts = {k: v for k, v in out["params"].items() if k not in ("total", "active")}
    assert sum(parts.values()) == out["params_total"]


@pytest.mark.parametrize(
    ("name", "total", "active"),
    [
        ("deepseek-v3", 671e9, 37e9),  # DeepSeek-V3 report; 37B is rounded (37.55B counted)
        ("mixtral-8x7b", 46.7e9, 12.9e9),  # Mistral AI Mixtral announcement
    ],
)
def test_show_moe_json(
    capsys: pytest.CaptureFixture[str], name: str, total: float, active: float
) -> None:
    out = _json(capsys, ["model", "show", name, "--json"])
    assert isinstance(out, dict)
    assert out["params_total"] == pytest.approx(total, rel=1e-2)
    assert out["params_active"] == pytest.approx(active, rel=1.6e-2)


def test_list_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["model", "list", "--json"])
    assert isinstance(rows, list) and len(rows) >= 30
    assert {"llama-3.1-8b", "deepseek-v3"} <= {row["name"] for row in rows}
    assert run(["model", "list"]) == 0
    assert "llama-3.1-405b" in capsys.readouterr().out


def test_show_table_and_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = {
        "model_type": "llama",
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 1000,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    out = _json(capsys, ["model", "show", str(tmp_path), "--json"])
    assert isinstance(out, dict)
    # Hand count: 2 x (4 * 256^2 + 3 * 256 * 512 + 2 * 256) + 256 + 2 * 1000 * 256
    assert out["params_total"] == 2 * (4 * 256**2 + 3 * 256 * 512 + 2 * 256) + 256 + 512000
    assert run(["model", "show", "mixtral-8x7b", "--causal"]) == 0
    assert "parameters, active per token" in capsys.readouterr().out


def test_malformed_config_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama", "hidden_size": 4096,')
    assert run(["model", "show", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "malformed JSON at line 1" in lines[0]
    assert str(path) in lines[0].replace("\n", "")
    assert captured.out == ""


def test_contradictory_config_and_unknown_name_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = {
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 5,
        "vocab_size": 32000,
    }
    (tmp_path / "config.json").write_text(json.dumps(bad))
    assert run(["model", "show", str(tmp_path)]) == 2
    assert "num_key_value_heads 5 does not divide" in capsys.readouterr().err
    assert run(["model", "show", "lama-3.1-8b"]) == 2
    assert "did you mean 'llama-3.1-8b'?" in capsys.readouterr().err
