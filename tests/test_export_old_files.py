"""PLAN.json files saved by xpuplan 0.1.0, before a plan carried the estimate's layout (issue
11), still export: ``read_result`` moves their keys to today's (``layout.zero_stage`` ->
``layout.zero``, ``layout.grad_accum`` -> ``n_micro``, the batch sizes up to the plan), so the
schema check, the report and the SkyPilot task see one shape (docs/planner.md lists them).

The files under ``tests/data/plan-json-0.1.0/`` are real ``--json`` outputs of that version
(``plan train --model llama-3.1-8b --tokens 100B``, cut to three plans, and ``compare`` of two
options), saved before the change."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from test_report_samples import training_result
from xpuplan.cli import run
from xpuplan.errors import InputError
from xpuplan.export import check_result_schema
from xpuplan.perf.layout import Layout
from xpuplan.report import read_result, render_html, upgrade_result
from xpuplan.report.parts import plan_layout_text

DATA = Path(__file__).resolve().parent / "data" / "plan-json-0.1.0"
FILES = ["plan-train.json", "compare.json"]


def _plans(result: dict[str, Any]) -> list[dict[str, Any]]:
    lock_in = [e["plan"] for e in result.get("lock_in", []) if e.get("plan")]
    return [*result["plans"], *result.get("pareto", []), *lock_in]


@pytest.mark.parametrize("name", FILES)
def test_old_file_reads_in_todays_shape(name: str) -> None:
    raw = json.loads((DATA / name).read_text("utf-8"))
    assert all("zero_stage" in p["layout"] for p in _plans(raw))  # the old shape indeed
    kept = copy.deepcopy(raw)
    result = read_result(DATA / name)
    assert upgrade_result(raw) == result and raw == kept  # the input is not changed
    for old, new in zip(_plans(raw), _plans(result), strict=True):
        layout = new["layout"]
        assert set(layout) == set(Layout().to_dict())
        assert layout["zero"] == old["layout"]["zero_stage"]
        assert new["n_micro"] == old["layout"]["grad_accum"]
        assert new["global_batch_seqs"] == old["layout"]["global_batch_seqs"]
        assert new["global_batch_tokens"] == old["layout"]["global_batch_tokens"]
        assert layout["dp"] * layout["micro_batch"] * new["n_micro"] == new["global_batch_seqs"]
        # what the earlier planner used: full sharding over dp, SP on, a chip is a device
        assert layout["dp_shard"] == (layout["dp"] if layout["zero"] else 1)
        assert layout["sequence_parallel"] is True and layout["devices_per_chip"] == 1
        assert layout["recompute_layers"] is None
    check_result_schema(result)  # today's schema
    with pytest.raises(InputError, match="does not follow the"):
        check_result_schema(raw)  # the raw old file does not: the upgrade is what reads it
    assert upgrade_result(result) == result


def test_todays_results_are_not_changed_by_the_upgrade() -> None:
    result = training_result()
    assert upgrade_result(result) == result
    assert upgrade_result(result)["plans"][0] is result["plans"][0]


@pytest.mark.parametrize("name", FILES)
def test_old_file_exports_a_task_and_a_report(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task, report = tmp_path / "task.yaml", tmp_path / "report.html"
    code = run(["export", str(DATA / name), "--skypilot", str(task), "--report", str(report)])
    assert code == 0, capsys.readouterr().err
    assert "resources:" in task.read_text("utf-8")
    html = report.read_text("utf-8")
    raw = json.loads((DATA / name).read_text("utf-8"))
    first = read_result(DATA / name)["plans"][0]
    text = plan_layout_text(first)
    # the old keys read as today's: zero_stage as z, grad_accum as ga
    z, ga = raw["plans"][0]["layout"]["zero_stage"], raw["plans"][0]["layout"]["grad_accum"]
    assert f"ga{ga} z{z}" in text and text in html
    assert render_html(raw) == render_html(read_result(DATA / name))
