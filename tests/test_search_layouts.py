"""Layout enumeration: hand-counted small cases and the structural rules."""

from __future__ import annotations

import numpy as np

from xpuplan.models.spec import ModelSpec
from xpuplan.search.layouts import LayoutGrid, enumerate_layouts

MODEL = ModelSpec(
    name="toy",
    n_layers=8,
    d_model=512,
    n_heads=8,
    n_kv_heads=8,
    head_dim=64,
    ffn_dim=2048,
    vocab_size=1000,
)


def test_hand_count_on_16_chips() -> None:
    # 16 chips, scale-up domain 8, batch 32 sequences, mb 1 only, zero 1, no recompute.
    grid = LayoutGrid(
        tp=(1, 2, 4, 8, 16),
        pp=(1, 2, 4, 8, 16),
        micro_batch=(1,),
        zero_stage=(1,),
        recompute=("none",),
        interleave=False,
    )
    lay = enumerate_layouts(MODEL, np.array([0]), np.array([16]), np.array([8]), 32, grid)
    got = sorted(
        zip(lay.tp.tolist(), lay.pp.tolist(), lay.dp.tolist(), lay.grad_accum.tolist(), strict=True)
    )
    # tp <= 8 (domain), pp | 8 layers, dp = 16 / (tp pp), grad_accum = 32 / dp.
    expected = sorted(
        (tp, pp, 16 // (tp * pp), 32 // (16 // (tp * pp)))
        for tp in (1, 2, 4, 8)
        for pp in (1, 2, 4, 8)
        if tp * pp <= 16
    )
    assert got == expected
    assert np.all(lay.tp * lay.pp * lay.dp == 16)
    assert np.all(lay.global_batch_seqs == 32)


def test_default_pp_is_divisors_of_layers() -> None:
    lay = enumerate_layouts(MODEL, np.array([0]), np.array([64]), np.array([8]), 1024)
    assert set(lay.pp.tolist()) == {1, 2, 4, 8}
    assert set(lay.zero_stage.tolist()) == {1, 3}
    assert set(lay.recompute.tolist()) == {0, 1, 2}


def test_batch_tolerance() -> None:
    # 24 chips, tp=pp=1: dp=24 cannot split 32 sequences within 10% (24 or 48), so no row.
    grid = LayoutGrid(tp=(1,), pp=(1,), micro_batch=(1,), zero_stage=(1,), recompute=("none",))
    lay = enumerate_layouts(MODEL, np.array([0]), np.array([24]), np.array([8]), 32, grid)
    assert len(lay) == 0
    # 100 sequences on 24 chips: grad_accum round(100/24) = 4 -> 96 sequences, within 10%.
    lay = enumerate_layouts(MODEL, np.array([0]), np.array([24]), np.array([8]), 100, grid)
    assert lay.global_batch_seqs.tolist() == [96]


def test_interleaved_schedule_and_context_parallel() -> None:
    grid = LayoutGrid(tp=(1,), pp=(1, 2, 4), micro_batch=(1,), zero_stage=(1,), recompute=("none",))
    lay = enumerate_layouts(MODEL, np.array([0]), np.array([8]), np.array([8]), 64, grid)
    # 8 layers: pp=2 has 4 layers per stage -> also interleaved with 2 chunks of 2 layers;
    # pp=4 has 2 layers per stage -> plain only; pp=1 -> plain only.
    got = sorted(zip(lay.pp.tolist(), lay.virtual_pp.tolist(), strict=True))
    assert got == [(1, 1), (2, 1), (2, 2), (4, 1)]
    assert set(lay.cp.tolist()) == {1}  # short sequences: no context parallelism
    long = enumerate_layouts(
        MODEL, np.array([0]), np.array([8]), np.array([8]), 64, grid, seq_len=32768
    )
    assert set(long.cp.tolist()) == {1, 2, 4, 8}
    assert np.all(long.tp * long.pp * long.cp * long.dp == 8)
