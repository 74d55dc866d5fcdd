"""Exports of a plan to the tools that run it: a SkyPilot task YAML, and a run-time estimator
for SkyPilot's optimizer (``Task.set_time_estimator``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.errors import InputError
from xpuplan.export.estimator import resources_to_option, skypilot_time_estimator
from xpuplan.export.skypilot import NodeSpec, node_spec, skypilot_names, skypilot_task_yaml
from xpuplan.report import render_html
from xpuplan.report.io import check_writable, read_result, write_text_atomic

__all__ = [
    "NodeSpec",
    "export_plan",
    "node_spec",
    "resources_to_option",
    "skypilot_names",
    "skypilot_task_yaml",
    "skypilot_time_estimator",
    "write_skypilot_task",
]


def write_skypilot_task(
    result: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    catalog: Catalog | None = None,
    plan: int | None = None,
    max_candidates: int = 5,
) -> Path:
    """Write the SkyPilot task of ``result`` to ``path`` atomically; returns the path."""
    text = skypilot_task_yaml(result, catalog=catalog, plan=plan, max_candidates=max_candidates)
    return write_text_atomic(path, text, field="--skypilot")


def export_plan(
    plan_json: str | os.PathLike[str],
    *,
    skypilot: str | os.PathLike[str] | None = None,
    report: str | os.PathLike[str] | None = None,
    catalog: Catalog | None = None,
    plan: int | None = None,
    max_candidates: int = 5,
) -> list[Path]:
    """Read a saved ``--json`` result and write a SkyPilot task and/or an HTML report.

    Everything is rendered before anything is written, so bad input leaves no file behind.
    """
    if skypilot is None and report is None:
        raise InputError(
            "export: nothing to write; give --skypilot TASK.yaml and/or --report FILE.html"
        )
    result = read_result(plan_json)
    outputs: list[tuple[str | os.PathLike[str], str, str]] = []
    if skypilot is not None:
        text = skypilot_task_yaml(result, catalog=catalog, plan=plan, max_candidates=max_candidates)
        outputs.append((skypilot, text, "--skypilot"))
    if report is not None:
        outputs.append((report, render_html(result), "--report"))
    for path, _, field in outputs:
        check_writable(path, field)
    return [write_text_atomic(path, text, field=field) for path, text, field in outputs]
