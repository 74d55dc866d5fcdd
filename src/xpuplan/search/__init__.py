"""The planner's search machinery: candidate space, vectorized evaluation, ranking, Pareto.

* :mod:`~xpuplan.search.filters`: which offerings a plan may use (pricing, regions, vendors);
* :mod:`~xpuplan.search.space`: hardware groups and rentable chip counts (layouts come from
  :func:`xpuplan.perf.layout.enumerate_layouts`, the one enumerator);
* :mod:`~xpuplan.search.estimators`: adapters to the estimators of :mod:`xpuplan.perf`;
* :mod:`~xpuplan.search.training` / :mod:`~xpuplan.search.serving`: the two searches;
* :mod:`~xpuplan.search.pareto`: the cost/time front;
* :mod:`~xpuplan.search.results`: frozen result types with a stable ``to_dict``.

The public entry points are in :mod:`xpuplan.plan`.
"""

from xpuplan.search.filters import OfferingFilter
from xpuplan.search.results import (
    FleetEntry,
    FleetPlan,
    LockInEntry,
    SearchStats,
    ServingPlanResult,
    Source,
    TrainingComparison,
    TrainingPlan,
    TrainingPlanResult,
)

__all__ = [
    "FleetEntry",
    "FleetPlan",
    "LockInEntry",
    "OfferingFilter",
    "SearchStats",
    "ServingPlanResult",
    "Source",
    "TrainingComparison",
    "TrainingPlan",
    "TrainingPlanResult",
]
