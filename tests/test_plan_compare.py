"""compare_options and the option syntax."""

from __future__ import annotations

import pytest

from test_plan_support import tiny_catalog
from xpuplan.errors import InfeasibleError, InputError, UnknownNameError
from xpuplan.plan import compare_options, parse_option, plan_training
from xpuplan.search.filters import OfferingFilter

MODEL = "llama-3.1-8b"


def test_parse_option() -> None:
    o = parse_option("aws:p5.48xlarge@us-east-1 x8 pricing=spot tp=8 pp=2")
    assert (o.provider, o.instance, o.region, o.instances, o.pricing) == (
        "aws",
        "p5.48xlarge",
        "us-east-1",
        8,
        "spot",
    )
    assert o.layout == (("tp", "8"), ("pp", "2"))
    assert parse_option("gcp:v5p-slice x256").instances == 256
    assert parse_option("cloud1:a8").instances == 1
    with pytest.raises(InputError, match="cannot read"):
        parse_option("aws p5")
    with pytest.raises(UnknownNameError, match="option key"):
        parse_option("aws:p5.48xlarge x8 speed=1")


def test_option_pins_every_layout_knob_the_grid_takes() -> None:
    """dp and virtual_pp pin the planner's grid like the other knobs (one layout space)."""
    catalog = tiny_catalog()
    pinned = compare_options(
        MODEL, "50B", ["cloud1:a8 x2 tp=2 dp=4 virtual_pp=1"], catalog=catalog, seq_len=2048
    )
    layout = pinned.plans[0].layout
    assert (layout.tp, layout.dp, layout.virtual_pp) == (2, 4, 1)
    assert layout.devices == 16


def test_compare_two_options_by_hand() -> None:
    catalog = tiny_catalog()
    result = compare_options(
        MODEL, "50B", ["cloud1:a8 x2", "cloud2:b8 x2"], catalog=catalog, seq_len=2048
    )
    a, b = result.plans
    assert (a.instance, a.region, a.chips) == ("a8", "us-east", 16)  # cheapest region of a8
    assert (b.instance, b.chips) == ("b8", 16)
    rel = result.relative_pct[1]
    assert rel["cost_usd"] == pytest.approx((b.cost_usd / a.cost_usd - 1) * 100)
    assert rel["wall_time_s"] == pytest.approx((b.wall_time_s / a.wall_time_s - 1) * 100)
    assert result.relative_pct[0]["cost_usd"] == 0.0
    alone = compare_options(MODEL, "50B", ["cloud2:b8 x2"], catalog=catalog, seq_len=2048)
    assert alone.plans[0].step_time_s == b.step_time_s  # no state leaks between options
    # Same run through the planner restricted to that offering and chip count: same answer.
    planned = plan_training(
        MODEL,
        "50B",
        catalog=catalog,
        seq_len=2048,
        max_chips=16,
        filters=OfferingFilter(regions=("us-east",), accelerators=("gpu-a",)),
        objective="time",
        deadline="1000d",
    )
    fastest_16 = [p for p in planned.pareto if p.chips == 16]
    assert fastest_16 and fastest_16[0].step_time_s == pytest.approx(a.step_time_s)


def test_pinned_layout_and_errors() -> None:
    catalog = tiny_catalog()
    result = compare_options(
        MODEL, "50B", ["cloud1:a8 x2 tp=2 pp=1 zero=3"], catalog=catalog, seq_len=2048
    )
    layout = result.plans[0].layout
    assert (layout.tp, layout.pp, layout.dp, layout.zero) == (2, 1, 8, 3)
    with pytest.raises(InfeasibleError, match="no spot price"):
        compare_options(MODEL, "50B", ["cloud2:a1 x2"], catalog=catalog, pricing="spot")
    with pytest.raises(InputError, match="not a slice size"):
        compare_options(MODEL, "50B", ["cloud3:c-slice x12"], catalog=catalog)
    with pytest.raises(UnknownNameError, match="did you mean 'cloud1:a8'"):
        compare_options(MODEL, "50B", ["cloud1:a9 x1"], catalog=catalog)
    with pytest.raises(UnknownNameError, match="region"):
        compare_options(MODEL, "50B", ["cloud1:a8@mars x1"], catalog=catalog)
