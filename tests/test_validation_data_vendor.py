"""Vendors' published serving tables (AMD ROCm performance page, AWS Neuron Trn2 tutorials,
TPU serving results, TensorRT-LLM's DeepSeek-R1 guide):
each file loads, every case carries its provenance and request mix, every case is predicted,
and each transcription script regenerates its shipped file unchanged."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.cases import load_cases
from xpuplan.validation.run import validate_files

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "xpuplan" / "validation" / "data"

# shipped file -> the script that writes it
SOURCES = {
    "infer-amd-rocm-vllm.yaml": "transcribe_amd_rocm_vllm.py",
    "infer-aws-neuron-trn2.yaml": "transcribe_neuron_trn2_serving.py",
    "infer-tpu-serving.yaml": "transcribe_tpu_serving.py",
    "infer-trtllm-deepseek-r1.yaml": "transcribe_trtllm_deepseek_r1.py",
}
# files whose rows continue a publication already in public.yaml (same page and commit, whose
# rows carry no as_of): regenerated and predicted like the others
REGENERATED = {**SOURCES, "infer-trtllm-perf-overview.yaml": "transcribe_trtllm_perf_overview.py"}


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), ROOT / "scripts" / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_case_carries_provenance_and_its_request_mix(name: str) -> None:
    cases = load_cases(DATA / name)
    assert cases
    for case in cases:
        source = case.source
        extra = source.model_extra or {}
        assert source.title and source.url and source.table, case.id
        assert extra.get("as_of"), f"{case.id}: source.as_of missing"
        # a repository source pins its commit; a web page names its version in the table
        assert source.commit or "page version" in source.table, case.id
        assert case.framework and case.precision, case.id
        workload = (case.model_extra or {}).get("workload")
        assert isinstance(workload, dict), f"{case.id}: no workload block"
        assert workload["input_tokens_mean"] > 0 and workload["output_tokens_mean"] > 0


@pytest.mark.parametrize("name", sorted(REGENERATED))
def test_no_case_is_skipped(name: str) -> None:
    report = validate_files([DATA / name], load_catalog())
    skipped = {c.id: c.reason for c in report.cases if c.status != "ok"}
    assert not skipped, skipped
    assert all(c.primary_metric for c in report.cases)


@pytest.mark.parametrize(("name", "script"), sorted(REGENERATED.items()))
def test_script_regenerates_the_shipped_file(name: str, script: str, tmp_path: Path) -> None:
    out = tmp_path / name
    assert _script(script).main([script, str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (DATA / name).read_text(encoding="utf-8")


def test_amd_throughput_is_read_as_output_tokens() -> None:
    """The page's "Throughput (tokens/s)" is AMD's output-token rate (requests x output / elapsed,
    endnote MI300-074 of its Jan 2025 ROCm blog on the same grid): the case records the printed
    figure as the output rate, with no input + output total beside it. Hand count for the first
    row (70B, 128 in / 2,048 out): 16,622.2 output tokens/s over 3,200 requests of 2,048 output
    tokens is 3,200 x 2,048 / 16,622.2 = 394.3 s of run."""
    cases = {c.id: c for c in load_cases(DATA / "infer-amd-rocm-vllm.yaml")}
    first = cases["amd-rocm-perf-2025-05-vllm-llama3.1-70b-fp8-mi300x-tp8-in128-out2048-throughput"]
    rate = first.metrics["output_tokens_per_s_total"]
    assert rate == 16622.2
    work = (first.model_extra or {})["workload"]
    seconds = first.batch.global_batch_seqs * work["output_tokens_mean"] / rate
    assert seconds == pytest.approx(394.3, abs=0.05)
    for case in cases.values():
        assert "total_tokens_per_s" not in case.metrics, case.id
