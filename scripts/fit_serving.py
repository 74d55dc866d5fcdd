#!/usr/bin/env python3
"""Refit the serving-efficiency parameters on every bundled public inference case.

The fit is the package's (:func:`xpuplan.validation.infer_calibration.fit_serving_params`:
shared values, family and stack-generation offsets with Gaussian priors, Gauss-Newton with
Levenberg damping on Huber-weighted log errors). This script only runs it on the bundled files
and, with ``--write``, stores the result in ``src/xpuplan/perf/data/serving_efficiency.yaml``:
per family the values on the reference generation (2024 engines) and under ``generations`` the
values on each newer one; ``defaults`` hold the shared values (families without cases).

Usage: ``python scripts/fit_serving.py [FILES...] [--write | --report]`` (``--report``: the error
table of the current data per family and metric kind, no fit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path
from typing import Any

import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving_efficiency import FAMILIES
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_calibration import FITTED, ServingCalibration, ServingParams
from xpuplan.validation.infer_cases import error_table
from xpuplan.validation.run import bundled_case_files, validate_files

DATA_FILE = Path(__file__).resolve().parents[1] / "src/xpuplan/perf/data/serving_efficiency.yaml"
REFERENCE_GENERATION = 2024


def _write(params: ServingParams, counts: dict[str, int]) -> None:
    raw: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    today = dt.date.today().isoformat()
    newer = sorted(params.generation)
    for name in FITTED:
        raw["defaults"][name] = {
            "value": float(f"{params.value(name, 'other', REFERENCE_GENERATION):.8g}"),
            "fitted": True,
        }
    raw["defaults"]["fitted_on"] = f"{params.n_cases} public infer cases (shared values)"
    raw["defaults"]["as_of"] = today
    raw["defaults"]["bounds_hit"] = list(params.bounds_hit)
    for family in FAMILIES:
        entry = raw["families"].setdefault(family, {})
        for name in FITTED:
            entry[name] = {
                "value": float(f"{params.value(name, family, REFERENCE_GENERATION):.8g}"),
                "fitted": True,
            }
        entry["generations"] = {
            gen: {name: float(f"{params.value(name, family, gen):.8g}") for name in FITTED}
            for gen in newer
        }
        entry["fitted_on"] = f"{counts.get(family, 0)} public infer cases of this family" + (
            "" if counts.get(family) else " (shared values)"
        )
        entry["as_of"] = today
    raw["engines"] = {
        engine: {
            "step_overhead_scale": float(f"{math.exp(offset):.6g}"),
            "fitted": True,
            "source": "scripts/fit_serving.py: the engine's per-iteration host work relative "
            "to its chip family's value",
        }
        for engine, offset in sorted(params.engine.items())
    }
    raw["architectures"] = {
        arch: {
            "scales": {name: float(f"{math.exp(v):.6g}") for name, v in sorted(row.items())},
            "fitted": True,
            "source": "scripts/fit_serving.py: the chip architecture's value relative to its "
            "family's most-measured architecture",
        }
        for arch, row in sorted(params.arch.items())
    }
    DATA_FILE.write_text(yaml.safe_dump(raw, sort_keys=False, width=100), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    files = args.files or bundled_case_files()
    catalog = load_catalog()
    if args.report:
        report = validate_files(files, catalog, kinds=["infer"])
        print(f"{'family':8s} {'kind':11s} {'n':>4s} {'median':>7s} {'p90':>7s} {'max':>7s}")
        for row in error_table(report):
            print(
                f"{row['family']:8s} {row['kind']:11s} {row['n']:4d} {row['median']:7.1%} "
                f"{row['p90']:7.1%} {row['max']:7.1%}"
            )
        return
    cases = [c for f in files for c in load_cases(f) if c.kind == "infer"]
    calibration = ServingCalibration(catalog)
    prepared = calibration.prepare(cases)
    params = calibration.fit(cases)
    counts: dict[str, int] = {}
    for p in prepared:
        counts[p.accelerator.vendor_family] = counts.get(p.accelerator.vendor_family, 0) + 1
    print(f"fitted on {len(prepared)} of {len(cases)} infer cases; per family {counts}")
    print(yaml.safe_dump(params.to_dict(), sort_keys=False, width=100))
    if params.bounds_hit:
        print("bounds hit: " + "; ".join(params.bounds_hit))
    if args.write:
        _write(params, counts)
        print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
