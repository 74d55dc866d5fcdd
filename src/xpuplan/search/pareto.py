"""Pareto front of two objectives to minimize (cost and time), in O(n log n)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["pareto_front"]


def pareto_front(cost: NDArray[np.float64], time: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices of the non-dominated points, ordered by increasing cost (and decreasing time).

    A point is dominated when another is no worse in both objectives and better in one. Of
    exact duplicates one representative (the lowest index) is kept. Non-finite points are
    never on the front.
    """
    cost = np.asarray(cost, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(cost) & np.isfinite(time))
    if finite.size == 0:
        return np.empty(0, dtype=np.intp)
    # Sort by cost, then time, then index: a point is on the front iff its time is strictly
    # below the minimum time of every point before it in this order.
    order = finite[np.lexsort((finite, time[finite], cost[finite]))]
    t_sorted = time[order]
    best_before = np.minimum.accumulate(np.concatenate(([np.inf], t_sorted[:-1])))
    keep = t_sorted < best_before
    return order[keep].astype(np.intp)
