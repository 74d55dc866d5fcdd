"""Frozen result types of the planner; their JSON (``to_dict``) and JSON Schema come from them.

The shape is documented in ``docs/planner.md``; ``to_dict`` and the shipped schemas are both
generated from these types (:mod:`xpuplan.jsontypes`, ``scripts/build_schemas.py``), so they
cannot drift. A training plan is a :class:`~xpuplan.perf.training.TrainingFigures` (the
estimate's figures, under the estimate's names) plus its layout (the estimate's
:class:`~xpuplan.perf.layout.Layout`, with ``n_micro`` and ``global_batch_seqs`` beside it as in
the estimate), placement, price and energy. Fields are added, not renamed (the few renames are
listed in ``docs/planner.md``; ``xpuplan.report.upgrade_result`` reads files written before
them). Unknown numbers are ``None`` (``null`` in JSON) with a note saying why, never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NamedTuple, NotRequired, Required, TypedDict

from xpuplan.catalog.schema import PRICING_MODELS
from xpuplan.jsontypes import as_dict, finite_or_none, js, json_key
from xpuplan.perf.layout import RECOMPUTE_CODES, Layout
from xpuplan.perf.training import TrainingFigures
from xpuplan.report.notebook import NotebookMixin
from xpuplan.units import SECONDS_PER_DAY

__all__ = [
    "FleetEntry",
    "FleetPlan",
    "FleetPool",
    "LockInEntry",
    "MissingOption",
    "SearchStats",
    "ServingPlanResult",
    "Source",
    "TrainingComparison",
    "TrainingPlan",
    "TrainingPlanResult",
    "VendorFleet",
    "finite_or_none",
]

Pricing = Annotated[str, js(enum=list(PRICING_MODELS))]
AskedPricing = Annotated[
    str,
    js(
        enum=["best", *PRICING_MODELS],
        description="what the user asked: best (cheapest allowed per offering) or one "
        "pricing model",
    ),
]
# the values of xpuplan.search.training.OBJECTIVES (imported there from here would be a cycle;
# tests/test_jsontypes.py checks they agree)
Objective = Annotated[str, js(enum=["cost", "time", "co2"])]
Count = Annotated[int, js(minimum=1)]
NonNegative = Annotated[float, js(minimum=0)]
Positive = Annotated[float, js(exclusiveMinimum=0)]
OptionalNonNegative = Annotated[float | None, js(minimum=0)]
GroupKind = Literal["vendor", "software_stack"]
# what a serving replica does: everything, or one side of disaggregated prefill/decode pools
# (the values of xpuplan.fleet.POOL_ROLES; tests/test_plan_disaggregated.py checks they agree)
PoolRole = Literal["colocated", "prefill", "decode"]
ServingLayout = Literal["colocated", "disaggregated", "mixed"]
LayoutValue = int | float | str | bool | None


# --- the keys of the dict fields (workload, constraints, layouts), for the JSON Schema -------
# (a TypedDict ``XKeys`` becomes the schema definition ``x``)


class FinetuneKeys(TypedDict, total=False):
    """Fine-tuning method (LoRA / QLoRA on a frozen base) or null for full training."""

    method: Literal["full", "lora", "qlora"]
    rank: Count
    targets: str


class TrainingWorkloadKeys(TypedDict):
    """the training run being planned"""

    model: str
    tokens: Positive
    seq_len: Count
    global_batch_tokens: Count
    global_batch_seqs: Count
    precision: str
    finetune: NotRequired[FinetuneKeys | None]


class TrainingConstraintsKeys(TypedDict):
    """the limits the plans had to meet"""

    deadline_s: Positive
    deadline_is_default: bool
    budget_usd: Annotated[float | None, js(exclusiveMinimum=0)]
    max_chips: Annotated[int | None, js(minimum=1)]
    pricing: AskedPricing
    regions: list[str]
    providers: list[str]
    vendors: list[str]
    exclude_vendors: list[str]
    accelerators: list[str]
    allow_spot: NotRequired[bool]


class LayoutKeys(TypedDict):
    """parallel layout (xpuplan.perf.layout.Layout): degrees count devices (dp x tp x pp x cp
    = devices = chips x devices_per_chip); the same keys in estimate train, plan train and
    compare"""

    dp: Count
    tp: Count
    pp: Count
    cp: Count
    ep: Annotated[int, js(minimum=1, description="expert parallelism; divides dp x cp")]
    zero: Annotated[
        int,
        js(
            minimum=0,
            maximum=3,
            description="what is sharded over dp_shard: 0 nothing (DDP), 1 optimizer states, "
            "2 + gradients, 3 + weights (FSDP)",
        ),
    ]
    dp_shard: Annotated[
        int, js(minimum=1, description="devices sharing one copy of the sharded states")
    ]
    sequence_parallel: Annotated[
        bool, js(description="Megatron sequence parallelism (matters only with tp > 1)")
    ]
    recompute: Annotated[
        str, js(enum=list(RECOMPUTE_CODES), description="activation recomputation")
    ]
    micro_batch: Annotated[
        int, js(minimum=1, description="sequences per micro-batch and model replica")
    ]
    virtual_pp: Annotated[int, js(minimum=1, description="interleaved model chunks per stage")]
    devices_per_chip: Annotated[
        int,
        js(minimum=1, description="devices the degrees count per chip (NeuronCores; else 1)"),
    ]
    recompute_layers: Annotated[
        int | None,
        js(
            minimum=1,
            description="with full recomputation: layers per stage recomputed (null: all)",
        ),
    ]


class ServingWorkloadKeys(TypedDict):
    """the traffic being served and its latency targets"""

    model: str
    rate_rps: Positive
    peak_to_mean: Annotated[float, js(minimum=1)]
    input_tokens: Count
    output_tokens: Count
    ttft_p99_ms: Positive
    tpot_p99_ms: Positive
    precision: str


class ServingConstraintsKeys(TypedDict):
    """the limits the fleets had to meet"""

    max_vendor_share: Annotated[float | None, js(exclusiveMinimum=0, maximum=1)]
    pricing: AskedPricing
    regions: list[str]
    providers: list[str]
    vendors: list[str]
    exclude_vendors: list[str]
    accelerators: list[str]
    allow_spot: NotRequired[bool]
    layout: NotRequired[
        Annotated[
            str,
            js(
                enum=["colocated", "disaggregated", "any"],
                description="serving layouts the program could choose (absent in files "
                "written before xpuplan planned disaggregated pools: colocated)",
            ),
        ]
    ]


class ServingLayoutKeys(TypedDict, total=False):
    """parallel layout of one replica"""

    tp: Required[Count]
    pp: Count


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where one input of a plan comes from."""

    kind: Annotated[
        str, js(description="accelerator | offering | region | model | efficiency | power_model")
    ]
    key: Annotated[
        str,
        js(
            description="the catalog row or parameter set, e.g. aws/us-east-1/p5.48xlarge on_demand"
        ),
    ]
    source: Annotated[str, js(minLength=1)]
    as_of: Annotated[str | None, js(description="date the source was read or published")] = None
    fields: Annotated[tuple[str, ...], js(description="the numbers of that row the plan used")] = ()

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True, kw_only=True)
class TrainingPlan(TrainingFigures):
    """One concrete way to run the training job: the estimate's figures (step time, throughput,
    MFU, step-time and memory breakdowns) plus where, on what, how laid out, at what price."""

    provider: str
    region: str
    instance: str
    accelerator_id: str
    vendor: str
    software_stack: str
    country: Annotated[str | None, js(description="ISO 3166-1 alpha-2 of the region")]
    chips: Count
    instances: Count
    layout: Layout
    n_micro: Annotated[
        int,
        js(
            minimum=1,
            description="micro-batches per step and replica (gradient accumulation, or "
            "pipeline micro-batches when pp > 1): global_batch_seqs = dp x micro_batch x "
            "n_micro",
        ),
    ]
    global_batch_seqs: Annotated[
        int,
        js(
            minimum=1,
            description="sequences per step of this plan's layout (within the planner's "
            "tolerance of the requested batch)",
        ),
    ]
    global_batch_tokens: Count
    steps: Count
    wall_time_s: Positive
    usd_per_hour: Annotated[
        float, js(minimum=0, description="the whole cluster: instances x price of one instance")
    ]
    cost_usd: NonNegative
    pricing: Pricing
    energy_kwh: Annotated[
        float | None,
        js(
            minimum=0,
            description=(
                "facility energy (IT x PUE); null when the chip's TDP or the region's PUE is "
                "unknown"
            ),
        ),
    ]
    it_energy_kwh: Annotated[
        float | None,
        js(
            minimum=0,
            description="accelerator energy before PUE; null when the chip's TDP is unknown",
        ),
    ]
    co2_kg: Annotated[
        float | None,
        js(minimum=0, description="null when energy or the grid intensity is unknown"),
    ]
    grid_gco2_per_kwh: OptionalNonNegative = None
    pue: Annotated[float | None, js(minimum=1)] = None
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.instance} x{self.instances} @{self.region}"

    @property
    @json_key(after="wall_time_s")
    def wall_time_days(self) -> Positive:
        return self.wall_time_s / SECONDS_PER_DAY

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True, kw_only=True)
class LockInEntry:
    """Best plan within one vendor (or software stack) and its premium over the best overall."""

    group_kind: GroupKind
    group: str
    objective_value: float | None = None
    premium_pct: Annotated[
        float | None,
        js(
            minimum=0,
            description="(value - best overall) / best overall x 100; null without a plan",
        ),
    ] = None
    plan: TrainingPlan | None = None
    reason: Annotated[
        str | None,
        js(description="why this vendor or stack has no plan, and what would change it"),
    ] = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class SearchStats:
    """How big the search was and what each constraint removed (for --explain and errors)."""

    offerings: Annotated[int, js(minimum=0)]
    hardware_groups: Annotated[int, js(minimum=0)]
    candidates_evaluated: Annotated[int, js(minimum=0)]
    feasible_plans: Annotated[int, js(minimum=0)]
    removed_by: dict[str, Annotated[int, js(minimum=0)]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class TrainingPlanResult(NotebookMixin):
    """What ``plan_training`` returns: ranked plans, the cost/time front, lock-in premiums."""

    workload: Annotated[dict[str, Any], js(shape=TrainingWorkloadKeys)]
    constraints: Annotated[dict[str, Any], js(shape=TrainingConstraintsKeys)]
    objective: Objective
    plans: Annotated[tuple[TrainingPlan, ...], js(minItems=1, description="best first")]
    pareto: Annotated[
        tuple[TrainingPlan, ...], js(description="no plan is both cheaper and faster")
    ]
    lock_in: tuple[LockInEntry, ...]
    stats: SearchStats
    notes: tuple[str, ...] = ()

    @property
    @json_key(after=None)
    def kind(self) -> Literal["training_plan"]:
        return "training_plan"

    @property
    def best(self) -> TrainingPlan:
        return self.plans[0]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class MissingOption(NamedTuple):
    """An option (or a vendor, with ``--vendors``) that has no plan, and the exact reason."""

    option: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TrainingComparison(NotebookMixin):
    """Two or more concrete options on the same training run; ratios are relative to the first."""

    workload: Annotated[dict[str, Any], js(shape=TrainingWorkloadKeys)]
    options: Annotated[tuple[str, ...], js(minItems=1)]
    plans: Annotated[tuple[TrainingPlan, ...], js(minItems=1)]
    relative_pct: Annotated[
        tuple[dict[str, float | None], ...], js(description="per option vs option 1, in percent")
    ]
    missing: Annotated[
        tuple[MissingOption, ...],
        js(
            optional=True,
            description="options (or vendors with --vendors) that have no plan, each with the "
            "exact reason",
        ),
    ] = ()
    notes: tuple[str, ...] = ()

    @property
    @json_key(after=None)
    def kind(self) -> Literal["training_comparison"]:
        return "training_comparison"

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True, kw_only=True)
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
    chips_per_replica: Count
    chips_per_instance: Count
    layout: Annotated[dict[str, Any], js(shape=ServingLayoutKeys, extra_values=LayoutValue)]
    capacity_rps_per_replica: Positive
    replicas: Count
    instances: Annotated[
        int, js(minimum=1, description="instances rented for all replicas of this type")
    ]
    usd_per_instance_hour: Positive
    pricing: Pricing
    # Predicted p99 latencies of one replica at its capacity_rps_per_replica (None: unknown);
    # the fleet runs at or below that load, so these are its worst case against the targets.
    # Same names and unit as the serving estimate's (ServingEstimate.ttft_p99_ms).
    ttft_p99_ms: Annotated[
        float | None,
        js(
            optional=True,
            minimum=0,
            description="Predicted p99 time to first token of one replica loaded to "
            "capacity_rps_per_replica, in ms; null when the estimator gives none (absent in "
            "files written before xpuplan carried it).",
        ),
    ] = None
    tpot_p99_ms: Annotated[
        float | None,
        js(
            optional=True,
            minimum=0,
            description="Predicted p99 time per output token of one replica loaded to "
            "capacity_rps_per_replica, in ms; null when the estimator gives none (absent in "
            "files written before xpuplan carried it).",
        ),
    ] = None
    sources: tuple[Source, ...] = ()
    role: Annotated[
        PoolRole,
        js(
            optional=True,
            description="colocated: a replica prefills and decodes; prefill / decode: a member "
            "of a disaggregated pool, whose capacity_rps_per_replica is prompts/s prefilled "
            "within the TTFT target (KV transfer included) / requests/s decoded within the "
            "TPOT target (absent in files written before xpuplan planned pools: colocated)",
        ),
    ] = "colocated"

    @property
    @json_key(after="instances")
    def chips(self) -> Count:
        return self.replicas * self.chips_per_replica

    @property
    @json_key(after="chips")
    def capacity_rps(self) -> Positive:
        return self.replicas * self.capacity_rps_per_replica

    @property
    @json_key(after="usd_per_instance_hour")
    def usd_per_hour(self) -> Positive:
        return self.instances * self.usd_per_instance_hour

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class FleetPool:
    """The replicas of one role in a fleet: their chips, cost and mean utilisation."""

    role: PoolRole
    chips: Count
    instances: Count
    usd_per_hour: Positive
    capacity_rps: Annotated[
        float,
        js(
            exclusiveMinimum=0,
            description="requests/s the pool sustains within its targets (prefill: prompts/s)",
        ),
    ]
    utilisation: Annotated[
        float, js(minimum=0, description="mean request rate / capacity_rps of this pool")
    ]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class FleetPlan:
    """A serving fleet and what it costs per hour and per million tokens at the mean rate."""

    entries: Annotated[tuple[FleetEntry, ...], js(minItems=1)]
    usd_per_hour: Positive
    capacity_rps: Positive
    vendor_capacity_share: dict[str, Annotated[float, js(minimum=0, maximum=1)]]
    usd_per_million_tokens: Positive  # input + output tokens served at the mean rate
    usd_per_million_output_tokens: Positive
    energy_kwh_per_hour: OptionalNonNegative
    co2_kg_per_hour: OptionalNonNegative
    pools: Annotated[
        tuple[FleetPool, ...],
        js(
            optional=True,
            description="per role (colocated, prefill, decode): chips, cost and utilisation "
            "(absent in files written before xpuplan planned pools)",
        ),
    ] = ()

    @property
    @json_key(after="entries")
    def chips(self) -> Count:
        return sum(e.replicas * e.chips_per_replica for e in self.entries)

    @property
    @json_key(after=None)
    def layout(
        self,
    ) -> Annotated[
        ServingLayout,
        js(
            optional=True,
            description="colocated replicas, disaggregated prefill and decode pools, or mixed "
            "(both); absent in files written before xpuplan planned pools: colocated",
        ),
    ]:
        """colocated, disaggregated (prefill and decode pools) or mixed (both)."""
        roles = {e.role for e in self.entries}
        if roles == {"colocated"}:
            return "colocated"
        return "disaggregated" if "colocated" not in roles else "mixed"

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class VendorFleet:
    """The best single-type fleet of one vendor (or stack), or why it has none."""

    group_kind: GroupKind
    group: str
    fleet: FleetPlan | None = None
    premium_pct: Annotated[
        float | None, js(minimum=0, description="over the cheapest fleet overall")
    ] = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True, kw_only=True)
