"""Achievable fractions and fixed costs of LLM serving, per accelerator vendor family.

The serving estimator (:mod:`xpuplan.perf.serving`) is a roofline: every time is a physical
amount (bytes, FLOPs, collectives) divided by a peak from the catalog. What a real serving stack
reaches of those peaks is described by a handful of parameters defined *per physical property*,
not per case or per model:

``hbm_bw_fraction``
    fraction of the peak HBM bandwidth reached while a decode step streams the weights and the
    KV cache (memory-bound GEMV/GEMM and paged attention).
``kv_bw_fraction``
    fraction of the peak HBM bandwidth reached by decode attention reading the KV cache.
``compute_fraction``
    fraction of the dense peak FLOP/s reached by prefill (GEMMs over thousands of tokens).
``gemm_half_rows``
    rows (tokens) at which a GEMM reaches half of ``compute_fraction``: efficiency
    ``rows / (rows + gemm_half_rows)``; decode GEMMs have only ``batch`` rows, prefill ones
    thousands.
``fp4_peak_fraction``
    share of the nominal 4-bit tensor peak that 4-bit GEMMs reach relative to what 8/16-bit
    GEMMs reach of theirs (block-scale handling and activation quantization cost extra).
``step_overhead_s``
    fixed time of one engine iteration beyond its roofline time (scheduling, kernel launches,
    sampling, host synchronization).
``collective_latency_s``
    per-step latency (alpha) of the tensor-parallel all-reduce on the scale-up link; the ring
    all-reduce of :mod:`xpuplan.perf.comm` pays it 2(n-1) times per collective.
``collective_bw_fraction``
    fraction of the unidirectional link bandwidth a serving step's all-reduce reaches (its
    bus bandwidth at the B x d activation sizes of one step: fitted, below the large-message
    NCCL figure).
``kv_read_padded``
    1 when the runtime uses static shapes and every decode step reads the KV cache of the whole
    maximum sequence (Neuron buckets, XLA), 0 when it reads only the cached tokens (paged).
``usable_hbm_fraction``
    share of the memory left after weights and runtime reserve that the engine gives to the KV
    cache.
``runtime_reserve_gb``
    per-chip memory held by the runtime (context, graphs, workspaces, communication buffers).
``max_sequences``
    engine cap on concurrent sequences of one replica.
``pcie_gbytes_per_s``
    per-direction host link used by tensor parallelism that leaves the scale-up domain.
``dispatch_window_s``
    front-end batching: requests arriving within this window are sent together to one
    replica (replicas take the batches in turn); 0 when every request goes to the engine on
    arrival.
``compiled_batch``
    decode batch a static-shape runtime was compiled for (``kv_read_padded`` 1): every decode
    step runs that many sequence slots, busy or not (Neuron / optimum-neuron export
    ``batch_size``, JetStream ``--batch_size``); 0 when the runtime runs only the busy
    sequences, or its batch is chosen to match the load (the planner's assumption).
``host_s_per_sequence``
    engine host work per running sequence per iteration that the chips wait for (a Python
    engine's scheduling and per-request bookkeeping); applied only to engine versions that run
    it on the critical path (``exposed_host_from`` in ``serving_stacks.yaml``), 0 elsewhere.
``ep_moe_fraction``
    share of the dense-layer efficiency an expert-parallel MoE layer sustains: its routed
    experts' GEMMs and weight reads and its dispatch / combine all-to-all take
    ``1 / ep_moe_fraction`` times their roofline time (the busiest rank sets the pace of every
    layer: routing is uneven, DeepSeek-V3 report sec. 3.4 replicates hot experts for it; the
    all-to-all kernels synchronize every rank twice per layer). 1 for tensor-parallel experts.
``attention_fraction``
    share of the compute fraction attention's matmuls (prefill flash attention, the FLOPs of
    decode attention) reach: the kernel interleaves softmax, masking and rescaling with its
    two matmuls, which GEMMs do not (FlashAttention-2 forward reaches 50-73 % of A100 peak,
    Dao 2023, where GEMMs reach 80 %+); on systolic arrays wider than the head dimension the
    array fill comes on top (:func:`xpuplan.perf.serving.step.attention_flops_per_s`).
``scheduler_steps``
    decode iterations per scheduler call (vLLM V0 multi-step scheduling): the per-sequence
    host work is paid once per call; 1 unless a case states its engine's setting.

Stack generations: a family's values describe the reference generation of serving software
(2024 releases); ``generations`` under a family lists the values it reaches on each later
generation (release year of the engine's version line, :mod:`xpuplan.perf.serving.engine`).
``efficiency_for(family, generation)`` takes the newest listed generation at or below the one
asked (None: the newest), so plans assume today's software.

Chip architectures: ``architectures`` in the YAML scales a field for one architecture of a
family (the catalog's ``generation``, e.g. ``Ada Lovelace`` vs the family's reference
``Hopper``): the share of peak a chip's matmul units reach depends on its microarchitecture and
its kernels, not on the vendor alone. ``efficiency_for(..., architecture=...)`` applies it.
An architecture without measurements of its own takes the scales of the one it succeeds
(``architecture_lineage`` in the YAML, each link sourced: Blackwell Ultra keeps Blackwell's SM,
NeuronCore-v4 NeuronCore-v3's engines), not the family reference's: a new chip runs kernels
carried forward from its predecessor.

Values live in ``perf/data/serving_efficiency.yaml`` (``defaults`` plus per-family overrides,
each with ``source``/``as_of``); the fitted ones come from ``scripts/fit_serving.py`` on the
public validation set. Families without public measurements (tpu, intel, other) use the
defaults, which are the cross-family values, so an accelerator absent from the public set still
gets a physically sensible estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from xpuplan.errors import InputError, UnknownNameError

__all__ = [
    "EFFICIENCY_FIELDS",
    "FAMILIES",
    "ServingEfficiency",
    "architecture_lineage",
    "architecture_scales",
    "efficiency_arrays",
    "efficiency_for",
    "engine_overhead_scales",
    "generation_table",
    "load_efficiency_table",
    "scaled_architecture",
]

FAMILIES: tuple[str, ...] = ("nvidia", "amd", "aws", "tpu", "intel", "other")
# Range of a fitted compute fraction, also after an architecture's scale (the calibration's
# bound, xpuplan.validation.infer_calibration.BOUNDS: 5 % to 95 % of peak)
FRACTION_RANGE: tuple[float, float] = (0.05, 0.95)


@dataclass(frozen=True)
class ServingEfficiency:
    """Achievable fractions and fixed costs of one serving stack (see the module docstring)."""

    hbm_bw_fraction: float
    kv_bw_fraction: float
    compute_fraction: float
    gemm_half_rows: float
    fp4_peak_fraction: float
    step_overhead_s: float
    collective_latency_s: float
    collective_bw_fraction: float
    kv_read_padded: float
    usable_hbm_fraction: float
    runtime_reserve_gb: float
    max_sequences: float
    pcie_gbytes_per_s: float
    dispatch_window_s: float
    compiled_batch: float = 0.0
    host_s_per_sequence: float = 0.0
    scheduler_steps: float = 1.0
    ep_moe_fraction: float = 1.0
    attention_fraction: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "hbm_bw_fraction",
            "kv_bw_fraction",
            "compute_fraction",
            "fp4_peak_fraction",
            "collective_bw_fraction",
            "ep_moe_fraction",
            "attention_fraction",
        ):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise InputError(f"efficiency {name}: {value!r} must be in (0, 1]")
        if not 0.0 < self.usable_hbm_fraction <= 1.0:
            raise InputError(
                f"efficiency usable_hbm_fraction: {self.usable_hbm_fraction!r} must be in (0, 1]"
            )
        if self.kv_read_padded not in (0.0, 1.0):
            raise InputError(f"efficiency kv_read_padded: {self.kv_read_padded!r} must be 0 or 1")
        for name in (
            "step_overhead_s",
            "collective_latency_s",
            "runtime_reserve_gb",
            "gemm_half_rows",
            "dispatch_window_s",
            "compiled_batch",
            "host_s_per_sequence",
        ):
            if getattr(self, name) < 0:
                raise InputError(f"efficiency {name}: {getattr(self, name)!r} must be >= 0")
        if self.scheduler_steps < 1:
            raise InputError(f"efficiency scheduler_steps: {self.scheduler_steps!r} must be >= 1")
        if self.max_sequences < 1 or self.pcie_gbytes_per_s <= 0:
            raise InputError("efficiency max_sequences must be >= 1 and pcie_gbytes_per_s > 0")

    def replace(self, **changes: float) -> ServingEfficiency:
        """A copy with some fields changed (unknown names raise with the allowed ones)."""
        unknown = set(changes) - set(EFFICIENCY_FIELDS)
        if unknown:
            name = sorted(unknown)[0]
            raise UnknownNameError("efficiency parameter", name, EFFICIENCY_FIELDS)
        return dataclasses.replace(self, **{k: float(v) for k, v in changes.items()})

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


EFFICIENCY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ServingEfficiency))


def _value(entry: Any, where: str) -> float:
    raw = entry.get("value") if isinstance(entry, dict) else entry
    if not isinstance(raw, int | float):
        raise InputError(f"serving_efficiency.yaml {where}: expected a number, got {raw!r}")
    return float(raw)


def _parse_table(raw: Any) -> dict[str, ServingEfficiency]:
    if not isinstance(raw, dict) or not isinstance(raw.get("defaults"), dict):
        raise InputError("serving_efficiency.yaml: expected 'defaults' and 'families' mappings")
    # a field with a default in ServingEfficiency may be left out of the YAML
    optional = {
        f.name: f.default
        for f in dataclasses.fields(ServingEfficiency)
        if f.default is not dataclasses.MISSING
    }
    defaults = {
        name: _value(raw["defaults"].get(name), f"defaults.{name}")
        if name in raw["defaults"] or name not in optional
        else float(optional[name])
        for name in EFFICIENCY_FIELDS
    }
    families = raw.get("families") or {}
    table: dict[str, ServingEfficiency] = {}
    for family in FAMILIES:
        overrides = families.get(family) or {}
        values = dict(defaults)
        for name, entry in overrides.items():
            if name in ("source", "as_of", "notes", "fitted_on", "bounds_hit", "generations"):
                continue
            if name not in EFFICIENCY_FIELDS:
                raise UnknownNameError("efficiency parameter", name, EFFICIENCY_FIELDS)
            values[name] = _value(entry, f"families.{family}.{name}")
        table[family] = ServingEfficiency(**values)
    return table


@cache
def _raw_table() -> dict[str, Any]:
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/serving_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def load_efficiency_table() -> dict[str, ServingEfficiency]:
    """The bundled per-family efficiency table (read once, on first use)."""
    return _parse_table(_raw_table())


@cache
def generation_table() -> dict[str, dict[int, dict[str, float]]]:
    """``{family: {generation: {field: value}}}``: the values a family reaches on a newer
    serving-stack generation (``generations`` under each family in the YAML)."""
    families = _raw_table().get("families") or {}
    out: dict[str, dict[int, dict[str, float]]] = {}
    for family, entry in families.items():
        gens = (entry or {}).get("generations") or {}
        out[family] = {
            int(gen): {
                k: _value(v, f"families.{family}.generations.{gen}.{k}") for k, v in row.items()
            }
            for gen, row in gens.items()
        }
    return out


@cache
def engine_overhead_scales() -> dict[str, float]:
    """``{engine@backend: scale}`` of ``step_overhead_s`` (``engines`` in the YAML): an
    engine's own per-iteration host work on a chip software stack, relative to the family."""
    raw = _raw_table().get("engines") or {}
    return {
        str(name): _value((entry or {}).get("step_overhead_scale", 1.0), f"engines.{name}")
        for name, entry in raw.items()
    }


