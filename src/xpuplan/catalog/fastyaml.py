"""A fast reader for the plain block YAML of large catalog files, or None to defer to PyYAML.

PyYAML builds every node in Python, even under the C loader: a 200,000-row offerings file
(2 million lines) takes about a minute. Catalog files use a small part of YAML: mappings and
sequences in block style, one ``key: value`` per line, plain or simply quoted scalars and short
flow lists such as ``[1, 2]``. :func:`read_simple_yaml` reads exactly that part a line at a
time and returns ``None`` as soon as a line uses anything else (anchors, tags, block or
multi-line scalars, comments after a value, escapes, tabs, ...), so the caller falls back to
PyYAML, which also reports any syntax error. Plain scalars are typed by the loader's own
resolvers and constructors (YAML 1.1: ``yes`` is a bool, ``1_000`` an int, dates stay text in
our loader), each distinct text once.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["read_simple_yaml"]

# "key: value", "key:", "- key: value" or "- key:" (keys are identifiers, as in every table).
_KEY_LINE = re.compile(r"( *)(-  *)?([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?\Z")
# "- value": an item of a sequence of scalars.
_ITEM_LINE = re.compile(r"( *)-  *(.+)\Z")
_PLAIN_START_BAD = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_BAD = frozenset("[]{}'\"#")
_KNOWN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)


class _Unsupported(Exception):
    """The text uses YAML outside the simple subset: let PyYAML read it."""


class _Scalars:
    """Plain and quoted scalar text to Python values, typed like ``loader`` types them."""

    def __init__(self, loader_class: type[yaml.SafeLoader]) -> None:
        self._loader = loader_class("")
        self._cache: dict[str, Any] = {}

    def value(self, text: str) -> Any:
        try:
            return self._cache[text]
        except KeyError:
            pass
        value = self._convert(text)
        if not isinstance(value, list | dict):  # containers are mutable: build each anew
            self._cache[text] = value
        return value

    def key(self, text: str) -> str:
        """A mapping key: an identifier that YAML reads as text (not ``yes``, ``null``...)."""
        value = self.value(text)
        if not isinstance(value, str):
            raise _Unsupported
        return value

    def _convert(self, text: str) -> Any:
        if not text:
            raise _Unsupported
        first = text[0]
        if first == "'":
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
                raise _Unsupported
            return inner.replace("''", "'")
        if first == '"':
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
                raise _Unsupported
            return inner
        if first == "[":
            inner = text[1:-1]
            if text[-1] != "]" or any(c in _FLOW_BAD for c in inner):
                raise _Unsupported
            if not inner.strip():
                return []
            return [self._plain(part.strip()) for part in inner.split(",")]
        if text == "{}":
            return {}
        return self._plain(text)

    def _plain(self, text: str) -> Any:
        if not text or " #" in text or ": " in text or text.endswith(":"):
            raise _Unsupported
        if text[0] in _PLAIN_START_BAD and not (
            text[0] == "-" and len(text) > 1 and text[1] not in " -"
        ):
            raise _Unsupported  # an indicator (or "- "): not a simple plain scalar
        tag = self._loader.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if tag not in _KNOWN_TAGS:
            raise _Unsupported
        node = yaml.ScalarNode(tag, text)
        return self._loader.yaml_constructors[tag](self._loader, node)


def read_simple_yaml(text: str, loader_class: type[yaml.SafeLoader]) -> Any | None:
    """The document in ``text`` as PyYAML's ``loader_class`` would load it, or None when the
    text is not the simple block YAML this reader handles (see the module docstring)."""
    if "\t" in text or "\r" in text or text.startswith("\ufeff"):
        return None
    try:
        return _read(text, _Scalars(loader_class))
    except _Unsupported:
        return None


_EMPTY = object()  # "key:" with its value on the following lines
_Parsed = tuple[int, int, str | None, Any, bool]


def _parse_line(line: str, scalars: _Scalars) -> _Parsed:
    """(column, dash width (0: none), key (None: a scalar item), value, value is mutable)."""
    match = _KEY_LINE.match(line)
    if match is not None:
        indent_text, dash, key, rest = match.groups()
        key = scalars.key(key)
    else:
        item = _ITEM_LINE.match(line)
        if item is None:
            raise _Unsupported
        indent_text, rest = item.groups()
        dash, key = "-", None
    text = rest.rstrip(" ") if rest is not None else ""
    value = scalars.value(text) if text else _EMPTY
    return len(indent_text), len(dash or ""), key, value, isinstance(value, list | dict)


def _read(text: str, scalars: _Scalars) -> Any:
    root: dict[str, Any] = {}
    # Open containers, innermost last: (column, container). A mapping's column is that of its
    # keys, a sequence's that of its dashes.
    stack: list[tuple[int, Any]] = [(0, root)]
    pending: tuple[dict[str, Any], str, int] | None = None  # "key:" awaiting its value
    seen: dict[str, _Parsed] = {}  # a large file repeats most of its lines
    for line in text.split("\n"):
        parsed = seen.get(line)
        if parsed is None:
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if line.startswith(("---", "...", "%")):
                raise _Unsupported
            parsed = seen[line] = _parse_line(line, scalars)
        column, dash, key, value, mutable = parsed
        if (
            key is not None
            and not dash
            and not mutable
            and pending is None
            and column == stack[-1][0]
            and type(stack[-1][1]) is dict
        ):
            target = stack[-1][1]  # the common line: one more key of the current mapping
            if key in target:
                raise _Unsupported
            if value is _EMPTY:
                pending = (target, key, column)
            else:
                target[key] = value
            continue
        if mutable:
            if key is None:
                raise _Unsupported  # a flow collection as a sequence item: leave it to PyYAML
            value = scalars.value(line.split(": ", 1)[1].strip(" "))  # a fresh list or dict
        if pending is not None:
            parent, parent_key, parent_column = pending
            pending = None
            if dash and column >= parent_column:
                parent[parent_key] = []
                stack.append((column, parent[parent_key]))
            elif not dash and column > parent_column:
                parent[parent_key] = {}
                stack.append((column, parent[parent_key]))
            else:
                parent[parent_key] = None
        top_column, top = stack[-1]
        if dash:
            while top_column > column or (top_column == column and type(top) is dict):
                stack.pop()
                if not stack:
                    raise _Unsupported
                top_column, top = stack[-1]
            if top_column != column or type(top) is not list:
                raise _Unsupported
            if key is None:
                top.append(value)
                continue
            row: dict[str, Any] = {}
            top.append(row)
            column += dash
            stack.append((column, row))
            target = row
        else:
            while top_column > column or (top_column == column and type(top) is list):
                stack.pop()
                if not stack:
                    raise _Unsupported
                top_column, top = stack[-1]
            if top_column != column or type(top) is not dict:
                raise _Unsupported
            target = top
        assert key is not None  # a scalar item continued above
        if key in target:
            raise _Unsupported  # a repeated key: PyYAML's reading decides
        if value is _EMPTY:
            pending = (target, key, column)
        else:
            target[key] = value
    if pending is not None:
        pending[0][pending[1]] = None
    if not root:
        raise _Unsupported  # nothing but comments: PyYAML reads it (as None)
    return root
