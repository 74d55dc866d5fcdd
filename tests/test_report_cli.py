"""``--report FILE.html`` on the planner's commands: real results on the bundled catalog become
reports whose charts carry one mark per plan; a bad path fails before any search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xpuplan.cli import run

_TRAIN = ["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--top", "4"]
_SERVE = ["plan", "serve", "--model", "llama-3.1-8b", "--rate", "5", "--input", "500",
          "--output", "100", "--ttft-p99-ms", "2000", "--tpot-p99-ms", "60"]  # fmt: skip
_COMPARE = ["compare", "--model", "llama-3.1-8b", "--tokens", "1T", "--option",
            "aws:p5.48xlarge x2", "--option", "azure:Standard_ND96isr_MI300X_v5 x2"]  # fmt: skip


def _charts(document: str) -> dict[str, int]:
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'data-chart="([^"]+)" data-marks="(\d+)"', document)
    }


@pytest.mark.parametrize(
    ("argv", "charts"),
    [
        (_TRAIN, {"pareto", "lock-in-vendor", "lock-in-software-stack", "memory", "step-time"}),
        (_SERVE, {"vendor-share", "fleet-cost"}),
        (_COMPARE, {"compare-cost", "compare-time", "memory", "step-time"}),
    ],
)
def test_report_option_writes_the_report(
    argv: list[str], charts: set[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.html"
    assert run([*argv, "--report", str(path)]) == 0
    assert f"report: {path}" in capsys.readouterr().out
    document = path.read_text(encoding="utf-8")
    found = _charts(document)
    assert set(found) == charts
    assert all(marks > 0 for marks in found.values())
    if "compare-cost" in found:
        assert found["compare-cost"] == 2  # two options, one bar each


def test_report_with_json_keeps_stdout_pure_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    path = tmp_path / "r.html"
    assert run([*_COMPARE, "--json", "--report", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "training_comparison"
    assert path.exists()


@pytest.mark.parametrize("argv", [_TRAIN, _SERVE, _COMPARE])
def test_bad_report_path_fails_first(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--report", str(tmp_path / "no" / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --report: folder") and "\n" not in err
    assert list(tmp_path.iterdir()) == []
