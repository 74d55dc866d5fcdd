"""A tiny synthetic catalog shared by the planner tests (3 accelerators, 3 vendors, 5 regions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator, Offering, Region

AS_OF = dt.date(2026, 1, 1)


def _acc(**kw: Any) -> Accelerator:
    base: dict[str, Any] = {"source": "synthetic test row", "as_of": AS_OF}
    return Accelerator(**(base | kw))


def tiny_catalog() -> Catalog:
    """H100-like GPU (NVIDIA), MI300X-like GPU (AMD), v5p-like TPU (Google) in five regions."""
    accelerators = (
        _acc(
            id="gpu-a",
            vendor="NVIDIA",
            family="A",
            generation="g1",
            name="GPU A",
            bf16_dense_tflops=989.0,
            hbm_gb=80.0,
            hbm_tbps=3.35,
            scaleup_gbytes_per_s=900.0,
            scaleup_domain_chips=8,
            scaleup_topology="switched",
            scaleout_gbits_per_s_per_chip=400.0,
            tdp_w=700.0,
            software_stack="CUDA",
        ),
        _acc(
            id="gpu-b",
            vendor="AMD",
            family="B",
            generation="g1",
            name="GPU B",
            bf16_dense_tflops=1307.0,
            hbm_gb=192.0,
            hbm_tbps=5.3,
            scaleup_gbytes_per_s=896.0,
            scaleup_domain_chips=8,
            scaleup_topology="switched",
            scaleout_gbits_per_s_per_chip=400.0,
            tdp_w=750.0,
            software_stack="ROCm",
        ),
        _acc(
            id="tpu-c",
            vendor="Google",
            family="C",
            generation="g1",
            name="TPU C",
            bf16_dense_tflops=459.0,
            hbm_gb=95.0,
            hbm_tbps=2.765,
            scaleup_gbytes_per_s=1200.0,
            scaleup_domain_chips=8960,
            scaleup_topology="torus3d",
            tdp_w=None,
            software_stack="XLA/TPU",
        ),
    )
    regions = (
        Region(
            provider="cloud1",
            code="us-east",
            country="US",
            eu=False,
            eea=False,
            grid_gco2_per_kwh=400.0,
            pue=1.2,
            source="synthetic",
            as_of=AS_OF,
        ),
        Region(
            provider="cloud1",
            code="eu-west",
            country="IE",
            eu=True,
            eea=True,
            grid_gco2_per_kwh=300.0,
            pue=1.1,
            source="synthetic",
            as_of=AS_OF,
        ),
        Region(
            provider="cloud2",
            code="norway",
            country="NO",
            eu=False,
            eea=True,
            grid_gco2_per_kwh=20.0,
            pue=1.1,
            source="synthetic",
            as_of=AS_OF,
        ),
        Region(
            provider="cloud2",
            code="london",
            country="GB",
            eu=False,
            eea=False,
            grid_gco2_per_kwh=200.0,
            pue=None,
            source="synthetic",
            as_of=AS_OF,
        ),
        Region(
            provider="cloud3",
            code="tpu-us",
            country="US",
            eu=False,
            eea=False,
            grid_gco2_per_kwh=None,
            pue=1.1,
            source="synthetic",
            as_of=AS_OF,
        ),
    )

    def off(
        provider: str,
        region: str,
        instance: str,
        acc: str,
        chips: int,
        prices: dict[str, float],
        **kw: Any,
    ) -> Offering:
        return Offering(
            provider=provider,
            region=region,
            instance=instance,
            accelerator_id=acc,
            chips_per_instance=chips,
            usd_per_hour=prices,  # type: ignore[arg-type]
            source="synthetic",
            as_of=AS_OF,
            **kw,
        )

    offerings = (
        off("cloud1", "us-east", "a8", "gpu-a", 8, {"on_demand": 40.0, "spot": 20.0}),
        off("cloud1", "eu-west", "a8", "gpu-a", 8, {"on_demand": 44.0}),
        off("cloud2", "norway", "b8", "gpu-b", 8, {"on_demand": 48.0, "spot": 30.0}),
        off("cloud2", "london", "a1", "gpu-a", 1, {"on_demand": 5.5}),
        off(
            "cloud3",
            "tpu-us",
            "c-slice",
            "tpu-c",
            1,
            {"on_demand": 4.2},
            allowed_chip_counts=(8, 16, 32, 64, 128, 256, 512, 1024),
        ),
    )
    return Catalog(accelerators=accelerators, offerings=offerings, regions=regions)
