"""Energy and CO2 of a run: accelerator power x time x PUE, times the grid's carbon intensity.

Formulas (vectorized over candidates)::

    power_w    = tdp_w                                     (default model: an upper bound)
    power_w    = tdp_w * (idle + (1 - idle) * utilization) (linear model, idle fraction given)
    energy_kwh = chips * power_w * hours * pue / 1000
    co2_kg     = energy_kwh * grid_gco2_per_kwh / 1000

The default power model charges every chip its TDP for the whole run. That is the convention
of Meta's Llama 2 and Llama 3 model cards ("peak power capacity per GPU device ... adjusted for
power usage efficiency") and an upper bound: Latif et al. 2024 (arXiv:2412.08602) measured an
8x H100 HGX node training Llama-2-13B at about 8.4 kW peak against its 10.2 kW rating. The
linear model is available when the caller supplies an idle fraction it can source; xpuplan
ships none. Only the accelerators are counted: host CPUs, memory, network and storage are not.
Location-based grid intensity is used; market-based (REC/PPA) accounting is not modelled.

A missing TDP, grid intensity or PUE yields NaN for the affected candidates; the planner turns
that into ``null`` with a note and never substitutes a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xpuplan.errors import InputError
from xpuplan.units import KILO, SECONDS_PER_HOUR

__all__ = ["EnergyBreakdown", "PowerModel", "chip_power_w", "run_energy"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PowerModel:
    """How busy chips draw power. ``idle_fraction=None`` means TDP all the time (upper bound)."""

    idle_fraction: float | None = None
    pue: float | None = None  # the user's --pue: replaces every region's PUE when given

    def __post_init__(self) -> None:
        if self.idle_fraction is not None and not 0.0 <= self.idle_fraction <= 1.0:
            raise InputError(f"idle fraction: {self.idle_fraction} must be between 0 and 1")
        if self.pue is not None and not 1.0 <= self.pue <= 3.0:
            raise InputError(f"pue: {self.pue!r} must be between 1.0 and 3.0")

    @property
    def description(self) -> str:
        pue = "" if self.pue is None else f"; PUE {self.pue:g} everywhere (--pue)"
        if self.idle_fraction is None:
            return (
                "chip power = TDP for the whole run (upper bound; Llama 3 model-card convention); "
                "accelerators only, host power excluded" + pue
            )
        return (
            f"chip power = TDP x ({self.idle_fraction:g} + {1 - self.idle_fraction:g} x MFU); "
            "accelerators only, host power excluded" + pue
        )


@dataclass(frozen=True)
class EnergyBreakdown:
    """Per-candidate energy terms; NaN where an input (TDP, PUE, grid) is unknown."""

    it_energy_kwh: FloatArray  # chips x power x hours
    facility_energy_kwh: FloatArray  # it_energy x (PUE - 1): cooling, power distribution
    energy_kwh: FloatArray  # it + facility
    co2_kg: FloatArray


def chip_power_w(tdp_w: FloatArray, utilization: FloatArray, model: PowerModel) -> FloatArray:
    """Average power per chip in W under ``model`` (NaN where TDP is unknown)."""
    if model.idle_fraction is None:
        return np.asarray(tdp_w, dtype=np.float64) * np.ones_like(utilization, dtype=np.float64)
    busy = np.clip(np.asarray(utilization, dtype=np.float64), 0.0, 1.0)
    return np.asarray(
        tdp_w * (model.idle_fraction + (1.0 - model.idle_fraction) * busy), dtype=np.float64
    )


def run_energy(
    *,
    chips: FloatArray,
    wall_time_s: FloatArray,
    tdp_w: FloatArray,
    utilization: FloatArray,
    pue: FloatArray,
    grid_gco2_per_kwh: FloatArray,
    model: PowerModel = PowerModel(),
) -> EnergyBreakdown:
    """Energy (kWh) and CO2 (kg) of running ``chips`` for ``wall_time_s`` (all arrays broadcast)."""
    hours = np.asarray(wall_time_s, dtype=np.float64) / SECONDS_PER_HOUR
    power_w = chip_power_w(np.asarray(tdp_w, dtype=np.float64), utilization, model)
    it_kwh = np.asarray(chips, dtype=np.float64) * power_w * hours / KILO
    site_pue = np.asarray(pue, dtype=np.float64) if model.pue is None else model.pue
    facility_kwh = it_kwh * (site_pue - 1.0)
    total_kwh = it_kwh + facility_kwh
    co2_kg = total_kwh * np.asarray(grid_gco2_per_kwh, dtype=np.float64) / KILO
    return EnergyBreakdown(
        it_energy_kwh=it_kwh,
        facility_energy_kwh=facility_kwh,
        energy_kwh=total_kwh,
        co2_kg=co2_kg,
    )
