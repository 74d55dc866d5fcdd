"""Speed of the vectorized serving core: candidates evaluated per second (prints a table).

Usage: ``python benchmarks/serving_speed.py [--fit]`` - every catalog accelerator x tp 1..8 x
pp 1..2, tiled to N candidates, for offline maximum throughput and for p99 latency targets; the
layout search of ``estimate serve`` without ``--tp``; with ``--fit`` also one refit of the
serving calibration on every bundled infer case (what each cross-validation fold costs).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates, estimate_serving, serving_capacity_arrays


def main() -> None:
    catalog = load_catalog()
    accelerators = list(catalog.accelerators)
    model = get_preset("llama-3.1-70b")
    print(f"{'candidates':>10s} {'mode':>8s} {'seconds':>8s} {'per second':>12s}")
    for n in (1_000, 10_000, 100_000):
        index = np.arange(n) % len(accelerators)
        tp = 2 ** ((np.arange(n) // len(accelerators)) % 4)
        pp = 1 + (np.arange(n) // (4 * len(accelerators))) % 2
        cands = build_candidates(accelerators, index, tp, pp, weight_precision="fp8")
        for mode, targets in (("offline", {}), ("p99", {"ttft_p99_ms": 1000, "tpot_p99_ms": 50})):
            start = time.perf_counter()
            serving_capacity_arrays(model, cands, input_len=1024, output_len=256, **targets)
            seconds = time.perf_counter() - start
            print(f"{n:10d} {mode:>8s} {seconds:8.3f} {n / seconds:12,.0f}")
    for accelerator_id in ("google-tpu-v6e", "nvidia-h200-sxm"):
        start = time.perf_counter()
        e = estimate_serving(
            model, catalog.accelerator(accelerator_id), count=8, input_len=1024, output_len=256,
            ttft_p99_ms=1000, tpot_p99_ms=50,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        print(f"layout search 8 x {accelerator_id}: tp {e.tp} pp {e.pp} in {seconds:.3f} s")
    if "--fit" in sys.argv:
        from xpuplan.validation.cases import load_cases
        from xpuplan.validation.infer_calibration import ServingCalibration
        from xpuplan.validation.run import bundled_case_files

        cases = [c for f in bundled_case_files() for c in load_cases(f) if c.kind == "infer"]
        calibration = ServingCalibration(catalog)
        start = time.perf_counter()
        calibration.fit(cases)
        seconds = time.perf_counter() - start
        print(f"serving refit on {len(calibration.prepare(cases))} cases: {seconds:.1f} s")


if __name__ == "__main__":
    main()
