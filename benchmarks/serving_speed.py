"""Speed of the vectorized serving core: candidates evaluated per second (prints a table).

Usage: ``python benchmarks/serving_speed.py`` - every catalog accelerator x tp 1..8 x pp 1..2,
tiled to N candidates, for offline maximum throughput and for p99 latency targets.
"""

from __future__ import annotations

import time

import numpy as np

from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import build_candidates, serving_capacity_arrays


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


if __name__ == "__main__":
    main()
