"""The dispatch window is the benchmark harness's, not the chip family's."""

from pathlib import Path

from xpuplan.catalog.load import load_catalog
from xpuplan.perf.serving_efficiency import efficiency_for
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_cases import interpret_case
from xpuplan.validation.run import bundled_public_file


def test_no_chip_family_batches_requests_by_default() -> None:
    for family in ("nvidia", "amd", "aws", "tpu"):
        assert efficiency_for(family).dispatch_window_s == 0.0


def test_amd_mlperf_server_cases_use_their_harness_window() -> None:
    catalog = load_catalog()
    cases = {c.id: c for c in load_cases(Path(bundled_public_file()))}
    amd = cases["mlperf-inf-v4.1-llama2-70b-99-server-amd-8xmi300x-2xepyc-turin"]
    nvidia_server = next(
        c for c in cases.values() if c.id.startswith("mlperf-inf-v4.1-llama2-70b-99-server-nvidia")
    )
    acc = catalog.accelerator
    assert interpret_case(amd, acc(amd.hardware.accelerator_id)).dispatch_window_s == 0.3
    setting = interpret_case(nvidia_server, acc(nvidia_server.hardware.accelerator_id))
    assert setting.dispatch_window_s == 0.0
