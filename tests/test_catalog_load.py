"""load_catalog: bundled data, override files, the environment variable and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from xpuplan.catalog.load import check_catalog_file, load_catalog
from xpuplan.errors import CatalogError, InputError

# Every accelerator id used by shared/validation/public.yaml must resolve.
VALIDATION_IDS = (
    "nvidia-a100-40gb-sxm",
    "nvidia-a100-80gb-sxm",
    "nvidia-h100-sxm",
    "nvidia-h100-pcie",
    "nvidia-h100-nvl",
    "nvidia-h200-sxm",
    "nvidia-b200",
    "nvidia-gb200",
    "nvidia-gh200",
    "nvidia-l40s",
    "amd-mi300x",
    "google-tpu-v4",
    "google-tpu-v5e",
    "google-tpu-v5p",
    "google-tpu-v6e",
    "aws-trainium1",
    "aws-inferentia2",
)

ACCEL_ROW = """
accelerators:
  - id: test-chip
    vendor: Other
    family: Test
    generation: T1
    name: Test chip
    bf16_dense_tflops: {bf16}
    hbm_gb: {hbm}
    hbm_tbps: 1.0
    scaleup_domain_chips: 8
    scaleup_topology: switched
    software_stack: other
    source: hand-written test row
    as_of: {as_of}
"""


def _write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("accelerator_id", VALIDATION_IDS)
def test_validation_ids_resolve(accelerator_id: str) -> None:
    assert load_catalog().accelerator(accelerator_id).id == accelerator_id


@pytest.mark.parametrize(
    ("accelerator_id", "bf16", "fp8"),
    [
        # NVIDIA H100 SXM datasheet prints 1,979 BF16 / 3,958 FP8 "with sparsity" -> half dense.
        ("nvidia-h100-sxm", 989, 1979),
        # ROCm docs mi300.md peak table prints dense 1307.4 BF16 / 2614.9 FP8.
        ("amd-mi300x", 1307.4, 2614.9),
        # AWS trainium2.rst: 667 BF16 / 1,299 FP8 TFLOPS.
        ("aws-trainium2", 667, 1299),
        # Google v5p doc: 459 TFLOPs BF16.
        ("google-tpu-v5p", 459, 459),
    ],
)
def test_published_dense_peaks(accelerator_id: str, bf16: float, fp8: float) -> None:
    chip = load_catalog().accelerator(accelerator_id)
    assert chip.peak_tflops("bf16") == pytest.approx(bf16)
    assert chip.peak_tflops("fp8") == pytest.approx(fp8)


def test_override_adds_and_replaces(tmp_path: Path) -> None:
    path = _write(tmp_path, ACCEL_ROW.format(bf16=100, hbm=24, as_of="2026-01-02"))
    catalog = load_catalog(extra_files=[path])
    assert catalog.accelerator("test-chip").bf16_dense_tflops == 100
    assert len(catalog.accelerators) == len(load_catalog().accelerators) + 1


def test_env_var_then_flag_later_wins(tmp_path: Path) -> None:
    first = _write(tmp_path, ACCEL_ROW.format(bf16=100, hbm=24, as_of="2026-01-02"), "a.yaml")
    second = _write(tmp_path, ACCEL_ROW.format(bf16=200, hbm=24, as_of="2026-01-02"), "b.yaml")
    catalog = load_catalog(extra_files=[second], env={"XPUPLAN_CATALOG": str(first)})
    assert catalog.accelerator("test-chip").bf16_dense_tflops == 200
    only_env = load_catalog(env={"XPUPLAN_CATALOG": str(first)})
    assert only_env.accelerator("test-chip").bf16_dense_tflops == 100


@pytest.mark.parametrize(
    ("bf16", "hbm", "as_of", "pattern"),
    [
        (
            5e6,
            24,
            "2026-01-02",
            r"field 'bf16_dense_tflops' = 5000000.0: Input should be less than or equal to 20000",
        ),
        (100, 0, "2026-01-02", r"field 'hbm_gb' = 0: Input should be greater than 0"),
        (100, 24, "2026-13-45", r"field 'as_of' = '2026-13-45'.*YYYY-MM-DD"),
    ],
)
def test_bad_rows_name_file_row_field_value(
    tmp_path: Path, bf16: float, hbm: float, as_of: str, pattern: str
) -> None:
    path = _write(tmp_path, ACCEL_ROW.format(bf16=bf16, hbm=hbm, as_of=f"'{as_of}'"))
    with pytest.raises(
        CatalogError, match=r"extra\.yaml: accelerators\[0\] \(test-chip\): " + pattern
    ):
        load_catalog(extra_files=[path])


def test_missing_file_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InputError, match=r"catalog file '.*nope\.yaml' does not exist"):
        load_catalog(extra_files=[missing])


def test_check_reports_every_problem(tmp_path: Path) -> None:
    text = ACCEL_ROW.format(bf16=5e6, hbm=0, as_of="2026-01-02").replace(
        "    source: hand-written test row\n", ""
    )
    problems = check_catalog_file(_write(tmp_path, text))
    fields = sorted(p.field or "" for p in problems)
    assert fields == ["bf16_dense_tflops", "hbm_gb", "source"]
