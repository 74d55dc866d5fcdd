"""load_catalog: bundled data, override files, the environment variable and error messages."""

from __future__ import annotations

import json
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


OFFERING_ROW = """
offerings:
  - provider: aws
    region: us-east-1
    instance: p5.48xlarge
    accelerator_id: {accelerator}
    chips_per_instance: 8
    usd_per_hour: {{on_demand: {price}}}
    source: my negotiated contract
    as_of: 2026-10-01
"""


def test_offering_override_replaces_the_bundled_row(tmp_path: Path) -> None:
    path = _write(tmp_path, OFFERING_ROW.format(accelerator="nvidia-h100-sxm", price=40.0))
    catalog = load_catalog(extra_files=[path])
    (row,) = [
        o
        for o in catalog.offerings
        if (o.provider, o.region, o.instance) == ("aws", "us-east-1", "p5.48xlarge")
    ]
    assert row.usd_per_hour == {"on_demand": 40.0}
    assert row.source == "my negotiated contract"
    assert len(catalog.offerings) == len(load_catalog().offerings)


def test_region_override_adds_a_row(tmp_path: Path) -> None:
    text = """
regions:
  - provider: onprem
    code: basement
    country: DE
    eu: true
    eea: true
    grid_gco2_per_kwh: 380
    source: my utility bill 2026
    as_of: 2026-09-30
"""
    catalog = load_catalog(extra_files=[_write(tmp_path, text)])
    region = catalog.region("onprem", "basement")
    assert region is not None and region.grid_gco2_per_kwh == 380


@pytest.mark.parametrize(
    ("accelerator", "price", "pattern"),
    [
        (
            "nvidia-h10",
            40.0,
            r"offerings\[0\] \(aws/us-east-1/p5.48xlarge\): field 'accelerator_id' = 'nvidia-h10'"
            r": unknown accelerator.*did you mean",
        ),
        (
            "nvidia-h100-sxm",
            -3.0,
            r"offerings\[0\] .*field 'usd_per_hour.on_demand' = -3.0: Input should be greater "
            r"than 0 \(price of one instance per hour",
        ),
    ],
)
def test_bad_offering_rows(tmp_path: Path, accelerator: str, price: float, pattern: str) -> None:
    path = _write(tmp_path, OFFERING_ROW.format(accelerator=accelerator, price=price))
    with pytest.raises(CatalogError, match=r"extra\.yaml: " + pattern):
        load_catalog(extra_files=[path])


def test_missing_source_is_named(tmp_path: Path) -> None:
    text = OFFERING_ROW.format(accelerator="nvidia-h100-sxm", price=40.0).replace(
        "    source: my negotiated contract\n", ""
    )
    with pytest.raises(CatalogError, match=r"field 'source' = None: required field is missing"):
        load_catalog(extra_files=[_write(tmp_path, text)])


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("accelerator:\n  - {}\n", r"unknown table 'accelerator'; allowed top-level keys"),
        ("offerings: [\n", r"not valid YAML at line"),
        ("- just a list\n", r"must be a mapping with keys accelerators, offerings, regions"),
        ("regions: {a: 1}\n", r"extra\.yaml: regions: must be a list of rows"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(CatalogError, match=pattern):
        load_catalog(extra_files=[_write(tmp_path, text)])


def test_duplicate_key_in_one_file(tmp_path: Path) -> None:
    one = ACCEL_ROW.format(bf16=100, hbm=24, as_of="2026-01-02")
    twice = one + one.replace("accelerators:\n", "")
    with pytest.raises(CatalogError, match=r"accelerators\[1\] \(test-chip\): duplicate key"):
        load_catalog(extra_files=[_write(tmp_path, twice)])


def test_unknown_field_lists_allowed_fields(tmp_path: Path) -> None:
    text = ACCEL_ROW.format(bf16=100, hbm=24, as_of="2026-01-02") + "    hbm_gib: 24\n"
    with pytest.raises(CatalogError, match=r"field 'hbm_gib' = 24: unknown field; allowed fields:"):
        load_catalog(extra_files=[_write(tmp_path, text)])


def test_env_var_holds_several_paths_and_missing_one_is_named(tmp_path: Path) -> None:
    import os

    good = _write(tmp_path, ACCEL_ROW.format(bf16=100, hbm=24, as_of="2026-01-02"))
    missing = tmp_path / "gone.yaml"
    env = {"XPUPLAN_CATALOG": os.pathsep.join([str(good), str(missing)])}
    with pytest.raises(InputError, match=r"catalog file '.*gone\.yaml' does not exist"):
        load_catalog(env=env)
    env = {"XPUPLAN_CATALOG": os.pathsep.join([str(good), ""])}
    assert load_catalog(env=env).has_accelerator("test-chip")


def test_load_is_pure_and_repeatable() -> None:
    first, second = load_catalog(), load_catalog()
    assert first.accelerators == second.accelerators
    assert first.offerings == second.offerings
    assert first is not second


def test_check_accepts_a_valid_file(tmp_path: Path) -> None:
    path = _write(tmp_path, OFFERING_ROW.format(accelerator="nvidia-h100-sxm", price=40.0))
    assert check_catalog_file(path) == []


def test_json_override_file_takes_the_same_rules(tmp_path: Path) -> None:
    # JSON is the fast path for large files; it is checked by the same schema as YAML.
    row = {"provider": "aws", "region": "us-east-1", "instance": "big.48xlarge",
           "accelerator_id": "nvidia-h100-sxm", "chips_per_instance": 8,
           "usd_per_hour": {"on_demand": 50.0}, "source": "json row",
           "as_of": "2026-12-01"}  # fmt: skip
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"offerings": [row]}))
    catalog = load_catalog(extra_files=[path])
    assert any(o.instance == "big.48xlarge" for o in catalog.offerings)
    path.write_text(json.dumps({"offerings": [{**row, "region": "us\nrun: x"}]}))
    with pytest.raises(CatalogError, match="printable on one line"):
        load_catalog(extra_files=[path])
