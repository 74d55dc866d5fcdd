"""What every command shares: consoles, the --catalog option, JSON output."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import one_line
from xpuplan.errors import InputError, did_you_mean
from xpuplan.report.notebook import flat_row, main_rows
from xpuplan.units import parse_count

__all__ = [
    "FORMATS",
    "MAX_FLAG_INT",
    "PARAMETER_FLAGS",
    "CatalogOption",
    "FittingConsole",
    "JsonOption",
    "check_argv_numbers",
    "check_choice",
    "check_positive",
    "console",
    "err_console",
    "expand_request_files",
    "fit_table",
    "flag_names",
    "load_cli_catalog",
    "parse_usd",
    "print_json",
    "render_rows",
    "skypilot_accelerators",
    "skypilot_regions",
    "take_format",
]

# The library's errors name Python parameters; a CLI user sees the flag that sets each one. The
# one mapping from a library parameter to its flag, where the two are spelled differently or
# the parameter is a plain word (those are translated only as ``name=value`` or as the field a
# message starts with, never inside prose).
PARAMETER_FLAGS: dict[str, str] = {
    "accelerators": "--accelerators",
    "allow_spot": "--allow-spot",
    "budget_usd": "--budget-usd",
    "checkpoint_interval_s": "--checkpoint-interval",
    "count": "--count",
    "deadline": "--deadline",
    "draft": "--draft-model",
    "exclude_vendors": "--exclude-vendors",
    "global_batch_seqs": "--global-batch",
    "global_batch_tokens": "--global-batch-tokens",
    "input_len": "--input",
    "input_tokens": "--input",
    "interruptions_per_instance_month": "--spot-interruptions-per-month",
    "kind": "--kind",
    "max_candidates": "--max-candidates",
    "max_chips": "--max-chips",
    "max_usd_per_chip_hour": "--max-usd-per-chip-hour",
    "max_vendor_share": "--max-vendor-share",
    "options": "--option",
    "output_len": "--output",
    "output_tokens": "--output",
    "peak_to_mean": "--peak-to-mean",
    "plan": "--plan",
    "precision": "--precision",
    "pricing": "--pricing",
    "providers": "--providers",
    "pue": "--pue",
    "rate": "--rate",
    "rate_rps": "--rate",
    "regions": "--regions",
    "report": "--report",
    "restart_time_s": "--restart-time",
    "seq_len": "--seq-len",
    "skypilot": "--skypilot",
    "tokens": "--tokens",
    "top": "--top",
    "tpot_p99_ms": "--tpot-p99-ms",
    "ttft_p99_ms": "--ttft-p99-ms",
    "vendor": "--vendor",
    "vendors": "--vendors",
}
_NAMES = "|".join(sorted(PARAMETER_FLAGS, key=len, reverse=True))
_ASSIGNED = re.compile(rf"(?<![\w.-])({_NAMES})=")
_LEADING = re.compile(rf"^({_NAMES})(?=:)")
_PARENTHESIZED = re.compile(rf"(?<=\()({_NAMES})(?=\))")
_BARE = re.compile(rf"(?<![\w.=-])({'|'.join(n for n in PARAMETER_FLAGS if '_' in n)})(?![\w=(])")


def flag_names(message: str) -> str:
    """A library error as a CLI user reads it: each parameter named by its flag.

    ``max_chips=0: ...`` -> ``--max-chips 0: ...``; ``top: 0 must ...`` -> ``--top: 0 must ...``;
    ``raise max_chips`` -> ``raise --max-chips``; ``(pricing)`` -> ``(--pricing)``. Plain
    words stay words otherwise.
    """
    message = _ASSIGNED.sub(lambda m: PARAMETER_FLAGS[m.group(1)] + " ", message)
    message = _LEADING.sub(lambda m: PARAMETER_FLAGS[m.group(1)], message)
    message = _PARENTHESIZED.sub(lambda m: PARAMETER_FLAGS[m.group(1)], message)
    return _BARE.sub(lambda m: PARAMETER_FLAGS[m.group(1)], message)


# Columns a narrow terminal hides, most expendable first; the others always stay (rich wraps
# them if they still do not fit).
_HIDE_FIRST = ("as of", "notes", "source", "stack", "scale-up", "PUE", "gCO2/kWh", "CO2",
               "energy", "MFU", "pricing", "layout", "interconnect")  # fmt: skip


def fit_table(console: Console, table: Table) -> Table:
    """``table`` with its least important columns removed until every cell fits the console's
    width unshortened (the caption names what was hidden), instead of rich truncating every
    column to "runpo…"."""
    width = console.width
    hidden: list[str] = []

    def too_wide() -> bool:
        unbounded = console.options.update(width=10**6, max_width=10**6)
        return Measurement.get(console, unbounded, table).maximum > width

    while too_wide():
        headers = [str(c.header) for c in table.columns]
        ranked = [h for h in _HIDE_FIRST if h in headers[2:]]
        if not ranked:
            break
        index = headers.index(ranked[0])
        hidden.append(headers[index])
        del table.columns[index]
    if hidden:
        note = f"hidden at {width} columns: {', '.join(hidden)} (widen the terminal or use --json)"
        table.caption = f"{table.caption}; {note}" if table.caption else note
    return table


class FittingConsole(Console):
    """A console whose tables drop their least important columns to fit its width."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        fitted = [fit_table(self, o) if isinstance(o, Table) else o for o in objects]
        super().print(*fitted, **kwargs)


