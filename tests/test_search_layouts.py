"""Layout enumeration: hand-counted small cases and the structural rules."""

from __future__ import annotations

import numpy as np
import pytest

from xpuplan.errors import InputError
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import Layout, LayoutArrays, LayoutGrid, enumerate_layouts

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
ONE = {"micro_batch": 1, "zero": 1, "recompute": "none"}


def test_hand_count_on_16_chips() -> None:
    # 16 chips, scale-up domain 8, batch 32 sequences, mb 1 only, zero 1, no recompute.
    grid = LayoutGrid(tp=(1, 2, 4, 8, 16), pp=(1, 2, 4, 8, 16), virtual_pp=(1,), cp=(1,)).pinned(
        ONE
    )
    removed: dict[str, int] = {}
    lay = enumerate_layouts(
        MODEL, 16, seq_len=2048, global_batch_seqs=32, grid=grid, domain_devices=8, removed=removed
    )
    got = sorted(
        zip(lay.tp.tolist(), lay.pp.tolist(), lay.dp.tolist(), lay.grad_accum.tolist(), strict=True)
    )
    # tp <= 8 (domain), pp <= 8 layers, dp = 16 / (tp pp), grad_accum = 32 / dp.
    expected = sorted(
        (tp, pp, 16 // (tp * pp), 32 // (16 // (tp * pp)))
        for tp in (1, 2, 4, 8)
        for pp in (1, 2, 4, 8)
        if tp * pp <= 16
    )
    assert got == expected
    assert np.all(lay.tp * lay.pp * lay.dp == 16)
    assert np.all(lay.global_batch_seqs == 32)
    # tp=16 (x 5 pp values) splits no head; pp=16 (x the 4 tp left) has too few layers.
    assert removed["tp must divide the 8 heads"] == 5
    assert removed["pp must be at most the 8 layers"] == 4
    # A domain of 4 devices removes tp=8 too (x pp 1, 2: tp*pp*cp must still divide 16).
    removed = {}
    enumerate_layouts(
        MODEL, 16, seq_len=2048, global_batch_seqs=32, grid=grid, domain_devices=4, removed=removed
    )
    assert removed["tp must fit in the scale-up domain"] == 4


def test_default_pp_and_the_knobs_searched() -> None:
    lay = enumerate_layouts(MODEL, 64, seq_len=2048, global_batch_seqs=1024, domain_devices=8)
    assert set(lay.pp.tolist()) == {1, 2, 4, 8}
    assert set(lay.zero.tolist()) == {1, 3}
    assert set(lay.recompute.tolist()) == {0, 1, 2}
    assert set(lay.micro_batch.tolist()) == {1, 2, 4, 8, 16, 32}


def test_uneven_stages_are_searched() -> None:
    # 8 layers on 6 devices: pp = 3 and 6 leave stages of 3/3/2 and 2/2/1/1/1/1 layers.
    lay = enumerate_layouts(MODEL, 6, seq_len=2048, global_batch_seqs=6)
    assert set(lay.pp.tolist()) == {1, 2, 3, 6}


def test_batch_tolerance() -> None:
    # 24 chips, tp=pp=1: dp=24 cannot split 32 sequences within 10% (24 or 48), so no row.
    grid = LayoutGrid(tp=(1,), pp=(1,)).pinned(ONE)
    removed: dict[str, int] = {}
    lay = enumerate_layouts(
        MODEL, 24, seq_len=2048, global_batch_seqs=32, grid=grid, removed=removed
    )
    assert len(lay) == 0
    last = [rule for rule, n in removed.items() if n][-1]
    assert "global batch of 32 sequences within 10%" in last
    # 100 sequences on 24 chips: grad_accum round(100/24) = 4 -> 96 sequences, within 10%.
    lay = enumerate_layouts(MODEL, 24, seq_len=2048, global_batch_seqs=100, grid=grid)
    assert lay.global_batch_seqs.tolist() == [96]
    # best_layout's exact batch: 96 is not 100.
    exact = LayoutGrid(tp=(1,), pp=(1,), batch_tolerance=0.0).pinned(ONE)
    assert len(enumerate_layouts(MODEL, 24, seq_len=2048, global_batch_seqs=100, grid=exact)) == 0


def test_interleaved_schedule_and_context_parallel() -> None:
    grid = LayoutGrid(tp=(1,), pp=(1, 2, 4)).pinned(ONE)
    lay = enumerate_layouts(MODEL, 8, seq_len=2048, global_batch_seqs=64, grid=grid)
    # 8 layers: pp=2 has 4 layers per stage -> also interleaved with 2 chunks of 2 layers;
    # pp=4 has 2 layers per stage -> plain only; pp=1 -> plain only.
    got = sorted(zip(lay.pp.tolist(), lay.virtual_pp.tolist(), strict=True))
    assert got == [(1, 1), (2, 1), (2, 2), (4, 1)]
    assert set(lay.cp.tolist()) == {1}  # short sequences: no context parallelism
    long = enumerate_layouts(MODEL, 8, seq_len=32768, global_batch_seqs=64, grid=grid)
    assert set(long.cp.tolist()) == {1, 2, 4, 8}
    assert np.all(long.tp * long.pp * long.cp * long.dp == 8)


def test_rows_are_ordered_by_pair_and_carry_their_group() -> None:
    lay = enumerate_layouts(
        MODEL, np.array([8, 16, 8]), seq_len=2048, global_batch_seqs=64, group=np.array([2, 0, 1])
    )
    assert np.all(np.diff(lay.pair) >= 0) and set(lay.pair.tolist()) == {0, 1, 2}
    assert np.array_equal(lay.group, np.array([2, 0, 1])[lay.pair])
    assert np.array_equal(lay.devices, np.array([8, 16, 8])[lay.pair])


def test_pins_restrict_the_grid() -> None:
    fixed = {"tp": 2, "pp": 2, "zero": 3, "recompute": "full", "micro_batch": 2, "dp": 4}
    lay = enumerate_layouts(
        MODEL, 16, seq_len=2048, global_batch_seqs=64, grid=LayoutGrid().pinned(fixed)
    )
    assert len(lay) == 2  # plain and interleaved schedules
    row = lay.layout(0)
    assert (row.tp, row.pp, row.dp, row.zero, row.recompute, row.micro_batch) == (
        2,
        2,
        4,
        3,
        "full",
        2,
    )
    with pytest.raises(InputError, match="layout pin recompute='some'"):
        LayoutGrid().pinned({"recompute": "some"})
    with pytest.raises(InputError, match="layout pin zero=5: must be 0, 1, 2 or 3"):
        LayoutGrid().pinned({"zero": 5})
    with pytest.raises(InputError, match="layout pin 'foo'"):
        LayoutGrid().pinned({"foo": 1})


def test_layout_round_trips_through_a_row() -> None:
    layout = Layout(dp=8, tp=4, pp=2, zero=3, dp_shard=4, recompute="full", micro_batch=2)
    assert LayoutArrays.from_layout(layout).layout() == layout
    lay = enumerate_layouts(MODEL, 16, seq_len=2048, global_batch_seqs=64)
    for i in (0, len(lay) // 2, len(lay) - 1):
        back = LayoutArrays.from_layout(lay.layout(i))
        assert int(back.tp) == lay.tp[i] and int(back.shard) == lay.shard[i]
