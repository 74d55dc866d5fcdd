#!/usr/bin/env python3
"""Fit the serving-efficiency parameters on the public inference cases (numpy only).

Fitted, per vendor family: hbm_bw_fraction, kv_bw_fraction, compute_fraction, gemm_half_rows,
fp4_peak_fraction, step_overhead_s, collective_latency_s (meaning:
xpuplan/perf/serving_efficiency.py). The other parameters are documented constants and are not
touched.

Procedure
1. ``defaults``: one parameter set fitted on every public ``infer`` case (all families); this
   is what families without public measurements (TPU, Intel, others) use.
2. each family with cases (nvidia, amd, aws): refit on its own cases with a Gaussian prior
   centred on the defaults (penalty ``PRIOR_WEIGHT * sum(z^2)`` in the transformed space), so a
   family with few cases stays close to the cross-family values.

Loss of one case: |log(pred / measured)| of its throughput metric plus the mean over its latency
metrics (TTFT, TPOT, e2e) - robust (L1 in log space), each case weighted once. Optimizer:
Nelder-Mead (Nelder and Mead 1965) on logit/log-transformed parameters, a few restarts.

Usage: ``python scripts/fit_serving.py [--cases FILE] [--write | --report]`` (``--write``
rewrites ``src/xpuplan/perf/data/serving_efficiency.yaml``; without it the fit is only printed;
``--report`` prints the error table per family and metric kind of the current data, no fit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving_efficiency import ServingEfficiency, load_efficiency_table
from xpuplan.validation.cases import CaseSkipped, load_cases
from xpuplan.validation.infer_cases import (
    PreparedCase,
    error_table,
    predict_prepared,
    prepare_infer_case,
)
from xpuplan.validation.run import PRIMARY_METRICS, bundled_public_file, validate_files

DATA_FILE = Path(__file__).resolve().parents[1] / "src/xpuplan/perf/data/serving_efficiency.yaml"

# name -> (transform, lower, upper): "logit" for fractions, "log" for positive times.
FITTED: dict[str, tuple[str, float, float]] = {
    "hbm_bw_fraction": ("logit", 0.2, 0.95),
    "kv_bw_fraction": ("logit", 0.05, 0.95),
    "compute_fraction": ("logit", 0.05, 0.95),
    "gemm_half_rows": ("log", 1.0, 2048.0),
    "fp4_peak_fraction": ("logit", 0.2, 1.0),
    "step_overhead_s": ("log", 1e-5, 0.05),
    "collective_latency_s": ("log", 2e-7, 2e-4),
}
PRIOR_WEIGHT = 0.02
THROUGHPUT_METRICS = PRIMARY_METRICS["infer"][:6]


def _to_z(name: str, value: float) -> float:
    kind, lo, hi = FITTED[name]
    v = min(max(value, lo * 1.0001), hi * 0.9999)
    if kind == "logit":
        u = (v - lo) / (hi - lo)
        return math.log(u / (1 - u))
    return math.log(v)


def _from_z(name: str, z: float) -> float:
    kind, lo, hi = FITTED[name]
    if kind == "logit":
        return lo + (hi - lo) / (1 + math.exp(-z))
    return min(max(math.exp(z), lo), hi)


def _efficiency(base: ServingEfficiency, z: np.ndarray) -> ServingEfficiency:
    changes = {name: _from_z(name, float(zi)) for name, zi in zip(FITTED, z, strict=True)}
    return base.replace(**changes)


def case_loss(prepared: PreparedCase, efficiency: ServingEfficiency) -> float:
    """|log error| of the throughput metric + mean |log error| of the latency metrics."""
    try:
        predicted = predict_prepared(prepared, efficiency)
    except CaseSkipped:
        return 3.0
    measured = prepared.case.measured()
    pairs = {k: (predicted[k], measured[k]) for k in predicted if measured.get(k)}
    loss = 0.0
    throughput = next((k for k in THROUGHPUT_METRICS if k in pairs), None)
    if throughput is not None:
        p, m = pairs[throughput]
        loss += abs(math.log(max(p, 1e-12) / m))
    latency = [abs(math.log(max(p, 1e-12) / m)) for k, (p, m) in pairs.items() if "_ms" in k]
    if latency:
        loss += float(np.mean(latency))
    return loss


def nelder_mead(
    f: Callable[[np.ndarray], float], x0: np.ndarray, step: float = 0.5, iters: int = 300
) -> tuple[np.ndarray, float]:
    """Plain Nelder-Mead minimisation (reflection 1, expansion 2, contraction 0.5)."""
    n = len(x0)
    simplex = [x0.copy()] + [x0 + step * np.eye(n)[i] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(iters):
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[-1] - values[0]) < 1e-6:
            break
        centroid = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        reflected = centroid + (centroid - worst)
        fr = f(reflected)
        if fr < values[0]:
            expanded = centroid + 2.0 * (centroid - worst)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = centroid + 0.5 * (worst - centroid)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best + 0.5 * (x - best) for x in simplex]
                values = [f(x) for x in simplex]
    i = int(np.argmin(values))
    return simplex[i], values[i]


def fit(
    cases: Sequence[PreparedCase], base: ServingEfficiency, prior: np.ndarray | None
) -> tuple[ServingEfficiency, float]:
    def objective(z: np.ndarray) -> float:
        eff = _efficiency(base, z)
        loss = float(np.mean([case_loss(c, eff) for c in cases]))
        if prior is not None:
            loss += PRIOR_WEIGHT * float(np.sum((z - prior) ** 2))
        return loss

    z = np.array([_to_z(n, getattr(base, n)) for n in FITTED]) if prior is None else prior.copy()
    value = objective(z)
    for _ in range(2):  # restarts from the best point shake off a collapsed simplex
        z, value = nelder_mead(objective, z)
    return _efficiency(base, z), value


def _write(table: dict[str, ServingEfficiency], counts: dict[str, int], total: int) -> None:
    raw: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    today = dt.date.today().isoformat()
    for name in FITTED:
        raw["defaults"][name] = {
            "value": round(getattr(table["defaults"], name), 8),
            "fitted": True,
        }
    raw["defaults"]["fitted_on"] = f"{total} public infer cases (all families)"
    raw["defaults"]["as_of"] = today
    for family, eff in table.items():
        if family == "defaults":
            continue
        entry = raw["families"].setdefault(family, {})
        for name in FITTED:
            entry[name] = {"value": round(getattr(eff, name), 8), "fitted": True}
        entry["fitted_on"] = f"{counts[family]} public infer cases of this family"
        entry["as_of"] = today
    DATA_FILE.write_text(yaml.safe_dump(raw, sort_keys=False, width=100), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=bundled_public_file())
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    catalog = load_catalog()
    if args.report:
        report = validate_files([args.cases], catalog, kinds=["infer"])
        print(f"{'family':8s} {'kind':11s} {'n':>4s} {'median':>7s} {'p90':>7s} {'max':>7s}")
        for row in error_table(report):
            print(
                f"{row['family']:8s} {row['kind']:11s} {row['n']:4d} {row['median']:7.1%} "
                f"{row['p90']:7.1%} {row['max']:7.1%}"
            )
        return
    prepared: list[PreparedCase] = []
    for case in load_cases(args.cases):
        if case.kind != "infer":
            continue
        try:
            prepared.append(prepare_infer_case(case, catalog))
        except CaseSkipped as skip:
            print(f"skip {case.id}: {skip.reason}")
    base = load_efficiency_table()["other"]  # the current defaults
    defaults, loss = fit(prepared, base, prior=None)
    print(f"defaults ({len(prepared)} cases): loss {loss:.4f}")
    table = {"defaults": defaults}
    counts: dict[str, int] = {}
    prior = np.array([_to_z(n, getattr(defaults, n)) for n in FITTED])
    for family in sorted({p.accelerator.vendor_family for p in prepared}):
        subset = [p for p in prepared if p.accelerator.vendor_family == family]
        base_family = load_efficiency_table()[family]
        start = base_family.replace(**{n: getattr(defaults, n) for n in FITTED})
        eff, loss = fit(subset, start, prior=prior)
        table[family] = eff
        counts[family] = len(subset)
        print(f"{family} ({len(subset)} cases): loss {loss:.4f}")
    for name, eff in table.items():
        print(f"  {name:9s} " + " ".join(f"{n}={getattr(eff, n):.4g}" for n in FITTED))
    if args.write:
        _write(table, counts, len(prepared))
        print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
