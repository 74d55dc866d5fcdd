"""Inputs that once crashed or were silently misread: each is now one line on stderr naming the
flag and the value, exit code 2, and nothing else."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import yaml

from xpuplan.cli import run
from xpuplan.cli.common import MAX_FLAG_INT, parse_usd
from xpuplan.errors import InputError
from xpuplan.units import parse_duration_s

_SERVE = ["plan", "serve", "--model", "llama-3.1-8b", "--ttft-p99-ms", "1000",
          "--tpot-p99-ms", "100"]  # fmt: skip
_HUGE = str(2**70)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["estimate", "train", "--model", "llama-3.2-1b", "--accelerator", "nvidia-h100-sxm",
          "--count", _HUGE], f"--count {_HUGE}: too large"),
        (["estimate", "serve", "--model", "llama-3.2-1b", "--accelerator", "nvidia-h100-sxm",
          "--count", "1", "--input", "8", "--output", "8", "--batch", _HUGE], "--batch"),
        ([*_SERVE, "--rate", "inf", "--input", "10", "--output", "10"], "--rate inf: must be"),
        ([*_SERVE, "--rate=NaN", "--input", "10", "--output", "10"], "--rate NaN: must be"),
        ([*_SERVE, "--rate", "1e-320", "--input", "10", "--output", "10"],
         "--rate 1e-320: too small"),
        (["plan", "train", "--model", "llama-3.2-1b", "--tokens", "1B", "--report", "a" * 300],
         "--report"),
        ([*_SERVE, "--rate", "1", "--input", "130000", "--output", "2000"],
         "more than llama-3.1-8b's context of 131,072 tokens"),
        (["estimate", "serve", "--model", "gpt2", "--accelerator", "nvidia-h100-sxm", "--count",
          "1", "--input", "1000", "--output", "100"], "gpt2's context of 1,024"),
        (["plan", "train", "--model", "llama-3.2-1b", "--tokens", "1B", "--deadline", "30"],
         "--deadline: cannot read '30'; use a number with a unit"),
        (["plan", "train", "--model", "llama-3.2-1b", "--tokens", "1B", "--budget-usd", "lots"],
         "--budget-usd: cannot read 'lots'"),
    ],
)  # fmt: skip
def test_bad_numbers_are_one_line_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1


def test_budget_takes_suffixes_like_tokens() -> None:
    assert parse_usd("50M", "--budget-usd") == 5e7
    assert parse_usd("$2.5k", "--budget-usd") == 2500
    assert parse_usd("1,000,000", "--budget-usd") == 1e6
    assert parse_usd(None, "--budget-usd") is None
    with pytest.raises(InputError, match="--budget-usd"):
        parse_usd("-5", "--budget-usd")


def test_deadlines_need_a_unit_in_text_only() -> None:
    assert parse_duration_s("3600s", "--deadline") == 3600
    assert parse_duration_s("2w", "--deadline") == 14 * 86400
    assert parse_duration_s(7200, "deadline") == 7200  # the library's number is seconds
    with pytest.raises(InputError, match="with a unit"):
        parse_duration_s("90", "--deadline")


def test_largest_count_is_accepted_by_the_guard() -> None:
    from xpuplan.cli.common import check_argv_numbers

    check_argv_numbers(["--count", str(MAX_FLAG_INT), "--x", "1e300", "-h", "--rate", "-1"])
    with pytest.raises(InputError, match="--count"):
        check_argv_numbers(["--count", str(-MAX_FLAG_INT - 1)])


def test_rich_markup_in_user_strings_prints_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A region named like a closing markup tag, an instance with an emoji code and a '[/]'.
    region = {"provider": "aws", "code": "eu[/bold]-1", "country": "DE", "eu": True,
              "eea": True, "source": "test row", "as_of": "2026-12-01"}  # fmt: skip
    offering = {"provider": "aws", "region": "eu[/bold]-1", "instance": "p5[/]:fire:",
                "accelerator_id": "nvidia-h100-sxm", "chips_per_instance": 8,
                "usd_per_hour": {"on_demand": 1.0}, "source": "test row",
                "as_of": "2026-12-01"}  # fmt: skip
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"regions": [region], "offerings": [offering]}))
    cat = ["--catalog", str(path)]
    assert run(["catalog", "regions", *cat]) == 0
    assert "eu[/b" in capsys.readouterr().out  # as written (a table may shorten it)
    assert run(["catalog", "offerings", "--accelerator", "nvidia-h100-sxm", *cat]) == 0
    assert "p5[/" in capsys.readouterr().out
    argv = ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "1B", "--regions", "DE"]
    assert run([*argv, "--top", "3", *cat]) == 0
    assert "eu[/b" in capsys.readouterr().out


def test_model_folder_named_like_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_models_hf import LLAMA_31_8B

    folder = tmp_path / "x[/]"  # the folder "]" inside the folder "x["
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(__import__("json").dumps(LLAMA_31_8B))
    assert run(["model", "show", str(folder)]) == 0
    assert "x[/]" in capsys.readouterr().out.replace("\n", "")
    argv = ["plan", "train", "--model", str(folder), "--tokens", "10B", "--top", "2"]
    assert run(argv) == 0


def test_ctrl_c_is_a_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xpuplan.cli.catalog as catalog_cli

    def interrupted(*_: object, **__: object) -> None:
        signal.raise_signal(signal.SIGINT)  # what Ctrl-C does

    # Ctrl-C while the catalog loads (the first thing a command does).
    monkeypatch.setattr(catalog_cli, "load_cli_catalog", interrupted)
    # The handler the process started with: Python's default, or SIG_IGN when the test run was
    # started in the background by a non-interactive shell (which ignores SIGINT for it).
    before = signal.getsignal(signal.SIGINT)
    assert run(["catalog", "regions"]) == 2
    assert capsys.readouterr().err == "error: interrupted\n"
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
