"""The CLI shells: plan train, plan serve, compare (exit codes, JSON, EU filter)."""

from __future__ import annotations

import json

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:  # type: ignore[type-arg]
    assert run(argv) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_plan_train_json_eu_only(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(
        capsys,
        [
            "plan",
            "train",
            "--model",
            "llama-3.1-8b",
            "--tokens",
            "1T",
            "--regions",
            "eu",
            "--json",
            "--top",
            "5",
        ],
    )
    catalog = load_catalog()
    assert data["kind"] == "training_plan"
    assert 1 <= len(data["plans"]) <= 5
    for plan in data["plans"] + data["pareto"]:
        region = catalog.region(plan["provider"], plan["region"])
        assert region is not None and (region.eu or region.eea)
        for key in (
            "provider",
            "region",
            "instance",
            "accelerator_id",
            "vendor",
            "software_stack",
            "chips",
            "instances",
            "layout",
            "step_time_s",
            "wall_time_s",
            "cost_usd",
            "usd_per_hour",
            "pricing",
            "energy_kwh",
            "co2_kg",
            "mfu",
            "memory_gb_per_chip",
            "step_time_breakdown_s",
            "sources",
        ):
            assert key in plan


def test_plan_train_table_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            [
                "plan",
                "train",
                "--model",
                "llama-3.1-8b",
                "--tokens",
                "1T",
                "--providers",
                "gcp",
                "--explain",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Top plans" in out and "Pareto" in out and "Lock-in premium" in out
    assert "Sources of the numbers used" in out and "efficiency" in out


def test_plan_train_infeasible_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(["plan", "train", "--model", "llama-3.1-8b", "--tokens", "15T", "--deadline", "1h"])
        == 3  # valid constraints, no plan meets them
    )
    err = capsys.readouterr().err
    assert err.startswith("error: deadline 1h: the fastest feasible plan takes")
    assert (
        run(["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--regions", "mars"])
        == 2
    )
    assert "unknown region 'mars'" in capsys.readouterr().err
    assert (
        run(["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--objective", "speed"])
        == 2
    )
    assert "unknown objective 'speed'" in capsys.readouterr().err


def test_plan_serve_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(
        capsys,
        [
            "plan",
            "serve",
            "--model",
            "llama-3.1-8b",
            "--rate",
            "30",
            "--input",
            "1024",
            "--output",
            "256",
            "--ttft-p99-ms",
            "800",
            "--tpot-p99-ms",
            "60",
            "--max-vendor-share",
            "0.6",
            "--json",
        ],
    )
    assert data["kind"] == "serving_plan"
    shares = data["fleet"]["vendor_capacity_share"]
    assert all(s <= 0.6 + 1e-6 for s in shares.values())
    assert data["fleet"]["capacity_rps"] >= 30


def test_compare_cli(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(
        capsys,
        [
            "compare",
            "--model",
            "llama-3.1-8b",
            "--tokens",
            "100B",
            "--option",
            "aws:p5.48xlarge x2",
            "--option",
            "aws:p4d.24xlarge x2",
            "--json",
        ],
    )
    assert data["kind"] == "training_comparison"
    assert [p["instance"] for p in data["plans"]] == ["p5.48xlarge", "p4d.24xlarge"]
    assert data["relative_pct"][0]["cost_usd"] == 0.0
    assert run(["compare", "--model", "llama-3.1-8b", "--tokens", "1T", "--option", "aws p5"]) == 2
