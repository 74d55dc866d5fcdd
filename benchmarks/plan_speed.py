"""Planner speed: candidate evaluations per second and wall time of ``plan train``.

Run: ``.venv/bin/python benchmarks/plan_speed.py [--model llama-3.1-405b] [--repeat 3]``.
Prints the figures and appends them as CSV rows to ``benchmarks/plan_speed.csv``.
Goals (issue 6): >= 1M candidate evaluations/s on 2 cores; ``plan train`` for llama-3.1-405b
over the whole catalog in < 2 s. Issue 10: the same with the default ``--pricing best`` (every
pricing model of every offering, capacity limits, every vendor with a plan or a reason) and
with ``--pricing best --allow-spot``, as commands, < 2 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import resolve_model
from xpuplan.perf.layout import enumerate_layouts
from xpuplan.plan import default_global_batch_tokens, plan_training
from xpuplan.search.estimators import RooflineTrainingEvaluator
from xpuplan.search.filters import OfferingFilter, select_offerings
from xpuplan.search.space import group_hardware
from xpuplan.search.training import TrainingWorkload, chip_count_pairs


def _evaluations_per_s(model_name: str, repeat: int) -> tuple[int, float]:
    catalog = load_catalog()
    model = resolve_model(model_name)
    work = TrainingWorkload(
        model=model,
        tokens=15e12,
        seq_len=4096,
        global_batch_tokens=default_global_batch_tokens(model),
    )
    selected = select_offerings(catalog, OfferingFilter())
    groups = group_hardware(catalog, selected, None, training=True)
    pair_group, pair_chips = chip_count_pairs(groups)
    domain = np.array([g.scaleup_domain_chips for g in groups], dtype=np.int64)
    layouts = enumerate_layouts(
        model,
        pair_chips,
        seq_len=work.seq_len,
        global_batch_seqs=work.global_batch_seqs,
        domain_devices=domain[pair_group],
        group=pair_group,
    )
    evaluator = RooflineTrainingEvaluator()
    evaluator(work, groups, layouts)  # warm caches (efficiency table, model shape)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        evaluator(work, groups, layouts)
        best = min(best, time.perf_counter() - start)
    return len(layouts), len(layouts) / best


def _plan_wall_s(model_name: str, repeat: int) -> tuple[float, float, int]:
    catalog_start = time.perf_counter()
    catalog = load_catalog()
    catalog_s = time.perf_counter() - catalog_start
    best = float("inf")
    evaluated = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = plan_training(model_name, "15T", catalog=catalog, deadline="60d")
        best = min(best, time.perf_counter() - start)
        evaluated = result.stats.candidates_evaluated
    return best, catalog_s, evaluated


def _cli_wall_s(model_name: str, *extra: str) -> float:
    """The whole command in a fresh interpreter: imports, catalog load, search, JSON output."""
    argv = ["plan", "train", "--model", model_name, "--tokens", "15T", "--deadline", "60d"]
    argv += list(extra)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from xpuplan.cli import main; main()", *argv, "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="llama-3.1-405b")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, rate = _evaluations_per_s(args.model, args.repeat)
    wall, catalog_s, evaluated = _plan_wall_s(args.model, args.repeat)
    cli = min(_cli_wall_s(args.model) for _ in range(args.repeat))
    best_default = min(
        _cli_wall_s(args.model, "--deadline", "90d", "--pricing", "best")
        for _ in range(args.repeat)
    )
    best_spot = min(
        _cli_wall_s(args.model, "--deadline", "90d", "--pricing", "best", "--allow-spot")
        for _ in range(args.repeat)
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores}")
    print(f"candidate evaluations: {n:,} layouts in one call -> {rate / 1e6:.2f} M evaluations/s")
    print(
        f"plan train --model {args.model} --tokens 15T --deadline 60d over the whole catalog: "
        f"{wall:.2f} s ({evaluated:,} candidates; catalog load {catalog_s:.2f} s not included)"
    )
    print(f"the same as a command (fresh interpreter, imports, catalog, JSON): {cli:.2f} s")
    print(
        f"plan train --model {args.model} --tokens 15T --pricing best (default deadline 90d) "
        f"as a command: {best_default:.2f} s; with --allow-spot: {best_spot:.2f} s"
    )
    out = Path(__file__).with_suffix(".csv")
    new = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(
                [
                    "date",
                    "model",
                    "cores",
                    "candidates",
                    "evals_per_s",
                    "plan_wall_s",
                    "cli_wall_s",
                    "cli_best_pricing_s",
                    "cli_best_spot_s",
                ]
            )
        writer.writerow(
            [
                dt.date.today().isoformat(),
                args.model,
                cores,
                n,
                f"{rate:.0f}",
                f"{wall:.3f}",
                f"{cli:.3f}",
                f"{best_default:.3f}",
                f"{best_spot:.3f}",
            ]
        )


if __name__ == "__main__":
    main()
