"""Training estimator: hand-derived memory, bubble and FLOP numbers; one formula scalar/vector."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.models.counts import count_params, training_flops_per_token
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.efficiency import EfficiencyParams
from xpuplan.perf.layout import Layout, LayoutArrays, ModelShape, check_layout
from xpuplan.perf.memory import activation_bytes_per_token_per_layer, memory_arrays
from xpuplan.perf.training import (
    STEP_PARTS,
    best_layout,
    estimate_training,
    estimate_training_arrays,
    hardware_arrays,
)

# A GPT-style 7B-class model with exactly known shapes (MHA, 4h GELU MLP, untied head).
GPT7B = ModelSpec(
    name="gpt-7b-test",
    n_layers=32,
    d_model=4096,
    n_heads=32,
    n_kv_heads=32,
    head_dim=128,
    ffn_dim=16384,
    vocab_size=50304,
    gated_mlp=False,
    norm="layernorm",
)


def _chip(**overrides: object) -> Accelerator:
    fields: dict[str, object] = {
        "id": "test-gpu",
        "vendor": "Other",
        "family": "test",
        "generation": "test",
        "name": "Test GPU",
        "bf16_dense_tflops": 1000.0,
        "hbm_gb": 80.0,
        "hbm_tbps": 3.0,
        "scaleup_gbytes_per_s": 900.0,
        "scaleup_domain_chips": 8,
        "scaleup_topology": "switched",
        "scaleout_gbits_per_s_per_chip": 400.0,
        "software_stack": "other",
        "source": "synthetic test chip",
        "as_of": dt.date(2025, 1, 1),
    }
    fields.update(overrides)
    return Accelerator.model_validate(fields)


CHIP = _chip()
EFF = EfficiencyParams(
    matmul_eff_max=0.6, attention_eff=0.4, dp_overlap=0.8, tp_overlap=0.5, sync_jitter=0.0
)


def test_zero3_model_states_by_hand() -> None:
    # ZeRO paper (Rajbhandari et al. 2020) section 3.1: 2 + 2 + 12 = 16 bytes per parameter,
    # all sharded over the 8 data-parallel devices with stage 3.
    shape = ModelShape.from_spec(GPT7B, 2048)
    params = count_params(GPT7B).total
    mem = memory_arrays(
        shape,
        hbm_gb=80,
        tp=1,
        pp=1,
        cp=1,
        ep=1,
        shard=8,
        zero=3,
        recompute=2,
        sequence_parallel=False,
        micro_batch=1,
        n_micro=1,
        virtual_pp=1,
    )
    states = float(mem.weights + mem.gradients + mem.optimizer)
    assert states == pytest.approx(16 * params / 8)
    # ~6.9e9 parameters: 13.8 GB of states per device.
    assert states / 1e9 == pytest.approx(13.8, abs=0.2)
    # ZeRO-1 only shards the 12 optimizer bytes: (2 + 2 + 12 / 8) bytes per parameter.
    mem1 = memory_arrays(
        shape,
        hbm_gb=80,
        tp=1,
        pp=1,
        cp=1,
        ep=1,
        shard=8,
        zero=1,
        recompute=2,
        sequence_parallel=False,
        micro_batch=1,
        n_micro=1,
        virtual_pp=1,
    )
    assert float(mem1.weights + mem1.gradients + mem1.optimizer) == pytest.approx(5.5 * params)


@pytest.mark.parametrize("tp", [1, 2, 4, 8])
def test_activations_match_korthikanti(tp: int) -> None:
    # Korthikanti et al. 2022: s b h (10 + 24 / t) bytes per layer without sequence parallelism,
    # s b h 34 / t with it; flash attention drops the 5 a s / h term and no dropout drops the
    # two s b h masks (2 of the 10 and of the 34).
    shape = ModelShape.from_spec(GPT7B, 2048)
    h = GPT7B.d_model
    plain = float(activation_bytes_per_token_per_layer(shape, tp, False))
    parallel = float(activation_bytes_per_token_per_layer(shape, tp, True))
    assert plain == pytest.approx(h * (10 - 2 + 24 / tp))
    assert parallel == pytest.approx(h * (34 - 2) / tp)


def test_breakdown_sums_and_scalar_equals_vector() -> None:
    layout = Layout(dp=4, tp=2, pp=2, zero=1, micro_batch=2, recompute="full")
    estimate = estimate_training(
        GPT7B, CHIP, layout, seq_len=4096, global_batch_seqs=64, efficiency=EFF
    )
    parts = {k: v for k, v in estimate.step_time_breakdown_s.items() if k != "total"}
    assert sum(parts.values()) == pytest.approx(estimate.step_time_s)
    assert estimate.step_time_breakdown_s["total"] == estimate.step_time_s
    assert set(parts) == set(STEP_PARTS)
    memory = estimate.memory_gb_per_chip
    parts = {k: v for k, v in memory.items() if k not in ("total", "capacity")}
    assert sum(parts.values()) == pytest.approx(memory["total"])
    # The same core on a batch of candidates gives the same number for the same layout.
    from xpuplan.perf.efficiency import EfficiencyTable

    table = EfficiencyTable(default=EFF, families={}, meta={})
    hw = hardware_arrays([CHIP], efficiency=table, domain_chips=[8])
    arrays = LayoutArrays(
        dp=np.array([4, 8]),
        tp=np.array([2, 2]),
        pp=np.array([2, 1]),
        shard=np.array([4, 8]),
        zero=1,
        recompute=2,
        micro_batch=2,
    )
    result = estimate_training_arrays(ModelShape.from_spec(GPT7B, 4096), hw, arrays, 64)
    assert float(result.step_time_s[0]) == pytest.approx(estimate.step_time_s, rel=1e-12)
    assert result.step_time_s.shape == (2,)


def test_mfu_uses_model_flops_convention() -> None:
    layout = Layout(dp=8, zero=3, micro_batch=4, recompute="full")
    e = estimate_training(GPT7B, CHIP, layout, seq_len=2048, global_batch_seqs=64, efficiency=EFF)
    flops = training_flops_per_token(GPT7B, 2048, causal=False)
    assert e.mfu == pytest.approx(e.tokens_per_s * flops / (8 * 1000e12))
    # Full recomputation adds one forward pass: HFU / MFU = 4 / 3.
    assert e.hfu / e.mfu == pytest.approx(4 / 3)


@pytest.mark.parametrize(("pp", "n_micro", "v"), [(4, 8, 1), (4, 8, 2), (2, 16, 1)])
def test_pipeline_bubble_fraction(pp: int, n_micro: int, v: int) -> None:
    # 1F1B bubble = (p - 1) / (m v) of the pipelined compute (Narayanan et al. 2021).
    layout = Layout(dp=1, tp=1, pp=pp, micro_batch=1, virtual_pp=v, zero=1)
    e = estimate_training(
        GPT7B, CHIP, layout, seq_len=2048, global_batch_seqs=n_micro, efficiency=EFF
    )
    parts = e.step_time_breakdown_s
    stage = sum(
        parts[k]
        for k in ("matmul", "attention", "memory_bound", "tp_comm", "ep_comm", "cp_comm", "pp_comm")
    )
    assert parts["pipeline_bubble"] / stage == pytest.approx((pp - 1) / (n_micro * v))


def test_more_bandwidth_never_slows_down() -> None:
    layout = Layout(dp=16, tp=1, zero=3, micro_batch=1, recompute="full")
    slow = estimate_training(
        GPT7B,
        _chip(scaleout_gbits_per_s_per_chip=100.0),
        layout,
        seq_len=2048,
        global_batch_seqs=16,
        efficiency=EFF,
    )
    fast = estimate_training(
        GPT7B, CHIP, layout, seq_len=2048, global_batch_seqs=16, efficiency=EFF
    )
    assert fast.step_time_s < slow.step_time_s
    assert fast.comm_raw_s["dp"] < slow.comm_raw_s["dp"]


@settings(max_examples=25, deadline=None)
@given(eff=st.floats(0.2, 0.95), peak=st.floats(100.0, 5000.0))
def test_step_time_falls_with_efficiency_and_peak(eff: float, peak: float) -> None:
    layout = Layout(dp=8, zero=1, micro_batch=1)
    chip = _chip(bf16_dense_tflops=peak)
    low = estimate_training(
        GPT7B,
        chip,
        layout,
        seq_len=2048,
        global_batch_seqs=8,
        efficiency=EfficiencyParams(matmul_eff_max=eff * 0.9),
    )
    high = estimate_training(
        GPT7B,
        chip,
        layout,
        seq_len=2048,
        global_batch_seqs=8,
        efficiency=EfficiencyParams(matmul_eff_max=eff),
    )
    # Faster matmuls never slow a step down (a communication-bound step stays as it is).
    assert high.step_time_s <= low.step_time_s * (1 + 1e-12)
    assert 0 < high.mfu < 1


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (Layout(dp=1, tp=3), "tp=3 must divide the 32 attention heads"),
        (Layout(dp=1, pp=40), "pp=40 is more pipeline stages than the 32 layers"),
        (Layout(dp=2, tp=4), "chips"),
        (Layout(dp=8, ep=2), "mixture-of-experts"),
        (Layout(dp=1, pp=2, virtual_pp=17), "virtual_pp=17 is more chunks than the 16 layers"),
    ],
)
def test_layout_errors_are_one_line(layout: Layout, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        check_layout(layout, GPT7B, chips=layout.devices if "chips" not in message else 4)
    assert "\n" not in str(info.value)


def test_batch_must_divide() -> None:
    with pytest.raises(InputError, match="not a multiple of dp\\*micro_batch"):
        estimate_training(GPT7B, CHIP, Layout(dp=8), seq_len=2048, global_batch_seqs=12)


def test_memory_overflow_is_reported() -> None:
    small = _chip(hbm_gb=16.0)
    e = estimate_training(
        GPT7B, small, Layout(dp=1, zero=0), seq_len=2048, global_batch_seqs=1, efficiency=EFF
    )
    assert not e.fits_memory
    assert any("usable" in note for note in e.notes)


def test_best_layout_picks_a_feasible_fast_layout() -> None:
    e = best_layout(GPT7B, CHIP, 16, seq_len=4096, global_batch_seqs=256, efficiency=EFF)
    assert e.fits_memory and e.layout.devices == 16
    # It is at least as fast as plain data parallelism with ZeRO-1.
    plain = estimate_training(
        GPT7B,
        CHIP,
        Layout(dp=16, zero=1, micro_batch=1, recompute="full"),
        seq_len=4096,
        global_batch_seqs=256,
        efficiency=EFF,
    )
    assert e.tokens_per_s >= plain.tokens_per_s


def test_best_layout_infeasible_says_why() -> None:
    tiny = _chip(hbm_gb=1.0)
    with pytest.raises(InfeasibleError, match="does not fit in device memory"):
        best_layout(GPT7B, tiny, 2, seq_len=2048, global_batch_seqs=8, efficiency=EFF)


def test_neuron_devices_split_the_chip() -> None:
    # Two NeuronCores per Trainium1 chip: 16 chips are 32 devices, each with half the peak.
    trn = _chip(id="test-trn", bf16_dense_tflops=190.0, hbm_gb=32.0, cores_per_chip=2)
    layout = Layout(dp=4, tp=8, devices_per_chip=2, micro_batch=1)
    e = estimate_training(GPT7B, trn, layout, seq_len=2048, global_batch_seqs=32, efficiency=EFF)
    assert e.chips == 16
    flops = training_flops_per_token(GPT7B, 2048)
    assert e.mfu == pytest.approx(e.tokens_per_s * flops / (16 * 190e12))


def test_public_api_is_pinned() -> None:
    from xpuplan.perf import comm, layout, memory, training

    assert set(training.__all__) == {
        "DEFAULT_BATCH_TOKENS",
        "DEFAULT_SEQ_LEN",
        "INFEASIBLE_REASONS",
        "FULL_TRAINING",
        "LORA_TARGETS",
        "STEP_PARTS",
        "Finetune",
        "stack_precision",
        "HardwareArrays",
        "TrainArraysResult",
        "TrainingEstimate",
        "TrainingFigures",
        "best_layout",
        "default_global_batch_seqs",
        "estimate_training",
        "estimate_training_arrays",
        "estimate_training_setup",
        "fewest_recomputed_layers",
        "hardware_arrays",
    }
    assert {"Layout", "LayoutArrays", "ModelShape", "check_layout", "enumerate_layouts"} <= set(
        layout.__all__
    )
    assert "memory_arrays" in memory.__all__
    assert "hierarchical_allreduce_time_s" in comm.__all__


def test_missing_precision_marks_candidates_infeasible() -> None:
    no_fp8 = _chip(id="no-fp8")
    fp8 = _chip(id="with-fp8", fp8_dense_tflops=2000.0)
    with pytest.raises(InputError, match="fp8"):
        hardware_arrays([no_fp8], precision="fp8")
    hw = hardware_arrays([no_fp8, fp8], precision="fp8", missing_precision="nan")
    result = estimate_training_arrays(
        ModelShape.from_spec(GPT7B, 2048), hw, LayoutArrays(dp=8, zero=3, shard=8), 64
    )
    assert result.reason.tolist() == [6, 0]
    assert result.feasible.tolist() == [False, True]


def test_fp8_speedup_is_below_the_peak_ratio() -> None:
    # Attention stays bf16 and fp8 adds operand casts, so the speed-up over bf16 is real but
    # below the 2x peak ratio (published fp8 training speed-ups are 1.3-1.6x).
    chip = _chip(fp8_dense_tflops=2000.0)
    layout = Layout(dp=8, zero=1, micro_batch=1)
    runs = {
        p: estimate_training(
            GPT7B, chip, layout, seq_len=4096, global_batch_seqs=64, precision=p, efficiency=EFF
        )
        for p in ("bf16", "fp8")
    }
    speedup = runs["fp8"].tokens_per_s / runs["bf16"].tokens_per_s
    assert 1.0 < speedup < 2.0
    assert (
        runs["fp8"].step_time_breakdown_s["memory_bound"]
        > runs["bf16"].step_time_breakdown_s["memory_bound"]
    )
