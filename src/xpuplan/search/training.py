"""Search every offering x chip count x layout for a training run, ranked and explained.

Pipeline (all numpy; the only Python loops run over offerings and hardware groups, never over
candidates):

1. ``group_hardware``: selected offerings -> hardware groups (region/price-free);
2. chip counts per group (instance ladder or slice sizes, capped by max chips);
3. ``perf.layout.enumerate_layouts``: every layout of every (group, chips) pair that passes
   the layout rules (the grid and rules ``best_layout`` uses too);
4. the training estimator evaluates all rows at once (step time, MFU, memory, fits-in-HBM);
5. per (group, chips) the memory-feasible layout with the least time per token is kept: it is
   also the cheapest and the lowest-energy one for that pair, since price and power do not
   depend on the layout;
6. pairs are broadcast to the group's offerings (price, grid, PUE) -> plans with wall time,
   cost, energy and CO2;
7. deadline and budget filter the plans; each stage is counted so that an empty result names
   the constraint that removed the last candidates and how far off the nearest one was.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import PRICING_MODELS, Accelerator, Offering, Region
from xpuplan.energy import EnergyBreakdown, PowerModel, run_energy
from xpuplan.errors import InfeasibleError
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import LayoutArrays, LayoutGrid, enumerate_layouts
from xpuplan.search.filters import SelectedOffering
from xpuplan.search.pareto import pareto_front
from xpuplan.search.pricing import TERM_HOURS, PricedRows, SpotModel, choose_pricing
from xpuplan.search.results import (
    LockInEntry,
    SearchStats,
    Source,
    TrainingPlan,
    finite_or_none,
)
from xpuplan.search.space import (
    HardwareGroup,
    OfferingArrays,
    build_offering_arrays,
    chip_counts,
    price_classes,
)
from xpuplan.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "OBJECTIVES",
    "TrainingEvaluation",
    "TrainingEvaluator",
    "TrainingSearch",
    "TrainingWorkload",
    "chip_count_pairs",
    "format_duration",
    "format_usd",
    "search_training",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Progress = Callable[[str, float], None]

OBJECTIVES: tuple[str, ...] = ("cost", "time", "co2")
# Rows per call of the estimator (cut at hardware-group boundaries); bounds peak memory and
# paces the progress callback.
_CHUNK = 40_000


@dataclass(frozen=True)
class TrainingWorkload:
    """What to train: model, tokens, sequence length, global batch and precision."""

    model: ModelSpec
    tokens: float
    seq_len: int
    global_batch_tokens: int
    precision: str = "bf16"
    finetune: Any = None  # xpuplan.perf.training.Finetune (None: full training)

    @property
    def global_batch_seqs(self) -> int:
        return max(1, round(self.global_batch_tokens / self.seq_len))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "tokens": self.tokens,
            "seq_len": self.seq_len,
            "global_batch_tokens": self.global_batch_seqs * self.seq_len,
            "global_batch_seqs": self.global_batch_seqs,
            "precision": self.precision,
            "finetune": None if self.finetune is None else self.finetune.to_dict(),
        }


@dataclass(frozen=True)
class TrainingEvaluation:
    """The estimator's answer for every row of a :class:`LayoutArrays`."""

    step_time_s: FloatArray
    mfu: FloatArray
    memory_gb: FloatArray  # per chip
    hbm_gb: FloatArray  # usable memory per chip the fit is checked against
    fits: BoolArray  # memory feasibility (and any other hard limit the estimator knows)
    memory_breakdown_gb: Mapping[str, FloatArray]  # parts sum to memory_gb
    time_breakdown_s: Mapping[str, FloatArray]  # parts sum to step_time_s


class TrainingEvaluator(Protocol):
    """What the planner needs from the training estimator: a vectorized evaluation."""

    def __call__(
        self,
        workload: TrainingWorkload,
        groups: Sequence[HardwareGroup],
        layouts: LayoutArrays,
    ) -> TrainingEvaluation: ...

    def sources(self, group: HardwareGroup) -> tuple[Source, ...]:
        """Efficiency parameters (with source and as_of) used for this hardware."""
        ...


