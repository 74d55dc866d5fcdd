"""Catalog fields with their own pattern keep it (a printable-text rule must not replace it)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from xpuplan.catalog.schema import Accelerator, Offering, Region

_REGION: dict[str, Any] = {
    "provider": "aws",
    "code": "eu-x-1",
    "country": "DE",
    "eu": True,
    "eea": True,
    "source": "test row",
    "as_of": "2026-01-01",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [("provider", "AWS Cloud"), ("country", "germany"), ("country", "D\nE")],
)
def test_region_patterns_are_enforced(field: str, value: str) -> None:
    Region.model_validate(_REGION)  # the good row passes
    with pytest.raises(ValidationError, match=field):
        Region.model_validate({**_REGION, field: value})


def test_offering_provider_and_accelerator_id_patterns_are_enforced() -> None:
    for model, field in ((Offering, "provider"), (Accelerator, "id")):
        pattern = model.model_json_schema()["properties"][field]["pattern"]
        assert pattern.startswith("^[a-z0-9]"), (model, field, pattern)
