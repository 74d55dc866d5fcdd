"""Every number formatter over its whole range: the text reads back as the number it shows
(within rounding), never carries nan, inf or an exponent in the everyday range, and takes the
right suffix (12,260 is 12.3k, not 1.23k)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xpuplan.report.format import (
    DASH,
    fmt_count,
    fmt_duration_s,
    fmt_fixed,
    fmt_number,
    fmt_pct,
    fmt_si,
    fmt_usd,
    fmt_value,
)

_SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, "G": 1e9}
_DURATION = {"ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18)


def _read(text: str, units: dict[str, float]) -> float:
    """The number a reader takes from ``text`` (sign, digits, separators, suffix)."""
    match = re.fullmatch(r"(-?)\$?(-?)([0-9,]*\.?[0-9]*(?:e[+-][0-9]+)?) ?([A-Za-z]*)", text)
    assert match, text
    sign = -1.0 if "-" in (match.group(1) + match.group(2)) else 1.0
    return sign * float(match.group(3).replace(",", "")) * units[match.group(4)]


def _close(shown: float, value: float, rel: float = 0.006) -> bool:
    return math.isclose(shown, value, rel_tol=rel, abs_tol=1e-300)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12_260, "12.3k"),
        (735_000, "735k"),
        (999_999, "1M"),
        (9_999, "9,999"),
        (1.5e6, "1.5M"),
        (2e12, "2T"),
        (123.4, "123"),
        (0.5, "0.5"),
    ],
)
def test_fmt_number_examples(value: float, text: str) -> None:
    assert fmt_number(value) == text


def test_fmt_usd_examples() -> None:
    assert fmt_usd(735_000) == "$735k"
    assert fmt_usd(12_260) == "$12.3k"
    assert fmt_usd(-12_260) == "-$12.3k"
    assert fmt_usd(42.5) == "$42.50"


@given(finite)
def test_fmt_number_reads_back(value: float) -> None:
    text = fmt_number(value)
    assert "nan" not in text and "inf" not in text
    if abs(value) >= 1e-4:
        assert "e" not in text, text
    assert _close(_read(text, _SCALE), value), (value, text)


@given(finite)
def test_fmt_usd_reads_back(value: float) -> None:
    text = fmt_usd(value)
    assert text.startswith(("$", "-$"))
    if abs(value) >= 1e-4:
        assert "e" not in text, text
    assert _close(_read(text, _SCALE), value), (value, text)


@given(finite)
def test_fmt_si_reads_back(value: float) -> None:
    text = fmt_si(value, "Wh")
    assert text.endswith("Wh")
    assert _close(_read(text.removesuffix("Wh").strip(), _SCALE | {"": 1.0}), value), text


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_fmt_duration_reads_back(value: float) -> None:
    text = fmt_duration_s(value)
    number, unit = text.split(" ")
    assert _close(_read(number, {"": 1.0}) * _DURATION[unit], value), (value, text)
    if abs(value) >= 1e-7:
        assert "e" not in text


@given(finite, st.integers(0, 4))
def test_fmt_fixed_and_count_read_back(value: float, digits: int) -> None:
    shown = float(fmt_fixed(value, digits).replace(",", ""))
    assert abs(shown - value) <= 0.5 * 10.0 ** (-digits) + abs(value) * 1e-12
    assert abs(float(fmt_count(value).replace(",", "")) - value) <= 0.5 + abs(value) * 1e-12


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_fmt_pct_reads_back(value: float) -> None:
    text = fmt_pct(value)
    assert text.endswith("%")
    assert abs(float(text[:-1]) / 100 - value) <= 0.0005 + abs(value) * 1e-9


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None, "x", True])
@pytest.mark.parametrize(
    "formatter",
    [fmt_number, fmt_usd, fmt_duration_s, fmt_pct, fmt_count, fmt_fixed, lambda v: fmt_si(v, "W")],
)
def test_non_finite_is_a_dash(formatter, bad) -> None:  # type: ignore[no-untyped-def]
    assert formatter(bad) == DASH


@given(
    st.sampled_from(["tokens", "wall_time_s", "ttft_ms", "budget_usd", "x_pct", "x_share"]),
    st.one_of(finite, st.just(math.nan), st.just(math.inf)),
)
def test_fmt_value_never_shows_nan_or_inf(key: str, value: float) -> None:
    text = fmt_value(key, value)
    assert "nan" not in text.lower() and "inf" not in text.lower()
