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


def fmt_number(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and k/M/B/T suffixes above ten thousand."""
    number = as_float(value)
    if number is None:
        return DASH
    magnitude = abs(number)
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k")):
        if magnitude >= threshold:
            return f"{number / threshold:.{digits}g}{suffix}"
    if magnitude >= 10 ** (digits - 1):
        return f"{number:,.0f}"
    return f"{number:.{digits}g}"


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
    """A quantity given in base units with a k/M/G prefix and 3 significant digits:
    ``fmt_si(1.63e8, "Wh")`` is ``163 MWh``."""
    number = as_float(value)
    if number is None:
        return missing
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= factor:
            return f"{number / factor:.3g} {prefix}{unit}"
    return f"{number:.3g} {unit}"


def fmt_count(value: Any) -> str:
    """A whole count with thousands separators."""
    number = as_float(value)
    return DASH if number is None else f"{round(number):,}"


def fmt_usd(value: Any) -> str:
    """Dollars: cents below $100, whole dollars below $10k, then k/M/B with 3 digits."""
    number = as_float(value)
    if number is None:
        return DASH
    if abs(number) < 1:
        return f"${number:.3g}"
    if abs(number) < 100:
        return f"${number:,.2f}"
    if abs(number) < 1e4:
        return f"${number:,.0f}"
    return "$" + fmt_number(number)


def fmt_duration_s(value: Any) -> str:
    """A duration in the largest unit that keeps it >= 1: days, hours, minutes, seconds, ms."""
    seconds = as_float(value)
    if seconds is None:
        return DASH
    for size, unit in ((SECONDS_PER_DAY, "d"), (SECONDS_PER_HOUR, "h"), (60.0, "min")):
        if abs(seconds) >= size:
            return f"{seconds / size:.3g} {unit}"
    if abs(seconds) >= 1 or seconds == 0:
        return f"{seconds:.3g} s"
    return f"{seconds * 1e3:.3g} ms"


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
        return DASH if value is None else str(value)
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