@dataclass(frozen=True)
class TrainingSearch:
    """Constraints and ranking of a training search."""

    objective: str = "cost"
    deadline_s: float | None = None
    deadline_is_default: bool = False
    budget_usd: float | None = None
    max_chips: int | None = None
    top: int = 10
    power: PowerModel = field(default_factory=PowerModel)
    layout_grid: LayoutGrid = field(default_factory=LayoutGrid)
    pricing: str = "on_demand"  # what the user asked: a pricing model or "best"
    pricing_models: tuple[str, ...] = ("on_demand",)  # the models a plan may use
    spot: SpotModel = field(default_factory=SpotModel)
    today: dt.date | None = None  # for price-age notes; None means the real date
    stale_price_days: int = 180


def format_duration(seconds: float) -> str:
    """``9.3d``, ``14.2h``, ``35min`` or ``12s``."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds >= SECONDS_PER_DAY:
        return f"{seconds / SECONDS_PER_DAY:.3g}d"
    if seconds >= SECONDS_PER_HOUR:
        return f"{seconds / SECONDS_PER_HOUR:.3g}h"
    if seconds >= 60:
        return f"{seconds / 60:.3g}min"
    return f"{seconds:.3g}s"


def format_usd(value: float) -> str:
    """``$7.2M``, ``$530k``, ``$12.50``."""
    if not math.isfinite(value):
        return "n/a"
    if value >= 1e9:
        return f"${value / 1e9:.3g}B"
    if value >= 1e6:
        return f"${value / 1e6:.3g}M"
    if value >= 1e4:
        return f"${value / 1e3:.3g}k"
    return f"${value:,.2f}"


def chip_count_pairs(groups: Sequence[HardwareGroup]) -> tuple[IntArray, IntArray]:
    """All (group, chips) pairs as two flat arrays."""
    pg: list[IntArray] = []
    pc: list[IntArray] = []
    for g, group in enumerate(groups):
        counts = chip_counts(group.chips_per_instance, group.allowed_chip_counts, group.max_chips)
        pg.append(np.full(counts.shape[0], g, dtype=np.int64))
        pc.append(counts)
    if not pg:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(pg), np.concatenate(pc)


def _evaluate_chunked(
    evaluator: TrainingEvaluator,
    workload: TrainingWorkload,
    groups: Sequence[HardwareGroup],
    layouts: LayoutArrays,
    progress: Progress | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    n = len(layouts)
    step = np.empty(n)
    mfu = np.empty(n)
    mem = np.empty(n)
    hbm = np.empty(n)
    fits = np.empty(n, dtype=bool)
    # Layout rows come ordered by hardware group; cut chunks where a group starts.
    group_starts = np.flatnonzero(np.r_[True, layouts.group[1:] != layouts.group[:-1]][:n])
    cuts = [0]
    for start in group_starts.tolist():
        if start - cuts[-1] >= _CHUNK:
            cuts.append(start)
    cuts.append(n)
    for start, end in itertools.pairwise(cuts):
        index = slice(start, end)
        ev = evaluator(workload, groups, layouts.slice(start, end))  # views, no copy
        step[index] = ev.step_time_s
        mfu[index] = ev.mfu
        mem[index] = ev.memory_gb
        hbm[index] = ev.hbm_gb
        fits[index] = ev.fits
        if progress is not None:
            progress("evaluating layouts", end / n)
    return step, mfu, mem, hbm, fits


@dataclass(frozen=True)
class _SameRows:
    """Plan rows that are exact copies (same pair, same price class): each row's class row,
    and each class row's first plan row (ascending)."""

    class_row: IntArray
    first_row: IntArray


@dataclass(frozen=True)
class _Rows:
    """Plan rows: one per (offering, group-chips pair), with its best layout."""

    offering: IntArray
    layout: IntArray  # row in the layouts arrays
    chips: IntArray
    instances: IntArray
    wall_time_s: FloatArray
    usd_per_hour: FloatArray
    cost_usd: FloatArray
    energy_kwh: FloatArray
    it_energy_kwh: FloatArray
    co2_kg: FloatArray
    pricing: IntArray  # index into PRICING_MODELS, -1 where no allowed price applies


