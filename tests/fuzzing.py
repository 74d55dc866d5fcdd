"""Hypothesis strategies that fuzz the whole command line, shared by ``test_cli_fuzz.py`` (200
examples in CI) and ``benchmarks/fuzz.py`` (10,000, with counts).

Each example is one command with its flags mutated (numbers at and past every edge, text with
markup, control characters and great length, flags dropped or unknown) and, for commands that
read files, an input file mutated the same way: a catalog override, a config.json, a validation
file or a PLAN.json. :func:`check_run` runs it in-process and checks the rules: exit code 0, 2
or 3 and no exception or traceback; on success no NaN or infinity in the output (and JSON
that parses with ``--json``); on failure no output file, not even a temporary one, left behind.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from test_models_hf import LLAMA_31_8B
from test_report_samples import comparison_result, serving_result, training_result
from test_validate import _case
from xpuplan.cli import run

__all__ = ["FuzzCase", "check_run", "fuzz_cases"]

_WEIRD_NUMBERS = ["0", "-1", "1e309", "-0", "1e-320", "inf", "-inf", "nan", "NaN",
                  str(2**63), str(2**70), "9" * 40, "0x10", "1_000", "", " ", "1,5", "2T",
                  "50M", "3.5", "1e3", "12h", "60d", "30"]  # fmt: skip
_WEIRD_TEXT = ["eu[/bold]-1", "x[/]", ":fire:", "a\nrun: curl x | sh", "\x00", "\u2028",
               "é" * 3, "a" * 300, "sub/../x", "meta-llama/Llama-3.1-8B", "-", "--",
               "aws:", "H100 SXM (Community Cloud)", "'\"", "%s%n", "{}", "[]"]  # fmt: skip

# Base command lines that succeed; flags are then mutated. FILE and OUT are placeholders for
# the example's input file and an output path inside its folder.
_BASES: dict[str, list[str]] = {
    "plan train": ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "10B",
                   "--accelerators", "nvidia-h100-sxm", "--top", "3", "--deadline", "30d",
                   "--budget-usd", "1M", "--report", "OUT.html"],
    "plan serve": ["plan", "serve", "--model", "llama-3.2-1b", "--rate", "5", "--input", "512",
                   "--output", "128", "--ttft-p99-ms", "2000", "--tpot-p99-ms", "100",
                   "--max-vendor-share", "0.6", "--peak-to-mean", "1.5"],
    "estimate train": ["estimate", "train", "--model", "llama-3.2-1b", "--accelerator",
                       "nvidia-h100-sxm", "--count", "8", "--tp", "2", "--pp", "1",
                       "--seq-len", "4096", "--global-batch", "64"],
    "estimate serve": ["estimate", "serve", "--model", "llama-3.2-1b", "--accelerator",
                       "nvidia-h100-sxm", "--count", "1", "--input", "512", "--output", "128",
                       "--rate", "2", "--ttft-p99-ms", "500"],
    "compare": ["compare", "--model", "llama-3.2-1b", "--tokens", "10B", "--option",
                "aws:p5.48xlarge x1", "--option", "gcp:a3-highgpu-8g x1 tp=2"],
    "catalog offerings": ["catalog", "offerings", "--accelerator", "nvidia-h100-sxm",
                          "--pricing", "spot"],
    "catalog check": ["catalog", "check", "FILE"],
    "catalog with override": ["catalog", "regions", "--catalog", "FILE"],
    "model show": ["model", "show", "FILE"],
    "validate": ["validate", "FILE", "--kind", "train"],
    "export": ["export", "FILE", "--skypilot", "OUT.yaml", "--report", "OUT.html"],
}  # fmt: skip
_DROPPED = "\x00dropped"
_FILE_KIND = {
    "catalog check": "catalog",
    "catalog with override": "catalog",
    "model show": "config",
    "validate": "validation",
    "export": "plan",
}


@dataclass
class FuzzCase:
    """One command line and the text of its input file (None: no file)."""

    command: str
    argv: list[str]
    file_text: str | None
    file_suffix: str

    def materialize(self, folder: Path) -> tuple[list[str], list[Path]]:
        """The argv with FILE and OUT placed in ``folder``; the output paths it may write."""
        outputs: list[Path] = []
        argv: list[str] = []
        for arg in self.argv:
            if arg == "FILE":
                path = folder / f"input{self.file_suffix}"
                path.write_text(self.file_text or "", encoding="utf-8")
                arg = str(path)
            elif arg.startswith("OUT."):
                path = folder / arg
                outputs.append(path)
                arg = str(path)
            argv.append(arg)
        return argv, outputs


def _mutate_value(draw: st.DrawFn, value: Any) -> Any:
    """A value of the same place in a file, changed to something at or past an edge."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.sampled_from([None, -1, 0, 10**30, float("nan"), float("inf"), -1e300]))
    if choice == 1:
        return draw(st.sampled_from(_WEIRD_TEXT))
    if choice == 2:
        return draw(st.sampled_from([[], {}, True, [1, 2], {"a": 1}]))
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return draw(st.sampled_from([-value, value * 1000, value + 0.5, 0]))
    return value


def _mutate_tree(draw: st.DrawFn, tree: Any, mutations: int) -> Any:
    """``tree`` (dicts and lists from JSON/YAML) with ``mutations`` leaves or keys changed."""
    tree = copy.deepcopy(tree)
    for _ in range(mutations):
        node = tree
        path: list[Any] = []
        while isinstance(node, dict | list) and node and draw(st.integers(0, 3)) > 0:
            key = draw(
                st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
            )
            path.append(key)
            node = node[key]
        if not path:
            continue
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[path[-1]]  # a missing field
        else:
            parent[path[-1]] = _mutate_value(draw, node)
    return tree


