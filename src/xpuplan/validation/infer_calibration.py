"""Calibration of the serving estimator on ``infer`` cases, with partial pooling.

What is fitted (log space; every other efficiency field is a documented constant):

* **shared by every family**: ``gemm_half_rows``, ``fp4_peak_fraction`` (only when at
  least :data:`MIN_CASES` cases run FP4 matmuls; chips without FP4 never use it) and
  ``host_s_per_sequence`` (an engine's per-request host work per iteration: the code of the
  engine, not of the chip; it acts only on engine versions that run it on the critical path,
  ``exposed_host_from`` in ``serving_stacks.yaml``), ``ep_moe_fraction`` (expert-parallel
  MoE layers; only when at least :data:`MIN_CASES` cases split their experts over ranks) and
  ``attention_fraction`` (attention's matmuls relative to GEMMs: a kernel property every
  vendor's flash attention shares, so a source with long prompts informs the others; the
  array fill of wide systolic arrays is a catalog constant, ``perf/data/matrix_units.yaml``);
* **hierarchical** for ``compute_fraction``, ``hbm_bw_fraction``, ``step_overhead_s``,
  ``collective_latency_s`` (the per-step alpha of the vendor's scale-up link; how many steps a
  collective takes comes from the interconnect's topology, not from the fit),
  ``collective_bw_fraction`` (the share of the link's bandwidth a serving step's all-reduce of
  B x d activations reaches: MBs, not the large messages nccl-tests' bus bandwidth is quoted
  for; a constant 0.8 left AMD's MLPerf v5.0 rows -27 % in sample, their tp-1 runs and the
  AMD page's tp-8 runs then shared one compute fraction) and ``kv_bw_fraction`` (decode
  attention is the vendor stack's kernel: vLLM's ROCm paged attention is another kernel than
  TensorRT-LLM's or FlashInfer's on CUDA; shared, it left
  vLLM on 8x MI300X +36 % out of source, 22 cases, and 20.3 % overall; per family 32 % and
  19.7 %, ``xpuplan validate --cross-validate source --kind infer``, 222 cases):
  ``log value = global + family offset + generation offset + (family, generation) offset``,
  each offset with a zero-mean Gaussian prior (widths :data:`PRIOR_SD`), so a family or a
  stack generation with few cases stays near the shared value and one without cases takes
  it (partial pooling, Gelman and Hill 2007 ch. 12). An offset is fitted only where at least
  :data:`MIN_CASES` cases inform it; the software-stack generation (2024 vs 2025 releases) is
  what lets a 2024 benchmark and today's engine differ;
* **per chip architecture** within a family (the catalog's ``generation``: Ada Lovelace and
  Blackwell beside Hopper, NeuronCore-v3 beside -v2): a log offset of ``compute_fraction``
  (:data:`ARCH_PARAMS`) relative to the family's most-measured architecture, prior width
  ``PRIOR_SD["arch"]``, fitted where at least :data:`MIN_CASES` cases run the architecture;
* **per engine and backend** (``vllm@CUDA``, ``vllm@Neuron``, ...): a log offset of
  ``step_overhead_s`` (an engine's per-iteration host work: a C++ executor with CUDA graphs vs
  a Python scheduler; vLLM's Neuron plugin is another implementation than vLLM on CUDA).

Loss: per case the log error of its throughput metric plus its latency metrics (each weighted
1/sqrt(n) so a case counts about once; under load only TPOT, :func:`_residual_weights`), each
case weighted as one of its publication's correlated cases (:data:`SOURCE_KAPPA`),
Huber-weighted (c = :data:`HUBER_LOG`) and solved by Gauss-Newton with Levenberg damping; the
Jacobian comes from one vectorized estimator call per case (every perturbed efficiency is a
candidate column), so a refit takes seconds and leave-one-source-out cross-validation a few
minutes. Values that end on a bound are reported.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving_efficiency import (
    FRACTION_RANGE,
    ServingEfficiency,
    load_efficiency_table,
    scaled_architecture,
)
from xpuplan.validation.cases import CaseSkipped, ValidationCase
from xpuplan.validation.crossval import (
    LATENCY_KEY_SEPARATOR,
    CrossValidation,
    case_group,
    cross_validate,
)
from xpuplan.validation.infer_cases import PreparedCase, predict_many, prepare_infer_case
from xpuplan.validation.run import PRIMARY_METRICS

__all__ = [
    "HIERARCHICAL",
    "SHARED",
    "ServingCalibration",
    "ServingParams",
    "cross_validate_infer",
    "fit_serving_params",
]

SHARED: tuple[str, ...] = (
    "gemm_half_rows",
    "fp4_peak_fraction",
    "host_s_per_sequence",
    "ep_moe_fraction",
    "attention_fraction",
)
HIERARCHICAL: tuple[str, ...] = (
    "compute_fraction",
    "hbm_bw_fraction",
    "step_overhead_s",
    "collective_latency_s",
    "kv_bw_fraction",
    "collective_bw_fraction",
)
# Offsets' prior width relative to PRIOR_SD, per parameter: an engine's per-iteration host
# work differs by an order of magnitude between stacks (CUDA graphs vs eager, on-host
# scheduling), so its offsets are free to move 3x further than the hardware fractions.
OFFSET_SD_SCALE: dict[str, float] = {"step_overhead_s": 3.0}
# Offsets left out (width ~0): a software generation shared by every vendor says nothing about
# one engine's per-iteration host work, which the engine offsets and each family's own
# (family, generation) cell carry; a shared 2025 offset of the overhead (+1.2 in log, four
# prior widths, cancelled by the NVIDIA, AMD and AWS cells) was inherited whole by the TPU,
# which has no 2025 cell: 44 ms per JetStream step on TPU v6e.
NO_OFFSET: frozenset[tuple[str, str]] = frozenset({("generation", "step_overhead_s")})
FITTED: tuple[str, ...] = HIERARCHICAL + SHARED
# Offsets per chip architecture within a family (the catalog's ``generation``: Hopper vs
# Blackwell, NeuronCore-v2 vs -v3): the share of peak a chip's matmul units reach is a property
# of its microarchitecture and of the kernels written for it, not of the vendor alone
# (NxD Inference prefills at 11-17 % of the bf16 peak on Inferentia2 and 25-33 % on Trainium2,
# docs/serving-estimator.md). The family's most-measured architecture is the reference.
ARCH_PARAMS: tuple[str, ...] = ("compute_fraction",)
# Prior centres of the global values (before any data): vendor GEMM and STREAM-like
# microbenchmarks put sustained dense GEMM near 60-70 % of peak and HBM streams near 80-90 %;
# engine iterations cost ~1 ms of host work with CUDA graphs (vLLM / TensorRT-LLM profiles);
# the rest are order-of-magnitude guesses (wide priors).
PRIOR_CENTRE: dict[str, float] = {
    "compute_fraction": 0.5,
    "hbm_bw_fraction": 0.7,
    "step_overhead_s": 1e-3,
    "kv_bw_fraction": 0.8,
    "gemm_half_rows": 128.0,
    "collective_latency_s": 3e-6,
    "fp4_peak_fraction": 0.75,
    # NCCL all-reduce bus bandwidth of large messages on 8x H100 NVLink, ~360-380 of 450 GB/s
    # (nccl-tests PERFORMANCE.md); a serving step's all-reduces carry B x d activations (MBs),
    # where NCCL's protocols and the engines' custom all-reduce reach less: the fit says how much
    "collective_bw_fraction": 0.8,
    # expert-parallel MoE layers: a guess below 1 (the busiest rank of an uneven routing sets
    # each layer's pace; DeepSeek-V3 report sec. 3.4 adds redundant experts for it)
    "ep_moe_fraction": 0.7,
    # vLLM V1's Python engine loop walks every running request 3-4 times per iteration
    # (schedule, input update, update_from_output, output serialization): ~1 us each on a
    # desktop CPU for update_from_output alone (vllm-project/vllm PR #46112, 0.29 ms at 256
    # requests), a few times that per request on a server CPU at 2025's code; V0 without
    # multi-step spent ~100 us per request (20 ms at batch 200, vllm-project/vllm issue #6801)
    "host_s_per_sequence": 1e-5,
    # FlashAttention-2 forward: 50-73 % of A100 peak against 80 %+ for GEMMs (Dao 2023, fig. 4);
    # FlashAttention-3 forward: ~75 % of H100 peak in BF16 (Shah et al. 2024)
    "attention_fraction": 0.8,
}
# log-space prior widths: global values, family / generation / cell offsets
PRIOR_SD: dict[str, float] = {
    "global": 1.0,
    "family": 0.3,
    "generation": 0.1,
    "cell": 0.25,
    "engine": 1.0,  # per-iteration host work: C++ executors vs Python schedulers, ~x3 apart
    "arch": 0.25,  # a chip architecture within its family: as wide as a (family, generation) cell
}
BOUNDS: dict[str, tuple[float, float]] = {
    "compute_fraction": FRACTION_RANGE,
    "hbm_bw_fraction": (0.2, 0.95),
    "kv_bw_fraction": (0.05, 0.95),
    "gemm_half_rows": (1.0, 2048.0),
    "step_overhead_s": (1e-5, 0.05),
    "collective_latency_s": (2e-7, 2e-4),
    "collective_bw_fraction": (0.2, 0.95),
    "fp4_peak_fraction": (0.2, 1.0),
    "ep_moe_fraction": (0.1, 1.0),
    "host_s_per_sequence": (1e-7, 1e-4),
    "attention_fraction": (0.1, 1.0),
}
MIN_CASES = 3
# typical |log error| of one case (model and measurement noise): scales data against priors
RESIDUAL_SD = 0.1
HUBER_LOG = 0.1  # |log error| beyond which a residual's weight falls as 1/|r| (~10 %)
# Cases of one publication share its harness, software build and reading, so their errors are
# correlated: with a per-publication error of variance SOURCE_KAPPA x RESIDUAL_SD^2 on top of
# each case's own, the generalized-least-squares weight of each of a source's n cases is
# 1 / (1 + SOURCE_KAPPA n) (a random-intercept model, Gelman and Hill 2007 sec. 12.5), and a
# source counts as at most 1 / SOURCE_KAPPA independent cases. Weights are rescaled to mean 1,
# so the data as a whole weigh as much against the priors as before. 0.1: a publication is
# worth at most about ten independent cases (without it, 278 MLPerf v5.0 rows of near-identical
# 8-GPU TensorRT-LLM systems set every shared value; `validate --cross-validate source`).
SOURCE_KAPPA = 0.1
_STEP = 0.05  # finite-difference step in log space
_THROUGHPUT = tuple(k for k in PRIMARY_METRICS["infer"] if not k.endswith("_ms"))


@dataclass(frozen=True)
class ServingParams:
    """Fitted log values: ``glob[name]`` and offsets by family, generation and cell."""

    glob: dict[str, float]
    family: dict[str, dict[str, float]] = field(default_factory=dict)
    generation: dict[int, dict[str, float]] = field(default_factory=dict)
    cell: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    engine: dict[str, float] = field(default_factory=dict)  # log offsets of step_overhead_s
    n_cases: int = 0
    bounds_hit: tuple[str, ...] = ()
    arch: dict[str, dict[str, float]] = field(default_factory=dict)  # log offsets per arch

    def value(
        self,
        name: str,
        family: str,
        generation: int | None,
        engine: str | None = None,
        arch: str | None = None,
    ) -> float:
        log = self.glob[name]
        scaled = scaled_architecture(arch, self.arch)
        if scaled is not None:
            log += self.arch[scaled].get(name, 0.0)
        if name == "step_overhead_s" and engine is not None:
            log += self.engine.get(engine, 0.0)
        if name in HIERARCHICAL:
            log += self.family.get(family, {}).get(name, 0.0)
            if generation is not None:
                log += self.generation.get(generation, {}).get(name, 0.0)
                log += self.cell.get((family, generation), {}).get(name, 0.0)
        lo, hi = BOUNDS[name]
        return float(min(max(math.exp(log), lo), hi))

    def efficiency(
        self,
        family: str,
        generation: int | None,
        engine: str | None = None,
        arch: str | None = None,
    ) -> ServingEfficiency:
        """The family's bundled constants with the fitted values of (family, generation), the
        chip architecture's offsets and the engine's overhead."""
        base = load_efficiency_table()[family if family in load_efficiency_table() else "other"]
        return base.replace(**{n: self.value(n, family, generation, engine, arch) for n in FITTED})

    def to_dict(self) -> dict[str, Any]:
        return {
            "global": {n: math.exp(v) for n, v in self.glob.items()},
            "family_log_offsets": self.family,
            "generation_log_offsets": {str(g): v for g, v in self.generation.items()},
            "cell_log_offsets": {f"{f}/{g}": v for (f, g), v in self.cell.items()},
            "engine_step_overhead_scales": {e: math.exp(v) for e, v in self.engine.items()},
            "architecture_scales": {
                a: {n: math.exp(v) for n, v in row.items()} for a, row in self.arch.items()
            },
            "n_cases": self.n_cases,
            "bounds_hit": list(self.bounds_hit),
        }


def prior_params() -> ServingParams:
    """Parameters before any data: the prior centres, no offsets."""
    return ServingParams(glob={n: math.log(v) for n, v in PRIOR_CENTRE.items()})


# ---------------------------------------------------------------- case residuals


def _case_key(p: PreparedCase) -> tuple[str, int | None]:
    return p.accelerator.vendor_family, p.generation


def _arch(p: PreparedCase) -> str:
    return p.accelerator.generation


def _engine(p: PreparedCase) -> str | None:
    stack = p.setting.stack
    return None if stack is None else stack.backend_key(p.accelerator.software_stack)


def _queued(p: PreparedCase) -> bool:
    """Whether the case's requests wait for one another: an SLO-bound rate (MLPerf Server and
    Interactive) or a closed loop of more than one user."""
    s = p.setting
    return s.scenario in ("server", "interactive") or (
        s.scenario == "closed" and (s.users or 1.0) > 1.0
    )


def _prefill_only_loop(p: PreparedCase) -> bool:
    """A closed loop whose requests generate one token measures prefill throughput: with no
    decode, its mean TTFT is users / request rate (Little's law), not waiting on arrivals."""
    s = p.setting
    return s.scenario == "closed" and s.output_len <= 1.0


def _residual_weights(p: PreparedCase, predicted: dict[str, float]) -> list[tuple[str, float]]:
    """(metric, weight) of the residuals of a case: its throughput metric (1) and its fitted
    latency metrics (1/sqrt(n) each). Under load only the per-token latency (TPOT) is fitted: a
    loaded run's TTFT and end-to-end time are mostly waiting (arrivals, client waves, harness
    batching windows), which the efficiency parameters do not describe; fitted, they bent the
    hardware values to explain queues (AMD's per-iteration overhead to 33 ms without AMD's
    batch-1 runs). They stay predicted and cross-validated. A closed loop of one-token requests
    keeps its TTFT (:func:`_prefill_only_loop`)."""
    measured = p.case.measured()
    names = [k for k in predicted if measured.get(k)]
    throughput = next((k for k in _THROUGHPUT if k in names), None)
    latency = [k for k in names if k.endswith("_ms")]
    if _queued(p) and not _prefill_only_loop(p):
        latency = [k for k in latency if k.startswith("tpot")]
    out = [(throughput, 1.0)] if throughput else []
    out += [(k, 1.0 / math.sqrt(len(latency))) for k in latency]
    return out


@dataclass
class _Linearized:
    """Residuals r and their log-derivatives J (per case-level parameter) at one point."""

    ids: list[str]
    rows: list[tuple[int, str, float]]  # (case index, metric, weight)
    r: np.ndarray
    d: np.ndarray  # rows x len(FITTED): d r / d log(value)


def _linearize(cases: Sequence[PreparedCase], params: ServingParams) -> _Linearized:
    rows: list[tuple[int, str, float]] = []
    r: list[float] = []
    d: list[np.ndarray] = []
    for i, p in enumerate(cases):
        family, generation = _case_key(p)
        base = params.efficiency(family, generation, _engine(p), _arch(p))
        perturbed = [base]
        for name in FITTED:
            perturbed.append(base.replace(**{name: _nudged(name, getattr(base, name))}))
        try:
            results = predict_many(p, perturbed)
        except CaseSkipped:
            continue
        centre = results[0]
        for metric, weight in _residual_weights(p, centre):
            measured = p.case.measured()[metric]
            value = centre[metric]
            if not (value > 0 and math.isfinite(value)):
                continue
            grads = np.zeros(len(FITTED))
            for j, name in enumerate(FITTED):
                other = results[j + 1].get(metric, value)
                step = math.log(_nudged(name, getattr(base, name)) / getattr(base, name))
                if other > 0 and math.isfinite(other) and step != 0.0:
                    grads[j] = math.log(other / value) / step
            rows.append((i, metric, weight))
            r.append(math.log(value / measured))
            d.append(grads)
    return _Linearized(
        ids=[p.case.id for p in cases],
        rows=rows,
        r=np.asarray(r),
        d=np.asarray(d).reshape(len(r), len(FITTED)),
    )


def _nudged(name: str, value: float) -> float:
    hi = BOUNDS[name][1]
    up = value * math.exp(_STEP)
    return up if up <= hi else value * math.exp(-_STEP)


# ---------------------------------------------------------------- the fit


@dataclass(frozen=True)
class _Layout:
    """Which offsets are free, given the cases (at least MIN_CASES inform each)."""

    families: tuple[str, ...]
    generations: tuple[int, ...]
    cells: tuple[tuple[str, int], ...]
    fp4: bool
    engines: tuple[str, ...] = ()
    ep_moe: bool = False
    archs: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        h = len(HIERARCHICAL)
        offsets = len(self.families) + len(self.generations) + len(self.cells)
        return len(FITTED) + h * offsets + len(self.engines) + len(ARCH_PARAMS) * len(self.archs)


def _layout(cases: Sequence[PreparedCase]) -> _Layout:
    fams: dict[str, int] = {}
    gens: dict[int, int] = {}
    cells: dict[tuple[str, int], int] = {}
    fp4 = 0
    ep_moe = 0
    engines: dict[str, int] = {}
    archs: dict[str, Counter[str]] = {}
    for p in cases:
        family, generation = _case_key(p)
        archs.setdefault(family, Counter())[_arch(p)] += 1
        engine = _engine(p)
        if engine is not None:
            engines[engine] = engines.get(engine, 0) + 1
        fams[family] = fams.get(family, 0) + 1
        if generation is not None:
            gens[generation] = gens.get(generation, 0) + 1
            cells[(family, generation)] = cells.get((family, generation), 0) + 1
        fp4 += p.setting.weight_precision == "fp4" and bool(p.accelerator.peak_tflops("fp4"))
        ep_moe += p.setting.ep > 1 and p.spec.moe is not None
    oldest = min(gens) if gens else None
    return _Layout(
        families=tuple(sorted(f for f, n in fams.items() if n >= MIN_CASES)),
        # the oldest generation is the reference (its offset is the family's own value)
        generations=tuple(sorted(g for g, n in gens.items() if n >= MIN_CASES and g != oldest)),
        cells=tuple(sorted(c for c, n in cells.items() if n >= MIN_CASES and c[1] != oldest)),
        fp4=fp4 >= MIN_CASES,
        ep_moe=ep_moe >= MIN_CASES,
        engines=tuple(sorted(e for e, n in engines.items() if n >= MIN_CASES)),
        archs=tuple(sorted(a for counts in archs.values() for a in _offset_archs(counts))),
    )


def _informed(layout: _Layout) -> dict[str, bool]:
    """Shared values fitted only when at least MIN_CASES cases exercise them (else the prior
    centre): FP4 matmuls on chips with an FP4 peak, expert-parallel MoE layers."""
    return {"fp4_peak_fraction": layout.fp4, "ep_moe_fraction": layout.ep_moe}


def _offset_archs(counts: Counter[str]) -> list[str]:
    """A family's architectures that get an offset: those with at least MIN_CASES cases but
    its most-measured one, the reference (ties go to the first name)."""
    reference = max(sorted(counts), key=lambda k: counts[k])
    return [a for a, n in counts.items() if n >= MIN_CASES and a != reference]


def _unpack(x: np.ndarray, layout: _Layout, n_cases: int) -> ServingParams:
    h = len(HIERARCHICAL)
    glob = {name: float(x[j]) for j, name in enumerate(FITTED)}
    for name, informed in _informed(layout).items():
        if not informed:
            glob[name] = math.log(PRIOR_CENTRE[name])
    at = len(FITTED)
    family, generation, cell = {}, {}, {}
    for key in layout.families:
        family[key] = {n: float(x[at + k]) for k, n in enumerate(HIERARCHICAL)}
        at += h
    for gen in layout.generations:
        generation[gen] = {n: float(x[at + k]) for k, n in enumerate(HIERARCHICAL)}
        at += h
    for c in layout.cells:
        cell[c] = {n: float(x[at + k]) for k, n in enumerate(HIERARCHICAL)}
        at += h
    engine = {e: float(x[at + k]) for k, e in enumerate(layout.engines)}
    at += len(layout.engines)
    arch = {}
    for a in layout.archs:
        arch[a] = {n: float(x[at + k]) for k, n in enumerate(ARCH_PARAMS)}
        at += len(ARCH_PARAMS)
    return ServingParams(glob, family, generation, cell, engine, n_cases, arch=arch)


def _prior(layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    centre = np.zeros(layout.size)
    sd = np.empty(layout.size)
    for j, name in enumerate(FITTED):
        centre[j] = math.log(PRIOR_CENTRE[name])
        sd[j] = PRIOR_SD["global"] if _informed(layout).get(name, True) else 1e-3
    at = len(FITTED)
    h = len(HIERARCHICAL)
    for group, count in (
        ("family", len(layout.families)),
        ("generation", len(layout.generations)),
        ("cell", len(layout.cells)),
    ):
        widths = [
            1e-3 if (group, n) in NO_OFFSET else PRIOR_SD[group] * OFFSET_SD_SCALE.get(n, 1.0)
            for n in HIERARCHICAL
        ]
        sd[at : at + h * count] = np.tile(widths, count)
        at += h * count
    sd[at : at + len(layout.engines)] = PRIOR_SD["engine"]
    sd[at + len(layout.engines) :] = PRIOR_SD["arch"]
    return centre, sd


def _design(lin: _Linearized, cases: Sequence[PreparedCase], layout: _Layout) -> np.ndarray:
    """d residual / d parameter vector (chain rule through the log-additive structure)."""
    a = np.zeros((len(lin.rows), layout.size))
    h = len(HIERARCHICAL)
    fam_at = {f: len(FITTED) + h * k for k, f in enumerate(layout.families)}
    base = len(FITTED) + h * len(layout.families)
    gen_at = {g: base + h * k for k, g in enumerate(layout.generations)}
    base += h * len(layout.generations)
    cell_at = {c: base + h * k for k, c in enumerate(layout.cells)}
    base += h * len(layout.cells)
    engine_at = {e: base + k for k, e in enumerate(layout.engines)}
    base += len(layout.engines)
    arch_at = {a: base + len(ARCH_PARAMS) * k for k, a in enumerate(layout.archs)}
    arch_cols = [FITTED.index(n) for n in ARCH_PARAMS]
    overhead = FITTED.index("step_overhead_s")
    for row, (i, _, _) in enumerate(lin.rows):
        family, generation = _case_key(cases[i])
        a[row, : len(FITTED)] = lin.d[row]
        offsets = [fam_at.get(family)]
        if generation is not None:
            offsets += [gen_at.get(generation), cell_at.get((family, generation))]
        for at in offsets:
            if at is not None:
                a[row, at : at + h] += lin.d[row, :h]
        engine = _engine(cases[i])
        if engine in engine_at:
            a[row, engine_at[engine]] += lin.d[row, overhead]
        arch = scaled_architecture(_arch(cases[i]), arch_at)
        if arch is not None:
            a[row, arch_at[arch] : arch_at[arch] + len(ARCH_PARAMS)] += lin.d[row, arch_cols]
    return a


def _bounds_hit(params: ServingParams, cases: Sequence[PreparedCase]) -> tuple[str, ...]:
    hit = []
    for family, generation in sorted({_case_key(p) for p in cases}, key=str):
        for name in FITTED:
            lo, hi = BOUNDS[name]
            log = params.glob[name]
            if name in HIERARCHICAL:
                log += params.family.get(family, {}).get(name, 0.0)
                if generation is not None:
                    log += params.generation.get(generation, {}).get(name, 0.0)
                    log += params.cell.get((family, generation), {}).get(name, 0.0)
            value = math.exp(log)
            if value <= lo * 1.0001 or value >= hi * 0.9999:
                hit.append(
                    f"{name} ({family}, {generation}) at {'lower' if value <= lo else 'upper'}"
                )
    return tuple(dict.fromkeys(hit))


def _huber_rho(r: np.ndarray) -> np.ndarray:
    """Huber loss in units of r^2 (quadratic within HUBER_LOG, linear beyond)."""
    a = np.abs(r)
    out: np.ndarray = np.where(a <= HUBER_LOG, r * r, 2.0 * HUBER_LOG * a - HUBER_LOG**2)
    return out


def source_weights(cases: Sequence[PreparedCase], kappa: float | None = None) -> np.ndarray:
    """Each case's weight in the fit, 1 / (1 + kappa n) for a source of n cases, scaled to mean 1
    (``kappa``: :data:`SOURCE_KAPPA` by default)."""
    kappa = SOURCE_KAPPA if kappa is None else kappa
    keys = [case_group(p.case, "source") for p in cases]
    counts = Counter(keys)
    raw = np.array([1.0 / (1.0 + kappa * counts[k]) for k in keys])
    out: np.ndarray = raw * (len(raw) / raw.sum()) if len(raw) else raw
    return out


def fit_serving_params(cases: Sequence[PreparedCase], iterations: int = 8) -> ServingParams:
    """Fit on prepared cases (module docstring); no cases gives the prior."""
    layout = _layout(cases)
    centre, sd = _prior(layout)
    x = centre.copy()
    if not cases:
        return _unpack(x, layout, 0)
    prior_w = 1.0 / sd**2
    case_w = source_weights(cases)
    damping = 1.0
    best: tuple[float, np.ndarray, Any] | None = None  # (objective, x, linearization)
    for _ in range(iterations):
        lin = _linearize(cases, _unpack(x, layout, len(cases)))
        if not len(lin.rows):
            break
        weights = np.array([case_w[i] * w**2 for i, _, w in lin.rows]) / RESIDUAL_SD**2
        objective = float(np.sum(weights * _huber_rho(lin.r))) + float(
            np.sum(prior_w * (x - centre) ** 2)
        )
        if best is not None and objective > best[0]:
            # Levenberg-Marquardt: reject the step, damp harder, step again from the best point
            damping *= 10.0
            x, lin, objective = best[1], best[2], best[0]
        else:
            damping = max(damping / 3.0, 1e-2)
            best = (objective, x.copy(), lin)
        a = _design(lin, cases, layout)
        w = weights * np.where(np.abs(lin.r) <= HUBER_LOG, 1.0, HUBER_LOG / np.abs(lin.r))
        # MAP normal equations (IRLS for the Huber loss): sum w (r + A dx)^2 + prior
        jtj = (a.T * w) @ a + np.diag(prior_w)
        lhs = jtj + damping * np.diag(np.diag(jtj))
        rhs = -(a.T @ (w * lin.r)) - prior_w * (x - centre)
        x = x + np.clip(np.linalg.solve(lhs, rhs), -0.5, 0.5)
    if best is not None:
        x = best[1]
    params = _unpack(x, layout, len(cases))
    return ServingParams(
        params.glob,
        params.family,
        params.generation,
        params.cell,
        params.engine,
        len(cases),
        _bounds_hit(params, cases),
        params.arch,
    )


# ---------------------------------------------------------------- calibration protocol


class ServingCalibration:
    """:class:`~xpuplan.validation.crossval.Calibration` of the serving estimator."""

    def __init__(self, catalog: Catalog | None = None, iterations: int = 8) -> None:
        self.catalog = catalog or load_catalog()
        self.iterations = iterations
        self._cache: dict[str, PreparedCase | None] = {}

    def prepare(self, cases: Sequence[ValidationCase]) -> list[PreparedCase]:
        """The cases that can be predicted (others are reported by ``validate``)."""
        out = []
        for case in cases:
            if case.id not in self._cache:
                try:
                    self._cache[case.id] = prepare_infer_case(case, self.catalog)
                except CaseSkipped:
                    self._cache[case.id] = None
            prepared = self._cache[case.id]
            if prepared is not None:
                out.append(prepared)
        return out

    def fit(self, cases: Sequence[ValidationCase]) -> ServingParams:
        return fit_serving_params(self.prepare(cases), self.iterations)

    def _signed_errors(
        self, cases: Sequence[ValidationCase], params: ServingParams
    ) -> dict[str, dict[str, float]]:
        """Every metric both predicted and measured: its signed relative error, by case id."""
        out: dict[str, dict[str, float]] = {}
        for p in self.prepare(cases):
            family, generation = _case_key(p)
            try:
                predicted = predict_many(
                    p, [params.efficiency(family, generation, _engine(p), _arch(p))]
                )[0]
            except CaseSkipped:
                continue
            measured = p.case.measured()
            out[p.case.id] = {
                k: predicted[k] / measured[k] - 1.0 for k in predicted if measured.get(k)
            }
        return out

    def errors(self, cases: Sequence[ValidationCase], params: ServingParams) -> dict[str, float]:
        out: dict[str, float] = {}
        for case_id, metrics in self._signed_errors(cases, params).items():
            primary = next(
                (k for k in PRIMARY_METRICS["infer"] if k in metrics),
                next(iter(metrics), None),
            )
            if primary is not None:
                out[case_id] = metrics[primary]
        return out

    def latency_errors(
        self, cases: Sequence[ValidationCase], params: ServingParams
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        for case_id, metrics in self._signed_errors(cases, params).items():
            for kind, error in latency_by_kind(metrics).items():
                out[f"{case_id}{LATENCY_KEY_SEPARATOR}{kind}"] = error
        return out


# A case's latency of one kind: its mean when published, else its median, else its p99 (MLPerf
# publishes p99 only for some scenarios); each kind of a case counts once.
_LATENCY_STATISTICS = ("mean", "p50", "median", "p99")


def latency_by_kind(metrics: dict[str, float]) -> dict[str, float]:
    """One value per latency kind (ttft, tpot, e2e) of a case's metric -> value map."""
    out: dict[str, float] = {}
    for kind in ("ttft", "tpot", "e2e"):
        names = [k for k in metrics if k.startswith(kind) and k.endswith("_ms")]
        if kind == "tpot":  # inter-token latency: a request's mean output-token gap
            names += [k for k in metrics if k.startswith("itl_") and k.endswith("_ms")]
        for statistic in _LATENCY_STATISTICS:
            name = next((k for k in names if f"_{statistic}_" in k), None)
            if name is not None:
                out[kind] = metrics[name]
                break
    return out


def cross_validate_infer(
    cases: Sequence[ValidationCase], group_by: str, catalog: Catalog | None = None
) -> CrossValidation:
    """Out-of-group errors of the serving estimator: refit without each source (or family),
    predict it (:func:`xpuplan.validation.crossval.cross_validate`)."""
    infer = [c for c in cases if c.kind == "infer"]
    return cross_validate(infer, ServingCalibration(catalog), group_by, kind="infer")