def _objective_order(objective: str, rows: _Rows, index: IntArray, same: _SameRows) -> IntArray:
    """``index`` (ascending) sorted by the objective with ties broken by the other two metrics,
    then by row. Rows of one class row share their metrics: the class rows are ranked (few)
    and the rows sorted stably by their class row's rank."""
    first = same.first_row
    cost = rows.cost_usd[first]
    time = rows.wall_time_s[first]
    co2 = np.where(np.isfinite(rows.co2_kg[first]), rows.co2_kg[first], np.inf)
    keys = {"cost": (co2, time, cost), "time": (co2, cost, time), "co2": (time, cost, co2)}
    order = np.lexsort(keys[objective])
    changed = np.zeros(max(order.shape[0] - 1, 0), dtype=bool)
    for key in keys[objective]:
        a, b = key[order][1:], key[order][:-1]
        changed |= (a != b) & ~(np.isnan(a) & np.isnan(b))  # lexsort ties NaN with NaN
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.concatenate(([0], np.cumsum(changed)))
    return index[np.argsort(rank[same.class_row[index]], kind="stable")]


def _codes(keys: Sequence[object]) -> IntArray:
    """Integer codes of hashable keys (equal keys get equal codes)."""
    table: dict[object, int] = {}
    return np.array([table.setdefault(k, len(table)) for k in keys], dtype=np.int64)


def _first_per_key(
    ranked: IntArray, key: Callable[[IntArray], IntArray], limit: int | None = None
) -> list[int]:
    """The first element of ``ranked`` for every distinct ``key`` (a function of rows), in
    ranked order; only the first ``limit`` of them when given. The keys are read on a
    growing prefix of ``ranked`` until it holds enough distinct ones (the first distinct keys
    of a prefix are those of the whole), so a large search reads a few thousand rows."""
    wanted = limit
    if wanted is None:
        wanted = int(np.count_nonzero(np.bincount(key(ranked)))) if ranked.size else 0
    end = 4096
    while True:
        _, first = np.unique(key(ranked[:end]), return_index=True)
        if first.shape[0] >= wanted or end >= ranked.shape[0]:
            return [int(ranked[p]) for p in np.sort(first)[:wanted]]
        end *= 8


def _objective_values(objective: str, rows: _Rows) -> FloatArray:
    if objective == "cost":
        return rows.cost_usd
    if objective == "time":
        return rows.wall_time_s
    return rows.co2_kg


