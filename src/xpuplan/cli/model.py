"""``xpuplan model list`` and ``xpuplan model show NAME|PATH``."""

from __future__ import annotations

from typing import Annotated

import typer

from xpuplan.cli.common import JsonOption, console, print_json
from xpuplan.models.presets import resolve_model
from xpuplan.models.summary import model_summary, preset_rows
from xpuplan.report import terminal

__all__ = ["app"]

app = typer.Typer(
    help="Model architectures: bundled presets and config.json files.", no_args_is_help=True
)


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List the bundled model presets."""
    rows = [row.to_dict() for row in preset_rows()]
    if json_:
        print_json(rows)
    else:
        terminal.print_model_list(console, rows)


@app.command("show")
def show(
    model: Annotated[
        str, typer.Argument(help="Preset name or path to a config.json / model folder.")
    ],
    seq_len: Annotated[
        int | None,
        typer.Option(
            "--seq-len", min=1, help="Context length for FLOPs and KV cache (default 4096)."
        ),
    ] = None,
    causal: Annotated[
        bool, typer.Option("--causal", help="Count attention scores over the causal half.")
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Parameters, FLOPs per token and KV-cache bytes of one model."""
    summary = model_summary(resolve_model(model), seq_len, causal=causal).to_dict()
    if json_:
        print_json(summary)
    else:
        terminal.print_model(console, summary)
