"""Catalog load speed: a large user override file (default 200,000 offering rows).

Run: ``python benchmarks/catalog_load.py [--rows 200000] [--format json|yaml] [--plan]``.
Writes the synthetic file to a temporary folder, then prints the wall time of
``load_catalog(extra_files=[file])`` and, with ``--plan``, of a ``plan_training`` over it.
Goals (issue 11): load in < 5 s and plan in < 10 s on 2 cores. ``--absurd`` also times how
long ``plan train`` takes to reject a model that fits no chip (goal < 1 s). ``*_cpu_s`` is the
process's CPU time, the fairer figure on a shared machine. JSON (a subset of YAML, the same
shape) is read by the C JSON parser; plain block YAML this large by xpuplan's simple-YAML
reader, a row at a time (PyYAML alone took 4.7 s per 20,000 rows here, about a minute for
200,000). The plan prices its 4.25 million plan rows once per price class (about 4,000).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.plan import plan_training

_ACCELERATORS = ("nvidia-h100-sxm", "nvidia-a100-80gb-sxm", "amd-mi300x", "nvidia-l40s")


def synthetic_rows(rows: int) -> list[dict[str, object]]:
    """``rows`` offerings of 8-chip instances in 100 made-up regions of aws."""
    return [
        {
            "provider": "aws",
            "region": f"bench-{i % 100}",
            "instance": f"bench-{i}.48xlarge",
            "accelerator_id": _ACCELERATORS[i % len(_ACCELERATORS)],
            "chips_per_instance": 8,
            "usd_per_hour": {"on_demand": 20.0 + (i % 997) / 10.0, "spot": 9.0 + (i % 89)},
            "source": "synthetic benchmark row",
            "as_of": "2026-12-01",
        }
        for i in range(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--format", choices=("json", "yaml"), default="json")
    parser.add_argument("--plan", action="store_true", help="also plan over the catalog")
    parser.add_argument("--absurd", action="store_true", help="time rejecting a huge model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"big.{args.format}"
        data = {"offerings": synthetic_rows(args.rows)}
        if args.format == "json":
            path.write_text(json.dumps(data))
        else:
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            path.write_text(yaml.dump(data, Dumper=dumper))
        size_mb = path.stat().st_size / 1e6
        start, cpu = time.perf_counter(), time.process_time()
        catalog = load_catalog(extra_files=[path])
        load_s, load_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        offerings = len(catalog.offerings)
        print(
            f"format={args.format} rows={args.rows} file_mb={size_mb:.1f} "
            f"load_s={load_s:.2f} load_cpu_s={load_cpu_s:.2f} offerings={offerings}"
        )
        if args.plan:
            start, cpu = time.perf_counter(), time.process_time()
            result = plan_training("llama-3.1-8b", "1T", catalog=catalog, top=3)
            plan_s, plan_cpu_s = time.perf_counter() - start, time.process_time() - cpu
            print(f"plan_s={plan_s:.2f} plan_cpu_s={plan_cpu_s:.2f} plans={len(result.plans)}")
    if args.absurd:
        absurd_seconds()


def absurd_seconds() -> None:
    """A 100,000-layer model of width 2**20 (about 1.3e18 parameters) on the bundled catalog."""
    from xpuplan.errors import XpuplanError
    from xpuplan.models.hf import spec_from_hf_config

    config = {"model_type": "llama", "hidden_size": 2**20, "num_hidden_layers": 100_000,
              "intermediate_size": 2**22, "num_attention_heads": 1024,
              "num_key_value_heads": 1024, "vocab_size": 128_256}  # fmt: skip
    model = spec_from_hf_config(config, name="absurd")
    catalog = load_catalog()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        plan_training(model, "1T", catalog=catalog)
        outcome = "planned (unexpected)"
    except XpuplanError as error:
        outcome = f"rejected: {str(error)[:80]}"
    absurd_s, absurd_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    print(f"absurd_model_s={absurd_s:.2f} absurd_model_cpu_s={absurd_cpu_s:.2f} {outcome}")


if __name__ == "__main__":
    main()
