#!/usr/bin/env python
"""Evaluations per second of the vectorized training estimator on 1M candidate layouts.

    .venv/bin/python benchmarks/estimator_speed.py [--candidates 1000000] [--repeat 3]

Candidates mix every catalog accelerator with random (but valid-looking) layouts of a
Llama 3.1 70B run; the figure printed is candidates scored per second by
``estimate_training_arrays`` (step time, MFU, memory, feasibility) on this machine, from the
wall clock and from the process's CPU time (steadier on a shared machine). Target (issue 13):
at least 1M evaluations per second.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.layout import LayoutArrays, ModelShape
from xpuplan.perf.training import estimate_training_arrays, hardware_arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    catalog = load_catalog()
    accelerators = [a for a in catalog.accelerators if a.peak_tflops("bf16")]
    hw_table = hardware_arrays(accelerators)
    shape = ModelShape.from_spec(get_preset("llama-3.1-70b"), 8192)
    n = args.candidates
    tp = rng.choice([1, 2, 4, 8], n)
    pp = rng.choice([1, 2, 4, 8], n)
    dp = rng.choice([1, 2, 4, 8, 16, 32, 64], n)
    layout = LayoutArrays(
        dp=dp,
        tp=tp,
        pp=pp,
        zero=rng.choice([1, 3], n),
        shard=dp,
        recompute=rng.choice([1, 2], n),
        micro_batch=rng.choice([1, 2, 4], n),
    )
    hw = hw_table.take(rng.integers(0, len(accelerators), n))
    gbs = 1024
    best = best_cpu = np.inf
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = estimate_training_arrays(shape, hw, layout, gbs)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    feasible = int(result.feasible.sum())
    print(f"candidates: {n:,} ({feasible:,} feasible)")
    print(f"best of {args.repeat}: {best:.3f} s -> {n / best:,.0f} evaluations per second")
    print(f"CPU time: {best_cpu:.3f} s -> {n / best_cpu:,.0f} evaluations per CPU second")


if __name__ == "__main__":
    main()
