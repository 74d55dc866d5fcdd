"""Per-request host work of engines that run it every iteration (all but SGLang's overlap
scheduler), multi-step scheduling, and how AMD's ROCm vLLM page and MLPerf's AMD rows are read
for it."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

from test_serving import one_step_model
from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import resolve_model
from xpuplan.perf.serving import build_candidates
from xpuplan.perf.serving.engine import ServingStack, get_engine, parse_stack
from xpuplan.perf.serving_efficiency import efficiency_for
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_calibration import BOUNDS, PRIOR_CENTRE
from xpuplan.validation.infer_cases import _efficiency_of, prepare_infer_case

CATALOG = load_catalog()
DATA = resources.files("xpuplan.validation").joinpath("data")


def _cases(name: str) -> dict[str, object]:
    with resources.as_file(DATA.joinpath(name)) as path:
        return {c.id: c for c in load_cases(path)}


AMD_PAGE = _cases("infer-amd-rocm-vllm.yaml")
MLPERF_V50 = _cases("mlperf-inference-v5.0.yaml")


@pytest.mark.parametrize(
    ("stack", "exposed"),
    [
        ("vllm==0.10.2", True),  # V1 engine
        ("vllm==0.8.5", True),  # V1 by default from 0.8
        ("vllm==0.6.5.dev964", True),  # V0 walks every running request too
        ("vllm==0.4.3", True),
        ("vllm", True),  # today's vLLM
        ("tensorrt-llm==0.17", True),  # the C++ batch manager, between forward passes
        ("jetstream", True),  # the orchestrator's Python threads
        ("sglang==0.4.6", False),  # overlap scheduler
    ],
)
def test_which_engine_versions_run_per_request_host_work(stack: str, exposed: bool) -> None:
    assert parse_stack(stack, "amd").exposes_host_work() is exposed


def _decode_total(host_s: float, steps: float, batch: float) -> float:
    mi300x = CATALOG.accelerator("amd-mi300x")
    eff = efficiency_for("amd").replace(host_s_per_sequence=host_s, scheduler_steps=steps)
    c = build_candidates([mi300x], [0], [8], weight_precision="fp8", efficiency=eff)
    model = resolve_model("llama-3.1-70b")
    sm = one_step_model(model, c, 70.6e9 / 8, input_len=128.0, output_len=2048.0)
    return float(sm.decode(np.array([batch]))["total"][0])


def test_host_work_adds_per_running_request_and_multi_step_divides_it() -> None:
    # hand count: 20 us per request x 1,000 requests = 20 ms per decode step; once per
    # 10 steps with multi-step scheduling = 2 ms per step
    base = _decode_total(0.0, 1.0, 1000.0)
    assert _decode_total(20e-6, 1.0, 1000.0) - base == pytest.approx(20e-3, rel=1e-9)
    assert _decode_total(20e-6, 10.0, 1000.0) - base == pytest.approx(2e-3, rel=1e-9)


def test_amd_page_reads_multi_step_on_vllm_0_8_5_and_not_on_0_10_2() -> None:
    v0 = prepare_infer_case(
        AMD_PAGE["amd-rocm-perf-2025-05-vllm-llama3.1-70b-fp8-mi300x-tp8-in128-out2048-throughput"],
        CATALOG,
    )
    v1 = prepare_infer_case(
        AMD_PAGE["amd-rocm-perf-2025-10-vllm-llama3.1-70b-fp8-mi300x-tp8-in128-out2048-throughput"],
        CATALOG,
    )
    assert v0.setting.scheduler_steps == 10.0  # ROCm/MAD scripts/vllm/config.csv
    assert v1.setting.scheduler_steps == 1.0
    eff = efficiency_for("amd", 2025).replace(host_s_per_sequence=1e-5)
    assert _efficiency_of(v0, eff).scheduler_steps == 10.0
    assert _efficiency_of(v1, eff).host_s_per_sequence == 1e-5


def test_mlperf_dev_build_counts_as_its_base_release_but_keeps_its_round() -> None:
    case = MLPERF_V50["mlperf-inf-v5.0-llama2-70b-99.9-offline-amd-8xmi325x-2xepyc-9575f"]
    prepared = prepare_infer_case(case, CATALOG)
    stack = prepared.setting.stack
    assert stack == ServingStack("vllm", "0.6.5.dev", 2025)
    eff = efficiency_for("amd", 2025).replace(host_s_per_sequence=1e-5)
    assert _efficiency_of(prepared, eff).host_s_per_sequence == 1e-5


def test_prior_matches_the_amd_page_v0_to_v1_drop() -> None:
    """AMD's page, same 8 x MI300X, Llama 3.1 70B FP8, 128 in / 2,048 out, 3,200 requests:
    16,622.2 tok/s on vLLM 0.8.5 (V0, 10 scheduler steps) and 13,212.5 tok/s on 0.10.2 (V1).
    All 3,200 requests decode together, so a step lasts 3,200 / throughput; the extra time
    per step over the requests, net of the tenth V0 still pays, is the per-request host work."""
    extra_s = 3200 / 13212.5 - 3200 / 16622.2
    per_request = extra_s / 3200 / (1.0 - 1.0 / 10.0)
    assert per_request == pytest.approx(17.2e-6, rel=0.02)
    lo, hi = BOUNDS["host_s_per_sequence"]
    assert lo < per_request < hi
    # within a factor 3 of the prior centre taken from the engine's own measurements
    assert abs(math.log(per_request / PRIOR_CENTRE["host_s_per_sequence"])) < math.log(3.0)


def test_engines_name_their_first_exposed_version() -> None:
    assert get_engine("vllm").exposed_host_from == (0,)
    assert get_engine("tensorrt-llm").exposed_host_from == (0,)
    assert get_engine("sglang").exposed_host_from is None
