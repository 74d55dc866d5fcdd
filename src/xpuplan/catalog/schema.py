"""Validated schemas of the three catalog tables: accelerators, offerings, regions.

Every row carries ``source`` and ``as_of``. Units are in the field names; prices are USD per
hour of one *instance* (the unit of purchase: a VM, a TPU slice, an UltraServer, a rack).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from xpuplan.jsontypes import js, json_key

__all__ = [
    "PRECISIONS",
    "PRICING_MODELS",
    "SOFTWARE_STACKS",
    "TEXT_RULE",
    "Accelerator",
    "Offering",
    "PricingModel",
    "Region",
    "SoftwareStack",
    "Text",
    "Topology",
    "VendorFamily",
    "check_text",
    "one_line",
]

PricingModel = Literal["on_demand", "spot", "commit_1y", "commit_3y", "capacity_block"]
PRICING_MODELS: tuple[PricingModel, ...] = (
    "on_demand",
    "spot",
    "commit_1y",
    "commit_3y",
    "capacity_block",
)
Topology = Literal["switched", "torus2d", "torus3d", "ring", "none"]
# the families validation cases and the calibration group accelerators by (printed with a row)
VendorFamily = Annotated[
    Literal["nvidia", "amd", "tpu", "aws", "intel", "other"],
    js(description="validation family: the vendor's chips as the calibration groups them"),
]
Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"]
PRECISIONS: tuple[str, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")
SoftwareStack = Literal["CUDA", "ROCm", "XLA/TPU", "Neuron", "SynapseAI", "other"]
SOFTWARE_STACKS: tuple[SoftwareStack, ...] = (
    "CUDA",
    "ROCm",
    "XLA/TPU",
    "Neuron",
    "SynapseAI",
    "other",
)


# C0/C1 control characters, DEL and the Unicode line/paragraph separators: text that can end a
# line or a comment in a file we write (a SkyPilot task, a terminal table) and so smuggle in
# new content. Tabs are refused too: no catalog name needs one. Checked by pydantic-core's regex
# engine (no Python call per field, so large override files stay fast).
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_PRINTABLE = f"^[^{_CONTROL}]*$"
Text = Annotated[str, StringConstraints(pattern=_PRINTABLE)]
TEXT_RULE = "text must be printable on one line (no control characters or line breaks)"


def one_line(text: str) -> str:
    """``text`` with every control character or line break written as its escape (``\\n``),
    so that it prints on one line and cannot end a comment or a row."""
    return re.sub(f"[{_CONTROL}]", lambda m: repr(m.group())[1:-1], text)


def check_text(value: Any) -> Any:
    """``value`` unchanged, unless it is text holding a control character (ValueError)."""
    if isinstance(value, str) and not re.fullmatch(_PRINTABLE, value):
        raise ValueError(f"{value!r}: {TEXT_RULE}")
    return value


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Text = Field(min_length=3, description="where the numbers of this row come from")
    as_of: dt.date = Field(description="date the source was read or published")
    confidence: Literal["high", "medium", "low"] | None = Field(
        default=None,
        description="how sure the source is: vendor doc read (high) ... uncertain (low)",
    )
    notes: Text | None = None


class Accelerator(_Row):
    """One accelerator chip (per-chip figures; a 'chip' is what a vendor sells as one device)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    vendor: Literal["NVIDIA", "AMD", "Google", "AWS", "Intel", "Microsoft", "Meta", "Other"]
    family: Text = Field(description="product family, e.g. 'H100', 'TPU v5p', 'Trainium2'")
    generation: Text = Field(description="architecture generation, e.g. 'Hopper', 'CDNA3'")
    name: Text
    launch_year: int | None = Field(default=None, ge=2010, le=2035)
    # Peak dense (no structured sparsity) throughput per chip.
    fp32_dense_tflops: float | None = Field(default=None, gt=0, le=5_000)
    tf32_dense_tflops: float | None = Field(default=None, gt=0, le=10_000)
    bf16_dense_tflops: float = Field(ge=10, le=20_000)
    fp16_dense_tflops: float | None = Field(default=None, gt=0, le=20_000)
    fp8_dense_tflops: float | None = Field(default=None, gt=0, le=40_000)
    int8_dense_tops: float | None = Field(default=None, gt=0, le=40_000)
    fp4_dense_tflops: float | None = Field(default=None, gt=0, le=80_000)
    hbm_gb: float = Field(gt=0, le=2_000, description="device memory, GB as the vendor states it")
    hbm_tbps: float = Field(gt=0, le=50, description="device memory bandwidth, TB/s")
    sram_mb: float | None = Field(default=None, gt=0, le=100_000)
    scaleup_gbytes_per_s: float | None = Field(
        default=None,
        gt=0,
        le=20_000,
        description="per-chip scale-up bandwidth, GB/s, bidirectional",
    )
    scaleup_domain_chips: int = Field(ge=1, le=100_000)
    scaleup_topology: Topology
    scaleout_gbits_per_s_per_chip: float | None = Field(default=None, gt=0, le=10_000)
    tdp_w: float | None = Field(default=None, gt=0, le=5_000)
    tdp_source: str | None = Field(
        default=None, description="where tdp_w comes from when it is not the row's source"
    )
    tdp_confidence: Literal["high", "medium", "low"] | None = Field(
        default=None, description="how sure tdp_w is (vendor figure: high ... estimate: low)"
    )
    cores_per_chip: int = Field(default=1, ge=1, le=64)
    software_stack: SoftwareStack = Field(
        description="primary stack: CUDA, ROCm, XLA/TPU, Neuron, SynapseAI, other"
    )
    hbm_type: Text | None = Field(default=None, description="memory technology, e.g. 'HBM3e'")
    scaleup_interconnect: Text | None = Field(
        default=None, description="scale-up fabric in words, e.g. 'NVLink 4 + NVSwitch'"
    )
    workloads: tuple[Literal["train", "infer"], ...] = Field(
        default=("train", "infer"),
        min_length=1,
        description="what the vendor supports the chip for; inference-only chips never "
        "appear in training plans",
    )

    def peak_tflops(self, precision: str) -> float | None:
        """Dense peak TFLOP/s (TOP/s for int8) at ``precision``, or None when not supported."""
        value: float | None = {
            "fp32": self.fp32_dense_tflops,
            "tf32": self.tf32_dense_tflops,
            "bf16": self.bf16_dense_tflops,
            "fp16": self.fp16_dense_tflops or self.bf16_dense_tflops,
            "fp8": self.fp8_dense_tflops,
            "int8": self.int8_dense_tops,
            "fp4": self.fp4_dense_tflops,
        }.get(precision)
        return value

    @property
    @json_key(after="workloads")
    def vendor_family(self) -> VendorFamily:
        """Validation family: nvidia, amd, tpu, aws, intel, other."""
        families: dict[str, VendorFamily] = {
            "NVIDIA": "nvidia",
            "AMD": "amd",
            "Google": "tpu",
            "AWS": "aws",
            "Intel": "intel",
        }
        return families.get(self.vendor, "other")


