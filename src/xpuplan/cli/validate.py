"""xpuplan validate: predict measured results and report the errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    console,
    load_cli_catalog,
    print_json,
)
from xpuplan.report import terminal
from xpuplan.validation.run import bundled_public_file, validate_files

__all__ = ["validate"]

_KINDS = ("train", "infer")


def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Validation YAML files (default: the bundled public set).", show_default=False
        ),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only cases of this kind: train or infer.")
    ] = None,
    json_output: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Predict every case of the validation files and compare with the measurements."""
    if kind is not None:
        check_choice("--kind", kind, _KINDS)
    paths = list(files) if files else [bundled_public_file()]
    cat = load_cli_catalog(catalog)
    with terminal.count_progress(console, not json_output, "predicting") as progress:
        report = validate_files(paths, cat, kinds=[kind] if kind else None, progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        terminal.print_validation(console, report)
