"""The serving fit weighs a publication's cases as correlated (random-intercept weights)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from test_crossval import _case
from xpuplan.validation.infer_calibration import SOURCE_KAPPA, source_weights


def _prepared(case_id: str, url: str) -> Any:
    return SimpleNamespace(case=_case(case_id, "nvidia", url, 1.0))


def test_one_large_source_does_not_outweigh_the_others() -> None:
    big = [_prepared(f"b{i}", "https://github.com/big/results") for i in range(100)]
    small = [_prepared(f"s{i}", "https://github.com/small/table") for i in range(2)]
    w = source_weights([*big, *small], kappa=0.1)
    assert w.mean() == pytest.approx(1.0)
    # 1 / (1 + 0.1 n): a case of the 100-case source weighs 1.2 / 11 of a 2-case source's
    assert w[0] / w[-1] == pytest.approx((1 + 0.1 * 2) / (1 + 0.1 * 100))
    # a source counts as at most 1 / kappa = 10 cases of its own weight scale
    assert w[:100].sum() / w[-1] == pytest.approx(100 * 1.2 / 11)


def test_no_correlation_is_plain_least_squares() -> None:
    cases = [
        _prepared("a", "https://x.org/a"),
        *[_prepared(f"b{i}", "https://y.org") for i in range(5)],
    ]
    assert source_weights(cases, kappa=0.0) == pytest.approx([1.0] * 6)
    assert SOURCE_KAPPA > 0.0
