"""Hand-built planner results (the ``to_dict()`` shape of docs/planner.md) for report tests.

Every number is derived here by hand from a few inputs (price per instance, wall time, chips),
so the tests can count what the report must show. Imported by the other report tests; the
sanity tests below check the samples themselves are consistent.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

SECONDS_PER_HOUR = 3600.0
NO_FILTERS: dict[str, Any] = {
    "pricing": "on_demand",
    "regions": [],
    "providers": [],
    "vendors": [],
    "exclude_vendors": [],
    "accelerators": [],
}


def sample_plan(
    accelerator_id: str,
    vendor: str,
    stack: str,
    provider: str,
    region: str,
    instance: str,
    chips_per_instance: int,
    instances: int,
    usd_per_instance_hour: float,
    wall_time_s: float,
    *,
    mfu: float = 0.4,
) -> dict[str, Any]:
    """One training plan whose cost, price and breakdowns are consistent by construction."""
    usd_per_hour = usd_per_instance_hour * instances
    dp = chips_per_instance * instances // 16
    steps = 1000
    step = wall_time_s / steps
    return {
        "provider": provider,
        "region": region,
        "instance": instance,
        "accelerator_id": accelerator_id,
        "vendor": vendor,
        "software_stack": stack,
        "country": "US",
        "chips": chips_per_instance * instances,
        "instances": instances,
        # The estimate's layout (perf.layout.Layout); batch: dp x micro_batch x n_micro.
        "layout": {
            "dp": dp,
            "tp": 8,
            "pp": 2,
            "cp": 1,
            "ep": 1,
            "zero": 1,
            "dp_shard": dp,
            "sequence_parallel": True,
            "recompute": "selective",
            "micro_batch": 1,
            "virtual_pp": 1,
            "devices_per_chip": 1,
            "recompute_layers": None,
        },
        "n_micro": 8,
        "global_batch_seqs": dp * 8,
        "global_batch_tokens": dp * 8 * 4096,
        "step_time_s": step,
        "steps": steps,
        "wall_time_s": wall_time_s,
        "wall_time_days": wall_time_s / 86400.0,
        "usd_per_hour": usd_per_hour,
        "cost_usd": usd_per_hour * wall_time_s / SECONDS_PER_HOUR,
        "pricing": "on_demand",
        "energy_kwh": 1000.0,
        "it_energy_kwh": 1000.0,
        "co2_kg": 350.0,
        "mfu": mfu,
        "tokens_per_s": 4.0e6,
        # 4 parts; total is their sum.
        "memory_gb_per_chip": {
            "weights": 10.0,
            "gradients": 10.0,
            "optimizer": 20.0,
            "activations": 15.0,
            "total": 55.0,
        },
        # 3 parts; total is the step time.
        "step_time_breakdown_s": {
            "compute": step * 0.8,
            "exposed_comm": step * 0.15,
            "bubble": step * 0.05,
            "total": step,
        },
        "grid_gco2_per_kwh": 350.0,
        "pue": 1.0,
        "notes": [],
        "sources": [
            {
                "kind": "accelerator",
                "key": accelerator_id,
                "source": f"{vendor} datasheet",
                "as_of": "2025-01-01",
                "fields": ["bf16_dense_tflops", "hbm_gb"],
            },
            {
                "kind": "offering",
                "key": f"{provider}/{region}/{instance} on_demand",
                "source": f"{provider} price list",
                "as_of": "2026-11-01",
                "fields": ["usd_per_hour"],
            },
        ],
    }


H100_AWS = sample_plan(
    "nvidia-h100-sxm", "NVIDIA", "CUDA", "aws", "us-east-1", "p5.48xlarge", 8, 64, 55.04, 20 * 86400
)
H100_GCP = sample_plan(
    "nvidia-h100-sxm",
    "NVIDIA",
    "CUDA",
    "gcp",
    "us-central1",
    "a3-highgpu-8g",
    8,
    64,
    88.25,
    19 * 86400,
)
MI300X_AZ = sample_plan(
    "amd-mi300x",
    "AMD",
    "ROCm",
    "azure",
    "eastus",
    "Standard_ND96isr_MI300X_v5",
    8,
    64,
    48.0,
    24 * 86400,
)
V5P_GCP = sample_plan(
    "google-tpu-v5p", "Google", "XLA/TPU", "gcp", "us-east5", "v5p-1024", 512, 1, 6000.0, 12 * 86400
)
TRN2_AWS = sample_plan(
    "aws-trainium2", "AWS", "Neuron", "aws", "us-east-2", "trn2.48xlarge", 16, 32, 46.0, 40 * 86400
)
TRAIN_PLANS = [H100_AWS, MI300X_AZ, V5P_GCP, H100_GCP, TRN2_AWS]


def _lock_in(kind: str, group: str, plan: dict[str, Any], best_cost: float) -> dict[str, Any]:
    cost = plan["cost_usd"]
    return {
        "group_kind": kind,
        "group": group,
        "objective_value": cost,
        "premium_pct": (cost - best_cost) / best_cost * 100,
        "plan": plan,
        "reason": None,
    }


def training_result() -> dict[str, Any]:
    """A training-plan result: 5 plans sorted by cost, a 3-point front, 4 vendors, 4 stacks.

    Costs by hand (instances x $/h x hours): Trainium2 46 x 32 x 960 = $1,413,120 (40 d);
    H100 aws 55.04 x 64 x 480 = $1,690,828.80 (20 d); TPU v5p 6000 x 1 x 288 = $1,728,000
    (12 d); MI300X 48 x 64 x 576 = $1,769,472 (24 d); H100 gcp 88.25 x 64 x 456 = $2,575,488
    (19 d). Front (nothing both cheaper and faster): Trainium2, H100 aws, TPU v5p.
    """
    plans = sorted(copy.deepcopy(TRAIN_PLANS), key=lambda p: p["cost_usd"])
    best = plans[0]["cost_usd"]
    front: list[dict[str, Any]] = []
    for p in sorted(plans, key=lambda p: (p["wall_time_s"], p["cost_usd"])):
        if not front or p["cost_usd"] < front[-1]["cost_usd"]:
            front.append(p)
    by_vendor: dict[str, dict[str, Any]] = {}
    for p in plans:
        by_vendor.setdefault(p["vendor"], p)
    by_stack: dict[str, dict[str, Any]] = {}
    for p in plans:
        by_stack.setdefault(p["software_stack"], p)
    lock_in = [_lock_in("vendor", v, p, best) for v, p in by_vendor.items()]
    lock_in += [_lock_in("software_stack", s, p, best) for s, p in by_stack.items()]
    return {
        "kind": "training_plan",
        "workload": {
            "model": "llama-3.1-70b",
            "tokens": 1.5e13,
            "seq_len": 4096,
            "global_batch_tokens": 4194304,
            "global_batch_seqs": 1024,
            "precision": "bf16",
        },
        "constraints": {
            "deadline_s": 60 * 86400,
            "deadline_is_default": False,
            "budget_usd": None,
            "max_chips": None,
            **NO_FILTERS,
        },
        "objective": "cost",
        "plans": plans,
        "pareto": front,
        "lock_in": lock_in,
        "stats": {
            "offerings": 120,
            "hardware_groups": 14,
            "candidates_evaluated": 48000,
            "feasible_plans": 5,
            "removed_by": {"memory": 30000, "deadline": 17995},
        },
        "notes": ["sample result for tests"],
    }


def _entry(plan: dict[str, Any], replicas: int, rps: float) -> dict[str, Any]:
    """A fleet entry of ``replicas`` tp=8 replicas, one 8-chip instance each."""
    price = plan["usd_per_hour"] / plan["instances"]
    return {
        "provider": plan["provider"],
        "region": plan["region"],
        "instance": plan["instance"],
        "accelerator_id": plan["accelerator_id"],
        "vendor": plan["vendor"],
        "software_stack": plan["software_stack"],
        "chips_per_replica": 8,
        "chips_per_instance": 8,
        "layout": {"tp": 8, "pp": 1},
        "capacity_rps_per_replica": rps,
        "replicas": replicas,
        "instances": replicas,
        "chips": 8 * replicas,
        "capacity_rps": rps * replicas,
        "usd_per_instance_hour": price,
        "usd_per_hour": price * replicas,
        "pricing": "on_demand",
        "ttft_p99_ms": 812.0,  # predicted at capacity, against the 1,000 ms target below
        "tpot_p99_ms": 41.5,  # against 50 ms
        "sources": plan["sources"],
    }


def _fleet(entries: list[dict[str, Any]], tokens_per_request: float) -> dict[str, Any]:
    usd = sum(e["usd_per_hour"] for e in entries)
    rps = sum(e["replicas"] * e["capacity_rps_per_replica"] for e in entries)
    vendors: dict[str, float] = {}
    for e in entries:
        vendors[e["vendor"]] = vendors.get(e["vendor"], 0.0) + (
            e["replicas"] * e["capacity_rps_per_replica"] / rps
        )
    return {
        "entries": entries,
        "chips": sum(e["replicas"] * e["chips_per_replica"] for e in entries),
        "usd_per_hour": usd,
        "capacity_rps": rps,
        "vendor_capacity_share": vendors,
        "usd_per_million_tokens": usd / (rps * tokens_per_request * 3600) * 1e6,
        "usd_per_million_output_tokens": usd / (rps * 250 * 3600) * 1e6,
        "energy_kwh_per_hour": 40.0,
        "co2_kg_per_hour": 14.0,
    }


def serving_result() -> dict[str, Any]:
    """A serving-plan result: a mixed fleet of 2 types (NVIDIA 60%, AMD 40%), the best single
    type (5 NVIDIA replicas) and the fleet without the share limit (5 AMD replicas, $240/h)."""
    mixed = copy.deepcopy([_entry(H100_AWS, 3, 20.0), _entry(MI300X_AZ, 2, 20.0)])
    single = copy.deepcopy([_entry(H100_AWS, 5, 20.0)])
    fleet, one = _fleet(mixed, 1250.0), _fleet(single, 1250.0)
    free = _fleet(copy.deepcopy([_entry(MI300X_AZ, 5, 20.0)]), 1250.0)
    return {
        "kind": "serving_plan",
        "workload": {
            "model": "llama-3.1-70b",
            "rate_rps": 95.0,
            "peak_to_mean": 1.0,
            "input_tokens": 1000,
            "output_tokens": 250,
            "ttft_p99_ms": 1000.0,
            "tpot_p99_ms": 50.0,
            "precision": "bf16",
        },
        "constraints": {"max_vendor_share": 0.6, **NO_FILTERS},
        "required_rps": 95.0,
        "fleet": fleet,
        "single_type": one,
        "savings_pct": (one["usd_per_hour"] - fleet["usd_per_hour"]) / one["usd_per_hour"] * 100,
        "unconstrained": free,
        "share_limit_premium_pct": (fleet["usd_per_hour"] - free["usd_per_hour"])
        / free["usd_per_hour"]
        * 100,
        "candidates_evaluated": 5000,
        "candidate_types": 12,
        "notes": [],
    }


def comparison_result() -> dict[str, Any]:
    """A comparison of 3 options; relative_pct is against option 1."""
    plans = copy.deepcopy([H100_AWS, MI300X_AZ, V5P_GCP])
    base = plans[0]
    relative = [
        {
            "cost_usd": (p["cost_usd"] - base["cost_usd"]) / base["cost_usd"] * 100,
            "wall_time_s": (p["wall_time_s"] - base["wall_time_s"]) / base["wall_time_s"] * 100,
        }
        for p in plans
    ]
    return {
        "kind": "training_comparison",
        "workload": {
            "model": "llama-3.1-70b",
            "tokens": 1.5e13,
            "seq_len": 4096,
            "global_batch_tokens": 4194304,
            "global_batch_seqs": 1024,
            "precision": "bf16",
        },
        "options": ["nvidia-h100-sxm@aws", "amd-mi300x@azure", "google-tpu-v5p@gcp"],
        "plans": plans,
        "relative_pct": relative,
        "notes": [],
    }


def test_sample_costs_are_price_times_hours() -> None:
    # p5.48xlarge at $55.04/h, 64 instances, 20 days: 55.04 * 64 * 480 h = $1,690,828.80
    assert H100_AWS["cost_usd"] == pytest.approx(1_690_828.8)
    assert H100_AWS["chips"] == 512


def test_sample_front_is_non_dominated() -> None:
    result = training_result()
    assert [p["cost_usd"] for p in result["plans"]] == pytest.approx(
        [1_413_120, 1_690_828.8, 1_728_000, 1_769_472, 2_575_488]
    )
    front = [(p["accelerator_id"], p["provider"]) for p in result["pareto"]]
    assert front == [
        ("google-tpu-v5p", "gcp"),
        ("nvidia-h100-sxm", "aws"),
        ("aws-trainium2", "aws"),
    ]
