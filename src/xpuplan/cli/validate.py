"""xpuplan validate: predict measured results and report the errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from xpuplan.cli.common import CatalogOption, JsonOption, console, load_cli_catalog, print_json
from xpuplan.errors import InputError
from xpuplan.validation.cases import ValidationCase, load_cases
from xpuplan.validation.run import ValidationReport, bundled_public_file, validate_cases

__all__ = ["validate"]

_KINDS = ("train", "infer")


def _error_cell(error: float) -> str:
    colour = "green" if abs(error) <= 0.10 else ("yellow" if abs(error) <= 0.25 else "red")
    return f"[{colour}]{error:+.1%}[/{colour}]"


def _render(report: ValidationReport) -> None:
    cases = Table(title="validation cases (primary metric)")
    for column in ("case", "kind", "family", "metric", "predicted", "measured", "error"):
        cases.add_column(column, justify="right" if column in ("predicted", "measured") else "left")
    for c in report.cases:
        if c.status != "ok" or c.primary_metric is None:
            cases.add_row(c.id, c.kind, c.family, "-", "-", "-", f"skipped: {c.reason}")
            continue
        m = c.metrics[c.primary_metric]
        cases.add_row(
            c.id,
            c.kind,
            c.family,
            c.primary_metric,
            f"{m.predicted:,.4g}",
            f"{m.measured:,.4g}",
            _error_cell(m.rel_error),
        )
    console.print(cases)
    summary = Table(title="summary: |relative error| of the primary metric")
    for column in ("kind", "family", "n", "median", "p90", "max", "worst case"):
        summary.add_column(column)
    by_family: dict[str, dict[str, Any]] = report.summary["by_family"]
    for kind, stats in report.summary["by_kind"].items():
        rows = [("all", stats), *by_family.get(kind, {}).items()]
        for family, s in rows:
            summary.add_row(
                kind,
                family,
                str(s["n"]),
                f"{s['median_abs_error']:.1%}",
                f"{s['p90_abs_error']:.1%}",
                f"{s['max_abs_error']:.1%}",
                s["worst_case"],
            )
    console.print(summary)
    for kind, count in report.summary["counts"].items():
        console.print(f"{kind}: {count.get('ok', 0)} predicted, {count.get('skipped', 0)} skipped")


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
    if kind is not None and kind not in _KINDS:
        raise InputError(f"--kind {kind!r}; allowed: {', '.join(_KINDS)}")
    paths = list(files) if files else [bundled_public_file()]
    cases: list[ValidationCase] = []
    for path in paths:
        cases.extend(load_cases(path))
    cat = load_cli_catalog(catalog)
    kinds = [kind] if kind else None
    if console.is_terminal and not json_output:
        total = sum(1 for c in cases if kinds is None or c.kind in kinds)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("predicting", total=total)
            report = validate_cases(
                cases, cat, kinds=kinds, progress=lambda _case: progress.advance(task)
            )
    else:
        report = validate_cases(cases, cat, kinds=kinds)
    if json_output:
        print_json(report.to_dict())
    else:
        _render(report)
