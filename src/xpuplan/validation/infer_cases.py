"""Predict ``kind: infer`` validation cases with the serving estimator.

How a case is read (documented in ``docs/serving-estimator.md``):

* **MLPerf Inference** (``conditions`` says ``scenario=Offline|Server|Interactive``): request
  lengths from ``data/infer_workloads.yaml`` (the dataset's mean input and output tokens per
  sample; maximum-entropy length distributions around them). Offline = the largest batch that fits
  (maximum throughput); Server / Interactive = the highest request rate whose p99 TTFT and TPOT
  meet the case's ``constraint_*`` limits (or the benchmark's). Closed-division LLM submissions
  quantize, so the weights run in the lowest floating-point format the chip has a peak for
  (FP4, else FP8; the ``precision`` field of these cases names the checkpoint type). The layout
  is not published: every ``tp`` in 1, 2, 4, 8 that fits a node is evaluated (one vectorized
  call) and the best is kept, as a submitter tunes it; its ``count / (tp pp)`` replicas share
  the harness's dispatch window (``harnesses`` in ``data/infer_workloads.yaml``: AMD's vLLM
  harness batches queries for 0.3 s; the window belongs to the benchmark, not to the chip).
  ``tokens_per_s`` is output tokens/s.
* **Fixed-length max-throughput tables** (TensorRT-LLM ``trtllm-bench``: "ISL a/OSL b", all
  requests queued at once): the offline maximum at the stated ``tp x pp`` and precision;
  ``output_tokens_per_s_total`` is the whole TP group, ``..._per_gpu`` divides by its GPUs.
* **Fixed-batch runs** (Neuron tables "input a tokens, output b tokens" with
  ``global_batch_seqs``; vLLM ``benchmark_latency`` "fixed batch"): static batching at that batch;
  Neuron TP degrees count NeuronCores; e2e latency = TTFT + (out - 1) TPOT; output tokens/s =
  batch x out / e2e.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import XpuplanError
from xpuplan.models.describe import spec_from_description
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving import (
    STATUS_MESSAGES,
    WEIGHT_PRECISIONS,
    build_candidates,
    serving_capacity_arrays,
)
from xpuplan.perf.serving_efficiency import ServingEfficiency, efficiency_for
from xpuplan.validation.cases import CaseSkipped, ValidationCase
from xpuplan.validation.run import ValidationReport

__all__ = [
    "InferSetting",
    "PreparedCase",
    "error_table",
    "interpret_case",
    "metric_kind",
    "predict_infer_case",
    "predict_prepared",
    "prepare_infer_case",
]

Scenario = Literal["offline", "server", "interactive", "static"]

# Layouts a submitter tunes over when the case does not state one.
_TP_CHOICES = (1, 2, 4, 8)
# Percentile of the latency constraints (MLPerf LLM server rules: p99 TTFT and TPOT).
_LATENCY_QUANTILE = 0.99


@dataclass(frozen=True)
class InferSetting:
    """What a case measured, in the estimator's terms."""

    scenario: Scenario
    input_len: float
    output_len: float
    input_len_scv: float
    output_len_scv: float
    weight_precision: str
    tp: int | None  # None: choose the best of _TP_CHOICES
    pp: int
    tp_unit: Literal["chips", "cores"]
    cores_per_chip: float | None  # Neuron cores a core-counted TP uses per chip
    batch: float | None
    ttft_p99_ms: float | None
    tpot_p99_ms: float | None
    dispatch_window_s: float = 0.0  # the benchmark harness's batching window (0: none)


