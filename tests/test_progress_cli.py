"""Progress bars of the long commands (plan train, plan serve, validate): drawn on a terminal,
never with --json and never when stdout is not a terminal (pipes, files, CI logs)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from xpuplan.cli import plan as cli_plan
from xpuplan.cli import run
from xpuplan.cli import validate as cli_validate
from xpuplan.errors import InputError
from xpuplan.report.terminal import count_progress, stage_progress

PLAN_TRAIN = ["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1T"]
PLAN_SERVE = [
    "plan",
    "serve",
    "--model",
    "llama-3.1-8b",
    "--rate",
    "1",
    "--input",
    "100",
    "--output",
    "10",
    "--ttft-p99-ms",
    "1000",
    "--tpot-p99-ms",
    "50",
]
# (argv, module whose console and library function are replaced, library function name)
COMMANDS = [
    (PLAN_TRAIN, cli_plan, "plan_training"),
    (PLAN_SERVE, cli_plan, "plan_serving"),
    (["validate"], cli_validate, "validate_files"),
]


def _console(terminal: bool) -> Console:
    return Console(file=io.StringIO(), force_terminal=terminal, width=100)


@pytest.mark.parametrize(("argv", "module", "function"), COMMANDS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    ("terminal", "json_flag", "expect_bar"),
    [(True, False, True), (True, True, False), (False, False, False)],
    ids=["terminal", "terminal-json", "pipe"],
)
def test_progress_only_on_a_terminal_without_json(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    module: Any,
    function: str,
    terminal: bool,
    json_flag: bool,
    expect_bar: bool,
) -> None:
    seen: list[object] = []

    def fake(*_args: Any, progress: object = None, **_kwargs: Any) -> Any:
        seen.append(progress)
        raise InputError("stop here")  # the command's library call; no search needed

    monkeypatch.setattr(module, "console", _console(terminal))
    monkeypatch.setattr(module, function, fake)
    assert run([*argv, *(["--json"] if json_flag else [])]) == 2
    assert len(seen) == 1
    assert (seen[0] is not None) is expect_bar
    assert capsys.readouterr().out == ""


def test_bars_are_off_when_disabled_or_not_a_terminal() -> None:
    for console, enabled in ((_console(True), False), (_console(False), True)):
        with stage_progress(console, enabled) as update:
            assert update is None
        with count_progress(console, enabled, "predicting") as advance:
            assert advance is None
        assert console.file.getvalue() == ""  # type: ignore[attr-defined]


def test_bars_draw_on_a_terminal() -> None:
    console = _console(True)
    with stage_progress(console, True) as update:
        assert update is not None
        update("searching", 0.5)
        update("searching", 1.0)
    with count_progress(console, True, "predicting") as advance:
        assert advance is not None
        advance("case-1")
    drawn = console.file.getvalue()  # type: ignore[attr-defined]
    assert "searching" in drawn and "predicting" in drawn