def search_training(
    workload: TrainingWorkload,
    catalog: Catalog,
    selected: Sequence[SelectedOffering],
    groups: Sequence[HardwareGroup],
    search: TrainingSearch,
    evaluator: TrainingEvaluator,
    progress: Progress | None = None,
) -> tuple[
    tuple[TrainingPlan, ...], tuple[TrainingPlan, ...], tuple[LockInEntry, ...], SearchStats
]:
    """Top plans, the cost/time Pareto front, lock-in premiums and search statistics."""
    removed: dict[str, int] = {}
    pair_group, pair_chips = chip_count_pairs(groups)
    if pair_group.size == 0:
        smallest = min(
            groups,
            key=lambda g: (
                min(g.allowed_chip_counts) if g.allowed_chip_counts else g.chips_per_instance
            ),
        )
        unit = (
            min(smallest.allowed_chip_counts)
            if smallest.allowed_chip_counts
            else smallest.chips_per_instance
        )
        raise InfeasibleError(
            f"max_chips={search.max_chips}: every offering needs more chips; the smallest "
            f"rentable unit is {unit} x {smallest.accelerator.id}"
        )
    domain = np.array([g.scaleup_domain_chips for g in groups], dtype=np.int64)
    rules: dict[str, int] = {}
    layouts = enumerate_layouts(
        workload.model,
        pair_chips,  # one device per chip in the planner
        seq_len=workload.seq_len,
        global_batch_seqs=workload.global_batch_seqs,
        grid=search.layout_grid,
        domain_devices=domain[pair_group],
        group=pair_group,
        removed=rules,
    )
    if len(layouts) == 0:
        last = [rule for rule, n in rules.items() if n]
        raise InfeasibleError(
            f"layout: no layout of any chip count passes the rule '{last[-1] if last else ''}' "
            f"(global batch {workload.global_batch_seqs} sequences of {workload.seq_len} "
            "tokens); raise global_batch_tokens, use fewer chips or unpin layout knobs"
        )
    step, mfu, mem, hbm, fits = _evaluate_chunked(evaluator, workload, groups, layouts, progress)
    evaluated = len(layouts)
    batch_tokens = layouts.global_batch_seqs * workload.seq_len
    time_per_token = np.where(fits, step / batch_tokens, np.inf)
    removed["memory"] = int((~fits).sum())
    if not fits.any():
        ratio = mem / hbm
        j = int(np.argmin(ratio))
        g = groups[int(layouts.group[j])]
        raise InfeasibleError(
            f"memory: no layout fits in device memory; the closest needs {mem[j]:.1f} GB per "
            f"chip vs {hbm[j]:.0f} GB usable on {int(layouts.devices[j])} x {g.accelerator.id} "
            f"(tp={int(layouts.tp[j])}, pp={int(layouts.pp[j])}); allow more chips "
            "(max_chips) or choose chips with more memory"
        )

    # 5. best layout per (group, chips) pair.
    order = np.lexsort((np.arange(evaluated), time_per_token, layouts.pair))
    first = np.ones(evaluated, dtype=bool)
    first[1:] = layouts.pair[order][1:] != layouts.pair[order][:-1]
    best = order[first]
    best = best[np.isfinite(time_per_token[best])]

    # 6. broadcast pairs to offerings.
    arrays = build_offering_arrays(selected, groups)
    members = [np.array(g.members, dtype=np.int64) for g in groups]
    best_group = layouts.group[best]
    counts = np.array([members[int(g)].shape[0] for g in best_group], dtype=np.int64)
    layout_row = np.repeat(best, counts)
    offering = (
        np.concatenate([members[int(g)] for g in best_group])
        if best.size
        else np.empty(0, np.int64)
    )
    chips = layouts.devices[layout_row]
    instances = chips // arrays.chips_per_instance[offering]
    priced, energy, same = _price_rows(
        workload, search, arrays, layouts, step, mfu, best, counts, offering, len(groups)
    )
    wall = priced.wall_time_s
    usd_per_hour = priced.usd_per_hour
    cost = priced.cost_usd
    rows = _Rows(
        offering=offering,
        layout=layout_row,
        chips=chips,
        instances=instances,
        wall_time_s=wall,
        usd_per_hour=usd_per_hour,
        cost_usd=cost,
        energy_kwh=energy.energy_kwh,
        it_energy_kwh=energy.it_energy_kwh,
        co2_kg=energy.co2_kg,
        pricing=priced.model,
    )

    # 7. pricing limits, deadline and budget.
    def describe(i: int) -> str:
        o = selected[int(rows.offering[i])].offering
        return (
            f"{int(rows.chips[i])} x {o.accelerator_id} ({o.provider}:{o.instance} "
            f"x{int(rows.instances[i])} in {o.region})"
        )

    alive = priced.model >= 0
    if priced.removed_by_limits:
        removed["pricing limits"] = priced.removed_by_limits
    if not alive.any():
        raise InfeasibleError(
            f"pricing={search.pricing}: every plan exceeds the limits of its only allowed "
            "pricing model (capacity blocks: at most 64 instances and 182 days); allow another "
            "pricing model or use fewer chips"
        )
    stages: dict[str, BoolArray] = {"priced": alive.copy()}
    if search.deadline_s is not None:
        ok = wall <= search.deadline_s
        removed["deadline"] = int((alive & ~ok).sum())
        if not (alive & ok).any():
            i = int(np.argmin(np.where(alive, wall, np.inf)))
            raise InfeasibleError(
                f"deadline {format_duration(search.deadline_s)}"
                + (" (the default)" if search.deadline_is_default else "")
                + ": the fastest feasible plan "
                f"takes {format_duration(float(wall[i]))} on {describe(i)}; allow more chips "
                "(max_chips), a larger global_batch_tokens, more offerings or a later "
                "deadline"
            )
        alive &= ok
    stages["deadline"] = alive.copy()
    if search.budget_usd is not None:
        ok = cost <= search.budget_usd
        removed["budget"] = int((alive & ~ok).sum())
        if not (alive & ok).any():
            i = int(np.argmin(np.where(alive, cost, np.inf)))
            within = " meeting the deadline" if search.deadline_s is not None else ""
            raise InfeasibleError(
                f"budget {format_usd(search.budget_usd)}: the cheapest plan{within} costs "
                f"{format_usd(float(cost[i]))} on {describe(i)} "
                f"(takes {format_duration(float(wall[i]))})"
            )
        alive &= ok
    feasible = np.flatnonzero(alive)
    ranked = _objective_order(search.objective, rows, feasible, same)

    # Top plans: the best region/chip count per (provider, instance).
    # Codes only for the offerings of the ranking's prefix that _first_per_key reads.
    instance_code: dict[tuple[str, str], int] = {}

    def instance_of(i: IntArray) -> IntArray:
        offerings = (selected[o].offering for o in rows.offering[i].tolist())
        keys = ((o.provider, o.instance) for o in offerings)
        return np.array([instance_code.setdefault(k, len(instance_code)) for k in keys], np.int64)

    top = _first_per_key(ranked, instance_of, search.top)

    # Plan rows of one class row are exact duplicates: the front keeps the first of them,
    # so the front over class rows (each by its first plan row) is the same front.
    alike = same.first_row[alive[same.first_row]]
    front = alike[pareto_front(rows.cost_usd[alike], rows.wall_time_s[alike])]

    build = _PlanBuilder(
        workload, catalog, selected, groups, search, evaluator, layouts, rows, step, mfu
    )
    plans = tuple(build(i) for i in top)
    pareto = tuple(build(int(i)) for i in front)
    values = _objective_values(search.objective, rows)
    best_value = float(values[ranked[0]])
    lock_in: list[LockInEntry] = []
    group_of_row = arrays.group[rows.offering]
    for kind in ("vendor", "software_stack"):
        names = [
            g.accelerator.vendor if kind == "vendor" else g.accelerator.software_stack
            for g in groups
        ]
        name_code = _codes(names)
        found = set()
        for i in _first_per_key(ranked, name_code[group_of_row].__getitem__):
            value = float(values[i])
            premium = (value - best_value) / best_value * 100.0 if best_value > 0 else 0.0
            name = names[int(group_of_row[i])]
            found.add(name)
            lock_in.append(
                LockInEntry(
                    group_kind=kind,
                    group=name,
                    plan=build(int(i)),
                    objective_value=value,
                    premium_pct=premium,
                )
            )
        for name in dict.fromkeys(names):
            if name in found:
                continue
            codes = np.flatnonzero(np.array(names) == name)
            mine = np.isin(group_of_row, codes)
            reason = _no_plan_reason(name, mine, stages, rows, search, describe, groups, codes)
            lock_in.append(LockInEntry(group_kind=kind, group=name, reason=reason))
    stats = SearchStats(
        offerings=len(selected),
        hardware_groups=len(groups),
        candidates_evaluated=evaluated,
        feasible_plans=int(feasible.size),
        removed_by={k: v for k, v in removed.items() if v},
    )
    return plans, pareto, tuple(lock_in), stats


