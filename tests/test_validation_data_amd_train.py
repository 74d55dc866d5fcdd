"""AMD's published Primus (Megatron-LM backend) training results: the file loads with full
provenance, every case is predicted, the script regenerates the shipped file unchanged, and the
reading of the printed columns (per-GPU throughput, FSDP, micro-batch) is the documented one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.cases import load_cases
from xpuplan.validation.run import validate_files
from xpuplan.validation.train_cases import case_stack, prepare_train_case

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "xpuplan" / "validation" / "data"
NAME = "train-amd-rocm-perf.yaml"
SCRIPT = "transcribe_amd_rocm_training.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("transcribe", ROOT / "scripts" / SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_case_carries_provenance() -> None:
    cases = load_cases(DATA / NAME)
    assert len(cases) >= 5
    for case in cases:
        source = case.source
        extra = source.model_extra or {}
        assert source.title and source.url and source.table and source.repo_path, case.id
        assert source.commit and len(source.commit) == 40, case.id
        assert extra.get("as_of"), f"{case.id}: source.as_of missing"
        assert "rocm/primus:" in source.table and "released" in source.table, case.id
        assert case.kind == "train" and case.hardware.family == "amd", case.id
        assert case.framework and case.precision and case.model.seq_len, case.id
        assert case.batch.micro_batch and case.batch.global_batch_seqs is None, case.id


def test_no_case_is_skipped() -> None:
    report = validate_files([DATA / NAME], load_catalog())
    skipped = {c.id: c.reason for c in report.cases if c.status != "ok"}
    assert not skipped, skipped
    assert {c.primary_metric for c in report.cases} == {"tokens_per_s_per_device"}


def test_script_regenerates_the_shipped_file(tmp_path: Path) -> None:
    out = tmp_path / NAME
    assert _script().main([SCRIPT, str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (DATA / NAME).read_text(encoding="utf-8")


def test_whole_system_rate_is_per_gpu_times_gpus() -> None:
    for case in load_cases(DATA / NAME):
        per_gpu = case.metrics["tokens_per_s_per_device"]
        assert per_gpu is not None
        assert case.metrics["tokens_per_s"] == per_gpu * case.hardware.count
        assert case.hardware.count == 8 * (case.hardware.nodes or 0)


@pytest.mark.parametrize(
    ("fsdp", "zero"),
    [(True, 3), (False, 1)],
)
def test_fsdp_column_reads_as_sharding(fsdp: bool, zero: int) -> None:
    """'FSDP: Yes' shards states over all data-parallel GPUs (ZeRO-3); 'No' is Megatron's
    distributed optimizer (ZeRO-1); both run the Megatron-Core stack with the printed
    micro-batch."""
    catalog = load_catalog()
    cases = [c for c in load_cases(DATA / NAME) if c.parallelism.fsdp is fsdp]
    assert cases
    for case in cases:
        assert case_stack(case).name == "megatron-core"
        prepared = prepare_train_case(case, catalog)
        assert prepared.layout.zero == zero, case.id
        assert prepared.layout.micro_batch == case.batch.micro_batch, case.id
