#!/usr/bin/env python
"""Fit the training estimator's efficiency parameters on the PUBLIC validation set.

    .venv/bin/python scripts/fit_training.py            # fit, print, write the YAML
    .venv/bin/python scripts/fit_training.py --dry-run  # fit and print only

What is fitted (everything else is a stated constant in the code):

* two global constants: ``matmul_intensity_scale`` (matmul size scale in units of the chip's
  roofline ridge point) and ``sync_jitter`` (straggler delay per scale-up domain);
* per vendor family with public training cases (nvidia, tpu, aws): ``matmul_eff_max``,
  ``attention_eff``, ``tp_overlap``, ``dp_overlap``, ``step_overhead_s``;
* per accelerator with at least ``--min-cases`` public cases: ``matmul_eff_max`` and
  ``attention_eff`` (the chip's sustained fraction of peak under matmul load and the maturity
  of its fused-attention kernels), on top of its family's values.

The ``default`` entry (families with no public cases: AMD, Intel, others) is the median of the
fitted family values; ``public_cases`` records which chips the fit saw (chips absent from it may
be GEMM-scaled at load time, see ``xpuplan.perf.efficiency``). The objective is the mean
absolute log error of each case's primary metric (``xpuplan.validation.run.PRIMARY_METRICS``)
plus half the 90th percentile over the cases, minimized by coordinate descent over grids
(numpy only; scipy is not a dependency). No per-case or per-model parameter exists, and no
measured value is ever looked up by the estimator.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.efficiency import EFFICIENCY_FIELDS, EfficiencyParams, parse_efficiency_table
from xpuplan.perf.layout import LayoutArrays, ModelShape
from xpuplan.perf.training import HardwareArrays, estimate_training_arrays
from xpuplan.validation.cases import CaseSkipped, load_cases
from xpuplan.validation.run import PRIMARY_METRICS, bundled_public_file
from xpuplan.validation.train_cases import PreparedTrainCase, prepare_train_case

OUT = Path(__file__).resolve().parents[1] / "src/xpuplan/perf/data/training_efficiency.yaml"
GLOBAL_FIELDS = ("matmul_intensity_scale", "sync_jitter")
ACCELERATOR_FIELDS = ("matmul_eff_max", "attention_eff")
FAMILY_FIELDS = ("matmul_eff_max", "attention_eff", "tp_overlap", "dp_overlap")
GRIDS: dict[str, np.ndarray] = {
    "matmul_intensity_scale": np.geomspace(0.05, 5.0, 41),
    "matmul_eff_max": np.linspace(0.30, 1.0, 71),
    "attention_eff": np.linspace(0.10, 1.0, 46),
    # Overlap stays below 0.9: a collective pipelined against compute in ~8 chunks keeps at
    # least its first or last chunk exposed (Megatron TP-comm overlap, FSDP prefetch).
    "tp_overlap": np.linspace(0.0, 0.9, 37),
    "dp_overlap": np.linspace(0.0, 0.9, 37),
    "step_overhead_s": np.concatenate([[0.0], np.geomspace(0.01, 2.0, 30)]),
    "sync_jitter": np.linspace(0.0, 0.1, 41),
}
START = {
    "matmul_intensity_scale": 1.0,
    "matmul_eff_max": 0.7,
    "attention_eff": 0.4,
    "tp_overlap": 0.5,
    "dp_overlap": 0.7,
    "step_overhead_s": 0.0,
    "sync_jitter": 0.0,
}


@dataclass
class Item:
    prepared: PreparedTrainCase
    shape: ModelShape
    hw: HardwareArrays
    layout: LayoutArrays
    metric: str
    measured: float
    per_token_per_s: float  # predicted metric per predicted token/s
    family: str
    accelerator_id: str
    source: str
    weight: float = 1.0


def _items(min_cases: int) -> tuple[list[Item], list[str]]:
    catalog = load_catalog()
    items: list[Item] = []
    skipped: list[str] = []
    for case in load_cases(bundled_public_file()):
        if case.kind != "train":
            continue
        try:
            prepared = prepare_train_case(case, catalog)
        except CaseSkipped as skip:
            skipped.append(f"{case.id}: {skip.reason}")
            continue
        unit = prepared.metrics(1.0, 1.0, 1.0)
        measured = case.measured()
        metric = next(
            (
                m
                for m in PRIMARY_METRICS["train"]
                if m in measured and not m.startswith("step_time")
            ),
            None,
        )
        if metric is None:
            skipped.append(f"{case.id}: no throughput metric")
            continue
        items.append(
            Item(
                prepared=prepared,
                shape=ModelShape.from_spec(prepared.model, prepared.seq_len),
                hw=prepared.hardware(),
                layout=LayoutArrays.from_layout(prepared.layout),
                metric=metric,
                measured=measured[metric],
                per_token_per_s=unit[metric],
                family=prepared.accelerator.vendor_family,
                accelerator_id=prepared.accelerator.id,
                source=case.source.title or case.source.url or case.id,
            )
        )
    return items, skipped


class State:
    """Parameter values by level: global, family, accelerator."""

    def __init__(self, families: list[str], accelerators: dict[str, str]) -> None:
        self.glob = {k: START[k] for k in GLOBAL_FIELDS}
        self.fam = {f: {k: START[k] for k in FAMILY_FIELDS} for f in families}
        self.acc: dict[str, dict[str, float]] = {a: {} for a in accelerators}
        self.acc_family: dict[str, str] = dict(accelerators)

    def resolve(self, item: Item) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.glob)
        values.update(self.fam[item.family])
        values.update(self.acc.get(item.accelerator_id, {}))
        return values


def _predict(item: Item, values: dict[str, Any]) -> np.ndarray:
    changes = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    hw = replace(item.hw, **changes)
    result = estimate_training_arrays(item.shape, hw, item.layout, item.prepared.global_batch_seqs)
    return np.asarray(result.tokens_per_s).reshape(-1) * item.per_token_per_s


def _log_errors(items: list[Item], state: State, override: tuple[str, str, Any] | None = None):
    rows = []
    for item in items:
        values = state.resolve(item)
        if override is not None:
            level, field, grid = override
            hit = (
                level == "global"
                or (level == item.family and field not in state.acc.get(item.accelerator_id, {}))
                or level == item.accelerator_id
            )
            if hit:
                values[field] = grid
        rows.append(np.log(_predict(item, values) / item.measured))
    return np.vstack(
        [np.broadcast_to(r, np.broadcast_shapes(*(x.shape for x in rows))) for r in rows]
    )


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of each column of ``values`` (cases x grid) under case ``weights``."""
    order = np.argsort(values, axis=0)
    sorted_values = np.take_along_axis(values, order, axis=0)
    cum = np.cumsum(weights[order], axis=0)
    index = np.argmax(cum >= q * cum[-1], axis=0)
    return np.take_along_axis(sorted_values, index[None, :], axis=0)[0]


