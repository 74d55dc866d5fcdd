"""Steady-state queueing of continuous-batching LLM serving (vectorized formulas).

Model of one replica (Orca-style iteration-level scheduling, Yu et al. OSDI 2022; vLLM and
TensorRT-LLM in-flight batching):

* The engine alternates decode iterations over the ``B`` running sequences (one token each,
  ``step_s`` long) with prefills of newly arrived requests; a prefill stalls decoding for its
  *busy time* ``S`` (the replica is time-shared, Sarathi / DistServe's "prefill-decode
  interference").
* **Throughput at concurrency B** (time balance + Little's law). Each request needs ``S`` of
  prefill and ``n`` decode iterations shared by ``B`` sequences, so the completion rate is
  ``lambda(B) = B / (n * step_s(B) + B * S)``; ``rho = lambda * S`` is the prefill share of the
  replica's time and a sequence advances one token every ``step_s / (1 - rho)`` on average.
* **First token.** A request that arrives during an iteration is prefilled in the next one,
  batched with every prefill that arrived meanwhile and with the decode step of the running
  batch (iteration-level scheduling, Yu et al. 2022). Iterations last ``T = step_s / (1 - rho)``
  on average, with variance ``lambda T E[S^2]`` from the Poisson number of prefills they carry;
  TTFT = residual of the current iteration + the next one + the request's own prefill.
* **Waiting for a batch slot.** A replica holds at most ``c`` sequences (KV memory, engine
  cap); a request occupies a slot for its whole life ``T``, so admission is an M/G/c queue with
  offered load ``a = lambda T = B``. Its probability of waiting is Erlang C, taken in the
  Halfin-Whitt many-server form ``P = 1 / (1 + beta Phi(beta) / phi(beta))``,
  ``beta = (c - a) / sqrt(a)`` (Halfin and Whitt 1981), and the wait of those who wait is
  exponential with mean ``T / (c - a)``.
* **Tails.** The TTFT quantile takes a uniform residual and a normal iteration length; the own
  prefill follows the input-length distribution (gamma, :func:`gamma_quantile`). The TPOT of
  one request with ``n`` decode tokens is ``step_s + K S / n`` where ``K``, the prefills that
  interrupt it, is Poisson with mean ``lambda n TPOT``; a normal approximation of that compound
  Poisson sum, mixed over the output-length distribution, gives its p-quantile.

Every function broadcasts over numpy arrays of candidates.
"""

from __future__ import annotations

from functools import cache
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "admission_wait_s",
    "erlang_c_halfin_whitt",
    "first_token_s",
    "gamma_quantile",
    "normal_quantile",
    "prefill_share",
    "rate_at_concurrency",
    "tpot_quantile_s",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
