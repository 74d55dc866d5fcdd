"""What every command shares: consoles, the --catalog option, JSON output."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError, did_you_mean
from xpuplan.units import parse_count

__all__ = [
    "MAX_FLAG_INT",
    "CatalogOption",
    "JsonOption",
    "check_argv_numbers",
    "check_choice",
    "check_positive",
    "console",
    "err_console",
    "load_cli_catalog",
    "parse_usd",
    "print_json",
]

# Markup and emoji codes off: names from catalogs, config files and flags ("eu[/bold]-1",
# ":fire:") print as written; styled text is built from rich Text objects instead.
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)

CatalogOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="Extra catalog YAML file(s) merged over the bundled one (also XPUPLAN_CATALOG).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def check_choice(flag: str, value: str, allowed: Sequence[str]) -> None:
    """Raise a one-line InputError naming ``flag``, ``value``, the nearest and every allowed
    value, unless ``value`` is one of ``allowed``."""
    if value in allowed:
        return
    nearest = did_you_mean(value, allowed)
    hint = f"; did you mean {nearest!r}?" if nearest else ""
    raise InputError(f"{flag} {value!r}: not one of {', '.join(allowed)}{hint}")


def check_positive(flag: str, value: float | None, what: str) -> None:
    """Raise a one-line InputError unless ``value`` (when given) is a positive ``what``."""
    if value is not None and not value > 0:
        raise InputError(f"{flag} {value}: must be a positive {what}")


# The largest whole number a flag may carry: every count (chips, tokens, batch) is exact in a
# float64 below 2**53, and numpy's int64 arrays hold it; past that a value is a typo.
MAX_FLAG_INT = 2**53
_NUMBER = re.compile(r"[+-]?(\d+|(\d*\.\d+|\d+\.?)(e[+-]?\d+)?|inf(inity)?|nan)", re.IGNORECASE)


def check_argv_numbers(argv: Sequence[str]) -> None:
    """Refuse, before any command runs, a flag value that is a number no command can use: a
    whole number beyond :data:`MAX_FLAG_INT` (``--count $((2**70))``), infinity or NaN
    (``--rate inf``). The message names the flag."""
    flag = "argument"
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            flag, _, value = arg.partition("=")
        elif arg.startswith("-") and not _NUMBER.fullmatch(arg):
            flag = arg
            continue
        else:
            value = arg
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            continue
        number = float(text)
        if not math.isfinite(number):
            raise InputError(f"{flag} {text}: must be a finite number")
        if text.lstrip("+-").isdigit() and abs(int(text)) > MAX_FLAG_INT:
            raise InputError(f"{flag} {text[:30]}: too large (at most {MAX_FLAG_INT:,})")


def parse_usd(text: str | None, flag: str) -> float | None:
    """A dollar amount with an optional k/M/B suffix (``50M``, ``2.5e6``, ``$50k``), or None."""
    if text is None:
        return None
    return parse_count(text.strip().removeprefix("$").replace(",", ""), flag)


def load_cli_catalog(files: list[Path] | None) -> Catalog:
    """The bundled catalog merged with --catalog files and the XPUPLAN_CATALOG variable."""
    return load_catalog(extra_files=files or (), env=os.environ)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON; NaN and infinity never reach output (they become null)."""
    text = json.dumps(_finite(payload), indent=2, default=str, allow_nan=False)
    typer.echo(text)
