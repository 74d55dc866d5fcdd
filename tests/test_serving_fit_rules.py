"""What the serving fit reads from a case: loaded runs fit their per-token latency only, and the
per-iteration overhead takes no offset shared by a software generation across vendors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_calibration import (
    ARCH_PARAMS,
    HIERARCHICAL,
    NO_OFFSET,
    PRIOR_SD,
    _layout,
    _prior,
    _residual_weights,
)
from xpuplan.validation.infer_cases import predict_prepared, prepare_infer_case
from xpuplan.validation.run import bundled_case_files

CATALOG = load_catalog()
CASES = {c.id: c for f in bundled_case_files() for c in load_cases(f) if c.kind == "infer"}


def _fitted_metrics(case_id: str) -> list[str]:
    prepared = prepare_infer_case(CASES[case_id], CATALOG)
    return [name for name, _ in _residual_weights(prepared, predict_prepared(prepared))]


def test_a_loaded_run_fits_its_throughput_and_tpot_only() -> None:
    server = "mlperf-inf-v5.0-llama2-70b-99.9-server-amd-8xmi325x-2xepyc-9575f"
    assert {"ttft_mean_ms", "ttft_p99_ms"} <= set(CASES[server].measured())
    assert sorted(_fitted_metrics(server)) == ["tokens_per_s", "tpot_mean_ms", "tpot_p99_ms"]
    many_users = "nim-1.8.0-llama3.3-70b-fp8-h100-tp2-in5000-out500-c25"
    assert sorted(_fitted_metrics(many_users)) == ["output_tokens_per_s", "tpot_mean_ms"]


def test_an_unloaded_run_fits_every_latency() -> None:
    one_user = "nim-1.8.0-llama3.3-70b-fp8-h100-tp2-in5000-out500-c1"
    assert sorted(_fitted_metrics(one_user)) == [
        "output_tokens_per_s",
        "tpot_mean_ms",
        "ttft_mean_ms",
    ]
    batch_one = "amd-rocm-perf-2025-10-vllm-llama3.1-70b-fp8-mi300x-tp8-bs1-in128-out2048-latency"
    assert _fitted_metrics(batch_one) == ["e2e_latency_mean_ms"]


def test_a_closed_loop_of_one_token_requests_fits_its_ttft() -> None:
    """SGL-JAX's TTFT runs (output 1, 64 users): no decode, so the mean TTFT is users /
    request rate by Little's law, a prefill-throughput figure; the same sweep's 1,024-token
    runs fit their throughput and TPOT only."""
    prefill_only = "sgljax-v6e4-qwen3-8b-tp4-c64-in1024-out1-2025-09"
    assert _fitted_metrics(prefill_only) == ["ttft_mean_ms"]
    decoding = "sgljax-v6e4-qwen3-8b-tp4-c64-in1024-out1024-2025-09"
    assert sorted(_fitted_metrics(decoding)) == ["output_tokens_per_s", "tpot_mean_ms"]


def test_the_overhead_has_no_shared_generation_offset() -> None:
    assert ("generation", "step_overhead_s") in NO_OFFSET
    prepared = [
        prepare_infer_case(CASES[k], CATALOG) for k in list(CASES)[:: max(len(CASES) // 60, 1)]
    ]
    layout = _layout(prepared)
    assert layout.generations  # the sample spans two software generations
    _, sd = _prior(layout)
    h = len(HIERARCHICAL)
    first_generation = (
        len(sd)
        - len(layout.engines)
        - len(ARCH_PARAMS) * len(layout.archs)
        - h * (len(layout.generations) + len(layout.cells))
    )
    widths = dict(zip(HIERARCHICAL, sd[first_generation : first_generation + h], strict=True))
    assert widths["step_overhead_s"] < 1e-2
    assert widths["compute_fraction"] == pytest.approx(PRIOR_SD["generation"])
    assert np.all(sd > 0)


def test_the_nim_transcription_matches_the_shipped_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "nim.yaml"
    script = Path(__file__).parents[1] / "scripts" / "transcribe_nim_llm_benchmarks.py"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    shipped = next(f for f in bundled_case_files() if f.name == "infer-nvidia-nim.yaml")
    assert out.read_text() == shipped.read_text()
