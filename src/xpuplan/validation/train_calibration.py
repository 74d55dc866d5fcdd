"""Fit the training estimator's efficiency parameters on validation cases (refittable, fast).

:func:`fit_training` turns training cases into an :class:`~xpuplan.perf.efficiency.
EfficiencyTable`; :class:`TrainCalibration` wraps it in the :class:`~xpuplan.validation.crossval.
Calibration` protocol so ``xpuplan validate --cross-validate`` can refit without each group.
``scripts/fit_training.py`` calls the same function and writes the bundled YAML.

What is fitted (everything else is a stated constant or a software-stack input):

* global: ``matmul_intensity_scale`` (matmul size scale in units of the roofline ridge),
  ``sync_jitter`` (straggler delay per scale-up domain), ``step_overhead_s`` (fixed time per
  optimizer step: launches, data loading, logging, the step's synchronization; it matters where
  a step is one or two micro-batches, as in multi-node LoRA and small weak-scaling runs) and,
  when at least
  ``MIN_FP8_CASES`` fp8 cases exist, ``fp8_matmul_ratio`` (fp8 GEMM efficiency relative to bf16;
  prior 0.89 from the H100 GEMM microbenchmark);
* per vendor family with at least ``MIN_FAMILY_CASES`` cases: ``matmul_eff_max``,
  ``attention_eff``, ``tp_overlap`` (the share of TP communication an *overlapping* stack hides;
  stacks without overlap get 0, :mod:`xpuplan.perf.stack`) and ``dp_overlap``; the shared
  prior is the median of these families. A family field that fewer than
  ``MIN_FAMILY_CASES`` of the family's cases depend on (``tp_overlap`` when nearly every case
  runs TP 1) is not fitted: the family takes the shared prior for it and is left out of that
  median. A family with fewer cases fits only its two
  efficiencies, pooled towards that prior like a chip (below), and families without cases
  take the prior;
* per software stack with at least ``MIN_STACK_CASES`` cases: a factor on ``matmul_eff_max``
  (kernel and fusion maturity of the stack: NeMo's fp8 MLPerf kernels versus PyTorch FSDP),
  pooled towards 1;
* per accelerator with cases: ``matmul_eff_max`` and ``attention_eff``, partially pooled
  towards the family value (a quadratic penalty ``PRIOR_WEIGHT x log(v / v_family)^2``
  against each chip's mean |log error|): a chip with one case moves part of the way, a chip
  with many cases follows its data.

Loss per level: mean |log error| of each case's primary metric (``P90_WEIGHT`` x the 90th
percentile may be added; a p90 term pulled the fits towards slow predictions), minimized by
coordinate descent over grids (numpy only), ``sweeps`` passes. Values that end on a grid
edge are reported in :attr:`TrainingFit.bounds_hit`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from xpuplan.catalog.catalog import Catalog
from xpuplan.perf.efficiency import (
    EfficiencyParams,
    EfficiencyTable,
    load_gemm_microbenchmarks,
    with_gemm_scaling,
)
from xpuplan.perf.layout import LayoutArrays, ModelShape
from xpuplan.perf.training import HardwareArrays, estimate_training_arrays
from xpuplan.validation.cases import CaseSkipped, ValidationCase
from xpuplan.validation.train_cases import PreparedTrainCase, prepare_train_case

__all__ = [
    "ACCELERATOR_FIELDS",
    "FAMILY_FIELDS",
    "MIN_FAMILY_CASES",
    "MIN_FP8_CASES",
    "PRIOR_WEIGHT",
    "TrainCalibration",
    "TrainItem",
    "TrainingFit",
    "fit_training",
    "prepare_items",
    "primary_train_metric",
]

FloatArray = npt.NDArray[np.float64]

MIN_FAMILY_CASES = 5
MIN_STACK_CASES = 5
P90_WEIGHT = 0.0  # loss = mean |log error| (+ this x p90; a p90 term biased fits slow)
MIN_FP8_CASES = 3
# A case whose |log error| moves by less than this over a field's whole grid does not depend on
# the field (numerical noise, not a modelled effect).
UNINFORMED_LOG_SPREAD = 1e-9
# Prior on a chip's deviation from its family: log-ratio standard deviation ~0.7, i.e. a chip's
# sustained efficiency is usually within a factor 2 of its family's (H100 0.62 vs A100 0.8).
PRIOR_WEIGHT = 1.0
GLOBAL_FIELDS = ("matmul_intensity_scale", "sync_jitter", "step_overhead_s")
FAMILY_FIELDS = ("matmul_eff_max", "attention_eff", "tp_overlap", "dp_overlap")
ACCELERATOR_FIELDS = ("matmul_eff_max", "attention_eff")
GRIDS: dict[str, FloatArray] = {
    "matmul_intensity_scale": np.geomspace(0.1, 10.0, 25),
    "matmul_eff_max": np.linspace(0.25, 1.0, 31),
    "attention_eff": np.linspace(0.05, 1.0, 39),
    "tp_overlap": np.linspace(0.0, 0.95, 20),
    "dp_overlap": np.linspace(0.0, 0.95, 20),
    "sync_jitter": np.linspace(0.0, 0.1, 21),
    "step_overhead_s": np.linspace(0.0, 0.5, 26),
    "fp8_matmul_ratio": np.linspace(0.5, 1.2, 29),
    "stack_matmul_scale": np.linspace(0.6, 1.6, 21),
}
PRIOR = EfficiencyParams(
    matmul_eff_max=0.7,
    matmul_intensity_scale=1.0,
    attention_eff=0.4,
    tp_overlap=0.5,
    dp_overlap=0.6,
    sync_jitter=0.0,
)


def primary_train_metric(case: ValidationCase) -> str | None:
    """The throughput metric a training case is judged on (first measured, no step time)."""
    from xpuplan.validation.run import PRIMARY_METRICS

    measured = case.measured()
    return next(
        (m for m in PRIMARY_METRICS["train"] if m in measured and not m.startswith("step_time")),
        None,
    )


@dataclass
class TrainItem:
    """One predictable case, resolved once (layout, hardware arrays) for fast refits."""

    case_id: str
    prepared: PreparedTrainCase
    shape: ModelShape
    hw: HardwareArrays
    layout: LayoutArrays
    metric: str
    measured: float
    per_token_per_s: float  # predicted metric per predicted token/s
    family: str
    accelerator_id: str
    tp_on: float  # 1 when the case's stack overlaps TP communication
    dp_on: float  # 1 when it overlaps the gradient reduction with the backward
    fp8: bool
    stack: str

    def predict(self, values: dict[str, Any]) -> FloatArray:
        changes: dict[str, Any] = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        if "tp_overlap" in changes:
            changes["tp_overlap"] = changes["tp_overlap"] * self.tp_on
        if "dp_overlap" in changes:
            changes["dp_overlap"] = changes["dp_overlap"] * self.dp_on
        hw = replace(self.hw, **changes)
        result = estimate_training_arrays(
            self.shape,
            hw,
            self.layout,
            self.prepared.global_batch_seqs,
            finetune=self.prepared.finetune,
        )
        return np.asarray(result.tokens_per_s, dtype=np.float64).reshape(-1) * self.per_token_per_s


def prepare_items(
    cases: Sequence[ValidationCase], catalog: Catalog
) -> tuple[list[TrainItem], dict[str, str]]:
    """Predictable training cases as items, and the skip reason of every other case."""
    items: list[TrainItem] = []
    skipped: dict[str, str] = {}
    for case in cases:
        if case.kind != "train":
            continue
        try:
            prepared = prepare_train_case(case, catalog)
        except CaseSkipped as skip:
            skipped[case.id] = skip.reason
            continue
        metric = primary_train_metric(case)
        if metric is None:
            skipped[case.id] = "no throughput metric"
            continue
        unit = prepared.metrics(1.0, 1.0, 1.0)
        if metric not in unit:
            skipped[case.id] = f"metric {metric} not predicted"
            continue
        items.append(
            TrainItem(
                case_id=case.id,
                prepared=prepared,
                shape=ModelShape.from_spec(prepared.model, prepared.seq_len),
                hw=prepared.hardware(),
                layout=LayoutArrays.from_layout(prepared.layout),
                metric=metric,
                measured=case.measured()[metric],
                per_token_per_s=unit[metric],
                family=prepared.accelerator.vendor_family,
                accelerator_id=prepared.accelerator.id,
                tp_on=1.0 if prepared.stack.tp_comm_overlap else 0.0,
                dp_on=1.0 if prepared.stack.dp_comm_overlap else 0.0,
                fp8=prepared.precision in ("fp8", "int8"),
                stack=prepared.stack.name,
            )
        )
    return items, skipped


@dataclass
class TrainingFit:
    """Fitted table, the values that sit on a grid edge, and the in-sample loss."""

    table: EfficiencyTable
    bounds_hit: tuple[str, ...] = ()
    n_cases: int = 0
    loss: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    families_of: dict[str, str] = field(default_factory=dict)  # accelerator -> vendor family


class _State:
    def __init__(self) -> None:
        prior = PRIOR.to_dict()
        self.glob: dict[str, float] = {k: prior[k] for k in (*GLOBAL_FIELDS, "fp8_matmul_ratio")}
        self.fam: dict[str, dict[str, float]] = {}
        self.acc: dict[str, dict[str, float]] = {}
        self.stacks: dict[str, dict[str, float]] = {}
        self.default: dict[str, float] = {k: prior[k] for k in FAMILY_FIELDS}

    def family(self, name: str) -> dict[str, float]:
        return self.fam.get(name, self.default)

    def resolve(self, item: TrainItem) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.glob)
        values.update(self.family(item.family))
        values.update(self.acc.get(item.accelerator_id, {}))
        values["stack_matmul_scale"] = self.stacks.get(item.stack, {}).get(
            "stack_matmul_scale", 1.0
        )
        return values


def _log_errors(items: Sequence[TrainItem], state: _State, override: Any = None) -> FloatArray:
    rows = []
    for item in items:
        values = state.resolve(item)
        if override is not None:
            values[override[0]] = override[1]
        rows.append(np.log(np.maximum(item.predict(values), 1e-30) / item.measured))
    width = max(len(r) for r in rows)
    return np.vstack([np.broadcast_to(r, (width,)) for r in rows])


def _loss(errors: FloatArray) -> FloatArray:
    absolute = np.abs(errors)
    loss: FloatArray = absolute.mean(axis=0) + P90_WEIGHT * np.percentile(absolute, 90, axis=0)
    return loss


def _sweep(
    items: Sequence[TrainItem],
    state: _State,
    target: dict[str, float],
    name: str,
    prior: float | None = None,
) -> None:
    grid = GRIDS[name]
    loss = _loss(_log_errors(items, state, (name, grid)))
    if prior is not None:
        loss = loss + PRIOR_WEIGHT * np.log(grid / prior) ** 2 / len(items)
    target[name] = float(grid[int(np.argmin(loss))])


def fit_training(
    cases: Sequence[ValidationCase] | None = None,
    catalog: Catalog | None = None,
    *,
    items: Sequence[TrainItem] | None = None,
    sweeps: int = 2,
) -> TrainingFit:
    """Fit the efficiency table on ``cases`` (or prepared ``items``); no case gives the prior."""
    if items is None:
        if catalog is None:
            from xpuplan.catalog.load import load_catalog

            catalog = load_catalog()
        items, _ = prepare_items(cases or (), catalog)
    items = list(items)
    state = _State()
    by_family: dict[str, list[TrainItem]] = {}
    by_acc: dict[str, list[TrainItem]] = {}
    for item in items:
        by_family.setdefault(item.family, []).append(item)
        by_acc.setdefault(item.accelerator_id, []).append(item)
    fitted_families = sorted(f for f, v in by_family.items() if len(v) >= MIN_FAMILY_CASES)
    small_families = sorted(f for f in by_family if f not in fitted_families)
    for fam in fitted_families:
        state.fam[fam] = dict(state.default)
    fp8_items = [i for i in items if i.fp8]
    by_stack: dict[str, list[TrainItem]] = {}
    for item in items:
        by_stack.setdefault(item.stack, []).append(item)
    fitted_stacks = sorted(s for s, v in by_stack.items() if len(v) >= MIN_STACK_CASES)
    # (family, field) pairs too few of the family's cases depend on: not fitted, the family
    # takes the shared prior (e.g. tp_overlap where nearly every case runs TP 1).
    uninformed = {
        (fam, name)
        for fam in fitted_families
        for name in FAMILY_FIELDS
        if _informing(by_family[fam], state, name) < MIN_FAMILY_CASES
    }
    if items:
        for _ in range(sweeps):
            for fam in fitted_families:
                for name in FAMILY_FIELDS:
                    if (fam, name) in uninformed:
                        state.fam[fam][name] = state.default[name]
                    else:
                        _sweep(by_family[fam], state, state.fam[fam], name)
            for name in GLOBAL_FIELDS:
                _sweep(items, state, state.glob, name)
            if len(fp8_items) >= MIN_FP8_CASES:
                _sweep(fp8_items, state, state.glob, "fp8_matmul_ratio")
            for name in fitted_stacks:
                entry = state.stacks.setdefault(name, {})
                _sweep(by_stack[name], state, entry, "stack_matmul_scale", prior=1.0)
            if fitted_families:
                state.default = {
                    k: _median_informed(state, fitted_families, k, uninformed, state.default[k])
                    for k in FAMILY_FIELDS
                }
                for fam, name in uninformed:
                    state.fam[fam][name] = state.default[name]
        # Families with few cases: only their efficiencies, pooled towards the shared prior.
        for fam in small_families:
            state.fam[fam] = dict(state.default)
            for name in ACCELERATOR_FIELDS:
                _sweep(by_family[fam], state, state.fam[fam], name, prior=state.default[name])
        # Per accelerator, pooled towards its family (module docstring).
        for _ in range(max(1, sweeps - 1)):
            for acc, members in sorted(by_acc.items()):
                fam_values = state.family(members[0].family)
                entry = state.acc.setdefault(acc, {})
                for name in ACCELERATOR_FIELDS:
                    _sweep(members, state, entry, name, prior=fam_values[name])
    table = _table(state, by_acc, items)
    bounds = _bounds(state)
    loss = float(_loss(_log_errors(items, state))[0]) if items else 0.0
    return TrainingFit(
        table=table,
        bounds_hit=bounds,
        n_cases=len(items),
        loss=loss,
        counts={a: len(v) for a, v in sorted(by_acc.items())},
        families_of={a: v[0].family for a, v in sorted(by_acc.items())},
    )


def _table(
    state: _State, by_acc: dict[str, list[TrainItem]], items: Sequence[TrainItem]
) -> EfficiencyTable:
    default = replace(PRIOR, **state.default, **state.glob)
    families = {f: replace(default, **v) for f, v in state.fam.items()}
    accelerators = {
        a: replace(families.get(by_acc[a][0].family, default), **v) for a, v in state.acc.items()
    }
    table = EfficiencyTable(
        default=default,
        families=families,
        meta={"n_cases": len(items)},
        accelerators=accelerators,
        public_cases={a: len(v) for a, v in by_acc.items()},
        stack_matmul_scale={s: v["stack_matmul_scale"] for s, v in sorted(state.stacks.items())},
    )
    return with_gemm_scaling(table, load_gemm_microbenchmarks())


def _informing(items: Sequence[TrainItem], state: _State, name: str) -> int:
    """How many of ``items`` have a prediction that depends on field ``name`` at all."""
    errors = _log_errors(items, state, (name, GRIDS[name]))
    return int(np.count_nonzero(np.ptp(errors, axis=1) > UNINFORMED_LOG_SPREAD))


def _median_informed(
    state: _State,
    families: Sequence[str],
    name: str,
    uninformed: set[tuple[str, str]],
    fallback: float,
) -> float:
    """The shared prior of ``name``: the median over the families that fit it."""
    values = [state.fam[f][name] for f in families if (f, name) not in uninformed]
    return statistics.median(values) if values else fallback


def _bounds(state: _State) -> tuple[str, ...]:
    hits: list[str] = []
    levels: list[tuple[str, dict[str, float]]] = [("global", state.glob)]
    levels += [(f"family {f}", v) for f, v in sorted(state.fam.items())]
    levels += [(f"accelerator {a}", v) for a, v in sorted(state.acc.items())]
    levels += [(f"stack {s}", v) for s, v in sorted(state.stacks.items())]
    for level, values in levels:
        for name, value in values.items():
            grid = GRIDS[name]
            if value in (float(grid[0]), float(grid[-1])) and not (
                name in ("sync_jitter", "step_overhead_s", "tp_overlap", "dp_overlap")
                and value == 0.0
            ):
                hits.append(f"{level}: {name}={value:g} on its grid edge")
    return tuple(hits)


class TrainCalibration:
    """The training estimator's :class:`~xpuplan.validation.crossval.Calibration`: cases are
    prepared once (layouts, hardware arrays) and every refit reuses them."""

    def __init__(self, catalog: Catalog | None = None, sweeps: int = 2) -> None:
        if catalog is None:
            from xpuplan.catalog.load import load_catalog

            catalog = load_catalog()
        self.catalog = catalog
        self.sweeps = sweeps
        self._items: dict[str, TrainItem] = {}
        self.skipped: dict[str, str] = {}

    def items(self, cases: Sequence[ValidationCase]) -> list[TrainItem]:
        new = [c for c in cases if c.id not in self._items and c.id not in self.skipped]
        if new:
            items, skipped = prepare_items(new, self.catalog)
            self._items.update({i.case_id: i for i in items})
            self.skipped.update(skipped)
        return [self._items[c.id] for c in cases if c.id in self._items]

    def fit(self, cases: Sequence[ValidationCase]) -> TrainingFit:
        return fit_training(items=self.items(cases), sweeps=self.sweeps)

    def errors(self, cases: Sequence[ValidationCase], params: TrainingFit) -> dict[str, float]:
        out: dict[str, float] = {}
        for item in self.items(cases):
            eff = params.table.for_accelerator(item.accelerator_id, item.family)
            values: dict[str, Any] = eff.to_dict()
            values["stack_matmul_scale"] = params.table.stack_matmul_scale.get(item.stack, 1.0)
            predicted = float(item.predict(values)[0])
            out[item.case_id] = predicted / item.measured - 1.0
        return out

    def latency_errors(
        self, cases: Sequence[ValidationCase], params: TrainingFit
    ) -> dict[str, float]:
        """Training cases measure no latency."""
        return {}
