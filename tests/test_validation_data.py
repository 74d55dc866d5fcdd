"""Contract battery for every validation file shipped in the package (and its dataset table)."""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.validation.cases import ValidationCase, load_cases

DATA = Path(str(resources.files("xpuplan.validation").joinpath("data")))
CASE_FILES = sorted(p for p in DATA.glob("*.yaml") if "cases" in yaml.safe_load(p.read_text()))
WORKLOADS: dict[str, Any] = yaml.safe_load((DATA / "infer_workloads.yaml").read_text())["workloads"]
# Accelerator ids a case may carry although the bundled catalog lacks them, with the reason.
NOT_IN_CATALOG: dict[str, str] = {}


@cache
def _catalog() -> Catalog:
    return load_catalog()


@cache
def _cases(name: str) -> list[ValidationCase]:
    return load_cases(DATA / name)


def test_the_shipped_files_are_found() -> None:
    names = {p.name for p in CASE_FILES}
    assert {"public.yaml", "serving-tpu-inferentia.yaml", "training-trainium2.yaml"} <= names


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_file_loads_and_names_catalog_accelerators(path: Path) -> None:
    cases = _cases(path.name)
    assert cases
    unknown = {
        c.hardware.accelerator_id
        for c in cases
        if not _catalog().has_accelerator(c.hardware.accelerator_id)
    }
    assert unknown <= set(NOT_IN_CATALOG), f"{path.name}: not in the catalog: {sorted(unknown)}"


def _has_lengths(workload: dict[str, Any]) -> bool:
    if workload.get("input_tokens_mean") and workload.get("output_tokens_mean"):
        return True
    entry = WORKLOADS.get(str(workload.get("dataset")))
    return bool(entry and entry.get("output_tokens_mean"))


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_infer_case_states_its_request_mix(path: Path) -> None:
    for case in _cases(path.name):
        if case.kind != "infer":
            continue
        workload = getattr(case, "workload", None)
        assert isinstance(workload, dict), f"{case.id}: no workload block"
        assert set(workload) <= {
            "input_tokens_mean",
            "output_tokens_mean",
            "max_concurrency",
            "request_rate",
            "dataset",
            "notes",
        }, case.id
        if "sharegpt" in str(workload.get("dataset", "")).lower():
            # JetStream's ShareGPT runs: the sources publish the filters, not the mean lengths
            assert workload.get("notes"), case.id
            continue
        assert _has_lengths(workload), f"{case.id}: neither means nor a dataset entry with them"


def test_mlperf_cases_name_a_dataset_entry() -> None:
    for path in CASE_FILES:
        for case in _cases(path.name):
            workload = getattr(case, "workload", None) or {}
            if case.kind == "infer" and "mlperf" in case.model.name.lower():
                assert workload.get("dataset") in WORKLOADS, case.id


@pytest.mark.parametrize("key", sorted(WORKLOADS))
def test_dataset_entries_carry_provenance(key: str) -> None:
    entry = WORKLOADS[key]
    # matched on the model (MLPerf datasets) or on the case's workload.dataset text (ShareGPT)
    assert entry["source"] and entry["as_of"], key
    assert entry.get("match") or entry.get("dataset_match"), key
    for field in ("input_tokens_mean", "output_tokens_mean", "input_tokens_max"):
        value = entry.get(field)
        assert value is None or value > 0, (key, field)
    limits = entry.get("scenarios") or {}
    assert set(limits) <= {"server", "interactive"}, key
    assert all(v > 0 for scenario in limits.values() for v in scenario.values()), key


