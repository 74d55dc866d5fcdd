"""Meeting users where they are: SkyPilot's spellings of chips and regions, and tables that
fit an 80-column terminal by hiding their least important columns (named in the caption)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from xpuplan.cli import run
from xpuplan.cli.common import FittingConsole, skypilot_accelerators, skypilot_regions


@pytest.mark.parametrize(
    ("tokens", "ids"),
    [
        (["H100"], ("nvidia-h100-nvl", "nvidia-h100-pcie", "nvidia-h100-sxm")),
        (["H100-SXM:8"], ("nvidia-h100-sxm",)),
        (["tpu-v5p-128", "tpu-v6e"], ("google-tpu-v5p", "google-tpu-v6e")),
        (["MI300X", "Trainium2"], ("amd-mi300x", "aws-trainium2")),
        (["nvidia-b200", "h10"], ("nvidia-b200", "h10")),  # ids and unknowns pass through
    ],
)
def test_skypilot_accelerator_names(tokens: list[str], ids: tuple[str, ...]) -> None:
    assert skypilot_accelerators(tokens) == ids


def test_skypilot_infra_regions() -> None:
    given = ["aws/us-east-1", "gcp/us-central1/us-central1-a", "runpod/RO/EU-RO-1", "eu", "DE",
             "gcp:europe-west4"]  # fmt: skip
    expected = ("aws:us-east-1", "gcp:us-central1", "runpod:EU-RO-1", "eu", "DE",
                "gcp:europe-west4")  # fmt: skip
    assert skypilot_regions(given) == expected


def test_plan_with_skypilot_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "10B", "--top", "2",
            "--accelerators", "H100", "--regions", "aws/us-east-1", "--json"]  # fmt: skip
    assert run(argv) == 0
    import json

    plans = json.loads(capsys.readouterr().out)["plans"]
    assert {(p["provider"], p["region"]) for p in plans} == {("aws", "us-east-1")}
    assert {p["accelerator_id"] for p in plans} <= {"nvidia-h100-sxm", "nvidia-h100-pcie"}


def _table() -> Table:
    table = Table(title="plans")
    for name in ("#", "offering", "region", "chips", "layout", "time", "cost", "MFU", "energy",
                 "CO2"):  # fmt: skip
        table.add_column(name)
    table.add_row("1", "runpod:H100 SXM (Community Cloud) x1", "EU-RO-1", "8 h100-sxm",
                  "tp8 pp1 dp1", "2.21d", "$79.58", "36%", "39.8 kWh", "12.3 kg")  # fmt: skip
    return table


@pytest.mark.parametrize("width", [80, 100, 250])
def test_tables_fit_the_terminal_by_hiding_columns(width: int) -> None:
    out = io.StringIO()
    FittingConsole(file=out, width=width).print(_table())
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text  # nothing shortened: the essentials are whole
    for essential in ("runpod:H100", "EU-RO-1", "2.21d", "$79.58"):
        assert essential in text
    if width == 250:
        assert "CO2" in text and "hidden" not in text
    else:
        assert f"hidden at {width} columns: CO2" in text.replace("\n", " ")


def test_plain_rich_console_would_have_truncated() -> None:
    # The contrast the fitting avoids: rich shortens every column at 80 characters.
    out = io.StringIO()
    Console(file=out, width=80).print(_table())
    assert "…" in out.getvalue()


def test_request_file_is_the_same_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    request = tmp_path / "request.yaml"
    request.write_text(
        "model: llama-3.2-1b\ntokens: 10B\ndeadline: 30d\nbudget_usd: 1M\n"
        "regions: [eu, us]\ntop: 3\njson: true\nexplain: false\n"
    )
    assert run(["plan", "train", "-f", str(request)]) == 0
    from_file = json.loads(capsys.readouterr().out)
    flags = ["plan", "train", "--model", "llama-3.2-1b", "--tokens", "10B", "--deadline", "30d",
             "--budget-usd", "1M", "--regions", "eu", "--regions", "us", "--top", "3",
             "--json"]  # fmt: skip
    assert run(flags) == 0
    assert json.loads(capsys.readouterr().out) == from_file
    # A flag after the file wins; a misspelt key fails as the flag would; values are checked
    # by the same rules.
    assert run(["plan", "train", "--request", str(request), "--top", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["plans"]) == 1
    request.write_text("model: llama-3.2-1b\ntokenz: 10B\n")
    assert run(["plan", "train", "-f", str(request)]) == 2
    assert "--tokenz" in capsys.readouterr().err
    request.write_text("model: llama-3.2-1b\ntokens: 10B\ndeadline: 30\n")
    assert run(["plan", "train", "-f", str(request)]) == 2
    assert "--deadline: cannot read '30'" in capsys.readouterr().err
    request.write_text("- not a mapping\n")
    assert run(["plan", "train", "-f", str(request)]) == 2
    assert run(["plan", "train", "-f", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the request file" in capsys.readouterr().err
