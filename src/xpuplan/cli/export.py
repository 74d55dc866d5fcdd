"""``xpuplan export PLAN.json``: turn a saved ``--json`` result into a SkyPilot task and/or an
offline HTML report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from xpuplan.cli.common import CatalogOption, console, load_cli_catalog
from xpuplan.export import export_plan
from xpuplan.report import render_html
from xpuplan.report.io import check_writable, write_text_atomic

__all__ = ["ReportOption", "check_report_path", "export", "save_report"]

ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE.html",
        help="Also write a self-contained HTML report (charts, tables, sources).",
        show_default=False,
    ),
]


def check_report_path(path: Path | None) -> None:
    """Fail early (exit 2) on a --report path that cannot be written, before any search."""
    if path is not None:
        check_writable(path, "--report")


def save_report(result: Mapping[str, Any], path: Path | None, quiet: bool) -> None:
    """Write the --report file of a command's result (atomically); say so unless ``quiet``."""
    if path is None:
        return
    written = write_text_atomic(path, render_html(result), field="--report")
    if not quiet:
        console.print(f"report: {written}", markup=False, highlight=False, soft_wrap=True)


def export(
    plan_json: Annotated[
        Path,
        typer.Argument(
            metavar="PLAN.json",
            help="Output of 'xpuplan plan train|serve --json' or 'xpuplan compare --json'.",
            show_default=False,
        ),
    ],
    skypilot: Annotated[
        Path | None,
        typer.Option("--skypilot", metavar="TASK.yaml", help="Write a SkyPilot task YAML."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE.html", help="Write a self-contained HTML report."),
    ] = None,
    plan: Annotated[
        int | None,
        typer.Option(
            "--plan",
            help="Which plan (or fleet entry) to launch, 1 = best; default: the best one "
            "SkyPilot can launch.",
            show_default=False,
        ),
    ] = None,
    max_candidates: Annotated[
        int,
        typer.Option("--max-candidates", help="Most alternatives in the task's resources.any_of."),
    ] = 5,
    catalog: CatalogOption = None,
) -> None:
    """Write a SkyPilot task (resources.any_of over the top plans) and/or an HTML report."""
    written = export_plan(
        plan_json,
        skypilot=skypilot,
        report=report,
        catalog=load_cli_catalog(catalog) if skypilot is not None else None,
        plan=plan,
        max_candidates=max_candidates,
    )
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)
