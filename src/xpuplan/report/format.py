"""Numbers as people read them: dollars, durations, energy, percentages. ``None`` and
non-finite values print as an em dash, so no ``nan`` or ``inf`` ever reaches a page."""

from __future__ import annotations

import math
from typing import Any

from xpuplan.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "DASH",
    "as_float",
    "fmt_count",
    "fmt_duration_s",
    "fmt_fixed",
    "fmt_number",
    "fmt_pct",
    "fmt_si",
    "fmt_usd",
    "fmt_value",
    "time_unit_s",
]

DASH = "—"


def as_float(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, text, bool, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _sig(number: float, digits: int = 3) -> str:
    """``number`` to ``digits`` significant digits in plain notation with thousands separators
    (``_sig(1234567)`` is ``1,230,000``, ``_sig(0.01234)`` is ``0.0123``); below 1e-4 it uses
    an exponent, where plain notation would be a row of zeros."""
    if number == 0:
        return "0"
    rounded = float(f"{number:.{digits}g}")
    if abs(rounded) < 1e-4:
        return f"{number:.{digits - 1}e}"
    exponent = math.floor(math.log10(abs(rounded)))
    text = f"{rounded:,.{max(digits - 1 - exponent, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _scaled(number: float, scales: tuple[tuple[float, str], ...], digits: int) -> str:
    """``number`` divided by the largest of ``scales`` it reaches once rounded to ``digits``
    significant digits (so 999,999 reads ``1M``, not ``1e+03k``), with that scale's suffix."""
    rounded = abs(float(f"{number:.{digits}g}"))
    for scale, suffix in scales:
        if rounded >= scale:
            return _sig(number / scale, digits) + suffix
    return _sig(number, digits)


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def fmt_number(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits; k/M/B/T suffixes from ten thousand up
    (``12,260`` is ``12.3k``), plain digits with separators below (``9,999``)."""
    number = as_float(value)
    if number is None:
        return DASH
    digits = max(int(digits), 1)
    if abs(number) >= 1e4:
        return _scaled(number, _SUFFIXES, digits)
    if abs(number) >= 10 ** (digits - 1):
        return f"{number:,.0f}"
    return _sig(number, digits)


def fmt_fixed(
    value: Any, digits: int = 0, unit: str = "", *, missing: str = DASH, signed: bool = False
) -> str:
    """A number with ``digits`` decimals, thousands separators and ``unit`` appended
    (``fmt_fixed(1234.5, 1, " GB")`` is ``1,234.5 GB``); ``signed`` always shows the sign."""
    number = as_float(value)
    if number is None:
        return missing
    return f"{number:{'+' if signed else ''},.{digits}f}{unit}"


def fmt_si(value: Any, unit: str, *, missing: str = DASH) -> str:
    """A quantity given in base units with a k/M/G/T prefix and 3 significant digits:
    ``fmt_si(1.63e8, "Wh")`` is ``163 MWh``."""
    number = as_float(value)
    if number is None:
        return missing
    prefixes = ((1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k"))
    text = _scaled(number, prefixes, 3)
    return text + unit if text.endswith(tuple(p for _, p in prefixes)) else f"{text} {unit}"


def fmt_count(value: Any) -> str:
    """A whole count with thousands separators."""
    number = as_float(value)
    return DASH if number is None else f"{round(number):,}"


def fmt_usd(value: Any) -> str:
    """Dollars: cents below $100, whole dollars below $10k, then k/M/B with 3 digits."""
    number = as_float(value)
    if number is None:
        return DASH
    sign, number = ("-" if number < 0 else ""), abs(number)
    if number < 1:
        return f"{sign}${_sig(number)}"
    if number < 100:
        return f"{sign}${number:,.2f}"
    if number < 1e4:
        return f"{sign}${number:,.0f}"
    return f"{sign}${fmt_number(number)}"


def fmt_duration_s(value: Any) -> str:
    """A duration in the largest unit that keeps it >= 1: days, hours, minutes, seconds, ms."""
    seconds = as_float(value)
    if seconds is None:
        return DASH
    rounded = abs(float(f"{seconds:.3g}"))
    for size, unit in ((SECONDS_PER_DAY, "d"), (SECONDS_PER_HOUR, "h"), (60.0, "min")):
        if rounded >= size:
            return f"{_sig(seconds / size)} {unit}"
    if rounded >= 1 or seconds == 0:
        return f"{_sig(seconds)} s"
    return f"{_sig(seconds * 1e3)} ms"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A fraction (0.42) as a percentage ("42.0%")."""
    number = as_float(value)
    return DASH if number is None else f"{number * 100:.{digits}f}%"


def time_unit_s(largest_s: float) -> float:
    """The unit that round axis ticks of durations up to ``largest_s`` should count in."""
    for size in (SECONDS_PER_DAY, SECONDS_PER_HOUR, 60.0):
        if largest_s >= 2 * size:
            return size
    return 1.0


def fmt_value(key: str, value: Any) -> str:
    """A workload or constraint value, formatted by the unit its key names."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or DASH
    if as_float(value) is None:
        return DASH if value is None or isinstance(value, float) else str(value)
    if key.endswith("_s"):
        return fmt_duration_s(value)
    if key.endswith("_ms"):
        return fmt_duration_s(float(value) / 1e3)
    if "usd" in key:
        return fmt_usd(value)
    if key.endswith(("_pct", "_percent")):
        return f"{fmt_number(value)}%"
    if key.endswith(("_share", "_fraction")):
        return fmt_pct(value)
    return fmt_number(value)
