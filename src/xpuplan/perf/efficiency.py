"""Achievable-efficiency parameters of the training estimator (few, physical, fitted once).

Each parameter is a property of a hardware family and its software stack, never of a model or
a case:

``matmul_eff_max``
    Fraction of the dense peak that large, compute-bound matrix multiplications reach (the
    large-size asymptote: sustained clocks under load, kernel quality).
``matmul_intensity_scale``
    How far above the chip's ridge point (peak FLOP/s over HBM bytes/s) a matmul's arithmetic
    intensity must be to approach ``matmul_eff_max``: a matmul of intensity AI runs at
    ``matmul_eff_max * (1 - exp(-AI / (scale * ridge)))`` of the peak. Tying the size scale to
    the ridge point makes a chip with more FLOPs per byte need larger matmuls.
``attention_eff``
    Fraction of the bf16 peak that the fused (flash) attention kernels reach on the FLOPs they
    execute (causal: half the score matrix).
``hbm_eff``
    Fraction of the HBM bandwidth that memory-bound kernels (norms, activations, optimizer,
    cross-entropy) reach.
``scaleup_bus_eff`` / ``scaleout_bus_eff``
    Achieved collective bus bandwidth over link bandwidth (NCCL tests "busbw" / line rate).
``dp_overlap``
    Largest fraction of a data-parallel / FSDP collective that hides behind concurrent compute
    (the rest stays exposed: prefetch limits, SM and memory contention, pass boundaries).
``tp_overlap``
    Fraction of tensor-, expert- and pipeline-parallel communication hidden behind compute.
``step_overhead_s``
    Fixed time per optimizer step (launch, data loading, logging, synchronization).
``sync_jitter``
    Relative standard deviation of one scale-up domain's step time (OS noise, network
    congestion). A synchronous step waits for the slowest of N domains, whose expected delay
    grows like ``sqrt(2 ln N)`` standard deviations (extreme values of N Gaussian draws).

Values come from ``data/training_efficiency.yaml``, written by ``scripts/fit_training.py`` from
the public validation set; the file records the fit date, the fitted metric and the errors.
Look-up order for one accelerator (:meth:`EfficiencyTable.for_accelerator`; ``rule`` names it):

1. ``fitted``: the accelerator's own entry (chips with at least 10 public cases);
2. ``gemm-scaled``: a chip with NO public training case but a dense-GEMM microbenchmark that
   links it to a fitted chip R (``data/gemm_microbenchmarks.yaml``) takes its family's values
   (``default`` for an unfitted family) with::

       matmul_eff_max(A) = min(1, matmul_eff_max(R) * g(A) / g(R))

   where ``g`` is the measured fraction of the dense bf16 peak on large GEMMs. The ratio
   ``g(A) / g(R)`` is only taken between rows of the same study (same benchmark, shapes and
   input distribution; geometric mean when several studies hold both), chained through shared
   accelerators when no study holds both (``g(MI325X)/g(H100) = [g(MI325X)/g(MI300X)]_AMD x
   [g(MI300X)/g(H100)]_SemiAnalysis``); R is the fitted chip reached in the fewest links
   (first in sorted order on a tie). Rationale: the fitted ``matmul_eff_max`` of R already
   absorbs what a microbenchmark misses (training shapes, sustained clocks under a full step,
   framework overhead); what differs between chips running the same kind of code is the
   sustained fraction of peak their GEMM libraries reach, which the microbenchmark measures;
3. ``family``: the vendor family's fitted entry (also any chip of a fitted family that has
   public cases but no entry of its own, and unseen chips of a fitted family without a GEMM
   link: B200, TPU7x, Trainium2);
4. ``family-gemm``: a chip of an UNFITTED family with no GEMM link takes the median
   ``matmul_eff_max`` of its family's gemm-scaled chips (the vendor's GEMM library is the shared
   property; MI355X from MI300X/MI325X), other fields from ``default``;
5. ``default``: the median of the fitted family values (Intel, other).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from xpuplan.errors import InputError

__all__ = [
    "EFFICIENCY_FIELDS",
    "EfficiencyParams",
    "EfficiencyTable",
    "GemmLink",
    "GemmMeasurement",
    "gemm_fraction_ratio",
    "load_efficiency",
    "load_gemm_microbenchmarks",
    "parse_efficiency_table",
    "parse_gemm_microbenchmarks",
    "with_gemm_scaling",
]


@dataclass(frozen=True)
class EfficiencyParams:
    """Efficiency parameters of one hardware family (see the module docstring)."""

    matmul_eff_max: float = 0.75
    matmul_intensity_scale: float = 1.0
    attention_eff: float = 0.45
    hbm_eff: float = 0.8
    scaleup_bus_eff: float = 0.8
    # NCCL-tests on 400G InfiniBand/EFA reach ~45 of 50 GB/s per NIC for large messages.
    scaleout_bus_eff: float = 0.9
    dp_overlap: float = 0.7
    tp_overlap: float = 0.3
    step_overhead_s: float = 0.0
    sync_jitter: float = 0.0
    # Per-step latency of one ring step: NCCL src/graph/tuning.cc hwLat, ring/Simple over
    # NVLink 3.4 us (+ base latency ~8 us per collective, folded into the per-step figure).
    scaleup_latency_s: float = 5e-6
    # Network hop (EFA / InfiniBand / DCN) latency per ring step, order of 10 us (NCCL net hwLat
    # plus the NIC round trip); only matters for small messages.
    scaleout_latency_s: float = 15e-6
    # Achieved fraction of the fp8 peak over achieved fraction of the bf16 peak on the same GEMMs:
    # 0.647 / 0.728 = 0.89 on H100 (SemiAnalysis 2024-12-22 GEMM study, gemm_microbenchmarks.yaml
    # fp8 and bf16 rows). fp8 GEMMs run at matmul_eff_max x this of the fp8 peak.
    fp8_matmul_ratio: float = 0.89

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


EFFICIENCY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EfficiencyParams))
_BOUNDS: dict[str, tuple[float, float]] = {
    "matmul_eff_max": (0.05, 1.0),
    "matmul_intensity_scale": (0.01, 100.0),
    "attention_eff": (0.02, 1.0),
    "hbm_eff": (0.05, 1.0),
    "scaleup_bus_eff": (0.05, 1.0),
    "scaleout_bus_eff": (0.05, 1.0),
    "dp_overlap": (0.0, 1.0),
    "tp_overlap": (0.0, 1.0),
    "step_overhead_s": (0.0, 60.0),
    "sync_jitter": (0.0, 1.0),
    "scaleup_latency_s": (0.0, 1e-2),
    "scaleout_latency_s": (0.0, 1e-2),
    "fp8_matmul_ratio": (0.3, 1.5),
}


@dataclass(frozen=True)
class EfficiencyTable:
    """Default, per-family and per-accelerator parameters (look-up order in the module
    docstring). ``public_cases`` counts the fitted public cases per accelerator; ``derived``
    and ``derived_families`` hold the GEMM-scaled entries of :func:`with_gemm_scaling`, and
    ``derivations`` one line per derived accelerator saying how."""

    default: EfficiencyParams
    families: dict[str, EfficiencyParams]
    meta: dict[str, Any]
    accelerators: dict[str, EfficiencyParams] = field(default_factory=dict)
    public_cases: dict[str, int] = field(default_factory=dict)
    # Software-stack maturity: a factor on matmul_eff_max per stack (xpuplan.perf.stack) with
    # enough cases to inform it (fused fp8 kernels, userbuffer overlap); 1 for any other.
    stack_matmul_scale: dict[str, float] = field(default_factory=dict)
    derived: dict[str, EfficiencyParams] = field(default_factory=dict)
    derived_families: dict[str, EfficiencyParams] = field(default_factory=dict)
    derivations: dict[str, str] = field(default_factory=dict)

    def for_family(self, family: str) -> EfficiencyParams:
        return self.families.get(family, self.derived_families.get(family, self.default))

    def for_accelerator(self, accelerator_id: str, family: str) -> EfficiencyParams:
        if accelerator_id in self.accelerators:
            return self.accelerators[accelerator_id]
        if accelerator_id in self.derived:
            return self.derived[accelerator_id]
        return self.for_family(family)

    def rule(self, accelerator_id: str, family: str) -> str:
        """Which rule gives the accelerator its values: fitted, gemm-scaled, family,
        family-gemm or default (module docstring), with the derivation when there is one."""
        if accelerator_id in self.accelerators:
            return "fitted"
        if accelerator_id in self.derived:
            return f"gemm-scaled: {self.derivations[accelerator_id]}"
        if family in self.families:
            return "family"
        if family in self.derived_families:
            return f"family-gemm: {self.derivations.get(family, '')}".rstrip(": ")
        return "default"


def _params(values: dict[str, Any], base: EfficiencyParams, where: str) -> EfficiencyParams:
    unknown = sorted(set(values) - set(EFFICIENCY_FIELDS))
    if unknown:
        raise InputError(
            f"{where}: unknown efficiency field {unknown[0]!r}; allowed: "
            f"{', '.join(EFFICIENCY_FIELDS)}"
        )
    clean: dict[str, float] = {}
    for name, value in values.items():
        low, high = _BOUNDS[name]
        if not isinstance(value, int | float) or not low <= float(value) <= high:
            raise InputError(f"{where}: {name}={value!r} must be a number in [{low}, {high}]")
        clean[name] = float(value)
    return replace(base, **clean)


def parse_efficiency_table(raw: dict[str, Any], where: str = "efficiency table") -> EfficiencyTable:
    """Build a table from the YAML mapping (``default``, ``families``, provenance keys)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("default"), dict):
        raise InputError(f"{where}: expected a mapping with a 'default' block")
    default = _params(raw["default"], EfficiencyParams(), f"{where}: default")
    families = {
        str(name): _params(values or {}, default, f"{where}: families.{name}")
        for name, values in (raw.get("families") or {}).items()
    }
    accelerators: dict[str, EfficiencyParams] = {}
    for acc_id, values in (raw.get("accelerators") or {}).items():
        values = dict(values or {})
        family = values.pop("family", None)
        if not isinstance(family, str):
            raise InputError(f"{where}: accelerators.{acc_id}: needs 'family' (its vendor family)")
        base = families.get(family, default)
        accelerators[str(acc_id)] = _params(values, base, f"{where}: accelerators.{acc_id}")
    cases = raw.get("public_cases") or {}
    if not isinstance(cases, dict) or not all(
        isinstance(n, int) and n >= 0 for n in cases.values()
    ):
        raise InputError(f"{where}: public_cases must map accelerator ids to case counts")
    scales = raw.get("stacks") or {}
    if not isinstance(scales, dict) or not all(
        isinstance(v, int | float) and 0.2 <= v <= 5.0 for v in scales.values()
    ):
        raise InputError(f"{where}: stacks must map stack names to matmul factors in [0.2, 5]")
    blocks = ("default", "families", "accelerators", "public_cases", "stacks")
    meta = {k: v for k, v in raw.items() if k not in blocks}
    return EfficiencyTable(
        default=default,
        families=families,
        meta=meta,
        accelerators=accelerators,
        public_cases={str(k): int(v) for k, v in cases.items()},
        stack_matmul_scale={str(k): float(v) for k, v in scales.items()},
    )


