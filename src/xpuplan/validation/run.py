"""Predict every case of validation files and compare with the measurements.

Each case kind has one predictor ``(case, catalog) -> dict[metric name, predicted value]`` that
returns values under the *same* metric names the case's ``metrics`` uses; every name present in
both is compared with the signed relative error ``(predicted - measured) / measured``. A case that
cannot be predicted is kept in the report with status ``skipped`` and the reason.

Primary metric (the one the summary statistics use): the first of :data:`PRIMARY_METRICS` for the
case's kind that is both measured and predicted. For training these are throughput-like (tokens/s
per device, then tokens/s, sequences/s, samples/s, step time, TFLOP/s per device, MFU): a measured
rate or time needs no FLOP convention, so it is preferred over TFLOP/s and MFU, which depend on
each source's counting rules. For inference the output-token throughput comes first, then
latency metrics.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xpuplan.catalog.catalog import Catalog
from xpuplan.validation.cases import CaseSkipped, ValidationCase, load_cases

__all__ = [
    "PRIMARY_METRICS",
    "CaseResult",
    "MetricComparison",
    "Predictor",
    "ValidationReport",
    "bundled_case_files",
    "bundled_public_file",
    "predictor_for",
    "summarize",
    "validate_cases",
    "validate_files",
]

Predictor = Callable[[ValidationCase, Catalog], dict[str, float]]

PRIMARY_METRICS: dict[str, tuple[str, ...]] = {
    "train": (
        "tokens_per_s_per_device",
        "tokens_per_s_per_accelerator",
        "tokens_per_s_per_gpu",
        "tokens_per_s_per_chip",
        "tokens_per_s",
        "sequences_per_s",
        "samples_per_s",
        "step_time_s",
        "step_time_ms",
        "tflops_per_device",
        "tflops_per_gpu",
        "tflops_per_chip",
        "mfu",
    ),
    "infer": (
        "output_tokens_per_s_total",
        "output_tokens_per_s",
        "output_tokens_per_s_per_gpu",
        "tokens_per_s",
        "tokens_per_s_per_accelerator",
        "samples_per_s",
        "e2e_latency_mean_ms",
        "e2e_latency_median_ms",
        "tpot_mean_ms",
        "ttft_mean_ms",
    ),
}

# (module, function) of each kind's predictor, imported lazily so a missing optional predictor
# only skips its cases.
_PREDICTORS: dict[str, tuple[str, str]] = {
    "train": ("xpuplan.validation.train_cases", "predict_train_case"),
    "infer": ("xpuplan.validation.infer_cases", "predict_infer_case"),
}
_NO_PREDICTOR_REASON = {
    "train": "no training predictor",
    "infer": "no inference predictor",
    "whole_run": "whole-run cases (time/energy to train) are not predicted",
    "claim": "vendor claims are not predicted",
}


@dataclass(frozen=True)
class MetricComparison:
    predicted: float
    measured: float

    @property
    def rel_error(self) -> float:
        return (self.predicted - self.measured) / self.measured

    def to_dict(self) -> dict[str, float]:
        return {
            "predicted": self.predicted,
            "measured": self.measured,
            "rel_error": self.rel_error,
        }


@dataclass(frozen=True)
class CaseResult:
    id: str
    kind: str
    family: str
    accelerator_id: str
    status: str  # "ok" | "skipped"
    reason: str = ""
    metrics: dict[str, MetricComparison] = field(default_factory=dict)
    primary_metric: str | None = None

    @property
    def primary_error(self) -> float | None:
        if self.primary_metric is None:
            return None
        return self.metrics[self.primary_metric].rel_error

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "family": self.family,
            "accelerator_id": self.accelerator_id,
            "status": self.status,
            "reason": self.reason,
            "primary_metric": self.primary_metric,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
        }


def _stats(errors: Sequence[float], ids: Sequence[str]) -> dict[str, Any]:
    values = np.abs(np.asarray(errors, dtype=np.float64))
    worst = int(np.argmax(values))
    return {
        "n": len(values),
        "median_abs_error": float(np.median(values)),
        "p90_abs_error": float(np.percentile(values, 90)),
        "max_abs_error": float(values[worst]),
        "worst_case": ids[worst],
    }


def summarize(results: Iterable[CaseResult]) -> dict[str, Any]:
    """Statistics of the primary-metric |error| per kind and per (kind, family), plus counts."""
    by_kind: dict[str, tuple[list[float], list[str]]] = {}
    by_family: dict[str, dict[str, tuple[list[float], list[str]]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        count = counts.setdefault(r.kind, {"ok": 0, "skipped": 0})
        count[r.status] = count.get(r.status, 0) + 1
        error = r.primary_error
        if r.status != "ok" or error is None:
            continue
        errs, ids = by_kind.setdefault(r.kind, ([], []))
        errs.append(error)
        ids.append(r.id)
        ferrs, fids = by_family.setdefault(r.kind, {}).setdefault(r.family, ([], []))
        ferrs.append(error)
        fids.append(r.id)
    return {
        "metric": "primary metric |rel_error| (see PRIMARY_METRICS)",
        "counts": counts,
        "by_kind": {k: _stats(*v) for k, v in sorted(by_kind.items())},
        "by_family": {
            k: {f: _stats(*v) for f, v in sorted(fams.items())}
            for k, fams in sorted(by_family.items())
        },
    }


@dataclass(frozen=True)
class ValidationReport:
    cases: tuple[CaseResult, ...]
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"cases": [c.to_dict() for c in self.cases], "summary": self.summary}


def predictor_for(kind: str) -> Predictor | None:
    """The predictor of a case kind, or None when it has none (or its module is absent)."""
    target = _PREDICTORS.get(kind)
    if target is None:
        return None
    module_name, function = target
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    predictor: Predictor | None = getattr(module, function, None)
    return predictor


def _compare(case: ValidationCase, predicted: dict[str, float]) -> dict[str, MetricComparison]:
    out: dict[str, MetricComparison] = {}
    for name, measured in case.measured().items():
        value = predicted.get(name)
        if value is None or measured == 0:
            continue
        if not (math.isfinite(value) and math.isfinite(measured)):
            continue
        out[name] = MetricComparison(predicted=float(value), measured=measured)
    return out


def _primary(kind: str, metrics: dict[str, MetricComparison]) -> str | None:
    for name in PRIMARY_METRICS.get(kind, ()):
        if name in metrics:
            return name
    return next(iter(metrics), None)


def _predict_one(case: ValidationCase, catalog: Catalog) -> CaseResult:
    def result(
        status: str, reason: str = "", metrics: dict[str, MetricComparison] | None = None
    ) -> CaseResult:
        metrics = metrics or {}
        return CaseResult(
            id=case.id,
            kind=case.kind,
            family=case.hardware.family,
            accelerator_id=case.hardware.accelerator_id,
            status=status,
            reason=reason,
            metrics=metrics,
            primary_metric=_primary(case.kind, metrics) if metrics else None,
        )

    predictor = predictor_for(case.kind)
    if predictor is None:
        return result(
            "skipped", _NO_PREDICTOR_REASON.get(case.kind, f"unknown case kind {case.kind!r}")
        )
    try:
        predicted = predictor(case, catalog)
    except CaseSkipped as skip:
        return result("skipped", skip.reason)
    metrics = _compare(case, predicted)
    if not metrics:
        return result("skipped", "no measured metric that the predictor produces")
    return result("ok", metrics=metrics)


def validate_cases(
    cases: Iterable[ValidationCase],
    catalog: Catalog,
    kinds: Iterable[str] | None = None,
    progress: Callable[[ValidationCase], None] | None = None,
) -> ValidationReport:
    """Predict each case (optionally only some kinds) and summarize the errors."""
    wanted = set(kinds) if kinds is not None else None
    results: list[CaseResult] = []
    for case in cases:
        if wanted is not None and case.kind not in wanted:
            continue
        results.append(_predict_one(case, catalog))
        if progress is not None:
            progress(case)
    return ValidationReport(cases=tuple(results), summary=summarize(results))


def validate_files(
    paths: Iterable[str | Path],
    catalog: Catalog,
    kinds: Iterable[str] | None = None,
    progress: Callable[[ValidationCase], None] | None = None,
) -> ValidationReport:
    """Load every file (schema errors raise ValidationFileError) and validate all its cases."""
    cases: list[ValidationCase] = []
    for path in paths:
        cases.extend(load_cases(path))
    return validate_cases(cases, catalog, kinds=kinds, progress=progress)


def bundled_public_file() -> Path:
    """The copy of the public validation set shipped inside the package."""
    return Path(__file__).with_name("data") / "public.yaml"


def bundled_case_files() -> list[Path]:
    """Every validation file shipped in the package (files with a ``cases`` list), the public
    set first: what ``xpuplan validate`` reads when given no file."""
    folder = Path(__file__).with_name("data")
    files = [bundled_public_file()]
    for path in sorted(folder.glob("*.yaml")):
        if path != files[0] and "\ncases:" in "\n" + path.read_text(encoding="utf-8"):
            files.append(path)
    return files
