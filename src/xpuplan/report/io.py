"""Reading a saved result and writing files atomically.

A file is written to a temporary sibling and renamed over the target, so an error (or a
crash) never leaves a half-written report or task file behind.
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

__all__ = ["RESULT_KINDS", "check_writable", "read_result", "result_kind", "write_text_atomic"]

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
    return dict(data)
