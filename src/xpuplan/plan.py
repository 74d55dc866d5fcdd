"""The planner: where to train or serve a model, on which chips, at what cost, time and CO2.

Three public functions, all pure (the catalog is an argument; nothing is printed or read):

* :func:`plan_training` searches offerings x chip counts x parallel layouts with the training
  estimator and returns ranked plans, the cost/time Pareto front and the lock-in premium of
  each vendor and software stack;
* :func:`plan_serving` finds the cheapest serving fleet, possibly mixing accelerator types and
  vendors, as an integer program (:mod:`xpuplan.fleet`), and the best single-type fleet;
* :func:`compare_options` evaluates named options (``aws:p5.48xlarge x8``) on the same run.

Result types and their JSON shape live in :mod:`xpuplan.search.results` (``docs/planner.md``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import Offering
from xpuplan.energy import PowerModel
from xpuplan.errors import InfeasibleError, InputError, UnknownNameError
from xpuplan.gc_pause import paused_gc
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import PRECISIONS as TRAINING_PRECISIONS
from xpuplan.perf.layout import LayoutGrid
from xpuplan.perf.training import DEFAULT_BATCH_TOKENS, DEFAULT_SEQ_LEN
from xpuplan.search.filters import (
    OfferingFilter,
    SelectedOffering,
    allowed_models,
    region_matcher,
    select_offerings,
    vendor_keys,
)
from xpuplan.search.pricing import SpotModel
from xpuplan.search.results import (
    FleetPlan,
    LockInEntry,
    MissingOption,
    ServingPlanResult,
    TrainingComparison,
    TrainingPlan,
    TrainingPlanResult,
    VendorFleet,
)
from xpuplan.search.serving import (
    LAYOUTS,
    ServingEvaluator,
    ServingWorkload,
    search_serving,
)
from xpuplan.search.space import group_hardware
from xpuplan.search.training import (
    OBJECTIVES,
    Progress,
    TrainingEvaluator,
    TrainingSearch,
    TrainingWorkload,
    format_duration,
    search_training,
)
from xpuplan.units import SECONDS_PER_DAY, parse_count, parse_duration_s

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_GLOBAL_BATCH_TOKENS",
    "DEFAULT_SEQ_LEN",
    "LARGE_MODEL_GLOBAL_BATCH_TOKENS",
    "TrainingOption",
    "compare_options",
    "compare_vendors",
    "default_global_batch_tokens",
    "parse_option",
    "plan_serving",
    "plan_training",
]

# Default global batch: 4M tokens (2^22 = 1,024 sequences of 4,096), the batch Llama 2 used for
# every model size from 7B to 70B (Touvron et al. 2023, section 2.2), and 16M tokens (2^24) for
# models of 100B parameters or more, the batch Llama 3 405B trained most of its tokens with
# (Dubey et al. 2024, section 3.4.1). Rounded to whole sequences of the chosen length.
DEFAULT_GLOBAL_BATCH_TOKENS = DEFAULT_BATCH_TOKENS  # 2**22
LARGE_MODEL_GLOBAL_BATCH_TOKENS = 2**24
LARGE_MODEL_PARAMS = 100e9
# Default sequence length: DEFAULT_SEQ_LEN (4,096, Llama 2 pre-training context), or the model's
# own maximum when that is shorter.
# Default deadline: 90 days. Without one the cheapest plan is always the smallest cluster that
# fits in memory, however many years it takes; 90 days is above the longest published frontier
# pre-training runs (Llama 3 405B: 54 days, Dubey et al. 2024 section 3.3.4). A modelling
# default, always shown in the result; pass ``deadline`` to change it.
DEFAULT_DEADLINE_S = 90 * SECONDS_PER_DAY
# plan serve's layouts: the program picks colocated replicas or disaggregated pools, whichever
# fleet is cheaper within the same targets (xpuplan.search.serving).
DEFAULT_SERVING_LAYOUT = "any"


def _resolve(model: ModelSpec | str) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    from xpuplan.models.presets import resolve_model

    return resolve_model(model)


def _training_evaluator() -> TrainingEvaluator:
    from xpuplan.search.estimators import RooflineTrainingEvaluator

    return RooflineTrainingEvaluator()


def _serving_evaluator() -> ServingEvaluator:
    from xpuplan.search.estimators import RooflineServingEvaluator

    return RooflineServingEvaluator()


def default_global_batch_tokens(model: ModelSpec) -> int:
    """4M tokens, or 16M for models of 100B parameters or more (see the constants)."""
    from xpuplan.models.counts import count_params

    if count_params(model).total >= LARGE_MODEL_PARAMS:
        return LARGE_MODEL_GLOBAL_BATCH_TOKENS
    return DEFAULT_GLOBAL_BATCH_TOKENS


def _workload(
    model: ModelSpec,
    tokens: float | str,
    seq_len: int | None,
    global_batch_tokens: float | str | None,
    precision: str,
    finetune: Any = None,
) -> TrainingWorkload:
    n_tokens = parse_count(tokens, "tokens")
    if seq_len is None:
        seq = min(DEFAULT_SEQ_LEN, model.max_seq_len)
    else:
        seq = int(seq_len)
        if seq < 1 or seq != seq_len:
            raise InputError(f"seq_len: {seq_len!r} must be a positive whole number of tokens")
    if global_batch_tokens is None:
        batch = float(default_global_batch_tokens(model))
    else:
        batch = parse_count(global_batch_tokens, "global_batch_tokens")
    if batch < seq:
        raise InputError(
            f"global_batch_tokens: {batch:g} is less than one sequence of seq_len={seq}"
        )
    return TrainingWorkload(
        model=model,
        tokens=n_tokens,
        seq_len=seq,
        global_batch_tokens=round(batch),
        precision=precision,
        finetune=finetune,
    )


def _supporting(
    catalog: Catalog, selected: tuple[SelectedOffering, ...], precision: str
) -> tuple[SelectedOffering, ...]:
    """The offerings whose accelerator trains and has a dense peak at ``precision``."""
    if precision not in TRAINING_PRECISIONS:
        raise UnknownNameError("training precision", precision, TRAINING_PRECISIONS)

    trains = {
        acc.id: "train" in acc.workloads and acc.peak_tflops(precision) is not None
        for acc in catalog.accelerators
    }
    kept = tuple(s for s in selected if trains[s.offering.accelerator_id])
    if not kept:
        raise InfeasibleError(
            f"precision={precision}: none of the {len(selected)} selected offerings has an "
            f"accelerator with a {precision} peak in the catalog; use bf16"
        )
    return kept


def _check_common(objective: str, top: int, max_chips: int | None) -> None:
    if objective not in OBJECTIVES:
        raise UnknownNameError("objective", objective, OBJECTIVES)
    if top < 1:
        raise InputError(f"top: {top} must be at least 1")
    if max_chips is not None and max_chips < 1:
        raise InputError(f"max_chips: {max_chips} must be at least 1")


def plan_training(
    model: ModelSpec | str,
    tokens: float | str,
    *,
    catalog: Catalog | None = None,
    seq_len: int | None = None,
    global_batch_tokens: float | str | None = None,
    precision: str = "bf16",
    deadline: float | str | None = None,
    budget_usd: float | None = None,
    filters: OfferingFilter | None = None,
    max_chips: int | None = None,
    objective: str = "cost",
    top: int = 10,
    power: PowerModel | None = None,
    evaluator: TrainingEvaluator | None = None,
    progress: Progress | None = None,
    spot: SpotModel | None = None,
    finetune: Any = None,
) -> TrainingPlanResult:
    """The best ways to train ``model`` on ``tokens`` tokens across the catalog.

    ``finetune``: a :class:`xpuplan.perf.training.Finetune` (LoRA / QLoRA on a frozen base);
    None trains every weight.

    ``deadline`` is seconds or text (``"60d"``); None means :data:`DEFAULT_DEADLINE_S`.
    Raises :class:`~xpuplan.errors.InfeasibleError` naming the constraint that removed the
    last candidates, and :class:`~xpuplan.errors.InputError` for bad values.
    """
    catalog = catalog if catalog is not None else load_catalog()  # the bundled one
    spec = _resolve(model)
    flt = filters or OfferingFilter()
    _check_common(objective, top, max_chips)
    work = _workload(spec, tokens, seq_len, global_batch_tokens, precision, finetune)
    deadline_s = DEFAULT_DEADLINE_S if deadline is None else parse_duration_s(deadline, "deadline")
    if budget_usd is not None and not (budget_usd > 0 and math.isfinite(budget_usd)):
        raise InputError(f"budget_usd: {budget_usd!r} must be a positive number of dollars")
    search = TrainingSearch(
        objective=objective,
        deadline_s=deadline_s,
        deadline_is_default=deadline is None,
        budget_usd=budget_usd,
        max_chips=max_chips,
        top=top,
        power=power or PowerModel(),
        pricing=flt.pricing,
        pricing_models=allowed_models(flt),
        spot=spot or SpotModel(),
    )
    with paused_gc():  # one object per offering, no cycles (see xpuplan.gc_pause)
        selected = _supporting(catalog, select_offerings(catalog, flt), precision)
        groups = group_hardware(catalog, selected, max_chips, training=True)
        plans, pareto, lock_in, stats = search_training(
            work,
            catalog,
            selected,
            groups,
            search,
            evaluator or _training_evaluator(),
            progress,
        )
        absent = _absent_groups(catalog, flt, selected, lock_in, precision)
    constraints: dict[str, Any] = {
        "deadline_s": deadline_s,
        "deadline_is_default": deadline is None,
        "budget_usd": budget_usd,
        "max_chips": max_chips,
        **flt.describe(),
    }
    notes = []
    if deadline is None:
        notes.append(
            f"deadline {format_duration(deadline_s)} is the default; pass a deadline to change it"
        )
    notes.append(search.power.description)
    if "spot" in search.pricing_models:
        notes.append(search.spot.description)
    lock_in = tuple(
        sorted(
            (*lock_in, *absent),
            key=lambda e: (e.group_kind != "vendor", e.plan is None),
        )
    )
    if objective == "co2" and plans[0].co2_kg is None:
        notes.append(
            "no plan has a known CO2 (missing TDP, PUE or grid intensity); plans were ranked "
            "by cost instead"
        )
    return TrainingPlanResult(
        workload=work.to_dict(),
        constraints=constraints,
        objective=objective,
        plans=plans,
        pareto=pareto,
        lock_in=lock_in,
        stats=stats,
        notes=tuple(notes),
    )


def _absent_groups(
    catalog: Catalog,
    flt: OfferingFilter,
    selected: Sequence[SelectedOffering],
    present: Sequence[LockInEntry],
    precision: str,
) -> list[LockInEntry]:
    """A lock-in row with the exact reason for every catalog vendor and stack with no plan."""
    shown = {(e.group_kind, e.group) for e in present}
    out: list[LockInEntry] = []
    positions: dict[str, list[int]] = {}  # catalog offering indices per accelerator id
    for i, offering in enumerate(catalog.offerings):
        positions.setdefault(offering.accelerator_id, []).append(i)
    for kind in ("vendor", "software_stack"):
        names: dict[str, list[str]] = {}
        for acc in catalog.accelerators:
            name: str = acc.vendor if kind == "vendor" else acc.software_stack
            names.setdefault(name, []).append(acc.id)
        for name, acc_ids in names.items():
            if (kind, name) in shown:
                continue
            found = sorted(i for a in acc_ids for i in positions.get(a, ()))
            rows = [catalog.offerings[i] for i in found]
            reason = _absent_reason(catalog, flt, name, acc_ids, rows, precision)
            out.append(LockInEntry(group_kind=kind, group=name, reason=reason))
    return out


def _absent_reason(
    catalog: Catalog,
    flt: OfferingFilter,
    name: str,
    acc_ids: list[str],
    rows: list[Offering],
    precision: str,
) -> str:
    """Why no offering of ``name``'s accelerators (``rows``, in catalog order) reached the
    search."""
    accs = [catalog.accelerator(a) for a in acc_ids]
    if not rows:
        return (
            f"no {name} offering in the catalog (accelerators {', '.join(acc_ids)} have no "
            "rentable row); add one with --catalog FILE"
        )
    trainers = {a.id for a in accs if "train" in a.workloads}
    if not trainers & {o.accelerator_id for o in rows}:
        offered = ", ".join(sorted({o.accelerator_id for o in rows}))
        return f"the {name} accelerators offered ({offered}) are inference-only"
    peak = {a.id for a in accs if a.id in trainers and a.peak_tflops(precision) is not None}
    if not peak & {o.accelerator_id for o in rows}:
        return f"no {name} accelerator offered has a {precision} peak in the catalog; use bf16"
    rows = [o for o in rows if o.accelerator_id in peak]
    models = allowed_models(flt)
    if flt.vendors or flt.exclude_vendors:
        wanted = {v.lower() for v in flt.vendors}
        unwanted = {v.lower() for v in flt.exclude_vendors}
        keys = set().union(*(vendor_keys(a.vendor, a.vendor_family) for a in accs))
        if (wanted and not keys & wanted) or keys & unwanted:
            return "excluded by --vendors/--exclude-vendors"
    priced = [o for o in rows if any(m in o.usd_per_hour for m in models)]
    if not priced:
        have = sorted({m for o in rows for m in o.usd_per_hour})
        return (
            f"no {flt.pricing} price for any {name} offering"
            + (
                f" (priced as {', '.join(have)}; try --pricing best"
                if have
                else " (no price at all"
            )
            + (" --allow-spot)" if have == ["spot"] else ")")
        )
    if flt.providers and not [o for o in priced if o.provider in flt.providers]:
        return f"no {name} offering from --providers {','.join(flt.providers)}"
    if flt.accelerators and not [o for o in priced if o.accelerator_id in flt.accelerators]:
        return f"not among --accelerators {','.join(flt.accelerators)}"
    if flt.regions:
        allowed = region_matcher(catalog, flt.regions)
        if not [o for o in priced if (o.provider, o.region) in allowed]:
            where = sorted({f"{o.provider}:{o.region}" for o in priced})
            return (
                f"no {name} offering in --regions {','.join(flt.regions)} (offered in "
                f"{', '.join(where[:6])}{' ...' if len(where) > 6 else ''})"
            )
    return f"no {name} offering passed the filters"


# ---------------------------------------------------------------------------------- serving


def plan_serving(
    model: ModelSpec | str,
    *,
    catalog: Catalog | None = None,
    rate_rps: float,
    input_tokens: int,
    output_tokens: int,
    ttft_p99_ms: float,
    tpot_p99_ms: float,
    peak_to_mean: float = 1.0,
    max_vendor_share: float | None = None,
    filters: OfferingFilter | None = None,
    precision: str = "bf16",
    power: PowerModel | None = None,
    evaluator: ServingEvaluator | None = None,
    progress: Progress | None = None,
    layout: str = DEFAULT_SERVING_LAYOUT,
) -> ServingPlanResult:
    """The cheapest fleet serving ``rate_rps x peak_to_mean`` requests/s within the SLOs.

    The fleet may mix offerings, layouts and vendors (integer program, :mod:`xpuplan.fleet`);
    no vendor provides more than ``max_vendor_share`` of the fleet's capacity. The result also
    holds the cheapest single-type fleet and both fleets' cost per million tokens at the mean
    rate. ``layout``: ``colocated`` replicas, ``disaggregated`` prefill and decode pools (one
    software stack each), or ``any`` (the program picks; :mod:`xpuplan.search.serving`).
    """
    catalog = catalog if catalog is not None else load_catalog()  # the bundled one
    spec = _resolve(model)
    flt = filters or OfferingFilter()
    for name, value in (
        ("rate_rps", rate_rps),
        ("ttft_p99_ms", ttft_p99_ms),
        ("tpot_p99_ms", tpot_p99_ms),
    ):
        if not (value > 0 and math.isfinite(value)):
            raise InputError(f"{name}: {value!r} must be a positive number")
    for name, count in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if count < 1 or int(count) != count:
            raise InputError(f"{name}: {count!r} must be a positive whole number of tokens")
    if input_tokens + output_tokens > spec.max_seq_len:
        raise InputError(
            f"input_tokens={input_tokens} + output_tokens={output_tokens}: more than "
            f"{spec.name}'s context of {spec.max_seq_len:,} tokens"
        )
    if not (peak_to_mean >= 1 and math.isfinite(peak_to_mean)):
        raise InputError(f"peak_to_mean: {peak_to_mean!r} must be at least 1")
    if max_vendor_share is not None and not 0 < max_vendor_share <= 1:
        raise InputError(f"max_vendor_share: {max_vendor_share!r} must be in (0, 1]")
    if layout not in LAYOUTS:
        raise InputError(f"layout: {layout!r} is not one of {', '.join(LAYOUTS)}")
    work = ServingWorkload(
        model=spec,
        rate_rps=rate_rps,
        input_tokens=int(input_tokens),
        output_tokens=int(output_tokens),
        ttft_p99_s=ttft_p99_ms / 1e3,
        tpot_p99_s=tpot_p99_ms / 1e3,
        peak_to_mean=peak_to_mean,
        precision=precision,
    )
    selected = select_offerings(catalog, flt)
    estimator = evaluator or _serving_evaluator()
    result = search_serving(
        work,
        catalog,
        selected,
        flt,
        max_vendor_share,
        power or PowerModel(),
        estimator,
        progress,
        layout,
    )
    vendors = _serving_vendors(catalog, flt, work, result, power or PowerModel(), estimator, layout)
    return dataclasses.replace(result, vendors=vendors)


def _serving_vendors(
    catalog: Catalog,
    flt: OfferingFilter,
    work: ServingWorkload,
    result: ServingPlanResult,
    power: PowerModel,
    evaluator: ServingEvaluator,
    layout: str = "colocated",
) -> tuple[VendorFleet, ...]:
    """Every catalog vendor and stack: its cheapest single-type fleet, or why it has none.

    One restricted search per distinct set of accelerators (a vendor and its stack usually
    share one); a vendor whose offerings the filters remove gets the filter's reason.
    """
    best = result.fleet.usd_per_hour
    cache: dict[frozenset[str], FleetPlan | str] = {}
    out: list[VendorFleet] = []
    for kind in ("vendor", "software_stack"):
        names: dict[str, list[str]] = {}
        for acc in catalog.accelerators:
            name: str = acc.vendor if kind == "vendor" else acc.software_stack
            names.setdefault(name, []).append(acc.id)
        for name, ids in names.items():
            wanted = [a for a in ids if not flt.accelerators or a in flt.accelerators]
            key = frozenset(wanted)
            if key not in cache:
                cache[key] = _serving_for(
                    catalog, flt, work, power, evaluator, wanted, name, layout
                )
            found = cache[key]
            if isinstance(found, str):
                out.append(VendorFleet(kind, name, reason=found.replace("{name}", name)))
            else:
                premium = (found.usd_per_hour - best) / best * 100.0 if best > 0 else 0.0
                out.append(VendorFleet(kind, name, fleet=found, premium_pct=max(premium, 0.0)))
    out.sort(key=lambda v: (v.group_kind != "vendor", v.fleet is None))
    return tuple(out)


def _serving_for(
    catalog: Catalog,
    flt: OfferingFilter,
    work: ServingWorkload,
    power: PowerModel,
    evaluator: ServingEvaluator,
    acc_ids: list[str],
    name: str,
    layout: str = "colocated",
) -> FleetPlan | str:
    """The cheapest single-type fleet on ``acc_ids``, or the reason there is none."""
    if not acc_ids:
        return f"not among --accelerators {','.join(flt.accelerators)}"
    offered = {o.accelerator_id for o in catalog.offerings}
    if not offered & set(acc_ids):
        return (
            f"no {{name}} offering in the catalog (accelerators {', '.join(acc_ids)} have no "
            "rentable row); add one with --catalog FILE"
        )
    only = dataclasses.replace(flt, accelerators=tuple(acc_ids), vendors=(), exclude_vendors=())
    if flt.vendors or flt.exclude_vendors:
        accs = [catalog.accelerator(a) for a in acc_ids]
        keys = set().union(*(vendor_keys(a.vendor, a.vendor_family) for a in accs))
        wanted = {v.lower() for v in flt.vendors}
        if (wanted and not keys & wanted) or keys & {v.lower() for v in flt.exclude_vendors}:
            return "excluded by --vendors/--exclude-vendors"
    try:
        selected = select_offerings(catalog, only)
        found = search_serving(work, catalog, selected, only, None, power, evaluator, None, layout)
    except InfeasibleError as error:
        return f"{{name}}: {error}"
    del name
    return found.single_type


# ---------------------------------------------------------------------------------- compare

_OPTION = re.compile(r"^\s*(?P<provider>[a-z0-9][a-z0-9\-]*):(?P<body>.+?)\s*$", re.S)
_MODIFIER = re.compile(r"x(?P<count>\d+)|(?P<key>[a-z_]+)=(?P<value>\S+)")
_LAYOUT_KEYS = {
    "tp",
    "pp",
    "cp",
    "ep",
    "dp",
    "mb",
    "micro_batch",
    "zero",
    "zero_stage",
    "recompute",
    "virtual_pp",
}


@dataclass(frozen=True)
class TrainingOption:
    """One concrete option: ``provider:instance[@region] xN [key=value ...]``."""

    text: str
    provider: str
    instance: str
    instances: int
    region: str | None = None
    pricing: str | None = None
    layout: tuple[tuple[str, str], ...] = ()


def parse_option(text: str) -> TrainingOption:
    """Parse ``aws:p5.48xlarge@us-east-1 x8 pricing=spot tp=8 pp=2``.

    ``xN`` counts instances (default 1); ``@region`` pins a region (default: the cheapest one
    with a price); ``pricing=`` overrides the run's pricing model for this option; the keys of a
    plan's layout (``tp``, ``pp``, ``cp``, ``dp``, ``ep``, ``micro_batch`` or ``mb``, ``zero``,
    ``recompute``, ``virtual_pp``) pin those knobs (others are searched); ``zero_stage``, the
    earlier name of ``zero``, still works.
    """
    m = _OPTION.match(text)
    # Modifiers (xN, key=value) are read from the right; what precedes them is the instance,
    # spaces allowed ("runpod:H100 SXM (Community Cloud)@EU-RO-1 x2"), then an optional @region.
    words = m.group("body").split() if m else []
    modifiers: list[re.Match[str]] = []
    while len(words) > 1 and (found := _MODIFIER.fullmatch(words[-1])):
        modifiers.insert(0, found)
        words.pop()
    instance, _, region = " ".join(words).rpartition("@") if words else ("", "", "")
    if not instance:
        instance, region = region, ""
    if not m or not instance or not text.isprintable():
        raise InputError(
            f"options: cannot read {text!r}; write PROVIDER:INSTANCE[@REGION] [xN] "
            "[pricing=..] [tp=..] [pp=..] (e.g. 'aws:p5.48xlarge x8')"
        )
    pricing = None
    layout: list[tuple[str, str]] = []
    counts = [mod.group("count") for mod in modifiers if mod.group("count")]
    for mod in modifiers:
        key, value = mod.group("key"), mod.group("value")
        if key is None:
            continue
        if key == "pricing":
            pricing = value
        elif key in _LAYOUT_KEYS:
            layout.append((key, value))
        else:
            raise UnknownNameError("option key", key, sorted(_LAYOUT_KEYS | {"pricing"}))
    if len(counts) > 1:
        raise InputError(f"options={text!r}: give the instance count (xN) once")
    count = int(counts[0]) if counts else 1
    if count < 1:
        raise InputError(f"options={text!r}: the instance count must be at least 1")
    return TrainingOption(
        text=text.strip(),
        provider=m.group("provider"),
        instance=instance,
        instances=count,
        region=region or None,
        pricing=pricing,
        layout=tuple(layout),
    )


def _grid_for(option: TrainingOption) -> LayoutGrid:
    """The planner's layout grid with the option's ``key=value`` knobs pinned."""
    names = {"mb": "micro_batch", "zero_stage": "zero"}
    fixed = {names.get(key, key): value for key, value in option.layout}
    try:
        return LayoutGrid().pinned(fixed)
    except InputError as error:
        raise InputError(f"options={option.text!r}: {error}") from None


def _pick_offering(
    catalog: Catalog, option: TrainingOption, pricing: str
) -> tuple[SelectedOffering, ...]:
    rows = [
        o
        for o in catalog.offerings
        if o.provider == option.provider and o.instance == option.instance
    ]
    if not rows:
        names = sorted({f"{o.provider}:{o.instance}" for o in catalog.offerings})
        raise UnknownNameError(
            "offering", f"{option.provider}:{option.instance}", names, "xpuplan catalog offerings"
        )
    if option.region is not None:
        in_region = [o for o in rows if o.region == option.region]
        if not in_region:
            regions = sorted({o.region for o in rows})
            raise UnknownNameError(
                "region",
                option.region,
                regions,
                f"{option.provider}:{option.instance} is offered in {', '.join(regions)}",
            )
        rows = in_region
    models = allowed_models(OfferingFilter(pricing=pricing))
    priced = [o for o in rows if any(m in o.usd_per_hour for m in models)]
    if not priced:
        have = sorted({p for o in rows for p in o.usd_per_hour})
        raise InfeasibleError(
            f"options={option.text!r}: no {pricing} price in the catalog"
            + (
                f"; priced as {', '.join(have)} (add pricing=... to the option)"
                if have
                else " under any pricing model"
            )
        )

    # The cheapest region; ties go to the lowest grid carbon intensity.
    def key(o: Any) -> tuple[float, float]:
        region = catalog.region(o.provider, o.region)
        grid = region.grid_gco2_per_kwh if region and region.grid_gco2_per_kwh else math.inf
        return (min(o.usd_per_hour[m] for m in models if m in o.usd_per_hour), grid)

    best = min(priced, key=key)
    flt = OfferingFilter(
        pricing=pricing,
        providers=(best.provider,),
        regions=(f"{best.provider}:{best.region}",),
    )
    return tuple(s for s in select_offerings(catalog, flt) if s.offering.instance == best.instance)


def compare_options(
    model: ModelSpec | str,
    tokens: float | str,
    options: Sequence[str | TrainingOption],
    *,
    catalog: Catalog | None = None,
    seq_len: int | None = None,
    global_batch_tokens: float | str | None = None,
    precision: str = "bf16",
    pricing: str = "best",
    power: PowerModel | None = None,
    evaluator: TrainingEvaluator | None = None,
) -> TrainingComparison:
    """Each option's best layout on the same training run, side by side.

    ``relative_pct`` gives, per option, (value / first option's value - 1) x 100 for wall time,
    cost, energy and CO2 (None where either value is unknown).
    """
    catalog = catalog if catalog is not None else load_catalog()  # the bundled one
    if len(options) < 1:
        raise InputError("options: give at least one option to compare")
    spec = _resolve(model)
    work = _workload(spec, tokens, seq_len, global_batch_tokens, precision)
    parsed = [o if isinstance(o, TrainingOption) else parse_option(o) for o in options]
    estimator = evaluator or _training_evaluator()
    plans: list[TrainingPlan] = []
    notes: list[str] = []
    for option in parsed:  # a handful of options, each a small vectorized search
        option_pricing = option.pricing or pricing
        selected = _pick_offering(catalog, option, option_pricing)
        offering = selected[0].offering
        chips = option.instances * offering.chips_per_instance
        if offering.allowed_chip_counts and chips not in offering.allowed_chip_counts:
            raise InputError(
                f"options={option.text!r}: {chips} chips is not a slice size of "
                f"{offering.instance}; allowed: {list(offering.allowed_chip_counts)}"
            )
        if offering.max_chips is not None and chips > offering.max_chips:
            raise InputError(
                f"options={option.text!r}: {chips} chips exceeds the {offering.max_chips} "
                f"listed for {offering.instance}"
            )
        groups = tuple(
            dataclasses.replace(g, allowed_chip_counts=(chips,), max_chips=chips)
            for g in group_hardware(catalog, selected, chips, training=True)
        )
        search = TrainingSearch(
            objective="cost",
            top=1,
            power=power or PowerModel(),
            layout_grid=_grid_for(option),
            pricing=option_pricing,
            pricing_models=allowed_models(OfferingFilter(pricing=option_pricing)),
        )
        try:
            best, _, _, _ = search_training(work, catalog, selected, groups, search, estimator)
        except InfeasibleError as error:
            raise InfeasibleError(f"options={option.text!r}: {error}") from None
        plans.append(best[0])
        if option.pricing:
            notes.append(f"{option.text}: priced {option_pricing}")
    relative = _relative_to_first(plans)
    return TrainingComparison(
        workload=work.to_dict(),
        options=tuple(o.text for o in parsed),
        plans=tuple(plans),
        relative_pct=tuple(relative),
        notes=tuple(notes),
    )


def compare_vendors(
    model: ModelSpec | str,
    tokens: float | str,
    vendors: Sequence[str] = ("all",),
    *,
    catalog: Catalog,
    seq_len: int | None = None,
    global_batch_tokens: float | str | None = None,
    precision: str = "bf16",
    deadline: float | str | None = None,
    max_chips: int | None = None,
    filters: OfferingFilter | None = None,
    power: PowerModel | None = None,
    evaluator: TrainingEvaluator | None = None,
    spot: SpotModel | None = None,
) -> TrainingComparison:
    """Each vendor's best plan for the same run, side by side (``compare --vendors all``).

    ``vendors`` names vendors (``nvidia``, ``google`` ...) or is ``("all",)``: every vendor in
    the catalog. Vendors without a plan are listed in ``missing`` with the exact reason;
    ratios are relative to the cheapest vendor.
    """
    known: set[str] = {acc.vendor for acc in catalog.accelerators}
    wanted = [v.strip() for v in vendors if v.strip()]
    names: list[str] = []
    if not wanted or any(v.lower() == "all" for v in wanted):
        names = sorted(known)
    else:
        lookup: dict[str, str] = {}
        for acc in catalog.accelerators:
            for key in vendor_keys(acc.vendor, acc.vendor_family):
                lookup[key] = acc.vendor
        for v in wanted:
            if v.lower() not in lookup:
                raise UnknownNameError("vendor", v, sorted([*lookup, "all"]))
            names.append(lookup[v.lower()])
        names = list(dict.fromkeys(names))
    flt = dataclasses.replace(filters or OfferingFilter(), vendors=(), exclude_vendors=())
    kwargs: dict[str, Any] = {
        "catalog": catalog,
        "seq_len": seq_len,
        "global_batch_tokens": global_batch_tokens,
        "precision": precision,
        "deadline": deadline,
        "max_chips": max_chips,
        "top": 1,
        "power": power,
        "evaluator": evaluator,
        "spot": spot,
    }
    entries: dict[str, tuple[TrainingPlan | None, str | None]] = {}
    try:
        result = plan_training(model, tokens, filters=flt, **kwargs)
        for e in result.lock_in:
            if e.group_kind == "vendor":
                entries[e.group] = (e.plan, e.reason)
        notes = list(result.notes)
        work = result.workload
    except InfeasibleError:
        # No vendor at all meets the constraints: ask each one alone for its own reason.
        notes = []
        work = None
        for name in names:
            try:
                alone = plan_training(
                    model, tokens, filters=dataclasses.replace(flt, vendors=(name,)), **kwargs
                )
                entries[name] = (alone.plans[0], None)
                work = alone.workload
            except InfeasibleError as error:
                entries[name] = (None, str(error))
            except InputError as error:
                entries[name] = (None, str(error))
    chosen = [(n, *entries.get(n, (None, f"no {n} offering passed the filters"))) for n in names]
    with_plan = sorted(
        (c for c in chosen if c[1] is not None),
        key=lambda c: c[1].cost_usd if c[1] is not None else math.inf,
    )
    missing = tuple(MissingOption(f"vendor {n}", r or "no plan") for n, p, r in chosen if p is None)
    if not with_plan:
        raise InfeasibleError("no vendor has a plan: " + "; ".join(f"{o}: {r}" for o, r in missing))
    plans = tuple(p for _, p, _ in with_plan if p is not None)
    relative = _relative_to_first(plans)
    if work is None:
        spec = _resolve(model)
        work = _workload(spec, tokens, seq_len, global_batch_tokens, precision).to_dict()
    return TrainingComparison(
        workload=work,
        options=tuple(f"vendor {n}" for n, _, _ in with_plan),
        plans=plans,
        relative_pct=tuple(relative),
        notes=tuple(notes),
        missing=missing,
    )


def _relative_to_first(plans: Sequence[Any]) -> list[dict[str, float | None]]:
    """Each plan's time, cost, energy and CO2 in percent above (or below) the first plan's."""
    base = plans[0]
    rows: list[dict[str, float | None]] = []
    for plan in plans:
        row: dict[str, float | None] = {}
        for name in ("wall_time_s", "cost_usd", "energy_kwh", "co2_kg"):
            a = getattr(base, name)
            b = getattr(plan, name)
            row[name] = None if a is None or b is None or a == 0 else (b / a - 1.0) * 100.0
        rows.append(row)
    return rows
