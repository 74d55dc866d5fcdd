"""The schemas of the planner's and the estimators' results, generated from their types
(:mod:`xpuplan.jsontypes`).

``scripts/build_schemas.py`` writes them into this package; a test regenerates them and
compares with the shipped files, so the files cannot drift from what ``to_dict`` prints.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from xpuplan.catalog.query import OfferingRow
from xpuplan.catalog.schema import Accelerator, Region
from xpuplan.jsontypes import js, json_schema
from xpuplan.models.summary import ModelSummary, PresetRow
from xpuplan.perf.efficiency import EfficiencyParams
from xpuplan.perf.layout import Layout
from xpuplan.perf.training import Finetune, TrainingEstimate
from xpuplan.search.results import (
    FinetuneKeys,
    LayoutKeys,
    ServingPlanResult,
    TrainingComparison,
    TrainingPlanResult,
)
from xpuplan.search.serving_cost import PricedServingEstimate
from xpuplan.validation.crossval import CrossValidation
from xpuplan.validation.run import ValidationReport

__all__ = ["GENERATED", "SHAPES", "build_schema", "render_schema"]

# Types described by another hint, wherever they appear: a training layout and a fine-tuning
# method by the TypedDicts the plans use (one definition in estimate train, plan train and
# compare, with bounds); the efficiency parameters as a map of numbers, as their names and
# number follow the calibration (xpuplan.perf.efficiency), not a contract.
SHAPES: dict[type, Any] = {
    Layout: LayoutKeys,
    Finetune: FinetuneKeys,
    EfficiencyParams: Annotated[
        dict[str, float],
        js(description="the fitted efficiency parameters of the chip family, by name"),
    ],
}

# name -> (root type, title, description)
GENERATED: dict[str, tuple[Any, str, str]] = {
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
    "estimate-train": (
        TrainingEstimate,
        "xpuplan estimate train --json",
        "Step time, throughput, MFU/HFU and memory of one training setup, with breakdowns "
        "(xpuplan.estimate_training(...).to_dict()); a plan's figures carry the same names.",
    ),
    "estimate-serve": (
        PricedServingEstimate,
        "xpuplan estimate serve --json",
        "Throughput, latency, memory and cost per million tokens of one serving setup "
        "(xpuplan.search.serving_cost.estimate_serving_priced(...).to_dict()); unknown or "
        "unbounded numbers (an infeasible setup) are null.",
    ),
    "catalog-accelerators": (
        list[Accelerator],
        "xpuplan catalog accelerators --json",
        "Every accelerator row of the catalog (bundled, merged with --catalog files): per-chip "
        "dense peaks, memory, scale-up fabric, with source and as_of "
        "(xpuplan.catalog.query.accelerator_record).",
    ),
    "catalog-offerings": (
        list[OfferingRow],
        "xpuplan catalog offerings --json",
        "Rentable offerings (an instance or slice of chips in one region), cheapest first, with "
        "the price per chip-hour under the selected pricing model "
        "(xpuplan.catalog.query.find_offerings(...), each row's to_dict()).",
    ),
    "catalog-regions": (
        list[Region],
        "xpuplan catalog regions --json",
        "Cloud regions with country, EU/EEA status, grid carbon intensity and PUE "
        "(xpuplan.catalog.query.region_record).",
    ),
    "model-list": (
        list[PresetRow],
        "xpuplan model list --json",
        "The bundled model presets with their parameter counts and sources "
        "(xpuplan.models.summary.preset_rows(), each row's to_dict()).",
    ),
    "model-show": (
        ModelSummary,
        "xpuplan model show --json",
        "Exact parameter counts, FLOPs per token and KV-cache bytes per token of one model "
        "(xpuplan.models.model_summary(...).to_dict()).",
    ),
    "validate": (
        ValidationReport | CrossValidation,
        "xpuplan validate --json",
        "Predicted against measured for every validation case, and the error statistics "
        "(xpuplan.validation.run.validate_files(...).to_dict()); with --cross-validate, the "
        "out-of-group errors per held-out group, overall and in sample "
        "(xpuplan.validation.crossval.cross_validate(...).to_dict()).",
    ),
}


def build_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` (a key of :data:`GENERATED`) built from its result type."""
    root, title, description = GENERATED[name]
    return json_schema(root, name=name, title=title, description=description, shapes=SHAPES)


def render_schema(schema: dict[str, Any]) -> str:
    """The text of a shipped schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
