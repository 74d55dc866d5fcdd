"""plan_training: the vectorized search equals a brute force over the scalar estimator."""

from __future__ import annotations

import json
import math
import re

import pytest

from test_plan_support import tiny_catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InfeasibleError, InputError, UnknownNameError
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import Layout, LayoutGrid, enumerate_layouts
from xpuplan.perf.stack import stack_for_accelerator
from xpuplan.perf.training import estimate_training
from xpuplan.plan import plan_training
from xpuplan.search.estimators import RooflineTrainingEvaluator
from xpuplan.search.filters import OfferingFilter, select_offerings
from xpuplan.search.space import chip_counts, group_hardware
from xpuplan.search.training import TrainingSearch, TrainingWorkload, search_training
from xpuplan.units import SECONDS_PER_HOUR

# 6.6B parameters: 106 GB of weights + grads + Adam states, so one 80 GB chip is not enough.
MODEL = ModelSpec(
    name="toy-7b",
    n_layers=16,
    d_model=6144,
    n_heads=48,
    n_kv_heads=8,
    head_dim=128,
    ffn_dim=16384,
    vocab_size=32000,
)
GRID = LayoutGrid(micro_batch=(1, 2), recompute=("none", "full"))
TOKENS = 20e9
RECOMPUTE = {0: "none", 1: "selective", 2: "full"}


def _brute_force(deadline_s: float | None, max_chips: int) -> list[dict[str, object]]:
    """Every candidate through the scalar estimator, reduced exactly as the planner describes."""
    catalog = tiny_catalog()
    selected = select_offerings(catalog, OfferingFilter())
    groups = group_hardware(catalog, selected, max_chips)
    batch_seqs = 256
    plans: list[dict[str, object]] = []
    for group in groups:
        counts = chip_counts(group.chips_per_instance, group.allowed_chip_counts, group.max_chips)
        for chips in counts.tolist():
            lay = enumerate_layouts(
                MODEL,
                chips,
                seq_len=2048,
                global_batch_seqs=batch_seqs,
                grid=GRID,
                domain_devices=group.scaleup_domain_chips,
            )
            best: tuple[float, float, float, dict[str, int]] | None = None
            for k in range(len(lay)):  # the brute force: one scalar call per candidate
                layout = Layout(
                    dp=int(lay.dp[k]),
                    tp=int(lay.tp[k]),
                    pp=int(lay.pp[k]),
                    cp=int(lay.cp[k]),
                    ep=int(lay.ep[k]),
                    virtual_pp=int(lay.virtual_pp[k]),
                    zero=int(lay.zero[k]),
                    recompute=RECOMPUTE[int(lay.recompute[k])],  # type: ignore[arg-type]
                    micro_batch=int(lay.micro_batch[k]),
                )
                seqs = int(lay.global_batch_seqs[k])
                est = estimate_training(
                    MODEL,
                    group.accelerator,
                    layout,
                    seq_len=2048,
                    global_batch_seqs=seqs,
                    scaleup_domain_chips=min(group.scaleup_domain_chips, chips),
                    scaleout_gbits_per_s_per_chip=group.network_gbits_per_s_per_chip,
                    stack=stack_for_accelerator(group.accelerator.software_stack),
                )
                if not est.fits_memory:
                    continue
                per_token = est.step_time_s / (seqs * 2048)
                if best is None or per_token < best[0]:
                    steps = math.ceil(TOKENS / (seqs * 2048))
                    best = (per_token, steps * est.step_time_s, est.mfu, {"tp": layout.tp})
            if best is None:
                continue
            for m in group.members:
                sel = selected[m]
                instances = chips // sel.offering.chips_per_instance
                wall = best[1]
                plans.append(
                    {
                        "key": (sel.offering.provider, sel.offering.region, sel.offering.instance),
                        "chips": chips,
                        "wall": wall,
                        "cost": instances * sel.usd_per_hour * wall / SECONDS_PER_HOUR,
                    }
                )
    if deadline_s is not None:
        plans = [p for p in plans if float(p["wall"]) <= deadline_s]  # type: ignore[arg-type]
    return plans


def _search(deadline_s: float | None, max_chips: int):  # type: ignore[no-untyped-def]
    catalog = tiny_catalog()
    selected = select_offerings(catalog, OfferingFilter())
    groups = group_hardware(catalog, selected, max_chips)
    work = TrainingWorkload(model=MODEL, tokens=TOKENS, seq_len=2048, global_batch_tokens=2**19)
    search = TrainingSearch(
        objective="cost", deadline_s=deadline_s, max_chips=max_chips, top=50, layout_grid=GRID
    )
    return search_training(work, catalog, selected, groups, search, RooflineTrainingEvaluator())


