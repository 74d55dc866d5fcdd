"""One type per concept: results print ``to_dict`` and their JSON Schema from their own fields,
and the estimate and the plan name the same quantity the same way."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypedDict, get_args, get_origin, get_type_hints

import jsonschema
import numpy as np
import pytest
from pydantic import BaseModel, Field

from xpuplan.catalog.load import load_catalog
from xpuplan.jsontypes import as_dict, js, json_key, json_schema
from xpuplan.perf.layout import Layout
from xpuplan.perf.serving.estimate import ServingEstimate
from xpuplan.perf.training import TrainingEstimate, TrainingFigures
from xpuplan.schemas import SCHEMA_NAMES, load_schema
from xpuplan.schemas.build import GENERATED, SHAPES, build_schema, render_schema
from xpuplan.search.results import FleetEntry, LayoutKeys, TrainingPlan
from xpuplan.search.serving_cost import PricedServingEstimate, estimate_serving_priced
from xpuplan.search.training import OBJECTIVES

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "src" / "xpuplan" / "schemas"


@dataclass(frozen=True)
class _Inner:
    """An inner part."""

    ratio: Annotated[float | None, js(minimum=0)]


@dataclass(frozen=True)
class _Outer:
    """A toy result."""

    name: str
    seconds: float
    parts: tuple[_Inner, ...]
    by_key: dict[str, float]
    count: Annotated[int, js(minimum=1)] = 1

    @property
    @json_key(after="seconds")
    def minutes(self) -> float:
        return self.seconds / 60.0

    @property
    @json_key(after=None)
    def kind(self) -> str:
        return "outer"


def test_as_dict_walks_fields_in_order_with_computed_keys() -> None:
    doc = as_dict(
        _Outer(
            name="a",
            seconds=120.0,
            parts=(_Inner(np.float64(0.5)), _Inner(math.nan)),
            by_key={"x": math.inf, "y": np.float32(2.0)},
            count=np.int64(3),  # type: ignore[arg-type]
        )
    )
    assert list(doc) == ["kind", "name", "seconds", "minutes", "parts", "by_key", "count"]
    assert doc["minutes"] == 2.0
    assert doc["parts"] == [{"ratio": 0.5}, {"ratio": None}]  # NaN never printed
    assert doc["by_key"] == {"x": None, "y": 2.0}
    assert type(doc["count"]) is int


def test_schema_of_a_toy_type_accepts_its_output_and_rejects_bad_ones() -> None:
    schema = json_schema(_Outer, name="toy", title="toy", description="toy")
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = as_dict(_Outer("a", 1.0, (_Inner(None),), {"x": 1.0}))
    jsonschema.validate(doc, schema)
    assert schema["required"] == list(doc)
    for bad in ({"count": 0}, {"by_key": {"x": "1"}}, {"parts": [{"ratio": -1.0}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc | bad, schema)


def test_json_key_after_an_unknown_key_is_refused() -> None:
    @dataclass(frozen=True)
    class Broken:
        a: int

        @property
        @json_key(after="b")
        def c(self) -> int:
            return self.a

    with pytest.raises(TypeError, match="is no key"):
        as_dict(Broken(1))


def test_shapes_describe_a_type_wherever_it_appears() -> None:
    class _InnerKeys(TypedDict):
        ratio: Annotated[float, js(minimum=0, maximum=1)]

    @dataclass(frozen=True)
    class _Holder:
        one: _Inner
        many: tuple[_Inner, ...]

    schema = json_schema(
        _Holder, name="toy", title="toy", description="toy", shapes={_Inner: _InnerKeys}
    )
    assert schema["properties"]["one"] == {"$ref": "#/$defs/__inner"}
    assert schema["properties"]["many"]["items"] == {"$ref": "#/$defs/__inner"}
    assert schema["$defs"]["__inner"]["properties"]["ratio"]["maximum"] == 1
    as_map = json_schema(
        _Holder, name="t", title="t", description="t", shapes={_Inner: dict[str, float]}
    )
    assert as_map["properties"]["one"] == {
        "type": "object",
        "additionalProperties": {"type": "number"},
    }


class _Row(BaseModel):
    """A toy catalog row."""

    code: str
    size: int = Field(ge=1)
    note: str | None = None

    @property
    @json_key(after="code")
    def loud(self) -> Annotated[str, js(description="the code, upper case")]:
        return self.code.upper()


@dataclass(frozen=True)
class _Listed:
    """A row with what a query found for it."""

    row: Annotated[_Row, js(flatten=True)]
    price: Annotated[float | None, js(minimum=0)]
    secret: Annotated[str, js(omit=True)]


def test_pydantic_rows_flatten_and_omit() -> None:
    doc = as_dict(_Listed(_Row(code="ab", size=2), 1.5, "hidden"))
    assert doc == {"code": "ab", "loud": "AB", "size": 2, "note": None, "price": 1.5}
    schema = json_schema(list[_Listed], name="t", title="t", description="t")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["items"] == {"$ref": "#/$defs/__listed"}
    listed = schema["$defs"]["__listed"]
    assert listed["required"] == list(doc)
    assert listed["properties"]["note"] == {"type": ["string", "null"]}  # no anyOf, no title
    jsonschema.validate([doc], schema)
    for bad in ({"size": 0}, {"price": -1.0}, {"loud": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([doc | bad], schema)


def test_every_shipped_schema_is_generated() -> None:
    assert sorted(GENERATED) == sorted(SCHEMA_NAMES)
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(
        f"{name}.schema.json" for name in SCHEMA_NAMES
    )


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_shipped_schemas_are_the_generated_ones(name: str) -> None:
    # Edit the types named in schemas/build.py, then run: python scripts/build_schemas.py
    shipped = (SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8")
    assert shipped == render_schema(build_schema(name))
    assert load_schema(name) == build_schema(name)


def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


def test_training_estimate_and_plan_share_their_figures() -> None:
    figures = {f.name for f in dataclasses.fields(TrainingFigures)}
    assert {"step_time_s", "step_time_breakdown_s", "memory_gb_per_chip"} <= figures
    assert issubclass(TrainingEstimate, TrainingFigures)
    assert issubclass(TrainingPlan, TrainingFigures)
    # Every field the two types both have is the same quantity with the same type: the layout
    # is one Layout, with the micro-batches per step and the batch beside it in both.
    estimate, plan = _hints(TrainingEstimate), _hints(TrainingPlan)
    shared = set(estimate) & set(plan)
    assert {"layout", "n_micro", "global_batch_seqs", "chips", "accelerator_id"} <= shared
    for name in shared:
        assert _strip(estimate[name]) == _strip(plan[name]), name
    assert _strip(plan["layout"]) is Layout


def test_layout_keys_name_the_layouts_json() -> None:
    # The TypedDict the schemas use for a layout names exactly what Layout.to_dict prints.
    assert SHAPES[Layout] is LayoutKeys
    assert list(_hints(LayoutKeys)) == list(Layout().to_dict())
    assert list(_hints(LayoutKeys)) == [f.name for f in dataclasses.fields(Layout)]
    for name in ("plan-train", "compare", "estimate-train"):
        schema = load_schema(name)
        assert schema["$defs"]["layout"] == load_schema("plan-train")["$defs"]["layout"]
        jsonschema.validate(Layout(dp=4, tp=2, zero=3).to_dict(), schema["$defs"]["layout"])
    layout_schema = load_schema("estimate-train")["$defs"]["layout"]
    for bad in ({"zero": 4}, {"dp": 0}, {"recompute": "some"}, {"sequence_parallel": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(Layout().to_dict() | bad, layout_schema)


def test_priced_serving_estimate_is_the_estimate_plus_its_cost() -> None:
    # One type per concept: the priced estimate is a ServingEstimate (same fields, same names,
    # same order) with its cost after them, and its JSON comes from those fields.
    estimate = [f.name for f in dataclasses.fields(ServingEstimate)]
    priced = [f.name for f in dataclasses.fields(PricedServingEstimate)]
    assert priced == [*estimate, "cost", "cost_note"]
    assert issubclass(PricedServingEstimate, ServingEstimate)
    priced_one = estimate_serving_priced(
        load_catalog(), "llama-3.1-8b", "nvidia-h100-sxm", count=1, tp=1, input_len=512,
        output_len=128, rate=2.0,
    )  # fmt: skip
    assert priced_one.cost is not None and priced_one.cost_note.startswith("cheapest")
    doc = priced_one.to_dict()
    assert list(doc) == priced
    assert doc["cost"] == priced_one.cost.to_dict()
    assert {k: doc[k] for k in estimate} == as_dict(
        ServingEstimate(**{k: getattr(priced_one, k) for k in estimate})
    )


def test_serving_estimate_and_fleet_entry_share_names() -> None:
    estimate, entry = _hints(ServingEstimate), _hints(FleetEntry)
    assert {"accelerator_id", "replicas", "ttft_p99_ms", "tpot_p99_ms"} <= set(estimate) & set(
        entry
    )
    for name in set(estimate) & set(entry):
        # the same type; a fleet entry may not know a latency (None)
        mine, theirs = _strip(estimate[name]), _strip(entry[name])
        assert theirs in (mine, mine | None), name


@pytest.mark.parametrize(
    "old",
    ["step_breakdown_s", "memory_breakdown_gb", "memory_gb", "usable_memory_gb", "ttft_p99_s"],
)
def test_renamed_duplicates_are_gone(old: str) -> None:
    for cls in (TrainingEstimate, TrainingPlan, ServingEstimate, FleetEntry):
        assert old not in _hints(cls), (cls.__name__, old)


def test_objective_enum_is_the_searchs() -> None:
    schema = load_schema("plan-train")
    assert schema["properties"]["objective"]["enum"] == list(OBJECTIVES)


def _strip(hint: Any) -> Any:
    """The type without its schema annotations."""
    return get_args(hint)[0] if get_origin(hint) is Annotated else hint
