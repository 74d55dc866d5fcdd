"""xpuplan validate: predict measured results and report the errors (or cross-validate)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    console,
    load_cli_catalog,
    print_json,
)
from xpuplan.report import terminal
from xpuplan.validation.cases import load_cases
from xpuplan.validation.crossval import (
    GROUPINGS,
    CrossValidation,
    GroupError,
    calibration_for,
    cross_validate,
)
from xpuplan.validation.run import bundled_case_files, validate_files

__all__ = ["validate"]

_KINDS = ("train", "infer")


def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Validation YAML files (default: every bundled validation file).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only cases of this kind: train or infer.")
    ] = None,
    cross: Annotated[
        str | None,
        typer.Option(
            "--cross-validate",
            help="Refit without each group (source or family) and predict it; default kind: train.",
        ),
    ] = None,
    json_output: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Predict every case of the validation files and compare with the measurements."""
    if kind is not None:
        check_choice("--kind", kind, _KINDS)
    paths = list(files) if files else bundled_case_files()
    cat = load_cli_catalog(catalog)
    if cross is not None:
        check_choice("--cross-validate", cross, GROUPINGS)
        run_kind = kind or "train"
        calibration = calibration_for(run_kind)
        if hasattr(calibration, "catalog"):
            calibration.catalog = cat
        cases = [c for path in paths for c in load_cases(path) if c.kind == run_kind]
        result = cross_validate(cases, calibration, cross, kind=run_kind)
        if json_output:
            print_json(result.to_dict())
        else:
            _print_cross_validation(result)
        return
    with terminal.count_progress(console, not json_output, "predicting") as progress:
        report = validate_files(paths, cat, kinds=[kind] if kind else None, progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        terminal.print_validation(console, report)


def _print_cross_validation(result: CrossValidation) -> None:
    title = f"{result.kind}: out-of-group error (refit without each {result.group_by})"
    rows = (*result.groups, result.overall, *result.by_family, result.in_sample)
    console.print(_error_table(title, rows))
    latency = result.latency
    if latency is not None and latency.overall.n:
        title = f"{result.kind}: out-of-group latency error (TTFT, TPOT, e2e per case)"
        rows = (
            *latency.groups,
            latency.overall,
            *latency.by_kind,
            *latency.by_family,
            latency.in_sample,
        )
        console.print(_error_table(title, rows))


def _error_table(title: str, rows: Sequence[GroupError]) -> Table:
    table = Table(title=title)
    for column in ("group", "n", "median |err|", "signed median", "p90", "max", "worst case"):
        table.add_column(column, justify="left" if column in ("group", "worst case") else "right")
    for g in rows:
        table.add_row(
            escape(g.group),
            str(g.n),
            f"{g.median_abs_error:.1%}",
            f"{g.signed_median_error:+.1%}",
            f"{g.p90_abs_error:.1%}",
            f"{g.max_abs_error:.1%}",
            escape(g.worst_case or "-"),
        )
    return table
