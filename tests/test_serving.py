"""Serving estimator against hand-derived numbers (decode step, KV capacity, prefill, MoE)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InputError
from xpuplan.models.presets import get_preset
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving import (
    build_candidates,
    estimate_serving,
    serving_capacity_arrays,
)
from xpuplan.perf.serving.candidates import ModelTerms, ServingCandidates
from xpuplan.perf.serving.step import StepModel
from xpuplan.perf.serving_efficiency import ServingEfficiency, efficiency_for
from xpuplan.search.serving_cost import cost_per_million_tokens
from xpuplan.units import GIB

CATALOG = load_catalog()
H100 = CATALOG.accelerator("nvidia-h100-sxm")
LLAMA8 = get_preset("llama-3.1-8b")
MIXTRAL = get_preset("mixtral-8x7b")

# Every achievable fraction 1 and no fixed costs: the pure roofline.
IDEAL = ServingEfficiency(
    hbm_bw_fraction=1.0,
    kv_bw_fraction=1.0,
    compute_fraction=1.0,
    gemm_half_rows=0.0,
    fp4_peak_fraction=1.0,
    step_overhead_s=0.0,
    collective_latency_s=0.0,
    collective_bw_fraction=1.0,
    kv_read_padded=0.0,
    usable_hbm_fraction=0.9,
    runtime_reserve_gb=3.0,
    max_sequences=2048.0,
    pcie_gbytes_per_s=31.5,
    dispatch_window_s=0.0,
)


def one_step_model(
    model: ModelSpec,
    cands: ServingCandidates,
    weights_per_chip: float,
    *,
    input_len: float,
    output_len: float,
) -> StepModel:
    """The step model of one candidate at fixed request lengths (helper for step tests)."""
    return StepModel(
        model,
        ModelTerms.from_spec(model),
        cands,
        np.array([weights_per_chip]),
        input_len=input_len,
        output_len=output_len,
        output_len_scv=0.0,
    )


# Llama 3.1 8B by hand (Meta config: d 4096, 32 layers, 32 q / 8 kv heads of 128, ffn 14336,
# vocab 128256, untied head).
D, LAYERS, FFN, VOCAB = 4096, 32, 14336, 128256
BLOCK_MATMULS = LAYERS * (2 * D * D + 2 * D * 1024 + 3 * D * FFN)  # 6.98e9
EMBEDDING = VOCAB * D
KV_BYTES_PER_TOKEN_BF16 = 2 * LAYERS * 8 * 128 * 2  # K and V, 8 heads x 128, 2 bytes


def test_decode_step_batch1_is_weight_read_time() -> None:
    """8B bf16 at batch 1 on H100: read the blocks and the LM head once, 3.35 TB/s.

    (8.03B params - 0.53B embedding not read) x 2 bytes = 15.0 GB -> 4.48 ms (16 GB / 3.35
    TB/s ~ 4.8 ms when the embedding is counted too).
    """
    e = estimate_serving(
        LLAMA8, H100, count=1, tp=1, input_len=1, output_len=2, batch=1,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    read_bytes = (BLOCK_MATMULS + EMBEDDING) * 2  # blocks + head (norms are negligible)
    expected_ms = read_bytes / 3.35e12 * 1e3
    assert expected_ms == pytest.approx(4.48, abs=0.01)
    assert e.decode_step_ms["weights"] == pytest.approx(expected_ms, rel=1e-3)
    assert e.decode_step_ms["total"] == pytest.approx(expected_ms, rel=1e-3)


def test_pipeline_runs_at_its_last_stage_which_holds_the_lm_head() -> None:
    """8B bf16 at batch 1 on 4 x H100 with pp 4: a token waits for 4 stages, each at the pace
    of the last one, which reads its quarter of the blocks and the whole 16-bit LM head:
    4 x (6.98e9 / 4 + 0.525e9) x 2 B / 3.35 TB/s = 4 x 1.355 ms = 5.42 ms, not the 4.48 ms of
    the model spread evenly (test_decode_step_batch1_is_weight_read_time)."""
    e = estimate_serving(
        LLAMA8, H100, count=4, tp=1, pp=4, input_len=1, output_len=2, batch=1,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    last_stage_bytes = (BLOCK_MATMULS / 4 + EMBEDDING) * 2
    expected_ms = 4 * last_stage_bytes / 3.35e12 * 1e3
    assert expected_ms == pytest.approx(5.42, abs=0.01)
    assert e.decode_step_ms["weights"] == pytest.approx(expected_ms, rel=1e-3)


def test_kv_capacity_by_hand() -> None:
    """Static 1024+1024 tokens, bf16: 2048 x 131,072 B = 0.25 GiB per sequence;
    budget 0.9 x (80 - 14.96 - 3) GiB = 55.84 GiB -> 223 sequences."""
    e = estimate_serving(
        LLAMA8, H100, count=1, tp=1, input_len=1024, output_len=1024, batch=1,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    weights_gib = 8_030_261_248 * 2 / GIB
    budget_gib = 0.9 * (80.0 - weights_gib - 3.0)
    per_seq_gib = 2048 * KV_BYTES_PER_TOKEN_BF16 / GIB
    assert per_seq_gib == pytest.approx(0.25)
    assert e.memory_gb_per_chip["weights"] == pytest.approx(weights_gib, rel=1e-6)
    assert e.max_batch_per_replica == math.floor(budget_gib / per_seq_gib) == 223


@pytest.mark.parametrize(
    ("offline", "output_scv", "resident_tokens", "expected"),
    [
        # offline burst of equal lengths: the batch grows in step, all at 1024 + 1024 at the end
        (True, 0.0, 2048, 223),
        # lengths vary: sequences of every age, length-biased mean output (1 + 0.5) x 1024 / 2
        (True, 0.5, 1792, 255),
        # arrivals at a rate: a steady mix of ages, 1024 + 1024 / 2 on average
        (False, 0.0, 1536, 297),
    ],
)
def test_offline_equal_length_burst_holds_full_length(
    offline: bool, output_scv: float, resident_tokens: int, expected: int
) -> None:
    """Budget 55.84 GiB (test_kv_capacity_by_hand) over resident tokens x 131,072 B:
    55.84 / 0.25 -> 223, / 0.21875 -> 255, / 0.1875 -> 297 sequences."""
    cands = build_candidates([H100], [0], [1], efficiency=IDEAL)
    rate = None if offline else 0.1
    arrays = serving_capacity_arrays(
        LLAMA8, cands, input_len=1024, output_len=1024, output_len_scv=output_scv,
        rate_per_replica=rate,
    )  # fmt: skip
    budget_gib = 0.9 * (80.0 - 8_030_261_248 * 2 / GIB - 3.0)
    per_seq_gib = resident_tokens * KV_BYTES_PER_TOKEN_BF16 / GIB
    assert arrays.row(0)["max_batch"] == math.floor(budget_gib / per_seq_gib) == expected


def test_prefill_is_compute_bound_with_quadratic_attention() -> None:
    """1000-token prefill of 8B bf16 on H100 at peak: 2 x 6.98e9 x 1000 (matmuls) +
    4 x 32 x 4096 x 1000^2 / 2 (causal QK^T and AV) + one LM-head row = 14.22 TFLOP."""
    e = estimate_serving(
        LLAMA8, H100, count=1, tp=1, input_len=1000, output_len=2, batch=1,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    flops = 2 * BLOCK_MATMULS * 1000 + 4 * LAYERS * D * 1000 * 1000 / 2 + 2 * D * VOCAB
    assert flops == pytest.approx(14.22e12, rel=1e-3)
    assert e.prefill["latency_ms"] == pytest.approx(flops / 989e12 * 1e3, rel=1e-3)


def test_moe_decode_reads_only_touched_experts() -> None:
    """Mixtral top-2 of 8: batch 1 reads 2/8 of the experts, batch 64 nearly all of them."""
    one = estimate_serving(
        MIXTRAL, H100, count=2, tp=2, input_len=1, output_len=2, batch=1,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    experts = LAYERS * 8 * 3 * 4096 * 14336  # 45.1e9
    # LM head (the embedding is gathered, not read), attention and router weights
    rest = 4096 * 32000 + LAYERS * (2 * D * D + 2 * D * 1024 + D * 8)
    expected = (rest + experts * 2 / 8) * 2 / 2 / 3.35e12 * 1e3  # bf16, over tp 2
    assert one.decode_step_ms["weights"] == pytest.approx(expected, rel=2e-3)
    many = estimate_serving(
        MIXTRAL, H100, count=2, tp=2, input_len=1, output_len=2, batch=64,
        batching="static", efficiency=IDEAL,
    )  # fmt: skip
    touched = 1 - (1 - 2 / 8) ** 64
    expected_many = (rest + experts * touched) * 2 / 2 / 3.35e12 * 1e3
    assert many.decode_step_ms["weights"] + many.decode_step_ms["compute"] >= expected_many * 0.999


def test_neuron_tp_counts_cores_and_replicates_kv_heads() -> None:
    inf2 = CATALOG.accelerator("aws-inferentia2")
    cands = build_candidates([inf2], [0], [24], tp_unit="cores")
    assert cands.tp[0] == 12  # 2 NeuronCores per Inferentia2 chip
    assert cands.kv_shards_per_chip[0] == 2


def test_vector_core_equals_scalar_api() -> None:
    accs = [H100, CATALOG.accelerator("nvidia-h200-sxm"), CATALOG.accelerator("amd-mi300x")]
    cands = build_candidates(accs, [0, 1, 2], [2, 1, 1], weight_precision="fp8")
    arrays = serving_capacity_arrays(
        LLAMA8, cands, input_len=512, output_len=256, ttft_p99_ms=500, tpot_p99_ms=40
    )
    for i, acc in enumerate(accs):
        one = estimate_serving(
            LLAMA8, acc, count=int(cands.tp[i]), tp=int(cands.tp[i]), weight_precision="fp8",
            input_len=512, output_len=256, ttft_p99_ms=500, tpot_p99_ms=40,
        )  # fmt: skip
        assert one.output_tokens_per_s == pytest.approx(arrays.output_tokens_per_s[i], rel=1e-9)
        assert one.tpot_p99_ms <= 40 * (1 + 1e-6)
        assert one.ttft_p99_ms <= 500 * (1 + 1e-6)


@settings(max_examples=25, deadline=None)
@given(b1=st.integers(1, 200), extra=st.integers(1, 100))
def test_throughput_grows_with_batch_until_memory(b1: int, extra: int) -> None:
    kwargs = dict(count=1, tp=1, input_len=512, output_len=256, weight_precision="fp8")
    small = estimate_serving(LLAMA8, H100, batch=b1, **kwargs)  # type: ignore[arg-type]
    large = estimate_serving(LLAMA8, H100, batch=b1 + extra, **kwargs)  # type: ignore[arg-type]
    if large.feasible:
        assert large.output_tokens_per_s >= small.output_tokens_per_s
        assert large.tpot_mean_ms >= small.tpot_mean_ms


@settings(max_examples=25, deadline=None)
@given(frac=st.floats(0.05, 0.8), more=st.floats(1.05, 1.25))
def test_ttft_increases_with_rate(frac: float, more: float) -> None:
    kwargs = dict(count=1, tp=1, input_len=512, output_len=256, weight_precision="fp8")
    top = estimate_serving(LLAMA8, H100, **kwargs)  # type: ignore[arg-type]
    low = estimate_serving(LLAMA8, H100, rate=top.rate_per_s * frac, **kwargs)  # type: ignore[arg-type]
    high = estimate_serving(LLAMA8, H100, rate=top.rate_per_s * frac * more, **kwargs)  # type: ignore[arg-type]
    assert high.ttft_mean_ms >= low.ttft_mean_ms
    assert high.ttft_p99_ms >= low.ttft_p99_ms


def test_offline_operating_point_is_max_batch_and_rate_above_capacity_is_flagged() -> None:
    kwargs = dict(count=8, tp=2, input_len=1024, output_len=256, weight_precision="fp8")
    top = estimate_serving(LLAMA8, H100, **kwargs)  # type: ignore[arg-type]
    assert top.batch_per_replica == top.max_batch_per_replica
    assert top.output_tokens_per_s == pytest.approx(top.max_output_tokens_per_s)
    assert math.isinf(top.ttft_mean_ms)  # no steady-state TTFT at full capacity
    over = estimate_serving(LLAMA8, H100, rate=top.rate_per_s * 1.5, **kwargs)  # type: ignore[arg-type]
    assert not over.feasible and "capacity" in over.status


def test_cost_split_adds_up() -> None:
    est = estimate_serving(
        LLAMA8, H100, count=8, tp=1, input_len=2000, output_len=200, weight_precision="fp8"
    )
    offering = next(o for o in CATALOG.offerings_for(H100.id) if o.usd_per_hour.get("on_demand"))
    cost = cost_per_million_tokens(est, offering)
    usd_per_s = cost.usd_per_hour / 3600
    recombined = (
        cost.usd_per_million_input_tokens * est.input_tokens_per_s
        + cost.usd_per_million_output_tokens * est.output_tokens_per_s
    ) / 1e6
    assert recombined == pytest.approx(usd_per_s)
    assert 0 < cost.prefill_time_share < 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weight_precision": "fp6"}, "weight precision"),
        ({"kv_precision": "int4"}, "KV-cache precision"),
        ({"tp": 16}, "cannot hold one replica"),
        ({"rate": -1.0}, "rate"),
        ({"ep": 2}, "dense"),
    ],
)
def test_bad_input_raises_one_line(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = dict(count=8, tp=1, input_len=128, output_len=128)
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        estimate_serving(LLAMA8, H100, **args)  # type: ignore[arg-type]


def test_family_defaults_exist_for_unseen_hardware() -> None:
    for family in ("tpu", "intel", "other"):
        eff = efficiency_for(family)
        assert 0 < eff.hbm_bw_fraction <= 1 and 0 < eff.compute_fraction <= 1
    v5e = CATALOG.accelerator("google-tpu-v6e")
    est = estimate_serving(LLAMA8, v5e, count=8, tp=4, input_len=1024, output_len=256)
    assert est.feasible and np.isfinite(est.output_tokens_per_s)


def _halfin_whitt_wait_probability(c: float, a: float) -> float:
    """Erlang C in the Halfin-Whitt form, written out with math.erf (independent)."""
    beta = (c - a) / math.sqrt(a)
    cdf = 0.5 * (1.0 + math.erf(beta / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * beta * beta) / math.sqrt(2.0 * math.pi)
    return 1.0 / (1.0 + beta * cdf / pdf)


def test_p99_targets_keep_the_p99_request_out_of_the_slot_queue() -> None:
    # 8B with long sequences on one H100: KV memory, not latency, limits the batch; loose
    # targets leave the slot limit as the only bound.
    e = estimate_serving(
        LLAMA8, H100, count=1, tp=1, weight_precision="fp8", input_len=2048, output_len=2048,
        ttft_p99_ms=5000, tpot_p99_ms=500,
    )  # fmt: skip
    c, b = e.max_batch_per_replica, e.batch_per_replica
    assert b < c
    assert _halfin_whitt_wait_probability(c, b) <= 0.01 * (1 + 1e-3)
    assert _halfin_whitt_wait_probability(c, b * 1.01) > 0.01  # the knee, not far below it
    assert e.ttft_p99_ms < 0.5 * 5000  # no slot wait in the p99


def test_dispatch_window_adds_its_wait_and_batches_prompts_across_replicas() -> None:
    mi300x = CATALOG.accelerator("amd-mi300x")
    window = efficiency_for("amd").replace(dispatch_window_s=0.3)
    direct = window.replace(dispatch_window_s=0.0)
    kwargs = dict(tp=1, weight_precision="fp8", input_len=256, output_len=256)
    one = estimate_serving(LLAMA8, mi300x, count=1, rate=5.0, efficiency=direct, **kwargs)  # type: ignore[arg-type]
    eight = estimate_serving(LLAMA8, mi300x, count=8, rate=40.0, efficiency=direct, **kwargs)  # type: ignore[arg-type]
    assert eight.ttft_mean_ms == pytest.approx(one.ttft_mean_ms)  # no window: replicas apart
    gathered = [
        estimate_serving(LLAMA8, mi300x, count=n, rate=5.0 * n, efficiency=window, **kwargs)  # type: ignore[arg-type]
        for n in (1, 8)
    ]
    # mean wait in the window is W / 2; 8 replicas take turns, so each batch is 8x larger
    assert gathered[0].ttft_mean_ms >= 150.0 + one.prefill["busy_ms"]
    batch_prefill = 40.0 * 0.3 * gathered[1].prefill["busy_ms"]
    assert gathered[1].ttft_mean_ms >= 150.0 + batch_prefill
    assert gathered[1].ttft_mean_ms > gathered[0].ttft_mean_ms
    offline = [
        estimate_serving(LLAMA8, mi300x, count=1, efficiency=eff, **kwargs)  # type: ignore[arg-type]
        for eff in (window, direct)
    ]
    assert offline[0].output_tokens_per_s == pytest.approx(offline[1].output_tokens_per_s)


def test_static_shape_runtime_runs_its_compiled_batch() -> None:
    """A runtime compiled for 32 decode slots (optimum-neuron ``batch_size=32``) runs all 32
    every step: with one busy sequence the step streams 32 sequences' KV buckets (32 x the
    KV bytes of one, the same bucket each) and costs what the full batch costs; a paged
    runtime (``kv_read_padded`` 0) ignores the compiled batch."""
    inf2 = CATALOG.accelerator("aws-inferentia2")
    padded = IDEAL.replace(kv_read_padded=1.0, step_overhead_s=1e-3)
    compiled = padded.replace(compiled_batch=32.0)

    def step(accelerator: Accelerator, eff: ServingEfficiency, batch: float) -> dict[str, float]:
        cands = build_candidates([accelerator], [0], [8], tp_unit="cores", efficiency=eff)
        arrays = serving_capacity_arrays(
            LLAMA8, cands, input_len=1500, output_len=250, batching="static", batch=batch
        )
        return arrays.row(0)

    one, one_compiled = step(inf2, padded, 1.0), step(inf2, compiled, 1.0)
    full = step(inf2, compiled, 32.0)
    assert one_compiled["step_kv_s"] == pytest.approx(32.0 * one["step_kv_s"], rel=1e-9)
    assert one_compiled["step_s"] == pytest.approx(full["step_s"], rel=1e-9)
    assert one_compiled["step_s"] > one["step_s"]
    # one request: its own prefill, then 249 decode steps at the padded step's pace
    own = one_compiled["prefill_latency_s"] + 249 * one_compiled["step_s"]
    assert one_compiled["rate_per_s"] == pytest.approx(1.0 / own, rel=1e-6)
    paged = IDEAL.replace(compiled_batch=32.0)
    h100_one = step(H100, paged, 1.0)
    assert h100_one["step_s"] == pytest.approx(step(H100, IDEAL, 1.0)["step_s"], rel=1e-12)


@pytest.mark.parametrize("below", [0, 1, 40])
def test_a_stated_batch_is_a_fixed_concurrency_without_a_slot_queue(below: int) -> None:
    """b sequences in flight on at least b slots: no request waits for a slot, so filling every
    slot costs no more TTFT than the iterations' own growth (it was ~1e13 ms at b = slots)."""
    kwargs = dict(count=1, tp=1, input_len=1000, output_len=200, weight_precision="fp8")
    slots = int(estimate_serving(LLAMA8, H100, batch=1, **kwargs).max_batch_per_replica)  # type: ignore[arg-type]
    at = estimate_serving(LLAMA8, H100, batch=slots - below, **kwargs)  # type: ignore[arg-type]
    half = estimate_serving(LLAMA8, H100, batch=slots // 2, **kwargs)  # type: ignore[arg-type]
    assert at.feasible
    assert math.isfinite(at.ttft_p99_ms)
    # TTFT grows with the decode step (longer iterations), not without bound
    assert at.ttft_p99_ms <= half.ttft_p99_ms * (at.tpot_mean_ms / half.tpot_mean_ms) * 1.5
    # an open arrival rate at the same load still queues for slots
    open_rate = estimate_serving(LLAMA8, H100, rate=at.rate_per_s * 0.999, **kwargs)  # type: ignore[arg-type]
    assert open_rate.ttft_p99_ms >= at.ttft_p99_ms


def test_attention_fills_half_of_a_256_wide_systolic_array() -> None:
    """TPU v6e's MXUs are 256 x 256 (Cloud TPU v6e docs) and Llama 3.1 8B's heads 128 wide:
    QK^T contracts over the head and AV outputs it, so attention fills half the array and its
    FLOPs take twice as long as on the same chip without a wide array; the GEMMs do not
    change. 4096-token prefill: causal scores 2 x 4096 x 4097 x 4096 x 32 = 4.40e12 FLOPs,
    4.79 ms at 918 TFLOP/s, so 4.79 ms more."""
    v6e = CATALOG.accelerator("google-tpu-v6e")
    plain = v6e.model_copy(update={"generation": "an architecture without a listed array"})
    cands = [build_candidates([a], [0], [1], efficiency=IDEAL) for a in (v6e, plain)]
    steps = [one_step_model(LLAMA8, c, 0.0, input_len=4096, output_len=2) for c in cands]
    scores = 2.0 * 4096 * 4097 * 4096 * 32
    assert scores / 918e12 * 1e3 == pytest.approx(4.79, abs=0.01)
    extra_s = float(steps[0].pf_compute_at_peak[0] - steps[1].pf_compute_at_peak[0])
    assert extra_s == pytest.approx(scores / 918e12, rel=1e-3)
    h100 = one_step_model(
        LLAMA8, build_candidates([H100], [0], [1], efficiency=IDEAL), 0.0,
        input_len=4096, output_len=2,
    )  # fmt: skip
    assert float(h100.attention_flops_per_s[0]) == pytest.approx(989e12, rel=1e-3)
