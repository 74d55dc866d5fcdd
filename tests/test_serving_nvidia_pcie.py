"""PCIe cards without their optional NVLink bridge: tensor parallelism over PCIe.

An H100 PCIe card links to one neighbour only through an NVLink bridge (2-way, 600 GB/s,
NVIDIA H100 PCIe product brief); a server that lists no GPU interconnect (MLPerf system JSON
``"accelerator_interconnect": "N/A"``) runs its tensor-parallel all-reduces over PCIe.
"""

from __future__ import annotations

import numpy as np
import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving import build_candidates
from xpuplan.perf.serving_efficiency import efficiency_for
from xpuplan.validation.cases import ValidationCase, load_cases
from xpuplan.validation.infer_cases import installed_accelerator, prepare_infer_case
from xpuplan.validation.run import bundled_case_files

CATALOG = load_catalog()
H100_PCIE = CATALOG.accelerator("nvidia-h100-pcie")
H100_SXM = CATALOG.accelerator("nvidia-h100-sxm")
ASUSTEK = "mlperf-inf-v4.1-llama2-70b-99-offline-asustek-esc8000a-e12-h100x8-trt"


def _case(case_id: str) -> ValidationCase:
    for path in bundled_case_files():
        for case in load_cases(path):
            if case.id == case_id:
                return case
    raise AssertionError(f"{case_id} not shipped")


def _with_interconnect(case: ValidationCase, text: str | None) -> ValidationCase:
    hardware = case.hardware.model_copy(update={"interconnect": text})
    return case.model_copy(update={"hardware": hardware})


def _tp2_link_gbytes_per_s(accelerator: object) -> float:
    cands = build_candidates(
        [accelerator],  # type: ignore[list-item]
        np.array([0]),
        np.array([2]),
        weight_precision="fp8",
        efficiency=efficiency_for("nvidia"),
    )
    return float(cands.tp_link_gbytes_per_s[0])


@pytest.mark.parametrize("stated", ["N/A", "none", "PCIe Gen5 x16"])
def test_bridge_card_without_stated_link_runs_tp_over_pcie(stated: str) -> None:
    """No bridge: a TP-2 all-reduce crosses PCIe 4.0 x16 (31.5 GB/s per direction, the
    efficiency table's ``pcie_gbytes_per_s``), not the bridge's 600 GB/s."""
    case = _with_interconnect(_case(ASUSTEK), stated)
    installed = installed_accelerator(H100_PCIE, case)
    assert installed.scaleup_domain_chips == 1
    assert _tp2_link_gbytes_per_s(H100_PCIE) > 100.0  # the catalog's bridged pair
    assert _tp2_link_gbytes_per_s(installed) == pytest.approx(
        efficiency_for("nvidia").pcie_gbytes_per_s
    )


def test_stated_bridge_is_kept() -> None:
    case = _with_interconnect(_case(ASUSTEK), "NVLink bridge, 600GB/s")
    assert installed_accelerator(H100_PCIE, case) == H100_PCIE


@pytest.mark.parametrize("stated", ["N/A", None])
def test_built_in_link_is_never_removed(stated: str | None) -> None:
    """An SXM board's NVLink is part of the board: a blank or "N/A" field keeps it."""
    case = _with_interconnect(_case(ASUSTEK), stated)
    assert installed_accelerator(H100_SXM, case) == H100_SXM


def test_published_case_reads_as_pcie() -> None:
    """ASUSTeK ESC8000A-E12 (8x H100-PCIe-80GB), MLPerf Inference v4.1: the system lists no
    GPU interconnect, so the prepared case has no scale-up pair."""
    prepared = prepare_infer_case(_case(ASUSTEK), CATALOG)
    assert prepared.case.hardware.interconnect == "N/A"
    assert prepared.accelerator.scaleup_domain_chips == 1
