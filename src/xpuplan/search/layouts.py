"""Parallel layouts of a training job on N chips, generated as flat numpy arrays.

A layout is tensor x pipeline x context x data parallel (``tp * pp * cp * dp == chips``;
Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters Using
Megatron-LM"), an expert-parallel degree for MoE models carved out of the data x context group,
a micro-batch size, the number of gradient-accumulation micro-batches, a ZeRO stage
(Rajbhandari et al. 2020), an activation-recomputation policy (Korthikanti et al. 2022: none,
selective, full) and the pipeline schedule (plain 1F1B, or interleaved with two layers per
model chunk, Narayanan et al. 2021 section 2.2).

Rules applied here (cheap structural checks; memory and time are the estimator's job):

* ``tp`` is a power of two dividing the attention heads, at most the scale-up domain (tensor
  parallelism only pays off over the scale-up fabric, Narayanan et al. 2021 section 3.3);
* ``pp`` at most the layers and 64 (``perf.layout.pp_ok``: stages may be uneven, the busiest
  holds ceil(layers / pp)); with ``pp > 1`` and an even number of layers per stage (more than
  2) the interleaved
  schedule with ``virtual_pp = layers per stage / 2`` is tried as well;
* ``cp`` (context parallelism) is tried only for sequences of at least
  ``perf.layout.CP_MIN_SEQ_LEN`` tokens;
* ``ep`` divides the routed experts and ``dp * cp``;
* the global batch of ``B`` sequences is kept within ``BATCH_TOLERANCE`` of the request:
  ``grad_accum = round(B / (dp * micro_batch)) >= 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import CP_MIN_SEQ_LEN, MAX_PP, RECOMPUTE_CODES
from xpuplan.perf.layout import pp_ok as pp_rule
from xpuplan.perf.layout import tp_ok as tp_rule

__all__ = [
    "BATCH_TOLERANCE",
    "MAX_PP",
    "RECOMPUTE_CODES",
    "LayoutArrays",
    "LayoutGrid",
    "enumerate_layouts",
]

IntArray = NDArray[np.int64]

# How far the effective global batch (dp x micro_batch x grad_accum sequences) may differ from
# the requested one. Practitioners round batch sizes to the parallel layout all the time; 10%
# keeps the optimisation recipe essentially unchanged (a modelling choice, not a measurement).
BATCH_TOLERANCE = 0.10


@dataclass(frozen=True)
class LayoutGrid:
    """The values each layout knob may take (the search tries every allowed combination)."""

    tp: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    pp: tuple[int, ...] | None = None  # None: every divisor of the layer count up to MAX_PP
    ep: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    cp: tuple[int, ...] = (1, 2, 4, 8)  # only for seq_len >= CP_MIN_SEQ_LEN
    interleave: bool = True  # also try the interleaved pipeline schedule
    micro_batch: tuple[int, ...] = (1, 2, 4, 8)
    zero_stage: tuple[int, ...] = (1, 3)
    recompute: tuple[str, ...] = ("none", "selective", "full")


@dataclass(frozen=True)
class LayoutArrays:
    """One row per (hardware group, chip count, layout) candidate."""

    pair: IntArray  # index of the (group, chips) pair this row belongs to
    group: IntArray
    chips: IntArray
    tp: IntArray
    pp: IntArray
    cp: IntArray
    dp: IntArray
    ep: IntArray
    virtual_pp: IntArray
    micro_batch: IntArray
    grad_accum: IntArray
    zero_stage: IntArray
    recompute: IntArray  # RECOMPUTE_CODES

    def __len__(self) -> int:
        return int(self.pair.shape[0])

    def slice(self, start: int, stop: int) -> LayoutArrays:
        """Rows ``start:stop`` as views (no copy)."""
        return LayoutArrays(
            **{name: getattr(self, name)[start:stop] for name in self.__dataclass_fields__}
        )

    def take(self, index: IntArray) -> LayoutArrays:
        return LayoutArrays(
            **{name: getattr(self, name)[index] for name in self.__dataclass_fields__}
        )

    @property
    def global_batch_seqs(self) -> IntArray:
        return np.asarray(self.dp * self.micro_batch * self.grad_accum, dtype=np.int64)


def _product(*axes: IntArray) -> list[IntArray]:
    grids = np.meshgrid(*axes, indexing="ij")
    return [g.ravel() for g in grids]


def enumerate_layouts(
    model: ModelSpec,
    pair_group: IntArray,
    pair_chips: IntArray,
    group_domain: IntArray,
    global_batch_seqs: int,
    grid: LayoutGrid | None = None,
    seq_len: int = 0,
) -> LayoutArrays:
    """Every structurally valid layout of every (group, chips) pair, as flat arrays.

    ``pair_group``/``pair_chips`` list the (hardware group, chip count) pairs;
    ``group_domain`` gives each group's scale-up domain in chips; ``seq_len`` decides whether
    context parallelism is tried.
    """
    grid = grid or LayoutGrid()
    tp_ok = np.array([t for t in grid.tp if tp_rule(model.n_heads, t)], dtype=np.int64)
    pp_values = grid.pp if grid.pp is not None else range(1, MAX_PP + 1)
    pp_ok = np.array([p for p in pp_values if pp_rule(model.n_layers, p)], dtype=np.int64)
    cp_ok = np.array(
        [c for c in grid.cp if c == 1 or seq_len >= CP_MIN_SEQ_LEN] or [1], dtype=np.int64
    )
    if model.moe is not None:
        experts = model.moe.n_routed_experts
        ep_ok = np.array([e for e in grid.ep if experts % e == 0], dtype=np.int64)
    else:
        ep_ok = np.array([1], dtype=np.int64)
    mb = np.array(grid.micro_batch, dtype=np.int64)
    zero = np.array(grid.zero_stage, dtype=np.int64)
    rc = np.array([RECOMPUTE_CODES[r] for r in grid.recompute], dtype=np.int64)

    pair_idx = np.arange(pair_group.shape[0], dtype=np.int64)
    p, tp, pp, cp, ep, m = _product(pair_idx, tp_ok, pp_ok, cp_ok, ep_ok, mb)
    chips = pair_chips[p]
    domain = group_domain[pair_group[p]]
    model_par = tp * pp * cp
    ok = (chips % model_par == 0) & (tp <= domain) & (tp <= chips)
    p, tp, pp, cp, ep, m, chips = (a[ok] for a in (p, tp, pp, cp, ep, m, chips))
    dp = chips // (tp * pp * cp)
    ok = (dp * cp) % ep == 0
    p, tp, pp, cp, ep, m, chips, dp = (a[ok] for a in (p, tp, pp, cp, ep, m, chips, dp))
    ga = np.rint(global_batch_seqs / (dp * m)).astype(np.int64)
    effective = dp * m * ga
    ok = (ga >= 1) & (
        np.abs(effective - global_batch_seqs) <= BATCH_TOLERANCE * global_batch_seqs + 1e-9
    )
    p, tp, pp, cp, ep, m, chips, dp, ga = (a[ok] for a in (p, tp, pp, cp, ep, m, chips, dp, ga))

    # Pipeline schedule: plain, plus interleaved (two layers per chunk) where it applies.
    per_stage = -(-model.n_layers // pp)  # the busiest stage (uneven stages allowed)
    vpp = np.ones_like(pp)
    if grid.interleave:
        can = (pp > 1) & (per_stage % 2 == 0) & (per_stage > 2)
        extra = np.flatnonzero(can)
        base_rows = np.concatenate([np.arange(p.shape[0]), extra])
        vpp = np.concatenate([vpp, per_stage[extra] // 2])
        p, tp, pp, cp, ep, m, chips, dp, ga = (
            a[base_rows] for a in (p, tp, pp, cp, ep, m, chips, dp, ga)
        )

    # Cross with the knobs that need no structural check.
    n = p.shape[0]
    base, z, r = _product(np.arange(n, dtype=np.int64), zero, rc)
    order = np.argsort(p[base], kind="stable")  # keep rows ordered by pair (and so by group)
    base, z, r = base[order], z[order], r[order]
    return LayoutArrays(
        pair=p[base],
        group=pair_group[p[base]],
        chips=chips[base],
        tp=tp[base],
        pp=pp[base],
        cp=cp[base],
        dp=dp[base],
        ep=ep[base],
        virtual_pp=vpp[base],
        micro_batch=m[base],
        grad_accum=ga[base],
        zero_stage=z,
        recompute=r,
    )
