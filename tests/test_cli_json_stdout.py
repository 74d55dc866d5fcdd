"""Every ``--json`` command, run as a real process: its raw stdout (file descriptor 1, where
compiled libraries print too) parses as JSON and holds nothing else; stderr stays quiet."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

_SRC = str(Path(__file__).resolve().parents[1] / "src")

COMMANDS: dict[str, list[str]] = {
    "catalog accelerators": ["catalog", "accelerators", "--vendor", "amd"],
    "catalog offerings": ["catalog", "offerings", "--accelerator", "aws-trainium2"],
    "catalog regions": ["catalog", "regions"],
    "model list": ["model", "list"],
    "model show": ["model", "show", "llama-3.1-8b"],
    "estimate train": [
        *("estimate", "train", "--model", "llama-3.2-1b", "--accelerator"),
        *("nvidia-h100-sxm", "--count", "8"),
    ],
    "estimate serve": [
        *("estimate", "serve", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm"),
        *("--count", "1", "--tp", "1", "--input", "512", "--output", "128", "--rate", "2"),
    ],
    "plan train": ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "10B", "--top", "3"],
    # The fleet's integer program runs HiGHS, whose banner once landed on fd 1.
    "plan serve": [
        *("plan", "serve", "--model", "llama-3.1-8b", "--rate", "5", "--input", "512"),
        *("--output", "128", "--ttft-p99-ms", "2000", "--tpot-p99-ms", "100"),
    ],
    "compare": [
        *("compare", "--model", "llama-3.2-1b", "--tokens", "10B"),
        *("--option", "aws:p5.48xlarge x8", "--option", "gcp:a3-highgpu-8g x8"),
    ],
    "validate": ["validate", "--kind", "infer"],
}


def run_cli(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m xpuplan ARGS`` in a fresh process, with this checkout's package."""
    env = {**os.environ, "PYTHONPATH": _SRC, "COLUMNS": "80"}
    env.pop("XPUPLAN_CATALOG", None)
    return subprocess.run(
        [sys.executable, "-m", "xpuplan", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_stdout_is_only_json(name: str) -> None:
    done = run_cli([*COMMANDS[name], "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # the whole of fd 1, nothing before or after
    assert data
    assert _all_finite(data)
    assert "Traceback" not in done.stderr


def test_version_help_and_module_entry() -> None:
    from xpuplan import __version__

    done = run_cli(["--version"])
    assert (done.returncode, done.stdout.strip()) == (0, f"xpuplan {__version__}")
    helped = run_cli(["plan", "train", "-h"])
    assert helped.returncode == 0 and "--tokens" in helped.stdout


def test_exit_codes_bad_input_and_infeasible() -> None:
    bad = run_cli(["plan", "train", "--model", "llama-3.2-1b", "--tokens", "lots"])
    assert bad.returncode == 2 and bad.stderr.startswith("error: --tokens")
    assert len(bad.stderr.strip().splitlines()) == 1
    none = run_cli(
        ["plan", "train", "--model", "llama-3.1-8b", "--tokens", "15T", "--deadline", "1h"]
    )
    assert none.returncode == 3 and none.stdout == ""
    assert len(none.stderr.strip().splitlines()) == 1


def _in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from xpuplan.cli import run

    assert run(args) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", ["plan train", "plan serve", "catalog offerings", "validate"])
def test_format_csv_and_md(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    text = _in_process([*COMMANDS[name], "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    assert not any(v.lower() in ("nan", "inf", "-inf") for r in rows for v in r.values())
    lines = _in_process([*COMMANDS[name], "--format=md"], capsys).splitlines()
    assert lines[1].startswith("| --- |") and len(lines) == len(rows) + 2
    assert all(line.count(" | ") == lines[0].count(" | ") for line in lines[2:])
    same = json.loads(_in_process([*COMMANDS[name], "--format", "json"], capsys))
    assert same == json.loads(_in_process([*COMMANDS[name], "--json"], capsys))


def test_csv_stdout_of_a_process() -> None:
    # The fleet's solver runs in this command: fd 1 holds the CSV and nothing else.
    done = run_cli([*COMMANDS["plan serve"], "--format", "csv"])
    assert done.returncode == 0 and done.stdout.splitlines()[0].startswith("provider,")


def test_plan_serve_json_fleet_entries_carry_predicted_latency_within_targets() -> None:
    """Each fleet entry predicts its replica's p99 TTFT / TPOT at capacity, within the targets
    given (2000 ms, 100 ms), and the raw stdout matches the shipped schema."""
    jsonschema = pytest.importorskip("jsonschema")
    from xpuplan.schemas import load_schema

    done = run_cli([*COMMANDS["plan serve"], "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, load_schema("plan-serve"))
    entries = [
        e
        for key in ("fleet", "single_type", "unconstrained")
        if data.get(key)
        for e in data[key]["entries"]
    ]
    assert entries
    for entry in entries:
        assert 0 < entry["ttft_p99_ms"] <= 2000 * (1 + 1e-9)
        assert 0 < entry["tpot_p99_ms"] <= 100 * (1 + 1e-9)


@pytest.mark.parametrize(
    ("name", "schema"), [("estimate train", "estimate-train"), ("estimate serve", "estimate-serve")]
)
def test_estimate_json_stdout_follows_its_schema(name: str, schema: str) -> None:
    """The raw stdout of ``estimate train|serve --json`` (a real process) validates against the
    schema shipped for it, generated from TrainingEstimate / PricedServingEstimate."""
    jsonschema = pytest.importorskip("jsonschema")
    from xpuplan.schemas import load_schema

    done = run_cli([*COMMANDS[name], "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.Draft202012Validator(load_schema(schema)).validate(data)
    if name == "estimate serve":
        assert data["cost"]["usd_per_million_tokens"] > 0 and data["cost_note"]
    else:
        assert set(data["layout"]) >= {"zero", "dp_shard", "micro_batch"} and data["n_micro"] >= 1