# ---------------------------------------------------------------------------------------------
# Dense GEMM microbenchmarks (data/gemm_microbenchmarks.yaml) and the scaling they feed.

_GEMM_TEXT_FIELDS = (
    "study",
    "accelerator",
    "vendor_family",
    "precision",
    "shape",
    "software",
    "source",
    "as_of",
)


@dataclass(frozen=True)
class GemmMeasurement:
    """One published dense-GEMM microbenchmark: achieved over dense peak TFLOP/s."""

    study: str
    accelerator: str
    vendor_family: str  # the catalog's vendor_family of the accelerator
    precision: str
    achieved_tflops: float
    peak_tflops: float
    shape: str
    software: str
    source: str
    as_of: str

    @property
    def fraction_of_peak(self) -> float:
        return self.achieved_tflops / self.peak_tflops


@dataclass(frozen=True)
class GemmLink:
    """The GEMM-fraction ratio g(target) / g(reference) and the studies it was read from."""

    target: str
    reference: str
    ratio: float
    path: tuple[str, ...]  # "a -> b (study)" per link

    def describe(self) -> str:
        return f"g({self.target})/g({self.reference}) = {self.ratio:.3f} via " + "; ".join(
            self.path
        )


def parse_gemm_microbenchmarks(
    raw: dict[str, Any], where: str = "gemm microbenchmarks"
) -> tuple[GemmMeasurement, ...]:
    """Validate the ``measurements`` rows (text fields present, 0 < achieved <= peak)."""
    rows = raw.get("measurements") if isinstance(raw, dict) else None
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{where}: expected a non-empty 'measurements' list")
    out: list[GemmMeasurement] = []
    for i, row in enumerate(rows):
        at = f"{where}: measurements[{i}]"
        if not isinstance(row, dict):
            raise InputError(f"{at}: expected a mapping")
        missing = [
            k for k in (*_GEMM_TEXT_FIELDS, "achieved_tflops", "peak_tflops") if not row.get(k)
        ]
        if missing:
            raise InputError(f"{at}: missing {missing[0]!r} (every row needs source and as_of)")
        achieved, peak = row["achieved_tflops"], row["peak_tflops"]
        if not all(isinstance(x, int | float) for x in (achieved, peak)) or not (
            0 < achieved <= peak
        ):
            raise InputError(
                f"{at}: achieved_tflops={achieved!r}, peak_tflops={peak!r}; "
                "need 0 < achieved <= peak"
            )
        texts = {k: str(row[k]) for k in _GEMM_TEXT_FIELDS}
        out.append(
            GemmMeasurement(achieved_tflops=float(achieved), peak_tflops=float(peak), **texts)
        )
    return tuple(out)


