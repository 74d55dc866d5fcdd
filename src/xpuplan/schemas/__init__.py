"""JSON Schemas (draft 2020-12) of everything xpuplan prints with ``--json``.

The files ship in the package (``xpuplan/schemas/<name>.schema.json``) so other tools can check
what they read: ``jsonschema.validate(json.load(f), load_schema("plan-train"))``. Every one is
generated from the types that print the output (:mod:`xpuplan.schemas.build`,
``python scripts/build_schemas.py``); none is written by hand.

====================  =========================================  ==========================
name                  output                                     ``kind`` field
====================  =========================================  ==========================
plan-train            ``xpuplan plan train --json``              ``training_plan``
plan-serve            ``xpuplan plan serve --json``              ``serving_plan``
compare               ``xpuplan compare --json``                 ``training_comparison``
estimate-train        ``xpuplan estimate train --json``          (none)
estimate-serve        ``xpuplan estimate serve --json``          (none)
validate              ``xpuplan validate --json``                (none; two shapes)
catalog-accelerators  ``xpuplan catalog accelerators --json``    (an array of rows)
catalog-offerings     ``xpuplan catalog offerings --json``       (an array of rows)
catalog-regions       ``xpuplan catalog regions --json``         (an array of rows)
model-list            ``xpuplan model list --json``              (an array of presets)
model-show            ``xpuplan model show MODEL --json``        (none)
====================  =========================================  ==========================
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from xpuplan.errors import UnknownNameError

__all__ = ["SCHEMA_BY_KIND", "SCHEMA_NAMES", "load_schema"]

SCHEMA_NAMES: tuple[str, ...] = (
    "catalog-accelerators",
    "catalog-offerings",
    "catalog-regions",
    "compare",
    "estimate-serve",
    "estimate-train",
    "model-list",
    "model-show",
    "plan-serve",
    "plan-train",
    "validate",
)
SCHEMA_BY_KIND: dict[str, str] = {
    "training_plan": "plan-train",
    "serving_plan": "plan-serve",
    "training_comparison": "compare",
}


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema called ``name`` (see :data:`SCHEMA_NAMES`) as a dict (a fresh copy)."""
    if name not in SCHEMA_NAMES:
        raise UnknownNameError("schema", name, SCHEMA_NAMES)
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
