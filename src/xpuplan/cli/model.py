"""``xpuplan model list`` and ``xpuplan model show NAME|PATH``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from xpuplan.cli.common import JsonOption, console, print_json
from xpuplan.models.presets import resolve_model
from xpuplan.models.summary import model_summary, preset_rows

__all__ = ["app"]

app = typer.Typer(
    help="Model architectures: bundled presets and config.json files.", no_args_is_help=True
)


def _billions(value: float) -> str:
    return f"{value / 1e9:,.3f}B"


@app.command("list")
def list_(json_: JsonOption = False) -> None:
    """List the bundled model presets."""
    rows = preset_rows()
    if json_:
        print_json(rows)
        return
    table = Table(title="Bundled model presets")
    for column in ("name", "kind", "total params", "active params", "source"):
        table.add_column(column, justify="right" if "params" in column else "left")
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            _billions(row["params_total"]),
            _billions(row["params_active"]),
            row["source"],
        )
    console.print(table)


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
    summary = model_summary(resolve_model(model), seq_len, causal=causal)
    if json_:
        print_json(summary)
        return
    _render(summary)


def _render(s: dict[str, Any]) -> None:
    table = Table(title=f"{s['name']}  ({s['source']})", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("parameters, total", _billions(s["params_total"]))
    table.add_row("parameters, active per token", _billions(s["params_active"]))
    for part, value in s["params"].items():
        if part not in ("total", "active") and value:
            table.add_row(f"  {part}", _billions(value))
    attention = "causal" if s["causal"] else "full"
    table.add_row(f"forward GFLOP/token @ {s['seq_len']} ({attention})", "")
    for part, value in s["forward_flops_per_token_breakdown"].items():
        table.add_row(f"  {part}", f"{value / 1e9:,.2f}")
    table.add_row(
        "training GFLOP/token (3x forward)", f"{s['training_flops_per_token'] / 1e9:,.2f}"
    )
    for precision, value in s["kv_cache_bytes_per_token"].items():
        table.add_row(f"KV cache per token, {precision}", f"{value / 1024:,.1f} KiB")
    architecture = dict(s["architecture"])
    if not architecture.get("qk_norm"):
        architecture.pop("qk_norm_per_head", None)
    for key, value in architecture.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, False, 0))
        if value not in (None, False, 0, ""):
            table.add_row(key, str(value))
    for note in s["notes"]:
        table.add_row("note", note)
    console.print(table)
