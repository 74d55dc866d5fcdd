"""Device memory of GDDR6 boards: in-band ECC holds 1/16 of the DRAM.

nvidia-smi reports 46,068 MiB on a 48 GB L40S (and A40) with ECC on, the data-center default:
48 GiB x 15/16 = 46,080 MiB less 12 MiB of driver reserve. HBM boards keep ECC in extra bits and
report their full size (H100 SXM 80 GB: 81,559 MiB).
"""

from __future__ import annotations

import pytest

from test_serving import IDEAL
from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import estimate_serving
from xpuplan.perf.serving.candidates import INLINE_ECC_USABLE, memory_gb

CATALOG = load_catalog()
MIB = 2**20
GIB = 2**30


def test_l40s_memory_matches_nvidia_smi() -> None:
    """45 GiB usable: within 12 MiB of the 46,068 MiB nvidia-smi reports."""
    l40s = CATALOG.accelerator("nvidia-l40s")
    assert memory_gb(l40s) == pytest.approx(45.0)
    assert abs(memory_gb(l40s) * GIB / MIB - 46_068) <= 12
    assert memory_gb(CATALOG.accelerator("nvidia-l4")) == pytest.approx(22.5)  # 23,034 MiB


@pytest.mark.parametrize("accelerator_id", ["nvidia-h100-sxm", "nvidia-h200-sxm", "amd-mi300x"])
def test_hbm_boards_keep_their_size(accelerator_id: str) -> None:
    acc = CATALOG.accelerator(accelerator_id)
    assert memory_gb(acc) == acc.hbm_gb


def test_inline_ecc_share_is_one_sixteenth() -> None:
    """2 check bytes per 32 data bytes, stored in the same DRAM."""
    check_share = 1.0 - INLINE_ECC_USABLE
    assert check_share == pytest.approx(2 / 32)


def test_kv_budget_on_l40s_by_hand() -> None:
    """Llama 3.1 8B bf16 on one L40S: weights 8.03e9 x 2 B = 14.96 GiB; KV budget
    0.9 x (45 - 14.96 - 3) = 24.34 GiB (not 0.9 x (48 - ...) = 27.04 GiB)."""
    e = estimate_serving(
        get_preset("llama-3.1-8b"), CATALOG.accelerator("nvidia-l40s"), count=1, tp=1,
        input_len=128, output_len=128, batch=1, batching="static", efficiency=IDEAL,
    )  # fmt: skip
    weights_gib = 8_030_261_248 * 2 / GIB
    assert e.memory_gb_per_chip["hbm"] == pytest.approx(45.0)
    assert e.memory_gb_per_chip["kv_budget"] == pytest.approx(
        0.9 * (45.0 - weights_gib - 3.0), rel=2e-3
    )
