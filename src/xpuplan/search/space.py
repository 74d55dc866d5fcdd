"""The candidate space as numpy arrays: offerings x chip counts (x layouts, see ``layouts.py``).

Offerings that differ only in region or price share their hardware, so the estimators run once
per *hardware group* (accelerator, chips per instance, scale-up domain, network, slice sizes)
and chip count; prices, grid carbon and PUE are broadcast over the group's offerings after.

Chip counts respect the unit of purchase: any whole number of instances from the ladder
1, 2, 3, 4, 6, 8, 12, ... (powers of two and three times powers of two, the shapes clusters
are usually built in), or exactly the slice sizes in ``allowed_chip_counts`` (TPU slices),
capped by the offering's ``max_chips`` and the user's ``--max-chips``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import PRICING_MODELS, Accelerator, Offering, Region
from xpuplan.search.filters import SelectedOffering
from xpuplan.units import SECONDS_PER_DAY

__all__ = [
    "DEFAULT_MAX_CHIPS",
    "HardwareGroup",
    "OfferingArrays",
    "PriceClasses",
    "build_offering_arrays",
    "chip_counts",
    "group_hardware",
    "offering_limit",
    "price_classes",
]

# Largest cluster the search considers when neither the offering nor --max-chips caps it:
# 2^17 = 131,072 chips, above the largest single training clusters publicly described
# (Meta's 24,576-GPU Llama 3 clusters, Dubey et al. 2024 section 3.3.1; xAI's 100,000-GPU
# Colossus, xAI press release 2024-09).
DEFAULT_MAX_CHIPS = 131_072

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def chip_counts(
    chips_per_instance: int,
    allowed_chip_counts: Sequence[int] | None,
    max_chips: int,
    min_chips: int = 1,
) -> IntArray:
    """Total chip counts one offering can be rented at, ascending, within [min_chips, max_chips]."""
    if allowed_chip_counts:
        counts = sorted({int(c) for c in allowed_chip_counts})
        out = [c for c in counts if min_chips <= c <= max_chips]
        return np.array(out, dtype=np.int64)
    max_instances = max_chips // chips_per_instance
    ladder: set[int] = set()
    power = 1
    while power <= max_instances:
        ladder.add(power)
        if 3 * power <= max_instances:
            ladder.add(3 * power)
        power *= 2
    instances = np.array(sorted(n for n in ladder if n <= max_instances), dtype=np.int64)
    chips = instances * chips_per_instance
    return chips[chips >= min_chips]


@dataclass(frozen=True)
class HardwareGroup:
    """Offerings with identical hardware: the estimator's answer is the same for all of them."""

    accelerator: Accelerator
    chips_per_instance: int
    scaleup_domain_chips: int
    network_gbits_per_s_per_chip: float | None
    allowed_chip_counts: tuple[int, ...] | None
    max_chips: int
    members: tuple[int, ...]  # indices into the selected offerings


def _domain(offering: Offering, accelerator: Accelerator) -> int:
    """Scale-up domain in this offering: the offering's override, else the chip's own."""
    if offering.scaleup_domain_chips is not None:
        return offering.scaleup_domain_chips
    return accelerator.scaleup_domain_chips


def _network(offering: Offering, accelerator: Accelerator) -> float | None:
    """Per-chip scale-out Gb/s: the instance's network / chips, else the chip's typical figure."""
    if offering.network_gbits_per_s is not None:
        return offering.network_gbits_per_s / offering.chips_per_instance
    return accelerator.scaleout_gbits_per_s_per_chip


def offering_limit(offering: Offering, max_chips: int | None, training: bool = False) -> int:
    """Largest total this search may rent of ``offering``.

    The offering's own ``max_chips`` (a published cluster size or a conservative default),
    unless the user's ``--max-chips`` lifts or lowers it. For training (one synchronous
    job), a shape without a cluster network stays within ``training_max_chips`` whatever
    the user asks; serving replicas are independent and may use many such instances.
    """
    if training and offering.training_max_chips is not None:
        own = offering.training_max_chips
        return own if max_chips is None else min(own, max_chips)
    if max_chips is not None:
        return max_chips
    return offering.max_chips if offering.max_chips is not None else DEFAULT_MAX_CHIPS


