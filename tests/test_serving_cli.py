"""``xpuplan estimate serve``: exit codes, JSON keys, one-line errors."""

from __future__ import annotations

import json

import pytest

from xpuplan.cli import run

BASE = [
    "estimate", "serve", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm",
    "--count", "8", "--tp", "1", "--input", "1024", "--output", "256",
]  # fmt: skip


def test_json_output_has_throughput_latency_memory_and_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run([*BASE, "--weight-precision", "fp8", "--tpot-p99-ms", "30", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    for key in (
        "output_tokens_per_s", "input_tokens_per_s", "rate_per_s", "ttft_p99_ms",
        "tpot_p99_ms", "memory_gb_per_chip", "decode_step_ms", "prefill", "cost",
    ):  # fmt: skip
        assert key in payload
    assert payload["tpot_p99_ms"] <= 30.0 + 1e-6
    assert payload["cost"]["usd_per_million_output_tokens"] > 0
    assert payload["weight_precision"] == "fp8" and payload["kv_precision"] == "fp8"


def test_offline_json_has_null_ttft(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*BASE, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ttft_mean_ms"] is None  # infinite queue at full capacity -> null
    assert payload["output_tokens_per_s"] == pytest.approx(payload["max_output_tokens_per_s"])


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*BASE, "--rate", "5"]) == 0
    out = capsys.readouterr().out
    assert "TTFT" in out and "decode step" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--accelerator", "h10"], "unknown accelerator"),
        (["--weight-precision", "fp6"], "weight precision"),
        (["--count", "0"], "count"),
        (["--pricing", "free"], "--pricing"),
        (["--provider", "nowhere"], "no on_demand price"),
        (["--rate", "1", "--batch", "2"], "either rate or batch"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*BASE, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_weights_that_do_not_fit_report_null_and_no_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["estimate", "serve", "--model", "llama-3.1-70b", "--accelerator", "google-tpu-v5e",
            "--count", "8", "--tp", "8", "--json"]  # fmt: skip
    assert run(argv) == 3  # valid flags, but nothing serves: the estimate shows why
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["feasible"] is False and "do not fit" in payload["status"]
    assert payload["output_tokens_per_s"] is None and payload["cost"] is None
    assert captured.err.count("\n") == 1 and "do not fit" in captured.err


def test_with_no_layout_holding_the_weights_the_closest_is_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Llama 3.1 70B (141 GB in 16 bit) on 8 x TPU v5e (16 GB each): no layout fits; the
    estimate shows the one with the least weight per chip (all 8 chips in one replica), not
    8 replicas of one chip holding all 141 GB."""
    argv = ["estimate", "serve", "--model", "llama-3.1-70b", "--accelerator", "google-tpu-v5e",
            "--count", "8", "--json"]  # fmt: skip
    assert run(argv) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["tp"] * payload["pp"] == 8 and payload["replicas"] == 1
    assert payload["memory_gb_per_chip"]["weights"] < 141.0 / 7


def test_layout_search_stack_and_speculative_flags(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "estimate", "serve", "--model", "llama-3.1-70b", "--accelerator", "google-tpu-v6e",
        "--count", "8", "--input", "1024", "--output", "256", "--json",
    ]  # fmt: skip
    assert run(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["feasible"] and payload["layout_searched"] and payload["tp"] * payload["pp"] > 1
    assert payload["stack"]["engine"] == "jetstream"
    spec = [*BASE, "--stack", "vllm==0.8.5", "--spec-decode", "eagle", "--acceptance", "0.6"]
    assert run([*spec, "--batch", "4", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["stack"] == {"engine": "vllm", "version": "0.8.5", "generation": 2025}
    assert payload["spec_decode"]["tokens_per_step"] > 1.0
    assert payload["decode_step_ms"]["draft"] > 0.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--stack", "vlm"], "unknown serving engine"),
        (["--batching", "lazy"], "--batching"),
        (["--spec-decode", "guess"], "--spec-decode"),
        (["--spec-decode", "draft"], "draft model"),
        (["--draft-model", "llama-3.1-8b"], "--spec-decode draft"),
        (["--spec-decode", "eagle", "--acceptance", "1.5"], "acceptance"),
    ],
)
def test_bad_stack_or_spec_flags_exit_2(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*BASE, *extra]) == 2
    assert message in capsys.readouterr().err
