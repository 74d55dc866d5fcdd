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
from typing import Annotated, Any, TypedDict

import numpy as np

from xpuplan.catalog.catalog import Catalog
from xpuplan.errors import XpuplanError
from xpuplan.jsontypes import as_dict, js, json_key
from xpuplan.validation.cases import CaseSkipped, ValidationCase, read_cases

__all__ = [
    "PRIMARY_METRICS",
    "CaseResult",
    "ErrorStats",
    "MetricComparison",
    "Predictor",
    "ValidationReport",
    "ValidationSummary",
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
        "output_tokens_per_s_per_accelerator",
        "tokens_per_s",
        "tokens_per_s_per_accelerator",
        "tokens_per_s_per_gpu",
        "samples_per_s",
        "requests_per_s",
        "total_tokens_per_s",
        "e2e_latency_mean_ms",
        "e2e_latency_median_ms",
        "tpot_mean_ms",
        "itl_mean_ms",
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


AbsError = Annotated[float, js(minimum=0)]


class ErrorStats(TypedDict):
    """|Relative error| statistics of the primary metric over a set of cases (fractions)."""

    n: Annotated[int, js(minimum=1)]
    median_abs_error: AbsError
    p90_abs_error: AbsError
    max_abs_error: AbsError
    worst_case: Annotated[str, js(description="id of the case with the largest |error|")]


class ValidationSummary(TypedDict):
    """Statistics of the primary-metric |error| per kind and per (kind, family), and counts."""

    metric: Annotated[str, js(description="what the statistics are of")]
    counts: Annotated[
        dict[str, dict[str, Annotated[int, js(minimum=0)]]],
        js(description="cases by kind, then by status (ok, skipped)"),
    ]
    by_kind: dict[str, ErrorStats]
    by_family: Annotated[
        dict[str, dict[str, ErrorStats]], js(description="by kind, then by accelerator family")
    ]


@dataclass(frozen=True)
class MetricComparison:
    """One metric of a case, predicted and measured."""

    predicted: float
    measured: float

    @property
    @json_key(after="measured")
    def rel_error(
        self,
    ) -> Annotated[float, js(description="(predicted - measured) / measured")]:
        return (self.predicted - self.measured) / self.measured

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


@dataclass(frozen=True)
class CaseResult:
    """One validation case: each metric it measured that the predictor produces, or why it was
    skipped."""

    id: str
    kind: Annotated[str, js(description="case kind: train, infer, whole_run, claim, ...")]
    family: Annotated[str, js(description="accelerator family (validation group)")]
    accelerator_id: str
    status: Annotated[str, js(enum=["ok", "skipped"])]
    reason: Annotated[str, js(description="why the case was skipped; empty when ok")] = ""
    primary_metric: Annotated[
        str | None,
        js(description="the metric the summary statistics use (see PRIMARY_METRICS)"),
    ] = None
    metrics: Annotated[
        dict[str, MetricComparison],
        js(description="every metric both measured and predicted, by name"),
    ] = field(default_factory=dict)
    assumptions: Annotated[
        tuple[str, ...],
        js(
            description="What the predictor assumed for values the case leaves unstated "
            "(stack, precision, batch, layout), with the rule's source."
        ),
    ] = ()

    @property
    def primary_error(self) -> float | None:
        if self.primary_metric is None:
            return None
        return self.metrics[self.primary_metric].rel_error

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _stats(errors: Sequence[float], ids: Sequence[str]) -> ErrorStats:
    values = np.abs(np.asarray(errors, dtype=np.float64))
    worst = int(np.argmax(values))
    return {
        "n": len(values),
        "median_abs_error": float(np.median(values)),
        "p90_abs_error": float(np.percentile(values, 90)),
        "max_abs_error": float(values[worst]),
        "worst_case": ids[worst],
    }


def summarize(results: Iterable[CaseResult]) -> ValidationSummary:
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
    """Predicted against measured for every validation case, and the error statistics."""

    cases: tuple[CaseResult, ...]
    summary: ValidationSummary

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


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
            assumptions=tuple(getattr(predicted, "assumptions", ())),
        )

    predicted: dict[str, float] = {}
    predictor = predictor_for(case.kind)
    if predictor is None:
        return result(
            "skipped", _NO_PREDICTOR_REASON.get(case.kind, f"unknown case kind {case.kind!r}")
        )
    try:
        predicted = predictor(case, catalog)
    except CaseSkipped as skip:
        return result("skipped", skip.reason)
    except XpuplanError as error:  # the case names something the catalog or models lack
        return result("skipped", f"cannot predict: {error}")
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
    """Load every file and validate its cases. A case that breaks the schema is reported as
    skipped with its reason and the others are predicted; a file that cannot be read at all
    raises ValidationFileError."""
    cases: list[ValidationCase] = []
    rejected: list[CaseResult] = []
    wanted = set(kinds) if kinds is not None else None
    for path in paths:
        valid, bad = read_cases(path)
        cases.extend(valid)
        rejected.extend(
            CaseResult(r.id, r.kind, r.family, r.accelerator_id, "skipped", r.reason)
            for r in bad
            if wanted is None or r.kind in wanted or r.kind == "?"
        )
    report = validate_cases(cases, catalog, kinds=kinds, progress=progress)
    if not rejected:
        return report
    results = (*report.cases, *rejected)
    return ValidationReport(cases=results, summary=summarize(results))


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
