"""Charts people can read: a logarithmic cost axis when costs span more than 10x, the deadline
and budget drawn on the cost-time plane, and no two series of a chart in the same colour."""

from __future__ import annotations

import re

import pytest

from test_report_samples import training_result
from xpuplan.report import render_html
from xpuplan.report.format import fmt_duration_s, fmt_usd
from xpuplan.report.svg import Point, chart_colours, scatter_chart


def _chart(costs: list[float], **marks: object) -> str:
    points = [Point(x=86400.0 * (i + 1), y=c, label=f"p{i}", group="NVIDIA")
              for i, c in enumerate(costs)]  # fmt: skip
    return scatter_chart(points, name="t", title="t", x_label="wall time", y_label="cost (USD)",
                         x_format=fmt_duration_s, y_format=fmt_usd, **marks)  # type: ignore[arg-type]  # fmt: skip


def test_cost_axis_turns_logarithmic_past_10x() -> None:
    assert "cost (USD) (log)" in _chart([1e4, 1.2e5])  # 12x
    assert "cost (USD) (log)" not in _chart([1e4, 9e4])  # 9x


def test_deadline_and_budget_are_drawn() -> None:
    svg = _chart([1e4, 2e4], x_marks=[(5 * 86400.0, "deadline")], y_marks=[(3e4, "budget")])
    assert svg.count('class="limit"') == 2
    assert "deadline 5 d" in svg and "budget $30k" in svg
    result = training_result()
    result["constraints"]["budget_usd"] = 2e6
    page = render_html(result)
    assert "budget $2M" in page and re.search(r"deadline [0-9.]+ d", page)


@pytest.mark.parametrize("count", [2, 8, 12, 30])
def test_series_colours_are_distinct(count: int) -> None:
    keys = ("NVIDIA", "AMD", "Google", "AWS", *(f"series-{i}" for i in range(count)))
    colours = chart_colours(keys)
    assert len(colours) == len(keys)
    assert len(set(colours.values())) == len(keys)
    assert colours["NVIDIA"] == "#009E73"  # vendors keep their colour in every chart
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours.values())
