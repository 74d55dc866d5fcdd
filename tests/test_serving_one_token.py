"""A request with one output token (prefill only) is served at a finite operating point."""

from __future__ import annotations

from xpuplan.plan import plan_serving
from xpuplan.search.filters import OfferingFilter


def _fleet(output_tokens: int) -> tuple[float, float, float]:
    result = plan_serving(
        "llama-3.1-8b",
        rate_rps=5.0,
        input_tokens=512,
        output_tokens=output_tokens,
        ttft_p99_ms=2000.0,
        tpot_p99_ms=100.0,
        filters=OfferingFilter(accelerators=("nvidia-h100-sxm",)),
    )
    entry = result.fleet.entries[0]
    assert entry.ttft_p99_ms is not None
    return entry.capacity_rps_per_replica, entry.ttft_p99_ms, result.fleet.usd_per_hour


def test_one_output_token_is_not_a_saturated_queue() -> None:
    rate_1, ttft_1, cost_1 = _fleet(1)
    rate_2, _, cost_2 = _fleet(2)
    # the first token comes out of the prefill iteration: a finite TTFT within the target
    assert 0.0 < ttft_1 <= 2000.0
    # one output token costs no more than two
    assert rate_1 >= rate_2 * (1 - 1e-9)
    assert cost_1 <= cost_2 + 1e-9
