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

**Disaggregated pools** (DistServe, Zhong et al. 2024; Splitwise, Patel et al. 2024). A
candidate may instead be a *prefill* replica (``capacity_j``: prompts/s it prefills within the
TTFT target) or a *decode* replica (requests/s it decodes within the TPOT target), paired only
with candidates of the same ``pool_key`` (one software stack: the KV cache moves between
engines of one stack). Each key ``k`` gets a continuous variable ``z_k >= 0``, the requests/s
routed through its pools, and two capacity constraints instead of one::

    sum_{j prefill in k} capacity_j * x_j >= z_k      (prefill pool)
    sum_{j decode in k}  capacity_j * x_j >= z_k      (decode pool)

``z_k`` joins the demand row (``sum_colocated capacity_j x_j + sum_k z_k >= required``) and the
vendor rows as the capacity that key's vendor serves.
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
# What one candidate is: a whole replica, or a member of a disaggregated prefill / decode pool.
POOL_ROLES: tuple[str, ...] = ("colocated", "prefill", "decode")


@dataclass(frozen=True)
class FleetProblem:
    """Candidates (one per replica type) and the demand to cover."""

    capacity_rps: NDArray[np.float64]  # requests/s one replica sustains within the SLOs
    usd_per_hour: NDArray[np.float64]  # price of one replica per hour
    vendor: tuple[str, ...]  # vendor of each candidate
    max_replicas: NDArray[np.float64]  # availability limit per candidate; inf when unknown
    required_rps: float
    max_vendor_share: float | None = None  # None: no diversity constraint
    # per candidate, one of POOL_ROLES; empty: every candidate is a colocated replica
    role: tuple[str, ...] = ()
    # per candidate, the key within which prefill and decode pools pair (the software stack)
    pool_key: tuple[str, ...] = ()

    def roles(self) -> tuple[str, ...]:
        return self.role or ("colocated",) * len(self.vendor)

    def pairs(self) -> tuple[str, ...]:
        """Keys that have both a prefill and a decode candidate (sorted)."""
        roles = self.roles()
        keys = self.pool_key or ("",) * len(self.vendor)
        prefill = {k for k, r in zip(keys, roles, strict=True) if r == "prefill"}
        decode = {k for k, r in zip(keys, roles, strict=True) if r == "decode"}
        return tuple(sorted(prefill & decode))


@dataclass(frozen=True)
class FleetSolution:
    """Integer replicas per candidate and what they add up to."""

    replicas: NDArray[np.int64]
    usd_per_hour: float
    capacity_rps: float
    vendor_capacity_share: dict[str, float]
    optimal: bool = True  # False when the time limit stopped HiGHS (see mip_gap)
    mip_gap: float = 0.0  # relative gap between this fleet's cost and HiGHS's lower bound
    # capacity of each pool role present (requests/s; prefill: prompts/s), summed over keys;
    # capacity_rps counts what the pools serve together (the routed rate)
    pool_capacity_rps: dict[str, float] | None = None


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
    for name, values in (("role", problem.role), ("pool_key", problem.pool_key)):
        if values and len(values) != n:
            raise InputError(f"fleet: {name} must have one entry per candidate")
    if set(problem.role) - set(POOL_ROLES):
        raise InputError(f"fleet: role must be one of {', '.join(POOL_ROLES)}")


def _shares(served: NDArray[np.float64], vendor: tuple[str, ...]) -> dict[str, float]:
    total = float(served.sum())
    out: dict[str, float] = {}
    for v in sorted(set(vendor)):
        mask = np.array([x == v for x in vendor])
        part = float(served[mask].sum())
        if part > 0:
            out[v] = part / total
    return out