class Offering(_Row):
    """What a provider rents: an instance/slice of ``chips_per_instance`` chips in one region."""

    provider: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    region: Text
    instance: Text
    accelerator_id: Text
    chips_per_instance: int = Field(ge=1, le=100_000)
    usd_per_hour: dict[PricingModel, Annotated[float, Field(gt=0, lt=1e6)]] = Field(
        default_factory=dict,
        description="price of one instance per hour, by pricing model (USD, > 0 and < 1e6)",
    )
    allowed_chip_counts: tuple[Annotated[int, Field(ge=1)], ...] | None = Field(
        default=None,
        description="only these total chip counts may be rented (TPU slice sizes); None means "
        "any multiple of chips_per_instance",
    )
    max_chips: int | None = Field(
        default=None, ge=1, description="largest rentable total, if known"
    )
    max_chips_source: str | None = Field(
        default=None,
        description="where max_chips comes from; 'default: ...' marks a conservative default",
    )
    training_max_chips: int | None = Field(
        default=None,
        ge=1,
        description="largest single training job (one synchronous cluster) on this shape, when "
        "smaller than max_chips: a shape without a cluster network stays on one node",
    )
    training_max_chips_source: str | None = Field(
        default=None, description="why training_max_chips is set"
    )
    capacity_block_max_instances: int | None = Field(
        default=None, ge=1, description="largest capacity block, in instances"
    )
    capacity_block_max_days: float | None = Field(
        default=None, gt=0, le=3_650, description="longest capacity block, in days"
    )
    scaleup_domain_chips: int | None = Field(
        default=None, ge=1, description="override of the accelerator's scale-up domain here"
    )
    network_gbits_per_s: float | None = Field(
        default=None, gt=0, description="scale-out network of one instance, Gb/s"
    )
    price_as_of: dict[PricingModel, dt.date] = Field(
        default_factory=dict,
        description="date of each price when it differs from the row's as_of (the oldest one)",
    )

    def usd_per_chip_hour(self, pricing: PricingModel = "on_demand") -> float | None:
        price = self.usd_per_hour.get(pricing)
        return None if price is None else price / self.chips_per_instance


class Region(_Row):
    """A cloud region with its location, EU/EEA status, grid carbon intensity and PUE."""

    provider: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    code: Text
    city: Text | None = None
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    eu: bool
    eea: bool
    grid_gco2_per_kwh: float | None = Field(default=None, ge=0, le=1_500)
    pue: float | None = Field(default=None, ge=1.0, le=3.0)
    pue_source: str | None = Field(
        default=None, description="where pue comes from when it is not the row's source"
    )
    pue_assumed: bool = Field(
        default=False, description="true when pue is an industry average, not the provider's"
    )
    grid_source: str | None = Field(
        default=None, description="where grid_gco2_per_kwh comes from when not the row's source"
    )
    grid_proxy_gco2_per_kwh: float | None = Field(
        default=None,
        ge=0,
        le=1_500,
        description="fresher proxy: Google's 2024 figure for a GCP region on the same grid zone",
    )
    cfe_fraction: float | None = Field(
        default=None, ge=0, le=1, description="Google hourly carbon-free-energy share (GCP only)"
    )