def group_hardware(
    catalog: Catalog,
    selected: Sequence[SelectedOffering],
    max_chips: int | None,
    training: bool = False,
) -> tuple[HardwareGroup, ...]:
    """Group the selected offerings by hardware; ``max_chips`` is the user's cap (or None).

    ``training``: the groups serve one synchronous training job (see :func:`offering_limit`).
    """
    groups: dict[tuple[str, int, int, float | None, tuple[int, ...] | None, int], list[int]] = {}
    # Offerings alike in every hardware field share a key: work each key out once.
    keys: dict[tuple[Any, ...], tuple[str, int, int, float | None, tuple[int, ...] | None, int]]
    keys = {}
    # One C call per offering reads its hardware fields (see _HARDWARE_FIELDS).
    for i, (o, fields) in enumerate(zip(*_offerings_and(selected, _HARDWARE_FIELDS), strict=True)):
        known = keys.get(fields)
        if known is not None:
            groups[known].append(i)
            continue
        acc = catalog.accelerator(o.accelerator_id)
        limit = offering_limit(o, max_chips, training)
        if _network(o, acc) is None:
            # No scale-out figure for this offering or its chip: traffic between instances
            # cannot be costed, so plans stay inside one instance or scale-up domain (add
            # `network_gbits_per_s` in a catalog override to plan multi-node runs on it).
            limit = min(limit, max(o.chips_per_instance, _domain(o, acc)))
        allowed = o.allowed_chip_counts
        if allowed and max_chips is not None and max_chips > max(allowed) and _network(o, acc):
            # --max-chips lifts a slice list too: more copies of the largest slice over DCN.
            largest = _domain(o, acc) if _domain(o, acc) in allowed else max(allowed)
            extra = chip_counts(largest, None, max_chips)
            allowed = tuple(sorted(set(allowed) | {int(c) for c in extra}))
        key = (
            o.accelerator_id,
            o.chips_per_instance,
            _domain(o, acc),
            _network(o, acc),
            allowed,
            limit,
        )
        keys[fields] = key
        groups.setdefault(key, []).append(i)
    out = []
    for key, members in groups.items():
        first = selected[members[0]].offering
        acc = catalog.accelerator(first.accelerator_id)
        out.append(
            HardwareGroup(
                accelerator=acc,
                chips_per_instance=first.chips_per_instance,
                scaleup_domain_chips=_domain(first, acc),
                network_gbits_per_s_per_chip=_network(first, acc),
                allowed_chip_counts=key[4],
                max_chips=key[5],
                members=tuple(members),
            )
        )
    return tuple(out)


# The fields of an offering that decide its hardware group.
_HARDWARE_FIELDS = attrgetter(
    "accelerator_id",
    "chips_per_instance",
    "scaleup_domain_chips",
    "network_gbits_per_s",
    "allowed_chip_counts",
    "max_chips",
    "training_max_chips",
)
# The fields of an offering that OfferingArrays holds.
_ARRAY_FIELDS = attrgetter(
    "chips_per_instance",
    "usd_per_hour",
    "capacity_block_max_instances",
    "capacity_block_max_days",
)
_offering = attrgetter("offering")


def _offerings_and(
    selected: Sequence[SelectedOffering], fields: attrgetter[Any]
) -> tuple[list[Offering], list[Any]]:
    """The selected offerings and ``fields`` of each, read in one pass (a large catalog's rows
    do not stay in the CPU cache from one pass to the next: one pass, not one per field)."""
    offerings = list(map(_offering, selected))
    return offerings, list(map(fields, offerings))


@dataclass(frozen=True)
class OfferingArrays:
    """Per selected offering: price, place and power inputs, NaN where unknown."""

    usd_per_hour: FloatArray  # per instance
    chips_per_instance: IntArray
    grid_gco2_per_kwh: FloatArray
    pue: FloatArray
    tdp_w: FloatArray
    group: IntArray  # index of the hardware group
    price_by_model: FloatArray  # (offerings, len(PRICING_MODELS)) per instance-hour, NaN: none
    cb_max_instances: FloatArray  # capacity-block size limit, NaN: none
    cb_max_s: FloatArray  # capacity-block duration limit, NaN: none


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else float(value)


