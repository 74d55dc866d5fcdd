"""xpuplan estimate train: JSON output and exit codes."""

from __future__ import annotations

import json

import pytest

from xpuplan.cli import run


def test_explicit_layout_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate",
        "train",
        "--model",
        "llama-2-7b",
        "--accelerator",
        "nvidia-h100-sxm",
        "--count",
        "16",
        "--tp",
        "2",
        "--pp",
        "1",
        "--fsdp",
        "--recompute",
        "full",
        "--micro-batch",
        "2",
        "--global-batch",
        "256",
        "--seq-len",
        "4096",
        "--json",
    ]
    assert run(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["layout"]["dp"] == 8 and payload["layout"]["zero"] == 3
    assert payload["chips"] == 16 and 0 < payload["mfu"] < 1
    parts = {k: v for k, v in payload["step_time_breakdown_s"].items() if k != "total"}
    assert sum(parts.values()) == pytest.approx(payload["step_time_s"])


def test_searched_layout(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate",
        "train",
        "--model",
        "llama-3.1-8b",
        "--accelerator",
        "google-tpu-v5e",
        "--count",
        "64",
        "--json",
    ]
    assert run(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["fits_memory"]
    assert any("search" in note for note in payload["notes"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--accelerator", "nvidia-h100-sxx"], "unknown accelerator"),
        (["--accelerator", "nvidia-h100-sxm", "--tp", "3", "--pp", "1"], "does not divide"),
        (["--accelerator", "nvidia-h100-sxm", "--fsdp", "--zero", "1"], "--fsdp"),
        (["--accelerator", "nvidia-h100-sxm", "--recompute", "some"], "--recompute"),
        (["--accelerator", "nvidia-a100-40gb-sxm", "--precision", "fp8"], "fp8"),
    ],
)
def test_bad_input_exits_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["estimate", "train", "--model", "llama-2-7b", "--count", "8", *extra]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