def _price_rows(
    workload: TrainingWorkload,
    search: TrainingSearch,
    arrays: OfferingArrays,
    layouts: LayoutArrays,
    step: FloatArray,
    mfu: FloatArray,
    best: IntArray,
    counts: IntArray,
    offering: IntArray,
    groups: int,
) -> tuple[PricedRows, EnergyBreakdown, _SameRows]:
    """Pricing and energy of every plan row (the ``best`` layouts broadcast to their groups'
    offerings, ``counts`` each, ``offering`` in order), worked out once per price class
    (see :class:`~xpuplan.search.space.PriceClasses`) and copied to the class's members."""
    classes = price_classes(arrays, groups, search.pricing_models)
    best_group = layouts.group[best]
    class_counts = np.array([classes.of_group[int(g)].shape[0] for g in best_group], np.int64)
    class_layout = np.repeat(best, class_counts)
    class_ids = (
        np.concatenate([classes.of_group[int(g)] for g in best_group])
        if best.size
        else np.empty(0, np.int64)
    )
    first = classes.first[class_ids]  # each class row's first member stands for the class
    chips = layouts.devices[class_layout]  # one device per chip in the planner
    instances = chips // arrays.chips_per_instance[first]
    batch_tokens = layouts.global_batch_seqs[class_layout] * workload.seq_len
    steps = np.ceil(workload.tokens / batch_tokens)
    priced = choose_pricing(
        allowed=search.pricing_models,
        price_by_model=arrays.price_by_model[first],
        instances=instances.astype(np.float64),
        wall_time_s=steps * step[class_layout],
        cb_max_instances=arrays.cb_max_instances[first],
        cb_max_s=arrays.cb_max_s[first],
        spot=search.spot,
    )
    energy = run_energy(
        chips=chips.astype(np.float64),
        wall_time_s=priced.wall_time_s,
        tdp_w=arrays.tdp_w[first],
        utilization=mfu[class_layout],
        pue=arrays.pue[first],
        grid_gco2_per_kwh=arrays.grid_gco2_per_kwh[first],
        model=search.power,
    )
    # Plan row -> its class row: the pair's first class row + the class's place in the group.
    pair_of_row = np.repeat(np.arange(best.shape[0]), counts)
    class_start = np.cumsum(class_counts) - class_counts
    row = class_start[pair_of_row] + classes.local[classes.of_offering[offering]]
    # Class row -> its first plan row: the pair's first plan row + the first member's place
    # among its group's offerings (the same in every pair of the group).
    row_start = np.cumsum(counts) - counts
    place = np.zeros(arrays.group.shape[0], dtype=np.int64)
    place[offering] = np.arange(offering.shape[0]) - row_start[pair_of_row]
    class_pair = np.repeat(np.arange(best.shape[0]), class_counts)
    first_row = row_start[class_pair] + place[first]
    allowed = [k for k, m in enumerate(PRICING_MODELS) if m in search.pricing_models]
    has_price = np.isfinite(arrays.price_by_model[first][:, allowed]).any(axis=1)
    limited = has_price & (priced.model < 0)  # priced only by models whose limits it exceeds
    return (
        PricedRows(
            model=priced.model[row],
            wall_time_s=priced.wall_time_s[row],
            usd_per_hour=priced.usd_per_hour[row],
            cost_usd=priced.cost_usd[row],
            removed_by_limits=int(limited[row].sum()),
        ),
        EnergyBreakdown(
            it_energy_kwh=energy.it_energy_kwh[row],
            facility_energy_kwh=energy.facility_energy_kwh[row],
            energy_kwh=energy.energy_kwh[row],
            co2_kg=energy.co2_kg[row],
        ),
        _SameRows(class_row=row, first_row=first_row),
    )


