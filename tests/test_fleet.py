"""The HiGHS fleet program: optimal on hand-solvable cases, vendor share respected."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.errors import InfeasibleError, InputError
from xpuplan.fleet import FleetProblem, best_single_type, solve_fleet


def _problem(cap, cost, vendor, rps, share=None, max_replicas=None) -> FleetProblem:
    n = len(cap)
    return FleetProblem(
        capacity_rps=np.array(cap, dtype=float),
        usd_per_hour=np.array(cost, dtype=float),
        vendor=tuple(vendor),
        max_replicas=np.full(n, np.inf) if max_replicas is None else np.array(max_replicas, float),
        required_rps=rps,
        max_vendor_share=share,
    )


def test_mixing_beats_single_type_by_hand() -> None:
    # Need 10 rps. A: 4 rps for $3, B: 7 rps for $5. Single type: 3xA = $9 or 2xB = $10.
    # Mixed: 1A + 1B = 11 rps for $8 (hand enumeration).
    p = _problem([4, 7], [3, 5], ["x", "y"], 10)
    mixed = solve_fleet(p)
    assert mixed.replicas.tolist() == [1, 1]
    assert mixed.usd_per_hour == pytest.approx(8.0)
    single = best_single_type(p)
    assert single.usd_per_hour == pytest.approx(9.0)
    assert single.replicas.tolist() == [3, 0]


def test_vendor_share_forces_diversity() -> None:
    # Vendor x is far cheaper, but may provide at most 60% of the fleet's capacity.
    p = _problem([10, 10], [1, 10], ["x", "y"], 100, share=0.6)
    sol = solve_fleet(p)
    served = sol.replicas * p.capacity_rps
    assert served.sum() >= 100
    assert served[0] / served.sum() <= 0.6 + 1e-9
    # By hand: x <= 1.5 y, 10(x + y) >= 100 -> x = 6, y = 4 costs 46.
    assert sol.usd_per_hour == pytest.approx(46.0)
    assert sol.vendor_capacity_share["x"] == pytest.approx(0.6)


def test_share_needs_enough_vendors() -> None:
    p = _problem([10, 10], [1, 2], ["x", "x"], 100, share=0.4)
    with pytest.raises(InfeasibleError, match=r"max_vendor_share=0\.4: needs at least 3 vendors"):
        solve_fleet(p)


def test_availability_limits() -> None:
    p = _problem([10, 10], [1, 5], ["x", "y"], 100, max_replicas=[3, 100])
    sol = solve_fleet(p)
    assert sol.replicas.tolist() == [3, 7]
    tight = _problem([10, 10], [1, 5], ["x", "y"], 100, max_replicas=[3, 3])
    with pytest.raises(InfeasibleError, match="availability"):
        solve_fleet(tight)


def test_bad_share_is_input_error() -> None:
    with pytest.raises(InputError, match="max_vendor_share"):
        solve_fleet(_problem([1], [1], ["x"], 1, share=1.5))


@settings(max_examples=60, deadline=None)
@given(
    cap=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    cost=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    rps=st.integers(1, 25),
    share=st.sampled_from([None, 0.5, 0.7, 1.0]),
)
def test_matches_brute_force(
    cap: list[int], cost: list[int], rps: int, share: float | None
) -> None:
    n = len(cap)
    vendor = ["v0", "v1", "v0", "v1"][:n]
    p = _problem(cap, cost[:n], vendor, rps, share=share)
    bound = 20  # enumerate every fleet with at most `bound` replicas of each type
    grid = np.indices((bound + 1,) * n).reshape(n, -1).T
    served = grid * np.array(cap)
    total = served.sum(axis=1)
    ok = total >= rps
    if share is not None:
        for v in set(vendor):
            members = [i for i in range(n) if vendor[i] == v]
            ok &= served[:, members].sum(axis=1) <= share * total + 1e-9
    costs = np.where(ok, grid @ np.array(cost[:n]), np.inf)
    brute = float(costs.min())
    try:
        sol = solve_fleet(p)
    except InfeasibleError:
        assert math.isinf(brute)  # nothing within the enumeration bound either
        return
    fleet_served = sol.replicas * p.capacity_rps
    assert fleet_served.sum() >= rps
    if share is not None:
        for v, s in sol.vendor_capacity_share.items():
            assert s <= share + 1e-6, v
    assert sol.usd_per_hour == pytest.approx(float(np.dot(sol.replicas, cost[:n])))
    assert sol.usd_per_hour <= brute + 1e-9  # optimal over a superset of the enumeration
    if sol.replicas.max() <= bound:
        assert sol.usd_per_hour == pytest.approx(brute)
