"""Validation: case schema, report shape, CLI exit codes and accuracy on the public set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.errors import ValidationFileError
from xpuplan.validation.cases import load_cases
from xpuplan.validation.run import (
    bundled_case_files,
    bundled_public_file,
    validate_cases,
    validate_files,
)

# Documented targets (docs/training-estimator.md). The cases allowed past MAX_ERROR are
# explained there: the MaxText 405B recipe offloads activations to host memory (a transfer the
# estimator cannot cost without a host-link bandwidth) and states 512 chips against the doc's
# 256; MPT-70B on 64 A100-40GB runs one micro-batch of 2 whose FSDP traffic (10.1 s) equals its
# compute (9.7 s), and the overlap model hides all but 10 % of it (measured step 14.8 s,
# predicted 10.8 s; +30.5 % before the 2026-12-02 refit, +36.9 % after it).
MEDIAN_TARGET = 0.10
FAMILY_MEDIAN_TARGET = 0.15
MAX_ERROR = 0.35
EXPLAINED_OUTLIERS = {
    "maxtext-tier-v6e-llama3.1-405b-sl8192",
    "mosaic-mpt70b-a100-40-64gpu-seq2048-gbs128",
}


def _case(case_id: str, kind: str = "train", **changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": case_id,
        "source": {"title": "synthetic", "url": "https://example.org"},
        "kind": kind,
        "model": {
            "name": "Llama 2 7B",
            "layers": 32,
            "hidden": 4096,
            "heads": 32,
            "kv_heads": 32,
            "ffn": 11008,
            "vocab": 32000,
            "seq_len": 4096,
            "params": 7e9,
            "moe": None,
        },
        "hardware": {
            "accelerator": "H100",
            "accelerator_id": "nvidia-h100-sxm",
            "family": "nvidia",
            "count": 8,
        },
        "parallelism": {"tp": 1, "pp": 1, "dp": 8, "zero": None, "fsdp": "FULL_SHARD"},
        "batch": {"global_batch_seqs": 64, "micro_batch": 2},
        "precision": "bf16",
        "framework": "synthetic",
        "metrics": {"tokens_per_s": 20000.0, "mfu": 0.4},
        "conditions": None,
        "confidence": "test",
        "notes": None,
    }
    case.update(changes)
    return case


def _write(tmp_path: Path, cases: list[dict[str, Any]], name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"schema_version": 1, "cases": cases}), encoding="utf-8")
    return path


def test_bundled_copy_matches_the_schema() -> None:
    cases = load_cases(bundled_public_file())
    assert len(cases) == 233
    assert sum(c.kind == "train" for c in cases) == 133


def test_schema_error_names_file_and_case(tmp_path: Path) -> None:
    bad = _case("broken")
    del bad["hardware"]["count"]
    path = _write(tmp_path, [_case("fine"), bad])
    with pytest.raises(ValidationFileError, match=r"cases\.yaml: case 'broken': hardware\.count"):
        load_cases(path)


def test_duplicate_ids_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ValidationFileError, match="duplicate case id"):
        load_cases(_write(tmp_path, [_case("a"), _case("a")]))
    broken = tmp_path / "broken.yaml"
    broken.write_text("cases: [\n", encoding="utf-8")
    with pytest.raises(ValidationFileError, match="not valid YAML"):
        load_cases(broken)


def test_report_pairs_metrics_and_keeps_skipped_cases(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _case("ok"),
            _case("run", kind="whole_run"),
            _case("gone", hardware={**_case("x")["hardware"], "accelerator_id": "no-such-chip"}),
        ],
    )
    report = validate_files([path], load_catalog())
    by_id = {c.id: c for c in report.cases}
    ok = by_id["ok"]
    assert ok.status == "ok" and ok.primary_metric == "tokens_per_s"
    pair = ok.metrics["mfu"]
    assert pair.rel_error == pytest.approx((pair.predicted - pair.measured) / pair.measured)
    assert by_id["run"].status == "skipped" and "whole-run" in by_id["run"].reason
    assert by_id["gone"].status == "skipped" and "not in the catalog" in by_id["gone"].reason
    assert report.summary["counts"]["train"] == {"ok": 1, "skipped": 1}


def test_cli_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, [_case("ok"), _case("claim", kind="claim")])
    assert run(["validate", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"cases", "summary"}
    first = payload["cases"][0]
    assert {"id", "kind", "family", "status", "reason", "metrics"} <= set(first)
    assert set(first["metrics"]["tokens_per_s"]) == {"predicted", "measured", "rel_error"}
    assert payload["cases"][1]["status"] == "skipped"
    stats = payload["summary"]["by_kind"]["train"]
    assert {"n", "median_abs_error", "p90_abs_error", "max_abs_error"} <= set(stats)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--kind", "bogus"],
        ["validate", "/no/such/file.yaml"],
    ],
)
def test_cli_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_public_training_accuracy() -> None:
    report = validate_files([bundled_public_file()], load_catalog(), kinds=["train"])
    summary = report.summary
    assert summary["counts"]["train"]["skipped"] == 0
    assert summary["by_kind"]["train"]["median_abs_error"] <= MEDIAN_TARGET
    for family, stats in summary["by_family"]["train"].items():
        assert stats["median_abs_error"] <= FAMILY_MEDIAN_TARGET, family
    worst = {
        c.id: abs(c.primary_error or 0.0)
        for c in report.cases
        if c.id not in EXPLAINED_OUTLIERS and abs(c.primary_error or 0.0) > MAX_ERROR
    }
    assert not worst


def test_unstated_layout_is_searched(tmp_path: Path) -> None:
    # No degrees stated by a generic source: the fastest feasible layout is assumed.
    case = _case(
        "bare",
        parallelism={"tp": None, "pp": None, "dp": None},
        batch={"global_batch_seqs": 64},
        metrics={"tokens_per_s_per_device": 3000.0},
    )
    report = validate_files([_write(tmp_path, [case])], load_catalog())
    result = report.cases[0]
    assert result.status == "ok", result.reason
    assert result.metrics["tokens_per_s_per_device"].predicted > 0


def test_a_request_rate_is_the_primary_metric_before_any_latency() -> None:
    """MLPerf GPT-J Server on TPU v5e publishes requests/s and a mean end-to-end latency: its
    summary (and the serving cross-validation's throughput figure) reads the rate, not the
    latency."""
    files = bundled_case_files()
    chosen = [c for f in files for c in load_cases(f) if "v5e4-gptj99-server" in c.id]
    cases = [c for c in validate_cases(chosen, load_catalog()).cases if c.status == "ok"]
    assert cases and all(c.primary_metric == "requests_per_s" for c in cases)
    assert all("e2e_latency_mean_ms" in c.metrics for c in cases)