def _no_plan_reason(
    name: str,
    mine: BoolArray,
    stages: Mapping[str, BoolArray],
    rows: _Rows,
    search: TrainingSearch,
    describe: Callable[[int], str],
    groups: Sequence[HardwareGroup],
    codes: IntArray,
) -> str:
    """Why ``name`` (a vendor or stack) has no plan, and what would change it."""
    largest = max(groups[int(g)].max_chips for g in codes)
    if not mine.any():
        return (
            f"no layout fits in memory on the {name} offerings up to {largest:,} chips; "
            "raise --max-chips or use a shorter --seq-len"
        )
    priced = mine & stages["priced"]
    if not priced.any():
        return (
            f"every {name} plan exceeds the limits of its allowed pricing models (capacity "
            "blocks: 64 instances, 182 days); allow other pricing models (--pricing best)"
        )
    if search.deadline_s is not None and not (mine & stages["deadline"]).any():
        i = int(np.argmin(np.where(priced, rows.wall_time_s, np.inf)))
        return (
            f"fastest {name} plan takes {format_duration(float(rows.wall_time_s[i]))} > "
            f"deadline {format_duration(search.deadline_s)} on {describe(i)}; a later "
            "--deadline or more chips (--max-chips) would change it"
        )
    within = mine & stages["deadline"]
    i = int(np.argmin(np.where(within, rows.cost_usd, np.inf)))
    budget = format_usd(search.budget_usd) if search.budget_usd is not None else "n/a"
    return (
        f"cheapest {name} plan costs {format_usd(float(rows.cost_usd[i]))} > budget {budget} "
        f"on {describe(i)}; a larger --budget-usd would change it"
    )