def _served(
    problem: FleetProblem,
    replicas: NDArray[np.int64],
    routed: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], dict[str, float], dict[str, float]]:
    """Requests/s each candidate serves in the fleet, the capacity per pool role, and the share
    per vendor. A pool pair serves ``routed`` (the program's z, one per pair) or, without it,
    min(prefill, decode capacity); that rate is attributed to its decode replicas."""
    roles = np.array(problem.roles())
    keys = np.array(problem.pool_key or ("",) * len(problem.vendor))
    raw = replicas * problem.capacity_rps
    served = np.where(roles == "colocated", raw, 0.0)
    for i, key in enumerate(problem.pairs()):
        pre = (keys == key) & (roles == "prefill")
        dec = (keys == key) & (roles == "decode")
        pair = min(float(raw[pre].sum()), float(raw[dec].sum()))
        if routed is not None:
            pair = min(pair, max(float(routed[i]), 0.0))
        if pair > 0:
            served = np.where(dec, raw / raw[dec].sum() * pair, served)
    pools = {r: float(raw[roles == r].sum()) for r in POOL_ROLES if (raw[roles == r] > 0).any()}
    return served, pools, _shares(served, problem.vendor)


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
        reachable = float(_served(problem, finite_cap.astype(np.int64))[0].sum())
        if reachable < problem.required_rps:
            raise InfeasibleError(
                f"availability: all listed capacity serves {reachable:.3g} requests/s, "
                f"below the required {problem.required_rps:.3g}"
            )

    # columns: x_j (integer replicas), then z_k (requests/s through pool pair k)
    roles = np.array(problem.roles())
    keys = np.array(problem.pool_key or ("",) * n)
    pairs = problem.pairs()
    m = len(pairs)
    colocated = np.where(roles == "colocated", problem.capacity_rps, 0.0)
    pair_vendor = [problem.vendor[int(np.flatnonzero(keys == k)[0])] for k in pairs]
    rows: list[NDArray[np.float64]] = [np.concatenate([colocated, np.ones(m)])]
    lower: list[float] = [problem.required_rps]
    upper: list[float] = [highspy.kHighsInf]
    for i, key in enumerate(pairs):
        for role in ("prefill", "decode"):
            pool = np.where((keys == key) & (roles == role), problem.capacity_rps, 0.0)
            rows.append(np.concatenate([pool, -np.eye(m)[i]]))
            lower.append(0.0)
            upper.append(highspy.kHighsInf)
    if share is not None and share < 1:
        for v in vendors:
            member = np.array([x == v for x in problem.vendor], dtype=np.float64)
            pair_member = np.array([x == v for x in pair_vendor], dtype=np.float64)
            rows.append(np.concatenate([(member - share) * colocated, pair_member - share]))
            lower.append(-highspy.kHighsInf)
            upper.append(0.0)
    matrix = np.vstack(rows)

    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = matrix.shape[0]
    # z_k earns a negligible reward (1e-7 of the cheapest $/h per request/s), so that a pair
    # reports the whole rate its pools can serve unless a vendor-share row holds it back
    reward = 1e-7 * float(np.min(problem.usd_per_hour / problem.capacity_rps))
    lp.col_cost_ = np.concatenate([problem.usd_per_hour.astype(np.float64), np.full(m, -reward)])
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.concatenate(
        [
            np.where(np.isfinite(problem.max_replicas), problem.max_replicas, highspy.kHighsInf),
            np.full(m, highspy.kHighsInf),
        ]
    )
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    nz_rows, nz_cols = np.nonzero(matrix)
    lp.a_matrix_.start_ = np.searchsorted(nz_rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
    lp.a_matrix_.index_ = nz_cols.astype(np.int32)
    lp.a_matrix_.value_ = matrix[nz_rows, nz_cols]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m

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
    values = np.asarray(solver.getSolution().col_value, dtype=np.float64)
    replicas = np.rint(values[:n]).astype(np.int64)
    served, pools, shares = _served(problem, replicas, values[n:])
    return FleetSolution(
        replicas=replicas,
        usd_per_hour=float((replicas * problem.usd_per_hour).sum()),
        capacity_rps=float(served.sum()),
        vendor_capacity_share=shares,
        optimal=not stopped,
        mip_gap=float(solver.getInfo().mip_gap) if stopped else 0.0,
        pool_capacity_rps=pools,
    )


def best_single_type(problem: FleetProblem) -> FleetSolution:
    """The cheapest fleet built from one candidate type only (no vendor-share constraint); for
    disaggregated pools, one prefill type and one decode type of the same key."""
    _validate(problem)
    roles = np.array(problem.roles())
    keys = np.array(problem.pool_key or ("",) * len(problem.vendor))
    needed = np.ceil(problem.required_rps / problem.capacity_rps - 1e-12)
    allowed = needed <= problem.max_replicas
    cost = np.where(allowed, needed * problem.usd_per_hour, np.inf)
    colocated = np.where(roles == "colocated", cost, np.inf)
    best_cost, picks = float(colocated.min(initial=np.inf)), [int(np.argmin(colocated))]
    for key in problem.pairs():
        pair = [
            int(np.argmin(np.where((keys == key) & (roles == role), cost, np.inf)))
            for role in ("prefill", "decode")
        ]
        if float(cost[pair].sum()) < best_cost:
            best_cost, picks = float(cost[pair].sum()), pair
    if not math.isfinite(best_cost):
        raise InfeasibleError(
            "availability: no single replica type has enough listed capacity for "
            f"{problem.required_rps:.3g} requests/s"
        )
    replicas = np.zeros(len(problem.vendor), dtype=np.int64)
    replicas[picks] = needed[picks].astype(np.int64)
    served, pools, shares = _served(problem, replicas)
    return FleetSolution(
        replicas=replicas,
        usd_per_hour=best_cost,
        capacity_rps=float(served.sum()),
        vendor_capacity_share=shares,
        pool_capacity_rps=pools,
    )