ArrayLike: TypeAlias = npt.ArrayLike


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def normal_quantile(p: ArrayLike) -> FloatArray:
    """Standard normal quantile (Acklam's rational approximation, |rel. error| < 1.2e-9)."""
    q = _f(p)
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
         -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996, 3.754408661907416)
    low = 0.02425
    qc = np.clip(q, 1e-300, 1 - 1e-16)
    r = qc - 0.5
    t = r * r
    central = (
        (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5])
        * r
        / (((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1.0)
    )
    s = np.sqrt(-2.0 * np.log(np.where(qc < 0.5, qc, 1.0 - qc)))
    tail = (((((c[0] * s + c[1]) * s + c[2]) * s + c[3]) * s + c[4]) * s + c[5]) / (
        (((d[0] * s + d[1]) * s + d[2]) * s + d[3]) * s + 1.0
    )
    tail = np.where(qc < 0.5, tail, -tail)
    return np.where((qc > low) & (qc < 1 - low), central, tail)


def gamma_quantile(mean: ArrayLike, scv: float, p: ArrayLike) -> FloatArray:
    """p-quantile of a gamma distribution with this mean and squared coefficient of variation.

    scv = 0: the mean (fixed length); scv = 1: exponential, -mean ln(1 - p) (the maximum-entropy
    distribution of a positive length of known mean); 0 < scv < 1: Wilson-Hilferty
    approximation with shape k = 1 / scv (Wilson and Hilferty 1931). scv > 1 is treated as 1.
    """
    m = _f(mean)
    q = np.clip(_f(p), 1e-12, 1.0 - 1e-12)
    if scv <= 0.0:
        return m * np.ones_like(q)
    if scv >= 1.0:
        out: FloatArray = -m * np.log1p(-q)
        return out
    k = 1.0 / scv
    z = normal_quantile(q)
    cube = np.maximum(1.0 - 1.0 / (9.0 * k) + z * np.sqrt(1.0 / (9.0 * k)), 0.0) ** 3
    result: FloatArray = m * cube
    return result


def rate_at_concurrency(
    batch: ArrayLike, decode_tokens: ArrayLike, step_s: ArrayLike, prefill_busy_s: ArrayLike
) -> FloatArray:
    """Requests/s completed by a replica that keeps ``batch`` sequences decoding.

    lambda = B / (n step_s + B S): time balance of n decode iterations (shared by B sequences)
    and one prefill (busy time S) per request; Little's law links B to the decode duration.
    """
    b = _f(batch)
    denominator = _f(decode_tokens) * _f(step_s) + b * _f(prefill_busy_s)
    return np.divide(b, denominator, out=np.zeros(np.broadcast(b, denominator).shape),
                     where=denominator > 0)  # fmt: skip


def prefill_share(rate: ArrayLike, prefill_busy_s: ArrayLike) -> FloatArray:
    """rho = lambda E[S]: the share of the replica's time spent in prefill (clipped below 1)."""
    return np.clip(_f(rate) * _f(prefill_busy_s), 0.0, 1.0 - 1e-12)


def first_token_s(
    rate: ArrayLike,
    prefill_busy_s: ArrayLike,
    prefill_scv: ArrayLike,
    step_s: ArrayLike,
    own_prefill_s: ArrayLike,
    quantile: float | None = None,
    window_s: ArrayLike = 0.0,
    window_prompts: ArrayLike = 0.0,
    window_prompt_busy_s: ArrayLike = 0.0,
) -> FloatArray:
    """Time from admission to the first token: mean, or a quantile.

    Iteration-level batching (Orca; vLLM and TensorRT-LLM in-flight batching): a request that
    arrives during an iteration is prefilled in the next one, together with every request that
    arrived meanwhile and with the decode step of the running batch. Iterations last on average
    ``T = step_s / (1 - rho)``; their length varies with the Poisson number of prefills they
    carry, ``Var(T) = lambda T E[S^2]``. First token = residual of the iteration in progress
    (length-biased mean E[T^2] / 2E[T]) + the next iteration (T + own prefill).
    Quantile: uniform residual ``p T`` + ``T + own + z_p sd(T)`` (normal approximation).

    Front-end dispatch window ``W > 0`` (requests gathered for W seconds, then sent together to
    one replica, which therefore receives prompts only in batches): wait in the window, uniform
    on [0, W] (mean W / 2, variance W^2 / 12), + residual of the decode step in progress
    (``step_s / 2``) + the iteration that prefills the batch: ``step_s`` + own prefill + the
    ``window_prompts`` other prompts (Poisson) of busy time ``window_prompt_busy_s`` each
    (compound Poisson: mean k S, variance k E[S^2]). Quantile: ``p step_s`` + means + z_p
    sd (window wait and batch prefill, normal approximation).
    """
    lam = _f(rate)
    s = _f(prefill_busy_s)
    rho = prefill_share(lam, s)
    iteration = _f(step_s) / (1.0 - rho)
    variance = lam * iteration * s * s * (1.0 + np.maximum(_f(prefill_scv), 0.0))
    own = _f(own_prefill_s)
    w = _f(window_s)
    k = _f(window_prompts)
    s_batch = _f(window_prompt_busy_s)
    step = _f(step_s)
    gathered = w > 0.0
    residual = np.where(
        gathered, step / 2.0, (iteration * iteration + variance) / (2.0 * iteration)
    )
    next_iteration = np.where(gathered, step + k * s_batch, iteration)
    if quantile is None:
        mean: FloatArray = residual + next_iteration + own + w / 2.0
        return mean
    spread = np.where(
        gathered,
        w * w / 12.0 + k * s_batch * s_batch * (1.0 + np.maximum(_f(prefill_scv), 0.0)),
        variance,
    )
    z = float(normal_quantile(quantile))
    residual_q = quantile * np.where(gathered, step, iteration)
    out: FloatArray = residual_q + next_iteration + own + w / 2.0 + z * np.sqrt(spread)
    return out


def tpot_quantile_s(
    step_s: ArrayLike,
    rate: ArrayLike,
    prefill_busy_s: ArrayLike,
    prefill_scv: ArrayLike,
    decode_tokens: ArrayLike,
    quantile: float | None = None,
    decode_tokens_scv: float = 0.0,
) -> FloatArray:
    """Time per output token of one request: mean step_s / (1 - rho), or a quantile over requests.

    A request with n decode tokens is interrupted by K ~ Poisson(lambda n TPOT) prefills of
    length S: TPOT = step_s + K S / n, variance lambda TPOT E[S^2] / n (normal approximation).
    With variable output lengths n = mean x N (N gamma of mean 1 and squared coefficient of
    variation ``decode_tokens_scv``) the standardized deviation is Z / sqrt(N), a scale mixture
    of normals whose quantile depends only on (scv, quantile) and is computed once. Requests
    shorter than 2 decode tokens have no TPOT and are left out.
    """
    lam = _f(rate)
    s = _f(prefill_busy_s)
    rho = prefill_share(lam, s)
    mean = _f(step_s) / (1.0 - rho)
    if quantile is None:
        return mean
    n_mean = np.maximum(_f(decode_tokens), 1.0)
    second_moment = s * s * (1.0 + np.maximum(_f(prefill_scv), 0.0))
    sd = np.sqrt(lam * mean * second_moment / n_mean)
    out: FloatArray = mean + _mixture_quantile(float(decode_tokens_scv), float(quantile)) * sd
    return out


@cache
def _mixture_quantile(scv: float, quantile: float) -> float:
    """q-quantile of Z / sqrt(N): Z standard normal, N gamma with mean 1 and this scv."""
    z = float(normal_quantile(quantile))
    if scv <= 0.0:
        return z
    if quantile < 0.5:  # symmetric mixture
        return -_mixture_quantile(scv, 1.0 - quantile)
    nodes_k = 256
    probs = (np.arange(nodes_k) + 0.5) / nodes_k
    n = np.maximum(gamma_quantile(1.0, scv, probs), 1e-3)
    scale = 1.0 / np.sqrt(n)
    lo, hi = z, z * float(scale.max()) + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        exceed = float(np.mean(1.0 - _normal_cdf(mid / scale)))
        lo, hi = (mid, hi) if exceed > 1.0 - quantile else (lo, mid)
    return 0.5 * (lo + hi)


def _normal_pdf(x: FloatArray) -> FloatArray:
    out: FloatArray = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return out


def _normal_cdf(x: FloatArray) -> FloatArray:
    # Abramowitz and Stegun 7.1.26 erf approximation (|error| < 1.5e-7)
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
            + t * 1.061405429))))  # fmt: skip
    erf = 1.0 - poly * np.exp(-z * z)
    out: FloatArray = 0.5 * (1.0 + np.where(x >= 0, erf, -erf))
    return out


