"""The schemas of the planner's results, generated from their types (:mod:`xpuplan.jsontypes`).

``scripts/build_schemas.py`` writes them into this package; a test regenerates them and
compares with the shipped files, so the files cannot drift from what ``to_dict`` prints. The
other schemas (catalog, model, validate) describe outputs that are not result dataclasses yet
and are still written by hand.
"""

from __future__ import annotations

import json
from typing import Any

from xpuplan.jsontypes import json_schema
from xpuplan.perf.layout import Layout
from xpuplan.search.results import (
    LayoutKeys,
    ServingPlanResult,
    TrainingComparison,
    TrainingPlanResult,
)

__all__ = ["GENERATED", "SHAPES", "build_schema", "render_schema"]

# Types described by another hint, wherever they appear: a training layout by the TypedDict
# that names its keys with their bounds (one definition in plan train and compare).
SHAPES: dict[type, Any] = {Layout: LayoutKeys}


# name -> (root type, title, description)
GENERATED: dict[str, tuple[type, str, str]] = {
    "plan-train": (
        TrainingPlanResult,
        "xpuplan plan train --json",
        "Ranked training plans, the cost/time Pareto front and the lock-in premium per vendor "
        "and software stack (xpuplan.plan.plan_training(...).to_dict()).",
    ),
    "plan-serve": (
        ServingPlanResult,
        "xpuplan plan serve --json",
        "The cheapest (possibly mixed-vendor) serving fleet, the best single-type fleet and the "
        "fleet without the vendor-share limit (xpuplan.plan.plan_serving(...).to_dict()).",
    ),
    "compare": (
        TrainingComparison,
        "xpuplan compare --json",
        "Concrete training options on the same run, side by side; relative_pct is against the "
        "first option (xpuplan.plan.compare_options(...).to_dict()).",
    ),
}


def build_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` (a key of :data:`GENERATED`) built from its result type."""
    root, title, description = GENERATED[name]
    return json_schema(root, name=name, title=title, description=description, shapes=SHAPES)


def render_schema(schema: dict[str, Any]) -> str:
    """The text of a shipped schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