def _loss(errors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    absolute = np.abs(errors)
    w = weights[:, None]
    mean = (absolute * w).sum(axis=0) / w.sum()
    return mean + 0.5 * _weighted_quantile(absolute, weights, 0.9)


def _sweep(items: list[Item], state: State, level: str, field: str) -> float:
    if level == "global":
        group = items
    elif level in state.fam:
        group = [i for i in items if i.family == level]
    else:
        group = [i for i in items if i.accelerator_id == level]
    grid = GRIDS[field]
    weights = np.array([i.weight for i in group])
    loss = _loss(_log_errors(group, state, (level, field, grid)), weights)
    best = float(grid[int(np.argmin(loss))])
    if level == "global":
        state.glob[field] = best
    elif level in state.fam:
        state.fam[level][field] = best
    else:
        state.acc[level][field] = best
    return float(loss.min())


def _table(items: list[Item], state: State) -> dict[str, dict[str, float]]:
    errors = _log_errors(items, state)[:, 0]
    rel = np.exp(errors) - 1.0
    out: dict[str, dict[str, float]] = {}
    groups = {"all": np.ones(len(items), bool)}
    for fam in sorted({i.family for i in items}):
        groups[fam] = np.array([i.family == fam for i in items])
    for name, mask in groups.items():
        values = np.abs(rel[mask])
        out[name] = {
            "n": int(mask.sum()),
            "median_abs_error": round(float(np.median(values)), 4),
            "p90_abs_error": round(float(np.percentile(values, 90)), 4),
            "max_abs_error": round(float(values.max()), 4),
        }
    return out


def _total_loss(items: list[Item], state: State) -> float:
    weights = np.array([i.weight for i in items])
    return float(_loss(_log_errors(items, state), weights)[0])


def fit(min_cases: int, sweeps: int) -> tuple[State, list[Item], list[str]]:
    items, skipped = _items(min_cases)
    families = sorted({i.family for i in items})
    counts: dict[str, int] = {}
    for i in items:
        counts[i.accelerator_id] = counts.get(i.accelerator_id, 0) + 1
    accelerators = {a: next(i.family for i in items if i.accelerator_id == a) for a in counts}
    state = State(families, {})
    # Stage 1: family and global values from all cases of each family (the family default
    # that unseen chips of the family will use).
    for sweep in range(sweeps):
        for fam in families:
            for field in FAMILY_FIELDS:
                _sweep(items, state, fam, field)
        for field in GLOBAL_FIELDS:
            _sweep(items, state, "global", field)
        print(f"family sweep {sweep + 1}: loss {_total_loss(items, state):.4f}")
    family_defaults = {f: {k: state.fam[f][k] for k in ACCELERATOR_FIELDS} for f in families}
    # Stage 2: per-accelerator values where the public set has enough cases, re-fitting the
    # other family fields around them; the best state seen is kept.
    for acc, n in sorted(counts.items()):
        if n >= min_cases:
            state.acc[acc] = {f: state.fam[accelerators[acc]][f] for f in ACCELERATOR_FIELDS}
    best = (_total_loss(items, state), copy.deepcopy(state))
    for sweep in range(sweeps):
        for acc in state.acc:
            for field in ACCELERATOR_FIELDS:
                _sweep(items, state, acc, field)
        for fam in families:
            for field in FAMILY_FIELDS:
                if field not in ACCELERATOR_FIELDS:
                    _sweep(items, state, fam, field)
        for field in GLOBAL_FIELDS:
            _sweep(items, state, "global", field)
        loss = _total_loss(items, state)
        print(f"accelerator sweep {sweep + 1}: loss {loss:.4f}")
        if loss < best[0]:
            best = (loss, copy.deepcopy(state))
    state = best[1]
    for fam in families:  # the family defaults stay those fitted on the whole family
        state.fam[fam].update(family_defaults[fam])
    state.acc_family = {a: accelerators[a] for a in state.acc}
    return state, items, skipped


def _document(state: State, items: list[Item], min_cases: int) -> dict[str, Any]:
    default = {
        field: round(float(np.median([state.fam[f][field] for f in state.fam])), 4)
        for field in FAMILY_FIELDS
    }
    for field in GLOBAL_FIELDS:
        default[field] = round(state.glob[field], 4)
    doc: dict[str, Any] = {
        "source": "scripts/fit_training.py on the public validation set "
        "(src/xpuplan/validation/data/public.yaml, train cases)",
        "as_of": dt.date.today().isoformat(),
        "fitted_metric": "primary metric per case (tokens/s per device, tokens/s, sequences/s, "
        "samples/s, TFLOP/s per device, MFU: first measured); loss = mean |log error| + "
        "0.5 x p90 |log error| over the cases",
        "default_rule": "families absent from the public set use the median of the fitted "
        "family values",
        "accelerator_rule": f"{', '.join(ACCELERATOR_FIELDS)} per accelerator with >= "
        f"{min_cases} public cases",
        "n_cases": len(items),
        # Which chips the fit saw: they keep fitted values; only chips absent here may be
        # GEMM-scaled (xpuplan.perf.efficiency, data/gemm_microbenchmarks.yaml).
        "public_cases": {
            a: sum(i.accelerator_id == a for i in items)
            for a in sorted({i.accelerator_id for i in items})
        },
        "errors": _table(items, state),
        "default": default,
        "families": {f: {k: round(v, 4) for k, v in vals.items()} for f, vals in state.fam.items()},
        "accelerators": {
            a: {"family": state.acc_family[a], **{k: round(v, 4) for k, v in vals.items()}}
            for a, vals in state.acc.items()
        },
    }
    parse_efficiency_table(doc)  # the document must load
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the YAML")
    parser.add_argument("--min-cases", type=int, default=10)
    parser.add_argument("--sweeps", type=int, default=6)
    args = parser.parse_args()
    assert set(START) <= set(EFFICIENCY_FIELDS)
    state, items, skipped = fit(args.min_cases, args.sweeps)
    doc = _document(state, items, args.min_cases)
    for line in skipped:
        print("skipped", line)
    print(yaml.safe_dump({k: doc[k] for k in ("errors", "default", "families", "accelerators")}))
    if not args.dry_run:
        header = (
            "# Efficiency parameters of the training estimator (xpuplan.perf.efficiency).\n"
            "# Written by scripts/fit_training.py: do not edit by hand, re-run the script.\n"
        )
        OUT.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        print(f"wrote {OUT}")
    _ = EfficiencyParams  # documented type of each entry


if __name__ == "__main__":
    main()
