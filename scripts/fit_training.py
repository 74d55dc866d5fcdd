#!/usr/bin/env python
"""Fit the training estimator's efficiency parameters on every bundled training case.

    python scripts/fit_training.py            # fit, print, write perf/data/training_efficiency.yaml
    python scripts/fit_training.py --dry-run  # fit and print only

The fit itself is :func:`xpuplan.validation.train_calibration.fit_training` (what is fitted,
the loss and the partial pooling are documented there); ``xpuplan validate --cross-validate``
refits it without each source or family. This script records the fitted table with its
provenance, the in-sample errors and every value that ended on its grid edge.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.efficiency import EfficiencyParams, parse_efficiency_table
from xpuplan.validation.cases import load_cases
from xpuplan.validation.run import bundled_case_files
from xpuplan.validation.train_calibration import (
    ACCELERATOR_FIELDS,
    FAMILY_FIELDS,
    MIN_FAMILY_CASES,
    TrainCalibration,
    TrainingFit,
)

OUT = Path(__file__).resolve().parents[1] / "src/xpuplan/perf/data/training_efficiency.yaml"
GLOBAL_KEYS = ("matmul_intensity_scale", "sync_jitter", "step_overhead_s", "fp8_matmul_ratio")


def _stats(errors: list[float]) -> dict[str, float | int]:
    values = np.abs(np.array(errors))
    return {
        "n": len(values),
        "median_abs_error": round(float(np.median(values)), 4),
        "p90_abs_error": round(float(np.percentile(values, 90)), 4),
        "max_abs_error": round(float(values.max()), 4),
    }


def _round(params: EfficiencyParams, keys: tuple[str, ...]) -> dict[str, float]:
    values = params.to_dict()
    return {k: round(float(values[k]), 4) for k in keys}


def document(
    fit: TrainingFit, errors: dict[str, float], families: dict[str, str]
) -> dict[str, Any]:
    table = fit.table
    by_family: dict[str, list[float]] = {}
    for case_id, err in errors.items():
        by_family.setdefault(families[case_id], []).append(err)
    doc: dict[str, Any] = {
        "source": "scripts/fit_training.py (xpuplan.validation.train_calibration.fit_training) on "
        "every bundled training case (src/xpuplan/validation/data/*.yaml)",
        "as_of": dt.date.today().isoformat(),
        "fitted_metric": "primary metric per case (tokens/s per device, tokens/s, sequences/s, "
        "samples/s, TFLOP/s per device, MFU: first measured); loss = mean |log error|",
        "default_rule": f"families with fewer than {MIN_FAMILY_CASES} cases use the median of "
        "the fitted family values (shared prior)",
        "accelerator_rule": f"{', '.join(ACCELERATOR_FIELDS)} per accelerator with cases, "
        "pooled towards the family value (train_calibration.PRIOR_WEIGHT)",
        "n_cases": fit.n_cases,
        "bounds_hit": list(fit.bounds_hit),
        "public_cases": dict(sorted(fit.counts.items())),
        "errors": {
            "all": _stats(list(errors.values())),
            **{f: _stats(v) for f, v in sorted(by_family.items())},
        },
        "default": _round(table.default, (*FAMILY_FIELDS, *GLOBAL_KEYS)),
        "families": {f: _round(p, FAMILY_FIELDS) for f, p in sorted(table.families.items())},
        "stacks": {s: round(v, 4) for s, v in sorted(table.stack_matmul_scale.items())},
        "accelerators": {
            a: {"family": fit.families_of[a], **_round(p, ACCELERATOR_FIELDS)}
            for a, p in sorted(table.accelerators.items())
        },
    }
    parse_efficiency_table(doc)  # the document must load
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the YAML")
    parser.add_argument("--sweeps", type=int, default=2)
    args = parser.parse_args()
    cases = [c for f in bundled_case_files() for c in load_cases(f) if c.kind == "train"]
    calibration = TrainCalibration(load_catalog(), sweeps=args.sweeps)
    fit = calibration.fit(cases)
    errors = calibration.errors(cases, fit)
    families = {i.case_id: i.family for i in calibration.items(cases)}
    doc = document(fit, errors, families)
    for case_id, reason in sorted(calibration.skipped.items()):
        print("skipped", case_id, reason)
    keys = ("errors", "bounds_hit", "default", "families", "stacks", "accelerators")
    print(yaml.safe_dump({k: doc[k] for k in keys}, sort_keys=False))
    if not args.dry_run:
        header = (
            "# Efficiency parameters of the training estimator (xpuplan.perf.efficiency).\n"
            "# Written by scripts/fit_training.py: do not edit by hand, re-run the script.\n"
        )
        OUT.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
