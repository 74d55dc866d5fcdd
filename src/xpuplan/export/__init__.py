"""Exports of a plan to the tools that run it: a SkyPilot task YAML, and a run-time estimator
for SkyPilot's optimizer (``Task.set_time_estimator``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import one_line
from xpuplan.errors import InputError
from xpuplan.export.estimator import resources_to_option, skypilot_time_estimator
from xpuplan.export.skypilot import NodeSpec, node_spec, skypilot_names, skypilot_task_yaml
from xpuplan.report import render_html
from xpuplan.report.io import check_writable, read_result, write_text_atomic

__all__ = [
    "NodeSpec",
    "check_result_schema",
    "export_plan",
    "node_spec",
    "resources_to_option",
    "skypilot_names",
    "skypilot_task_yaml",
    "skypilot_time_estimator",
    "write_skypilot_task",
]


def check_result_schema(result: Mapping[str, Any], field: str = "PLAN.json") -> None:
    """Raise a one-line InputError unless ``result`` follows the JSON Schema shipped for its
    ``kind`` (negative chips, costs that are not numbers, missing fields...)."""
    import jsonschema  # type: ignore[import-untyped]  # only export reads results back

    from xpuplan.schemas import SCHEMA_BY_KIND, load_schema

    name = SCHEMA_BY_KIND[str(result.get("kind"))]
    validator = jsonschema.Draft202012Validator(load_schema(name))
    error = jsonschema.exceptions.best_match(validator.iter_errors(result))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise InputError(
            f"{field}: {where.lstrip('.') or 'the result'}: {one_line(error.message):.200} "
            f"(does not follow the {name} schema; write it with 'xpuplan ... --json')"
        )


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
    return write_text_atomic(path, text, field="path")


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
            "export: nothing to write; give skypilot=TASK.yaml and/or report=FILE.html"
        )
    result = read_result(plan_json)
    check_result_schema(result)
    outputs: list[tuple[str | os.PathLike[str], str, str]] = []
    if skypilot is not None:
        text = skypilot_task_yaml(result, catalog=catalog, plan=plan, max_candidates=max_candidates)
        outputs.append((skypilot, text, "skypilot"))
    if report is not None:
        outputs.append((report, render_html(result), "report"))
    for path, _, field in outputs:
        check_writable(path, field)
    return [write_text_atomic(path, text, field=field) for path, text, field in outputs]
