"""One serving deployment as plain numbers: :func:`estimate_serving` (scalar API).

It calls the vector core (:func:`~xpuplan.perf.serving.operating_point.serving_capacity_arrays`)
on one candidate, or, without ``tp``, on every tp x pp (x ep for MoE) layout of the chips in
one vectorized call and keeps the best, as ``estimate train`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np

from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import InputError
from xpuplan.jsontypes import as_dict, js
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.layout import pp_ok, tp_in_domain, tp_ok
from xpuplan.perf.serving.candidates import (
    STATUS_MESSAGES,
    build_candidates,
    compute_precision,
    default_kv_precision,
    memory_gb,
)
from xpuplan.perf.serving.engine import ServingStack, default_stack
from xpuplan.perf.serving.operating_point import serving_capacity_arrays
from xpuplan.perf.serving.schedulers import SCHEDULERS
from xpuplan.perf.serving.step import SpecDecode
from xpuplan.perf.serving_efficiency import ServingEfficiency

__all__ = ["ServingEstimate", "estimate_serving", "expert_parallel_options", "layout_options"]

# A figure that is infinite or undefined for some setups (a queue without a rate limit has no
# finite TTFT; an infeasible setup serves nothing): JSON prints it as null, never NaN.
Unbounded = Annotated[
    float,
    js(
        type=["number", "null"],
        minimum=0,
        description="null when unbounded or undefined (no request rate given, or infeasible)",
    ),
]

# Layout degrees searched when none is given (powers of two, as engines shard heads).
_DEGREES = (1, 2, 4, 8, 16, 32, 64)
_MAX_PP = 8


@dataclass(frozen=True)
class ServingEstimate:
    """One serving deployment: ``replicas`` copies of a ``tp x pp`` model on ``count`` chips.

    Throughputs are for the whole deployment; latencies and memory per replica / chip.
    """

    model: str
    accelerator_id: str
    count: int
    replicas: int
    tp: int
    pp: int
    ep: int
    weight_precision: str
    kv_precision: str
    compute_precision: str
    batching: str
    stack: dict[str, Any]
    spec_decode: dict[str, Any] | None
    layout_searched: bool
    input_len: float
    output_len: float
    feasible: bool
    status: str
    batch_per_replica: float
    max_batch_per_replica: float
    rate_per_s: Unbounded
    output_tokens_per_s: Unbounded
    input_tokens_per_s: Unbounded
    output_tokens_per_s_per_chip: Unbounded
    max_output_tokens_per_s: Unbounded
    ttft_mean_ms: Unbounded
    ttft_p50_ms: Unbounded
    ttft_p99_ms: Unbounded
    tpot_mean_ms: Unbounded
    tpot_p50_ms: Unbounded
    tpot_p99_ms: Unbounded
    e2e_mean_ms: Unbounded
    sustained_clock_fraction: float
    memory_gb_per_chip: dict[str, float]
    prefill: dict[str, float]
    decode_step_ms: dict[str, float]
    efficiency: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _resolve_model(model: ModelSpec | str) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    from xpuplan.models.presets import resolve_model

    return resolve_model(model)


def expert_parallel_options(spec: ModelSpec, chips: int) -> list[int]:
    """Expert-parallel degrees searched for a replica of ``chips``: 1, and for a MoE model the
    replica's chips when they divide the routed experts."""
    if spec.moe is not None and chips > 1 and spec.moe.n_routed_experts % chips == 0:
        return [1, chips]
    return [1]


def layout_options(
    spec: ModelSpec, accelerator: Accelerator, count: int
) -> tuple[list[int], list[int], list[int]]:
    """(tp, pp, ep) columns of every layout of ``count`` chips: tp within the scale-up domain
    dividing the attention heads, pp <= 8 dividing the layers' count budget, ep = 1 or the
    replica's chips when that divides the experts (MoE)."""
    tps, pps, eps = [], [], []
    for tp in _DEGREES:
        domain = min(count, accelerator.scaleup_domain_chips)
        if not (tp_in_domain(tp, domain) and tp_ok(spec.n_heads, tp)):
            continue
        for pp in _DEGREES:
            if pp > _MAX_PP or tp * pp > count or not pp_ok(spec.n_layers, pp):
                continue
            for ep in expert_parallel_options(spec, tp * pp):
                tps.append(tp)
                pps.append(pp)
                eps.append(ep)
    return tps, pps, eps


