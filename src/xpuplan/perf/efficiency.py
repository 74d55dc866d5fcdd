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
the public validation set. Look-up order, field by field: the accelerator's own entry (only
chips with enough public measurements get one), then its vendor family's entry, then the
``default`` entry (used for families absent from the public set: AMD, Intel, others). The file
records the fit date, the fitted metric and the resulting errors.
"""

from __future__ import annotations

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
    "load_efficiency",
    "parse_efficiency_table",
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
}


@dataclass(frozen=True)
class EfficiencyTable:
    """Default, per-family and per-accelerator parameters (field-level fallback)."""

    default: EfficiencyParams
    families: dict[str, EfficiencyParams]
    meta: dict[str, Any]
    accelerators: dict[str, EfficiencyParams] = field(default_factory=dict)

    def for_family(self, family: str) -> EfficiencyParams:
        return self.families.get(family, self.default)

    def for_accelerator(self, accelerator_id: str, family: str) -> EfficiencyParams:
        return self.accelerators.get(accelerator_id, self.for_family(family))


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
    meta = {k: v for k, v in raw.items() if k not in ("default", "families", "accelerators")}
    return EfficiencyTable(default=default, families=families, meta=meta, accelerators=accelerators)


@cache
def load_efficiency() -> EfficiencyTable:
    """The bundled fitted table (``perf/data/training_efficiency.yaml``)."""
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/training_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_efficiency_table(yaml.safe_load(text), "training_efficiency.yaml")