def _script(name: str) -> Any:
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _case(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "x", "kind": "infer", "model": {"name": "m"}, "batch": {}}
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"batch": {"notes": "fixed ISL 128/OSL 2048, all queued"}}, (128, 2048, None)),
        (
            {"batch": {"global_batch_seqs": 4, "notes": "input 32 tokens, output 128 tokens"}},
            (32, 128, 4),
        ),
        (
            {
                "conditions": "guidellm prompt_tokens=1500 (var 150), generated_tokens=250; "
                "max concurrency 128 users; mode throughput"
            },
            (1500, 250, 128),
        ),
        ({"conditions": "prompt_tokens=10 generated_tokens=5; mode synchronous"}, (10, 5, 1)),
        (
            {"conditions": "guidellm emulated ~1,500 input / ~250 output tokens; with 96 users"},
            (1500, 250, 96),
        ),
    ],
)
def test_workload_parser_reads_stated_lengths(
    fields: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    workload = _script("parse_case_workloads").workload_for(_case(**fields), WORKLOADS)
    got = (workload["input_tokens_mean"], workload["output_tokens_mean"])
    assert (*got, workload["max_concurrency"]) == expected


def test_workload_parser_maps_mlperf_to_its_dataset_and_skips_silent_cases() -> None:
    module = _script("parse_case_workloads")
    mlperf = _case(
        model={"name": "Llama 2 70B Chat (MLPerf llama2-70b-99)"},
        conditions="scenario=Server; result VALID",
    )
    workload = module.workload_for(mlperf, WORKLOADS)
    assert workload["dataset"] == "mlperf-llama2-70b"
    assert workload["output_tokens_mean"] == WORKLOADS["mlperf-llama2-70b"]["output_tokens_mean"]
    assert module.workload_for(_case(conditions="nothing stated"), WORKLOADS) is None
    assert module.workload_for(_case(kind="train"), WORKLOADS) is None


_SERVER_SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : PySUT
Scenario : Server
Mode     : PerformanceOnly
Completed samples per second    : 1.29
Completed tokens per second: 845.82
Result is : VALID
Mean First Token latency (ns)                : 1860083007
99.00 percentile first token latency (ns)   : 4296681261
Mean Time to Output Token (ns)               : 87022478
99.00 percentile time to output token (ns)   : 113518660
ttft_latency (ns): 6000000000
tpot_latency (ns): 175000000
"""


def _tree(root: Path, system: dict[str, Any], runs: dict[str, str]) -> None:
    base = root / "closed" / "Acme"
    (base / "systems").mkdir(parents=True)
    (base / "systems" / "box.json").write_text(json.dumps(system))
    for rel, text in runs.items():
        folder = base / "results" / "box" / rel / "performance" / "run_1"
        folder.mkdir(parents=True)
        (folder / "mlperf_log_summary.txt").write_text(text)


def test_mlperf_parser_writes_loadable_cases_and_accounts_for_the_rest(tmp_path: Path) -> None:
    module = _script("parse_mlperf_inference")
    system = {
        "accelerator_model_name": "NVIDIA B200-SXM-180GB",
        "accelerators_per_node": "8",
        "number_of_nodes": 1,
        "framework": "TensorRT",
        "system_name": "Box",
    }
    _tree(
        tmp_path,
        system,
        {
            "llama3_1-405b/Server": _SERVER_SUMMARY,
            "llama2-70b-interactive-99/Server": _SERVER_SUMMARY,
            "llama2-70b-99/Offline": _SERVER_SUMMARY.replace("VALID", "INVALID"),
            "qwen-9b/Offline": _SERVER_SUMMARY,
            "resnet50/Offline": _SERVER_SUMMARY,
        },
    )
    source = {"repo": "o/r", "commit": "c" * 40, "round": "v5.0", "division": "closed"}
    cases, account = module.parse(tmp_path, {**source, "as_of": "2026-12-02"})
    assert account["summaries_found"] == 5 and account["llm_results_found"] == 4
    assert len(cases) == 2 and len(account["left_out"]) == 2
    assert any("INVALID" in line for line in account["left_out"])
    assert any("does not describe" in line for line in account["left_out"])
    out = tmp_path / "out.yaml"
    out.write_text(module.render(cases, account, {**source, "as_of": "2026-12-02"}))
    loaded = {c.id: c for c in load_cases(out)}
    by_scenario = {c.conditions.split(";")[0]: c for c in loaded.values() if c.conditions}
    server = by_scenario["scenario=Server"]
    assert server.hardware.accelerator_id == "nvidia-b200" and server.hardware.count == 8
    assert server.measured()["tokens_per_s"] == pytest.approx(845.82)
    assert server.measured()["ttft_p99_ms"] == pytest.approx(4296.681261)
    assert server.measured()["constraint_tpot_ms"] == pytest.approx(175.0)
    assert server.workload["dataset"] == "mlperf-llama3.1-405b"  # type: ignore[attr-defined]
    assert "scenario=Interactive" in by_scenario


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NVIDIA H200-SXM-141GB", "nvidia-h200-sxm"),
        ("NVIDIA GH200 Grace Hopper Superchip 144GB", "nvidia-gh200"),
        ("NVIDIA H100-NVL-94GB", "nvidia-h100-nvl"),
        ("AMD Instinct MI325X 256GB HBM3E", "amd-mi325x"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "nvidia-rtx-pro-6000-bse"),
        ("TPU v6e (Trillium)", "google-tpu-v6e"),
        ("Some New Chip", None),
    ],
)
def test_mlperf_accelerator_names_map_to_catalog_ids(name: str, expected: str | None) -> None:
    known = {a.id for a in _catalog().accelerators}
    assert _script("parse_mlperf_inference").accelerator_id(name, known) == expected