@pytest.mark.parametrize("deadline_days", [None, 1.5])
def test_vectorized_search_equals_brute_force(deadline_days: float | None) -> None:
    deadline = None if deadline_days is None else deadline_days * 86400
    brute = _brute_force(deadline, max_chips=16)
    plans, pareto, _, stats = _search(deadline, max_chips=16)
    assert stats.feasible_plans == len(brute)
    # The best plan and the whole Pareto front match the brute force exactly.
    cheapest = min(brute, key=lambda p: (p["cost"], p["wall"]))
    assert plans[0].cost_usd == pytest.approx(cheapest["cost"], rel=1e-9)
    assert plans[0].wall_time_s == pytest.approx(cheapest["wall"], rel=1e-9)
    front = sorted(
        (p["cost"], p["wall"])
        for p in brute
        if not any(
            q["cost"] <= p["cost"]
            and q["wall"] <= p["wall"]
            and (q["cost"], q["wall"]) != (p["cost"], p["wall"])
            for q in brute
        )
    )
    distinct_front = sorted(set(front))  # duplicates (same numbers) appear once on the front
    got = sorted((p.cost_usd, p.wall_time_s) for p in pareto)
    assert len(got) == len(distinct_front)
    for (c1, w1), (c2, w2) in zip(got, distinct_front, strict=True):
        assert c1 == pytest.approx(c2, rel=1e-9)
        assert w1 == pytest.approx(w2, rel=1e-9)
    # Top plans: one per (provider, instance), each the cheapest of its instance type.
    for plan in plans:
        same = [p for p in brute if (p["key"][0], p["key"][2]) == (plan.provider, plan.instance)]
        assert plan.cost_usd == pytest.approx(min(p["cost"] for p in same), rel=1e-9)


def test_plan_fields_are_consistent() -> None:
    result = plan_training(MODEL, TOKENS, catalog=tiny_catalog(), seq_len=2048, max_chips=64)
    for p in result.plans:
        assert p.chips == p.instances * (8 if p.instance in ("a8", "b8") else 1)
        lay = p.layout
        assert lay.tp * lay.pp * lay.cp * lay.dp == lay.devices == p.chips
        assert lay.dp * lay.micro_batch * p.n_micro == p.global_batch_seqs
        assert p.global_batch_tokens == p.global_batch_seqs * 2048
        assert p.cost_usd == pytest.approx(p.usd_per_hour * p.wall_time_s / SECONDS_PER_HOUR)
        assert p.wall_time_s == pytest.approx(p.steps * p.step_time_s)
        parts = {k: v for k, v in p.step_time_breakdown_s.items() if k != "total"}
        assert sum(parts.values()) == pytest.approx(p.step_time_s)
        mem = {k: v for k, v in p.memory_gb_per_chip.items() if k not in ("total", "capacity")}
        assert sum(mem.values()) == pytest.approx(p.memory_gb_per_chip["total"])
        assert p.memory_gb_per_chip["total"] <= p.memory_gb_per_chip["capacity"]
        if p.accelerator_id == "gpu-a" and p.region == "us-east":
            # energy by hand: chips x 700 W x hours x PUE 1.2; CO2 at 400 g/kWh
            kwh = p.chips * 700 * p.wall_time_s / 3600 * 1.2 / 1000
            assert p.it_energy_kwh == pytest.approx(kwh / 1.2)
            assert p.energy_kwh == pytest.approx(kwh)
            assert p.co2_kg == pytest.approx(kwh * 0.4)
        if p.region == "london":  # no PUE: total energy unknown, accelerator energy known
            assert p.energy_kwh is None and p.co2_kg is None
            assert p.it_energy_kwh == pytest.approx(p.chips * 0.7 * p.wall_time_s / 3600)
        if p.accelerator_id == "tpu-c":
            assert p.energy_kwh is None and p.co2_kg is None
            assert any("no TDP for tpu-c" in n for n in p.notes)
        kinds = {s.kind for s in p.sources}
        assert {"accelerator", "offering", "efficiency", "power_model"} <= kinds
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert '"plans"' in text


