"""scripts/parse_mlperf_inference.py: README results tables and the --append merge, on
hand-written tables whose figures are copied from MLPerf Inference v5.0 result READMEs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

COMMIT = "c" * 40
SOURCE = {"repo": "o/r", "commit": COMMIT, "round": "v5.0", "division": "closed"}


def _module() -> Any:
    path = Path(__file__).resolve().parents[1] / "scripts" / "parse_mlperf_inference.py"
    spec = importlib.util.spec_from_file_location("parse_mlperf_inference", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["parse_mlperf_inference"] = module
    spec.loader.exec_module(module)
    return module


def _cell(value: tuple[str, str] | None) -> str:
    if value is None:
        return '<td class="na" colspan="2"> N/A </td>'
    return f'<td class="units">{value[0]}</td> <td class="perf">{value[1]}</td>'


def _table(header: tuple[str, ...], rows: list[tuple[str, list[tuple[str, str] | None]]]) -> str:
    head = "".join(f'<th colspan="2">{name}</th>\n' for name in header)
    body = "".join(
        f'<tr><td class="model">{model}</td><td class="acc-target">x: 1</td>'
        + "".join(_cell(c) for c in cells)
        for model, cells in rows
    )
    return f"<table>\n{head}</tr>{body}</table>\n"


def test_readme_table_keeps_columns_across_na_cells() -> None:
    # Fujitsu H100-NVL-94GBx8_TRT: 3d-unet has no Server column; gptj-99 has both
    text = _table(
        ("Server", "Offline"),
        [
            ("3d-unet-99", [None, ("Samples/s", "44.58")]),
            ("gptj-99", [("Tokens/s", "14846.70"), ("Tokens/s", "14769.70")]),
            ("llama3_1-405b", [None, ("Tokens/s", "436.22")]),
        ],
    )
    got = _module().readme_results(text)
    assert got[("3d-unet-99", "Offline")] == (44.58, "Samples/s")
    assert ("3d-unet-99", "Server") not in got
    assert got[("gptj-99", "Server")] == (14846.70, "Tokens/s")
    assert got[("llama3_1-405b", "Offline")] == (436.22, "Tokens/s")
    assert len(got) == 4


def test_readme_table_reads_an_edge_header_and_leaves_edge_scenarios_out(tmp_path: Path) -> None:
    # edge layout (HPE DL145 L4x3): Offline, SingleStream, MultiStream
    text = _table(
        ("Offline", "SingleStream", "MultiStream"),
        [("gptj-99", [("Tokens/s", "100.00"), ("Latency (ms)", "2.22"), None])],
    )
    module = _module()
    assert module.readme_results(text) == {
        ("gptj-99", "Offline"): (100.0, "Tokens/s"),
        ("gptj-99", "SingleStream"): (2.22, "Latency (ms)"),
    }
    base = tmp_path / "closed" / "Acme"
    (base / "results" / "edge").mkdir(parents=True)
    (base / "results" / "edge" / "README.md").write_text(text)
    system = {"accelerator_model_name": "NVIDIA L4", "accelerators_per_node": 3}
    (base / "systems").mkdir()
    (base / "systems" / "edge.json").write_text(json.dumps(system))
    cases, account = module.parse(tmp_path, {**SOURCE, "as_of": "2026-12-02"})
    assert [c["hardware"]["accelerator_id"] for c in cases] == ["nvidia-l4"]
    edge = "Acme/edge/gptj-99/SingleStream: scenario SingleStream not described"
    assert account["left_out"] == [edge]


def _readme_tree(root: Path, submitter: str, system: str, rows: list[Any]) -> None:
    base = root / "closed" / submitter
    (base / "results" / system).mkdir(parents=True)
    (base / "results" / system / "README.md").write_text(_table(("Server", "Offline"), rows))
    (base / "systems").mkdir(exist_ok=True)
    described = {"accelerator_model_name": "NVIDIA H200-SXM-141GB", "accelerators_per_node": 8}
    (base / "systems" / f"{system}.json").write_text(json.dumps(described))


def test_append_keeps_prior_cases_and_replaces_their_left_out_lines(tmp_path: Path) -> None:
    module = _module()
    source = {**SOURCE, "as_of": "2026-12-02"}
    # first pass: Lambda H200 llama2-70b-99 (v5.0 README: Server 33045.30, Offline 35385.10)
    first = tmp_path / "first"
    _readme_tree(first, "Lambda", "box", [("llama2-70b-99", [("Tokens/s", "33045.30"), None])])
    cases, account = module.parse(first, source)
    account["left_out"].append("Oracle/box/llama2-70b-99/Server: no system description")
    prior = yaml.safe_load(module.render(cases, account, source))
    prior["description"] = "... 36 performance summaries found ..."
    # second pass: the -99.9 row repeats the -99 Server figure; Oracle's row is now described
    second = tmp_path / "second"
    _readme_tree(
        second,
        "Lambda",
        "box",
        [
            ("llama2-70b-99", [("Tokens/s", "33045.30"), ("Tokens/s", "35385.10")]),
            ("llama2-70b-99.9", [("Tokens/s", "33045.30"), ("Tokens/s", "35385.10")]),
        ],
    )
    _readme_tree(second, "Oracle", "box", [("llama2-70b-99", [("Tokens/s", "33001.00"), None])])
    new_cases, new_account = module.parse(second, source)
    merged, merged_account = module.merge(prior, new_cases, new_account)
    assert merged[0] == prior["cases"][0]  # unchanged
    wheres = [module.case_where(c) for c in merged]
    assert wheres == [
        "Lambda/box/llama2-70b-99/Server",
        "Lambda/box/llama2-70b-99/Offline",
        "Oracle/box/llama2-70b-99/Server",
    ]
    left = merged_account["left_out"]
    assert not any(line.startswith("Oracle/") for line in left)
    assert sorted(left) == [
        "Lambda/box/llama2-70b-99.9/Offline: duplicate of llama2-70b-99 (same run, same figure)",
        "Lambda/box/llama2-70b-99.9/Server: duplicate of llama2-70b-99 (same run, same figure)",
    ]
    assert merged_account["llm_results_found"] == 5
    assert merged_account["summaries_found"] == 36
    assert merged_account["by_benchmark"] == {"llama2-70b-99": 3}


def test_append_leaves_a_different_figure_of_the_same_scenario_as_a_case() -> None:
    module = _module()

    def case(benchmark: str, tokens_per_s: float) -> dict[str, Any]:
        url = f"https://github.com/o/r/tree/{COMMIT}/closed/HPE/results/box/{benchmark}/Offline"
        return {"source": {"url": url}, "metrics": {"tokens_per_s": tokens_per_s}}

    # HPE Cray XD670 H200: llama2-70b-99 Offline 33781.80, -99.9 Offline 33964.00 (two runs)
    prior = {"cases": [case("llama2-70b-99", 33781.8)], "left_out": []}
    account = {"summaries_found": 0, "left_out": []}
    merged, _ = module.merge(prior, [case("llama2-70b-99.9", 33964.0)], account)
    assert len(merged) == 2
    merged, out = module.merge(prior, [case("llama2-70b-99.9", 33781.8)], account)
    assert len(merged) == 1 and out["left_out"][0].endswith("(same run, same figure)")


@pytest.mark.parametrize("name", ["mlperf-inference-v5.0.yaml"])
def test_shipped_file_accounts_for_every_result_once(name: str) -> None:
    path = Path(__file__).resolve().parents[1] / "src/xpuplan/validation/data" / name
    document = yaml.safe_load(path.read_text())
    module = _module()
    wheres = [module.case_where(c) for c in document["cases"]]
    left = [line.split(": ", 1)[0] for line in document["left_out"]]
    assert len(set(wheres)) == len(wheres)
    assert not set(wheres) & set(left)
    assert len(set(left)) == len(left)
