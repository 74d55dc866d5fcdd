"""Unit constants and the parsers of human quantities ("15T" tokens, "60d" deadlines).

Decimal prefixes only: tera is 1e12, never 2**40. Binary sizes are named ``GIB``.
"""

from __future__ import annotations

import math
import re

from xpuplan.errors import InputError

__all__ = [
    "GIB",
    "GIGA",
    "HOURS_PER_DAY",
    "KILO",
    "MEGA",
    "PETA",
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
    "TERA",
    "hbm_bytes",
    "parse_count",
    "parse_duration_s",
]

KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15
GIB = float(2**30)
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = SECONDS_PER_HOUR * HOURS_PER_DAY


def hbm_bytes(hbm_gb: float) -> float:
    """Bytes of a chip's memory from the catalog's ``hbm_gb``, the one unit of device memory.

    Vendors quote HBM capacity in binary units under the name "GB" (an "80 GB" H100 reports
    81,559 MiB; a "96 GiB" Trainium2, a "95 GiB" TPU v5p), so ``hbm_gb`` counts GiB (2^30 bytes).
    Training and serving both convert capacity through this function; estimates then report
    memory needs in decimal GB (``*_gb``, 1e9 bytes) next to the usable capacity in the same
    decimal unit.
    """
    return float(hbm_gb) * GIB


_SUFFIX = {"": 1.0, "k": KILO, "m": MEGA, "b": GIGA, "g": GIGA, "t": TERA, "p": PETA}
_DURATION_S = {
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": SECONDS_PER_HOUR,
    "d": SECONDS_PER_DAY,
    "w": 7 * SECONDS_PER_DAY,
}


def parse_count(text: str | float | int, field: str) -> float:
    """Parse ``15T``, ``2.5e12``, ``300B`` or ``7k`` into a positive finite number."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = re.fullmatch(
            r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtTpP]?)\s*", text
        )
        if not match:
            raise InputError(
                f"{field}: cannot read {str(text)[:60]!r}; use a number with an optional suffix "
                "k, M, B, T or P (e.g. 15T, 2.5e12)"
            )
        value = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{field}: {text!r} must be a positive finite number")
    return value


def parse_duration_s(text: str | float | int, field: str) -> float:
    """Parse ``60d``, ``12h``, ``90min``, ``2w`` or ``3600s`` into seconds. Text needs its
    unit (a bare ``30`` could mean days as well as seconds); a number is seconds."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(s|min|m|h|d|w)\s*", text)
        if not match:
            raise InputError(
                f"{field}: cannot read {str(text)[:60]!r}; use a number with a unit s, min, h, "
                "d or w (e.g. 60d, 12h, 3600s)"
            )
        value = float(match.group(1)) * _DURATION_S[match.group(2)]
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{field}: {text!r} must be a positive finite duration")
    return value