def erlang_c_halfin_whitt(servers: ArrayLike, load: ArrayLike) -> FloatArray:
    """Probability that an arrival waits in M/M/c with offered load a (Halfin-Whitt form).

    1 when a >= c (unstable), -> 0 as c - a >> sqrt(a).
    """
    c = np.maximum(_f(servers), 1.0)
    a = np.maximum(_f(load), 1e-12)
    beta = (c - a) / np.sqrt(a)
    ratio = beta * _normal_cdf(beta) / np.maximum(_normal_pdf(beta), 1e-300)
    p = 1.0 / (1.0 + np.maximum(ratio, 0.0))
    return np.where(a >= c, 1.0, np.minimum(p, 1.0))


def admission_wait_s(
    slots: ArrayLike, concurrency: ArrayLike, holding_s: ArrayLike, quantile: float | None = None
) -> FloatArray:
    """Wait for one of ``slots`` batch slots at mean ``concurrency`` (M/G/c, Erlang C).

    Mean P_wait T / (c - a); p-quantile T / (c - a) ln(P_wait / (1 - p)) when P_wait > 1 - p.
    """
    c = _f(slots)
    a = _f(concurrency)
    t = _f(holding_s)
    p_wait = erlang_c_halfin_whitt(c, a)
    gap = np.maximum(c - a, 1e-9)
    if quantile is None:
        out: FloatArray = p_wait * t / gap
        return out
    tail = 1.0 - quantile
    with np.errstate(divide="ignore"):
        q = np.where(p_wait > tail, t / gap * np.log(np.maximum(p_wait, 1e-300) / tail), 0.0)
    return q
