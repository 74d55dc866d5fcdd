"""Price of a serving deployment: cost per million input and output tokens.

Pricing belongs to the planner side, not to the estimator (:mod:`xpuplan.perf.serving`
predicts throughput and latency; this module puts catalog prices on it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Offering, PricingModel
from xpuplan.errors import InputError
from xpuplan.jsontypes import as_dict
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving import ServingEstimate, estimate_serving
from xpuplan.units import SECONDS_PER_HOUR

__all__ = [
    "PricedServingEstimate",
    "ServingCost",
    "cheapest_offering",
    "cost_per_million_tokens",
    "estimate_serving_priced",
]


@dataclass(frozen=True)
class ServingCost:
    """Price of a serving deployment and its cost per million input and output tokens.

    The hourly price of all ``count`` chips is split between input and output tokens by the
    share of replica time spent in prefill (input) versus decode (output); idle capacity is
    charged to both in the same proportion.
    """

    provider: str
    region: str
    instance: str
    pricing: str
    usd_per_chip_hour: float
    usd_per_hour: float
    prefill_time_share: float
    usd_per_million_input_tokens: float
    usd_per_million_output_tokens: float
    usd_per_million_tokens: float  # all tokens (input + output) at one price

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def cost_per_million_tokens(
    estimate: ServingEstimate, offering: Offering, pricing: PricingModel = "on_demand"
) -> ServingCost:
    """Cost per million input/output tokens of ``estimate`` rented as ``offering``."""
    per_chip = offering.usd_per_chip_hour(pricing)
    if per_chip is None:
        raise InputError(
            f"pricing: offering {offering.provider}/{offering.instance} in {offering.region} has "
            f"no {pricing!r} price; it has {', '.join(offering.usd_per_hour) or 'none'}"
        )
    usd_per_s = per_chip * estimate.count / SECONDS_PER_HOUR
    share = float(np.clip(estimate.prefill["time_share"], 0.0, 1.0))
    million = 1e6

    def per_million(part: float, tokens_per_s: float) -> float:
        return usd_per_s * part / tokens_per_s * million if tokens_per_s > 0 else math.inf

    total_tokens = estimate.input_tokens_per_s + estimate.output_tokens_per_s
    return ServingCost(
        provider=offering.provider,
        region=offering.region,
        instance=offering.instance,
        pricing=pricing,
        usd_per_chip_hour=per_chip,
        usd_per_hour=per_chip * estimate.count,
        prefill_time_share=share,
        usd_per_million_input_tokens=per_million(share, estimate.input_tokens_per_s),
        usd_per_million_output_tokens=per_million(1.0 - share, estimate.output_tokens_per_s),
        usd_per_million_tokens=per_million(1.0, total_tokens),
    )


def cheapest_offering(
    catalog: Catalog,
    accelerator_id: str,
    *,
    provider: str | None = None,
    instance: str | None = None,
    region: str | None = None,
    pricing: PricingModel = "on_demand",
) -> Offering | None:
    """The offering of ``accelerator_id`` with the lowest ``pricing`` price per chip-hour among
    those matching the filters; None when none has that price."""
    matches = [
        o
        for o in catalog.offerings_for(accelerator_id)
        if (provider is None or o.provider == provider)
        and (instance is None or o.instance == instance)
        and (region is None or o.region == region)
        and o.usd_per_chip_hour(pricing) is not None
    ]
    if not matches:
        return None
    return min(matches, key=lambda o: (o.usd_per_chip_hour(pricing), o.provider, o.region))


@dataclass(frozen=True)
class PricedServingEstimate(ServingEstimate):
    """A serving estimate with its cost: the estimate's fields under the estimate's names, then
    ``cost`` (None when the catalog has no matching price or the setup is infeasible) and
    ``cost_note`` (which offering priced it, or why none did)."""

    cost: ServingCost | None = None
    cost_note: str = ""

    @classmethod
    def from_estimate(
        cls, estimate: ServingEstimate, cost: ServingCost | None, note: str
    ) -> PricedServingEstimate:
        """``estimate`` with its ``cost`` and ``note``."""
        values = {f.name: getattr(estimate, f.name) for f in fields(ServingEstimate)}
        return cls(**values, cost=cost, cost_note=note)

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def estimate_serving_priced(
    catalog: Catalog,
    model: ModelSpec | str,
    accelerator_id: str,
    *,
    provider: str | None = None,
    instance: str | None = None,
    region: str | None = None,
    pricing: PricingModel = "on_demand",
    **kwargs: Any,
) -> PricedServingEstimate:
    """:func:`estimate_serving` on a catalog accelerator, priced with the cheapest matching
    offering (``provider`` / ``instance`` / ``region`` filter it)."""
    accelerator = catalog.accelerator(accelerator_id)
    estimate = estimate_serving(model, accelerator, **kwargs)
    offering = cheapest_offering(
        catalog,
        accelerator_id,
        provider=provider,
        instance=instance,
        region=region,
        pricing=pricing,
    )
    if offering is None:
        wanted = ", ".join(
            f"{k} {v!r}"
            for k, v in (("provider", provider), ("instance", instance), ("region", region))
            if v
        )
        note = f"no {pricing} price for {accelerator_id}" + (f" with {wanted}" if wanted else "")
        if provider or instance or region:
            raise InputError(f"{note} in the catalog (xpuplan catalog offerings)")
        return PricedServingEstimate.from_estimate(estimate, None, note)
    note = f"cheapest matching {pricing} offering: {offering.provider} {offering.instance} in "
    note += offering.region
    if not estimate.feasible:
        return PricedServingEstimate.from_estimate(
            estimate, None, f"{note}; not priced: {estimate.status}"
        )
    cost = cost_per_million_tokens(estimate, offering, pricing)
    return PricedServingEstimate.from_estimate(estimate, cost, note)
