"""Routed experts' GEMMs run at the rows each touched expert receives, hand-counted on
Qwen3-30B-A3B (128 experts, top 8, 48 layers of 2048 x 768 experts)."""

from __future__ import annotations

import numpy as np
import pytest

from test_serving import IDEAL, one_step_model
from xpuplan.catalog.load import load_catalog
from xpuplan.models.counts import forward_flops_per_token
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates
from xpuplan.perf.serving.step import StepModel

pytestmark = pytest.mark.usefixtures("one_roof")


H100 = load_catalog().accelerator("nvidia-h100-sxm")
QWEN3_MOE = get_preset("qwen3-30b-a3b")
HALF = 64.0  # rows at half GEMM efficiency


def _steps(half_rows: float) -> StepModel:
    eff = IDEAL.replace(gemm_half_rows=half_rows, compute_fraction=0.001)
    c = build_candidates([H100], [0], [1], efficiency=eff)
    return one_step_model(QWEN3_MOE, c, 60e9, input_len=1.0, output_len=2.0)


def test_expert_rows_by_hand() -> None:
    """One token makes top_k = 8 one-row GEMMs; 16 tokens touch 128 x (1 - (15/16)^16) =
    82.42 experts with 128 / 82.42 = 1.553 rows each; 4,096 tokens touch all 128 experts with
    4,096 x 8 / 128 = 256 rows each."""
    rows = _steps(HALF).expert_rows(np.array([1.0, 16.0, 4096.0]))
    assert rows == pytest.approx([1.0, 128 / (128 * (1 - (15 / 16) ** 16)), 256.0], rel=1e-6)
    assert rows[1] == pytest.approx(1.553, abs=1e-3)


def test_decode_compute_charges_each_expert_gemm_at_its_own_rows() -> None:
    """Batch 128, compute-bound (0.1 % of the bf16 peak): the dense GEMMs run at 128 rows,
    efficiency 128 / (128 + 64) = 2/3; the routed experts' at 1,024 / 127.97 = 8.0 rows,
    efficiency 8.0 / 72.0. Routed FLOPs per token 2 x 28.99e9 x 8 / 128 = 3.62e9."""
    b = 128.0
    ideal = float(_steps(0.0).decode(np.array([b]))["compute"][0])
    tiled = float(_steps(HALF).decode(np.array([b]))["compute"][0])
    routed_flops = 2 * 28_991_029_248 * 8 / 128
    flops = forward_flops_per_token(QWEN3_MOE, 2)
    matmul = flops.total - flops.attention_scores
    peak = H100.bf16_dense_tflops * 1e12 * 0.001
    e_rows = b * 8 / (128 * (1 - (1 - 8 / 128) ** b))
    by_hand = b * (
        (matmul - routed_flops) / peak * (b + HALF) / b
        + routed_flops / peak * (e_rows + HALF) / e_rows
    )
    assert ideal == pytest.approx(b * matmul / peak, rel=1e-4)
    # the tiling loss relative to full-rate GEMMs, independent of the FLOP count's details
    assert tiled / ideal == pytest.approx(by_hand / (b * matmul / peak), rel=1e-6)
    assert tiled / ideal > (b + HALF) / b  # worse than if the experts saw all 128 rows