def build_offering_arrays(
    selected: Sequence[SelectedOffering], groups: Sequence[HardwareGroup]
) -> OfferingArrays:
    group_of = np.empty(len(selected), dtype=np.int64)
    for g, group in enumerate(groups):
        group_of[list(group.members)] = g
    _, fields = _offerings_and(selected, _ARRAY_FIELDS)
    chips, prices, cb_instances, cb_days = zip(*fields, strict=True) if fields else ([],) * 4
    # Regions and accelerators are few: their figures are looked up once each, then taken.
    region_code: dict[int, int] = {}
    region_rows: list[Region | None] = []
    for region in map(_region, selected):
        if id(region) not in region_code:
            region_code[id(region)] = len(region_rows)
            region_rows.append(region)
    codes = np.array([region_code[id(region)] for region in map(_region, selected)], np.int64)
    grid = np.array([_nan_if_none(r.grid_gco2_per_kwh if r else None) for r in region_rows])
    pue = np.array([_nan_if_none(r.pue if r else None) for r in region_rows])
    tdp = np.array([_nan_if_none(g.accelerator.tdp_w) for g in groups], dtype=np.float64)
    return OfferingArrays(
        usd_per_hour=np.array([s.usd_per_hour for s in selected], dtype=np.float64),
        chips_per_instance=np.array(chips, dtype=np.int64),
        grid_gco2_per_kwh=grid.reshape(-1)[codes] if codes.size else np.empty(0),
        pue=pue.reshape(-1)[codes] if codes.size else np.empty(0),
        tdp_w=tdp[group_of],
        group=group_of,
        price_by_model=_price_table(prices),
        # None becomes NaN in a float array.
        cb_max_instances=np.array(cb_instances, dtype=np.float64),
        cb_max_s=np.array(cb_days, dtype=np.float64) * SECONDS_PER_DAY,
    )


_region = attrgetter("region")


@dataclass(frozen=True)
class PriceClasses:
    """Offerings alike in hardware group and in every per-offering figure of
    :class:`OfferingArrays` (prices, capacity-block limits, PUE, grid, TDP): a plan row's
    time, cost, energy and CO2 are the same for all of them, so the search works each class
    out once per chip count and copies the figures to its members (200,000 synthetic
    offerings fall into about 4,000 classes). Classes are numbered by their first member."""

    of_offering: IntArray  # class of each selected offering
    first: IntArray  # first (lowest-index) member of each class
    local: IntArray  # position of each class among its group's classes
    of_group: tuple[IntArray, ...]  # the classes of each hardware group, ascending


def price_classes(
    arrays: OfferingArrays, groups: int, pricing_models: Sequence[str] = PRICING_MODELS
) -> PriceClasses:
    """The price classes of the selected offerings (``groups``: how many hardware groups);
    only the prices of ``pricing_models`` (those the search may use) tell offerings apart."""
    n = arrays.group.shape[0]
    used = [k for k, model in enumerate(PRICING_MODELS) if model in pricing_models]
    table = np.column_stack(
        [
            arrays.group.astype(np.float64),
            arrays.chips_per_instance.astype(np.float64),
            arrays.price_by_model[:, used],
            arrays.cb_max_instances,
            arrays.cb_max_s,
            arrays.pue,
            arrays.grid_gco2_per_kwh,
            arrays.tdp_w,
        ]
    )
    # Alike means the same bits (NaN included): compare the rows as integers.
    bits = np.ascontiguousarray(table).view(np.int64).reshape(n, -1)
    # Runs of equal rows after a stable sort of the columns (numeric compares: np.unique over
    # whole rows compares them as bytes, several times slower); a run's first element is
    # its lowest index.
    rows_sorted = np.lexsort(bits.T[::-1]) if n else np.empty(0, np.int64)
    in_order = bits[rows_sorted]
    starts = np.ones(n, dtype=bool)
    starts[1:] = (in_order[1:] != in_order[:-1]).any(axis=1)
    inverse = np.empty(n, dtype=np.int64)
    inverse[rows_sorted] = np.cumsum(starts) - 1
    first = rows_sorted[starts]
    order = np.argsort(first, kind="stable")
    number = np.empty_like(order)
    number[order] = np.arange(order.shape[0])
    first = first[order].astype(np.int64)
    group_of_class = arrays.group[first]
    by_group = np.argsort(group_of_class, kind="stable")
    sizes = np.bincount(group_of_class, minlength=groups)
    of_group = tuple(np.split(by_group.astype(np.int64), np.cumsum(sizes)[:-1]))
    local = np.empty(first.shape[0], dtype=np.int64)
    for classes in of_group:
        local[classes] = np.arange(classes.shape[0])
    return PriceClasses(
        of_offering=number[inverse],
        first=first,
        local=local,
        of_group=of_group,
    )


def _price_table(prices: Sequence[Mapping[Any, float]]) -> FloatArray:
    """(offerings, len(PRICING_MODELS)) hourly prices, NaN where a model has none, built a row
    at a time with C calls (each offering's price table is read once: 200,000 separate tables
    do not stay in the CPU cache between passes)."""
    missing = (math.nan,) * len(PRICING_MODELS)
    rows = [list(map(table.get, PRICING_MODELS, missing)) for table in prices]
    return np.array(rows, dtype=np.float64).reshape(len(prices), len(PRICING_MODELS))