# Markup and emoji codes off: names from catalogs, config files and flags ("eu[/bold]-1",
# ":fire:") print as written; styled text is built from rich Text objects instead.
console = FittingConsole(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)

CatalogOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="Extra catalog YAML file(s) merged over the bundled one (also XPUPLAN_CATALOG).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def check_choice(flag: str, value: str, allowed: Sequence[str]) -> None:
    """Raise a one-line InputError naming ``flag``, ``value``, the nearest and every allowed
    value, unless ``value`` is one of ``allowed``."""
    if value in allowed:
        return
    nearest = did_you_mean(value, allowed)
    hint = f"; did you mean {nearest!r}?" if nearest else ""
    raise InputError(f"{flag} {value!r}: not one of {', '.join(allowed)}{hint}")


def check_positive(flag: str, value: float | None, what: str) -> None:
    """Raise a one-line InputError unless ``value`` (when given) is a positive ``what``."""
    if value is not None and not value > 0:
        raise InputError(f"{flag} {value}: must be a positive {what}")


# The largest whole number a flag may carry: every count (chips, tokens, batch) is exact in a
# float64 below 2**53, and numpy's int64 arrays hold it; past that a value is a typo.
MAX_FLAG_INT = 2**53
# The smallest nonzero magnitude a flag may carry: smaller values (1e-320, a subnormal) round to
# zero in the first division and mean nothing in any unit we use.
MIN_FLAG_MAGNITUDE = 1e-100
_NUMBER = re.compile(r"[+-]?(\d+|(\d*\.\d+|\d+\.?)(e[+-]?\d+)?|inf(inity)?|nan)", re.IGNORECASE)


def check_argv_numbers(argv: Sequence[str]) -> None:
    """Refuse, before any command runs, a flag value that is a number no command can use: a
    whole number beyond :data:`MAX_FLAG_INT` (``--count $((2**70))``), infinity or NaN
    (``--rate inf``). The message names the flag."""
    flag = "argument"
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            flag, _, value = arg.partition("=")
        elif arg.startswith("-") and not _NUMBER.fullmatch(arg):
            flag = arg
            continue
        else:
            value = arg
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            continue
        number = float(text)
        if not math.isfinite(number):
            raise InputError(f"{flag} {text}: must be a finite number")
        if 0 < abs(number) < MIN_FLAG_MAGNITUDE:
            raise InputError(f"{flag} {text}: too small (0 or at least {MIN_FLAG_MAGNITUDE:g})")
        if text.lstrip("+-").isdigit() and abs(int(text)) > MAX_FLAG_INT:
            raise InputError(f"{flag} {text[:30]}: too large (at most {MAX_FLAG_INT:,})")


def parse_usd(text: str | None, flag: str) -> float | None:
    """A dollar amount with an optional k/M/B suffix (``50M``, ``2.5e6``, ``$50k``), or None."""
    if text is None:
        return None
    return parse_count(text.strip().removeprefix("$").replace(",", ""), flag)


def skypilot_accelerators(tokens: Sequence[str]) -> tuple[str, ...]:
    """Accelerator filters with SkyPilot's names read as xpuplan ids: ``H100`` (or ``H100:8``)
    is every chip SkyPilot calls H100, ``tpu-v5p-128`` is ``google-tpu-v5p``. Other tokens
    pass through unchanged (unknown ones are reported by the search with a suggestion)."""
    from xpuplan.export.skypilot import skypilot_names

    names = skypilot_names()
    by_name: dict[str, list[str]] = {}
    for accelerator_id, row in names.accelerators.items():
        spellings = {row["name"], *(row.get("by_provider") or {}).values()}
        spellings |= set((row.get("by_instance") or {}).values())
        for spelling in spellings:
            by_name.setdefault(str(spelling).lower(), []).append(accelerator_id)
    out: list[str] = []
    for token in tokens:
        name = token.partition(":")[0].strip().lower()
        tpu = [i for i, t in names.tpus.items() if re.fullmatch(f"{t['prefix']}(-\\d+)?", name)]
        found = by_name.get(name, []) or tpu
        out.extend(sorted(found) if found and token not in names.accelerators else [token])
    return tuple(dict.fromkeys(out))


