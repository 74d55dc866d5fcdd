"""Notebook use: results display as HTML (``_repr_html_``), export to pandas, render as reports
from the objects themselves, and the planners default to the bundled catalog."""

from __future__ import annotations

import html
import sys
from typing import Any

import pytest

import xpuplan
from xpuplan.report.notebook import flat_row, main_rows


@pytest.fixture(scope="module")
def training() -> Any:
    return xpuplan.plan_training("llama-3.2-1b", "10B", top=3)  # no catalog: the bundled one


@pytest.fixture(scope="module")
def serving() -> Any:
    return xpuplan.plan_serving("llama-3.2-1b", rate_rps=5, input_tokens=512, output_tokens=128,
                                ttft_p99_ms=2000, tpot_p99_ms=100)  # fmt: skip


def test_plans_default_to_the_bundled_catalog(training: Any) -> None:
    assert len(training.plans) == 3
    comparison = xpuplan.compare_options("llama-3.2-1b", "10B", ["aws:p5.48xlarge x1"])
    assert comparison.plans[0].instance == "p5.48xlarge"


def test_render_html_takes_result_objects(training: Any, serving: Any) -> None:
    for result in (training, serving):
        page = xpuplan.render_html(result)
        assert page == xpuplan.render_html(result.to_dict())
        assert page.startswith("<!DOCTYPE html>")


def test_repr_html_is_the_report_in_a_frame(training: Any) -> None:
    shown = training._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and shown.endswith("</iframe>")
    inner = shown.split('srcdoc="', 1)[1].split('" style=', 1)[0]
    assert '"' not in inner  # escaped: the document cannot end the attribute
    assert html.unescape(inner) == xpuplan.render_html(training)


def test_to_pandas(training: Any, serving: Any) -> None:
    pd = pytest.importorskip("pandas")
    frame = training.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    assert {"provider", "cost_usd", "layout.tp"} <= set(frame.columns)
    assert list(frame["cost_usd"]) == [p.cost_usd for p in training.plans]
    assert len(serving.to_pandas()) == len(serving.to_dict()["fleet"]["entries"])


def test_to_pandas_without_pandas(training: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        training.to_pandas()


def test_rows_and_flattening() -> None:
    assert main_rows([{"a": 1}]) == [{"a": 1}]
    assert main_rows({"fleet": {"entries": [1, 2]}, "plans": [3]}) == [1, 2]
    assert main_rows({"x": 1}) == [{"x": 1}]
    row = {"a": {"b": 1, "c": {"d": 2}}, "l": [1, 2], "m": [{"k": 1}]}
    assert flat_row(row) == {"a.b": 1, "a.c.d": 2, "l": "1 2", "m": '[{"k": 1}]'}
