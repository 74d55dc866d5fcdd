"""Queueing formulas of the serving estimator against textbook values and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.perf import queueing


def _erlang_c_exact(c: int, a: float) -> float:
    """Erlang C via the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)) (independent)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


@pytest.mark.parametrize(
    ("p", "z"), [(0.5, 0.0), (0.9, 1.2815516), (0.99, 2.3263479), (0.01, -2.3263479)]
)
def test_normal_quantile_matches_tables(p: float, z: float) -> None:
    assert float(queueing.normal_quantile(p)) == pytest.approx(z, abs=1e-6)


@pytest.mark.parametrize(("c", "a"), [(100, 90.0), (400, 380.0), (1000, 960.0)])
def test_halfin_whitt_erlang_c_close_to_exact(c: int, a: float) -> None:
    exact = _erlang_c_exact(c, a)
    approx = float(queueing.erlang_c_halfin_whitt(c, a))
    assert approx == pytest.approx(exact, rel=0.15)


def test_first_token_at_light_load_is_residual_plus_one_iteration() -> None:
    # no other arrivals: half the iteration in progress + the next one + the own prefill
    assert float(queueing.first_token_s(0.0, 0.02, 0.0, 0.05, 0.02)) == pytest.approx(
        0.025 + 0.05 + 0.02
    )


def test_first_token_with_dispatch_window_by_hand() -> None:
    # window 0.3 s, 10 other prompts of 30 ms in the batch, 50 ms decode step, 20 ms own
    # prefill: W/2 + half a step + (step + 10 x 30 ms) + own
    args = (1.0, 0.03, 0.0, 0.05, 0.02)
    batch = {"window_s": 0.3, "window_prompts": 10.0, "window_prompt_busy_s": 0.03}
    mean = float(queueing.first_token_s(*args, **batch))
    assert mean == pytest.approx(0.15 + 0.025 + 0.35 + 0.02)
    # p99: uniform residual 0.99 step + means + z sd(window wait, compound Poisson batch)
    sd = math.sqrt(0.3**2 / 12 + 10 * 0.03**2)
    p99 = float(queueing.first_token_s(*args, quantile=0.99, **batch))
    assert p99 == pytest.approx(0.99 * 0.05 + 0.35 + 0.02 + 0.15 + 2.3263479 * sd, rel=1e-6)


def test_rate_at_concurrency_time_balance() -> None:
    # B = 100 sequences, 99 decode steps of 50 ms, 20 ms prefill: 100 / (4.95 + 2.0) req/s
    assert float(queueing.rate_at_concurrency(100, 99, 0.05, 0.02)) == pytest.approx(100 / 6.95)


def test_tpot_mean_is_step_stretched_by_prefill_share() -> None:
    assert float(queueing.tpot_quantile_s(0.03, 10.0, 0.05, 0.0, 100)) == pytest.approx(0.06)


def test_tpot_tail_grows_with_output_length_spread() -> None:
    args = (0.03, 10.0, 0.05, 0.0, 100)
    fixed = float(queueing.tpot_quantile_s(*args, quantile=0.99))
    spread = float(queueing.tpot_quantile_s(*args, quantile=0.99, decode_tokens_scv=1.0))
    assert 0.06 < fixed < spread


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(0.1, 9.0),
    more=st.floats(1.01, 1.5),
    s=st.floats(0.001, 0.1),
    step=st.floats(0.001, 0.2),
)
def test_first_token_increases_with_rate(rate: float, more: float, s: float, step: float) -> None:
    higher = min(rate * more, 0.99 / s)
    if higher <= rate:
        return
    for q in (None, 0.99):
        low = float(queueing.first_token_s(rate, s, 1.0, step, s, quantile=q))
        high = float(queueing.first_token_s(higher, s, 1.0, step, s, quantile=q))
        assert high >= low - 1e-12


@settings(max_examples=40, deadline=None)
@given(c=st.integers(2, 2000), frac=st.floats(0.05, 0.95), more=st.floats(1.001, 1.05))
def test_admission_wait_increases_with_load(c: int, frac: float, more: float) -> None:
    a = c * frac
    b = min(a * more, c * 0.999)
    assert float(queueing.admission_wait_s(c, b, 10.0)) >= float(
        queueing.admission_wait_s(c, a, 10.0)
    )


def test_gamma_quantile_fixed_exponential_and_wilson_hilferty() -> None:
    assert float(queueing.gamma_quantile(200.0, 0.0, 0.99)) == pytest.approx(200.0)
    # exponential median: mean ln 2
    assert float(queueing.gamma_quantile(1.0, 1.0, 0.5)) == pytest.approx(math.log(2.0))
    # chi-square with 10 degrees of freedom = gamma(k=5, mean 10): 0.99 quantile 23.209
    assert float(queueing.gamma_quantile(10.0, 0.2, 0.99)) == pytest.approx(23.209, rel=0.01)
