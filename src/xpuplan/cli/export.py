"""``xpuplan export PLAN.json``: turn a saved ``--json`` result into a SkyPilot task and/or an
offline HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xpuplan.cli.common import CatalogOption, console, load_cli_catalog
from xpuplan.export import export_plan

__all__ = ["export"]


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
        console.print(f"wrote {path}", markup=False, highlight=False)
