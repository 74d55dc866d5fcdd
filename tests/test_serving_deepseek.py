"""DeepSeek-style serving: MLA decode attention in the latent space, expert-parallel MoE layers
at ``ep_moe_fraction``, a stated KV-cache format, and the TensorRT-LLM DeepSeek-R1 guide's
runs read as closed loops at TP 8 / EP 8 with attention data parallelism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from test_serving import IDEAL, one_step_model
from xpuplan.catalog.load import load_catalog
from xpuplan.models.counts import decode_attention_score_flops, forward_flops_per_token
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates
from xpuplan.validation import infer_calibration as ic
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_cases import _stated_kv_precision, prepare_infer_case

DATA = Path(__file__).resolve().parents[1] / "src" / "xpuplan" / "validation" / "data"
DSR1 = get_preset("deepseek-r1")
B200 = load_catalog().accelerator("nvidia-b200")


def test_mla_decode_scores_in_the_latent_space_by_hand() -> None:
    """DeepSeek-R1 at 2,048 cached tokens: 128 heads score a 512 + 64 = 576-wide latent and mix
    512-wide values, 2 x 128 x 1,088 x 2,048 FLOPs per layer over 61 layers (35 GFLOP), 3.4x
    the prompt-form count 2 x 128 x (192 + 128) x 2,048 x 61."""
    absorbed = decode_attention_score_flops(DSR1, 2048)
    assert absorbed == pytest.approx(2 * 128 * 1088 * 2048 * 61, rel=1e-12)
    prompt_form = forward_flops_per_token(DSR1, 2048).attention_scores
    assert prompt_form == pytest.approx(2 * 128 * 320 * 2048 * 61, rel=1e-12)
    assert absorbed / prompt_form == pytest.approx(1088 / 320)
    llama = get_preset("llama-3.1-8b")
    assert (
        decode_attention_score_flops(llama, 512)
        == forward_flops_per_token(llama, 512).attention_scores
    )


def _decode(ep: int, fraction: float, batch: float) -> dict[str, float]:
    eff = IDEAL.replace(ep_moe_fraction=fraction, compute_fraction=0.5)
    c = build_candidates([B200], [0], [8], efficiency=eff, weight_precision="fp4", ep=ep)
    steps = one_step_model(DSR1, c, 50e9, input_len=1024.0, output_len=2048.0)
    return {k: float(v[0]) for k, v in steps.decode(np.array([batch])).items()}


def test_expert_parallel_moe_layers_run_at_the_fraction() -> None:
    """Halving ep_moe_fraction doubles an EP step's all-to-all exactly and leaves attention,
    overhead and a tensor-parallel step (ep 1) untouched."""
    full, half = _decode(8, 1.0, 2048.0), _decode(8, 0.5, 2048.0)
    assert half["kv"] == full["kv"] and half["overhead"] == full["overhead"]
    assert full["comm"] > 0 and half["comm"] == pytest.approx(2 * full["comm"], rel=1e-12)
    assert half["total"] > full["total"]
    assert _decode(1, 0.5, 2048.0) == _decode(1, 1.0, 2048.0)


def test_stated_kv_format_is_read() -> None:
    assert _stated_kv_precision("FP4 weights (NVFP4), FP8 KV cache") == "fp8"
    assert _stated_kv_precision("FP8 weights (block-scaled), bf16 KV cache (the default)") == (
        "bf16"
    )
    assert _stated_kv_precision("int8 weights and int8 KV cache (--quantize_kv_cache)") == "int8"
    assert _stated_kv_precision("bf16 activations/KV") is None
    assert _stated_kv_precision(None) is None


def test_the_guide_runs_are_read_as_closed_loops_with_attention_dp() -> None:
    catalog = load_catalog()
    cases = load_cases(DATA / "infer-trtllm-deepseek-r1.yaml")
    assert len(cases) == 3
    kv = {}
    for case in cases:
        prepared = prepare_infer_case(case, catalog)
        s = prepared.setting
        assert prepared.spec.mla is not None and prepared.spec.moe is not None
        assert (s.scenario, s.tp, s.ep, s.output_len) == ("closed", 8, 8, 2048.0)
        assert s.users == s.slots == case.batch.global_batch_seqs
        kv[case.hardware.accelerator_id, s.weight_precision] = kv.get(
            (case.hardware.accelerator_id, s.weight_precision), set()
        ) | {s.kv_precision}
    assert kv == {("nvidia-b200", "fp4"): {"fp8", "bf16"}, ("nvidia-h200-sxm", "fp8"): {"bf16"}}


def test_ep_moe_fraction_is_fitted_only_with_enough_expert_parallel_cases() -> None:
    """Two expert-parallel runs (fewer than MIN_CASES) leave the prior centre; the guide's three
    move it below the prior, toward the measured slowness of EP layers."""
    assert ic.MIN_CASES == 3
    cases = load_cases(DATA / "infer-trtllm-deepseek-r1.yaml")
    calibration = ic.ServingCalibration(iterations=2)
    prior = ic.PRIOR_CENTRE["ep_moe_fraction"]
    two = calibration.fit(cases[:2]).value("ep_moe_fraction", "nvidia", 2025)
    three = calibration.fit(cases).value("ep_moe_fraction", "nvidia", 2025)
    assert two == pytest.approx(prior)
    assert three < prior