def test_lock_in_premium_matches_vendor_restricted_search() -> None:
    catalog = tiny_catalog()
    result = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    vendors = {e.group: e for e in result.lock_in if e.group_kind == "vendor" and e.plan}
    assert min(e.premium_pct or 0.0 for e in vendors.values()) == 0.0
    for vendor, entry in vendors.items():
        only = plan_training(
            MODEL,
            TOKENS,
            catalog=catalog,
            seq_len=2048,
            max_chips=64,
            filters=OfferingFilter(vendors=(vendor,)),
        )
        assert entry.plan is not None
        assert entry.plan.cost_usd == pytest.approx(only.best.cost_usd)
        expected = (only.best.cost_usd / result.best.cost_usd - 1) * 100
        assert entry.premium_pct == pytest.approx(expected)
    stacks = {e.group for e in result.lock_in if e.group_kind == "software_stack" and e.plan}
    assert stacks <= {"CUDA", "ROCm", "XLA/TPU"}


@pytest.mark.parametrize("objective", ["time", "co2"])
def test_objectives_rank_by_their_metric(objective: str) -> None:
    result = plan_training(
        MODEL, TOKENS, catalog=tiny_catalog(), seq_len=2048, max_chips=64, objective=objective
    )
    metric = "wall_time_s" if objective == "time" else "co2_kg"
    values = [getattr(p, metric) for p in result.plans]
    known = [v for v in values if v is not None]
    assert known == sorted(known)
    if objective == "co2":  # unknown CO2 ranks last
        assert values[: len(known)] == known


def test_deadline_infeasible_names_fastest_plan() -> None:
    catalog = tiny_catalog()
    free = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    fastest = min(free.pareto, key=lambda p: p.wall_time_s)
    with pytest.raises(InfeasibleError) as info:
        plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64, deadline="1h")
    message = str(info.value)
    assert message.startswith("deadline 1h: the fastest feasible plan takes ")
    match = re.search(r"takes ([0-9.]+)(d|h) on (\d+) x (\S+)", message)
    assert match is not None
    days = fastest.wall_time_s / (86400 if match.group(2) == "d" else 3600)
    assert float(match.group(1)) == pytest.approx(days, rel=5e-3)
    assert int(match.group(3)) == fastest.chips
    assert match.group(4) == fastest.accelerator_id


def test_budget_infeasible_names_cheapest_plan() -> None:
    catalog = tiny_catalog()
    free = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    with pytest.raises(
        InfeasibleError,
        match=r"^budget \$1\.00: the cheapest plan meeting the "
        r"deadline costs \$",
    ) as info:
        plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64, budget_usd=1.0)
    assert f"on {free.best.chips} x {free.best.accelerator_id}" in str(info.value)


def test_memory_and_max_chips_infeasible() -> None:
    with pytest.raises(InfeasibleError, match=r"^memory: no layout fits in device memory"):
        plan_training(MODEL, TOKENS, catalog=tiny_catalog(), seq_len=2048, max_chips=1)
    with pytest.raises(InfeasibleError, match=r"^max_chips=4: every offering needs more"):
        plan_training(
            MODEL,
            TOKENS,
            catalog=tiny_catalog(),
            filters=OfferingFilter(providers=("cloud1",)),
            max_chips=4,
        )


def test_bad_inputs() -> None:
    catalog = tiny_catalog()
    with pytest.raises(UnknownNameError, match="objective"):
        plan_training(MODEL, TOKENS, catalog=catalog, objective="speed")
    with pytest.raises(InputError, match=r"^tokens: "):
        plan_training(MODEL, "lots", catalog=catalog)
    with pytest.raises(InputError, match=r"^deadline: "):
        plan_training(MODEL, TOKENS, catalog=catalog, deadline="soon")
    with pytest.raises(InputError, match=r"^budget_usd: "):
        plan_training(MODEL, TOKENS, catalog=catalog, budget_usd=-5)
    with pytest.raises(InfeasibleError, match="precision=fp8"):
        plan_training(MODEL, TOKENS, catalog=catalog, precision="fp8")


def test_eu_regions_only_on_bundled_catalog() -> None:
    catalog = load_catalog()
    result = plan_training(
        "llama-3.1-8b",
        "1T",
        catalog=catalog,
        filters=OfferingFilter(regions=("eu",)),
        top=50,
    )
    plans = [*result.plans, *result.pareto, *(e.plan for e in result.lock_in if e.plan)]
    assert plans
    for p in plans:
        region = catalog.region(p.provider, p.region)
        assert region is not None and (region.eu or region.eea), (p.provider, p.region)
