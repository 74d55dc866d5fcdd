"""``validate`` on a file with bad cases: each one is skipped with its reason, the rest are
predicted; the JSON still follows the shipped schema and parses from a subprocess's stdout."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from test_cli_json_stdout import run_cli
from test_validate import _case, _write
from xpuplan.catalog.load import load_catalog
from xpuplan.errors import ValidationFileError
from xpuplan.schemas import load_schema
from xpuplan.validation.cases import load_cases, read_cases
from xpuplan.validation.run import validate_files


def _edited(case_id: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    case = copy.deepcopy(_case(case_id))
    block = case
    for key in path[:-1]:
        block = block[key]
    block[path[-1]] = value
    return case


BAD = {
    "count-null": (_edited("count-null", ("hardware", "count"), None), "hardware.count: not given"),
    "metric-text": (_edited("metric-text", ("metrics", "tokens_per_s_per_device"), "fast"),
                    "metrics.tokens_per_s_per_device"),
    "negative-layers": (_edited("negative-layers", ("model", "layers"), -4), "model.layers"),
    "metric-inf": (_edited("metric-inf", ("metrics", "tokens_per_s_per_device"), float("inf")),
                   "not a finite number"),
}  # fmt: skip


def _file(tmp_path: Path) -> Path:
    cases = [_case("good-1"), *(case for case, _ in BAD.values()), _case("good-2"), "oops"]
    return _write(tmp_path, cases)


def test_bad_cases_are_skipped_with_reasons(tmp_path: Path) -> None:
    good, rejected = read_cases(_file(tmp_path))
    assert [c.id for c in good] == ["good-1", "good-2"]
    reasons = {r.id: r.reason for r in rejected}
    for case_id, (_, reason) in BAD.items():
        assert reason in reasons[case_id], reasons[case_id]
    assert "expected a mapping" in reasons["cases.yaml#7"]
    # The strict reader still stops at the first one (for code that wants a clean file).
    with pytest.raises(ValidationFileError, match=r"case 'count-null': hardware\.count"):
        load_cases(_file(tmp_path))


def test_report_predicts_the_rest(tmp_path: Path) -> None:
    report = validate_files([_file(tmp_path)], load_catalog())
    status = {c.id: (c.status, c.reason) for c in report.cases}
    assert status["good-1"][0] == status["good-2"][0] == "ok"
    assert all(status[i][0] == "skipped" and "invalid case" in status[i][1] for i in BAD)
    jsonschema.validate(report.to_dict(), load_schema("validate"))


def test_cli_validate_with_bad_cases(tmp_path: Path) -> None:
    done = run_cli(["validate", str(_file(tmp_path)), "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert sum(c["status"] == "ok" for c in data["cases"]) == 2
