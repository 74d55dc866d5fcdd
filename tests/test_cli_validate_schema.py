"""``xpuplan validate --kind train --json`` prints what the shipped 'validate' JSON Schema
describes (a small file of real public cases: two training, one inference)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from xpuplan.cli import run
from xpuplan.schemas import load_schema
from xpuplan.validation.run import bundled_public_file

TRAIN_IDS = ("megatron-core-h100-weak-gpt1.7b", "megatron-core-h100-weak-gpt7.1b")


def _small_file(tmp_path: Path) -> tuple[Path, str]:
    public = yaml.safe_load(bundled_public_file().read_text(encoding="utf-8"))
    train = [c for c in public["cases"] if c["id"] in TRAIN_IDS]
    infer = next(c for c in public["cases"] if c["kind"] == "infer")
    path = tmp_path / "cases.yaml"
    document = {"schema_version": public["schema_version"], "cases": [*train, infer]}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path, infer["id"]


def test_validate_train_json_follows_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, infer_id = _small_file(tmp_path)
    assert run(["validate", str(path), "--kind", "train", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    validator = jsonschema.Draft202012Validator(
        load_schema("validate"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(payload)]
    assert errors == []
    assert sorted(c["id"] for c in payload["cases"]) == sorted(TRAIN_IDS)
    assert infer_id not in {c["id"] for c in payload["cases"]}
    assert all(c["kind"] == "train" and c["status"] == "ok" for c in payload["cases"])
    assert set(payload["summary"]["by_kind"]) == {"train"}
