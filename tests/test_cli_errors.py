"""Bad input on every command: ONE line on stderr that names the field and the value received
and says what is allowed (or the nearest match); exit code 2; no traceback; nothing on stdout."""

from __future__ import annotations

import pytest

from xpuplan.cli import run

TRAIN = ["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T"]
SERVE = [
    "plan",
    "serve",
    "--model",
    "llama-3.1-8b",
    "--input",
    "1000",
    "--output",
    "200",
    "--ttft-p99-ms",
    "2000",
    "--tpot-p99-ms",
    "50",
]
EST_TRAIN = ["estimate", "train", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm"]
EST_SERVE = ["estimate", "serve", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm"]
COMPARE = ["compare", "--model", "llama-3.1-8b", "--tokens", "1T"]

# (argv, fragments the one line must contain: the value and the field / allowed / nearest)
CASES: list[tuple[list[str], tuple[str, ...]]] = [
    # unknown names
    (["model", "show", "nosuch"], ("'nosuch'", "model")),
    ([*EST_TRAIN[:3], "nosuch", *EST_TRAIN[4:], "--count", "8"], ("'nosuch'", "model")),
    (
        [*EST_TRAIN[:5], "h100", "--count", "8"],
        ("'h100'", "accelerator", "nvidia-h100-sxm"),
    ),
    ([*TRAIN, "--providers", "awz"], ("'awz'", "provider", "'aws'")),
    ([*TRAIN, "--regions", "mars"], ("'mars'", "region")),
    ([*TRAIN, "--pricing", "cheap"], ("--pricing", "'cheap'", "on_demand", "spot")),
    ([*TRAIN, "--pricing", "spto"], ("--pricing", "'spto'", "'spot'")),
    ([*TRAIN, "--objective", "speed"], ("objective", "'speed'")),
    ([*SERVE, "--rate", "1", "--pricing", "cheap"], ("--pricing", "'cheap'", "on_demand")),
    ([*COMPARE, "--option", "aws:p9 x2"], ("'aws:p9'", "offering")),
    ([*COMPARE, "--option", "aws:p5.48xlarge x2", "--pricing", "x"], ("--pricing", "'x'")),
    (
        [*EST_SERVE, "--count", "1", "--provider", "awz"],
        ("'awz'", "provider"),
    ),
    ([*EST_SERVE, "--count", "1", "--pricing", "cheap"], ("--pricing", "'cheap'", "spot")),
    (["catalog", "offerings", "--provider", "awz"], ("'awz'", "provider", "'aws'")),
    (["catalog", "offerings", "--pricing", "cheap"], ("--pricing", "'cheap'", "any")),
    (["catalog", "accelerators", "--vendor", "nvidai"], ("'nvidai'", "vendor")),
    (["catalog", "regions", "--region", "mars"], ("'mars'", "region")),
    (["validate", "--kind", "bogus"], ("--kind", "'bogus'", "train", "infer")),
    ([*EST_TRAIN, "--count", "8", "--precision", "fp3"], ("--precision", "'fp3'", "bf16")),
    ([*EST_TRAIN, "--count", "8", "--recompute", "some"], ("--recompute", "'some'", "full")),
    # bad numbers
    ([*EST_TRAIN, "--count", "-1"], ("--count", "-1", "positive")),
    ([*EST_SERVE, "--count", "-2"], ("--count", "-2", "positive")),
    ([*EST_TRAIN, "--count", "8", "--seq-len", "0"], ("--seq-len", "0", "positive")),
    ([*EST_TRAIN, "--count", "8", "--zero", "7"], ("--zero", "7", "0, 1, 2, 3")),
    ([*EST_TRAIN, "--count", "8", "--tp", "3", "--pp", "1"], ("tp 3", "the 8 chips")),
    (["plan", "train", "--model", "llama-3.1-8b", "--tokens", "abc"], ("--tokens", "'abc'")),
    ([*TRAIN, "--deadline", "5x"], ("--deadline", "'5x'", "60d")),
    ([*TRAIN, "--top", "0"], ("--top", "0")),
    ([*TRAIN, "--max-chips", "-4"], ("--max-chips", "-4")),
    ([*TRAIN, "--budget-usd", "-5"], ("--budget-usd", "-5")),
    ([*SERVE, "--rate", "-1"], ("--rate", "-1")),
    ([*EST_SERVE, "--count", "1", "--ttft-p99-ms", "0"], ("--ttft-p99-ms", "0", "positive")),
    ([*EST_SERVE, "--count", "1", "--input", "0"], ("--input", "0")),
    # missing files
    (["validate", "/no/such/cases.yaml"], ("/no/such/cases.yaml",)),
    (["model", "show", "/no/such/config.json"], ("/no/such/config.json",)),
    (["export", "/no/such/plan.json", "--report", "/tmp/x.html"], ("/no/such/plan.json",)),
    ([*TRAIN, "--catalog", "/no/such/extra.yaml"], ("/no/such/extra.yaml", "catalog")),
    (["catalog", "check", "/no/such/extra.yaml"], ("/no/such/extra.yaml",)),
]


@pytest.mark.parametrize(("argv", "fragments"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragments: tuple[str, ...]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert captured.out == ""
