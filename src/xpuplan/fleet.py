"""The cheapest serving fleet as an integer program, solved with HiGHS.

Each candidate ``j`` is one replica type: an offering (provider, region, instance) with a
parallel layout, able to sustain ``capacity_j`` requests/s within the latency targets at a
price of ``usd_per_hour_j``. With integer replicas ``x_j >= 0`` the program is::

    minimize    sum_j usd_per_hour_j * x_j
    subject to  sum_j capacity_j * x_j >= required_rate                 (demand)
                sum_{j in v} capacity_j * x_j <= share * sum_j capacity_j * x_j
                                                       for every vendor v   (diversity)
                x_j <= max_replicas_j                    (availability, where known)

The vendor constraint is the *share of the fleet's own capacity*: no vendor may provide more
than ``share`` of the requests/s the chosen fleet can serve. It is linear after moving the
right-hand side over: ``sum_j (1[j in v] - share) * capacity_j * x_j <= 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xpuplan._stdio import quiet_stdout_fd
from xpuplan.errors import InfeasibleError, InputError

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "FleetProblem",
    "FleetSolution",
    "best_single_type",
    "solve_fleet",
]

# Relative tolerance on the share constraint when checking a solution (HiGHS works to ~1e-9).
_SHARE_TOLERANCE = 1e-6
# HiGHS stops once the incumbent is within this relative gap of the bound; cent-level exactness
# on fleets costing hundreds of dollars an hour is not needed and larger MIPs finish faster.
_MIP_REL_GAP = 1e-6
# Wall-clock cap of one solve; a fleet found by then is returned with its proven gap.
DEFAULT_TIME_LIMIT_S = 20.0


@dataclass(frozen=True)
class FleetProblem:
    """Candidates (one per replica type) and the demand to cover."""

    capacity_rps: NDArray[np.float64]  # requests/s one replica sustains within the SLOs
    usd_per_hour: NDArray[np.float64]  # price of one replica per hour
    vendor: tuple[str, ...]  # vendor of each candidate
    max_replicas: NDArray[np.float64]  # availability limit per candidate; inf when unknown
    required_rps: float
    max_vendor_share: float | None = None  # None: no diversity constraint


@dataclass(frozen=True)
class FleetSolution:
    """Integer replicas per candidate and what they add up to."""

    replicas: NDArray[np.int64]
    usd_per_hour: float
    capacity_rps: float
    vendor_capacity_share: dict[str, float]
    optimal: bool = True  # False when the time limit stopped HiGHS (see mip_gap)
    mip_gap: float = 0.0  # relative gap between this fleet's cost and HiGHS's lower bound


def _validate(problem: FleetProblem) -> None:
    n = len(problem.vendor)
    if not (problem.capacity_rps.shape == problem.usd_per_hour.shape == (n,)):
        raise InputError("fleet: capacity, price and vendor arrays must have the same length")
    if problem.max_replicas.shape != (n,):
        raise InputError("fleet: max_replicas must have one entry per candidate")
    if not problem.required_rps > 0 or not math.isfinite(problem.required_rps):
        raise InputError(f"fleet: required rate must be > 0 requests/s, got {problem.required_rps}")
    share = problem.max_vendor_share
    if share is not None and not 0 < share <= 1:
        raise InputError(f"max_vendor_share: {share} must be in (0, 1]")
    if np.any(problem.capacity_rps <= 0) or np.any(problem.usd_per_hour <= 0):
        raise InputError("fleet: every candidate needs capacity > 0 and a price > 0")


def _shares(
    replicas: NDArray[np.int64], capacity: NDArray[np.float64], vendor: tuple[str, ...]
) -> dict[str, float]:
    served = replicas * capacity
    total = float(served.sum())
    out: dict[str, float] = {}
    for v in sorted(set(vendor)):
        mask = np.array([x == v for x in vendor])
        part = float(served[mask].sum())
        if part > 0:
            out[v] = part / total
    return out


def solve_fleet(problem: FleetProblem, time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> FleetSolution:
    """Cheapest integer fleet covering ``required_rps`` (HiGHS branch and bound).

    Raises :class:`InfeasibleError` when the share limit cannot be met by the vendors present
    or availability caps the capacity below demand.
    """
    import highspy  # a compiled extension; imported here so that `import xpuplan` stays light

    _validate(problem)
    n = len(problem.vendor)
    vendors = sorted(set(problem.vendor))
    share = problem.max_vendor_share
    if share is not None and share * len(vendors) < 1 - _SHARE_TOLERANCE:
        raise InfeasibleError(
            f"max_vendor_share={share:g}: needs at least {math.ceil(1 / share)} vendors, "
            f"but only {len(vendors)} can serve this model ({', '.join(vendors)})"
        )
    finite_cap = np.where(np.isfinite(problem.max_replicas), problem.max_replicas, 0.0)
    if np.all(np.isfinite(problem.max_replicas)):
        reachable = float((finite_cap * problem.capacity_rps).sum())
        if reachable < problem.required_rps:
            raise InfeasibleError(
                f"availability: all listed capacity serves {reachable:.3g} requests/s, "
                f"below the required {problem.required_rps:.3g}"
            )

    rows: list[NDArray[np.float64]] = [problem.capacity_rps]
    lower: list[float] = [problem.required_rps]
    upper: list[float] = [highspy.kHighsInf]
    if share is not None and share < 1:
        for v in vendors:
            member = np.array([x == v for x in problem.vendor], dtype=np.float64)
            rows.append((member - share) * problem.capacity_rps)
            lower.append(-highspy.kHighsInf)
            upper.append(0.0)
    matrix = np.vstack(rows)

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = problem.usd_per_hour.astype(np.float64)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.where(
        np.isfinite(problem.max_replicas), problem.max_replicas, highspy.kHighsInf
    )
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    nz_rows, nz_cols = np.nonzero(matrix)
    lp.a_matrix_.start_ = np.searchsorted(nz_rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
    lp.a_matrix_.index_ = nz_cols.astype(np.int32)
    lp.a_matrix_.value_ = matrix[nz_rows, nz_cols]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n

    with quiet_stdout_fd():  # HiGHS prints its banner on fd 1 when the solver is created
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
        solver.setOptionValue("output_flag", False)
    # One thread: HiGHS's shared task scheduler has crashed when many solver instances are
    # created and freed in one process (ERGO-Code/HiGHS #810, #2885, PR #3141); our programs
    # are small, so the parallel MIP machinery buys nothing.
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("mip_rel_gap", _MIP_REL_GAP)
    solver.setOptionValue("time_limit", float(time_limit_s))
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    stopped = status == highspy.HighsModelStatus.kTimeLimit
    has_solution = solver.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if not (status == highspy.HighsModelStatus.kOptimal or (stopped and has_solution)):
        raise InfeasibleError(
            f"fleet: no integer fleet meets {problem.required_rps:.3g} requests/s under the "
            f"constraints (HiGHS: {solver.modelStatusToString(status)})"
        )
    replicas = np.rint(np.asarray(solver.getSolution().col_value)).astype(np.int64)
    capacity = float((replicas * problem.capacity_rps).sum())
    return FleetSolution(
        replicas=replicas,
        usd_per_hour=float((replicas * problem.usd_per_hour).sum()),
        capacity_rps=capacity,
        vendor_capacity_share=_shares(replicas, problem.capacity_rps, problem.vendor),
        optimal=not stopped,
        mip_gap=float(solver.getInfo().mip_gap) if stopped else 0.0,
    )


def best_single_type(problem: FleetProblem) -> FleetSolution:
    """The cheapest fleet built from one candidate type only (no vendor-share constraint)."""
    _validate(problem)
    needed = np.ceil(problem.required_rps / problem.capacity_rps - 1e-12)
    allowed = needed <= problem.max_replicas
    if not np.any(allowed):
        raise InfeasibleError(
            "availability: no single replica type has enough listed capacity for "
            f"{problem.required_rps:.3g} requests/s"
        )
    cost = np.where(allowed, needed * problem.usd_per_hour, np.inf)
    j = int(np.argmin(cost))
    replicas = np.zeros(len(problem.vendor), dtype=np.int64)
    replicas[j] = int(needed[j])
    return FleetSolution(
        replicas=replicas,
        usd_per_hour=float(cost[j]),
        capacity_rps=float(needed[j] * problem.capacity_rps[j]),
        vendor_capacity_share={problem.vendor[j]: 1.0},
    )
