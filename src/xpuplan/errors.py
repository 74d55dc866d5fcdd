"""The one error tree of xpuplan.

Every error a user can cause is an :class:`InputError`; the CLI catches
:class:`XpuplanError` once, prints its one-line message and exits with code 2.

    XpuplanError                  root; never raised directly
    ├── InputError                bad input from the user (a flag, a file, a name)
    │   ├── UnknownNameError      a name not in a known set ("did you mean ...?")
    │   ├── CatalogError          a catalog file or row that breaks the schema
    │   ├── ModelConfigError      a config.json / model description that is malformed
    │   └── ValidationFileError   a validation-case file that breaks the schema
    └── InfeasibleError           nothing satisfies the constraints (says which one removed
                                  the last candidates and by how much)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CatalogError",
    "InfeasibleError",
    "InputError",
    "ModelConfigError",
    "UnknownNameError",
    "ValidationFileError",
    "XpuplanError",
    "did_you_mean",
]


class XpuplanError(Exception):
    """Root of every error xpuplan raises on purpose."""


class InputError(XpuplanError):
    """The user gave a value that is not allowed; the message names field, value and fix."""


class UnknownNameError(InputError):
    """A name (accelerator, model, region, provider, ...) that is not known."""

    def __init__(self, kind: str, name: str, choices: Iterable[str], hint: str = "") -> None:
        self.kind = kind
        self.name = name
        options = list(choices)
        suggestion = did_you_mean(name, options)
        several = [c for c in options if name.lower() in c.lower()]
        message = f"unknown {kind} {name!r}"
        if suggestion:
            message += f"; did you mean {suggestion!r}?"
        elif len(several) > 1:
            shown = ", ".join(repr(c) for c in sorted(several)[:4])
            more = f" (+{len(several) - 4} more)" if len(several) > 4 else ""
            message += f"; did you mean one of {shown}{more}?"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class CatalogError(InputError):
    """A catalog file or row that does not satisfy the schema (message names file and row)."""


class ModelConfigError(InputError):
    """A model description (config.json, preset) that is malformed or contradictory."""


class ValidationFileError(InputError):
    """A validation-case file that does not follow the schema."""


class InfeasibleError(XpuplanError):
    """No candidate satisfies the constraints; the message says which constraint bound last."""


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``name``, or None when nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if name.lower() in lowered:
        return lowered[name.lower()]
    contains = [c for c in options if name.lower() in c.lower()]
    if len(contains) == 1:
        return contains[0]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[close[0]] if close else None
