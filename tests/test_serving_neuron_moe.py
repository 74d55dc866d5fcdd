"""MoE decode on Neuron (NxD Inference): every token through every expert once the batch routes
at least one token per expert on average (``forward_all_experts``), hand-counted."""

from __future__ import annotations

import numpy as np
import pytest

from test_serving import IDEAL
from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates, serving_capacity_arrays
from xpuplan.perf.serving.candidates import ModelTerms, moe_all_experts_load
from xpuplan.perf.serving.engine import get_engine, parse_stack

pytestmark = pytest.mark.usefixtures("one_roof")


CATALOG = load_catalog()
INF2 = CATALOG.accelerator("aws-inferentia2")
H100 = CATALOG.accelerator("nvidia-h100-sxm")
QWEN3_MOE = get_preset("qwen3-30b-a3b")  # 128 experts, top 8, expert ffn 768, 48 layers

# Weights at full bandwidth; compute at 1 % of peak with no row-count loss, so that a decode
# step is compute-bound and its time is its FLOPs over 1 % of the peak.
COMPUTE_BOUND = IDEAL.replace(compute_fraction=0.01)


def test_neuron_backend_runs_moe_densely_whatever_front_end() -> None:
    """NxD's threshold is tokens x top_k / experts >= 1.0 (DEFAULT_SELECTIVE_LOADING_THRESHOLD);
    vLLM and TGI on Inferentia run the NxD-compiled model; grouped GEMMs on GPUs never do."""
    assert get_engine("nxd-inference").moe_all_experts_load == 1.0
    for front in ("vllm", "tgi", "nxd-inference"):
        assert moe_all_experts_load(parse_stack(front, "aws"), INF2) == 1.0
    for engine in ("vllm", "tensorrt-llm", "sglang"):
        assert moe_all_experts_load(parse_stack(engine, "nvidia"), H100) == 0.0


def _decode(batch: float, *, dense: bool) -> dict[str, float]:
    cands = build_candidates(
        [INF2],
        [0],
        [8],
        tp_unit="cores",
        efficiency=COMPUTE_BOUND,
        stack=parse_stack("vllm", "aws"),
    )
    if not dense:
        cands.efficiency["moe_all_experts_load"] = np.zeros(1)
    arrays = serving_capacity_arrays(
        QWEN3_MOE, cands, input_len=1, output_len=2, batching="static", batch=batch
    )
    return arrays.row(0)


def test_expert_params_by_hand() -> None:
    """48 layers x 128 experts x (gate, up, down) 2048 x 768 = 28.99e9 routed-expert weights."""
    assert ModelTerms.from_spec(QWEN3_MOE).expert_params == 48 * 128 * 3 * 2048 * 768


def test_dense_moe_adds_the_unrouted_experts_flops() -> None:
    """Batch 32, top 8 of 128: 2 tokens per expert >= 1, so every token runs all 128 experts.
    The extra time is 32 x 2 x 28.99e9 x (1 - 8/128) FLOPs on 4 Inferentia2 chips (TP 8
    NeuronCores, 2 per chip) at 1 % of 190 TFLOP/s: 32 x 5.436e10 / 7.6e12 = 228.9 ms."""
    dense, routed = _decode(32.0, dense=True), _decode(32.0, dense=False)
    extra = 32 * 2 * 28_991_029_248 * (1 - 8 / 128) / (4 * 190e12 * 0.01)
    assert extra == pytest.approx(0.2289, rel=1e-3)
    assert dense["step_compute_s"] - routed["step_compute_s"] == pytest.approx(extra, rel=1e-9)


def test_below_one_token_per_expert_only_routed_experts_run() -> None:
    """Batch 8 routes 8 x 8 / 128 = 0.5 tokens per expert: selective loading, as on a GPU."""
    dense, routed = _decode(8.0, dense=True), _decode(8.0, dense=False)
    assert dense["step_s"] == pytest.approx(routed["step_s"], rel=1e-12)


def test_dense_moe_reads_every_expert() -> None:
    """At batch 32 all experts are read, not the 1 - (1 - 8/128)^32 = 87.3 % a batch of 32
    routed tokens touches; with compute at full rate the step is weight-bound."""
    cands = build_candidates(
        [INF2], [0], [8], tp_unit="cores", efficiency=COMPUTE_BOUND.replace(compute_fraction=1.0)
    )
    row = serving_capacity_arrays(
        QWEN3_MOE, cands, input_len=1, output_len=2, batching="static", batch=32.0
    ).row(0)
    terms = ModelTerms.from_spec(QWEN3_MOE)
    nbytes = (terms.block_params + terms.expert_params + terms.head_read_params) * 2 / 4
    assert row["step_weights_s"] == pytest.approx(nbytes / 0.82e12, rel=1e-9)
