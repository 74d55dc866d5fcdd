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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from xpuplan.catalog.catalog import Catalog
from xpuplan.energy import PowerModel, chip_power_w
from xpuplan.errors import InfeasibleError
from xpuplan.fleet import FleetProblem, FleetSolution, best_single_type, solve_fleet
from xpuplan.models.spec import ModelSpec
from xpuplan.search.filters import OfferingFilter, SelectedOffering
from xpuplan.search.results import FleetEntry, FleetPlan, ServingPlanResult, Source
from xpuplan.search.space import HardwareGroup, build_offering_arrays, group_hardware
from xpuplan.units import KILO, MEGA, SECONDS_PER_HOUR

__all__ = [
    "REPLICA_CHIPS",
    "ServingEvaluation",
    "ServingEvaluator",
    "ServingWorkload",
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
    load = work.rate_rps / solution.capacity_rps  # mean utilisation of the fleet's capacity
    for u in np.flatnonzero(solution.replicas):
        n_units = int(solution.replicas[u])
        sel = selected[int(units.offering[u])]
        o = sel.offering
        group = groups[int(arrays.group[int(units.offering[u])])]
        acc = group.accelerator
        c = int(units.candidate[u])
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
            capacity_rps_per_replica=float(ev.capacity_rps[c]),
            replicas=n_units * int(units.replicas_per_unit[u]),
            instances=n_units * int(units.instances_per_unit[u]),
            usd_per_instance_hour=sel.usd_per_hour,
            pricing=sel.pricing,
            sources=sources,
            ttft_p99_ms=_finite_at(None if ev.ttft_p99_s is None else ev.ttft_p99_s * 1e3, c),
            tpot_p99_ms=_finite_at(None if ev.tpot_p99_s is None else ev.tpot_p99_s * 1e3, c),
        )
        entries.append(entry)
        chips = entry.instances * o.chips_per_instance
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
    )


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


def search_serving(
    work: ServingWorkload,
    catalog: Catalog,
    selected: Sequence[SelectedOffering],
    flt: OfferingFilter,
    max_vendor_share: float | None,
    power: PowerModel,
    evaluator: ServingEvaluator,
    progress: Progress | None = None,
) -> ServingPlanResult:
    """Evaluate every (hardware, replica size), then solve the fleet program."""
    groups = group_hardware(catalog, selected, None)
    group, replica_chips = _replica_sizes(groups)
    if progress is not None:
        progress("evaluating replicas", 0.0)
    ev = evaluator(work, groups, group, replica_chips)
    if progress is not None:
        progress("evaluating replicas", 1.0)
    ok = ev.capacity_rps > 0
    if not ok.any():
        raise _no_capacity_error(work, ev, groups, group, replica_chips)

    # Units: broadcast candidates to the offerings of their group.
    arrays = build_offering_arrays(selected, groups)
    cand = np.flatnonzero(ok)
    members = [np.array(g.members, dtype=np.int64) for g in groups]
    counts = np.array([members[int(group[c])].shape[0] for c in cand], dtype=np.int64)
    cand_rows = np.repeat(cand, counts)
    offering = np.concatenate([members[int(group[c])] for c in cand])
    r = replica_chips[cand_rows]
    cpi = arrays.chips_per_instance[offering]
    unit_chips = np.lcm(r, cpi)
    max_chips = np.array([groups[int(g)].max_chips for g in arrays.group[offering]], np.float64)
    listed = np.array(
        [selected[int(o)].offering.max_chips is not None for o in offering], dtype=bool
    )
    units = _Units(
        offering=offering,
        candidate=cand_rows,
        replica_chips=r,
        replicas_per_unit=unit_chips // r,
        instances_per_unit=unit_chips // cpi,
        capacity_rps=(unit_chips // r) * ev.capacity_rps[cand_rows],
        usd_per_hour=(unit_chips // cpi) * arrays.usd_per_hour[offering],
        max_units=np.where(listed, np.floor(max_chips / unit_chips), np.inf),
    )

    # Keep the cheapest (then lowest-carbon) offering per (candidate) -- same hardware, same
    # capacity -- and, without a share limit, drop units beaten on price and capacity.
    carbon = np.where(
        np.isfinite(arrays.grid_gco2_per_kwh[offering]), arrays.grid_gco2_per_kwh[offering], np.inf
    )
    order = np.lexsort((carbon, units.usd_per_hour, cand_rows))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = cand_rows[order][1:] != cand_rows[order][:-1]
    keep = order[first]
    # Dominance (valid only without a share limit): a unit another one beats on both price and
    # capacity, where that other unit is not capped by availability, never helps.
    cap = units.capacity_rps[keep]
    price = units.usd_per_hour[keep]
    open_ended = np.isinf(units.max_units[keep])
    beaten = (
        open_ended[None, :]
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
            ),
            chosen,
        )

    def plan(solution: FleetSolution, chosen: _Units) -> FleetPlan:
        return _fleet_plan(
            solution, chosen, ev, selected, groups, work, flt.pricing, power, evaluator
        )

    free, free_units = problem_for(keep[~beaten], None)
    cheapest_free = solve_fleet(free)
    single = best_single_type(free)
    solved = [("cheapest fleet", cheapest_free)]
    if max_vendor_share is None:
        fleet, unconstrained = plan(cheapest_free, free_units), None
        candidate_types = int(free.capacity_rps.shape[0])
    else:
        limited, limited_units = problem_for(keep, max_vendor_share)
        limited_solution = solve_fleet(limited)
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
    return ServingPlanResult(
        workload=work.to_dict(),
        constraints={"max_vendor_share": max_vendor_share, **flt.describe()},
        required_rps=work.required_rps,
        fleet=fleet,
        single_type=plan(single, free_units),
        unconstrained=unconstrained,
        savings_pct=(single.usd_per_hour - fleet.usd_per_hour) / single.usd_per_hour * 100.0,
        candidates_evaluated=int(group.shape[0]),
        candidate_types=candidate_types,
        notes=tuple(notes),
    )