class _PlanBuilder:
    """Turns one plan row into a :class:`TrainingPlan` (breakdowns re-evaluated for that row)."""

    def __init__(
        self,
        workload: TrainingWorkload,
        catalog: Catalog,
        selected: Sequence[SelectedOffering],
        groups: Sequence[HardwareGroup],
        search: TrainingSearch,
        evaluator: TrainingEvaluator,
        layouts: LayoutArrays,
        rows: _Rows,
        step: FloatArray,
        mfu: FloatArray,
    ) -> None:
        self.workload = workload
        self.catalog = catalog
        self.selected = selected
        self.groups = groups
        self.search = search
        self.evaluator = evaluator
        self.layouts = layouts
        self.rows = rows
        self.step = step
        self.mfu = mfu
        self.cache: dict[int, TrainingPlan] = {}

    def __call__(self, i: int) -> TrainingPlan:
        if i not in self.cache:
            self.cache[i] = self._build(i)
        return self.cache[i]

    def _build(self, i: int) -> TrainingPlan:
        rows, lay = self.rows, self.layouts
        sel = self.selected[int(rows.offering[i])]
        o = sel.offering
        j = int(rows.layout[i])
        group = self.groups[int(lay.group[j])]
        acc = group.accelerator
        one = lay.take(np.array([j]))
        ev = self.evaluator(self.workload, self.groups, one)
        batch_tokens = int(one.global_batch_seqs[0]) * self.workload.seq_len
        layout = one.layout(0)  # the planner counts a chip as one device
        notes: list[str] = []
        model = PRICING_MODELS[int(rows.pricing[i])]
        energy = finite_or_none(float(rows.energy_kwh[i]))
        co2 = finite_or_none(float(rows.co2_kg[i]))
        region = sel.region
        if acc.tdp_w is None:
            notes.append(f"energy and CO2 unknown: the catalog has no TDP for {acc.id}")
        elif region is None:
            notes.append(f"energy and CO2 unknown: no region row for {o.provider}:{o.region}")
        elif region.pue is None:
            notes.append(
                f"energy and CO2 unknown: no PUE for {o.provider}:{o.region} "
                "(it_energy_kwh gives the accelerators' own energy)"
            )
        elif region.grid_gco2_per_kwh is None:
            notes.append(f"CO2 unknown: no grid carbon intensity for {o.provider}:{o.region}")
        notes.extend(self._buyer_notes(i, o, acc, region))
        sources = [
            Source(
                "accelerator",
                acc.id,
                acc.source,
                str(acc.as_of),
                ("bf16_dense_tflops", "hbm_gb", "hbm_tbps", "scaleup_gbytes_per_s", "tdp_w"),
            ),
            Source(
                "offering",
                f"{o.provider}/{o.region}/{o.instance}",
                o.source,
                str(o.as_of),
                (f"usd_per_hour.{model}", "chips_per_instance", "max_chips"),
            ),
        ]
        if region is not None:
            sources.append(
                Source(
                    "region",
                    f"{region.provider}/{region.code}",
                    region.source,
                    str(region.as_of),
                    ("grid_gco2_per_kwh", "pue", "country", "eu", "eea"),
                )
            )
        if self.workload.model.source:
            sources.append(Source("model", self.workload.model.name, self.workload.model.source))
        sources.append(Source("power_model", "energy", self.search.power.description))
        sources.extend(self.evaluator.sources(group))
        return TrainingPlan(
            provider=o.provider,
            region=o.region,
            instance=o.instance,
            accelerator_id=acc.id,
            vendor=acc.vendor,
            software_stack=acc.software_stack,
            country=region.country if region else None,
            chips=int(rows.chips[i]),
            instances=int(rows.instances[i]),
            layout=layout,
            n_micro=int(one.grad_accum[0]),
            global_batch_seqs=int(one.global_batch_seqs[0]),
            global_batch_tokens=batch_tokens,
            step_time_s=float(self.step[j]),
            steps=math.ceil(self.workload.tokens / batch_tokens),
            wall_time_s=float(rows.wall_time_s[i]),
            usd_per_hour=float(rows.usd_per_hour[i]),
            cost_usd=float(rows.cost_usd[i]),
            pricing=model,
            energy_kwh=energy,
            co2_kg=co2,
            mfu=float(self.mfu[j]),
            tokens_per_s=batch_tokens / float(self.step[j]),
            it_energy_kwh=finite_or_none(float(rows.it_energy_kwh[i])),
            memory_gb_per_chip={k: float(v[0]) for k, v in ev.memory_breakdown_gb.items()}
            | {"total": float(ev.memory_gb[0]), "capacity": float(ev.hbm_gb[0])},
            step_time_breakdown_s={k: float(v[0]) for k, v in ev.time_breakdown_s.items()}
            | {"total": float(ev.step_time_s[0])},
            grid_gco2_per_kwh=region.grid_gco2_per_kwh if region else None,
            pue=region.pue if region else None,
            notes=tuple(notes),
            sources=tuple(sources),
        )

    def _buyer_notes(
        self, i: int, o: Offering, acc: Accelerator, region: Region | None
    ) -> list[str]:
        """What a buyer must know about this plan: pricing terms, capacity, data quality."""
        rows = self.rows
        model = PRICING_MODELS[int(rows.pricing[i])]
        instances = int(rows.instances[i])
        hours = float(rows.wall_time_s[i]) / SECONDS_PER_HOUR
        notes: list[str] = []
        name = f"{o.provider}:{o.instance}"
        if model in TERM_HOURS:
            term_h = TERM_HOURS[model]
            notes.append(
                f"{name}: {model} commitment, the whole {term_h / 8760:g}-year term is paid "
                f"({format_usd(float(rows.usd_per_hour[i]) * max(hours, term_h))}, amortized "
                f"${float(rows.usd_per_hour[i]):,.0f}/h); the run uses "
                f"{min(hours / term_h, 1.0) * 100:.0f}% of it"
            )
        elif model == "spot":
            stretch = float(self.search.spot.stretch(np.array([float(instances)]))[0])
            notes.append(
                f"{name}: spot, wall time includes {(stretch - 1) * 100:.1f}% expected "
                f"preemption overhead; {self.search.spot.description}"
            )
        elif model == "capacity_block":
            notes.append(
                f"{name}: capacity block, booked in advance for the run's duration "
                f"(at most {o.capacity_block_max_instances or 'n/a'} instances, "
                f"{o.capacity_block_max_days or 'n/a'} days per block)"
            )
        if self.search.pricing == "best" and "on_demand" not in o.usd_per_hour:
            notes.append(f"{name}: no on-demand price in the catalog; priced as {model}")
        source = o.max_chips_source or ""
        chips = int(rows.chips[i])
        if source.startswith("default") and o.max_chips and chips * 2 > o.max_chips:
            notes.append(f"{name}: capacity {source}")
        price_date = o.price_as_of.get(model, o.as_of)
        today = self.search.today or dt.date.today()
        age = (today - price_date).days
        if age > self.search.stale_price_days:
            notes.append(
                f"{name}: the {model} price is {age} days old (as of {price_date}); check it "
                "or refresh with `xpuplan catalog import-skypilot`"
            )
        if region is not None and region.pue_assumed and self.search.power.pue is None:
            notes.append(
                f"{o.provider}:{o.region}: PUE {region.pue:g} assumed ({region.pue_source})"
            )
        if acc.tdp_confidence == "low" and acc.tdp_w is not None:
            notes.append(f"{acc.id}: power {acc.tdp_w:g} W is a low-confidence estimate")
        return notes
