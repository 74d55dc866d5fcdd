"""One layout space: ``best_layout`` (estimate train) and ``plan train`` search the same
candidates, and every enumerated row satisfies every layout rule."""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xpuplan.perf.training as perf_training
import xpuplan.search.training as search_training
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InfeasibleError
from xpuplan.models.presets import get_preset
from xpuplan.models.spec import ModelSpec, MoESpec
from xpuplan.perf.layout import (
    CP_MIN_SEQ_LEN,
    RECOMPUTE_CODES,
    Layout,
    LayoutArrays,
    LayoutGrid,
    check_layout,
    enumerate_layouts,
)
from xpuplan.perf.training import best_layout
from xpuplan.plan import plan_training
from xpuplan.search.filters import OfferingFilter

KEYS = ("tp", "pp", "cp", "ep", "dp", "micro_batch", "zero", "recompute", "virtual_pp")


def _rows(lay: LayoutArrays) -> set[tuple[int, ...]]:
    return set(zip(*(getattr(lay, k).tolist() for k in KEYS), strict=True))


def _spy(monkeypatch: pytest.MonkeyPatch, module: Any, seen: list[LayoutArrays]) -> None:
    real = enumerate_layouts

    def spy(*args: Any, **kwargs: Any) -> LayoutArrays:
        out = real(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(module, "enumerate_layouts", spy)


def test_estimate_and_plan_search_the_same_space(monkeypatch: pytest.MonkeyPatch) -> None:
    # Llama 3.1 405B (126 layers, 128 heads) on 1,024 H100s, 2,048 sequences of 8,192 tokens.
    model = get_preset("llama-3.1-405b")
    catalog = load_catalog()
    h100 = catalog.accelerator("nvidia-h100-sxm")
    estimated: list[LayoutArrays] = []
    planned: list[LayoutArrays] = []
    _spy(monkeypatch, perf_training, estimated)
    _spy(monkeypatch, search_training, planned)
    est = best_layout(model, h100, 1024, seq_len=8192, global_batch_seqs=2048)
    # The space searched is what this test is about, not the verdict.
    with contextlib.suppress(InfeasibleError):
        plan_training(
            model,
            "15T",
            catalog=catalog,
            seq_len=8192,
            global_batch_tokens=2048 * 8192,
            deadline="3650d",
            filters=OfferingFilter(providers=("aws",), accelerators=("nvidia-h100-sxm",)),
            max_chips=1024,
        )
    (estimate_space,) = estimated
    (plan_space,) = planned
    at_1024 = plan_space.take(np.flatnonzero(plan_space.devices == 1024))
    assert len(at_1024) > 0
    assert _rows(estimate_space) == _rows(at_1024)
    # Llama 3 405B's own pipeline depth (16 stages of 126 layers, uneven) is searched by both.
    assert 16 in set(estimate_space.pp.tolist()) and 16 in set(at_1024.pp.tolist())
    best = est.layout
    assert (best.tp, best.pp, best.cp, best.ep, best.dp, best.micro_batch, best.zero) in {
        r[:7] for r in _rows(at_1024)
    }


def test_pinned_pipeline_depth_of_llama3_405b() -> None:
    model = get_preset("llama-3.1-405b")
    h100 = load_catalog().accelerator("nvidia-h100-sxm")
    est = best_layout(
        model, h100, 1024, seq_len=8192, global_batch_seqs=2048, fixed={"pp": 16, "tp": 8}
    )
    lay = est.layout
    assert (lay.pp, lay.tp, lay.dp * lay.cp) == (16, 8, 8) and est.fits_memory


def test_empty_search_names_the_rule() -> None:
    model = get_preset("llama-3.1-405b")
    h100 = load_catalog().accelerator("nvidia-h100-sxm")
    with pytest.raises(InfeasibleError, match="tp must divide the 128 heads"):
        best_layout(model, h100, 64, seq_len=8192, global_batch_seqs=64, fixed={"tp": 3})


# ---------------------------------------------------------------- properties of every row


@st.composite
def _cases(draw: st.DrawFn) -> tuple[ModelSpec, int, int, int, int, LayoutGrid]:
    heads = draw(st.sampled_from([8, 12, 16, 32, 40, 64]))
    layers = draw(st.integers(1, 40))
    experts = draw(st.sampled_from([0, 0, 8, 12, 16, 64]))
    moe = MoESpec(n_routed_experts=experts, top_k=2, expert_ffn_dim=256) if experts else None
    model = ModelSpec(
        name="prop",
        n_layers=layers,
        d_model=heads * 64,
        n_heads=heads,
        n_kv_heads=heads,
        head_dim=64,
        ffn_dim=1024,
        vocab_size=1000,
        moe=moe,
    )
    devices = draw(st.sampled_from([1, 2, 3, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]))
    domain = draw(st.sampled_from([1, 4, 8, 16, 64]))
    batch = draw(st.integers(1, 600))
    seq_len = draw(st.sampled_from([2048, CP_MIN_SEQ_LEN, 32768]))
    grid = LayoutGrid(
        pp=draw(st.sampled_from([None, (1, 2, 3, 5, 7, 16)])),
        micro_batch=draw(st.sampled_from([(1, 2, 4, 8, 16, 32), (1, 3)])),
        zero=(1,),
        recompute=("selective",),
        batch_tolerance=draw(st.sampled_from([0.0, 0.1])),
    )
    return model, devices, domain, batch, seq_len, grid


def _brute_force(
    model: ModelSpec, devices: int, domain: int, batch: int, seq_len: int, grid: LayoutGrid
) -> set[tuple[int, ...]]:
    """The space by its definition: every grid combination, one Python check at a time."""
    experts = model.moe.n_routed_experts if model.moe else 0
    eps = grid.ep or ([d for d in range(1, experts + 1) if experts % d == 0] or [1])
    out: set[tuple[int, ...]] = set()
    for tp, pp, cp, ep, mb in itertools.product(
        grid.tp, grid.pp or range(1, 65), grid.cp, eps, grid.micro_batch
    ):
        if devices % (tp * pp * cp) or tp > domain or (cp > 1 and seq_len < CP_MIN_SEQ_LEN):
            continue
        dp = devices // (tp * pp * cp)
        ga = round(batch / (dp * mb))
        if ga < 1 or abs(dp * mb * ga - batch) > grid.batch_tolerance * batch + 1e-9:
            continue
        per_stage = -(-model.n_layers // pp)
        vpps = [1] + ([per_stage // 2] if pp > 1 and per_stage % 2 == 0 and per_stage > 2 else [])
        for vpp in vpps:
            layout = Layout(dp=dp, tp=tp, pp=pp, cp=cp, ep=ep, micro_batch=mb, virtual_pp=vpp)
            try:
                check_layout(layout, model, chips=devices)
            except Exception:
                continue
            out.add((tp, pp, cp, ep, dp, mb, 1, RECOMPUTE_CODES["selective"], vpp))
    return out


@settings(max_examples=60, deadline=None)
@given(_cases())
def test_every_row_passes_the_rules_and_none_is_missing(
    case: tuple[ModelSpec, int, int, int, int, LayoutGrid],
) -> None:
    model, devices, domain, batch, seq_len, grid = case
    lay = enumerate_layouts(
        model, devices, seq_len=seq_len, global_batch_seqs=batch, grid=grid, domain_devices=domain
    )
    assert np.all(lay.devices == devices)
    assert np.all(lay.tp <= domain)
    assert np.all((lay.cp == 1) | (seq_len >= CP_MIN_SEQ_LEN))
    assert np.all(lay.grad_accum >= 1)
    assert np.all(np.abs(lay.global_batch_seqs - batch) <= grid.batch_tolerance * batch + 1e-9)
    assert np.all(lay.shard == lay.dp)
    for i in range(len(lay)):  # each row is a layout that can run
        check_layout(
            lay.layout(i), model, chips=devices, global_batch_seqs=int(lay.global_batch_seqs[i])
        )
    rows = [tuple(r) for r in zip(*(getattr(lay, k).tolist() for k in KEYS), strict=True)]
    assert len(rows) == len(set(rows))  # no duplicates
    assert set(rows) == _brute_force(model, devices, domain, batch, seq_len, grid)
