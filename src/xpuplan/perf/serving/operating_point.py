"""The operating point of every candidate: the batch, or the rate, a replica runs at.

:func:`serving_capacity_arrays` evaluates memory (:mod:`.memory`), step times (:mod:`.step`)
and a scheduler (:mod:`.schedulers`) for numpy arrays of candidates, then picks the operating
point: ``batch`` if given; else ``rate_per_replica``; else the largest batch whose p99 TTFT and
TPOT meet the targets while fewer than 1 % of the requests wait for a batch slot (near the slot
limit the Erlang-C wait rises from nothing to seconds within a few sqrt(B) sequences, over
sequence lifetimes of tens of seconds: a finite run there meets the TTFT target by chance, so
the point stays at the knee, costing under ~2 % of the throughput at the cliff); else the
largest batch that fits (offline maximum throughput, where TTFT is undefined).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.errors import InputError
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving.candidates import ModelTerms, ServingCandidates
from xpuplan.perf.serving.memory import kv_capacity, lockstep_burst
from xpuplan.perf.serving.schedulers import Scheduler, SchedulingContext, get_scheduler
from xpuplan.perf.serving.step import SpecDecode, StepModel, draft_weight_bytes
from xpuplan.units import GIB

__all__ = ["LATENCY_QUANTILE", "ServingArrays", "bisect_batch", "serving_capacity_arrays"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

# Percentile of the latency targets (p99 TTFT / TPOT: MLPerf LLM server rules, vLLM and
# TensorRT-LLM benchmark reports).
LATENCY_QUANTILE = 0.99


@dataclass(frozen=True)
class ServingArrays:
    """Per-candidate results of :func:`serving_capacity_arrays` (per replica; times in s)."""

    status: npt.NDArray[np.int64]  # STATUS_MESSAGES code; 0 = feasible
    weights_gb_per_chip: FloatArray
    kv_budget_gb_per_chip: FloatArray
    kv_gb_per_sequence_per_chip: FloatArray
    max_batch: FloatArray  # concurrent sequences that fit (memory, engine cap)
    batch: FloatArray  # operating concurrency
    rate_per_s: FloatArray  # completed requests/s
    output_tokens_per_s: FloatArray
    input_tokens_per_s: FloatArray
    prefill_latency_s: FloatArray
    prefill_busy_s: FloatArray
    prefill_share: FloatArray
    step_s: FloatArray
    step_weights_s: FloatArray
    step_kv_s: FloatArray
    step_compute_s: FloatArray
    step_comm_s: FloatArray
    step_overhead_s: FloatArray
    step_draft_s: FloatArray
    ttft_mean_s: FloatArray
    ttft_p50_s: FloatArray
    ttft_p99_s: FloatArray
    tpot_mean_s: FloatArray
    tpot_p50_s: FloatArray
    tpot_p99_s: FloatArray
    e2e_mean_s: FloatArray
    max_rate_per_s: FloatArray  # offline: at max_batch
    max_output_tokens_per_s: FloatArray

    @property
    def feasible(self) -> BoolArray:
        ok: BoolArray = self.status == 0
        return ok

    def row(self, i: int) -> dict[str, float]:
        """One candidate as plain floats."""
        return {
            f.name: float(np.broadcast_to(getattr(self, f.name), self.status.shape)[i])
            for f in dataclasses.fields(self)
        }


def bisect_batch(
    ok: Callable[[FloatArray], BoolArray], max_batch: FloatArray, iterations: int = 32
) -> FloatArray:
    """Largest B in [1, max_batch] with ok(B), per candidate (ok is true below a threshold)."""
    lo = np.ones(max_batch.shape)
    hi = max_batch.copy()
    good_hi = ok(hi)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        m = ok(mid)
        lo = np.where(m, mid, lo)
        hi = np.where(m, hi, mid)
    out: FloatArray = np.where(good_hi, max_batch, lo)
    return out


def serving_capacity_arrays(
    model: ModelSpec,
    cands: ServingCandidates,
    *,
    input_len: float,
    output_len: float,
    input_len_scv: float = 0.0,
    output_len_scv: float = 0.0,
    batching: str | Scheduler = "continuous",
    batch: npt.ArrayLike | None = None,
    rate_per_replica: npt.ArrayLike | None = None,
    ttft_p99_ms: float | None = None,
    tpot_p99_ms: float | None = None,
    replicas: npt.ArrayLike = 1.0,
    spec_decode: SpecDecode | None = None,
    beams: float = 1.0,
    queue_excess: bool = False,
) -> ServingArrays:
    """Evaluate every candidate: memory, prefill, decode, throughput and latency (per replica).

    ``batching`` names a scheduler (``static``, ``continuous``, ``chunked``,
    ``disaggregated``) or is one. ``input_len_scv`` / ``output_len_scv`` are the squared
    coefficients of variation of the lengths (0 for fixed lengths); running sequences are
    length-biased (inspection paradox): their mean decoded length is (1 + scv) out / 2.
    ``replicas`` (per candidate) share the front end's dispatch window (``dispatch_window_s``
    of the efficiency; no effect when it is 0). ``spec_decode``: speculative decoding;
    ``beams``: beam-search hypotheses per request. ``queue_excess``: a stated batch is a closed
    loop of clients, and those beyond what the KV cache holds wait in the engine's queue (the
    batch runs at capacity) instead of making the candidate infeasible.
    """
    if input_len < 1 or output_len < 1:
        raise InputError(f"input/output length must be >= 1 token, got {input_len}/{output_len}")
    scheduler = get_scheduler(batching) if isinstance(batching, str) else batching
    terms = ModelTerms.from_spec(model)
    c = cands
    l_in, l_out = float(input_len), float(output_len)
    # offline (everything queued at once): no arrival process for a dispatch window to gather
    offline = batch is None and rate_per_replica is None and ttft_p99_ms is None
    offline = offline and tpot_p99_ms is None
    cap = kv_capacity(
        model,
        terms,
        c,
        input_len=l_in,
        output_len=l_out,
        output_len_scv=output_len_scv,
        full_sequence=scheduler.full_sequence_kv or lockstep_burst(offline, output_len_scv),
        extra_weight_bytes=draft_weight_bytes(spec_decode, terms),
        beams=beams,
    )
    steps = StepModel(
        model,
        terms,
        c,
        cap.weights,
        input_len=l_in,
        output_len=l_out,
        output_len_scv=output_len_scv,
        spec=spec_decode,
        beams=beams,
    )
    shape = np.broadcast(cap.max_batch, c.tp, c.peak_tflops).shape
    max_batch = np.broadcast_to(cap.max_batch, shape).astype(np.float64)
    status = np.broadcast_to(cap.status, shape).copy()
    ctx = SchedulingContext(
        steps=steps,
        max_batch=max_batch,
        input_len=l_in,
        output_len=l_out,
        input_len_scv=input_len_scv,
        output_len_scv=output_len_scv,
        window_s=c.efficiency["dispatch_window_s"] * (0.0 if offline else 1.0),
        replicas=np.maximum(np.asarray(replicas, dtype=np.float64), 1.0),
        # a stated batch is a fixed concurrency: b sequences in flight on at least b slots
        slot_queue=batch is None,
    )

    def latencies(
        b: FloatArray, quantiles: tuple[float, ...] = (0.5, 0.99)
    ) -> dict[str, FloatArray]:
        return scheduler.evaluate(ctx, b, quantiles)

    at_max = latencies(max_batch, ())
    if batch is not None:
        b_op = np.broadcast_to(np.asarray(batch, dtype=np.float64), shape).copy()
        if queue_excess:
            b_op = np.minimum(b_op, max_batch)
        status = np.where((status == 0) & (b_op > max_batch), 5, status)
    elif rate_per_replica is not None:
        target = np.broadcast_to(np.asarray(rate_per_replica, dtype=np.float64), shape)
        b_op = bisect_batch(lambda b: latencies(b, ())["rate"] <= target, max_batch)
        status = np.where((status == 0) & (target > at_max["rate"] * (1 + 1e-9)), 4, status)
    elif ttft_p99_ms is not None or tpot_p99_ms is not None:
        ttft_max = np.inf if ttft_p99_ms is None else ttft_p99_ms / 1e3
        tpot_max = np.inf if tpot_p99_ms is None else tpot_p99_ms / 1e3

        def meets(b: FloatArray) -> BoolArray:
            """p99 targets met, and the p99 request does not wait for a batch slot."""
            lat = latencies(b, (LATENCY_QUANTILE,))
            ok: BoolArray = (
                (lat["ttft_p99"] <= ttft_max)
                & (lat["tpot_p99"] <= tpot_max)
                & (lat.get("slot_wait_prob", 0.0) <= 1.0 - LATENCY_QUANTILE)
            )
            return ok

        b_op = bisect_batch(meets, max_batch)
        status = np.where((status == 0) & ~meets(np.ones(shape)), 3, status)
    else:
        b_op = max_batch
    op = latencies(b_op)
    no_fit = np.isin(status, (1, 2, 5))  # nothing runs: no throughput or latency to report
    # a stated batch too large for the KV cache: the replica itself runs, up to max_batch
    no_replica = np.isin(status, (1, 2))
    for key in ("rate", "ttft_mean", "ttft_p50", "ttft_p99", "tpot_mean", "tpot_p50", "tpot_p99"):
        op[key] = np.where(no_fit, np.nan, op[key])
    at_max["rate"] = np.where(no_replica, np.nan, at_max["rate"])
    if scheduler.name != "static" and offline:
        # offline: every slot busy, requests queue without bound - no steady-state TTFT
        for key in ("ttft_mean", "ttft_p50", "ttft_p99"):
            op[key] = np.full(shape, np.inf)
    lam = op["rate"]
    zero = 0.0 * max_batch
    n_decode = max(l_out - 1.0, 0.0)
    return ServingArrays(
        status=status,
        weights_gb_per_chip=cap.weights / GIB + zero,
        kv_budget_gb_per_chip=cap.kv_budget / GIB + zero,
        kv_gb_per_sequence_per_chip=cap.kv_per_sequence / GIB + zero,
        max_batch=np.where(no_replica, 0.0, max_batch),
        batch=np.where(no_replica, 0.0, b_op),
        rate_per_s=lam,
        output_tokens_per_s=lam * l_out,
        input_tokens_per_s=lam * l_in,
        prefill_latency_s=op["prefill_latency"],
        prefill_busy_s=op["prefill_busy"],
        prefill_share=op["rho"],
        step_s=op["step_total"],
        step_weights_s=op["step_weights"],
        step_kv_s=op["step_kv"],
        step_compute_s=op["step_compute"],
        step_comm_s=op["step_comm"],
        step_overhead_s=op["step_overhead"] + zero,
        step_draft_s=op["step_draft"] + zero,
        ttft_mean_s=op["ttft_mean"],
        ttft_p50_s=op["ttft_p50"],
        ttft_p99_s=op["ttft_p99"],
        tpot_mean_s=op["tpot_mean"],
        tpot_p50_s=op["tpot_p50"],
        tpot_p99_s=op["tpot_p99"],
        e2e_mean_s=op["ttft_mean"] + n_decode * op["tpot_mean"],
        max_rate_per_s=at_max["rate"],
        max_output_tokens_per_s=at_max["rate"] * l_out,
    )
