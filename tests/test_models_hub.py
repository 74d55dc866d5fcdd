"""Hugging Face Hub ids (``--model meta-llama/Llama-3.1-8B``): read from the local Hub cache,
downloaded with ``huggingface_hub`` when installed (a stand-in module here: tests never touch
the network), a one-line error otherwise; over-long names are errors, not tracebacks."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from test_models_hf import LLAMA_31_8B
from xpuplan.cli import run
from xpuplan.errors import ModelConfigError
from xpuplan.models.counts import count_params
from xpuplan.models.hf import is_hub_id
from xpuplan.models.presets import resolve_model


def _cache(root: Path, repo_id: str, config: dict[str, Any]) -> Path:
    """A Hub cache laid out as huggingface_hub writes it: refs/main names the snapshot."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / "5206a32e0bd3067aef1ce90f5528ade7d866253f"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(json.dumps(config))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(snapshot.name)
    return snapshot / "config.json"


@pytest.fixture
def no_hub_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails


@pytest.mark.parametrize(
    ("text", "hub"),
    [("meta-llama/Llama-3.1-8B", True), ("Qwen/Qwen2.5-0.5B", True), ("./m/config.json", False),
     ("/abs/path", False), ("a/b/c", False), ("llama-3.1-8b", False), ("org/..", False)],
)  # fmt: skip
def test_hub_id_spelling(text: str, hub: bool) -> None:
    assert is_hub_id(text) is hub


def test_hub_id_from_the_local_cache(tmp_path: Path, no_hub_library: None) -> None:
    _cache(tmp_path / "hub", "meta-llama/Llama-3.1-8B", LLAMA_31_8B)
    spec = resolve_model("meta-llama/Llama-3.1-8B", env={"HF_HOME": str(tmp_path)})
    # 8.03e9 parameters (Meta's model card).
    assert count_params(spec).total == pytest.approx(8.03e9, rel=0.001)
    spec = resolve_model("meta-llama/Llama-3.1-8B", env={"HF_HUB_CACHE": str(tmp_path / "hub")})
    assert spec.n_layers == 32


def test_hub_id_downloaded_with_huggingface_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched = _cache(tmp_path / "elsewhere", "org/model", LLAMA_31_8B)
    calls: list[tuple[str, str]] = []

    def hf_hub_download(repo_id: str, filename: str) -> str:
        calls.append((repo_id, filename))
        return str(fetched)

    fake = types.ModuleType("huggingface_hub")
    fake.hf_hub_download = hf_hub_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    spec = resolve_model("org/model", env={"HF_HOME": str(tmp_path / "empty")})
    assert calls == [("org/model", "config.json")] and spec.n_layers == 32


def test_hub_download_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def hf_hub_download(repo_id: str, filename: str) -> str:
        raise OSError("401 Client Error\nAccess to model org/gated is restricted")

    fake = types.ModuleType("huggingface_hub")
    fake.hf_hub_download = hf_hub_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    with pytest.raises(ModelConfigError, match=r"cannot download config\.json .*401") as info:
        resolve_model("org/gated", env={"HF_HOME": str(tmp_path)})
    assert "\n" not in str(info.value)


def test_hub_id_without_cache_or_library(
    tmp_path: Path, no_hub_library: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    with pytest.raises(ModelConfigError, match="huggingface_hub is not installed"):
        resolve_model("org/model", env={"HF_HOME": str(tmp_path)})
    with pytest.raises(ModelConfigError, match="HF_HUB_OFFLINE is set"):
        resolve_model("org/model", env={"HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert run(["model", "show", "org/model"]) == 2
    assert capsys.readouterr().err.startswith("error: Hugging Face model 'org/model'")


@pytest.mark.parametrize("name", ["a" * 300, "x/" + "b" * 300, "a" * 5000, " "])
def test_over_long_or_empty_model_names_are_errors(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["model", "show", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and len(err) < 400
