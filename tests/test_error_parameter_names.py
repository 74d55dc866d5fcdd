"""Library errors name Python parameters (``max_chips``), not CLI flags; the CLI shows the flag
(``--max-chips``) through the one mapping in ``cli/common.py``."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.cli.common import PARAMETER_FLAGS, flag_names
from xpuplan.energy import PowerModel
from xpuplan.errors import XpuplanError
from xpuplan.plan import compare_options, parse_option, plan_serving, plan_training
from xpuplan.search.pricing import SpotModel

SRC = Path(__file__).resolve().parents[1] / "src" / "xpuplan"
SERVE = {"rate_rps": 1.0, "input_tokens": 100, "output_tokens": 10, "ttft_p99_ms": 2000.0,
         "tpot_p99_ms": 100.0}  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


CASES: list[tuple[Callable[[Any], object], str]] = [
    (lambda c: plan_training("llama-3.2-1b", "1B", catalog=c, max_chips=0), "max_chips: 0"),
    (lambda c: plan_training("llama-3.2-1b", "1B", catalog=c, top=0), "top: 0"),
    (lambda c: plan_training("llama-3.2-1b", "lots", catalog=c), "tokens: cannot read 'lots'"),
    (
        lambda c: plan_training(
            "llama-3.2-1b", "1B", catalog=c, seq_len=4096, global_batch_tokens=1000
        ),
        "global_batch_tokens: 1000 is less than one sequence of seq_len=4096",
    ),
    (lambda c: plan_serving("llama-3.2-1b", catalog=c, **SERVE | {"rate_rps": 0}), "rate_rps: 0"),
    (
        lambda c: plan_serving("llama-3.2-1b", catalog=c, **SERVE | {"input_tokens": 10**7}),
        "input_tokens=10000000 + output_tokens=10: more than",
    ),
    (
        lambda c: plan_serving("llama-3.2-1b", catalog=c, **SERVE, max_vendor_share=2.0),
        "max_vendor_share: 2.0",
    ),
    (lambda c: compare_options("llama-3.2-1b", "1B", [], catalog=c), "options: give at least"),
    (lambda c: parse_option("aws:p5 x2 x3"), "options='aws:p5 x2 x3': give the instance count"),
    (lambda c: SpotModel(checkpoint_interval_s=-1.0), "checkpoint_interval_s: -1.0"),
    (lambda c: PowerModel(pue=0.5), "pue: 0.5 must be between"),
]


@pytest.mark.parametrize(("call", "expected"), CASES)
def test_library_errors_name_parameters(
    catalog: Any, call: Callable[[Any], object], expected: str
) -> None:
    with pytest.raises(XpuplanError) as raised:
        call(catalog)
    message = str(raised.value)
    assert expected in message
    assert "--" not in message


@pytest.mark.parametrize(
    ("library", "cli"),
    [
        ("max_chips: 0 must be at least 1", "--max-chips: 0 must be at least 1"),
        ("precision=fp8: none of the 3", "--precision fp8: none of the 3"),
        (
            "raise max_chips or use a shorter seq_len",
            "raise --max-chips or use a shorter --seq-len",
        ),
        ("rate_rps: 0 must be positive", "--rate: 0 must be positive"),
        ("allow more chips (max_chips) or", "allow more chips (--max-chips) or"),
        ("unknown vendor 'x' (vendor)", "unknown vendor 'x' (--vendor)"),
        ("regions=eu: removes the last offerings", "--regions eu: removes the last offerings"),
        # plain words in prose stay words; other identifiers are left alone
        ("no plan: try other pricing models", "no plan: try other pricing models"),
        ("the top plan and its tokens", "the top plan and its tokens"),
        ("exclude_vendors=x", "--exclude-vendors x"),
        ("layout.max_chips=4", "layout.max_chips=4"),
    ],
)
def test_cli_translates_parameters_to_flags(library: str, cli: str) -> None:
    assert flag_names(library) == cli


def test_every_mapped_flag_exists() -> None:
    cli_sources = "\n".join(p.read_text("utf-8") for p in (SRC / "cli").glob("*.py"))
    for flag in set(PARAMETER_FLAGS.values()):
        assert f'"{flag}"' in cli_sources, flag


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (
            ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "1B", "--seq-len", "4096",
             "--global-batch-tokens", "1000"],
            "--global-batch-tokens: 1000 is less than one sequence of --seq-len 4096",
        ),
        (
            ["plan", "serve", "--model", "llama-3.2-1b", "--rate", "1", "--input", "10000000",
             "--output", "10", "--ttft-p99-ms", "2000", "--tpot-p99-ms", "100"],
            "--input 10000000 + --output 10: more than",
        ),
        (["compare", "--model", "llama-3.2-1b", "--tokens", "1B", "--option", "aws:p5 x2 x3"],
         "--option 'aws:p5 x2 x3': give the instance count"),
    ],
)  # fmt: skip
def test_cli_still_shows_flags(
    capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert shown in err, err


def _flag_literals(node: ast.AST) -> list[str]:
    texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
    # a message may show the command that writes a file ('xpuplan plan train --json')
    return [t for t in texts if isinstance(t, str) and "--" in t and "xpuplan " not in t]


def test_no_library_raise_names_a_flag() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                found += [f"{path.name}:{node.lineno}: {t}" for t in _flag_literals(node.exc)]
    assert found == []
