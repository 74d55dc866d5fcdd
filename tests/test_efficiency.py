"""Efficiency table look-up and the GEMM-microbenchmark scaling of unfitted chips.

Hand computations use the published GEMM numbers typed here from their sources (SemiAnalysis
2024-12-22: H100 ~720 of 989.5, MI300X ~620 of 1,307 BF16 TFLOP/s; AMD MAF 2025-02-28: MI300X
708, MI325X 843 of 1,307.4), never the code's own earlier output.
"""

from __future__ import annotations

import statistics
from importlib import resources
from typing import Any

import pytest
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError
from xpuplan.perf.efficiency import (
    EfficiencyParams,
    GemmMeasurement,
    gemm_fraction_ratio,
    load_efficiency,
    load_gemm_microbenchmarks,
    parse_efficiency_table,
    parse_gemm_microbenchmarks,
    with_gemm_scaling,
)

SEMI_H100 = 720 / 989.5
SEMI_MI300X = 620 / 1307
MAF_MI300X = 708 / 1307.4
MAF_MI325X = 843 / 1307.4


def _fitted_only() -> Any:
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/training_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_efficiency_table(yaml.safe_load(text))


# ---- the bundled GEMM table


def test_gemm_table_rows_have_provenance_and_match_the_catalog() -> None:
    rows = load_gemm_microbenchmarks()
    catalog = load_catalog()
    assert len(rows) >= 6
    for row in rows:
        assert row.source.strip() and row.as_of.strip(), row
        assert 0.0 < row.fraction_of_peak <= 1.0
        acc = catalog.accelerator(row.accelerator)
        assert acc.vendor_family == row.vendor_family
        catalog_peak = acc.peak_tflops("bf16" if row.precision == "fp16" else row.precision)
        assert catalog_peak is not None
        assert row.peak_tflops == pytest.approx(catalog_peak, rel=0.01)


def test_gemm_rows_are_microbenchmarks_of_dense_peaks() -> None:
    # The AMD chips sit well below the H100 fraction in the like-for-like study (the point of
    # the table), and FP8 fractions are below BF16 ones on every chip that has both.
    rows = {
        (r.study, r.accelerator, r.precision): r.fraction_of_peak
        for r in load_gemm_microbenchmarks()
    }
    semi = "semianalysis-2024-12"
    assert rows[(semi, "amd-mi300x", "bf16")] < rows[(semi, "nvidia-h100-sxm", "bf16")]
    for (study, acc, prec), value in rows.items():
        if prec == "fp8" and (study, acc, "bf16") in rows:
            assert value < rows[(study, acc, "bf16")]


# ---- derived values of unseen chips follow the documented formula


