"""plan_serving: the fleet covers the rate, respects the vendor share, prices add up."""

from __future__ import annotations

import pytest

from test_plan_support import tiny_catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InfeasibleError, InputError
from xpuplan.plan import plan_serving
from xpuplan.search.filters import OfferingFilter
from xpuplan.search.results import FleetPlan

SLO = {"input_tokens": 1024, "output_tokens": 256, "ttft_p99_ms": 800.0, "tpot_p99_ms": 60.0}


def _check_fleet(fleet: FleetPlan, rate: float, required: float) -> None:
    assert fleet.capacity_rps >= required - 1e-9
    by_role = {
        role: sum(e.capacity_rps for e in fleet.entries if e.role == role)
        for role in ("colocated", "prefill", "decode")
    }
    if by_role["prefill"] or by_role["decode"]:
        # pools serve what both of them carry (the routed rate, at most the smaller pool)
        pooled = fleet.capacity_rps - by_role["colocated"]
        assert 0.0 < pooled <= min(by_role["prefill"], by_role["decode"]) + 1e-6
    else:
        assert fleet.capacity_rps == pytest.approx(by_role["colocated"])
    assert fleet.usd_per_hour == pytest.approx(sum(e.usd_per_hour for e in fleet.entries))
    tokens_per_hour = rate * 3600 * (SLO["input_tokens"] + SLO["output_tokens"])
    assert fleet.usd_per_million_tokens == pytest.approx(fleet.usd_per_hour / tokens_per_hour * 1e6)
    out_per_hour = rate * 3600 * SLO["output_tokens"]
    assert fleet.usd_per_million_output_tokens == pytest.approx(
        fleet.usd_per_hour / out_per_hour * 1e6
    )
    for e in fleet.entries:
        # whole instances, fully used: replicas x chips per replica = instances x chips each
        assert e.replicas * e.chips_per_replica == e.instances * e.chips_per_instance
        assert e.layout["tp"] * e.layout["pp"] == e.chips_per_replica


@pytest.mark.parametrize("share", [0.6, 0.5])
def test_vendor_share_respected_on_bundled_catalog(share: float) -> None:
    result = plan_serving(
        "llama-3.1-8b",
        catalog=load_catalog(),
        rate_rps=40.0,
        peak_to_mean=1.5,
        max_vendor_share=share,
        **SLO,
    )
    assert result.required_rps == pytest.approx(60.0)
    _check_fleet(result.fleet, 40.0, 60.0)
    shares = result.fleet.vendor_capacity_share
    assert len(shares) >= 2 and sum(shares.values()) == pytest.approx(1.0)
    for vendor, fraction in shares.items():
        assert fraction <= share + 1e-6, vendor
    if result.fleet.layout == "colocated":  # each entry's capacity is its vendor's share
        for vendor, fraction in shares.items():
            served = sum(e.capacity_rps for e in result.fleet.entries if e.vendor == vendor)
            assert fraction == pytest.approx(served / result.fleet.capacity_rps)
    assert result.unconstrained is not None
    assert result.unconstrained.usd_per_hour <= result.fleet.usd_per_hour + 1e-9
    assert result.unconstrained.usd_per_hour <= result.single_type.usd_per_hour + 1e-9
    assert len(result.single_type.entries) == 1


def test_single_type_is_cheapest_single_type() -> None:
    result = plan_serving("llama-3.1-8b", catalog=tiny_catalog(), rate_rps=20.0, **SLO)
    _check_fleet(result.fleet, 20.0, 20.0)
    _check_fleet(result.single_type, 20.0, 20.0)
    assert result.fleet.usd_per_hour <= result.single_type.usd_per_hour + 1e-9
    assert result.savings_pct == pytest.approx(
        (result.single_type.usd_per_hour - result.fleet.usd_per_hour)
        / result.single_type.usd_per_hour
        * 100
    )
    entry = result.single_type.entries[0]
    needed = -(-20.0 // entry.capacity_rps_per_replica)  # ceil
    assert entry.replicas >= needed


def test_regions_filter_applies_to_fleet() -> None:
    catalog = load_catalog()
    result = plan_serving(
        "llama-3.1-8b",
        catalog=catalog,
        rate_rps=10.0,
        filters=OfferingFilter(regions=("eu",)),
        **SLO,
    )
    for fleet in (result.fleet, result.single_type):
        for e in fleet.entries:
            region = catalog.region(e.provider, e.region)
            assert region is not None and (region.eu or region.eea)


def test_infeasible_messages() -> None:
    with pytest.raises(InfeasibleError, match=r"^ttft_p99_ms=1: the lowest p99 TTFT"):
        plan_serving(
            "llama-3.1-8b",
            catalog=tiny_catalog(),
            rate_rps=1.0,
            input_tokens=1024,
            output_tokens=16,
            ttft_p99_ms=1.0,
            tpot_p99_ms=1000.0,
        )
    with pytest.raises(InfeasibleError, match=r"max_vendor_share=0\.2: needs at least 5 vendors"):
        plan_serving(
            "llama-3.1-8b", catalog=tiny_catalog(), rate_rps=1.0, max_vendor_share=0.2, **SLO
        )


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match=r"^rate_rps"):
        plan_serving("llama-3.1-8b", catalog=tiny_catalog(), rate_rps=0.0, **SLO)
    with pytest.raises(InputError, match=r"^peak_to_mean"):
        plan_serving("llama-3.1-8b", catalog=tiny_catalog(), rate_rps=1.0, peak_to_mean=0.5, **SLO)
    with pytest.raises(InputError, match=r"^max_vendor_share"):
        plan_serving(
            "llama-3.1-8b", catalog=tiny_catalog(), rate_rps=1.0, max_vendor_share=1.5, **SLO
        )
