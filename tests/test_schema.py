"""The shipped JSON Schemas describe what xpuplan really prints: real outputs of the library and
of the CLI (``--json``) on the bundled catalog validate; broken ones do not."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import jsonschema
import pytest

from test_report_samples import comparison_result, serving_result, training_result
from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import Accelerator, Offering, Region
from xpuplan.cli import run
from xpuplan.errors import UnknownNameError
from xpuplan.models.counts import FlopBreakdown, ParamBreakdown
from xpuplan.models.presets import get_preset, list_presets
from xpuplan.models.spec import ModelSpec
from xpuplan.models.summary import (
    ArchitectureKeys,
    FlopBreakdownKeys,
    ParamBreakdownKeys,
    model_summary,
    preset_rows,
)
from xpuplan.plan import compare_options, plan_serving, plan_training
from xpuplan.schemas import SCHEMA_BY_KIND, SCHEMA_NAMES, load_schema
from xpuplan.validation.cases import load_cases
from xpuplan.validation.crossval import (
    CrossValidation,
    LatencyCrossValidation,
    summarize_errors,
)
from xpuplan.validation.run import bundled_public_file, validate_cases

Validator = jsonschema.Draft202012Validator


def _errors(document: Any, name: str) -> list[str]:
    validator = Validator(load_schema(name), format_checker=Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


@pytest.fixture(scope="module")
def real_outputs(catalog: Any) -> dict[str, dict[str, Any]]:
    """One output of each planner function on the bundled catalog, as JSON would carry it."""
    train = plan_training("llama-3.1-8b", "1T", catalog=catalog, top=5)
    serve = plan_serving(
        "llama-3.1-8b",
        catalog=catalog,
        rate_rps=10,
        input_tokens=1000,
        output_tokens=200,
        ttft_p99_ms=2000,
        tpot_p99_ms=50,
        max_vendor_share=0.7,
    )
    compare = compare_options(
        "llama-3.1-8b",
        "1T",
        ["aws:p5.48xlarge x2", "azure:Standard_ND96isr_MI300X_v5 x2"],
        catalog=catalog,
    )
    return {
        r["kind"]: json.loads(json.dumps(r))
        for r in (train.to_dict(), serve.to_dict(), compare.to_dict())
    }


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Validator.check_schema(schema)


@pytest.mark.parametrize("kind", sorted(SCHEMA_BY_KIND))
def test_real_library_output_validates(real_outputs: dict[str, Any], kind: str) -> None:
    assert _errors(real_outputs[kind], SCHEMA_BY_KIND[kind]) == []


@pytest.mark.parametrize(
    ("argv", "schema"),
    [
        (["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T", "--top", "3"],
         "plan-train"),
        (["plan", "serve", "--model", "llama-3.1-8b", "--rate", "5", "--input", "500",
          "--output", "100", "--ttft-p99-ms", "2000", "--tpot-p99-ms", "60"], "plan-serve"),
        (["compare", "--model", "llama-3.1-8b", "--tokens", "1T",
          "--option", "aws:p5.48xlarge x2", "--option", "gcp:a3-highgpu-8g x2"], "compare"),
    ],
)  # fmt: skip
def test_real_cli_json_validates(
    argv: list[str], schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert _errors(document, schema) == []


@pytest.mark.parametrize(
    ("argv", "schema"),
    [
        (["estimate", "train", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm",
          "--count", "16"], "estimate-train"),
        (["estimate", "train", "--model", "mixtral-8x7b", "--accelerator", "aws-trainium2",
          "--count", "16", "--tp", "4", "--pp", "2", "--ep", "2", "--finetune", "lora"],
         "estimate-train"),
        # offline (no rate): TTFT is unbounded and prints as null
        (["estimate", "serve", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm",
          "--count", "2", "--input", "1000", "--output", "200"], "estimate-serve"),
        # infeasible (the weights do not fit): throughputs null, no cost
        (["estimate", "serve", "--model", "llama-3.1-405b", "--accelerator", "nvidia-h100-sxm",
          "--count", "1", "--tp", "1"], "estimate-serve"),
    ],
)  # fmt: skip
def test_estimate_json_validates_and_is_described(
    argv: list[str], schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # an infeasible serving estimate still prints its document, then exits 3
    assert run([*argv, "--json"]) == (3 if "llama-3.1-405b" in argv else 0)
    document = json.loads(capsys.readouterr().out)
    assert _errors(document, schema) == []
    loaded = load_schema(schema)
    assert _undescribed(document, loaded, loaded, "") == []
    if schema == "estimate-train":
        layout = document["layout"]
        assert (
            layout["dp"] * layout["micro_batch"] * document["n_micro"]
            == (document["global_batch_seqs"])
        )
        broken = copy.deepcopy(document)
        broken["layout"]["zero_stage"] = broken["layout"].pop("zero")  # the old plan key
        assert any("'zero' is a required property" in e for e in _errors(broken, schema))


def test_validation_report_validates(catalog: Any) -> None:
    cases = load_cases(bundled_public_file())
    # A few cases of each kind keep this fast; the shape does not depend on how many.
    chosen = [c for kind in ("train", "infer") for c in [c for c in cases if c.kind == kind][:5]]
    report = validate_cases(chosen, catalog).to_dict()
    assert len(report["cases"]) == 10
    assert _errors(json.loads(json.dumps(report)), "validate") == []
    schema = load_schema("validate")
    assert _undescribed(report, schema, schema, "") == []


def test_cross_validation_follows_the_validate_schema() -> None:
    # validate --cross-validate prints CrossValidation.to_dict(): the schema's other shape.
    errors = {"case-b": -0.2, "case-a": 0.1}
    latency = {"case-a|ttft": 0.3, "case-a|tpot": -0.1}
    group = summarize_errors("nvidia", errors)
    result = CrossValidation(
        kind="train",
        group_by="family",
        groups=(group, summarize_errors("tpu", {})),  # a group nothing could be predicted for
        overall=summarize_errors("all", errors),
        in_sample=summarize_errors("all (in-sample)", errors),
        by_family=(group,),
        errors=errors,
        latency=LatencyCrossValidation(
            groups=(summarize_errors("nvidia", latency),),
            overall=summarize_errors("all latency", latency),
            in_sample=summarize_errors("all latency (in-sample)", latency),
            by_kind=(summarize_errors("latency ttft", latency),),
            by_family=(summarize_errors("family nvidia", latency),),
            errors=latency,
        ),
    )
    document = json.loads(json.dumps(result.to_dict()))
    assert list(document) == [
        "kind", "group_by", "groups", "overall", "in_sample", "by_family", "errors", "latency"
    ]  # fmt: skip
    assert list(document["latency"]) == [
        "groups", "overall", "in_sample", "by_kind", "by_family", "errors"
    ]  # fmt: skip
    assert document["groups"][1] == {
        "group": "tpu", "n": 0, "median_abs_error": 0.0, "signed_median_error": 0.0,
        "p90_abs_error": 0.0, "max_abs_error": 0.0, "worst_case": None,
    }  # fmt: skip
    assert _errors(document, "validate") == []
    schema = load_schema("validate")
    assert _undescribed(document, schema, schema, "") == []
    assert _errors(document | {"latency": None}, "validate") == []  # no latency predicted
    broken = copy.deepcopy(document)
    broken["overall"]["median_abs_error"] = -0.1
    assert _errors(broken, "validate")


@pytest.mark.parametrize("sample", [training_result, serving_result, comparison_result])
def test_report_samples_follow_the_schema(sample: Any) -> None:
    # The hand-built samples the report tests use must have the planner's real shape.
    document = sample()
    assert _errors(document, SCHEMA_BY_KIND[document["kind"]]) == []


def _drop(path: list[Any]) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (_drop(["plans"]), "'plans' is a required property"),
        (_drop(["plans", 0, "cost_usd"]), "'cost_usd' is a required property"),
        (lambda d: d["plans"][0].update(cost_usd=None), "None is not of type 'number'"),
        (lambda d: d["plans"][0].update(chips=0), "0 is less than the minimum of 1"),
        (lambda d: d["plans"][0].update(pricing="cheap"), "'cheap' is not one of"),
        (lambda d: d.update(kind="serving_plan"), "'training_plan' was expected"),
        (lambda d: d["plans"][0]["sources"][0].pop("source"), "'source' is a required property"),
        (lambda d: d["plans"][0]["memory_gb_per_chip"].pop("total"), "'total' is a required"),
    ],
)
def test_broken_documents_fail(mutate: Any, fragment: str) -> None:
    document = copy.deepcopy(training_result())
    mutate(document)
    errors = _errors(document, "plan-train")
    assert any(fragment in e for e in errors), errors


def _undescribed(document: Any, node: dict[str, Any], root: dict[str, Any], path: str) -> list[str]:
    """Keys of ``document`` that the schema ``node`` does not name (maps are not checked)."""
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for option in node.get("oneOf", ()):
        if Validator(option | {"$defs": root["$defs"]}).is_valid(document):
            return _undescribed(document, option, root, path)
    missing: list[str] = []
    if isinstance(document, dict) and "properties" in node:
        for key, value in document.items():
            if key not in node["properties"]:
                if not isinstance(node.get("additionalProperties"), dict):
                    missing.append(f"{path}/{key}")
                continue
            missing += _undescribed(value, node["properties"][key], root, f"{path}/{key}")
    elif isinstance(document, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(document[:3]):
            missing += _undescribed(item, node["items"], root, f"{path}/{i}")
    return missing


@pytest.mark.parametrize("kind", sorted(SCHEMA_BY_KIND))
def test_schema_describes_every_field(real_outputs: dict[str, Any], kind: str) -> None:
    # The schemas accept added fields (the planner only ever adds), but every field the planner
    # prints today must be typed on its result type (python scripts/build_schemas.py).
    schema = load_schema(SCHEMA_BY_KIND[kind])
    assert _undescribed(real_outputs[kind], schema, schema, "") == []


def test_shared_definitions_agree() -> None:
    train, compare, serve = (load_schema(n) for n in ("plan-train", "compare", "plan-serve"))
    assert train["$defs"]["training_plan"] == compare["$defs"]["training_plan"]
    assert train["$defs"]["training_workload"] == compare["$defs"]["training_workload"]
    assert train["$defs"]["source"] == serve["$defs"]["source"] == compare["$defs"]["source"]
    # one layout and one fine-tuning shape in the plans and the estimate
    estimate = load_schema("estimate-train")
    for name in ("layout", "finetune"):
        assert train["$defs"][name] == compare["$defs"][name] == estimate["$defs"][name]
    assert train["$defs"]["training_plan"]["properties"]["layout"] == {"$ref": "#/$defs/layout"}
    assert estimate["properties"]["layout"] == {"$ref": "#/$defs/layout"}


def test_unknown_schema_name() -> None:
    with pytest.raises(UnknownNameError, match="unknown schema 'plan_train'; did you mean"):
        load_schema("plan_train")
    assert load_schema("compare") is not load_schema("compare")  # callers may mutate their copy


@pytest.mark.parametrize(
    ("argv", "schema"),
    [
        (["catalog", "accelerators"], "catalog-accelerators"),
        (["catalog", "offerings"], "catalog-offerings"),
        (["catalog", "regions"], "catalog-regions"),
        (["model", "list"], "model-list"),
        (["model", "show", "llama-3.1-8b"], "model-show"),
        (["model", "show", "deepseek-v3"], "model-show"),
    ],
)
def test_catalog_and_model_json_validate(
    argv: list[str], schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document  # a non-empty answer: the bundled catalog and presets
    assert _errors(document, schema) == []
    loaded = load_schema(schema)
    assert _undescribed(document, loaded, loaded, "") == []


def test_model_schemas_name_every_field_and_hold_for_every_preset() -> None:
    # The TypedDicts that give the model-show schema its bounds name exactly the fields of the
    # types they describe (ModelSpec without name, source and notes).
    for keys, cls, dropped in (
        (ArchitectureKeys, ModelSpec, {"name", "source", "notes"}),
        (ParamBreakdownKeys, ParamBreakdown, set()),
        (FlopBreakdownKeys, FlopBreakdown, set()),
    ):
        assert list(keys.__annotations__) == [
            f.name for f in dataclasses.fields(cls) if f.name not in dropped
        ]
    rows = [row.to_dict() for row in preset_rows()]
    assert _errors(rows, "model-list") == []
    for name in list_presets():
        assert _errors(model_summary(get_preset(name)).to_dict(), "model-show") == [], name


@pytest.mark.parametrize(
    ("schema", "model", "row"),
    [("catalog-accelerators", Accelerator, "accelerator"),
     ("catalog-offerings", Offering, "offering_row"), ("catalog-regions", Region, "region")],
)  # fmt: skip
def test_catalog_schemas_name_every_row_field(schema: str, model: Any, row: str) -> None:
    # The row schemas are generated from the pydantic models (python scripts/build_schemas.py):
    # every field is printed, so every field is a required key, with pydantic's bounds.
    loaded = load_schema(schema)
    assert loaded["items"] == {"$ref": f"#/$defs/{row}"}
    definition = loaded["$defs"][row]
    assert set(model.model_fields) <= set(definition["required"])
    assert set(definition["required"]) == set(definition["properties"])
    if model is Accelerator:
        assert definition["properties"]["hbm_gb"]["exclusiveMinimum"] == 0
        assert "nvidia" in definition["properties"]["vendor_family"]["enum"]
    if model is Offering:
        assert definition["properties"]["chips_per_instance"]["minimum"] == 1
        assert None in definition["properties"]["pricing"]["enum"]
