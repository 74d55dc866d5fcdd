"""Pareto front: nothing on it is dominated; everything off it is dominated (or a duplicate)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from xpuplan.search.pareto import pareto_front


def test_hand_example() -> None:
    cost = np.array([1.0, 2.0, 3.0, 2.0, 5.0])
    time = np.array([9.0, 5.0, 1.0, 6.0, 0.5])
    # (2, 6) is dominated by (2, 5); the rest trade cost for time.
    assert pareto_front(cost, time).tolist() == [0, 1, 2, 4]


def test_non_finite_points_are_dropped() -> None:
    assert pareto_front(np.array([np.nan, 1.0]), np.array([1.0, np.inf])).tolist() == []


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a != b


@given(
    st.lists(
        st.tuples(st.integers(0, 12).map(float), st.integers(0, 12).map(float)),
        min_size=1,
        max_size=40,
    )
)
def test_front_properties(points: list[tuple[float, float]]) -> None:
    cost = np.array([p[0] for p in points])
    time = np.array([p[1] for p in points])
    front = set(pareto_front(cost, time).tolist())
    for i in front:
        assert not any(_dominates(q, points[i]) for q in points)
    for i, p in enumerate(points):
        if i in front:
            continue
        dominated = any(_dominates(q, p) for q in points)
        duplicate_on_front = any(points[j] == p for j in front)
        assert dominated or duplicate_on_front
    # exactly one representative per distinct non-dominated point
    assert len(front) == len({points[i] for i in front})
