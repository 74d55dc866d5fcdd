"""plan serve --layout: disaggregated prefill/decode pools chosen by the fleet's integer program.

Hand-counted cases use a synthetic evaluator (capacities set by hand) on the tiny catalog's
1-chip ``gpu-a`` offering (cloud2 london a1, $5.50/h); the others run the real estimator.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from test_cli_json_stdout import run_cli
from test_plan_support import tiny_catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.export.skypilot import skypilot_task_yaml
from xpuplan.fleet import POOL_ROLES, FleetProblem, best_single_type, solve_fleet
from xpuplan.plan import plan_serving
from xpuplan.search.filters import OfferingFilter
from xpuplan.search.results import FleetPlan, PoolRole, Source
from xpuplan.search.serving import (
    ServingEvaluation,
    ServingWorkload,
    kv_transfer_s,
    prefill_pool_capacity_rps,
)
from xpuplan.search.space import HardwareGroup

A1_USD_PER_HOUR = 5.5  # tiny catalog: cloud2 london a1, one gpu-a per instance
SLO = {"input_tokens": 8000, "output_tokens": 64, "ttft_p99_ms": 1000.0, "tpot_p99_ms": 30.0}


class HandEvaluator:
    """1-chip replicas only; per accelerator id: (colocated, prefill, decode) requests/s."""

    def __init__(self, rates: dict[str, tuple[float, float, float]]) -> None:
        self.rates = rates

    def __call__(
        self,
        workload: ServingWorkload,
        groups: Sequence[HardwareGroup],
        group: NDArray[np.int64],
        replica_chips: NDArray[np.int64],
    ) -> ServingEvaluation:
        table = np.array(
            [self.rates.get(g.accelerator.id, (0.0, 0.0, 0.0)) for g in groups], dtype=float
        )[group]
        table = np.where((replica_chips == 1)[:, None], table, 0.0)
        colocated, prefill, decode = table.T
        n = group.shape[0]
        # an idle colocated replica misses the TTFT target where its capacity is 0
        ttft_idle = np.where(colocated > 0, 0.5, 2.0) * workload.ttft_p99_s
        return ServingEvaluation(
            capacity_rps=colocated,
            fits=np.ones(n, dtype=bool),
            memory_gb=np.full(n, 20.0),
            hbm_gb=np.full(n, 80.0),
            ttft_min_s=ttft_idle,
            tpot_min_s=np.full(n, 0.5 * workload.tpot_p99_s),
            layout={"tp": replica_chips, "pp": np.ones(n, dtype=np.int64)},
            ttft_p99_s=np.full(n, workload.ttft_p99_s),
            tpot_p99_s=np.full(n, workload.tpot_p99_s),
            prefill_capacity_rps=prefill,
            prefill_ttft_p99_s=np.full(n, workload.ttft_p99_s),
            decode_capacity_rps=decode,
            decode_tpot_p99_s=np.full(n, workload.tpot_p99_s),
        )

    def sources(self, group: HardwareGroup) -> tuple[Source, ...]:
        return ()


def _plan(rates: dict[str, tuple[float, float, float]], rate: float, layout: str) -> Any:
    return plan_serving(
        "llama-3.1-8b",
        catalog=tiny_catalog(),
        rate_rps=rate,
        filters=OfferingFilter(providers=("cloud2",)),
        evaluator=HandEvaluator(rates),
        layout=layout,
        **SLO,
    )


def _chips(fleet: FleetPlan) -> dict[str, int]:
    return {p.role: p.chips for p in fleet.pools}


def test_roles_agree_with_the_result_type() -> None:
    assert typing.get_args(PoolRole) == POOL_ROLES


def test_prefill_heavy_traffic_feasible_only_disaggregated() -> None:
    # Colocated replicas miss the TTFT target at any load. Pools: a prefill replica takes 3
    # prompts/s, a decode replica 5 requests/s; 12 requests/s need ceil(12 / 3) = 4 prefill
    # and ceil(12 / 5) = 3 decode chips: 7 x $5.50 = $38.50/h.
    rates = {"gpu-a": (0.0, 3.0, 5.0)}
    with pytest.raises(InfeasibleError, match=r"^ttft_p99_ms=1000: the lowest p99 TTFT"):
        _plan(rates, 12.0, "colocated")
    for layout in ("disaggregated", "any"):
        fleet = _plan(rates, 12.0, layout).fleet
        assert fleet.layout == "disaggregated"
        assert _chips(fleet) == {"prefill": 4, "decode": 3}
        assert fleet.usd_per_hour == pytest.approx(7 * A1_USD_PER_HOUR)
        pools = {p.role: p for p in fleet.pools}
        assert pools["prefill"].capacity_rps == pytest.approx(12.0)
        assert pools["decode"].capacity_rps == pytest.approx(15.0)
        assert pools["prefill"].utilisation == pytest.approx(1.0)
        assert pools["decode"].utilisation == pytest.approx(12.0 / 15.0)
        assert pools["prefill"].usd_per_hour == pytest.approx(4 * A1_USD_PER_HOUR)
        assert fleet.capacity_rps == pytest.approx(12.0)  # min(prefill, decode)
        assert {e.role for e in fleet.entries} == {"prefill", "decode"}


def test_disaggregation_cheaper_is_chosen() -> None:
    # Colocated 4 req/s per chip: 30 req/s need 8 chips ($44). Pools of 12 prompts/s and 10
    # req/s per chip: 3 + 3 chips ($33); mixing colocated replicas in costs 7 chips or more.
    rates = {"gpu-a": (4.0, 12.0, 10.0)}
    colocated = _plan(rates, 30.0, "colocated")
    assert colocated.fleet.usd_per_hour == pytest.approx(8 * A1_USD_PER_HOUR)
    best = _plan(rates, 30.0, "any").fleet
    assert best.layout == "disaggregated"
    assert _chips(best) == {"prefill": 3, "decode": 3}
    assert best.usd_per_hour == pytest.approx(6 * A1_USD_PER_HOUR)


def test_disaggregation_not_chosen_when_colocated_is_cheaper() -> None:
    # 12 req/s: colocated 3 chips ($16.50) beat pools of 4 prefill + 3 decode chips ($38.50).
    rates = {"gpu-a": (4.0, 3.0, 5.0)}
    result = _plan(rates, 12.0, "any")
    assert result.fleet.layout == "colocated"
    assert _chips(result.fleet) == {"colocated": 3}
    assert result.fleet.usd_per_hour == pytest.approx(3 * A1_USD_PER_HOUR)
    assert result.constraints["layout"] == "any"
    assert _plan(rates, 12.0, "disaggregated").fleet.usd_per_hour == pytest.approx(38.5)


def test_pools_pair_within_one_software_stack() -> None:
    # Prefill only on gpu-a (CUDA), decode only on gpu-b (ROCm): no stack has both pools.
    rates = {"gpu-a": (0.0, 3.0, 0.0), "gpu-b": (0.0, 0.0, 5.0)}
    with pytest.raises(InfeasibleError, match=r"no software stack has both.*CUDA.*ROCm"):
        _plan(rates, 12.0, "disaggregated")


def test_bad_layout_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^layout: 'split' is not one of"):
        _plan({"gpu-a": (1.0, 1.0, 1.0)}, 1.0, "split")


def test_prefill_capacity_hand_counted() -> None:
    # M/M/1 p99 wait S / (1 - rho) ln(rho / 0.01): S = 0.1 s, rho = 0.5 -> 0.2 ln 50 s.
    busy = np.array([0.1, 0.1])
    idle = np.array([0.3, 1.2])
    target = 0.3 + 0.2 * np.log(50.0)
    rps, ttft = prefill_pool_capacity_rps(busy, idle, target)
    assert rps[0] == pytest.approx(5.0, rel=1e-6)  # rho = 0.5 at S = 0.1 s
    assert ttft[0] == pytest.approx(target, rel=1e-6)
    assert rps[1] == 0.0 and np.isnan(ttft[1])  # idle p99 already over the target
    # 1 GB of KV cache over 50 GB/s: 20 ms
    assert kv_transfer_s(np.array([1e9]), np.array([50.0]))[0] == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("lengths", "pooled"),
    [
        # long prompts, short answers, tight TPOT: prefills stall colocated decodes
        ({"input_tokens": 8000, "output_tokens": 64, "tpot_p99_ms": 20.0}, True),
        # short prompts, long answers: prefill is a small share; pools only add chips
        ({"input_tokens": 128, "output_tokens": 1024, "tpot_p99_ms": 30.0}, False),
    ],
)
def test_estimator_pools_meet_the_targets(lengths: dict[str, Any], pooled: bool) -> None:
    work = {"ttft_p99_ms": 3000.0, **lengths}
    rate = 10.0
    colocated = plan_serving(
        "llama-3.1-8b", catalog=tiny_catalog(), rate_rps=rate, layout="colocated", **work
    )
    best = plan_serving("llama-3.1-8b", catalog=tiny_catalog(), rate_rps=rate, **work)
    assert best.constraints["layout"] == "any"  # the default
    assert best.fleet.usd_per_hour <= colocated.fleet.usd_per_hour + 1e-9
    assert (best.fleet.layout != "colocated") is pooled
    pools = plan_serving(
        "llama-3.1-8b", catalog=tiny_catalog(), rate_rps=rate, layout="disaggregated", **work
    ).fleet
    assert len({e.software_stack for e in pools.entries}) == 1
    for pool in pools.pools:
        assert pool.capacity_rps >= rate - 1e-9 and pool.utilisation <= 1.0 + 1e-9
    for e in pools.entries:
        if e.role == "prefill":
            assert e.ttft_p99_ms is not None and e.ttft_p99_ms <= work["ttft_p99_ms"] * (1 + 1e-9)
        else:
            assert e.tpot_p99_ms is not None and e.tpot_p99_ms <= work["tpot_p99_ms"] * (1 + 1e-9)


PREFILL_HEAVY = [
    *("plan", "serve", "--model", "llama-3.1-8b", "--rate", "10", "--input", "8000"),
    *("--output", "64", "--ttft-p99-ms", "3000", "--tpot-p99-ms", "20"),
    *("--accelerators", "nvidia-h100-sxm,amd-mi300x"),
]


def test_json_stdout_of_a_disaggregated_plan() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from xpuplan.schemas import load_schema

    done = run_cli([*PREFILL_HEAVY, "--layout", "disaggregated", "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, load_schema("plan-serve"))
    assert data["constraints"]["layout"] == "disaggregated"
    for key in ("fleet", "single_type"):
        fleet = data[key]
        assert fleet["layout"] == "disaggregated"
        assert {p["role"] for p in fleet["pools"]} == {"prefill", "decode"}
        assert {e["role"] for e in fleet["entries"]} == {"prefill", "decode"}
        assert len({e["software_stack"] for e in fleet["entries"]}) == 1
        for pool in fleet["pools"]:
            chips = sum(e["chips"] for e in fleet["entries"] if e["role"] == pool["role"])
            assert pool["chips"] == chips
            assert pool["capacity_rps"] >= data["required_rps"] - 1e-9
        assert fleet["usd_per_hour"] == pytest.approx(
            sum(p["usd_per_hour"] for p in fleet["pools"])
        )


def test_skypilot_export_names_each_pools_role() -> None:
    """Each pool is a service of its own; its task says which role its engine runs in."""
    launchable = [*PREFILL_HEAVY[:-2], "--accelerators", "nvidia-h100-sxm"]
    launchable += ["--providers", "aws,gcp,azure,lambda", "--pricing", "on_demand"]
    done = run_cli([*launchable, "--layout", "disaggregated", "--json"])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    catalog = load_catalog()
    roles = []
    for number, entry in enumerate(result["fleet"]["entries"], 1):
        text = skypilot_task_yaml(result, catalog=catalog, plan=number)
        role = entry["role"]
        kv_role = {"prefill": "kv_producer", "decode": "kv_consumer"}[role]
        assert f"is the {role} pool of a disaggregated fleet" in text
        assert kv_role in text
        assert yaml.safe_load(text)["service"]["replicas"] >= 1
        roles.append(role)
    assert sorted(set(roles)) == ["decode", "prefill"]


def test_bad_layout_exits_2_with_one_line() -> None:
    done = run_cli([*PREFILL_HEAVY, "--layout", "split"])
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--layout 'split'" in lines[0] and "disaggregated" in lines[0]


def test_fleet_program_pairs_pools_and_counts_their_routed_rate_in_the_share() -> None:
    # NVIDIA pools: prefill 10 prompts/s ($1/h), decode 10 req/s ($1/h); AMD colocated replica
    # 5 req/s ($3/h). 10 req/s with no vendor above 50%: 1 AMD replica (5) + 5 req/s routed
    # through one prefill and one decode replica = $5/h, shares 50/50.
    problem = FleetProblem(
        capacity_rps=np.array([10.0, 10.0, 5.0]),
        usd_per_hour=np.array([1.0, 1.0, 3.0]),
        vendor=("NVIDIA", "NVIDIA", "AMD"),
        max_replicas=np.full(3, np.inf),
        required_rps=10.0,
        max_vendor_share=0.5,
        role=("prefill", "decode", "colocated"),
        pool_key=("CUDA", "CUDA", "ROCm"),
    )
    solution = solve_fleet(problem)
    assert solution.replicas.tolist() == [1, 1, 1]
    assert solution.usd_per_hour == pytest.approx(5.0)
    assert solution.capacity_rps == pytest.approx(10.0)
    assert solution.vendor_capacity_share == pytest.approx({"AMD": 0.5, "NVIDIA": 0.5})
    # without the limit: one prefill and one decode replica serve all 10 req/s for $2/h
    free = solve_fleet(dataclasses.replace(problem, max_vendor_share=None))
    assert free.replicas.tolist() == [1, 1, 0] and free.capacity_rps == pytest.approx(10.0)
    single = best_single_type(dataclasses.replace(problem, max_vendor_share=None))
    assert single.replicas.tolist() == [1, 1, 0] and single.usd_per_hour == pytest.approx(2.0)


def test_terminal_and_html_show_pools() -> None:
    import io

    from rich.console import Console

    import xpuplan
    from xpuplan.report import terminal

    result = _plan({"gpu-a": (0.0, 3.0, 5.0)}, 12.0, "disaggregated")
    out = io.StringIO()
    terminal.print_serving_plan(Console(file=out, width=200), result)
    text = out.getvalue()
    assert "Cheapest fleet (disaggregated)" in text
    assert "pools: prefill 4 chips $22.00/h 12 prompts/s at 100%" in text
    assert "decode 3 chips $16.50/h 15 req/s at 80%" in text
    page = xpuplan.render_html(result)
    assert "mean utilisation" in page and ">prefill<" in page and ">decode<" in page
    assert "80.0%" in page  # decode pool: 12 of 15 req/s


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"output_tokens": 1}, r"output_tokens=1: the prefill makes the only token"),
        ({"ttft_p99_ms": 20.0}, r"ttft_p99_ms=20: no prefill replica meets it even idle"),
        ({"tpot_p99_ms": 2.0}, r"tpot_p99_ms=2: no decode replica meets it; the lowest"),
    ],
)
def test_infeasible_pools_say_which_side(targets: dict[str, Any], message: str) -> None:
    work = {"input_tokens": 4000, "output_tokens": 64, "ttft_p99_ms": 5000.0}
    work |= {"tpot_p99_ms": 50.0, **targets}
    with pytest.raises(InfeasibleError, match=rf"^layout disaggregated: {message}"):
        plan_serving(
            "llama-3.1-8b", catalog=tiny_catalog(), rate_rps=5.0, layout="disaggregated", **work
        )


def _with_network(gbits_per_s: float | None) -> Any:
    """The tiny catalog's 1-chip gpu-a instance (cloud2 a1) with this instance network."""
    from xpuplan.catalog.catalog import Catalog

    cat = tiny_catalog()
    offerings = tuple(
        o.model_copy(update={"network_gbits_per_s": gbits_per_s}) if o.instance == "a1" else o
        for o in cat.offerings
    )
    return Catalog(accelerators=cat.accelerators, offerings=offerings, regions=cat.regions)