def estimate_serving(
    model: ModelSpec | str,
    accelerator: Accelerator,
    *,
    count: int,
    tp: int | None = None,
    pp: int | None = None,
    ep: int | None = None,
    weight_precision: str = "bf16",
    kv_precision: str | None = None,
    input_len: float,
    output_len: float,
    input_len_scv: float = 0.0,
    rate: float | None = None,
    batch: float | None = None,
    ttft_p99_ms: float | None = None,
    tpot_p99_ms: float | None = None,
    efficiency: ServingEfficiency | None = None,
    batching: str = "continuous",
    tp_unit: Literal["chips", "cores"] = "chips",
    stack: ServingStack | None = None,
    spec_decode: SpecDecode | None = None,
) -> ServingEstimate:
    """Estimate serving ``model`` on ``count`` chips of ``accelerator`` (one formula with the
    planner: :func:`serving_capacity_arrays`).

    ``rate`` is requests/s for the whole deployment and ``batch`` the concurrent sequences per
    replica; without either, the operating point is the largest batch that meets the p99
    latency targets, or the largest that fits (offline maximum throughput). Without ``tp``,
    every tp x pp (x ep) layout is evaluated and the one with the highest throughput kept
    (under ``rate``: the highest capacity). ``stack`` defaults to the family's engine today.
    """
    spec = _resolve_model(model)
    for name, value in (("count", count), ("tp", tp), ("pp", pp), ("ep", ep)):
        if value is not None and (int(value) != value or value < 1):
            raise InputError(f"{name}: {value!r} must be a positive integer")
    if batching not in SCHEDULERS:
        raise InputError(f"batching: {batching!r} must be one of {', '.join(SCHEDULERS)}")
    if rate is not None and batch is not None:
        raise InputError("give either rate or batch, not both")
    if rate is not None and not rate > 0:
        raise InputError(f"rate: {rate!r} must be > 0 requests/s")
    if batch is not None and not batch >= 1:
        raise InputError(f"batch: {batch!r} must be >= 1 sequence per replica")
    if spec.moe is None and ep not in (None, 1):
        raise InputError(f"ep: {ep} needs a mixture-of-experts model; {spec.name} is dense")
    searched = tp is None
    if tp is None:
        tps, pps, eps = layout_options(spec, accelerator, count)
        keep = [
            i
            for i in range(len(tps))
            if (pp is None or pps[i] == pp) and (ep is None or eps[i] == ep)
        ]
        tps, pps, eps = [tps[i] for i in keep], [pps[i] for i in keep], [eps[i] for i in keep]
        if not tps:
            raise InputError(
                f"no tp x pp layout of {count} x {accelerator.id} matches pp {pp} / ep {ep}"
            )
    else:
        tps, pps, eps = [tp], [pp or 1], [ep or 1]
    stack = stack or default_stack(accelerator.vendor_family)
    cands = build_candidates(
        [accelerator],
        np.zeros(len(tps), dtype=np.int64),
        tps,
        pps,
        weight_precision=weight_precision,
        kv_precision=kv_precision,
        efficiency=efficiency,
        tp_unit=tp_unit if not searched else "chips",  # searched degrees count chips
        stack=stack,
        ep=eps,
    )
    chips = cands.tp * cands.pp
    replicas = np.floor(count / chips)
    if not searched and replicas[0] < 1:
        raise InputError(
            f"count: {count} chips cannot hold one replica of tp {int(cands.tp[0])} x pp "
            f"{pps[0]} chips"
        )
    if spec.moe is not None and not searched:
        e = int(eps[0])
        if e > int(chips[0]) or spec.moe.n_routed_experts % e:
            raise InputError(
                f"ep: {e} must divide the {spec.moe.n_routed_experts} experts and be <= tp x pp"
            )
    r = serving_capacity_arrays(
        spec,
        cands,
        input_len=input_len,
        output_len=output_len,
        input_len_scv=input_len_scv,
        batching=batching,
        batch=batch,
        rate_per_replica=None if rate is None else rate / np.maximum(replicas, 1.0),
        ttft_p99_ms=ttft_p99_ms,
        tpot_p99_ms=tpot_p99_ms,
        replicas=np.maximum(replicas, 1.0),
        spec_decode=spec_decode,
    )
    score = np.where(
        r.feasible & (replicas >= 1),
        (r.max_rate_per_s if rate is not None else r.rate_per_s) * replicas,
        -np.inf,
    )
    if not np.isfinite(score).any():
        # nothing meets the targets: show the layout that fits and comes closest (its status
        # names the binding limit), not one whose weights do not fit
        fits = np.isin(r.status, (3, 4, 5)) & (replicas >= 1)
        score = np.where(fits, np.nan_to_num(r.max_rate_per_s) * replicas, -np.inf)
    if not np.isfinite(score).any():
        # no layout holds the weights: show the one that comes closest (least weight per chip)
        score = np.where(replicas >= 1, -np.nan_to_num(r.weights_gb_per_chip, nan=np.inf), -np.inf)
    best = int(np.argmax(score)) if np.isfinite(score).any() else 0
    row = r.row(best)
    eff = {k: float(v[best]) for k, v in cands.efficiency.items()}
    kv = kv_precision or default_kv_precision(weight_precision, accelerator)
    code = int(row["status"])
    tp_chips, n = int(cands.tp[best]), int(max(replicas[best], 1.0))
    ms = 1e3
    return ServingEstimate(
        model=spec.name,
        accelerator_id=accelerator.id,
        count=count,
        replicas=n,
        tp=tp_chips,
        pp=int(cands.pp[best]),
        ep=int(cands.ep[best]),
        weight_precision=weight_precision,
        kv_precision=kv,
        compute_precision=compute_precision(weight_precision, accelerator),
        batching=batching,
        stack=stack.to_dict(),
        spec_decode=None
        if spec_decode is None
        else {
            "method": spec_decode.method,
            "tokens": spec_decode.tokens,
            "acceptance": spec_decode.acceptance,
            "draft_model": spec_decode.draft.name if spec_decode.draft else None,
            "tokens_per_step": spec_decode.tokens_per_step,
        },
        layout_searched=searched,
        input_len=float(input_len),
        output_len=float(output_len),
        feasible=bool(code == 0 and replicas[best] >= 1),
        status=STATUS_MESSAGES[code],
        batch_per_replica=row["batch"],
        max_batch_per_replica=row["max_batch"],
        rate_per_s=row["rate_per_s"] * n,
        output_tokens_per_s=row["output_tokens_per_s"] * n,
        input_tokens_per_s=row["input_tokens_per_s"] * n,
        output_tokens_per_s_per_chip=row["output_tokens_per_s"] / (tp_chips * cands.pp[best]),
        max_output_tokens_per_s=row["max_output_tokens_per_s"] * n,
        ttft_mean_ms=row["ttft_mean_s"] * ms,
        ttft_p50_ms=row["ttft_p50_s"] * ms,
        ttft_p99_ms=row["ttft_p99_s"] * ms,
        tpot_mean_ms=row["tpot_mean_s"] * ms,
        tpot_p50_ms=row["tpot_p50_s"] * ms,
        tpot_p99_ms=row["tpot_p99_s"] * ms,
        e2e_mean_ms=row["e2e_mean_s"] * ms,
        sustained_clock_fraction=float(cands.clock_fraction[best]),
        memory_gb_per_chip={
            "hbm": memory_gb(accelerator),
            "weights": row["weights_gb_per_chip"],
            "runtime_reserve": eff["runtime_reserve_gb"],
            "kv_budget": row["kv_budget_gb_per_chip"],
            "kv_per_sequence": row["kv_gb_per_sequence_per_chip"],
            "kv_in_use": row["kv_gb_per_sequence_per_chip"] * row["batch"],
        },
        prefill={
            "latency_ms": row["prefill_latency_s"] * ms,
            "busy_ms": row["prefill_busy_s"] * ms,
            "time_share": row["prefill_share"],
        },
        decode_step_ms={
            "weights": row["step_weights_s"] * ms,
            "compute": row["step_compute_s"] * ms,
            "kv_cache": row["step_kv_s"] * ms,
            "communication": row["step_comm_s"] * ms,
            "overhead": row["step_overhead_s"] * ms,
            "draft": row["step_draft_s"] * ms,
            "total": row["step_s"] * ms,
        },
        efficiency=eff,
    )
