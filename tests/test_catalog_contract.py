"""Contract battery: every shipped catalog row must pass these checks (scikit-learn style).

Bounds are physical plausibility, not the code's own output; the spot checks at the bottom
compare with figures printed in vendor documents and price lists.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import SOFTWARE_STACKS, Accelerator, Offering, Region

CATALOG = load_catalog()
# The reference data was compiled on this day; no row may claim a later date.
COMPILED = dt.date(2026, 11, 22)

ACCELERATORS = {a.id: a for a in CATALOG.accelerators}
OFFERINGS = {f"{o.provider}/{o.region}/{o.instance}": o for o in CATALOG.offerings}
REGIONS = {f"{r.provider}/{r.code}": r for r in CATALOG.regions}


def _provenance(row: Accelerator | Offering | Region) -> None:
    assert len(row.source.strip()) >= 10, "source must say where the numbers come from"
    assert dt.date(2015, 1, 1) <= row.as_of <= COMPILED


@pytest.mark.parametrize("accelerator", ACCELERATORS.values(), ids=ACCELERATORS.keys())
def test_accelerator_contract(accelerator: Accelerator) -> None:
    _provenance(accelerator)
    assert 10 <= accelerator.bf16_dense_tflops <= 20_000
    assert 8 <= accelerator.hbm_gb <= 512
    assert 0.1 <= accelerator.hbm_tbps <= 20
    assert accelerator.software_stack in SOFTWARE_STACKS
    # Lower precisions are never slower than BF16 on the same chip.
    for precision in ("fp8", "fp4"):
        peak = accelerator.peak_tflops(precision)
        assert peak is None or peak >= accelerator.bf16_dense_tflops
    fp32 = accelerator.fp32_dense_tflops
    assert fp32 is None or fp32 <= accelerator.bf16_dense_tflops
    if accelerator.scaleup_domain_chips == 1:
        assert accelerator.scaleup_topology == "none"
    else:
        assert accelerator.scaleup_topology != "none"


@pytest.mark.parametrize("offering", OFFERINGS.values(), ids=OFFERINGS.keys())
def test_offering_contract(offering: Offering) -> None:
    _provenance(offering)
    chip = CATALOG.accelerator(offering.accelerator_id)  # resolves or raises
    region = CATALOG.region(offering.provider, offering.region)
    assert region is not None, "every shipped offering has a region row"
    for model, usd in offering.usd_per_hour.items():
        per_chip = usd / offering.chips_per_instance
        assert math.isfinite(usd) and usd > 0, model
        # USD 0.05 .. 30 per chip-hour covers every real accelerator rental.
        assert 0.05 <= per_chip <= 30, (model, per_chip)
    if not offering.usd_per_hour:
        assert offering.notes, "an unpriced offering says why"
    for model, date in offering.price_as_of.items():
        assert model in offering.usd_per_hour
        assert offering.as_of <= date <= COMPILED
    if offering.allowed_chip_counts is not None:
        assert list(offering.allowed_chip_counts) == sorted(set(offering.allowed_chip_counts))
        assert offering.max_chips == max(offering.allowed_chip_counts)
    domain = offering.scaleup_domain_chips or chip.scaleup_domain_chips
    assert domain >= 1


@pytest.mark.parametrize("region", REGIONS.values(), ids=REGIONS.keys())
def test_region_contract(region: Region) -> None:
    _provenance(region)
    assert region.eea or not region.eu
    if region.grid_gco2_per_kwh is None:
        assert region.notes, "a region without a grid factor says why"
    else:
        assert 0 <= region.grid_gco2_per_kwh <= 1_000


def test_coverage_demanded_by_the_issue() -> None:
    families = {a.family for a in CATALOG.accelerators}
    required = {
        "V100",
        "H100",
        "H200",
        "H800",
        "GH200",
        "B200",
        "B300",
        "GB200",
        "GB300",
        "RTX PRO 6000",
        "MI300X",
        "MI350X",
        "Trainium1",
        "Trainium2",
        "Trainium3",
        "Inferentia2",
        "TPU v5e",
        "TPU v5p",
        "TPU v6e",
        "TPU7x",
    }
    assert required <= families, required - families
    assert len(CATALOG.accelerators) >= 35
    providers = {o.provider for o in CATALOG.offerings}
    assert {"aws", "gcp", "azure", "lambda", "nebius", "runpod"} <= providers


@pytest.mark.parametrize(
    ("accelerator_id", "field", "published"),
    [
        # NVIDIA H100 datasheet: 1,979 BF16 "with sparsity" -> 989 dense.
        ("nvidia-h100-sxm", "bf16_dense_tflops", 989),
        # ROCm docs mi300.md peak table: 1307.4 dense BF16.
        ("amd-mi300x", "bf16_dense_tflops", 1307.4),
        # docs.cloud.google.com/tpu/docs/v5e: 197 TFLOPs bf16, 16 GB, 256-chip 2D torus.
        ("google-tpu-v5e", "bf16_dense_tflops", 197),
        ("google-tpu-v5e", "scaleup_domain_chips", 256),
        # docs.cloud.google.com/tpu/docs/v5p: 8960-chip pod, 2 TensorCores per chip.
        ("google-tpu-v5p", "scaleup_domain_chips", 8960),
        ("google-tpu-v5p", "cores_per_chip", 2),
        # tpu7x doc: 9216 chips per pod, 2307 BF16.
        ("google-tpu7x-ironwood", "scaleup_domain_chips", 9216),
        ("google-tpu7x-ironwood", "bf16_dense_tflops", 2307),
        # Neuron trainium.rst: 2 NeuronCore-v2, 190 BF16, 16 chips per trn1.32xlarge.
        ("aws-trainium1", "cores_per_chip", 2),
        ("aws-trainium1", "scaleup_domain_chips", 16),
        # trainium2.rst: 8 NeuronCore-v3, 667 BF16, 4x4 torus in trn2.48xlarge.
        ("aws-trainium2", "cores_per_chip", 8),
        ("aws-trainium2", "scaleup_domain_chips", 16),
        # inf2-arch: 12 chips in inf2.48xlarge on a NeuronLink ring.
        ("aws-inferentia2", "scaleup_domain_chips", 12),
        # GB200 NVL72: 72 GPUs in one NVLink domain.
        ("nvidia-gb200", "scaleup_domain_chips", 72),
    ],
)
def test_published_figures(accelerator_id: str, field: str, published: float) -> None:
    assert getattr(CATALOG.accelerator(accelerator_id), field) == pytest.approx(published)


@pytest.mark.parametrize(
    ("key", "model", "published_usd_per_hour"),
    [
        # AWS after the June-2025 cut: p5.48xlarge us-east-1 $55.04 (reference data, 2 sources).
        ("aws/us-east-1/p5.48xlarge", "on_demand", 55.04),
        # Cloud TPU list price, v5e us-central1: $1.20 per chip-hour.
        ("gcp/us-central1/v5litepod-slice", "on_demand", 1.20),
        # AWS trn1.32xlarge us-east-1: $21.50.
        ("aws/us-east-1/trn1.32xlarge", "on_demand", 21.50),
        # EC2 Capacity Blocks page (2026-02-01): trn2.48xlarge us-east-2 $35.7608 ($2.235/chip),
        # trn1.32xlarge $9.532, p5.48xlarge $31.464, p6-b200.48xlarge $74.88.
        ("aws/us-east-2/trn2.48xlarge", "capacity_block", 35.7608),
        ("aws/eu-north-1/trn1.32xlarge", "capacity_block", 9.532),
        ("aws/us-east-1/p5.48xlarge", "capacity_block", 31.464),
        ("aws/us-west-2/p6-b200.48xlarge", "capacity_block", 74.88),
        # coreweave.com/pricing (2026-09-20): HGX H100 $49.24, GB200 NVL72 4-GPU node $42.00.
        ("coreweave/us/NVIDIA HGX H100", "on_demand", 49.24),
        ("coreweave/us/NVIDIA GB200 NVL72 (4-GPU node)", "on_demand", 42.00),
        # Trillium GA: 1-year $1.89, 3-year $1.22 per chip-hour (US East).
        ("gcp/us-east5/v6e-slice", "commit_1y", 1.89),
        ("gcp/us-east5/v6e-slice", "commit_3y", 1.22),
        # GCP a3-megagpu-8g us-central1 = host 9.46006 + H100-MEGA x8 82.75421 (SkyPilot v8).
        ("gcp/us-central1/a3-megagpu-8g", "on_demand", 9.46006 + 82.75421),
        # OCI BM.GPU.MI300X.8 $48 = $6 per GPU-hour.
        ("oracle/eu-frankfurt-1/BM.GPU.MI300X.8", "on_demand", 48.0),
    ],
)
def test_published_prices(key: str, model: str, published_usd_per_hour: float) -> None:
    prices = {str(m): usd for m, usd in OFFERINGS[key].usd_per_hour.items()}
    assert prices[model] == pytest.approx(published_usd_per_hour)


def test_rack_nodes_keep_the_rack_nvlink_domain() -> None:
    # A 4-GPU GB200 node is one tray of an NVL72 rack: 72 GPUs share the NVLink domain.
    for key in (
        "coreweave/us/NVIDIA GB200 NVL72 (4-GPU node)",
        "oracle/eu-frankfurt-1/BM.GPU.GB200.4",
    ):
        offering = OFFERINGS[key]
        assert offering.chips_per_instance == 4
        domain = offering.scaleup_domain_chips
        assert (domain or CATALOG.accelerator(offering.accelerator_id).scaleup_domain_chips) == 72


def test_tpu_offerings_are_per_chip_with_slice_sizes() -> None:
    tpus = [o for o in CATALOG.offerings if o.accelerator_id.startswith("google-tpu")]
    assert tpus
    for offering in tpus:
        assert offering.chips_per_instance == 1
        assert offering.allowed_chip_counts


def test_trn2_ultraserver_has_64_chip_domain() -> None:
    (ultra,) = [o for o in CATALOG.offerings if "ultraserver" in o.instance]
    assert ultra.chips_per_instance == 64
    assert ultra.scaleup_domain_chips == 64
