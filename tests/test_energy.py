"""Energy and CO2: hand-computed examples, unknown inputs stay unknown."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xpuplan.energy import PowerModel, run_energy
from xpuplan.errors import InputError


def test_tdp_upper_bound_by_hand() -> None:
    # 1,024 chips x 700 W x 24 h = 17,203.2 kWh IT; x PUE 1.1 = 18,923.52 kWh;
    # x 400 g/kWh = 7,569.408 kg CO2.
    e = run_energy(
        chips=np.array([1024.0]),
        wall_time_s=np.array([86400.0]),
        tdp_w=np.array([700.0]),
        utilization=np.array([0.4]),
        pue=np.array([1.1]),
        grid_gco2_per_kwh=np.array([400.0]),
    )
    assert e.it_energy_kwh[0] == pytest.approx(17203.2)
    assert e.energy_kwh[0] == pytest.approx(18923.52)
    assert e.it_energy_kwh[0] + e.facility_energy_kwh[0] == pytest.approx(e.energy_kwh[0])
    assert e.co2_kg[0] == pytest.approx(7569.408)


def test_linear_model_by_hand() -> None:
    # 8 chips x 1000 W x (0.2 + 0.8 x 0.5) = 4,800 W for 10 h = 48 kWh; PUE 1.0.
    e = run_energy(
        chips=np.array([8.0]),
        wall_time_s=np.array([36000.0]),
        tdp_w=np.array([1000.0]),
        utilization=np.array([0.5]),
        pue=np.array([1.0]),
        grid_gco2_per_kwh=np.array([0.0]),
        model=PowerModel(idle_fraction=0.2),
    )
    assert e.energy_kwh[0] == pytest.approx(48.0)
    assert e.co2_kg[0] == 0.0


def test_unknowns_propagate_as_nan() -> None:
    e = run_energy(
        chips=np.array([8.0, 8.0, 8.0]),
        wall_time_s=np.array([3600.0] * 3),
        tdp_w=np.array([math.nan, 700.0, 700.0]),
        utilization=np.array([0.5] * 3),
        pue=np.array([1.1, math.nan, 1.1]),
        grid_gco2_per_kwh=np.array([100.0, 100.0, math.nan]),
    )
    assert np.isnan(e.energy_kwh[0]) and np.isnan(e.co2_kg[0])
    assert np.isnan(e.energy_kwh[1]) and np.isfinite(e.it_energy_kwh[1])
    assert np.isfinite(e.energy_kwh[2]) and np.isnan(e.co2_kg[2])


def test_idle_fraction_range() -> None:
    with pytest.raises(InputError, match="idle fraction"):
        PowerModel(idle_fraction=1.5)
