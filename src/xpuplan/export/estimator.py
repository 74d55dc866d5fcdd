"""A run-time estimator for SkyPilot's optimizer.

SkyPilot's ``Task.set_time_estimator(func)`` takes a function from a ``sky.Resources`` (one
node's resources) to the task's estimated run time in **seconds** (``sky/task.py``:
"Sets a func mapping resources to estimated time (secs)"); its optimizer multiplies that time by
each candidate's hourly price to minimise cost (``sky/optimizer.py``). The node count is not
passed to the function, so it is an argument here.

The estimator maps the resources' accelerator name and count back to a catalog accelerator,
picks an offering of it (on the resources' cloud and region when the catalog has one, else the
cheapest elsewhere: the run time depends on the chips and their network, not on the price) and
runs the training planner on that fixed cluster (:func:`xpuplan.plan.compare_options`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Offering
from xpuplan.errors import InputError, XpuplanError
from xpuplan.export.skypilot import skypilot_names
from xpuplan.models.spec import ModelSpec

__all__ = ["SKYPILOT_DEFAULT_TIME_S", "resources_to_option", "skypilot_time_estimator"]

_LOG = logging.getLogger("xpuplan.export")
# SkyPilot's optimizer assumes one hour for a task without a time estimator
# (sky/optimizer.py: ``estimated_runtime = 1 * 3600``).
SKYPILOT_DEFAULT_TIME_S = 3600.0


def _cloud_name(cloud: Any) -> str | None:
    if cloud is None:
        return None
    canonical = getattr(cloud, "canonical_name", None)
    return str(canonical() if callable(canonical) else cloud).lower()


def _accelerator(resources: Any) -> tuple[str, int]:
    accelerators = getattr(resources, "accelerators", None)
    if not accelerators or len(accelerators) != 1:
        raise InputError(
            f"SkyPilot resources {resources}: need exactly one accelerator type "
            "(e.g. accelerators: H100:8), got " + repr(accelerators)
        )
    (name, count), *_ = accelerators.items()
    if not (count >= 1 and float(count).is_integer()):
        raise InputError(f"SkyPilot resources: accelerator count {count!r} must be a whole number")
    return str(name), int(count)


def _candidates(name: str, count: int, provider: str | None) -> list[tuple[str, int]]:
    """(accelerator id, chips per node) pairs SkyPilot's ``name:count`` may stand for."""
    names = skypilot_names()
    out: list[tuple[str, int]] = []
    for accelerator_id, tpu in names.tpus.items():
        prefix = f"{tpu['prefix']}-"
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            cores = int(name[len(prefix) :])
            per_chip = int(tpu["per_chip"])
            if cores % per_chip == 0:
                out.append((accelerator_id, cores // per_chip * count))
    for accelerator_id, row in names.accelerators.items():
        providers = [provider] if provider else sorted(names.clouds)
        instances = [None, *(row.get("by_instance") or {})]
        if any(
            names.accelerator_name(accelerator_id, p, i) == name
            for p in providers
            for i in instances
        ):
            out.append((accelerator_id, count))
    return out


def _price(offering: Offering, pricing: str) -> float:
    for model, price in offering.usd_per_hour.items():
        if model == pricing:
            return float(price)
    return min(offering.usd_per_hour.values(), default=math.inf)


def resources_to_option(
    resources: Any, catalog: Catalog, num_nodes: int = 1, pricing: str = "on_demand"
) -> tuple[Offering, int]:
    """The catalog offering and instance count that run ``num_nodes`` nodes of ``resources``.

    Preference: an instance SkyPilot calls by that very name (``H100-MEGA`` is GCP's
    a3-megagpu-8g), then same cloud and region, then same cloud, then any provider; an instance
    with exactly the node's chips before one that must be combined; then the lowest price.
    """
    if num_nodes < 1:
        raise InputError(f"num_nodes: {num_nodes} must be at least 1")
    name, count = _accelerator(resources)
    provider = _cloud_name(getattr(resources, "cloud", None))
    region = getattr(resources, "region", None)
    pairs = _candidates(name, count, provider) or _candidates(name, count, None)
    if not pairs:
        known = sorted(
            {str(r["name"]) for r in skypilot_names().accelerators.values()}
            | {f"{t['prefix']}-N" for t in skypilot_names().tpus.values()}
        )
        raise InputError(
            f"SkyPilot accelerator {name!r} is not in xpuplan's catalog; known: {', '.join(known)}"
        )
    best: tuple[tuple[float, ...], Offering, int] | None = None
    for accelerator_id, chips_per_node in pairs:
        chips = chips_per_node * (1 if accelerator_id in skypilot_names().tpus else num_nodes)
        for o in catalog.offerings_for(accelerator_id):
            if chips % o.chips_per_instance or not o.usd_per_hour:
                continue
            if o.allowed_chip_counts is not None and chips not in o.allowed_chip_counts:
                continue
            if o.max_chips is not None and chips > o.max_chips:
                continue
            same_name = skypilot_names().accelerator_name(o.accelerator_id, o.provider, o.instance)
            rank = (
                0.0 if same_name == name or accelerator_id in skypilot_names().tpus else 1.0,
                0.0 if o.provider == provider and o.region == region else 1.0,
                0.0 if o.provider == provider else 1.0,
                0.0 if o.chips_per_instance == chips_per_node else 1.0,
                _price(o, pricing),
            )
            if best is None or rank < best[0]:
                best = (rank, o, chips // o.chips_per_instance)
    if best is None:
        raise InputError(
            f"SkyPilot accelerator {name}:{count} x {num_nodes} node(s): no catalog offering "
            "has that many chips (xpuplan catalog offerings)"
        )
    return best[1], best[2]


def skypilot_time_estimator(
    model: ModelSpec | str,
    tokens: float | str,
    catalog: Catalog | None = None,
    *,
    num_nodes: int = 1,
    pricing: str = "on_demand",
    precision: str = "bf16",
    seq_len: int | None = None,
    global_batch_tokens: float | str | None = None,
) -> Callable[[Any], float]:
    """A function for ``sky.Task.set_time_estimator``: resources -> training time in seconds.

    ``num_nodes`` must match the task's ``num_nodes`` (SkyPilot does not pass it). ``catalog``
    None loads the bundled catalog when the estimator is created. Resources xpuplan cannot
    estimate (an accelerator or instance it does not know, an infeasible layout) get SkyPilot's
    own default, one hour, and a warning in the ``xpuplan.export`` log saying why, so that
    SkyPilot's optimizer still ranks everything else.
    """
    from xpuplan.catalog.load import load_catalog
    from xpuplan.plan import TrainingOption, compare_options

    table = catalog if catalog is not None else load_catalog()

    cache: dict[tuple[str, str, str, int], float] = {}

    def seconds(offering: Offering, instances: int) -> float:
        key = (offering.provider, offering.region, offering.instance, instances)
        if key in cache:
            return cache[key]
        option = TrainingOption(
            text=f"{offering.provider}:{offering.instance}@{offering.region} x{instances}",
            provider=offering.provider,
            instance=offering.instance,
            instances=instances,
            region=offering.region,
            pricing=pricing if pricing in offering.usd_per_hour else _any_pricing(offering),
        )
        comparison = compare_options(
            model,
            tokens,
            [option],
            catalog=table,
            precision=precision,
            seq_len=seq_len,
            global_batch_tokens=global_batch_tokens,
        )
        cache[key] = float(comparison.plans[0].wall_time_s)
        return cache[key]

    def estimate(resources: Any) -> float:
        try:
            offering, instances = resources_to_option(resources, table, num_nodes, pricing)
            return seconds(offering, instances)
        except XpuplanError as error:
            _LOG.warning(
                "xpuplan cannot estimate %s (%s); using SkyPilot's default of %.0f s",
                resources,
                error,
                SKYPILOT_DEFAULT_TIME_S,
            )
            return SKYPILOT_DEFAULT_TIME_S

    return estimate


def _any_pricing(offering: Offering) -> str:
    return min(offering.usd_per_hour, key=lambda p: offering.usd_per_hour[p])
