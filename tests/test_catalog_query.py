"""catalog.query on a tiny synthetic catalog: filters, sorting, records and unknown names."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.query import (
    CatalogQuery,
    accelerator_record,
    find_accelerators,
    find_offerings,
    find_regions,
    offering_record,
)
from xpuplan.catalog.schema import Accelerator, Offering, Region
from xpuplan.errors import InputError, UnknownNameError

DAY = dt.date(2026, 1, 1)


def _chip(chip_id: str, vendor: str) -> Accelerator:
    return Accelerator(
        id=chip_id,
        vendor=vendor,
        family=chip_id,
        generation="g",
        name=chip_id,
        bf16_dense_tflops=100,
        hbm_gb=80,
        hbm_tbps=2,
        scaleup_domain_chips=8,
        scaleup_topology="switched",
        software_stack="other",
        source="synthetic test row",
        as_of=DAY,
    )


def _offer(provider: str, region: str, chip_id: str, prices: dict[str, float]) -> Offering:
    return Offering(
        provider=provider,
        region=region,
        instance=f"{chip_id}-x8",
        accelerator_id=chip_id,
        chips_per_instance=8,
        usd_per_hour=prices,
        source="synthetic test row",
        as_of=DAY,
    )


def _region(provider: str, code: str, country: str, eu: bool) -> Region:
    return Region(
        provider=provider,
        code=code,
        country=country,
        eu=eu,
        eea=eu,
        source="synthetic test row",
        as_of=DAY,
    )


CATALOG = Catalog(
    accelerators=(_chip("nv-a", "NVIDIA"), _chip("amd-b", "AMD"), _chip("tpu-c", "Google")),
    offerings=(
        _offer("aws", "us-east-1", "nv-a", {"on_demand": 80.0, "spot": 20.0}),
        _offer("gcp", "europe-west4", "nv-a", {"on_demand": 64.0}),
        _offer("azure", "westeurope", "amd-b", {"spot": 16.0}),
        _offer("gcp", "us-central1", "tpu-c", {"on_demand": 8.0}),
    ),
    regions=(
        _region("aws", "us-east-1", "US", False),
        _region("gcp", "europe-west4", "NL", True),
        _region("azure", "westeurope", "NL", True),
        _region("gcp", "us-central1", "US", False),
    ),
)


def _keys(query: CatalogQuery) -> list[str]:
    return [f"{r.offering.provider}:{r.offering.region}" for r in find_offerings(CATALOG, query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Cheapest per chip-hour first: 8/8=1.0, 64/8=8.0, 80/8=10.0.
        (CatalogQuery(), ["gcp:us-central1", "gcp:europe-west4", "aws:us-east-1"]),
        (CatalogQuery(pricing="spot"), ["azure:westeurope", "aws:us-east-1"]),
        (CatalogQuery(vendor="nvidia"), ["gcp:europe-west4", "aws:us-east-1"]),
        (CatalogQuery(vendor="tpu"), ["gcp:us-central1"]),
        (CatalogQuery(region="eu"), ["gcp:europe-west4"]),
        (CatalogQuery(eu=True, pricing="any"), ["azure:westeurope", "gcp:europe-west4"]),
        (CatalogQuery(region="us"), ["gcp:us-central1", "aws:us-east-1"]),
        (CatalogQuery(region="nl", pricing="spot"), ["azure:westeurope"]),
        (CatalogQuery(region="us-east-1"), ["aws:us-east-1"]),
        (CatalogQuery(provider="gcp"), ["gcp:us-central1", "gcp:europe-west4"]),
        (CatalogQuery(max_usd_per_chip_hour=8.0), ["gcp:us-central1", "gcp:europe-west4"]),
        (CatalogQuery(accelerator="amd-b"), []),
        (CatalogQuery(accelerator="amd-b", pricing="any"), ["azure:westeurope"]),
    ],
)
def test_offering_filters(query: CatalogQuery, expected: list[str]) -> None:
    assert _keys(query) == expected


def test_any_pricing_picks_the_cheapest_model() -> None:
    rows = find_offerings(CATALOG, CatalogQuery(provider="aws", pricing="any"))
    assert [(r.pricing, r.usd_per_chip_hour) for r in rows] == [("spot", 2.5)]


def test_accelerators_sorted_and_filtered_by_offerings() -> None:
    assert [a.id for a in find_accelerators(CATALOG, CatalogQuery())] == ["amd-b", "tpu-c", "nv-a"]
    assert [a.id for a in find_accelerators(CATALOG, CatalogQuery(region="eu"))] == ["nv-a"]


def test_regions_filtered_by_accelerator() -> None:
    rows = find_regions(CATALOG, CatalogQuery(accelerator="nv-a"))
    assert [(r.provider, r.code) for r in rows] == [("aws", "us-east-1"), ("gcp", "europe-west4")]


@pytest.mark.parametrize(
    ("query", "pattern"),
    [
        (CatalogQuery(vendor="nvidea"), r"unknown vendor 'nvidea'; did you mean 'nvidia'"),
        (CatalogQuery(provider="gpc"), r"unknown provider 'gpc'; did you mean 'gcp'"),
        (CatalogQuery(accelerator="nv-x"), r"unknown accelerator 'nv-x'"),
        (CatalogQuery(region="europe-west9"), r"unknown region 'europe-west9'"),
        (CatalogQuery(region="ZZ"), r"unknown country 'ZZ'"),
        (CatalogQuery(pricing="ondemand"), r"unknown pricing model 'ondemand'; did you mean"),
    ],
)
def test_unknown_names(query: CatalogQuery, pattern: str) -> None:
    with pytest.raises(UnknownNameError, match=pattern):
        find_offerings(CATALOG, query)


def test_price_ceiling_must_be_positive() -> None:
    with pytest.raises(InputError, match=r"max_usd_per_chip_hour: -1 must be > 0"):
        find_offerings(CATALOG, CatalogQuery(max_usd_per_chip_hour=-1))


def test_records_are_json_ready_with_iso_dates() -> None:
    (row,) = find_offerings(CATALOG, CatalogQuery(provider="aws"))
    record = offering_record(row)
    assert record["as_of"] == "2026-01-01"
    assert record["usd_per_chip_hour"] == 10.0
    assert record["region_country"] == "US"
    json.dumps(record)
    assert accelerator_record(CATALOG.accelerator("tpu-c"))["vendor_family"] == "tpu"