@cache
def load_gemm_microbenchmarks() -> tuple[GemmMeasurement, ...]:
    """The bundled table (``perf/data/gemm_microbenchmarks.yaml``)."""
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/gemm_microbenchmarks.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_gemm_microbenchmarks(yaml.safe_load(text), "gemm_microbenchmarks.yaml")


def _study_edges(
    rows: Iterable[GemmMeasurement], precision: str
) -> dict[str, dict[str, list[tuple[float, str]]]]:
    """edges[a][b] = [(log g(a) - log g(b), study), ...], one per study holding both a and b."""
    by_study: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        if r.precision == precision:
            logs = by_study.setdefault(r.study, {}).setdefault(r.accelerator, [])
            logs.append(math.log(r.fraction_of_peak))
    edges: dict[str, dict[str, list[tuple[float, str]]]] = {}
    for study, accs in sorted(by_study.items()):
        mean_log = {a: statistics.fmean(v) for a, v in accs.items()}
        for a in mean_log:
            for b in mean_log:
                if a != b:
                    edges.setdefault(a, {}).setdefault(b, []).append(
                        (mean_log[a] - mean_log[b], study)
                    )
    return edges


def gemm_fraction_ratio(
    target: str,
    references: Sequence[str],
    rows: Iterable[GemmMeasurement],
    precision: str = "bf16",
) -> GemmLink | None:
    """g(target) / g(R) for the reference R reached through the fewest same-study links
    (breadth-first; each link is the geometric mean over the studies holding both chips; ties
    between references at the same depth: the first in sorted order). None without a link."""
    edges = _study_edges(rows, precision)
    refs = set(references) - {target}
    # log g(node) - log g(target) and the path, per visited node
    seen: dict[str, tuple[float, tuple[str, ...]]] = {target: (0.0, ())}
    frontier = [target]
    while frontier:
        hits = sorted(n for n in frontier if n in refs)
        if hits:
            ref = hits[0]
            log_ref, path = seen[ref]
            return GemmLink(target, ref, math.exp(-log_ref), path)
        nxt: list[str] = []
        for node in frontier:
            for other, links in sorted(edges.get(node, {}).items()):
                if other in seen:
                    continue
                step = statistics.fmean(d for d, _ in links)  # log g(node) - log g(other)
                studies = ", ".join(s for _, s in links)
                seen[other] = (
                    seen[node][0] - step,
                    (*seen[node][1], f"{node} -> {other} ({studies})"),
                )
                nxt.append(other)
        frontier = sorted(set(nxt))
    return None


