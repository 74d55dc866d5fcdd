"""A decode step's weight streaming and GEMMs overlap imperfectly: their p-norm, not their max."""

from __future__ import annotations

import numpy as np
import pytest

from xpuplan.perf.serving import step


def test_overlap_of_the_two_roofs_by_hand() -> None:
    """p = 2: 3 ms of weight streaming and 4 ms of GEMMs take 5 ms; equal terms sqrt(2) x one;
    a term a tenth of the other adds half a percent."""
    assert step.OVERLAP_P == 2.0
    out = step.overlapped_s(np.array([3e-3, 2e-3, 1e-3]), np.array([4e-3, 2e-3, 1e-2]))
    assert out == pytest.approx([5e-3, 2e-3 * 2**0.5, 1e-2 * 1.01**0.5], rel=1e-12)