def _without_amd_cases() -> Any:
    """The shipped table as if no AMD training case existed (AMD chips and family removed),
    GEMM-scaled: the situation of any vendor whose chips have no public training run."""
    raw = yaml.safe_load(
        resources.files("xpuplan.perf")
        .joinpath("data/training_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    raw["families"].pop("amd", None)
    raw["accelerators"] = {a: v for a, v in raw["accelerators"].items() if v["family"] != "amd"}
    raw["public_cases"] = {a: n for a, n in raw["public_cases"].items() if a in raw["accelerators"]}
    return with_gemm_scaling(parse_efficiency_table(raw), load_gemm_microbenchmarks())


def test_mi300x_is_the_mi325x_fit_scaled_by_same_study_gemm_ratio() -> None:
    # MI325X has measured runs (AMD's Primus results): MI300X, without any, is scaled from it
    # through the AMD MAF study that measured both, and takes the AMD family's other values.
    table = load_efficiency()
    mi325x = table.accelerators["amd-mi325x"].matmul_eff_max
    got = table.for_accelerator("amd-mi300x", "amd")
    assert got.matmul_eff_max == pytest.approx(mi325x * MAF_MI300X / MAF_MI325X, rel=1e-9)
    assert {k: v for k, v in got.to_dict().items() if k != "matmul_eff_max"} == {
        k: v for k, v in table.families["amd"].to_dict().items() if k != "matmul_eff_max"
    }
    assert table.rule("amd-mi300x", "amd").startswith("gemm-scaled")


def test_without_amd_runs_mi300x_is_h100_fit_scaled_by_same_study_gemm_ratio() -> None:
    table = _without_amd_cases()
    h100 = table.accelerators["nvidia-h100-sxm"].matmul_eff_max
    got = table.for_accelerator("amd-mi300x", "amd")
    assert got.matmul_eff_max == pytest.approx(h100 * SEMI_MI300X / SEMI_H100, rel=1e-9)
    # no fitted AMD family: every other field is the default's
    assert {k: v for k, v in got.to_dict().items() if k != "matmul_eff_max"} == {
        k: v for k, v in table.default.to_dict().items() if k != "matmul_eff_max"
    }
    assert table.rule("amd-mi300x", "amd").startswith("gemm-scaled")


def test_without_amd_runs_mi325x_chains_through_mi300x() -> None:
    table = _without_amd_cases()
    h100 = table.accelerators["nvidia-h100-sxm"].matmul_eff_max
    expected = h100 * (MAF_MI325X / MAF_MI300X) * (SEMI_MI300X / SEMI_H100)
    assert table.for_accelerator("amd-mi325x", "amd").matmul_eff_max == pytest.approx(expected)


def test_without_amd_runs_an_unmeasured_amd_chip_takes_the_family_median() -> None:
    table = _without_amd_cases()
    values = [table.for_accelerator(a, "amd").matmul_eff_max for a in ("amd-mi300x", "amd-mi325x")]
    got = table.for_accelerator("amd-mi355x", "amd")
    assert got.matmul_eff_max == pytest.approx(statistics.median(values))
    assert table.rule("amd-mi355x", "amd").startswith("family-gemm")


def test_an_amd_chip_without_runs_or_gemm_link_takes_the_fitted_family() -> None:
    table = load_efficiency()
    assert table.for_accelerator("amd-mi350x", "amd") == table.families["amd"]
    assert table.rule("amd-mi350x", "amd") == "family"


def test_chips_with_measured_runs_are_fitted_not_scaled() -> None:
    # H200, Trainium2, MI325X and MI355X have measured runs (MLPerf v4.0 LoRA, AXLearn, AMD's
    # Primus results): fitted values.
    table = load_efficiency()
    assert table.rule("nvidia-h200-sxm", "nvidia") == "fitted"
    assert table.rule("aws-trainium2", "aws") == "fitted"
    assert table.rule("amd-mi325x", "amd") == "fitted"
    assert table.rule("amd-mi355x", "amd") == "fitted"


@pytest.mark.parametrize(
    ("acc", "family", "rule"),
    [
        ("nvidia-b300", "nvidia", "family"),  # no like-for-like link to a fitted chip
        ("google-tpu7x-ironwood", "tpu", "family"),
        ("intel-gaudi3", "intel", "family"),
    ],
)
def test_chips_without_a_gemm_link_keep_the_old_rule(acc: str, family: str, rule: str) -> None:
    table, fitted = load_efficiency(), _fitted_only()
    assert table.for_accelerator(acc, family) == fitted.for_accelerator(acc, family)
    assert table.rule(acc, family) == rule


# ---- fitted chips are unchanged


def test_chips_with_public_cases_keep_their_fitted_values() -> None:
    table, fitted = load_efficiency(), _fitted_only()
    assert set(table.public_cases) >= set(table.accelerators)
    for acc_id in table.public_cases:
        family = load_catalog().accelerator(acc_id).vendor_family
        assert table.for_accelerator(acc_id, family) == fitted.for_accelerator(acc_id, family)
        assert table.rule(acc_id, family) in ("fitted", "family")


# ---- the mechanism on a synthetic table


def _row(study: str, acc: str, fraction: float, family: str = "x") -> GemmMeasurement:
    return GemmMeasurement(
        study, acc, family, "bf16", 100.0 * fraction, 100.0, "s", "sw", "src", "2025-01-01"
    )


def _table(**accelerators: float) -> Any:
    return parse_efficiency_table(
        {
            "default": {"matmul_eff_max": 0.5},
            "families": {"x": {"matmul_eff_max": 0.6, "tp_overlap": 0.2}},
            "accelerators": {
                a: {"family": "x", "matmul_eff_max": v} for a, v in accelerators.items()
            },
            "public_cases": {**dict.fromkeys(accelerators, 10), "seen": 3},
        }
    )


def test_synthetic_chain_cap_and_public_case_exclusion() -> None:
    rows = [
        _row("s1", "ref", 0.8),
        _row("s1", "a", 0.4),
        _row("s2", "a", 0.5),
        _row("s2", "b", 1.0),  # b / ref = (1.0 / 0.5) * (0.4 / 0.8) = 1.0
        _row("s3", "b", 1.0),
        _row("s3", "c", 1.0),  # c / ref = 1.0 -> eff 0.9 x 1.0
        _row("s4", "ref", 0.4),
        _row("s4", "big", 0.8),  # 0.9 x 2 is capped at 1
        _row("s1", "seen", 0.1),  # has public cases: keeps the family value
        _row("s5", "lonely", 0.7),  # no link
    ]
    table = with_gemm_scaling(_table(ref=0.9), rows)
    assert table.for_accelerator("a", "x").matmul_eff_max == pytest.approx(0.45)
    assert table.for_accelerator("b", "x").matmul_eff_max == pytest.approx(0.9)
    assert table.for_accelerator("c", "x").matmul_eff_max == pytest.approx(0.9)
    assert table.for_accelerator("big", "x").matmul_eff_max == 1.0
    assert table.for_accelerator("seen", "x").matmul_eff_max == 0.6
    assert table.for_accelerator("lonely", "x").matmul_eff_max == 0.6
    assert table.for_accelerator("a", "x").tp_overlap == 0.2  # family values otherwise
    link = gemm_fraction_ratio("c", ["ref"], rows)
    assert link is not None and len(link.path) == 3


def test_synthetic_unfitted_family_median_and_geometric_mean_over_studies() -> None:
    rows = [
        _row("s1", "ref", 0.8),
        _row("s1", "y1", 0.4, "y"),
        _row("s2", "ref", 0.5),
        _row("s2", "y1", 0.4, "y"),  # y1 / ref = sqrt(0.5 * 0.8)
        _row("s1", "y2", 0.6, "y"),
        _row("s1", "y3", 0.8, "y"),
    ]
    table = with_gemm_scaling(_table(ref=0.5), rows)
    y1 = table.for_accelerator("y1", "y").matmul_eff_max
    assert y1 == pytest.approx(0.5 * (0.5 * 0.8) ** 0.5)
    expected = statistics.median([y1, 0.5 * 0.6 / 0.8, 0.5 * 0.8 / 0.8])
    assert table.for_accelerator("y9", "y").matmul_eff_max == pytest.approx(expected)
    assert table.for_accelerator("y9", "y").tp_overlap == EfficiencyParams().tp_overlap
    assert table.for_accelerator("z1", "z").matmul_eff_max == 0.5  # default


# ---- bad input


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"source": ""}, "source"),
        ({"as_of": None}, "as_of"),
        ({"achieved_tflops": 1200, "peak_tflops": 1000}, "achieved <= peak"),
    ],
)
def test_bad_gemm_rows_are_rejected(change: dict[str, Any], match: str) -> None:
    row = {
        "study": "s",
        "accelerator": "a",
        "vendor_family": "x",
        "precision": "bf16",
        "achieved_tflops": 700,
        "peak_tflops": 1000,
        "shape": "8192^3",
        "software": "lib",
        "source": "https://example.org",
        "as_of": "2025-01-01",
    }
    with pytest.raises(InputError, match=match):
        parse_gemm_microbenchmarks({"measurements": [{**row, **change}]})


def test_bad_public_cases_are_rejected() -> None:
    with pytest.raises(InputError, match="public_cases"):
        parse_efficiency_table({"default": {}, "public_cases": {"a": -1}})