def with_gemm_scaling(
    table: EfficiencyTable, rows: Iterable[GemmMeasurement], precision: str = "bf16"
) -> EfficiencyTable:
    """The table plus gemm-scaled entries (module docstring, rules 2 and 4) for every
    accelerator that has a GEMM row of ``precision``, no public case and no fitted entry:
    ``matmul_eff_max = min(1, eff(R) * g(A) / g(R))``."""
    rows = tuple(rows)
    accelerator_families = {r.accelerator: r.vendor_family for r in rows}
    measured = {r.accelerator for r in rows if r.precision == precision}
    references = sorted(a for a in table.accelerators if a in measured)
    derived: dict[str, EfficiencyParams] = {}
    notes: dict[str, str] = {}
    for acc_id in sorted(measured):
        if acc_id in table.accelerators or table.public_cases.get(acc_id, 0) > 0:
            continue
        family = accelerator_families[acc_id]
        link = gemm_fraction_ratio(acc_id, references, rows, precision)
        if link is None:
            continue
        ref_eff = table.accelerators[link.reference].matmul_eff_max
        base = table.families.get(family, table.default)
        value = min(1.0, ref_eff * link.ratio)
        derived[acc_id] = replace(base, matmul_eff_max=value)
        notes[acc_id] = (
            f"matmul_eff_max = {ref_eff:g} ({link.reference}, fitted) x {link.describe()} "
            f"= {value:.3f}"
        )
    derived_families: dict[str, EfficiencyParams] = {}
    for family in sorted({accelerator_families[a] for a in derived}):
        if family in table.families:
            continue
        members = sorted(a for a in derived if accelerator_families[a] == family)
        value = statistics.median(derived[a].matmul_eff_max for a in members)
        derived_families[family] = replace(table.default, matmul_eff_max=value)
        notes[family] = f"median matmul_eff_max of {', '.join(members)} = {value:.3f}"
    return replace(table, derived=derived, derived_families=derived_families, derivations=notes)


@cache
def load_efficiency() -> EfficiencyTable:
    """The bundled fitted table (``perf/data/training_efficiency.yaml``) with the gemm-scaled
    entries of the bundled GEMM microbenchmarks."""
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/training_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    table = parse_efficiency_table(yaml.safe_load(text), "training_efficiency.yaml")
    return with_gemm_scaling(table, load_gemm_microbenchmarks())
