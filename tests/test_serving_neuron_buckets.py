"""Static-shape buckets end at the compiled maximum length (NxD Inference's bucket ladder)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.models.counts import forward_flops_per_token
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates
from xpuplan.perf.serving.candidates import ModelTerms
from xpuplan.perf.serving.memory import bucket, mean_bucket
from xpuplan.perf.serving.step import StepModel
from xpuplan.perf.serving_efficiency import ServingEfficiency

CATALOG = load_catalog()
TRN2 = CATALOG.accelerator("aws-trainium2")

# Pure roofline with static shapes: prefill time is its FLOPs at peak.
PADDED = ServingEfficiency(
    hbm_bw_fraction=1.0,
    kv_bw_fraction=1.0,
    compute_fraction=1.0,
    gemm_half_rows=0.0,
    fp4_peak_fraction=1.0,
    step_overhead_s=0.0,
    collective_latency_s=0.0,
    collective_bw_fraction=1.0,
    kv_read_padded=1.0,
    usable_hbm_fraction=0.9,
    runtime_reserve_gb=3.0,
    max_sequences=2048.0,
    pcie_gbytes_per_s=31.5,
    dispatch_window_s=0.0,
)


def test_bucket_ladder_ends_at_the_compiled_length() -> None:
    """Compiled for 12,800 (the NxD Inference Trn2 tutorials' --seq-len): the ladder is 128,
    256, ..., 8192, 12800; without a maximum the next power of two (16,384) would be used."""
    assert bucket(10_000) == 16_384
    assert bucket(10_000, 12_800) == 12_800
    assert bucket(8_192, 12_800) == 8_192
    assert bucket(3_000, 12_800) == 4_096
    assert bucket(100, 12_800) == 128
    # decoding from 10,000 to 11,500 cached tokens stays in the 12,800 bucket
    assert mean_bucket(10_000, 11_500, 12_800) == 12_800
    # positions uniform on [100, 5000] with a 5000 maximum: 28 in the 128 bucket, then 256 ...
    # 4096 by halves, and the last 904 positions in the 5000 bucket
    by_hand = (
        28 * 128 + 128 * 256 + 256 * 512 + 512 * 1024 + 1024 * 2048 + 2048 * 4096 + 904 * 5000
    ) / 4900
    assert mean_bucket(100, 5_000, 5_000) == pytest.approx(by_hand, rel=1e-12)


def test_prefill_of_a_long_prompt_runs_at_the_compiled_length() -> None:
    """A 10,000-token prompt of Llama 3.3 70B on 16 Trainium2 (TP 64 logical cores) compiled
    for 12,800 tokens prefills 12,800 positions, not 16,384. Per position: 136.90 GFLOP of
    matmuls (152.11 - 13.11 attention scores - 2.10 LM head, at causal context 10,000) and the
    attention scores, which grow with the padded length: 13.11 x P / 10,000 GFLOP."""
    llama = get_preset("llama-3.3-70b")
    flops = forward_flops_per_token(llama, 10_000, causal=True)
    assert flops.total == pytest.approx(152.11e9, rel=1e-4)
    matmuls = flops.total - flops.attention_scores - flops.head

    def compute_s(max_len: int) -> tuple[float, float]:
        spec = dataclasses.replace(llama, max_seq_len=max_len)
        cands = build_candidates([TRN2], [0], [64], tp_unit="cores", efficiency=PADDED)
        steps = StepModel(
            spec, ModelTerms.from_spec(spec), cands, np.zeros(1),
            input_len=10_000, output_len=2, output_len_scv=0.0,
        )  # fmt: skip
        return float(steps.pf_tokens[0]), float(steps.prefill(np.ones(1), static=True)[2][0])

    def by_hand(padded: float) -> float:
        per_position = matmuls + flops.attention_scores * padded / 10_000
        return (padded * per_position + flops.head) / (16 * TRN2.bf16_dense_tflops * 1e12)

    for max_len, padded in ((12_800, 12_800.0), (16_384, 16_384.0)):
        positions, seconds = compute_s(max_len)
        assert positions == padded
        assert seconds == pytest.approx(by_hand(padded), rel=1e-6)
