"""Filters and chip counts on the tiny synthetic catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from test_plan_support import tiny_catalog
from xpuplan.errors import InfeasibleError, UnknownNameError
from xpuplan.search.filters import OfferingFilter, select_offerings, split_list
from xpuplan.search.space import chip_counts, group_hardware


def _places(flt: OfferingFilter) -> set[tuple[str, str]]:
    return {(s.offering.provider, s.offering.region) for s in select_offerings(tiny_catalog(), flt)}


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (("eu",), {("cloud1", "eu-west"), ("cloud2", "norway")}),  # EU + EEA (Norway)
        (("us",), {("cloud1", "us-east"), ("cloud3", "tpu-us")}),
        (("GB",), {("cloud2", "london")}),
        (("no",), {("cloud2", "norway")}),
        (("us-east", "cloud2:london"), {("cloud1", "us-east"), ("cloud2", "london")}),
    ],
)
def test_region_selectors(regions: tuple[str, ...], expected: set[tuple[str, str]]) -> None:
    assert _places(OfferingFilter(regions=regions)) == expected


def test_vendor_and_pricing_filters() -> None:
    assert _places(OfferingFilter(vendors=("amd",))) == {("cloud2", "norway")}
    assert ("cloud2", "norway") not in _places(OfferingFilter(exclude_vendors=("AMD",)))
    assert _places(OfferingFilter(pricing="spot")) == {("cloud1", "us-east"), ("cloud2", "norway")}


def test_filter_errors() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'cloud1'"):
        select_offerings(tiny_catalog(), OfferingFilter(providers=("clod1",)))
    with pytest.raises(UnknownNameError, match="region"):
        select_offerings(tiny_catalog(), OfferingFilter(regions=("mars-1",)))
    with pytest.raises(InfeasibleError, match="regions=eu: removes the last offerings"):
        select_offerings(
            tiny_catalog(), OfferingFilter(regions=("eu",), pricing="spot", vendors=("nvidia",))
        )


def test_split_list() -> None:
    assert split_list(["a,b", " c "]) == ("a", "b", "c")
    assert split_list(None) == ()


def test_chip_counts_ladder_and_slices() -> None:
    assert chip_counts(8, None, 100).tolist() == [8, 16, 24, 32, 48, 64, 96]
    assert chip_counts(1, (8, 16, 32, 64), 40).tolist() == [8, 16, 32]
    assert chip_counts(4, None, 3).tolist() == []


def test_group_hardware_merges_regions() -> None:
    cat = tiny_catalog()
    sel = select_offerings(cat, OfferingFilter())
    groups = group_hardware(cat, sel, max_chips=64)
    by_acc = sorted((g.accelerator.id, g.chips_per_instance, len(g.members)) for g in groups)
    # gpu-a x8 in two regions is one hardware group.
    assert by_acc == [("gpu-a", 1, 1), ("gpu-a", 8, 2), ("gpu-b", 8, 1), ("tpu-c", 1, 1)]
    assert all(g.max_chips == 64 for g in groups)


def test_offerings_without_a_network_figure_stay_inside_one_domain() -> None:
    """Inter-instance traffic cannot be costed without a scale-out figure: cap at one domain."""
    cat = tiny_catalog()
    gpu_a = cat.accelerator("gpu-a")
    no_net = gpu_a.model_copy(update={"scaleout_gbits_per_s_per_chip": None})
    cat = replace(
        cat, accelerators=tuple(no_net if a.id == "gpu-a" else a for a in cat.accelerators)
    )
    groups = group_hardware(cat, select_offerings(cat, OfferingFilter()), max_chips=64)
    caps = {(g.accelerator.id, g.chips_per_instance): g.max_chips for g in groups}
    domain = gpu_a.scaleup_domain_chips
    assert caps[("gpu-a", 1)] == min(64, max(1, domain))
    assert caps[("gpu-a", 8)] == min(64, max(8, domain))
    assert caps[("gpu-b", 8)] == 64  # gpu-b keeps its network figure
