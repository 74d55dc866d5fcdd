"""Serving candidates (offering x replica layout), their capacity, and the cheapest fleet.

A *replica* is one copy of the model on ``tp x pp`` chips; the serving estimator says how many
requests/s it sustains within the p99 TTFT and TPOT targets. Instances are rented whole, so the
fleet program buys *units* of ``lcm(replica chips, chips per instance)`` chips: a unit of an
8-GPU instance holds four TP=2 replicas; a TP=16 replica on 8-GPU instances is a unit of two
instances. Per unit: ``capacity = replicas_per_unit x capacity_per_replica`` and
``price = instances_per_unit x instance price``.

Offerings with identical hardware in several regions have identical capacity; only the cheapest
(then lowest-carbon) one is kept per hardware and layout, which cannot change the optimum.
Without a vendor-share limit, units that another unit beats on both price and capacity are
dropped as well (with a share limit that could change the optimum, so they are kept).

**Layouts** (``layout``): ``colocated`` replicas prefill and decode on the same chips;
``disaggregated`` fleets split them into a prefill pool and a decode pool (DistServe, Zhong et
al. 2024; Splitwise, Patel et al. 2024), each sized by its own capacity per replica
(:class:`ServingEvaluation` ``prefill_capacity_rps`` / ``decode_capacity_rps``) and possibly
on different offerings, but on one software stack (the KV cache moves between engines of one
stack: vLLM/SGLang/Dynamo connectors such as NIXL or Mooncake move it between GPUs of one
vendor; no published deployment moves it across vendors' stacks). ``any`` lets the integer
program choose among both (:mod:`xpuplan.fleet`: two capacity constraints per stack).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from xpuplan.catalog.catalog import Catalog
from xpuplan.energy import PowerModel, chip_power_w
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.fleet import (
    POOL_ROLES,
    FleetProblem,
    FleetSolution,
    best_single_type,
    solve_fleet,
)
from xpuplan.models.spec import ModelSpec
from xpuplan.search.filters import OfferingFilter, SelectedOffering
from xpuplan.search.results import FleetEntry, FleetPlan, FleetPool, ServingPlanResult, Source
from xpuplan.search.space import HardwareGroup, build_offering_arrays, group_hardware
from xpuplan.units import KILO, MEGA, SECONDS_PER_HOUR

__all__ = [
    "LAYOUTS",
    "REPLICA_CHIPS",
    "ServingEvaluation",
    "ServingEvaluator",
    "ServingWorkload",
    "kv_transfer_s",
    "prefill_pool_capacity_rps",
    "search_serving",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Progress = Callable[[str, float], None]

# Replica sizes tried (tensor x pipeline parallel chips). Up to 64 chips covers a 405B model in
# bf16 (810 GB of weights) on 16-GB-class accelerators' bigger siblings and any scale-up domain
# up to a Trn2 UltraServer; larger replicas are not how models are served in practice.
REPLICA_CHIPS: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
# Serving layouts the planner may be asked for (``any``: the program picks the cheaper mix).
LAYOUTS: tuple[str, ...] = ("colocated", "disaggregated", "any")
# Quantile of the latency targets (p99, as the estimator's LATENCY_QUANTILE).
_TAIL = 0.01


@dataclass(frozen=True)
class ServingWorkload:
    """Traffic and latency targets of a serving deployment."""

    model: ModelSpec
    rate_rps: float  # mean request rate
    input_tokens: int
    output_tokens: int
    ttft_p99_s: float
    tpot_p99_s: float
    peak_to_mean: float = 1.0
    precision: str = "bf16"

    @property
    def required_rps(self) -> float:
        return self.rate_rps * self.peak_to_mean

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "rate_rps": self.rate_rps,
            "peak_to_mean": self.peak_to_mean,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "ttft_p99_ms": self.ttft_p99_s * 1e3,
            "tpot_p99_ms": self.tpot_p99_s * 1e3,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class ServingEvaluation:
    """Per candidate replica: sustainable rate within the SLOs and why it may be zero."""

    capacity_rps: FloatArray  # 0 where the replica cannot meet the targets at any rate
    fits: BoolArray  # weights + minimal KV cache fit in memory
    memory_gb: FloatArray  # per chip, at the operating point (or minimum when it does not fit)
    hbm_gb: FloatArray  # capacity per chip
    ttft_min_s: FloatArray  # p99 TTFT at the lowest load (NaN when it does not fit)
    tpot_min_s: FloatArray  # p99 TPOT at the lowest load (NaN when it does not fit)
    layout: dict[str, IntArray]  # layout knobs of each candidate (tp, pp, ...)
    # Predicted p99 TTFT / TPOT of a replica loaded to its capacity_rps (the operating point
    # the fleet is sized by); NaN where capacity is 0. None: the evaluator does not say.
    ttft_p99_s: FloatArray | None = None
    tpot_p99_s: FloatArray | None = None
    # Disaggregated pools (None: the evaluator does not say; 0 where infeasible). A prefill
    # replica's prompts/s within the p99 TTFT target, KV-cache transfer included, and its p99
    # TTFT at that rate; a decode replica's requests/s within the p99 TPOT target and its KV
    # capacity, and its p99 TPOT there.
    prefill_capacity_rps: FloatArray | None = None
    prefill_ttft_p99_s: FloatArray | None = None
    decode_capacity_rps: FloatArray | None = None
    decode_tpot_p99_s: FloatArray | None = None


def kv_transfer_s(kv_bytes: FloatArray, gbytes_per_s: FloatArray) -> FloatArray:
    """Seconds to move one prompt's KV cache (``kv_bytes`` for the whole replica) from a
    prefill replica to a decode replica over ``gbytes_per_s`` (the replica's network: every
    chip sends its own shard, GPUDirect RDMA as in NIXL / Mooncake transfer engines)."""
    out: FloatArray = kv_bytes / (gbytes_per_s * 1e9)
    return out


def prefill_pool_capacity_rps(
    busy_s: FloatArray, ttft_idle_p99_s: FloatArray, ttft_p99_s: float
) -> tuple[FloatArray, FloatArray]:
    """(prompts/s, p99 TTFT there) of one prefill replica whose p99 TTFT stays within target.

    A prefill replica is one server of busy time ``busy_s`` per prompt; prompts arrive as a
    Poisson stream and queue before it. The p99 TTFT at utilisation rho is the replica's
    unloaded p99 (batch in progress + own batch + KV transfer, ``ttft_idle_p99_s``) plus the
    M/M/1 waiting-time quantile ``S / (1 - rho) ln(rho / 0.01)`` (P(W > t) = rho
    exp(-(1 - rho) t / S), Kleinrock 1975, Queueing Systems I, sec. 3.2). Exponential service
    is conservative: prompts of one length are nearly deterministic, whose mean wait is half
    (Pollaczek-Khinchine). The largest rho meeting the target is found by bisection over all
    candidates at once; 0 prompts/s where even an idle replica misses it.
    """
    s = np.maximum(busy_s, 1e-12)
    budget = ttft_p99_s - ttft_idle_p99_s

    def wait(rho: FloatArray) -> FloatArray:
        out: FloatArray = s / (1.0 - rho) * np.log(np.maximum(rho / _TAIL, 1.0))
        return out

    lo = np.zeros_like(s)
    hi = np.full_like(s, 1.0 - 1e-9)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        ok = wait(mid) <= budget
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    feasible = np.isfinite(ttft_idle_p99_s) & (budget >= 0)
    capacity: FloatArray = np.where(feasible, lo / s, 0.0)
    ttft: FloatArray = np.where(feasible, ttft_idle_p99_s + wait(lo), np.nan)
    return capacity, ttft


class ServingEvaluator(Protocol):
    """What the planner needs from the serving estimator: a vectorized capacity evaluation."""

    def __call__(
        self,
        workload: ServingWorkload,
        groups: Sequence[HardwareGroup],
        group: IntArray,
        replica_chips: IntArray,
    ) -> ServingEvaluation: ...

    def sources(self, group: HardwareGroup) -> tuple[Source, ...]:
        """Efficiency parameters (with source and as_of) used for this hardware."""
        ...


def _replica_sizes(groups: Sequence[HardwareGroup]) -> tuple[IntArray, IntArray]:
    """(group, replica chips) pairs: TPU replicas must be a slice size, others any size."""
    pg: list[int] = []
    pc: list[int] = []
    for g, group in enumerate(groups):
        for r in REPLICA_CHIPS:
            if r > group.max_chips:
                continue
            if group.allowed_chip_counts is not None and r not in group.allowed_chip_counts:
                continue
            pg.append(g)
            pc.append(r)
    return np.array(pg, dtype=np.int64), np.array(pc, dtype=np.int64)


@dataclass(frozen=True)
class _Units:
    offering: IntArray
    candidate: IntArray  # row of the evaluation
    role: IntArray  # index into POOL_ROLES
    replica_chips: IntArray
    replicas_per_unit: IntArray
    instances_per_unit: IntArray
    capacity_rps: FloatArray
    usd_per_hour: FloatArray
    max_units: FloatArray


def _finite_at(values: FloatArray | None, row: int) -> float | None:
    """``values[row]`` as a float, or None when not given or not finite."""
    if values is None:
        return None
    value = float(values[row])
    return value if math.isfinite(value) else None


def _role_figures(
    ev: ServingEvaluation, role: str
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
    """(capacity per replica, p99 TTFT, p99 TPOT at it) of every candidate in one role."""
    if role == "prefill":
        assert ev.prefill_capacity_rps is not None
        return ev.prefill_capacity_rps, ev.prefill_ttft_p99_s, None
    if role == "decode":
        assert ev.decode_capacity_rps is not None
        return ev.decode_capacity_rps, None, ev.decode_tpot_p99_s
    return ev.capacity_rps, ev.ttft_p99_s, ev.tpot_p99_s


def _fleet_plan(
    solution: FleetSolution,
    units: _Units,
    ev: ServingEvaluation,
    selected: Sequence[SelectedOffering],
    groups: Sequence[HardwareGroup],
    work: ServingWorkload,
    pricing: str,
    power: PowerModel,
    evaluator: ServingEvaluator,
) -> FleetPlan:
    arrays = build_offering_arrays(selected, groups)
    entries: list[FleetEntry] = []
    energy_kwh_h = 0.0
    co2_kg_h = 0.0
    pool_rps = solution.pool_capacity_rps or {"colocated": solution.capacity_rps}
    for u in np.flatnonzero(solution.replicas):
        n_units = int(solution.replicas[u])
        sel = selected[int(units.offering[u])]
        o = sel.offering
        group = groups[int(arrays.group[int(units.offering[u])])]
        acc = group.accelerator
        c = int(units.candidate[u])
        role = POOL_ROLES[int(units.role[u])]
        capacity, ttft, tpot = _role_figures(ev, role)
        layout = {k: int(v[c]) for k, v in ev.layout.items()}
        sources = (
            Source("accelerator", acc.id, acc.source, str(acc.as_of)),
            Source(
                "offering",
                f"{o.provider}/{o.region}/{o.instance}",
                o.source,
                str(o.as_of),
                (f"usd_per_hour.{sel.pricing}", "chips_per_instance"),
            ),
            *(
                (
                    Source(
                        "region",
                        f"{sel.region.provider}/{sel.region.code}",
                        sel.region.source,
                        str(sel.region.as_of),
                        ("grid_gco2_per_kwh", "pue"),
                    ),
                )
                if sel.region
                else ()
            ),
            *evaluator.sources(group),
        )
        entry = FleetEntry(
            provider=o.provider,
            region=o.region,
            instance=o.instance,
            accelerator_id=acc.id,
            vendor=acc.vendor,
            software_stack=acc.software_stack,
            chips_per_replica=int(units.replica_chips[u]),
            chips_per_instance=o.chips_per_instance,
            layout=layout,
            capacity_rps_per_replica=float(capacity[c]),
            replicas=n_units * int(units.replicas_per_unit[u]),
            instances=n_units * int(units.instances_per_unit[u]),
            usd_per_instance_hour=sel.usd_per_hour,
            pricing=sel.pricing,
            sources=sources,
            ttft_p99_ms=_finite_at(None if ttft is None else ttft * 1e3, c),
            tpot_p99_ms=_finite_at(None if tpot is None else tpot * 1e3, c),
            role=role,  # type: ignore[arg-type]  # one of POOL_ROLES
        )
        entries.append(entry)
        chips = entry.instances * o.chips_per_instance
        load = min(_utilisation(solution, pool_rps, role, work.rate_rps), 1.0)
        watts = float(
            chip_power_w(np.array([arrays.tdp_w[units.offering[u]]]), np.array([load]), power)[0]
        )
        kwh = chips * watts / KILO * float(arrays.pue[units.offering[u]])
        energy_kwh_h += kwh
        co2_kg_h += kwh * float(arrays.grid_gco2_per_kwh[units.offering[u]]) / KILO
    tokens_per_hour = work.rate_rps * SECONDS_PER_HOUR
    return FleetPlan(
        entries=tuple(entries),
        usd_per_hour=solution.usd_per_hour,
        capacity_rps=solution.capacity_rps,
        vendor_capacity_share=solution.vendor_capacity_share,
        usd_per_million_tokens=solution.usd_per_hour
        / (tokens_per_hour * (work.input_tokens + work.output_tokens) / MEGA),
        usd_per_million_output_tokens=solution.usd_per_hour
        / (tokens_per_hour * work.output_tokens / MEGA),
        energy_kwh_per_hour=energy_kwh_h if math.isfinite(energy_kwh_h) else None,
        co2_kg_per_hour=co2_kg_h if math.isfinite(co2_kg_h) else None,
        pools=_pools(entries, solution, pool_rps, work.rate_rps),
    )


def _utilisation(
    solution: FleetSolution, pool_rps: dict[str, float], role: str, rate_rps: float
) -> float:
    """Mean utilisation of one pool: the fleet runs at rate / capacity of what it can serve;
    colocated replicas serve their capacity, prefill and decode pools what they pair up to."""
    colocated = pool_rps.get("colocated", 0.0)
    served = colocated if role == "colocated" else solution.capacity_rps - colocated
    return rate_rps / solution.capacity_rps * served / pool_rps[role]


def _pools(
    entries: Sequence[FleetEntry],
    solution: FleetSolution,
    pool_rps: dict[str, float],
    rate_rps: float,
) -> tuple[FleetPool, ...]:
    """Chips, instances, cost and mean utilisation of each role present in the fleet."""
    out: list[FleetPool] = []
    for role in POOL_ROLES:
        members = [e for e in entries if e.role == role]
        if not members:
            continue
        out.append(
            FleetPool(
                role=role,  # type: ignore[arg-type]  # one of POOL_ROLES
                chips=sum(e.chips for e in members),
                instances=sum(e.instances for e in members),
                usd_per_hour=sum(e.usd_per_hour for e in members),
                capacity_rps=pool_rps[role],
                utilisation=_utilisation(solution, pool_rps, role, rate_rps),
            )
        )
    return tuple(out)


def _no_capacity_error(
    work: ServingWorkload,
    ev: ServingEvaluation,
    groups: Sequence[HardwareGroup],
    group: IntArray,
    replica_chips: IntArray,
) -> InfeasibleError:
    def where(i: int) -> str:
        return f"{int(replica_chips[i])} x {groups[int(group[i])].accelerator.id}"

    if not ev.fits.any():
        i = int(np.argmin(ev.memory_gb / ev.hbm_gb))
        return InfeasibleError(
            f"memory: {work.model.name} fits no replica of up to {max(REPLICA_CHIPS)} chips; "
            f"the closest needs {ev.memory_gb[i]:.1f} GB per chip vs {ev.hbm_gb[i]:.0f} GB on "
            f"{where(i)}"
        )
    ttft = np.where(ev.fits, ev.ttft_min_s, np.inf)
    tpot = np.where(ev.fits, ev.tpot_min_s, np.inf)
    if not (ttft <= work.ttft_p99_s).any():
        i = int(np.argmin(ttft))
        return InfeasibleError(
            f"ttft_p99_ms={work.ttft_p99_s * 1e3:g}: the lowest p99 TTFT of any replica is "
            f"{ttft[i] * 1e3:.0f} ms on {where(i)}"
        )
    if not (tpot <= work.tpot_p99_s).any():
        i = int(np.argmin(tpot))
        return InfeasibleError(
            f"tpot_p99_ms={work.tpot_p99_s * 1e3:g}: the lowest p99 TPOT of any replica is "
            f"{tpot[i] * 1e3:.1f} ms on {where(i)}"
        )
    both = np.where((ttft <= work.ttft_p99_s), tpot, np.inf)
    i = int(np.argmin(both))
    return InfeasibleError(
        f"ttft_p99_ms={work.ttft_p99_s * 1e3:g} with tpot_p99_ms={work.tpot_p99_s * 1e3:g}: "
        f"no replica meets both; among those meeting the TTFT target the lowest TPOT is "
        f"{both[i] * 1e3:.1f} ms on {where(i)}"
    )


def _pool_error(
    work: ServingWorkload,
    ev: ServingEvaluation,
    groups: Sequence[HardwareGroup],
    group: IntArray,
    replica_chips: IntArray,
) -> InfeasibleError:
    """Why no software stack has both a prefill and a decode replica meeting the targets."""
    pre = ev.prefill_capacity_rps if ev.prefill_capacity_rps is not None else ev.fits * 0.0
    dec = ev.decode_capacity_rps if ev.decode_capacity_rps is not None else ev.fits * 0.0
    stacks = np.array([groups[int(g)].accelerator.software_stack for g in group])
    if not ev.fits.any():
        return _no_capacity_error(work, ev, groups, group, replica_chips)
    if not (pre > 0).any():
        return InfeasibleError(
            f"layout disaggregated: ttft_p99_ms={work.ttft_p99_s * 1e3:g}: no prefill replica "
            f"meets it even idle (a {work.input_tokens}-token prompt, its batch and its "
            "KV-cache transfer); loosen the target or try --layout colocated"
        )
    if not (dec > 0).any():
        if work.output_tokens <= 1:
            return InfeasibleError(
                "layout disaggregated: output_tokens=1: the prefill makes the only token, "
                "there is nothing for a decode pool to do; use --layout colocated"
            )
        tpot = np.where(ev.fits, ev.tpot_min_s, np.inf)
        i = int(np.argmin(tpot))
        return InfeasibleError(
            f"layout disaggregated: tpot_p99_ms={work.tpot_p99_s * 1e3:g}: no decode replica "
            f"meets it; the lowest p99 TPOT of an idle replica is {tpot[i] * 1e3:.1f} ms on "
            f"{int(replica_chips[i])} x {groups[int(group[i])].accelerator.id}"
        )
    return InfeasibleError(
        "layout disaggregated: no software stack has both a prefill replica (on "
        f"{', '.join(sorted(set(stacks[pre > 0])))}) and a decode replica (on "
        f"{', '.join(sorted(set(stacks[dec > 0])))}); pools pair within one stack"
    )


def _units(
    role: int,
    capacity: FloatArray,
    replica_chips: IntArray,
    group: IntArray,
    groups: Sequence[HardwareGroup],
    selected: Sequence[SelectedOffering],
) -> _Units:
    """Rentable units of every candidate with capacity in one role, on each of its offerings."""
    arrays = build_offering_arrays(selected, groups)
    cand = np.flatnonzero(capacity > 0)
    members = [np.array(g.members, dtype=np.int64) for g in groups]
    counts = np.array([members[int(group[c])].shape[0] for c in cand], dtype=np.int64)
    cand_rows = np.repeat(cand, counts)
    offering = (
        np.concatenate([members[int(group[c])] for c in cand])
        if cand.size
        else np.zeros(0, dtype=np.int64)
    )
    r = replica_chips[cand_rows]
    cpi = arrays.chips_per_instance[offering]
    unit_chips = np.lcm(r, cpi)
    max_chips = np.array([groups[int(g)].max_chips for g in arrays.group[offering]], np.float64)
    listed = np.array(
        [selected[int(o)].offering.max_chips is not None for o in offering], dtype=bool
    )
    return _Units(
        offering=offering,
        candidate=cand_rows,
        role=np.full(cand_rows.shape, role, dtype=np.int64),
        replica_chips=r,
        replicas_per_unit=unit_chips // r,
        instances_per_unit=unit_chips // cpi,
        capacity_rps=(unit_chips // r) * capacity[cand_rows],
        usd_per_hour=(unit_chips // cpi) * arrays.usd_per_hour[offering],
        max_units=np.where(listed, np.floor(max_chips / unit_chips), np.inf),
    )


def _roles(ev: ServingEvaluation, layout: str) -> list[tuple[int, FloatArray]]:
    """(role index, capacity per replica) of the roles the layout allows."""
    out: list[tuple[int, FloatArray]] = []
    if layout in ("colocated", "any"):
        out.append((POOL_ROLES.index("colocated"), ev.capacity_rps))
    if layout in ("disaggregated", "any"):
        for role, capacity in (
            ("prefill", ev.prefill_capacity_rps),
            ("decode", ev.decode_capacity_rps),
        ):
            if capacity is not None:
                out.append((POOL_ROLES.index(role), capacity))
    return out


# A fleet with pools must be cheaper than the best colocated one by more than this (relative) to
# be chosen under layout ``any``: on a tie, colocated replicas are simpler to run.
_POOL_TIE = 1e-6


def _solve(problem: FleetProblem) -> FleetSolution:
    """The cheapest fleet; on a tie between one with pools and colocated replicas only, the
    colocated one (one extra solve restricted to colocated candidates)."""
    solution = solve_fleet(problem)
    roles = np.array(problem.roles())
    colocated = roles == "colocated"
    if colocated.all() or not colocated.any() or not solution.replicas[~colocated].any():
        return solution
    rows = np.flatnonzero(colocated)
    only = FleetProblem(
        capacity_rps=problem.capacity_rps[rows],
        usd_per_hour=problem.usd_per_hour[rows],
        vendor=tuple(problem.vendor[int(r)] for r in rows),
        max_replicas=problem.max_replicas[rows],
        required_rps=problem.required_rps,
        max_vendor_share=problem.max_vendor_share,
    )
    try:
        plain = solve_fleet(only)
    except InfeasibleError:
        return solution
    if plain.usd_per_hour > solution.usd_per_hour * (1.0 + _POOL_TIE):
        return solution
    replicas = np.zeros_like(solution.replicas)
    replicas[rows] = plain.replicas
    return dataclasses.replace(plain, replicas=replicas)


def search_serving(
    work: ServingWorkload,
    catalog: Catalog,
    selected: Sequence[SelectedOffering],
    flt: OfferingFilter,
    max_vendor_share: float | None,
    power: PowerModel,
    evaluator: ServingEvaluator,
    progress: Progress | None = None,
    layout: str = "colocated",
) -> ServingPlanResult:
    """Evaluate every (hardware, replica size), then solve the fleet program.

    ``layout``: ``colocated`` replicas, ``disaggregated`` prefill and decode pools, or ``any``
    (the program chooses; see the module docstring).
    """
    if layout not in LAYOUTS:
        raise InputError(f"layout {layout!r}: not one of {', '.join(LAYOUTS)}")
    groups = group_hardware(catalog, selected, None)
    group, replica_chips = _replica_sizes(groups)
    if progress is not None:
        progress("evaluating replicas", 0.0)
    ev = evaluator(work, groups, group, replica_chips)
    if progress is not None:
        progress("evaluating replicas", 1.0)
    roles = _roles(ev, layout)
    stacks = np.array([groups[int(g)].accelerator.software_stack for g in group])
    pre = dict(roles).get(POOL_ROLES.index("prefill"))
    dec = dict(roles).get(POOL_ROLES.index("decode"))
    paired = (
        pre is not None and dec is not None and bool(set(stacks[pre > 0]) & set(stacks[dec > 0]))
    )
    colocated_ok = layout != "disaggregated" and bool((ev.capacity_rps > 0).any())
    if not colocated_ok and not paired:
        if layout == "disaggregated":
            if ev.prefill_capacity_rps is None:
                raise InputError("layout disaggregated: this evaluator does not size pools")
            raise _pool_error(work, ev, groups, group, replica_chips)
        raise _no_capacity_error(work, ev, groups, group, replica_chips)

    # Units: broadcast candidates to the offerings of their group, per role.
    arrays = build_offering_arrays(selected, groups)
    parts = [_units(r, cap, replica_chips, group, groups, selected) for r, cap in roles]
    units = _Units(
        **{k: np.concatenate([getattr(p, k) for p in parts]) for k in _Units.__dataclass_fields__}
    )
    offering, cand_rows = units.offering, units.candidate
    unit_stack = stacks[cand_rows]
    # one key per (role, candidate): same hardware, same capacity
    key = units.role * (int(group.shape[0]) + 1) + cand_rows

    # Keep the cheapest (then lowest-carbon) offering per (role, candidate) -- same hardware,
    # same capacity -- and, without a share limit, drop units beaten on price and capacity.
    carbon = np.where(
        np.isfinite(arrays.grid_gco2_per_kwh[offering]), arrays.grid_gco2_per_kwh[offering], np.inf
    )
    order = np.lexsort((carbon, units.usd_per_hour, key))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    # Dominance (valid only without a share limit): a unit another one of the same role (and,
    # for pools, the same stack) beats on both price and capacity, where that other unit is not
    # capped by availability, never helps.
    cap = units.capacity_rps[keep]
    price = units.usd_per_hour[keep]
    role_k = units.role[keep]
    colocated_k = role_k == POOL_ROLES.index("colocated")
    comparable = (role_k[None, :] == role_k[:, None]) & (
        colocated_k[:, None] | (unit_stack[keep][None, :] == unit_stack[keep][:, None])
    )
    open_ended = np.isinf(units.max_units[keep])
    beaten = (
        comparable
        & open_ended[None, :]
        & (cap[None, :] >= cap[:, None])
        & (price[None, :] <= price[:, None])
        & ((cap[None, :] > cap[:, None]) | (price[None, :] < price[:, None]))
    ).any(axis=1)

    def problem_for(rows: IntArray, share: float | None) -> tuple[FleetProblem, _Units]:
        chosen = _Units(**{k: getattr(units, k)[rows] for k in units.__dataclass_fields__})
        vendors = tuple(
            groups[int(arrays.group[int(o)])].accelerator.vendor for o in chosen.offering
        )
        return (
            FleetProblem(
                capacity_rps=chosen.capacity_rps,
                usd_per_hour=chosen.usd_per_hour,
                vendor=vendors,
                max_replicas=chosen.max_units,
                required_rps=work.required_rps,
                max_vendor_share=share,
                role=tuple(POOL_ROLES[int(r)] for r in chosen.role),
                pool_key=tuple(str(x) for x in stacks[chosen.candidate]),
            ),
            chosen,
        )

    def plan(solution: FleetSolution, chosen: _Units) -> FleetPlan:
        return _fleet_plan(
            solution, chosen, ev, selected, groups, work, flt.pricing, power, evaluator
        )

    free, free_units = problem_for(keep[~beaten], None)
    cheapest_free = _solve(free)
    single = best_single_type(free)
    solved = [("cheapest fleet", cheapest_free)]
    if max_vendor_share is None:
        fleet, unconstrained = plan(cheapest_free, free_units), None
        candidate_types = int(free.capacity_rps.shape[0])
    else:
        limited, limited_units = problem_for(keep, max_vendor_share)
        limited_solution = _solve(limited)
        solved.append(("share-limited fleet", limited_solution))
        fleet = plan(limited_solution, limited_units)
        unconstrained = plan(cheapest_free, free_units)
        candidate_types = int(limited.capacity_rps.shape[0])
    notes = [power.description]
    notes.extend(
        f"{name}: HiGHS stopped at its time limit; the fleet is within "
        f"{solution.mip_gap:.2%} of the optimum"
        for name, solution in solved
        if not solution.optimal
    )
    if max_vendor_share is not None:
        notes.append(
            f"no vendor provides more than {max_vendor_share:.0%} of the fleet's capacity; "
            "the single-type fleet ignores this limit"
        )
    notes.append(
        "cost per million tokens is at the mean rate "
        f"({work.rate_rps:g} requests/s x {work.input_tokens + work.output_tokens} tokens)"
    )
    if layout != "colocated":
        notes.append(
            "disaggregated pools pair within one software stack; the KV cache of each prompt "
            "moves from the prefill to the decode replica over the instances' network "
            "(catalog network_gbits_per_s, per chip), within the TTFT target"
        )
    return ServingPlanResult(
        workload=work.to_dict(),
        constraints={"max_vendor_share": max_vendor_share, **flt.describe(), "layout": layout},
        required_rps=work.required_rps,
        fleet=fleet,
        single_type=plan(single, free_units),
        unconstrained=unconstrained,
        savings_pct=(single.usd_per_hour - fleet.usd_per_hour) / single.usd_per_hour * 100.0,
        candidates_evaluated=int(group.shape[0]),
        candidate_types=candidate_types,
        notes=tuple(notes),
    )
