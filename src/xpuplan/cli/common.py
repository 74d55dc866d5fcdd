"""What every command shares: consoles, the --catalog option, JSON output."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError, did_you_mean

__all__ = [
    "CatalogOption",
    "JsonOption",
    "check_choice",
    "check_positive",
    "console",
    "err_console",
    "load_cli_catalog",
    "print_json",
]

console = Console()
err_console = Console(stderr=True)

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
