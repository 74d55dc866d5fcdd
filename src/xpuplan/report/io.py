"""Reading a saved result and writing files atomically.

A file is written to a temporary sibling and renamed over the target, so an error (or a
crash) never leaves a half-written report or task file behind.

Files written by earlier versions are read too: :func:`upgrade_result` rewrites the keys an
earlier version named differently into today's shape (listed in ``docs/planner.md``), so the
readers (report, export, schema check) know one shape only.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xpuplan.errors import InputError

__all__ = [
    "RESULT_KINDS",
    "check_writable",
    "read_result",
    "result_kind",
    "upgrade_result",
    "write_text_atomic",
]

# The ``kind`` of each JSON document the planner writes (``to_dict()`` / ``--json``).
RESULT_KINDS: tuple[str, ...] = ("training_plan", "serving_plan", "training_comparison")


def check_writable(path: str | os.PathLike[str], field: str = "output") -> Path:
    """``path`` as a Path, once its folder exists and it is not itself a folder."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{field}: folder {str(folder)!r} of {str(target)!r} does not exist")
    try:
        is_dir = target.is_dir()
    except OSError as error:  # a name past the file system's limit, say
        raise InputError(f"{field}: {str(target)[:80]!r}: {error.strerror or error}") from None
    if is_dir:
        raise InputError(f"{field}: {str(target)!r} is a folder; give a file name")
    if len(target.name.encode("utf-8", "surrogateescape")) > 255:
        raise InputError(f"{field}: {str(target)[:80]!r}...: file name longer than 255 bytes")
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str, field: str = "output") -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    target = check_writable(path, field)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise InputError(f"{field}: cannot write in {str(folder)!r} ({error.strerror})") from None
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would have given.
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else _default_mode())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise InputError(f"{field}: cannot write {str(target)!r} ({error.strerror})") from None
        raise
    return target


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def result_kind(result: Any, field: str = "result") -> str:
    """The ``kind`` of a planner result, checked; anything else is a one-line InputError."""
    if not isinstance(result, Mapping):
        raise InputError(
            f"{field}: expected a JSON object written by 'xpuplan plan train|serve --json' or "
            f"'xpuplan compare --json', got {type(result).__name__}"
        )
    kind = result.get("kind")
    if kind not in RESULT_KINDS:
        raise InputError(
            f"{field}: unknown kind {kind!r}; expected one of {', '.join(RESULT_KINDS)} "
            "(the --json output of 'xpuplan plan train|serve' or 'xpuplan compare')"
        )
    needed = {
        "training_plan": "plans",
        "training_comparison": "plans",
        "serving_plan": "fleet",
    }[kind]
    value = result.get(needed)
    if needed == "fleet":
        ok = isinstance(value, Mapping)
    else:
        ok = isinstance(value, list) and bool(value) and all(isinstance(p, Mapping) for p in value)
    if not ok:
        raise InputError(
            f"{field}: a {kind} result needs a non-empty {needed!r}; got {value!r:.60}"
        )
    return str(kind)


def read_result(path: str | os.PathLike[str], field: str = "PLAN.json") -> dict[str, Any]:
    """Load a saved ``--json`` result and check its kind (errors are one line, exit code 2)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{field}: file {str(source)!r} not found") from None
    except IsADirectoryError:
        raise InputError(f"{field}: {str(source)!r} is a folder, not a JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{field}: cannot read {str(source)!r} ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{field}: {str(source)!r} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg})"
        ) from None
    result_kind(data, field)
    return upgrade_result(data)


# Files written before a plan carried the estimate's layout (xpuplan 0.1.0 up to issue 11):
# layout keys that were renamed or moved, and where each went ("layout.<key>" or a plan key).
_OLD_LAYOUT_KEYS = {
    "zero_stage": "layout.zero",
    "grad_accum": "n_micro",
    "global_batch_seqs": "global_batch_seqs",
    "global_batch_tokens": "global_batch_tokens",
}


def _upgrade_plan(plan: Any) -> Any:
    """A training plan in today's shape: its layout is a ``Layout`` (``zero``, ``dp_shard``,
    ``sequence_parallel``, ``devices_per_chip``, ``recompute_layers``) and ``n_micro``,
    ``global_batch_seqs`` and ``global_batch_tokens`` are keys of the plan. A plan already in
    that shape is returned as it is (the same object)."""
    if not isinstance(plan, Mapping) or not isinstance(plan.get("layout"), Mapping):
        return plan
    old = dict(plan["layout"])
    if not any(key in old for key in _OLD_LAYOUT_KEYS):
        return plan
    upgraded = dict(plan)
    layout: dict[str, Any] = {}
    for key, value in old.items():
        target = _OLD_LAYOUT_KEYS.get(key, f"layout.{key}")
        if target.startswith("layout."):
            layout[target.removeprefix("layout.")] = value
        else:
            upgraded.setdefault(target, value)
    # What the earlier planner used without printing it: full sharding over dp (none without
    # ZeRO), sequence parallelism on (its grid's default), one device per chip and, with full
    # recomputation, every layer recomputed.
    zero = layout.get("zero")
    layout.setdefault("dp_shard", 1 if zero == 0 else layout.get("dp"))
    layout.setdefault("sequence_parallel", True)
    layout.setdefault("devices_per_chip", 1)
    layout.setdefault("recompute_layers", None)
    upgraded["layout"] = layout
    return upgraded


def upgrade_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """``result`` (a planner result's JSON) with what earlier versions wrote under other keys
    moved to today's keys: a training plan's ``layout.zero_stage`` is ``layout.zero``,
    ``layout.grad_accum`` is the plan's ``n_micro``, ``layout.global_batch_seqs`` and
    ``layout.global_batch_tokens`` are the plan's own keys. Today's results come back equal;
    ``result`` itself is not changed."""
    out = dict(result)
    if out.get("kind") not in ("training_plan", "training_comparison"):
        return out
    for key in ("plans", "pareto"):
        if isinstance(out.get(key), list):
            out[key] = [_upgrade_plan(p) for p in out[key]]
    if isinstance(out.get("lock_in"), list):
        out["lock_in"] = [
            {**e, "plan": _upgrade_plan(e["plan"])}
            if isinstance(e, Mapping) and isinstance(e.get("plan"), Mapping)
            else e
            for e in out["lock_in"]
        ]
    return out