@cache
def _workload_file() -> dict[str, Any]:
    text = (
        resources.files("xpuplan.validation")
        .joinpath("data/infer_workloads.yaml")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _workloads() -> dict[str, dict[str, Any]]:
    workloads: dict[str, dict[str, Any]] = _workload_file()["workloads"]
    return workloads


def _harness_window_s(case: ValidationCase) -> float:
    """The dispatch window of the case's benchmark harness (``harnesses`` in the YAML), or 0."""
    framework = (case.framework or "").lower()
    for entry in (_workload_file().get("harnesses") or {}).values():
        if all(word in framework for word in entry["framework_match"]):
            return float(entry["dispatch_window_s"])
    return 0.0


def _workload(case: ValidationCase) -> dict[str, Any]:
    text = f"{case.model.name} {case.model.notes or ''}".lower()
    for entry in _workloads().values():
        if all(word in text for word in entry["match"]):
            return entry
    raise CaseSkipped(f"no request-length statistics for the dataset of {case.model.name!r}")


def _lowest_float_format(accelerator: Accelerator) -> str:
    for precision in ("fp4", "fp8"):
        if accelerator.peak_tflops(precision):
            return precision
    return "bf16"


def _stated_precision(text: str | None) -> str:
    lowered = (text or "").lower()
    match = re.search(r"weights\s+(fp4|fp8|int8|int4|bf16|fp16)", lowered)
    if match:
        return match.group(1)
    for precision in ("fp4", "fp8", "int4", "int8", "bf16", "fp16"):
        if re.search(rf"\b{precision}\b", lowered):
            return precision
    return "bf16"  # "not stated (default dtype)": checkpoints are bf16/fp16


def _lengths(notes: str) -> tuple[float, float] | None:
    match = re.search(r"isl\s*(\d+)\s*/\s*osl\s*(\d+)", notes) or re.search(
        r"input\s+(\d+)\s+tokens?,\s*output\s+(\d+)\s+tokens?", notes
    )
    return (float(match.group(1)), float(match.group(2))) if match else None


def interpret_case(case: ValidationCase, accelerator: Accelerator) -> InferSetting:
    """Map a case to scenario, lengths, precision and layout (rules in the module docstring)."""
    text = case.text
    scenario_match = re.search(r"scenario\s*=\s*(offline|server|interactive)", text)
    par = case.parallelism
    if scenario_match:
        scenario: Scenario = scenario_match.group(1)  # type: ignore[assignment]
        work = _workload(case)
        mean_in = work.get("input_tokens_mean")
        for missing, what in (
            (not work.get("output_tokens_mean"), "mean output length"),
            (not (mean_in or work.get("input_tokens_max")), "mean or maximum input length"),
        ):
            if missing:
                raise CaseSkipped(
                    f"the dataset of {case.model.name!r} has no published {what} "
                    "(data/infer_workloads.yaml)"
                )
        cap = float(work.get("input_tokens_max") or mean_in or 0.0)
        limits = (work.get("scenarios") or {}).get(scenario, {})
        metrics = case.metrics
        return InferSetting(
            scenario=scenario,
            input_len=float(mean_in) if mean_in else (cap + 1.0) / 2.0,
            output_len=float(work["output_tokens_mean"]),
            # max-entropy length distributions (infer_workloads.yaml): exponential given the
            # mean, uniform on [1, cap] given only the cap
            input_len_scv=1.0 if mean_in else ((cap - 1.0) ** 2 / 12.0) / ((cap + 1.0) / 2.0) ** 2,
            output_len_scv=1.0,  # only the mean output is published: exponential
            weight_precision=_lowest_float_format(accelerator),
            tp=par.tp,
            pp=par.pp or 1,
            tp_unit="chips",
            cores_per_chip=None,
            batch=None,
            ttft_p99_ms=metrics.get("constraint_ttft_ms") or limits.get("ttft_p99_ms"),
            tpot_p99_ms=metrics.get("constraint_tpot_ms") or limits.get("tpot_p99_ms"),
            dispatch_window_s=_harness_window_s(case),
        )
    lengths = _lengths(case.batch.notes.lower() if case.batch.notes else "")
    if lengths is None:
        raise CaseSkipped(
            "input/output lengths not stated (no 'ISL/OSL' or 'input/output N tokens')"
        )
    batch = case.batch.global_batch_seqs
    offline = any(w in text for w in ("max-throughput", "all queued at once", "offline"))
    if not offline and batch is None:
        raise CaseSkipped("neither a fixed batch nor an offline max-throughput setting")
    cores = "counts neuroncores" in (par.notes or "").lower()
    # one replica per dp rank on all the case's chips: tp cores / chips is the number of
    # (logical) NeuronCores used per chip (2 on Inferentia2; 4 on Trainium2 with LNC=2)
    chips = case.hardware.count // (par.dp or 1)
    per_chip = par.tp / chips if cores and par.tp and chips >= 1 and par.tp % chips == 0 else None
    return InferSetting(
        scenario="offline" if offline else "static",
        input_len=lengths[0],
        output_len=lengths[1],
        input_len_scv=0.0,
        output_len_scv=0.0,
        weight_precision=_stated_precision(case.precision),
        tp=par.tp,
        pp=par.pp or 1,
        tp_unit="cores" if cores else "chips",
        cores_per_chip=per_chip,
        batch=None if offline else float(batch or 1),
        ttft_p99_ms=None,
        tpot_p99_ms=None,
    )


def _tp_options(setting: InferSetting, case: ValidationCase) -> list[int]:
    if setting.tp is not None:
        return [setting.tp]
    count = case.hardware.count
    node = case.hardware.accelerators_per_node or count
    options = [t for t in _TP_CHOICES if t <= min(count, node) and count % t == 0]
    if not options:
        raise CaseSkipped(f"no tensor-parallel size in {_TP_CHOICES} divides {count} chips")
    return options


@dataclass(frozen=True)
class PreparedCase:
    """A case with its model, accelerator and interpretation resolved (reused by the fitter)."""

    case: ValidationCase
    spec: ModelSpec
    accelerator: Accelerator
    setting: InferSetting


def prepare_infer_case(case: ValidationCase, catalog: Catalog) -> PreparedCase:
    """Resolve a case's model, accelerator and setting; CaseSkipped when it cannot be."""
    if case.kind != "infer":
        raise CaseSkipped(f"not an inference case (kind {case.kind!r})")
    if not catalog.has_accelerator(case.hardware.accelerator_id):
        raise CaseSkipped(f"accelerator {case.hardware.accelerator_id!r} is not in the catalog")
    accelerator = catalog.accelerator(case.hardware.accelerator_id)
    try:
        spec = spec_from_description(case.model.model_dump())
    except XpuplanError as error:
        raise CaseSkipped(f"model not understood: {error}") from None
    setting = interpret_case(case, accelerator)
    if setting.weight_precision not in WEIGHT_PRECISIONS:
        raise CaseSkipped(f"precision {setting.weight_precision!r} not modelled")
    return PreparedCase(case=case, spec=spec, accelerator=accelerator, setting=setting)


def predict_prepared(
    prepared: PreparedCase, efficiency: ServingEfficiency | None = None
) -> dict[str, float]:
    """Predicted metrics of a prepared case, optionally with another efficiency (fitting)."""
    case, spec, accelerator, s = (
        prepared.case,
        prepared.spec,
        prepared.accelerator,
        prepared.setting,
    )
    options = _tp_options(s, case)
    eff = efficiency or efficiency_for(accelerator.vendor_family)
    if s.dispatch_window_s:
        eff = eff.replace(dispatch_window_s=s.dispatch_window_s)
    cands = build_candidates(
        [accelerator],
        np.zeros(len(options), dtype=np.int64),
        options,
        s.pp,
        weight_precision=s.weight_precision,
        tp_unit=s.tp_unit,
        cores_per_chip=s.cores_per_chip,
        efficiency=eff,
    )
    constrained = s.scenario in ("server", "interactive")
    r = serving_capacity_arrays(
        spec,
        cands,
        input_len=s.input_len,
        output_len=s.output_len,
        input_len_scv=s.input_len_scv,
        output_len_scv=s.output_len_scv,
        batching="static" if s.scenario == "static" else "continuous",
        batch=s.batch,
        ttft_p99_ms=s.ttft_p99_ms if constrained else None,
        tpot_p99_ms=s.tpot_p99_ms if constrained else None,
        replicas=np.maximum(np.floor(case.hardware.count / (cands.tp * cands.pp)), 1.0),
    )
    count = case.hardware.count
    chips = cands.tp * cands.pp
    replicas = np.floor(count / chips)
    total = np.where(r.feasible & (replicas >= 1), r.output_tokens_per_s * replicas, -np.inf)
    best = int(np.argmax(total))
    if not np.isfinite(total[best]):
        reason = STATUS_MESSAGES[int(r.status[best])]
        raise CaseSkipped(f"infeasible on {count} x {accelerator.id}: {reason}")
    row = r.row(best)
    n = float(replicas[best])
    group = float(chips[best])
    out_total = row["output_tokens_per_s"] * n
    ms = 1e3
    e2e = row["e2e_mean_s"] * ms
    predicted = {
        "tokens_per_s": out_total,
        "tokens_per_s_per_accelerator": out_total / count,
        "samples_per_s": row["rate_per_s"] * n,
        "output_tokens_per_s": out_total,
        "output_tokens_per_s_total": out_total,
        "output_tokens_per_s_per_gpu": out_total / (n * group),
        "ttft_mean_ms": row["ttft_mean_s"] * ms,
        "ttft_p50_ms": row["ttft_p50_s"] * ms,
        "ttft_p99_ms": row["ttft_p99_s"] * ms,
        "tpot_mean_ms": row["tpot_mean_s"] * ms,
        "tpot_p50_ms": row["tpot_p50_s"] * ms,
        "tpot_p99_ms": row["tpot_p99_s"] * ms,
        "e2e_latency_mean_ms": e2e,
        "e2e_latency_median_ms": e2e,
        "e2e_latency_p99_ms": e2e,
    }
    if s.scenario == "offline":  # no latency is measured when everything is queued at once
        predicted = {k: v for k, v in predicted.items() if "_ms" not in k}
    wanted = {k for k in case.metrics if not k.startswith("constraint_")}
    return {k: v for k, v in predicted.items() if k in wanted}


def predict_infer_case(case: ValidationCase, catalog: Catalog) -> dict[str, float]:
    """Predicted metrics of an ``infer`` case under its own metric names (never constraints)."""
    return predict_prepared(prepare_infer_case(case, catalog))


def metric_kind(name: str) -> str:
    """Group of an inference metric: throughput, ttft, tpot or e2e."""
    for kind in ("ttft", "tpot", "e2e"):
        if name.startswith(kind):
            return kind
    return "throughput"


def error_table(report: ValidationReport) -> list[dict[str, Any]]:
    """|relative error| statistics of ``infer`` cases per family and metric kind.

    Throughput counts one (the primary) metric per case; ``latency`` pools every TTFT, TPOT and
    e2e metric of the family. Rows: family (and ``all``), kind, n, median, p90, max.
    """
    groups: dict[tuple[str, str], list[float]] = {}
    for result in report.cases:
        if result.kind != "infer" or result.status != "ok":
            continue
        for family in (result.family, "all"):
            if result.primary_error is not None:
                groups.setdefault((family, "throughput"), []).append(abs(result.primary_error))
            for name, comparison in result.metrics.items():
                kind = metric_kind(name)
                if kind == "throughput":
                    continue
                for key in (kind, "latency"):
                    groups.setdefault((family, key), []).append(abs(comparison.rel_error))
    rows = []
    for (family, kind), errors in sorted(groups.items()):
        values = np.asarray(errors)
        rows.append(
            {
                "family": family,
                "kind": kind,
                "n": len(values),
                "median": float(np.median(values)),
                "p90": float(np.percentile(values, 90)),
                "max": float(values.max()),
            }
        )
    return rows