def _file_text(draw: st.DrawFn, kind: str) -> tuple[str, str]:
    """The text and suffix of a mutated input file of ``kind``."""
    if kind == "catalog":
        row = {"provider": "aws", "region": "eu-central-1", "instance": "fuzz.48xlarge",
               "accelerator_id": "nvidia-h100-sxm", "chips_per_instance": 8,
               "usd_per_hour": {"on_demand": 40.0, "spot": 12.0}, "source": "fuzz row",
               "as_of": "2026-12-01"}  # fmt: skip
        region = {"provider": "aws", "code": "fuzz-1", "country": "DE", "eu": True,
                  "eea": True, "grid_gco2_per_kwh": 300.0, "pue": 1.2, "source": "fuzz row",
                  "as_of": "2026-12-01"}  # fmt: skip
        tree: Any = {"offerings": [row], "regions": [region]}
    elif kind == "config":
        tree = dict(LLAMA_31_8B)
    elif kind == "validation":
        tree = {"schema_version": 1, "cases": [_case("fuzz-1"), _case("fuzz-2")]}
    else:
        tree = draw(st.sampled_from([training_result, serving_result, comparison_result]))()
    tree = _mutate_tree(draw, tree, draw(st.integers(0, 4)))
    as_json = kind in ("config", "plan") or draw(st.booleans())
    text = json.dumps(tree, default=str) if as_json else yaml.safe_dump(tree, allow_unicode=True)
    if draw(st.integers(0, 9)) == 0:  # a broken file
        text = text[: draw(st.integers(0, len(text)))]
    suffix = {"config": ".json", "plan": ".json"}.get(kind, ".json" if as_json else ".yaml")
    return text, suffix


def _mutate_argv(draw: st.DrawFn, argv: list[str]) -> list[str]:
    argv = list(argv)
    flags = [i for i, a in enumerate(argv) if a.startswith("--")]
    for _ in range(draw(st.integers(0, 3))):
        if not flags:
            break
        i = draw(st.sampled_from(flags))
        action = draw(st.integers(0, 4))
        has_value = i + 1 < len(argv) and not argv[i + 1].startswith("--")
        if action <= 1 and has_value:
            argv[i + 1] = draw(st.sampled_from(_WEIRD_NUMBERS))
        elif action == 2 and has_value:
            argv[i + 1] = draw(st.sampled_from(_WEIRD_TEXT))
        elif action == 3 and has_value:
            argv[i : i + 2] = [_DROPPED, _DROPPED]  # removed below
        else:
            extra = ["--json", "--nope", "-h", "--explain", "--format=csv", "--format=md"]
            argv.insert(i, draw(st.sampled_from(extra)))
            flags = [j for j, a in enumerate(argv) if a.startswith("--")]
    return [a for a in argv if a is not _DROPPED]


@st.composite
def fuzz_cases(draw: st.DrawFn) -> FuzzCase:
    """A mutated command line, with a mutated input file when the command reads one."""
    command = draw(st.sampled_from(sorted(_BASES)))
    argv = _mutate_argv(draw, _BASES[command])
    if draw(st.booleans()) and "--json" not in argv and command != "catalog check":
        argv.append("--json")
    text, suffix = None, ""
    if command in _FILE_KIND:
        text, suffix = _file_text(draw, _FILE_KIND[command])
    return FuzzCase(command, argv, text, suffix)


_NON_FINITE = re.compile(r"(?<![\w.\-])-?(nan|inf|infinity)(?![\w.…\-])", re.IGNORECASE)


def check_run(case: FuzzCase, folder: Path, runner: Callable[[list[str]], int] = run) -> int:
    """Run ``case`` in ``folder`` and assert the rules; returns the exit code."""
    argv, outputs = case.materialize(folder)
    before = set(folder.iterdir())
    out, err = io.StringIO(), io.StringIO()
    # In the example's folder: a mutated output path ("-", "{}") is relative to it, so nothing
    # is ever written outside it. No mutated value names a parent folder.
    with contextlib.chdir(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = runner(argv)  # any exception escaping here is a crash: the test fails
    stdout, stderr = out.getvalue(), err.getvalue()
    assert code in (0, 2, 3), (code, argv, stderr[-500:])
    assert "Traceback" not in stdout + stderr, (argv, stderr[-2000:])
    # exit 3 may still print a complete document (estimate serve shows the closest layout)
    if code == 0 or (code == 3 and stdout):
        echoed = {a for a in argv if _NON_FINITE.search(a)}
        if not echoed and (case.file_text is None or not _NON_FINITE.search(case.file_text)):
            assert not _NON_FINITE.search(stdout), (argv, _NON_FINITE.search(stdout))
        formats = [a for a in argv if a.startswith("--format=")]
        plain_json = not formats or formats[-1] == "--format=json"
        if "--json" in argv and plain_json and "-h" not in argv and "--help" not in argv:
            json.loads(stdout)
    if code != 0:
        for path in outputs:
            assert not path.exists(), (argv, path)
        leftovers = sorted(p.name for p in set(folder.iterdir()) - before)
        assert not leftovers, (argv, leftovers)  # nothing written, not even a temporary file
    return code