def test_kv_transfer_over_a_slow_network_bounds_the_prefill_pool() -> None:
    # Llama 3.1 8B holds 32 layers x 2 (K, V) x 8 heads x 128 x 2 bytes = 128 KiB per token: a
    # 4,000-token prompt's cache is 524 MB. Over a 1 Gb/s instance network (0.125 GB/s) a 1-chip
    # prefill replica needs 4.2 s to hand it over, past a 3 s TTFT target; over the chip's host
    # link (31.5 GB/s, no network listed) 17 ms.
    work = {"input_tokens": 4000, "output_tokens": 64, "ttft_p99_ms": 3000.0}
    work |= {"tpot_p99_ms": 50.0}
    only_a1 = OfferingFilter(providers=("cloud2",), accelerators=("gpu-a",))

    def prefill_chips(catalog: Any) -> set[int]:
        fleet = plan_serving(
            "llama-3.1-8b",
            catalog=catalog,
            rate_rps=5.0,
            layout="disaggregated",
            filters=only_a1,
            **work,
        ).fleet
        return {e.chips_per_replica for e in fleet.entries if e.role == "prefill"}

    assert 524e6 / 0.125e9 > 3.0 > 524e6 / 31.5e9
    assert 1 in prefill_chips(_with_network(None))
    assert 1 not in prefill_chips(_with_network(1.0))
