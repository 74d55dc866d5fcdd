"""A chip architecture's own compute fraction: fitted relative to its family's most-measured
architecture, shipped as a scale and applied by ``efficiency_for``."""

from __future__ import annotations

import math
from collections import Counter

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving_efficiency import (
    FRACTION_RANGE,
    architecture_lineage,
    architecture_scales,
    efficiency_for,
    scaled_architecture,
)
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_calibration import (
    ARCH_PARAMS,
    MIN_CASES,
    PRIOR_SD,
    ServingCalibration,
    _layout,
    _prior,
    prior_params,
)
from xpuplan.validation.run import bundled_case_files

CATALOG = load_catalog()
PREPARED = ServingCalibration(CATALOG).prepare(
    [c for f in bundled_case_files() for c in load_cases(f) if c.kind == "infer"]
)


def test_each_family_keeps_its_most_measured_architecture_as_reference() -> None:
    layout = _layout(PREPARED)
    counts: dict[str, Counter[str]] = {}
    for p in PREPARED:
        counts.setdefault(p.accelerator.vendor_family, Counter())[p.accelerator.generation] += 1
    for family, archs in counts.items():
        reference = max(sorted(archs), key=lambda a: archs[a])
        assert reference not in layout.archs, family
    for arch in layout.archs:
        assert sum(c[arch] for c in counts.values()) >= MIN_CASES
    # the public set measures L40S (Ada Lovelace) and B200 (Blackwell) beside Hopper
    assert {"Ada Lovelace", "Blackwell"} <= set(layout.archs)
    assert "Hopper" not in layout.archs


def test_architecture_offsets_have_the_cell_prior() -> None:
    layout = _layout(PREPARED)
    _, sd = _prior(layout)
    tail = sd[layout.size - len(ARCH_PARAMS) * len(layout.archs) :]
    assert len(tail) == len(ARCH_PARAMS) * len(layout.archs)
    assert set(tail.tolist()) == {PRIOR_SD["arch"]}


def test_an_architecture_offset_moves_only_its_own_chips() -> None:
    base = prior_params()
    params = type(base)(glob=base.glob, arch={"Ada Lovelace": {"compute_fraction": math.log(0.5)}})
    hopper = params.value("compute_fraction", "nvidia", 2025, None, "Hopper")
    ada = params.value("compute_fraction", "nvidia", 2025, None, "Ada Lovelace")
    assert math.isclose(ada, hopper * 0.5)
    assert params.value("hbm_bw_fraction", "nvidia", 2025, None, "Ada Lovelace") == (
        params.value("hbm_bw_fraction", "nvidia", 2025, None, "Hopper")
    )


def test_shipped_scales_apply_to_their_architecture_only() -> None:
    scales = architecture_scales()
    architectures = {a.generation for a in CATALOG.accelerators}
    assert set(scales) <= architectures
    lo, hi = FRACTION_RANGE
    for arch, row in scales.items():
        for name, scale in row.items():
            plain = getattr(efficiency_for("nvidia"), name)
            scaled = getattr(efficiency_for("nvidia", architecture=arch), name)
            assert math.isclose(scaled, min(max(plain * scale, lo), hi))
    assert efficiency_for("nvidia", architecture="Hopper") == efficiency_for("nvidia")


def test_an_unmeasured_architecture_takes_its_predecessors_scales() -> None:
    # B300/GB300 (Blackwell Ultra) have no public serving case: they run Blackwell's SM and
    # kernels, so they take Blackwell's fitted scale, not the Hopper reference's
    assert "Blackwell Ultra" not in architecture_scales()
    assert architecture_lineage()["Blackwell Ultra"] == "Blackwell"
    ultra = efficiency_for("nvidia", architecture="Blackwell Ultra")
    assert ultra == efficiency_for("nvidia", architecture="Blackwell")
    assert ultra != efficiency_for("nvidia", architecture="Hopper")
    # a measured architecture keeps its own; an unknown one without lineage takes the reference
    assert scaled_architecture("Blackwell", {"Blackwell", "Hopper"}) == "Blackwell"
    assert scaled_architecture("Blackwell Ultra", {"Hopper"}) is None
    assert scaled_architecture("no such chip", {"Blackwell"}) is None
    assert scaled_architecture(None, {"Blackwell"}) is None


def test_lineage_links_catalog_architectures_of_one_family() -> None:
    family_of = {a.generation: a.vendor_family for a in CATALOG.accelerators}
    for arch, predecessor in architecture_lineage().items():
        assert arch in family_of and predecessor in family_of, arch
        assert family_of[arch] == family_of[predecessor], arch


def test_the_fit_pools_a_successor_with_its_predecessor() -> None:
    base = prior_params()
    params = type(base)(glob=base.glob, arch={"Blackwell": {"compute_fraction": math.log(0.8)}})
    ultra = params.value("compute_fraction", "nvidia", 2025, None, "Blackwell Ultra")
    blackwell = params.value("compute_fraction", "nvidia", 2025, None, "Blackwell")
    assert ultra == blackwell
