"""Out-of-group cross-validation: grouping, held-out refits, statistics (toy calibration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from xpuplan.errors import InputError
from xpuplan.validation.cases import ValidationCase
from xpuplan.validation.crossval import case_group, cross_validate, summarize_errors


def _case(case_id: str, family: str, url: str, measured: float) -> ValidationCase:
    raw: dict[str, Any] = {
        "id": case_id,
        "kind": "train",
        "source": {"title": "t", "url": url},
        "model": {"name": "m"},
        "hardware": {"accelerator": "a", "accelerator_id": "a", "family": family, "count": 1},
        "metrics": {"tokens_per_s": measured},
    }
    return ValidationCase.model_validate(raw)


class ScaleCalibration:
    """Predicts every case as one fitted constant (the mean of the cases it was fitted on)."""

    def __init__(self) -> None:
        self.fitted_on: list[list[str]] = []

    def fit(self, cases: Sequence[ValidationCase]) -> float:
        self.fitted_on.append(sorted(c.id for c in cases))
        values = [c.measured()["tokens_per_s"] for c in cases]
        return sum(values) / len(values) if values else 1.0

    def errors(self, cases: Sequence[ValidationCase], params: float) -> dict[str, float]:
        return {c.id: params / c.measured()["tokens_per_s"] - 1.0 for c in cases}

    def latency_errors(self, cases: Sequence[ValidationCase], params: float) -> dict[str, float]:
        return {}


class LatencyCalibration(ScaleCalibration):
    """Also predicts a latency: 1 s of work at the fitted rate, against 1000/measured ms."""

    def latency_errors(self, cases: Sequence[ValidationCase], params: float) -> dict[str, float]:
        return {
            f"{c.id}|tpot": (1000.0 / params) / (1000.0 / c.measured()["tokens_per_s"]) - 1.0
            for c in cases
        }


CASES = [
    _case("a1", "nvidia", "https://github.com/NVIDIA/Megatron-LM/blob/main/README.md", 100.0),
    _case("a2", "nvidia", "https://github.com/nvidia/megatron-lm#table", 100.0),
    _case("b1", "tpu", "https://github.com/AI-Hypercomputer/maxtext", 300.0),
    _case("c1", "tpu", "https://www.mlcommons.org/results", 200.0),
]


def test_source_groups_by_repository_or_host() -> None:
    assert case_group(CASES[0], "source") == case_group(CASES[1], "source") == "nvidia/megatron-lm"
    assert case_group(CASES[3], "source") == "mlcommons.org"
    assert case_group(CASES[2], "family") == "tpu"
    with pytest.raises(InputError, match="group_by 'chip'"):
        case_group(CASES[0], "chip")


def test_held_out_group_is_never_in_its_own_fit() -> None:
    calibration = ScaleCalibration()
    result = cross_validate(CASES, calibration, "family", kind="train")
    # one refit per family, then the in-sample fit on everything
    assert calibration.fitted_on == [["b1", "c1"], ["a1", "a2"], ["a1", "a2", "b1", "c1"]]
    # nvidia predicted with the tpu mean (250): +150%; tpu with the nvidia mean (100)
    assert result.errors["a1"] == pytest.approx(1.5)
    assert result.errors["b1"] == pytest.approx(100 / 300 - 1)
    assert [g.group for g in result.groups] == ["nvidia", "tpu"]
    assert result.overall.n == 4
    assert result.in_sample.n == 4
    # in-sample is better than out-of-group for this toy model
    assert result.in_sample.median_abs_error < result.overall.median_abs_error


def test_latency_is_held_out_like_the_primary_metric() -> None:
    result = cross_validate(CASES, LatencyCalibration(), "family", kind="infer")
    latency = result.latency
    assert latency is not None
    # nvidia's latency predicted at the tpu mean rate (250/s): 100/250 - 1 = -60%
    assert latency.errors["a1|tpot"] == pytest.approx(100 / 250 - 1)
    assert latency.errors["b1|tpot"] == pytest.approx(300 / 100 - 1)
    assert latency.overall.n == 4 and latency.in_sample.n == 4
    assert [g.group for g in latency.by_kind] == ["latency tpot"]
    assert [g.group for g in latency.by_family] == ["family nvidia", "family tpu"]
    assert latency.in_sample.median_abs_error < latency.overall.median_abs_error
    assert result.to_dict()["latency"]["overall"]["n"] == 4
    # an estimator without latency reports none
    assert cross_validate(CASES, ScaleCalibration(), "family", kind="train").latency is None


def test_one_latency_per_case_and_kind_mean_first() -> None:
    from xpuplan.validation.infer_calibration import latency_by_kind

    metrics = {
        "tokens_per_s": 0.5,
        "ttft_p99_ms": 0.3,
        "ttft_mean_ms": 0.1,
        "tpot_p99_ms": -0.2,
        "e2e_latency_median_ms": 0.05,
    }
    assert latency_by_kind(metrics) == {"ttft": 0.1, "tpot": -0.2, "e2e": 0.05}


def test_summary_statistics() -> None:
    stats = summarize_errors("g", {"x": -0.2, "y": 0.1, "z": 0.4})
    assert stats.n == 3
    assert stats.median_abs_error == pytest.approx(0.2)
    assert stats.signed_median_error == pytest.approx(0.1)
    assert stats.max_abs_error == pytest.approx(0.4)
    assert stats.worst_case == "z"
    assert summarize_errors("empty", {}).n == 0
