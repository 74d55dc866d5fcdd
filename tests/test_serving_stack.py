"""Serving stack, power-limited clocks, logical cores, schedulers, speculative decoding, EP."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError, UnknownNameError
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import (
    SCHEDULERS,
    SpecDecode,
    build_candidates,
    default_stack,
    estimate_serving,
    parse_stack,
    serving_capacity_arrays,
    sustained_clock_fraction,
)
from xpuplan.perf.serving.candidates import allreduce_latency_steps
from xpuplan.perf.serving.schedulers import ContinuousBatching, SchedulingContext
from xpuplan.perf.serving_efficiency import efficiency_for

CATALOG = load_catalog()
LLAMA_8B = get_preset("llama-3.1-8b")
LLAMA_70B = get_preset("llama-3.1-70b")


@pytest.mark.parametrize(
    ("text", "engine", "generation"),
    [
        ("vllm==0.5.2", "vllm", 2024),
        ("vLLM 0.8.5", "vllm", 2025),
        ("trtllm@0.12", "tensorrt-llm", 2024),
        ("tensorrt-llm", "tensorrt-llm", 2025),  # no version: today's release
        ("sglang", "sglang", 2025),
    ],
)
def test_stack_versions_map_to_generations(text: str, engine: str, generation: int) -> None:
    stack = parse_stack(text, "nvidia")
    assert (stack.engine, stack.generation) == (engine, generation)


def test_default_stacks_are_todays_engine_of_each_family() -> None:
    assert default_stack("nvidia").engine == "tensorrt-llm"
    assert default_stack("aws").engine == "nxd-inference"
    assert default_stack("aws").can("static_shapes") and not default_stack("amd").can(
        "static_shapes"
    )
    assert default_stack("tpu").generation == 2025


def test_unknown_engine_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="vllm"):
        parse_stack("vlm", "nvidia")


def test_newer_stack_generation_is_a_separate_efficiency() -> None:
    old, new = efficiency_for("nvidia", generation=2024), efficiency_for("nvidia")
    assert new == efficiency_for("nvidia", generation=2025)
    assert old != new


@pytest.mark.parametrize(
    ("accelerator_id", "expected"),
    [
        ("nvidia-h100-sxm", 1.0),  # the Hopper reference sustains its boost clock
        ("amd-mi325x", 1.0),
        # 750 W against the 1,000 W the MI325X needs at the same peak (P ~ f at the
        # voltage floor: the clock scales with the power ratio)
        ("amd-mi300x", 0.75),
        # 350 W against 0.7078 W per TFLOP/s x 756 TFLOP/s
        ("nvidia-h100-pcie", 350 / (0.7078 * 756)),
        ("google-tpu-v6e", 1.0),  # no reference: not limited
    ],
)
def test_sustained_clock_from_tdp(accelerator_id: str, expected: float) -> None:
    assert sustained_clock_fraction(CATALOG.accelerator(accelerator_id)) == pytest.approx(
        expected, rel=1e-3
    )


def test_fp4_runs_at_bf16_on_chips_without_fp4() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    fp4 = build_candidates([h100], [0], [1], weight_precision="fp4")
    bf16 = build_candidates([h100], [0], [1], weight_precision="bf16")
    assert fp4.peak_tflops[0] == pytest.approx(bf16.peak_tflops[0])
    assert fp4.weight_bytes_per_param[0] < bf16.weight_bytes_per_param[0]
    b200 = CATALOG.accelerator("nvidia-b200")
    assert (
        build_candidates([b200], [0], [1], weight_precision="fp4").peak_tflops[0]
        > 2 * (build_candidates([b200], [0], [1], weight_precision="bf16").peak_tflops[0])
    )


def test_trainium2_kv_shards_over_logical_cores() -> None:
    trn2 = CATALOG.accelerator("aws-trainium2")
    c = build_candidates([trn2], [0], [16], tp_unit="cores")
    assert c.kv_shards_per_chip[0] == 4.0  # 8 physical cores / LNC 2
    assert c.tp[0] == 4.0


def test_torus_allreduce_takes_fewer_latency_steps_than_a_ring() -> None:
    torus2d, ring = 2, 1  # perf.comm topology codes
    steps = allreduce_latency_steps(np.array([16.0, 16.0]), np.array([torus2d, ring]))
    assert steps[0] == pytest.approx(2 * 2 * 3)  # 4 x 4: two rings of 4
    assert steps[1] == pytest.approx(2 * 15)


def test_scheduler_registry_has_the_four_schedulers() -> None:
    assert set(SCHEDULERS) == {"static", "continuous", "chunked", "disaggregated"}


class _Doubled(ContinuousBatching):
    """A test scheduler: continuous batching that reports twice the rate."""

    name: ClassVar[str] = "doubled"

    def evaluate(
        self, ctx: SchedulingContext, b: np.ndarray, quantiles: tuple[float, ...]
    ) -> dict[str, np.ndarray]:
        out = super().evaluate(ctx, b, quantiles)
        out["rate"] = 2.0 * out["rate"]
        return out


def test_a_new_scheduler_is_one_class() -> None:
    c = build_candidates([CATALOG.accelerator("nvidia-h100-sxm")], [0], [1])
    kw = {"input_len": 512.0, "output_len": 128.0, "batch": 8.0}
    base = serving_capacity_arrays(LLAMA_8B, c, **kw)
    doubled = serving_capacity_arrays(LLAMA_8B, c, batching=_Doubled(), **kw)
    assert doubled.rate_per_s[0] == pytest.approx(2 * base.rate_per_s[0])


def test_chunked_prefill_matches_continuous_for_short_prompts_and_cuts_tpot_tail() -> None:
    c = build_candidates([CATALOG.accelerator("nvidia-h100-sxm")], [0], [1])
    short = {"input_len": 512.0, "output_len": 256.0, "rate_per_replica": 2.0}
    a = serving_capacity_arrays(LLAMA_8B, c, **short)
    b = serving_capacity_arrays(LLAMA_8B, c, batching="chunked", **short)
    assert b.tpot_p99_s[0] == pytest.approx(a.tpot_p99_s[0])
    long = {"input_len": 32000.0, "output_len": 256.0, "rate_per_replica": 0.2}
    a = serving_capacity_arrays(LLAMA_8B, c, **long)
    b = serving_capacity_arrays(LLAMA_8B, c, batching="chunked", **long)
    assert b.tpot_p99_s[0] < a.tpot_p99_s[0]


def test_disaggregated_decode_is_never_interrupted() -> None:
    c = build_candidates([CATALOG.accelerator("nvidia-h100-sxm")], [0], [4])
    r = serving_capacity_arrays(
        LLAMA_70B, c, input_len=2048.0, output_len=256.0, batching="disaggregated", batch=32.0
    )
    assert r.tpot_p99_s[0] == pytest.approx(r.step_s[0])
    assert 0.0 < r.prefill_share[0] < 1.0


def test_speculative_tokens_per_step_follows_leviathan() -> None:
    spec = SpecDecode("eagle", tokens=4, acceptance=0.8)
    assert spec.tokens_per_step == pytest.approx((1 - 0.8**5) / (1 - 0.8))
    with pytest.raises(InputError, match="draft model"):
        SpecDecode("draft", tokens=4, acceptance=0.5)
    with pytest.raises(InputError, match="acceptance"):
        SpecDecode("eagle", tokens=4, acceptance=1.0)


def test_speculative_decoding_cuts_batch1_latency_only_when_drafts_are_accepted() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    kw = {"count": 8, "tp": 8, "input_len": 1024, "output_len": 256, "batch": 1}
    plain = estimate_serving(LLAMA_70B, h100, **kw)
    good = estimate_serving(
        LLAMA_70B, h100, spec_decode=SpecDecode("draft", 4, 0.8, draft=LLAMA_8B), **kw
    )
    bad = estimate_serving(LLAMA_70B, h100, spec_decode=SpecDecode("eagle", 4, 0.0), **kw)
    assert good.tpot_mean_ms < plain.tpot_mean_ms < bad.tpot_mean_ms
    assert good.decode_step_ms["draft"] > 0
    assert good.memory_gb_per_chip["weights"] > plain.memory_gb_per_chip["weights"]


def test_deepseek_expert_parallel_splits_the_latent_cache() -> None:
    spec = get_preset("deepseek-v3")
    h200 = CATALOG.accelerator("nvidia-h200-sxm")
    kw = {"count": 8, "tp": 8, "input_len": 1024, "output_len": 512, "batch": 16}
    tp_only = estimate_serving(spec, h200, weight_precision="fp8", ep=1, **kw)
    ep = estimate_serving(spec, h200, weight_precision="fp8", ep=8, **kw)
    ratio = tp_only.memory_gb_per_chip["kv_per_sequence"] / ep.memory_gb_per_chip["kv_per_sequence"]
    assert ratio == pytest.approx(8.0)
    assert ep.max_batch_per_replica > tp_only.max_batch_per_replica


def test_layout_is_searched_without_tp() -> None:
    v6e = CATALOG.accelerator("google-tpu-v6e")
    e = estimate_serving(LLAMA_70B, v6e, count=8, input_len=1024, output_len=256)
    assert e.feasible and e.layout_searched and e.tp * e.pp > 1
    assert math.isfinite(e.output_tokens_per_s)
    fixed = estimate_serving(LLAMA_70B, v6e, count=8, tp=1, input_len=1024, output_len=256)
    assert not fixed.feasible


def test_beam_search_decodes_every_hypothesis() -> None:
    c = build_candidates([CATALOG.accelerator("nvidia-h100-sxm")], [0], [1])
    kw = {"input_len": 1000.0, "output_len": 100.0, "batch": 16.0}
    one = serving_capacity_arrays(LLAMA_8B, c, **kw)
    four = serving_capacity_arrays(LLAMA_8B, c, beams=4.0, **kw)
    assert four.step_kv_s[0] > 3.0 * one.step_kv_s[0]  # four hypotheses read their KV
    assert four.kv_gb_per_sequence_per_chip[0] > one.kv_gb_per_sequence_per_chip[0]
    assert four.output_tokens_per_s[0] < one.output_tokens_per_s[0]
