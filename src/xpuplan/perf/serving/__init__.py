"""LLM serving estimator: memory, prefill, decode steps and batch scheduling, vectorized.

One vectorized core, :func:`serving_capacity_arrays`, evaluates any number of candidates
(accelerator x layout x precision x software stack) at once; the scalar
:func:`estimate_serving`, the validation reader and the planner all call it. It is split by
idea (docs/serving-estimator.md has the formulas):

``engine``           the serving software stack (engine, version, default capabilities)
``candidates``       per-chip columns: peaks at the sustained clock, links, efficiency
``memory``           how many sequences fit (weights, runtime reserve, KV cache)
``step``             prefill and decode-step time (incl. speculative decoding, MoE all-to-all)
``schedulers``       static, continuous, chunked-prefill and disaggregated batching
``operating_point``  the batch or rate each candidate runs at under the p99 targets
``estimate``         one deployment as plain numbers; searches tp x pp x ep without ``tp``

Pricing (cost per million tokens) is the planner's: :mod:`xpuplan.search.serving_cost`.
"""

from xpuplan.perf.serving.candidates import (
    KV_PRECISIONS,
    PRECISION_BYTES,
    STATUS_MESSAGES,
    WEIGHT_PRECISIONS,
    ModelTerms,
    ServingCandidates,
    build_candidates,
    compute_precision,
    default_kv_precision,
    sustained_clock_fraction,
)
from xpuplan.perf.serving.engine import ServingStack, default_stack, parse_stack
from xpuplan.perf.serving.estimate import ServingEstimate, estimate_serving
from xpuplan.perf.serving.operating_point import ServingArrays, serving_capacity_arrays
from xpuplan.perf.serving.schedulers import SCHEDULERS, Scheduler, get_scheduler
from xpuplan.perf.serving.step import SpecDecode, gemm_rows_efficiency

__all__ = [
    "KV_PRECISIONS",
    "PRECISION_BYTES",
    "SCHEDULERS",
    "STATUS_MESSAGES",
    "WEIGHT_PRECISIONS",
    "ModelTerms",
    "Scheduler",
    "ServingArrays",
    "ServingCandidates",
    "ServingEstimate",
    "ServingStack",
    "SpecDecode",
    "build_candidates",
    "compute_precision",
    "default_kv_precision",
    "default_stack",
    "estimate_serving",
    "gemm_rows_efficiency",
    "get_scheduler",
    "parse_stack",
    "serving_capacity_arrays",
    "sustained_clock_fraction",
]
