"""Accuracy of the serving estimator on the public inference cases (the bundled copy).

The bounds pin the accuracy reached with the fitted efficiencies of
``perf/data/serving_efficiency.yaml`` (``python scripts/fit_serving.py --report`` prints the
table): a change that makes the estimator worse on the public set fails here.
"""

from __future__ import annotations

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.infer_cases import error_table
from xpuplan.validation.run import bundled_public_file, validate_files


@pytest.fixture(scope="module")
def table() -> dict[tuple[str, str], dict[str, float]]:
    report = validate_files([bundled_public_file()], load_catalog(), kinds=["infer"])
    assert all(c.status == "ok" for c in report.cases)  # every public infer case is predicted
    return {(row["family"], row["kind"]): row for row in error_table(report)}


@pytest.mark.parametrize(
    ("family", "kind", "bound"),
    [
        ("all", "throughput", 0.10),  # issue target 0.15
        ("all", "latency", 0.18),  # issue target 0.25
        ("nvidia", "throughput", 0.12),
        ("amd", "throughput", 0.10),
        ("aws", "throughput", 0.10),
        ("nvidia", "latency", 0.20),
        ("amd", "latency", 0.25),
        ("aws", "latency", 0.15),
    ],
)
def test_median_error_on_public_cases(
    table: dict[tuple[str, str], dict[str, float]], family: str, kind: str, bound: float
) -> None:
    assert table[(family, kind)]["median"] <= bound