@cache
def architecture_scales() -> dict[str, dict[str, float]]:
    """``{architecture: {field: scale}}`` (``architectures`` in the YAML): what one chip
    architecture reaches relative to its family's reference architecture."""
    raw = _raw_table().get("architectures") or {}
    out: dict[str, dict[str, float]] = {}
    for name, entry in raw.items():
        scales = (entry or {}).get("scales") or {}
        for field_name in scales:
            if field_name not in EFFICIENCY_FIELDS:
                raise UnknownNameError("efficiency parameter", field_name, EFFICIENCY_FIELDS)
        out[str(name)] = {
            str(k): _value(v, f"architectures.{name}.scales.{k}") for k, v in scales.items()
        }
    return out


@cache
def architecture_lineage() -> dict[str, str]:
    """``{architecture: the architecture it succeeds}`` (``architecture_lineage`` in the YAML)."""
    raw = _raw_table().get("architecture_lineage") or {}
    out: dict[str, str] = {}
    for name, entry in raw.items():
        succeeds = (entry or {}).get("succeeds")
        if not isinstance(succeeds, str) or not succeeds:
            raise InputError(
                f"serving_efficiency.yaml architecture_lineage.{name}.succeeds: expected an "
                f"architecture name, got {succeeds!r}"
            )
        out[str(name)] = succeeds
    return out


