"""Batch schedulers: how prefills and decode steps share a replica, behind one protocol.

A :class:`Scheduler` turns a concurrency ``B`` (sequences decoding per replica) into the
completion rate and the latencies (:mod:`xpuplan.perf.queueing` for the queueing formulas).
Adding a scheduler is one class here registered in :data:`SCHEDULERS`:

* ``static``: B prompts prefilled together, then decoded together (Neuron tables,
  ``benchmark_latency``); TPOT percentiles are over token positions.
* ``continuous``: iteration-level batching (Orca, Yu et al. 2022; vLLM, TensorRT-LLM): a prompt
  is prefilled whole in the next iteration and stalls that decode step for its busy time.
* ``chunked``: chunked prefill (Sarathi-Serve, Agrawal et al. 2024): prompts longer than
  ``chunk_tokens`` are split over several iterations, so decodes are interrupted by smaller,
  more frequent chunks (lower TPOT tail, one extra decode step per chunk of TTFT).
* ``disaggregated``: prefill and decode in separate pools (DistServe, Zhong et al. 2024;
  Splitwise, Patel et al. 2024): decode steps are never interrupted, prompts are prefilled in
  batches of ``chunk_tokens`` on the prefill pool and their KV cache moves to the decode pool.
  Rates are per replica-equivalent of chips (decode replica + its share of prefill replicas:
  ``prefill_share`` of the chips prefill), so layouts compare per chip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.errors import UnknownNameError
from xpuplan.perf import queueing
from xpuplan.perf.serving.memory import bucket
from xpuplan.perf.serving.step import StepModel

__all__ = [
    "SCHEDULERS",
    "ChunkedPrefill",
    "ContinuousBatching",
    "Disaggregated",
    "Scheduler",
    "SchedulingContext",
    "StaticBatching",
    "get_scheduler",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

# Tokens per prefill chunk / prefill-pool batch: vLLM V1 max_num_batched_tokens default 8192
# (SGLang --chunked-prefill-size 8192); TensorRT-LLM max_num_tokens default 8192.
DEFAULT_CHUNK_TOKENS = 8192.0


@dataclass(frozen=True)
class SchedulingContext:
    """What every scheduler needs: step times, the slot limit, lengths and the front end."""

    steps: StepModel
    max_batch: FloatArray
    input_len: float
    output_len: float
    input_len_scv: float
    output_len_scv: float
    window_s: FloatArray  # front-end dispatch window (0: requests enter on arrival)
    replicas: FloatArray  # replicas sharing the dispatch window
    # requests arrive on their own and may wait for a free batch slot (Erlang C); False for a
    # fixed concurrency (a closed loop of b clients on at least b slots: none ever waits)
    slot_queue: bool = True

    def admission_wait(
        self, b: FloatArray, holding_s: FloatArray, quantile: float | None = None
    ) -> FloatArray:
        """Wait for a batch slot (:func:`queueing.admission_wait_s`), 0 at a fixed
        concurrency."""
        if not self.slot_queue:
            return np.zeros(np.shape(b))
        return queueing.admission_wait_s(self.max_batch, b, holding_s, quantile=quantile)

    @property
    def n_decode(self) -> float:
        """Decode iterations a request holds its slot for: one per output token after the
        first, and at least the iteration that returns the first token (a prefill-only
        request, one output token, still occupies its slot for one iteration; with none the
        rate at any concurrency is 1 / prefill time, a queue at utilisation 1)."""
        return max(self.output_len - 1.0, 1.0)


class Scheduler(Protocol):
    """How a replica interleaves prefills and decode steps."""

    name: ClassVar[str]
    full_sequence_kv: ClassVar[bool]  # a sequence holds its whole length's KV from the start

    def evaluate(
        self, ctx: SchedulingContext, b: FloatArray, quantiles: tuple[float, ...]
    ) -> dict[str, FloatArray]:
        """Rate (requests/s per replica), step parts (``step_*``) and, for each quantile q,
        ``ttft_p{q}`` / ``tpot_p{q}`` plus means, ``rho``, ``prefill_latency``,
        ``prefill_busy`` (and ``slot_wait_prob``) at concurrency b; only rate and steps when
        ``quantiles`` is empty."""
        ...


def _with_steps(rate: FloatArray, steps: dict[str, FloatArray]) -> dict[str, FloatArray]:
    return {"rate": rate, **{f"step_{k}": v for k, v in steps.items()}}


class StaticBatching:
    """Prefill the whole batch, then decode it together."""

    name: ClassVar[str] = "static"
    full_sequence_kv: ClassVar[bool] = True

    def evaluate(
        self, ctx: SchedulingContext, b: FloatArray, quantiles: tuple[float, ...]
    ) -> dict[str, FloatArray]:
        st, n = ctx.steps.decode(b), ctx.n_decode
        ttft = ctx.steps.static_prefill(b)
        out = _with_steps(b / (ttft + n * st["total"]), st)
        if not quantiles:
            return out
        out["ttft_mean"] = out["ttft_p50"] = out["ttft_p99"] = ttft
        out["tpot_mean"] = st["total"]
        for q in (0.5, 0.99):
            pos = ctx.input_len + q * n
            position = np.where(ctx.steps.padded, bucket(pos, ctx.steps.max_tokens), pos)
            out[f"tpot_p{round(q * 100)}"] = ctx.steps.decode(b, position)["total"]
        out["rho"] = ttft / (ttft + n * st["total"])
        out["prefill_latency"], out["prefill_busy"] = ctx.steps.prefill(b, static=True)[:2]
        return out


class ContinuousBatching:
    """Iteration-level batching with whole-prompt prefills (and an optional front-end window)."""

    name: ClassVar[str] = "continuous"
    full_sequence_kv: ClassVar[bool] = False

    def chunks(self, ctx: SchedulingContext) -> float:
        """Iterations a prompt's prefill is split over (1: whole)."""
        return 1.0

    def dispatched(
        self, ctx: SchedulingContext, b: FloatArray, t_step: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(rate, other prompts per dispatched batch) at concurrency b.

        The front end sends the requests of each ``dispatch_window_s`` to one of the
        ``replicas`` in turn: a replica receives lambda x replicas x window prompts at once,
        prefilled in one iteration. The batch size depends on the rate and the rate on the
        prefill time (larger GEMMs): one fixed-point pass, exact when the window is 0.
        """
        steps, n = ctx.steps, ctx.n_decode
        lam = queueing.rate_at_concurrency(b, n, t_step, steps.prefill(b)[1])
        if np.any(ctx.window_s > 0.0):
            others = lam * ctx.replicas * ctx.window_s
            lam = queueing.rate_at_concurrency(b, n, t_step, steps.prefill(b, others)[1])
        return lam, lam * ctx.replicas * ctx.window_s

    def evaluate(
        self, ctx: SchedulingContext, b: FloatArray, quantiles: tuple[float, ...]
    ) -> dict[str, FloatArray]:
        steps, n = ctx.steps, ctx.n_decode
        st = steps.decode(b)
        t = st["total"]
        lam, others = self.dispatched(ctx, b, t)
        out = _with_steps(lam, st)
        if not quantiles:
            return out
        prefill_latency, prefill_busy, _ = steps.prefill(b, others)
        overhead = steps.c.efficiency["step_overhead_s"]
        own = prefill_latency - overhead
        k = self.chunks(ctx)
        # a chunked prompt waits one decode iteration per extra chunk; decodes see k smaller
        # interruptions of S / k each
        own = own + (k - 1.0) * t
        piece = prefill_busy / k

        def first_token(own_s: FloatArray, q: float | None = None) -> FloatArray:
            return queueing.first_token_s(
                lam, prefill_busy, ctx.input_len_scv, t, own_s, q,
                window_s=ctx.window_s, window_prompts=others, window_prompt_busy_s=prefill_busy,
            )  # fmt: skip

        tpot = queueing.tpot_quantile_s(t, lam * k, piece, ctx.input_len_scv, n)
        first = first_token(own)
        holding = first + n * tpot  # a request holds its batch slot this long
        out["ttft_mean"] = first + ctx.admission_wait(b, holding)
        out["tpot_mean"] = tpot
        for q in quantiles:
            own_q = queueing.gamma_quantile(own, ctx.input_len_scv, q)
            wait = ctx.admission_wait(b, holding, quantile=q)
            out[f"ttft_p{round(q * 100)}"] = first_token(own_q, q) + wait
            out[f"tpot_p{round(q * 100)}"] = queueing.tpot_quantile_s(
                t, lam * k, piece, ctx.input_len_scv, n,
                quantile=q, decode_tokens_scv=ctx.output_len_scv,
            )  # fmt: skip
        out["rho"] = queueing.prefill_share(lam, prefill_busy)
        out["prefill_latency"], out["prefill_busy"] = prefill_latency, prefill_busy
        out["slot_wait_prob"] = queueing.erlang_c_halfin_whitt(ctx.max_batch, b)
        return out


@dataclass(frozen=True)
class ChunkedPrefill(ContinuousBatching):
    """Continuous batching with prompts split into chunks of ``chunk_tokens``."""

    name: ClassVar[str] = "chunked"
    chunk_tokens: float = DEFAULT_CHUNK_TOKENS

    def chunks(self, ctx: SchedulingContext) -> float:
        return float(max(np.ceil(ctx.input_len / self.chunk_tokens), 1.0))


@dataclass(frozen=True)
class Disaggregated:
    """Separate prefill and decode pools of the same layout; KV moves between them."""

    name: ClassVar[str] = "disaggregated"
    full_sequence_kv: ClassVar[bool] = False
    batch_tokens: float = DEFAULT_CHUNK_TOKENS

    def evaluate(
        self, ctx: SchedulingContext, b: FloatArray, quantiles: tuple[float, ...]
    ) -> dict[str, FloatArray]:
        steps, n = ctx.steps, ctx.n_decode
        st = steps.decode(b)
        t = st["total"]
        # the prefill pool batches prompts up to batch_tokens per iteration (bigger GEMMs)
        per_batch = max(self.batch_tokens / max(ctx.input_len, 1.0), 1.0)
        one, busy, _ = steps.prefill(np.zeros_like(b), per_batch - 1.0)
        latency = one + (per_batch - 1.0) * busy  # the whole batch's iteration
        transfer = _kv_transfer_s(ctx)
        # rate per replica-equivalent: the decode replica plus lambda S of a prefill replica
        lam = queueing.rate_at_concurrency(b, n, t, busy)
        out = _with_steps(lam, st)
        if not quantiles:
            return out
        rho = queueing.prefill_share(lam, busy)
        decode_rate = lam / np.maximum(1.0 - rho, 1e-12)
        # prefill pool: batches every `latency`; a prompt waits half a batch on average
        first = latency * 1.5 + transfer
        holding = first + n * t
        out["ttft_mean"] = first + ctx.admission_wait(b, holding)
        out["tpot_mean"] = t + 0.0 * b
        for q in quantiles:
            wait = ctx.admission_wait(b, holding, quantile=q)
            out[f"ttft_p{round(q * 100)}"] = latency * (1.0 + q) + transfer + wait
            out[f"tpot_p{round(q * 100)}"] = t + 0.0 * b
        out["rho"] = rho
        out["prefill_latency"], out["prefill_busy"] = latency + transfer, busy
        out["slot_wait_prob"] = queueing.erlang_c_halfin_whitt(ctx.max_batch, b)
        out["decode_rate"] = decode_rate
        return out


def _kv_transfer_s(ctx: SchedulingContext) -> FloatArray:
    """Moving one prompt's KV cache from the prefill to the decode pool over the host links
    of the replica's chips (RDMA NICs and PCIe are of the same order, ~25-50 GB/s per chip)."""
    steps = ctx.steps
    c = steps.c
    nbytes = ctx.input_len * steps.kv_bytes_ctx * c.kv_bytes_per_element
    link = c.efficiency["pcie_gbytes_per_s"] * 1e9 * c.tp * c.pp
    out: FloatArray = nbytes / link + c.efficiency["collective_latency_s"]
    return out


SCHEDULERS: dict[str, Scheduler] = {
    s.name: s for s in (StaticBatching(), ContinuousBatching(), ChunkedPrefill(), Disaggregated())
}


def get_scheduler(name: str) -> Scheduler:
    """A registered scheduler by name (``static``, ``continuous``, ``chunked``,
    ``disaggregated``)."""
    if name not in SCHEDULERS:
        raise UnknownNameError("scheduler", name, SCHEDULERS)
    return SCHEDULERS[name]