def skypilot_regions(tokens: Sequence[str]) -> tuple[str, ...]:
    """Region filters with SkyPilot's ``infra`` spelling read as xpuplan's: ``aws/us-east-1``
    is ``aws:us-east-1``; ``runpod/RO/EU-RO-1`` (a zone cloud) is ``runpod:EU-RO-1``; a GCP or
    AWS zone (``gcp/us-central1/us-central1-a``) means its region."""
    from xpuplan.export.skypilot import skypilot_names

    names = skypilot_names()
    out: list[str] = []
    for token in tokens:
        parts = token.split("/")
        cloud = parts[0].lower()
        if len(parts) < 2 or cloud not in names.clouds | {"coreweave", "hyperstack"}:
            out.append(token)
        elif cloud in names.zone_clouds and len(parts) == 3:
            out.append(f"{cloud}:{parts[2]}")
        else:
            out.append(f"{cloud}:{parts[1]}")
    return tuple(out)


def load_cli_catalog(files: list[Path] | None) -> Catalog:
    """The bundled catalog merged with --catalog files and the XPUPLAN_CATALOG variable."""
    return load_catalog(extra_files=files or (), env=os.environ)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _request_flags(path: str) -> list[str]:
    """The flags a request file stands for: each key is a flag's name (``tokens`` or
    ``--tokens``, ``budget_usd`` or ``budget-usd``), each value its value; a list repeats the
    flag, ``true`` sets a switch, ``false`` and ``null`` leave it out."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"-f {path!r}: cannot read the request file ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"-f {path!r}: not valid YAML{where}") from None
    if data is None:
        return []
    if not isinstance(data, dict):
        raise InputError(f"-f {path!r}: expected a mapping of flag names to values")
    flags: list[str] = []
    for key, value in data.items():
        name = "--" + str(key).removeprefix("--").replace("_", "-")
        if not re.fullmatch(r"--[a-z0-9][a-z0-9-]*", name):
            raise InputError(f"-f {path!r}: {one_line(str(key))!r} is not a flag name")
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None or item is False:
                continue
            if item is True:
                flags.append(name)
            elif isinstance(item, dict | list):
                raise InputError(f"-f {path!r}: {key}: expected a number or text, got {item!r}")
            else:
                flags += [name, str(item)]
    return flags


def expand_request_files(argv: Sequence[str]) -> list[str]:
    """``argv`` with each ``-f FILE`` / ``--request FILE`` replaced by the flags the YAML
    request file holds, so a request is checked exactly as the same flags would be. Flags
    given after it on the command line win (the last value of a flag counts)."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-f", "--request") or arg.startswith("--request="):
            if "=" in arg:
                path = arg.partition("=")[2]
            elif i + 1 < len(args):
                path = args[i + 1]
                i += 1
            else:
                raise InputError(f"{arg}: give the path of a request YAML file")
            out += _request_flags(path)
        elif arg == "--":
            out.extend(args[i:])
            break
        else:
            out.append(arg)
        i += 1
    return out


FORMATS = ("table", "json", "csv", "md")
# The output format of this process's command, set by :func:`take_format` from ``--format``.
_OUTPUT = {"format": "table"}


def take_format(argv: Sequence[str]) -> list[str]:
    """``argv`` without ``--format FMT`` (or ``--format=FMT``), which every command takes:
    ``json`` is ``--json``; ``csv`` and ``md`` also run the command with ``--json`` and print
    its main rows (plans, fleet entries, cases, catalog rows) as CSV or a Markdown table;
    ``table`` is the default."""
    out: list[str] = []
    chosen = "table"
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--format" or arg.startswith("--format="):
            if "=" in arg:
                value = arg.partition("=")[2]
            elif i + 1 < len(args):
                value = args[i + 1]
                i += 1
            else:
                raise InputError("--format: give one of " + ", ".join(FORMATS))
            check_choice("--format", value, FORMATS)
            chosen = value
        elif arg == "--":
            out.extend(args[i:])
            break
        else:
            out.append(arg)
        i += 1
    _OUTPUT["format"] = chosen
    if chosen != "table" and "--json" not in out:
        out.append("--json")
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def render_rows(payload: Any, fmt: str) -> str:
    """``payload``'s main rows as CSV (RFC 4180, via the csv module) or a Markdown table."""
    rows = [flat_row(r) for r in main_rows(_finite(payload))]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r.get(c)) for c in columns] for r in rows])
        return buffer.getvalue().rstrip("\n")

    def md(text: str) -> str:
        return one_line(text).replace("\\", "\\\\").replace("|", "\\|")

    lines = ["| " + " | ".join(md(c) for c in columns) + " |"]
    lines.append("|" + "|".join(" --- " for _ in columns) + "|")
    lines += ["| " + " | ".join(md(_cell(r.get(c))) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON (or, under ``--format csv|md``, its rows as CSV or Markdown);
    NaN and infinity never reach output (they become null, or empty cells)."""
    if _OUTPUT["format"] in ("csv", "md"):
        typer.echo(render_rows(payload, _OUTPUT["format"]))
        return
    text = json.dumps(_finite(payload), indent=2, default=str, allow_nan=False)
    typer.echo(text)
