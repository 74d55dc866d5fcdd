"""Choosing, per plan row, the cheapest way to rent its cluster for the run's duration.

Pricing models and what a run of ``H`` hours on ``n`` instances costs under each:

* ``on_demand``: ``n x price x H``;
* ``capacity_block``: ``n x price x H``, allowed only within the block's limits (AWS: at most
  64 instances and 182 days per block, the offering's ``capacity_block_max_*`` fields);
* ``commit_1y`` / ``commit_3y``: the whole term is paid whatever the run uses, so
  ``n x price x max(H, term)``; the plan notes the term and the amortized hourly rate;
* ``spot`` (only when the user allows it): ``n x price x H_spot`` where the run is stretched by
  preemptions. A synchronous training job restarts whenever any of its ``n`` instances is
  reclaimed; each restart loses on average half a checkpoint interval plus the restart time::

      rate   = n x interruptions_per_instance_month / 730 h          (restarts per hour)
      lost   = checkpoint_interval / 2 + restart_time                   (hours per restart)
      H_spot = H / (1 - rate x lost)      (no plan when rate x lost >= MAX_SPOT_LOSS)

Everything is evaluated on arrays of plan rows at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xpuplan.catalog.schema import PRICING_MODELS
from xpuplan.errors import InputError
from xpuplan.units import SECONDS_PER_HOUR

__all__ = [
    "DEFAULT_CHECKPOINT_INTERVAL_S",
    "DEFAULT_RESTART_TIME_S",
    "DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH",
    "HOURS_PER_MONTH",
    "MAX_SPOT_LOSS",
    "TERM_HOURS",
    "PricedRows",
    "SpotModel",
    "choose_pricing",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

HOURS_PER_MONTH = 730.0  # 8,760 h / 12
TERM_HOURS = {"commit_1y": 8_760.0, "commit_3y": 3 * 8_760.0}
# Interruptions per instance per month: AWS's Spot Instance Advisor reports the "frequency of
# interruption" in bands (<5%, 5-10%, 10-15%, 15-20%, >20% of instances per month; bands as
# described by sparecores.com 2024-04); AWS states an average under 5% across all instance
# types. 0.2 is the lower edge of the top band: a deliberately pessimistic assumption for
# large, scarce accelerator instances, shown with every spot plan; GCP and Azure publish no
# frequency. Override with --spot-interruptions-per-month.
DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH = 0.2
DEFAULT_SPOT_SOURCE = (
    "assumed 0.2 interruptions per instance-month: lower edge of the top band (>20%) of the "
    "AWS Spot Instance Advisor frequency of interruption, a pessimistic choice for accelerator "
    "instances"
)
# Checkpoint every hour and 10 minutes to detect, re-provision and reload: modelling defaults
# shown with every spot plan (flags --checkpoint-interval and --restart-time).
DEFAULT_CHECKPOINT_INTERVAL_S = 3_600.0
DEFAULT_RESTART_TIME_S = 600.0
# Above half the time lost to restarts, a run on spot is judged not to make progress.
MAX_SPOT_LOSS = 0.5


@dataclass(frozen=True)
class SpotModel:
    """Expected preemption overhead of training on spot capacity."""

    interruptions_per_instance_month: float = DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH
    checkpoint_interval_s: float = DEFAULT_CHECKPOINT_INTERVAL_S
    restart_time_s: float = DEFAULT_RESTART_TIME_S

    def __post_init__(self) -> None:
        for name, value in (
            ("interruptions_per_instance_month", self.interruptions_per_instance_month),
            ("checkpoint_interval_s", self.checkpoint_interval_s),
            ("restart_time_s", self.restart_time_s),
        ):
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name}: {value!r} must be a finite number >= 0")

    @property
    def description(self) -> str:
        source = (
            DEFAULT_SPOT_SOURCE
            if self.interruptions_per_instance_month == DEFAULT_SPOT_INTERRUPTIONS_PER_MONTH
            else "--spot-interruptions-per-month"
        )
        return (
            f"spot: {self.interruptions_per_instance_month:g} interruptions per instance-month "
            f"({source}); each restart loses checkpoint interval / 2 + restart time = "
            f"{self.checkpoint_interval_s / 2 / 60:g} + {self.restart_time_s / 60:g} min"
        )

    def stretch(self, instances: FloatArray) -> FloatArray:
        """Factor H_spot / H per row (inf where restarts would eat MAX_SPOT_LOSS or more)."""
        rate_per_h = instances * self.interruptions_per_instance_month / HOURS_PER_MONTH
        lost_h = (self.checkpoint_interval_s / 2 + self.restart_time_s) / SECONDS_PER_HOUR
        loss = rate_per_h * lost_h
        return np.where(loss < MAX_SPOT_LOSS, 1.0 / np.maximum(1.0 - loss, 1e-12), np.inf)


@dataclass(frozen=True)
class PricedRows:
    """Per plan row: the chosen model (index into PRICING_MODELS, -1: none), time and cost."""

    model: IntArray
    wall_time_s: FloatArray
    usd_per_hour: FloatArray  # instances x hourly price of the chosen model
    cost_usd: FloatArray
    removed_by_limits: int  # rows priced only by models whose limits they exceed


def choose_pricing(
    *,
    allowed: tuple[str, ...],
    price_by_model: FloatArray,  # (rows, len(PRICING_MODELS)) per instance-hour, NaN: none
    instances: FloatArray,
    wall_time_s: FloatArray,
    cb_max_instances: FloatArray,  # NaN: no limit
    cb_max_s: FloatArray,  # NaN: no limit
    spot: SpotModel,
) -> PricedRows:
    """The cheapest allowed pricing model of every row (ties: PRICING_MODELS order)."""
    n = wall_time_s.shape[0]
    costs = np.full((n, len(PRICING_MODELS)), np.inf)
    walls = np.repeat(wall_time_s[:, None], len(PRICING_MODELS), axis=1)
    priced_any = np.zeros(n, dtype=bool)
    hours = wall_time_s / SECONDS_PER_HOUR
    for k, model in enumerate(PRICING_MODELS):
        if model not in allowed:
            continue
        price = price_by_model[:, k]
        has = np.isfinite(price)
        priced_any |= has
        cost = instances * price * hours
        if model == "spot":
            stretch = spot.stretch(instances)
            walls[:, k] = wall_time_s * stretch
            cost = instances * price * walls[:, k] / SECONDS_PER_HOUR
        elif model in TERM_HOURS:
            cost = instances * price * np.maximum(hours, TERM_HOURS[model])
        elif model == "capacity_block":
            ok_n = np.isnan(cb_max_instances) | (instances <= cb_max_instances)
            ok_t = np.isnan(cb_max_s) | (wall_time_s <= cb_max_s)
            cost = np.where(ok_n & ok_t, cost, np.inf)
        costs[:, k] = np.where(has & np.isfinite(cost), cost, np.inf)
    choice = np.argmin(costs, axis=1)
    rows = np.arange(n)
    best = costs[rows, choice]
    ok = np.isfinite(best)
    model_index = np.where(ok, choice, -1).astype(np.int64)
    chosen_price = np.where(ok, price_by_model[rows, choice], np.nan)
    return PricedRows(
        model=model_index,
        wall_time_s=np.where(ok, walls[rows, choice], np.inf),
        usd_per_hour=instances * chosen_price,
        cost_usd=np.where(ok, best, np.inf),
        removed_by_limits=int((priced_any & ~ok).sum()),
    )
