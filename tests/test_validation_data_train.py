"""Shipped validation files: every one loads, names catalog accelerators, and the MLPerf parser
reads throughput the documented way (evaluation time excluded, first block dropped)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.cases import load_cases

DATA = Path(__file__).resolve().parents[1] / "src" / "xpuplan" / "validation" / "data"
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "parse_mlperf_training.py"


def _case_files() -> list[Path]:
    files = []
    for path in sorted(DATA.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and "cases" in raw:
            files.append(path)
    return files


def test_new_training_files_are_shipped() -> None:
    names = {p.name for p in _case_files()}
    assert {
        "mlperf-training-v3.1.yaml",
        "mlperf-training-v4.0.yaml",
        "training-trainium2.yaml",
        "train-nemo-perf-summary.yaml",
        "train-intel-gaudi2-perf.yaml",
        "train-amd-rocm-perf.yaml",
    } <= names


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_every_shipped_file_loads_with_catalog_accelerators(path: Path) -> None:
    cases = load_cases(path)
    assert cases, path.name
    known = {a.id for a in load_catalog().accelerators}
    unknown = {c.hardware.accelerator_id for c in cases} - known
    assert not unknown, f"{path.name}: accelerator ids not in the catalog: {sorted(unknown)}"


def test_case_ids_unique_across_shipped_files() -> None:
    seen: dict[str, str] = {}
    for path in _case_files():
        for case in load_cases(path):
            assert case.id not in seen, f"{case.id} in {seen.get(case.id)} and {path.name}"
            seen[case.id] = path.name


def test_mlperf_cases_state_benchmark_facts() -> None:
    for name in ("mlperf-training-v3.1.yaml", "mlperf-training-v4.0.yaml"):
        for case in load_cases(DATA / name):
            assert case.kind == "train"
            assert case.measured().get("tokens_per_s", 0) > 0
            extra = case.model_extra or {}
            if "llama2-70b-lora" in case.id:
                assert case.model.seq_len == 8192
                assert extra["finetune"]["method"] == "lora"
                assert extra["finetune"]["rank"] == 16
            else:
                assert case.model.seq_len == 2048
                assert "finetune" not in extra


def _parser() -> ModuleType:
    spec = importlib.util.spec_from_file_location("parse_mlperf_training", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _line(t_ms: int, key: str, **meta: object) -> str:
    event = {"time_ms": t_ms, "event_type": "X", "key": key, "value": None, "metadata": meta}
    return ":::MLLOG " + json.dumps(event)


def test_parser_excludes_evaluations_and_the_first_block() -> None:
    # First segment 100 samples in 50 s (warm-up), then 100 samples per 10 s with 30 s evals.
    lines = [_line(0, "run_start")]
    t = 50_000
    for i in range(1, 4):
        lines.append(_line(t, "eval_start", samples_count=100 * i))
        lines.append(_line(t + 30_000, "eval_stop", samples_count=100 * i))
        t += 30_000 + 10_000
    lines.append(_line(t - 10_000, "run_stop", samples_count=300, status="success"))
    run = _parser().parse_log("synthetic", "\n".join(lines))
    assert run.converged
    assert run.throughput == pytest.approx(10.0)
    assert "eval time excluded" in run.method
    assert run.progress_final == 300


def test_parser_uses_blocks_when_a_log_has_no_eval_markers() -> None:
    # Block amounts come from consecutive block_stop counts (block_start counts are not
    # trusted); the first block is dropped: 200 samples in 20 s after it -> 10 samples/s.
    lines = [
        _line(0, "run_start"),
        _line(0, "block_start", samples_count=0),
        _line(100_000, "block_stop", samples_count=100),
        _line(100_000, "block_start", samples_count=1),
        _line(110_000, "block_stop", samples_count=200),
        _line(110_000, "block_start", samples_count=2),
        _line(120_000, "block_stop", samples_count=300),
        _line(120_000, "run_stop", samples_count=300, status="success"),
    ]
    run = _parser().parse_log("synthetic", "\n".join(lines))
    assert run.throughput == pytest.approx(10.0)
    assert "evaluation time inside blocks is included" in run.method


def test_vendor_lora_rows_carry_a_finetune_block() -> None:
    lora = [c for c in load_cases(DATA / "train-nemo-perf-summary.yaml") if "-lora-" in c.id]
    assert lora
    for case in lora:
        assert (case.model_extra or {})["finetune"]["method"] == "lora"
