"""The HTML report without a browser: structure, escaping, offline-ness, no NaN/inf, atomic
writes and bad input. Expected counts are hand counts of the samples in test_report_samples."""

from __future__ import annotations

import copy
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xpuplan.report as report
from test_report_samples import comparison_result, serving_result, training_result
from xpuplan.errors import InputError
from xpuplan.report import read_result, render_html, write_report
from xpuplan.report.format import fmt_duration_s, fmt_usd
from xpuplan.report.svg import Scale


class _Collect(HTMLParser):
    """Charts, their marks and every tag/attribute, with a check that tags nest properly."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "circle", "rect", "line"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.charts: dict[str, dict[str, int]] = {}
        self.current: str | None = None
        self.attrs: list[tuple[str, str, str]] = []
        self.tables: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.attrs.extend((tag, k, v) for k, v in values.items())
        if tag == "svg":
            self.current = values["data-chart"]
            self.charts[self.current] = {"declared": int(values["data-marks"]), "marks": 0}
        if self.current and "mark" in values.get("class", "").split():
            self.charts[self.current]["marks"] += 1
        if tag == "table":
            self.tables.append(values.get("data-table", ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag == "svg":
            self.current = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(document: str) -> _Collect:
    parser = _Collect()
    parser.feed(document)
    parser.close()
    assert parser.stack == []
    return parser


def _marks(document: str) -> dict[str, int]:
    charts = _parse(document).charts
    for name, chart in charts.items():
        assert chart["declared"] == chart["marks"], name
    return {name: chart["marks"] for name, chart in charts.items()}


def test_training_report_has_every_chart_and_table() -> None:
    page = _parse(render_html(training_result()))
    # 5 plans; 4 vendors; 4 stacks; 5 plans x 4 memory parts; 5 plans x 3 step-time parts.
    assert {n: c["marks"] for n, c in page.charts.items()} == {
        "pareto": 5,
        "lock-in-vendor": 4,
        "lock-in-software-stack": 4,
        "memory": 20,
        "step-time": 15,
    }
    assert page.tables == ["lock-in-all", "plans", "pareto", "sources"]
    text = " ".join(page.text)
    # Cheapest plan first: 32 x trn2.48xlarge at $46/h for 40 days = $1,413,120.
    assert "$1.41M" in text and "40 d" in text
    # Lock-in premium of NVIDIA: (1,690,828.8 - 1,413,120) / 1,413,120 = 19.65 %.
    assert "+19.7%" in text


def test_pareto_front_is_drawn_through_front_points_only() -> None:
    document = render_html(training_result())
    front = re.search(r'<polyline class="front" points="([^"]+)"', document)
    assert front is not None
    # 3 front points -> first point + 2 corners x 2 = 5 vertices.
    assert len(front.group(1).split()) == 5
    assert document.count('class="mark front-mark') == 3
    assert document.count('class="mark front-mark chosen"') == 1  # the cheapest is on the front


def test_serving_report_shows_fleet_share_and_cost_per_million_tokens() -> None:
    result = serving_result()
    page = _parse(render_html(result))
    # Vendor shares of 2 vendors; fleet cost rows: mixed (2 types), single (1), unconstrained (1).
    assert {n: c["marks"] for n, c in page.charts.items()} == {"vendor-share": 2, "fleet-cost": 4}
    assert page.tables == ["fleet", "single-type", "unconstrained", "sources"]
    text = " ".join(page.text)
    assert "60.0%" in text and "40.0%" in text  # 3 x 20 req/s of 100 NVIDIA, 2 x 20 AMD
    # 3 x $55.04 + 2 x $48 = $261.12/h for 100 req/s x 1250 tokens: $0.58 per million tokens.
    assert result["fleet"]["usd_per_million_tokens"] == pytest.approx(261.12 / 450)
    assert "$0.58" in text and "$261/h" in text
    # Share limit premium: (261.12 - 5 x 48) / 240 = +8.8 %.
    assert "+8.8%" in text
    # Units move from the key to the value: ttft_p99_ms 1000 -> "ttft p99" "1 s".
    assert "<dt>ttft p99</dt><dd>1 s</dd>" in render_html(result)


def test_serving_report_shows_predicted_latency_against_targets() -> None:
    result = serving_result()
    document = render_html(result)
    assert document.count("<th>TTFT p99 / target</th>") == 3  # fleet, single type, unconstrained
    assert ">812 / 1,000 ms<" in document and ">41.5 / 50 ms<" in document
    assert "over target" not in document
    result["fleet"]["entries"][0]["tpot_p99_ms"] = 75.0
    result["fleet"]["entries"][1]["ttft_p99_ms"] = None  # an estimator that gives none
    document = render_html(result)
    assert ">75 / 50 ms (over target)<" in document
    assert document.count("over target") == 1


def test_comparison_report_puts_options_side_by_side() -> None:
    page = _parse(render_html(comparison_result()))
    assert _marks(render_html(comparison_result())) == {
        "compare-cost": 3,
        "compare-time": 3,
        "memory": 12,
        "step-time": 9,
    }
    assert page.tables == ["compare", "sources"]
    text = " ".join(page.text)
    # MI300X takes 24 d against 20 d: +20.0 %; TPU v5p 12 d: -40.0 %.
    assert "+20.0%" in text and "-40.0%" in text


def test_text_is_escaped_everywhere() -> None:
    result = training_result()
    evil = '<script>alert("x")</script>'
    result["workload"]["model"] = evil
    result["plans"][0]["provider"] = evil
    result["plans"][0]["sources"][0]["source"] = evil
    result["notes"] = [evil]
    document = render_html(result)
    assert "<script>alert" not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in document
    assert document.count("<script>") == 1  # only the page's own sorting script


def test_report_is_offline() -> None:
    for result in (training_result(), serving_result(), comparison_result()):
        page = _parse(render_html(result))
        for tag, name, value in page.attrs:
            assert name not in ("src", "srcset"), (tag, name, value)
            if name == "href":
                assert value.startswith("#"), value
        document = render_html(result)
        assert "@import" not in document and "url(" not in document


_NON_FINITE = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        min_size=5,
        max_size=5,
    )
)
def test_no_nan_or_inf_reaches_the_page(values: list[tuple[float, float]]) -> None:
    result = training_result()
    for plan, (cost, time_s) in zip(result["plans"], values, strict=True):
        plan["cost_usd"], plan["wall_time_s"] = cost, time_s
        plan["memory_gb_per_chip"]["weights"] = cost
        plan["step_time_breakdown_s"]["compute"] = time_s
    for entry in result["lock_in"]:
        if entry["plan"]:
            entry["objective_value"] = entry["plan"]["cost_usd"]
    document = render_html(result)
    for tag, name, value in _parse(document).attrs:
        if tag in ("circle", "rect", "line", "polyline", "text", "svg"):
            assert not _NON_FINITE.search(value), (tag, name, value)
    assert not re.search(r">[^<]*\b(nan|inf)\b[^<]*<", document, re.IGNORECASE)


def test_breakdown_adds_unattributed_part_when_parts_fall_short() -> None:
    result = training_result()
    for plan in result["plans"]:
        plan["memory_gb_per_chip"]["total"] = 60.0  # parts sum to 55
    charts = _parse(render_html(result)).charts
    assert charts["memory"]["marks"] == 5 * 5
    assert "unattributed" in render_html(result)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(kind="nonsense"), "unknown kind 'nonsense'"),
        (lambda r: r.pop("kind"), "unknown kind None"),
        (lambda r: r.update(plans=[]), "needs a non-empty 'plans'"),
        (lambda r: r.update(plans="x"), "needs a non-empty 'plans'"),
    ],
)
def test_bad_result_is_one_line_input_error(mutate: Any, message: str) -> None:
    result = training_result()
    mutate(result)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        render_html(result)
    assert "\n" not in str(caught.value)


def test_not_a_mapping_is_rejected() -> None:
    with pytest.raises(InputError, match="expected a JSON object"):
        render_html([1, 2])  # type: ignore[arg-type]


def test_write_report_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report")

    def broken(_: Any) -> str:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError):
        report.write_report(training_result(), target)
    assert target.read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_write_report_errors_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_report(training_result(), tmp_path / "missing" / "r.html")
    with pytest.raises(InputError, match="is a folder"):
        write_report(training_result(), tmp_path)
    bad = training_result()
    bad["kind"] = "other"
    with pytest.raises(InputError):
        write_report(bad, tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []


def test_write_report_writes_a_readable_file(tmp_path: Path) -> None:
    path = write_report(serving_result(), tmp_path / "serve.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_read_result_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_result(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"kind": ')
    with pytest.raises(InputError, match=r"not valid JSON \(line 1"):
        read_result(broken)
    other = tmp_path / "other.json"
    other.write_text('{"kind": "catalog"}')
    with pytest.raises(InputError, match="unknown kind 'catalog'"):
        read_result(other)


def test_read_result_round_trip(tmp_path: Path) -> None:
    import json

    path = tmp_path / "plan.json"
    result = training_result()
    path.write_text(json.dumps(result))
    assert read_result(path) == result
    assert copy.deepcopy(read_result(path))["plans"][0]["accelerator_id"] == "aws-trainium2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_690_828.8, "$1.69M"),
        (261.12, "$261"),
        (55.04, "$55.04"),
        (0.58032, "$0.58"),
        (math.nan, "—"),
        (None, "—"),
    ],
)
def test_fmt_usd(value: float | None, text: str) -> None:
    assert fmt_usd(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(40 * 86400, "40 d"), (5400, "1.5 h"), (90, "1.5 min"), (2.5, "2.5 s"), (0.004, "4 ms")],
)
def test_fmt_duration(seconds: float, text: str) -> None:
    assert fmt_duration_s(seconds) == text


def test_scale_ticks_are_round_in_their_unit() -> None:
    days = Scale(10 * 86400, 42 * 86400, 0, 100, unit=86400.0)
    assert [t / 86400 for t in days.ticks()] == [10, 20, 30, 40]
    # Up to 4 decades: 1-2-5 ticks; more: one tick per decade.
    assert Scale(0.5, 60, 0, 100, log=True).ticks() == [0.5, 1, 2, 5, 10, 20, 50]
    assert Scale(0.5, 2e3, 0, 100, log=True).ticks() == [1, 10, 100, 1000]
    assert Scale(0, 1, 0, 100).px(0.25) == 25
