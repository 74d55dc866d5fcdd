"""Price classes: offerings alike in every figure a plan row reads are worked out once per
class, and the ranking, front and first-per-key picks over copied rows match the direct ones."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.search.pareto import pareto_front
from xpuplan.search.space import OfferingArrays, price_classes
from xpuplan.search.training import _first_per_key, _objective_order, _Rows, _SameRows

NAN = math.nan


def _arrays(
    prices: list[tuple[float, float]], group: list[int], pue: list[float]
) -> OfferingArrays:
    n = len(prices)
    table = np.full((n, 5), NAN)
    table[:, :2] = prices  # on_demand, spot
    return OfferingArrays(
        usd_per_hour=table[:, 0].copy(),
        chips_per_instance=np.full(n, 8, dtype=np.int64),
        grid_gco2_per_kwh=np.full(n, NAN),
        pue=np.array(pue),
        tdp_w=np.full(n, 700.0),
        group=np.array(group, dtype=np.int64),
        price_by_model=table,
        cb_max_instances=np.full(n, NAN),
        cb_max_s=np.full(n, NAN),
    )


def test_offerings_alike_share_a_class_numbered_by_first_member() -> None:
    arrays = _arrays(
        prices=[(2.0, 1.0), (3.0, 1.0), (2.0, 1.0), (2.0, 9.0), (2.0, 1.0), (3.0, 1.0)],
        group=[0, 0, 0, 0, 1, 0],
        pue=[1.1, 1.1, 1.1, 1.1, 1.1, NAN],
    )
    classes = price_classes(arrays, groups=2)
    # Same price, group and PUE: 0 and 2. Offering 3 differs by its spot price only, 4 by
    # its group, 5 by its PUE (NaN, alike only with NaN).
    assert classes.of_offering.tolist() == [0, 1, 0, 2, 3, 4]
    assert classes.first.tolist() == [0, 1, 3, 4, 5]
    assert [c.tolist() for c in classes.of_group] == [[0, 1, 2, 4], [3]]
    assert classes.local.tolist() == [0, 1, 2, 0, 3]
    # Without spot among the allowed models, its price tells nothing apart.
    no_spot = price_classes(arrays, groups=2, pricing_models=("on_demand",))
    assert no_spot.of_offering.tolist() == [0, 1, 0, 0, 2, 3]


def _rows(cost: np.ndarray, time: np.ndarray, co2: np.ndarray) -> _Rows:
    n = cost.shape[0]
    ints = np.zeros(n, dtype=np.int64)
    return _Rows(
        offering=ints,
        layout=ints,
        chips=ints,
        instances=ints,
        wall_time_s=time,
        usd_per_hour=cost,
        cost_usd=cost,
        energy_kwh=co2,
        it_energy_kwh=co2,
        co2_kg=co2,
        pricing=ints,
    )


_METRIC = st.sampled_from([1.0, 2.0, 3.0, math.inf])
_CO2 = st.sampled_from([1.0, 2.0, math.inf, NAN])


@settings(max_examples=150, deadline=None)
@given(
    metrics=st.lists(st.tuples(_METRIC, _METRIC, _CO2), min_size=1, max_size=6),
    picks=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    keep=st.lists(st.booleans(), min_size=40, max_size=40),
    objective=st.sampled_from(["cost", "time", "co2"]),
)
def test_ranking_by_class_rows_matches_a_sort_of_every_row(
    metrics: list[tuple[float, float, float]],
    picks: list[int],
    keep: list[bool],
    objective: str,
) -> None:
    # Class rows numbered by their first row, as the search numbers them.
    number: dict[int, int] = {}
    class_of_row = np.array([number.setdefault(p % len(metrics), len(number)) for p in picks])
    table = np.array(metrics)[list(number)]
    cost, time, co2 = (table[class_of_row, k] for k in range(3))
    _, first_row = np.unique(class_of_row, return_index=True)
    same = _SameRows(class_row=class_of_row, first_row=first_row.astype(np.int64))
    index = np.flatnonzero(np.array(keep[: len(picks)]))
    got = _objective_order(objective, _rows(cost, time, co2), index, same)
    finite_co2 = np.where(np.isfinite(co2), co2, np.inf)
    keys = {
        "cost": (finite_co2, time, cost),
        "time": (finite_co2, cost, time),
        "co2": (time, cost, finite_co2),
    }[objective]
    expected = index[np.lexsort((index, *(k[index] for k in keys)))]
    assert got.tolist() == expected.tolist()
    # The front over class rows (each by its first row) is the front over every row.
    rows_front = pareto_front(cost, time)
    class_front = first_row[pareto_front(cost[first_row], time[first_row])]
    assert rows_front.tolist() == class_front.tolist()


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(0, 20_000),
    distinct=st.integers(1, 30),
    limit=st.one_of(st.none(), st.integers(1, 12)),
    seed=st.integers(0, 2**32 - 1),
)
def test_first_per_key_on_a_prefix_matches_the_whole(
    size: int, distinct: int, limit: int | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    ranked = rng.permutation(size).astype(np.int64)
    key = rng.integers(0, distinct, size)
    if size:
        key[ranked[-1]] = distinct  # a key met only at the very end
    _, first = np.unique(key[ranked], return_index=True)
    expected = [int(ranked[p]) for p in np.sort(first)]
    if limit is not None:
        expected = expected[:limit]
    assert _first_per_key(ranked, key.__getitem__, limit) == expected
