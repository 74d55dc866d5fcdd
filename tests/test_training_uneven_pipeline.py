"""Uneven pipeline stages: the busiest stage holds ceil(layers / pp) layers (Megatron allows it;
Llama 3 405B trained its 126 layers on 16 stages, Llama 3 paper section 3.3.2)."""

from dataclasses import replace

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError
from xpuplan.models.presets import get_preset
from xpuplan.perf.layout import Layout, check_layout
from xpuplan.perf.memory import stage_layers
from xpuplan.perf.training import estimate_training


def test_stage_layers_by_hand() -> None:
    assert stage_layers(126, 16).item() == 8  # 15 stages of 8 and one of 6
    assert stage_layers(32, 4).item() == 8
    assert stage_layers(80, 1).item() == 80


def test_busiest_stage_sets_the_pace() -> None:
    """126 and 128 layers on 16 stages: both busiest stages hold 8 layers, so the step and the
    memory of the busiest device are the same."""
    acc = load_catalog().accelerator("nvidia-h100-sxm")
    spec126 = get_preset("llama-3.1-405b")
    spec128 = replace(spec126, n_layers=128)
    layout = Layout(dp=4, tp=8, pp=16, micro_batch=1)
    a = estimate_training(spec126, acc, layout, seq_len=4096, global_batch_seqs=256)
    b = estimate_training(spec128, acc, layout, seq_len=4096, global_batch_seqs=256)
    assert a.step_time_s == pytest.approx(b.step_time_s, rel=1e-9)
    assert a.memory_gb_per_chip["total"] == pytest.approx(b.memory_gb_per_chip["total"], rel=1e-9)
    assert a.mfu < b.mfu  # same time, fewer model FLOPs


def test_more_stages_than_layers_is_refused() -> None:
    with pytest.raises(InputError, match="pp=200 is more pipeline stages than the 126 layers"):
        check_layout(Layout(dp=1, pp=200), get_preset("llama-3.1-405b"), chips=200)