class ServingPlanResult(NotebookMixin):
    """What ``plan_serving`` returns: the cheapest (maybe mixed) fleet and the best single type."""

    workload: Annotated[dict[str, Any], js(shape=ServingWorkloadKeys)]
    constraints: Annotated[dict[str, Any], js(shape=ServingConstraintsKeys)]
    required_rps: Positive
    fleet: FleetPlan
    single_type: FleetPlan
    savings_pct: Annotated[
        float,
        js(
            description="(single type - fleet) / single type x 100; negative when the share "
            "limit binds"
        ),
    ]
    unconstrained: Annotated[
        FleetPlan | None, js(description="cheapest fleet without the vendor-share limit")
    ] = None
    candidates_evaluated: Annotated[int, js(minimum=0)]
    candidate_types: Annotated[int, js(minimum=0)]
    vendors: Annotated[
        tuple[VendorFleet, ...],
        js(
            optional=True,  # absent in files written before xpuplan carried it
            description="every catalog vendor and software stack: its cheapest single-type "
            "fleet or the reason it has none",
        ),
    ] = ()
    notes: tuple[str, ...] = ()

    @property
    @json_key(after=None)
    def kind(self) -> Literal["serving_plan"]:
        return "serving_plan"

    @property
    @json_key(after="unconstrained")
    def share_limit_premium_pct(self) -> float | None:
        """(fleet - unconstrained) / unconstrained x 100: what the share limit costs."""
        if self.unconstrained is None:
            return None
        base = self.unconstrained.usd_per_hour
        return (self.fleet.usd_per_hour - base) / base * 100.0

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)
