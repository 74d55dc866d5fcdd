"""Plans a buyer can act on: pricing models together, capacity limits, every vendor with a plan
or a reason, energy and CO2 everywhere, SkyPilot price import (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from test_plan_support import tiny_catalog
from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import PRICING_MODELS, Offering
from xpuplan.catalog.skypilot import import_skypilot
from xpuplan.energy import PowerModel
from xpuplan.errors import InputError
from xpuplan.models.spec import ModelSpec
from xpuplan.plan import plan_serving, plan_training
from xpuplan.search.filters import OfferingFilter, select_offerings
from xpuplan.search.pricing import SpotModel, choose_pricing
from xpuplan.search.space import group_hardware
from xpuplan.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

MODEL = ModelSpec(
    name="toy-7b",
    n_layers=16,
    d_model=6144,
    n_heads=48,
    n_kv_heads=8,
    head_dim=128,
    ffn_dim=16384,
    vocab_size=32000,
)
TOKENS = 20e9
FIXTURES = Path(__file__).parent / "data" / "skypilot-v8"
SRC = Path(__file__).resolve().parents[1] / "src"
BIG_VENDORS = ("NVIDIA", "AMD", "Google", "AWS", "Intel")


def _models(**prices: float) -> np.ndarray:
    return np.array([[prices.get(m, np.nan) for m in PRICING_MODELS]], dtype=np.float64)


def _choose(allowed: tuple[str, ...], hours: float, instances: float, **prices: float) -> Any:
    return choose_pricing(
        allowed=allowed,
        price_by_model=_models(**prices),
        instances=np.array([instances]),
        wall_time_s=np.array([hours * SECONDS_PER_HOUR]),
        cb_max_instances=np.array([64.0]),
        cb_max_s=np.array([182 * SECONDS_PER_DAY]),
        spot=SpotModel(),
    )


ALL = ("on_demand", "capacity_block", "commit_1y", "commit_3y")


def test_best_pricing_takes_the_cheapest_model_within_its_limits() -> None:
    got = _choose(ALL, 100.0, 8, on_demand=10.0, capacity_block=6.0)
    assert PRICING_MODELS[int(got.model[0])] == "capacity_block"
    assert got.cost_usd[0] == pytest.approx(8 * 6.0 * 100.0)
    # 65 instances exceed the 64-instance block: on-demand it is.
    got = _choose(ALL, 100.0, 65, on_demand=10.0, capacity_block=6.0)
    assert PRICING_MODELS[int(got.model[0])] == "on_demand"
    # 200 days exceed the 182-day block: nothing but the block is priced -> no plan.
    got = _choose(ALL, 200 * 24.0, 8, capacity_block=6.0)
    assert int(got.model[0]) == -1 and got.removed_by_limits == 1


def test_commitments_charge_the_whole_term() -> None:
    short = _choose(ALL, 1_000.0, 1, on_demand=10.0, commit_1y=5.0)
    assert PRICING_MODELS[int(short.model[0])] == "on_demand"  # 5 x 8760 > 10 x 1000
    long = _choose(ALL, 6_000.0, 1, on_demand=10.0, commit_1y=5.0)
    assert PRICING_MODELS[int(long.model[0])] == "commit_1y"
    assert long.cost_usd[0] == pytest.approx(5.0 * 8_760.0)


def test_spot_only_when_allowed_and_stretched_by_preemptions() -> None:
    without = _choose(ALL, 100.0, 10, on_demand=10.0, spot=2.0)
    assert PRICING_MODELS[int(without.model[0])] == "on_demand"
    with_spot = _choose((*ALL, "spot"), 100.0, 10, on_demand=10.0, spot=2.0)
    assert PRICING_MODELS[int(with_spot.model[0])] == "spot"
    rate = 10 * 0.2 / 730.0  # restarts per hour
    lost = 0.5 + 10 / 60  # half an hour of work + 10 minutes per restart
    expected_h = 100.0 / (1 - rate * lost)
    assert with_spot.wall_time_s[0] == pytest.approx(expected_h * SECONDS_PER_HOUR)
    assert with_spot.cost_usd[0] == pytest.approx(10 * 2.0 * expected_h)
    # So many instances that restarts eat more than half the time: spot is not offered.
    huge = _choose((*ALL, "spot"), 100.0, 4_000, on_demand=10.0, spot=2.0)
    assert PRICING_MODELS[int(huge.model[0])] == "on_demand"
    with pytest.raises(InputError, match="restart_time_s"):
        SpotModel(restart_time_s=-1)


def _with(catalog: Catalog, *extra: Offering) -> Catalog:
    return Catalog(
        accelerators=catalog.accelerators,
        offerings=(*catalog.offerings, *extra),
        regions=catalog.regions,
    )


def _offering(**kw: Any) -> Offering:
    base: dict[str, Any] = {
        "provider": "cloud1",
        "region": "us-east",
        "accelerator_id": "gpu-a",
        "chips_per_instance": 8,
        "source": "synthetic",
        "as_of": dt.date(2026, 1, 1),
    }
    return Offering(**(base | kw))


def test_capacity_block_only_offering_is_planned_and_labelled() -> None:
    block = _offering(
        instance="a8-block",
        usd_per_hour={"capacity_block": 20.0},
        capacity_block_max_instances=64,
        capacity_block_max_days=182,
    )
    catalog = _with(tiny_catalog(), block)
    result = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    assert result.constraints["pricing"] == "best"
    plan = result.plans[0]
    assert (plan.instance, plan.pricing) == ("a8-block", "capacity_block")
    assert plan.instances <= 64
    assert any("no on-demand price" in n for n in plan.notes)
    only = plan_training(
        MODEL,
        TOKENS,
        catalog=catalog,
        seq_len=2048,
        max_chips=64,
        filters=OfferingFilter(pricing="on_demand"),
    )
    assert all(p.instance != "a8-block" and p.pricing == "on_demand" for p in only.plans)


def test_spot_plans_need_allow_spot_and_carry_the_overhead() -> None:
    catalog = tiny_catalog()
    plain = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    assert all(p.pricing != "spot" for p in plain.plans)
    spot = plan_training(
        MODEL,
        TOKENS,
        catalog=catalog,
        seq_len=2048,
        max_chips=64,
        filters=OfferingFilter(allow_spot=True),
        spot=SpotModel(interruptions_per_instance_month=1.0),
    )
    best = spot.plans[0]
    assert best.pricing == "spot"
    assert any("preemption overhead" in n for n in best.notes)
    assert any("interruptions per instance-month" in n for n in spot.notes)
    same = next(
        p
        for p in plain.plans
        if (p.provider, p.region, p.instance) == (best.provider, best.region, best.instance)
    )
    if same.chips == best.chips:
        assert best.wall_time_s > same.wall_time_s


def test_offering_capacity_limit_and_max_chips_lift() -> None:
    catalog = tiny_catalog()
    capped = Catalog(
        accelerators=catalog.accelerators,
        offerings=tuple(
            o.model_copy(update={"max_chips": 16}) if o.instance == "a8" else o
            for o in catalog.offerings
        ),
        regions=catalog.regions,
    )
    selected = select_offerings(capped, OfferingFilter())
    limits = {g.accelerator.id: g.max_chips for g in group_hardware(capped, selected, None)}
    assert limits["gpu-a"] >= 8 and all(
        g.max_chips == 16
        for g in group_hardware(capped, selected, None)
        if g.accelerator.id == "gpu-a" and g.chips_per_instance == 8
    )
    lifted = group_hardware(capped, selected, 256)
    assert all(g.max_chips == 256 for g in lifted if g.chips_per_instance == 8)
    result = plan_training(MODEL, TOKENS, catalog=capped, seq_len=2048, deadline="3650d")
    assert all(p.chips <= 16 for p in result.plans if p.instance == "a8")


def test_every_vendor_has_a_plan_or_a_reason() -> None:
    catalog = tiny_catalog()
    # A vendor with an accelerator but no offering, and a deadline only big clusters meet.
    result = plan_training(
        MODEL,
        TOKENS,
        catalog=catalog,
        seq_len=2048,
        max_chips=64,
        filters=OfferingFilter(regions=("us",)),
    )
    entries = {(e.group_kind, e.group): e for e in result.lock_in}
    for acc in catalog.accelerators:
        assert ("vendor", acc.vendor) in entries
        assert ("software_stack", acc.software_stack) in entries
    for e in result.lock_in:
        assert (e.plan is None) != (e.reason is None)
    amd = entries[("vendor", "AMD")]
    assert amd.plan is None and "--regions us" in (amd.reason or "")
    fastest = (
        plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64, objective="time")
        .plans[0]
        .wall_time_s
    )
    tight = plan_training(
        MODEL,
        TOKENS,
        catalog=catalog,
        seq_len=2048,
        max_chips=64,
        deadline=fastest * 1.01,
    )
    reasons = [e.reason for e in tight.lock_in if e.plan is None]
    assert any(r and "> deadline" in r for r in reasons)
    document = json.loads(json.dumps(tight.to_dict(), allow_nan=False))
    assert all(e["plan"] is not None or e["reason"] for e in document["lock_in"])


def test_pue_override_and_price_age_notes() -> None:
    catalog = tiny_catalog()
    one = plan_training(
        MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64, power=PowerModel(pue=1.0)
    )
    for p in one.plans:
        if p.energy_kwh is not None and p.it_energy_kwh is not None:
            assert p.energy_kwh == pytest.approx(p.it_energy_kwh)
    with pytest.raises(InputError, match=r"^pue: 0\.5"):
        PowerModel(pue=0.5)
    old = plan_training(MODEL, TOKENS, catalog=catalog, seq_len=2048, max_chips=64)
    # The synthetic prices are dated 2026-01-01: more than 180 days before any date after
    # 2026-06-30, which the real clock of this test run is.
    if dt.date.today() > dt.date(2026, 6, 30):
        assert any("days old" in n for p in old.plans for n in p.notes)


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_catalog()


def test_bundled_catalog_has_energy_and_capacity_everywhere(bundled: Catalog) -> None:
    for region in bundled.regions:
        assert region.pue is not None and region.grid_gco2_per_kwh is not None, region.code
        if region.pue_assumed:
            assert region.pue_source and "assumed" in region.pue_source
    offered = {o.accelerator_id for o in bundled.offerings}
    for acc in bundled.accelerators:
        if acc.id in offered:
            assert acc.tdp_w is not None, acc.id
    for o in bundled.offerings:
        assert o.max_chips is not None and o.max_chips_source, (o.provider, o.instance)
    single = [o for o in bundled.offerings if o.instance == "trn2.3xlarge"]
    assert single and all(o.training_max_chips == 1 for o in single)
    selected = select_offerings(bundled, OfferingFilter(accelerators=("aws-trainium2",)))
    one = [
        g
        for g in group_hardware(bundled, selected, 384, training=True)
        if g.chips_per_instance == 1
    ]
    assert one and all(g.max_chips == 1 for g in one)  # never 384 single-chip instances
    many = [g for g in group_hardware(bundled, selected, None) if g.chips_per_instance == 1]
    assert many and all(g.max_chips > 1 for g in many)  # serving replicas may use many
    v5e = [o for o in bundled.offerings if o.accelerator_id == "google-tpu-v5e"]
    assert v5e and all(o.allowed_chip_counts and max(o.allowed_chip_counts) > 256 for o in v5e)
    assert all(o.scaleup_domain_chips == 256 for o in v5e)


@pytest.mark.parametrize("model", ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"])
def test_default_training_plans_list_every_big_vendor(bundled: Catalog, model: str) -> None:
    result = plan_training(model, "15T", catalog=bundled)
    vendors = {e.group: e for e in result.lock_in if e.group_kind == "vendor"}
    for name in BIG_VENDORS:
        assert name in vendors and (vendors[name].plan or vendors[name].reason), name
    limits = {(o.provider, o.region, o.instance): o for o in bundled.offerings}
    plans = [*result.plans, *result.pareto, *(e.plan for e in result.lock_in if e.plan)]
    for p in plans:
        assert p.co2_kg is not None, (p.provider, p.instance)
        offering = limits[(p.provider, p.region, p.instance)]
        assert offering.max_chips is None or p.chips <= offering.max_chips


def test_default_serving_plan_lists_every_big_vendor(bundled: Catalog) -> None:
    result = plan_serving(
        "llama-3.1-70b",
        catalog=bundled,
        rate_rps=50,
        input_tokens=1024,
        output_tokens=256,
        ttft_p99_ms=800,
        tpot_p99_ms=60,
    )
    vendors = {v.group: v for v in result.vendors if v.group_kind == "vendor"}
    for name in BIG_VENDORS:
        assert name in vendors and (vendors[name].fleet or vendors[name].reason), name
    assert result.fleet.co2_kg_per_hour is not None


def test_import_skypilot_sums_gcp_parts_and_prices_tpus_per_chip(bundled: Catalog) -> None:
    result = import_skypilot(FIXTURES, bundled)
    rows = {(r["provider"], r["region"], r["instance"]): r for r in result.offerings}
    a3 = rows[("gcp", "us-central1", "a3-highgpu-8g")]
    assert a3["usd_per_hour"]["on_demand"] == pytest.approx(9.46006 + 33.60609)
    assert a3["usd_per_hour"]["spot"] == pytest.approx(2.88933 + 23.9408)
    assert "SkyPilot catalog" in a3["source"] and "on_demand" in a3["price_as_of"]
    tpu = rows[("gcp", "us-central1", "v5litepod-slice")]
    assert tpu["usd_per_hour"]["on_demand"] == pytest.approx(1.2)
    assert tpu["usd_per_hour"]["spot"] == pytest.approx(min(0.24493, 1.95941 / 8), abs=1e-6)
    ratio = next(
        c.ratio
        for c in result.changes
        if c.instance == "a3-highgpu-8g" and c.pricing == "on_demand" and c.region == "us-central1"
    )
    assert ratio == pytest.approx(87.8328 / (9.46006 + 33.60609), rel=1e-3)
    with pytest.raises(InputError, match="not a directory"):
        import_skypilot(FIXTURES / "missing", bundled)


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC), COLUMNS="200")
    code = "import sys; from xpuplan.cli import run; sys.exit(run(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def test_cli_plan_json_shows_pricing_and_every_vendor() -> None:
    done = _cli("plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["constraints"]["pricing"] == "best"
    assert all(p["pricing"] in PRICING_MODELS for p in data["plans"])
    vendors = {e["group"]: e for e in data["lock_in"] if e["group_kind"] == "vendor"}
    assert set(BIG_VENDORS) <= set(vendors)
    assert all(e["plan"] or e["reason"] for e in data["lock_in"])
    bad = _cli("plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--pue", "0.2")
    assert bad.returncode == 2 and "--pue" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_import_skypilot_writes_a_usable_override(tmp_path: Path) -> None:
    out = tmp_path / "sky.yaml"
    done = _cli("catalog", "import-skypilot", str(FIXTURES), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == "skypilot_import" and data["out"] == str(out)
    assert any(c["instance"] == "a3-highgpu-8g" for c in data["changes"])
    merged = load_catalog([out])
    row = next(
        o
        for o in merged.offerings
        if (o.provider, o.region, o.instance) == ("gcp", "us-central1", "a3-highgpu-8g")
    )
    assert row.usd_per_hour["on_demand"] == pytest.approx(9.46006 + 33.60609)
    assert "SkyPilot" in row.source
    missing = _cli("catalog", "import-skypilot", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "not a directory" in missing.stderr


def test_cli_compare_vendors_all_lists_every_vendor() -> None:
    done = _cli(
        "compare", "--model", "llama-3.1-8b", "--tokens", "1T", "--vendors", "all", "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    named = {o.removeprefix("vendor ") for o in data["options"]}
    named |= {m["option"].removeprefix("vendor ") for m in data["missing"]}
    assert set(BIG_VENDORS) <= named
    costs = [p["cost_usd"] for p in data["plans"]]
    assert costs == sorted(costs) and data["relative_pct"][0]["cost_usd"] == 0.0
    both = _cli(
        "compare", "--model", "llama-3.1-8b", "--tokens", "1T", "--vendors", "all",
        "--option", "aws:p5.48xlarge x8",
    )  # fmt: skip
    assert both.returncode == 2 and "--vendors and --option" in both.stderr


def test_max_chips_adds_tpu_slices_over_dcn(bundled: Catalog) -> None:
    selected = select_offerings(bundled, OfferingFilter(accelerators=("google-tpu-v5p",)))
    default = group_hardware(bundled, selected, None)
    assert all(max(g.allowed_chip_counts or (0,)) == 4 * 6144 for g in default)
    assert all(g.scaleup_domain_chips == 6144 for g in default)
    assert all(g.network_gbits_per_s_per_chip == 50 for g in default)  # DCN per chip
    lifted = group_hardware(bundled, selected, 8 * 6144)
    assert all(8 * 6144 in (g.allowed_chip_counts or ()) for g in lifted)


def test_html_report_lists_reasons_and_pricing() -> None:
    from xpuplan.report import render_html

    result = plan_training(
        MODEL,
        TOKENS,
        catalog=tiny_catalog(),
        seq_len=2048,
        max_chips=64,
        filters=OfferingFilter(regions=("us",)),
    ).to_dict()
    amd = next(e for e in result["lock_in"] if e["group"] == "AMD")
    amd["reason"] = "<b>no AMD</b> & co"  # user-facing text must be escaped
    page = render_html(result)
    assert "no plan: &lt;b&gt;no AMD&lt;/b&gt; &amp; co" in page
    assert "<b>no AMD</b>" not in page
    assert f">{result['plans'][0]['pricing']}<" in page
