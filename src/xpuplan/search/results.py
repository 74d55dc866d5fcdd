"""Frozen result types of the planner and their stable JSON shape (``to_dict``).

The shape is documented in ``docs/planner.md``; the report, the JSON schema and the SkyPilot
export read it, so fields are only ever added, never renamed. Unknown numbers are ``None``
(``null`` in JSON) with a note saying why, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from xpuplan.report.notebook import NotebookMixin

__all__ = [
    "FleetEntry",
    "FleetPlan",
    "LockInEntry",
    "SearchStats",
    "ServingPlanResult",
    "Source",
    "TrainingComparison",
    "TrainingPlan",
    "TrainingPlanResult",
    "VendorFleet",
    "finite_or_none",
]


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or None when it is None, NaN or infinite."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class Source:
    """Where one input of a plan comes from: a catalog row or a modelling parameter."""

    kind: str  # accelerator | offering | region | model | efficiency | power_model
    key: str  # e.g. "nvidia-h100-sxm", "aws/us-east-1/p5.48xlarge on_demand"
    source: str
    as_of: str | None = None
    fields: tuple[str, ...] = ()  # the numbers of that row the plan used

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "source": self.source,
            "as_of": self.as_of,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class TrainingPlan:
    """One concrete way to run the training job: where, on what, how laid out, at what price."""

    provider: str
    region: str
    instance: str
    accelerator_id: str
    vendor: str
    software_stack: str
    country: str | None
    chips: int
    instances: int
    layout: dict[str, Any]
    step_time_s: float
    steps: int
    wall_time_s: float
    usd_per_hour: float  # the whole cluster: instances x price of one instance
    cost_usd: float
    pricing: str
    energy_kwh: float | None
    co2_kg: float | None
    mfu: float
    tokens_per_s: float
    it_energy_kwh: float | None  # accelerators only, before PUE (known even when PUE is not)
    memory_gb_per_chip: dict[str, float]  # breakdown; "total" is the sum of the parts
    step_time_breakdown_s: dict[str, float]  # breakdown; "total" is the step time
    grid_gco2_per_kwh: float | None = None
    pue: float | None = None
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.instance} x{self.instances} @{self.region}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "instance": self.instance,
            "accelerator_id": self.accelerator_id,
            "vendor": self.vendor,
            "software_stack": self.software_stack,
            "country": self.country,
            "chips": self.chips,
            "instances": self.instances,
            "layout": dict(self.layout),
            "step_time_s": self.step_time_s,
            "steps": self.steps,
            "wall_time_s": self.wall_time_s,
            "wall_time_days": self.wall_time_s / 86400.0,
            "usd_per_hour": self.usd_per_hour,
            "cost_usd": self.cost_usd,
            "pricing": self.pricing,
            "energy_kwh": finite_or_none(self.energy_kwh),
            "it_energy_kwh": finite_or_none(self.it_energy_kwh),
            "co2_kg": finite_or_none(self.co2_kg),
            "mfu": self.mfu,
            "tokens_per_s": self.tokens_per_s,
            "memory_gb_per_chip": dict(self.memory_gb_per_chip),
            "step_time_breakdown_s": dict(self.step_time_breakdown_s),
            "grid_gco2_per_kwh": finite_or_none(self.grid_gco2_per_kwh),
            "pue": finite_or_none(self.pue),
            "notes": list(self.notes),
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True)
class LockInEntry:
    """Best plan within one vendor (or software stack) and its premium over the best overall."""

    group_kind: str  # "vendor" | "software_stack"
    group: str
    plan: TrainingPlan | None = None
    objective_value: float | None = None
    premium_pct: float | None = None  # (value - best value) / best value x 100, >= 0
    reason: str | None = None  # why there is no plan, and what would change it

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_kind": self.group_kind,
            "group": self.group,
            "objective_value": finite_or_none(self.objective_value),
            "premium_pct": finite_or_none(self.premium_pct),
            "plan": None if self.plan is None else self.plan.to_dict(),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SearchStats:
    """How big the search was and what each constraint removed (for --explain and errors)."""

    offerings: int
    hardware_groups: int
    candidates_evaluated: int
    feasible_plans: int
    removed_by: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "offerings": self.offerings,
            "hardware_groups": self.hardware_groups,
            "candidates_evaluated": self.candidates_evaluated,
            "feasible_plans": self.feasible_plans,
            "removed_by": dict(self.removed_by),
        }


@dataclass(frozen=True)
class TrainingPlanResult(NotebookMixin):
    """What ``plan_training`` returns: ranked plans, the cost/time front, lock-in premiums."""

    workload: dict[str, Any]
    constraints: dict[str, Any]
    objective: str
    plans: tuple[TrainingPlan, ...]
    pareto: tuple[TrainingPlan, ...]
    lock_in: tuple[LockInEntry, ...]
    stats: SearchStats
    notes: tuple[str, ...] = ()

    @property
    def best(self) -> TrainingPlan:
        return self.plans[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "training_plan",
            "workload": dict(self.workload),
            "constraints": dict(self.constraints),
            "objective": self.objective,
            "plans": [p.to_dict() for p in self.plans],
            "pareto": [p.to_dict() for p in self.pareto],
            "lock_in": [e.to_dict() for e in self.lock_in],
            "stats": self.stats.to_dict(),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TrainingComparison(NotebookMixin):
    """Two or more concrete options on the same training run; ratios are relative to the first."""

    workload: dict[str, Any]
    options: tuple[str, ...]
    plans: tuple[TrainingPlan, ...]
    relative_pct: tuple[dict[str, float | None], ...]  # per option vs option 1, in percent
    notes: tuple[str, ...] = ()
    missing: tuple[tuple[str, str], ...] = ()  # (option, reason) of options with no plan

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "training_comparison",
            "workload": dict(self.workload),
            "options": list(self.options),
            "plans": [p.to_dict() for p in self.plans],
            "relative_pct": [dict(r) for r in self.relative_pct],
            "missing": [{"option": o, "reason": r} for o, r in self.missing],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class FleetEntry:
    """Replicas of one (offering, layout) type in a serving fleet.

    Instances are rented whole: a replica smaller than an instance shares it with others
    (``replicas_per_instance`` > 1), a larger one spans several instances.
    """

    provider: str
    region: str
    instance: str
    accelerator_id: str
    vendor: str
    software_stack: str
    chips_per_replica: int
    chips_per_instance: int
    layout: dict[str, Any]
    capacity_rps_per_replica: float
    replicas: int
    instances: int
    usd_per_instance_hour: float
    pricing: str
    sources: tuple[Source, ...] = ()
    # Predicted p99 latencies of one replica at its capacity_rps_per_replica (None: unknown);
    # the fleet runs at or below that load, so these are its worst case against the targets.
    ttft_p99_s: float | None = None
    tpot_p99_s: float | None = None

    @property
    def usd_per_hour(self) -> float:
        return self.instances * self.usd_per_instance_hour

    @property
    def capacity_rps(self) -> float:
        return self.replicas * self.capacity_rps_per_replica

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "instance": self.instance,
            "accelerator_id": self.accelerator_id,
            "vendor": self.vendor,
            "software_stack": self.software_stack,
            "chips_per_replica": self.chips_per_replica,
            "chips_per_instance": self.chips_per_instance,
            "layout": dict(self.layout),
            "capacity_rps_per_replica": self.capacity_rps_per_replica,
            "replicas": self.replicas,
            "instances": self.instances,
            "chips": self.replicas * self.chips_per_replica,
            "capacity_rps": self.capacity_rps,
            "usd_per_instance_hour": self.usd_per_instance_hour,
            "usd_per_hour": self.usd_per_hour,
            "pricing": self.pricing,
            "ttft_p99_ms": None if self.ttft_p99_s is None else self.ttft_p99_s * 1e3,
            "tpot_p99_ms": None if self.tpot_p99_s is None else self.tpot_p99_s * 1e3,
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True)
class FleetPlan:
    """A serving fleet and what it costs per hour and per million tokens at the mean rate."""

    entries: tuple[FleetEntry, ...]
    usd_per_hour: float
    capacity_rps: float
    vendor_capacity_share: dict[str, float]
    usd_per_million_tokens: float  # input + output tokens served at the mean rate
    usd_per_million_output_tokens: float
    energy_kwh_per_hour: float | None
    co2_kg_per_hour: float | None

    @property
    def chips(self) -> int:
        return sum(e.replicas * e.chips_per_replica for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [e.to_dict() for e in self.entries],
            "chips": self.chips,
            "usd_per_hour": self.usd_per_hour,
            "capacity_rps": self.capacity_rps,
            "vendor_capacity_share": dict(self.vendor_capacity_share),
            "usd_per_million_tokens": self.usd_per_million_tokens,
            "usd_per_million_output_tokens": self.usd_per_million_output_tokens,
            "energy_kwh_per_hour": finite_or_none(self.energy_kwh_per_hour),
            "co2_kg_per_hour": finite_or_none(self.co2_kg_per_hour),
        }


@dataclass(frozen=True)
class VendorFleet:
    """The best single-type fleet of one vendor (or stack), or why it has none."""

    group_kind: str  # "vendor" | "software_stack"
    group: str
    fleet: FleetPlan | None = None
    premium_pct: float | None = None  # over the cheapest fleet overall
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_kind": self.group_kind,
            "group": self.group,
            "fleet": None if self.fleet is None else self.fleet.to_dict(),
            "premium_pct": finite_or_none(self.premium_pct),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ServingPlanResult(NotebookMixin):
    """What ``plan_serving`` returns: the cheapest (maybe mixed) fleet and the best single type."""

    workload: dict[str, Any]
    constraints: dict[str, Any]
    required_rps: float
    fleet: FleetPlan
    single_type: FleetPlan
    savings_pct: float  # (single - fleet) / single x 100; negative when the share limit binds
    candidates_evaluated: int
    candidate_types: int
    unconstrained: FleetPlan | None = None  # cheapest fleet without the vendor-share limit
    notes: tuple[str, ...] = ()
    vendors: tuple[VendorFleet, ...] = ()  # every catalog vendor and stack: fleet or reason

    @property
    def share_limit_premium_pct(self) -> float | None:
        """(fleet - unconstrained) / unconstrained x 100: what the share limit costs."""
        if self.unconstrained is None:
            return None
        base = self.unconstrained.usd_per_hour
        return (self.fleet.usd_per_hour - base) / base * 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "serving_plan",
            "workload": dict(self.workload),
            "constraints": dict(self.constraints),
            "required_rps": self.required_rps,
            "fleet": self.fleet.to_dict(),
            "single_type": self.single_type.to_dict(),
            "savings_pct": self.savings_pct,
            "unconstrained": None if self.unconstrained is None else self.unconstrained.to_dict(),
            "share_limit_premium_pct": self.share_limit_premium_pct,
            "candidates_evaluated": self.candidates_evaluated,
            "candidate_types": self.candidate_types,
            "vendors": [v.to_dict() for v in self.vendors],
            "notes": list(self.notes),
        }
