"""Static-shape buckets follow the compiled longest sequence (NxD Inference autobucketing)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from xpuplan.perf.serving.memory import MIN_BUCKET_TOKENS, bucket, buckets, mean_bucket


def test_buckets_end_at_the_compiled_length() -> None:
    # neuronx-distributed-inference generate_buckets(128, 12800): 2^7 .. 2^13, then 12,800
    assert buckets(12800) == [128, 256, 512, 1024, 2048, 4096, 8192, 12800]
    assert buckets(4096) == [128, 256, 512, 1024, 2048, 4096]
    # round(log2 1152) = 10: no 1,024 bucket next to 1,152
    assert buckets(1152) == [128, 256, 512, 1152]
    assert buckets(100) == [100]


def test_a_prompt_pads_to_the_compiled_length_not_the_next_power_of_two() -> None:
    assert bucket(10000.0, 12800.0) == 12800.0
    assert bucket(10000.0) == 16384.0
    assert bucket(5000.0, 12800.0) == 8192.0
    assert bucket(600.0, 1152.0) == 1152.0
    # past the compiled length nothing is capped
    assert bucket(20000.0, 12800.0) == 32768.0


@given(
    st.floats(1.0, 60000.0),
    st.floats(MIN_BUCKET_TOKENS, 65536.0),
)
def test_bucket_is_the_smallest_compiled_bucket_that_holds_the_sequence(
    tokens: float, max_tokens: float
) -> None:
    got = float(bucket(tokens, max_tokens))
    if tokens <= max_tokens:
        holding = [b for b in buckets(max_tokens) if b >= tokens]
        assert got == min(holding)
    assert got >= tokens


def test_mean_bucket_weighs_each_bucket_by_the_positions_it_serves() -> None:
    # positions 10,000..11,500 all sit in the 12,800 bucket
    assert mean_bucket(10000.0, 11500.0, 12800.0) == 12800.0
    # 128..1,152 with buckets 128, 256, 512, 1,152: exact piecewise mean
    expected = (128 * 256 + 256 * 512 + 640 * 1152) / 1024
    assert np.isclose(mean_bucket(128.0, 1152.0, 1152.0), expected)
