"""JSON Schemas (draft 2020-12) of everything xpuplan prints with ``--json``.

The files ship in the package (``xpuplan/schemas/<name>.schema.json``) so other tools can check
what they read: ``jsonschema.validate(json.load(f), load_schema("plan-train"))``.

=============  ============================================  ============================
name           output                                        ``kind`` field
=============  ============================================  ============================
plan-train     ``xpuplan plan train --json``                 ``training_plan``
plan-serve     ``xpuplan plan serve --json``                 ``serving_plan``
compare        ``xpuplan compare --json``                    ``training_comparison``
validate       ``xpuplan validate --json``                   (none)
=============  ============================================  ============================
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from xpuplan.errors import UnknownNameError

__all__ = ["SCHEMA_BY_KIND", "SCHEMA_NAMES", "load_schema"]

SCHEMA_NAMES: tuple[str, ...] = ("compare", "plan-serve", "plan-train", "validate")
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