def scaled_architecture(architecture: str | None, fitted: Container[str]) -> str | None:
    """The architecture whose scales a chip of ``architecture`` takes: its own when
    ``fitted`` has it, else the nearest predecessor in :func:`architecture_lineage` that
    ``fitted`` has, else None (the family's reference architecture)."""
    lineage = architecture_lineage()
    seen: set[str] = set()
    name = architecture
    while name is not None and name not in fitted and name not in seen:
        seen.add(name)
        name = lineage.get(name)
    return name if name is not None and name in fitted else None


def efficiency_for(
    family: str,
    generation: int | None = None,
    engine: str | None = None,
    architecture: str | None = None,
    **overrides: float,
) -> ServingEfficiency:
    """The efficiency of a vendor family (``Accelerator.vendor_family``) on a serving stack of
    ``generation`` (None: the newest in the table) with ``engine``'s per-iteration overhead
    and the chip ``architecture``'s scales (``Accelerator.generation``), optionally
    overridden."""
    table = load_efficiency_table()
    if family not in table:
        raise UnknownNameError("vendor family", family, table)
    base = table[family]
    gens = generation_table().get(family, {})
    listed = sorted(gens)
    wanted = listed[-1] if (generation is None and listed) else generation
    below = [g for g in listed if wanted is not None and g <= wanted]
    if below:
        base = base.replace(**gens[below[-1]])
    scale = engine_overhead_scales().get(engine or "", 1.0)
    if scale != 1.0:
        base = base.replace(step_overhead_s=base.step_overhead_s * scale)
    lo, hi = FRACTION_RANGE
    scales = architecture_scales()
    arch = scales.get(scaled_architecture(architecture, scales) or "", {})
    if arch:
        base = base.replace(**{k: min(max(getattr(base, k) * v, lo), hi) for k, v in arch.items()})
    return base.replace(**overrides) if overrides else base


def efficiency_arrays(
    efficiencies: list[ServingEfficiency] | tuple[ServingEfficiency, ...],
) -> dict[str, npt.NDArray[np.float64]]:
    """Column arrays (one entry per candidate) of a list of efficiencies, for the vector core."""
    return {
        name: np.array([getattr(e, name) for e in efficiencies], dtype=np.float64)
        for name in EFFICIENCY_FIELDS
    }
