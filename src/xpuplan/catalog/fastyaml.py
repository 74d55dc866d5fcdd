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

A table in the shape PyYAML writes (``- key: value`` rows at the table key's column) is read a
row at a time: ``str.split`` cuts the rows and their lines apart and a dictionary of lines
already met gives each line's key and value, so a row costs a few C calls instead of a Python
step per line; a row in any other shape is read line by line like the rest of the file.
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
        # A plain scalar whose first character starts no implicit resolver (``b`` of ``bench``;
        # ``y`` would start ``yes``) resolves to a string and constructs to its own text:
        # skip building a node for it. Only when no resolver applies to every first character.
        resolvers = self._loader.yaml_implicit_resolvers
        exact = None not in resolvers and not self._loader.yaml_path_resolvers
        self._resolved_first = frozenset(k for k in resolvers if k) if exact else None

    def value(self, text: str) -> Any:
        value = self._cache.get(text, _EMPTY)
        if value is not _EMPTY:
            return value
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
        if self._resolved_first is not None and text[0] not in self._resolved_first:
            return text
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


# A top-level key starts a section: "\n" then a letter (a table name such as "offerings").
_SECTION = re.compile(r"\n(?=[A-Za-z_])")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _read(text: str, scalars: _Scalars) -> Any:
    """The document: a section per top-level key. A table written as PyYAML writes one (a
    sequence of mappings at the key's column, keys two columns in) is read a row at a time
    (:class:`_RowReader`); any other section a line at a time (:func:`_read_lines`)."""
    root: dict[str, Any] = {}
    rows = _RowReader(scalars)
    for section in _SECTION.split(text):
        head, table_start, body = section.partition(":\n- ")
        found: dict[str, Any]
        if table_start and _IDENTIFIER.match(head):
            found = {scalars.key(head): rows.read(body)}
        else:
            found = _read_lines(section, scalars)
        for key, value in found.items():
            if key in root:
                raise _Unsupported  # a repeated key: PyYAML's reading decides
            root[key] = value
    if not root:
        raise _Unsupported  # nothing but comments: PyYAML reads it (as None)
    return root


class _RowReader:
    """Rows of a table in the shape PyYAML dumps (``- key: value`` at column 0, the other keys
    at column 2, a nested mapping such as ``usd_per_hour`` at column 4), a row at a time: the
    row's lines split apart by ``str.split`` and looked up in a table of lines already met, so
    a 200,000-row table costs a few C calls per row. A row in any other shape (a block list,
    a comment, a blank line, a flow list) is read by :func:`_read_lines`, as if alone."""

    def __init__(self, scalars: _Scalars) -> None:
        self._scalars = scalars
        self._pairs: dict[str, tuple[str, Any] | None] = {}  # "key: scalar" -> (key, value)
        self._inner: dict[str, tuple[str, Any] | None] = {}  # the same, two columns in
        self._keys: dict[str, str | None] = {}  # "key:" -> key

    def read(self, body: str) -> list[Any]:
        get = self._pairs.get
        out: list[Any] = []
        for chunk in body.split("\n- "):
            if ":\n    " in chunk:  # a nested mapping
                row = self._last_nested(chunk)
                if row is not None:
                    out.append(row)
                    continue
            parts = chunk.split("\n  ")
            pairs = list(map(get, parts))
            if self._fill(pairs, parts):  # every line a "key: scalar"
                row = dict(pairs)  # type: ignore[arg-type]
                if len(row) != len(parts):
                    raise _Unsupported  # a repeated key: PyYAML's reading decides
                out.append(row)
            else:
                out.append(self._row(chunk, parts, pairs))
        return out

    def _last_nested(self, chunk: str) -> dict[str, Any] | None:
        """The common row with one nested mapping, last (``usd_per_hour:`` then its prices at
        column 4), when every line was met before; else None."""
        head, opened, inner = chunk.partition(":\n    ")
        if not opened:
            return None
        get = self._pairs.get
        inner_parts = inner.split("\n    ")
        inner_pairs = list(map(get, inner_parts))
        head_parts = head.split("\n  ")
        key = self._key(head_parts.pop())
        head_pairs = list(map(get, head_parts))
        if key is None or not self._fill(inner_pairs, inner_parts):
            return None
        if not self._fill(head_pairs, head_parts):
            return None
        row = dict(head_pairs)  # type: ignore[arg-type]
        nested = dict(inner_pairs)  # type: ignore[arg-type]
        if len(row) != len(head_parts) or len(nested) != len(inner_parts) or key in row:
            raise _Unsupported  # a repeated key: PyYAML's reading decides
        row[key] = nested
        return row

    def _fill(self, pairs: list[tuple[str, Any] | None], parts: list[str]) -> bool:
        """Read the lines of ``parts`` not met before (a row's unique name, say) into ``pairs``;
        False when one is not a ``key: scalar`` line."""
        while None in pairs:
            i = pairs.index(None)
            pair = self._pair(parts[i])
            if pair is None:
                return False
            pairs[i] = pair
        return True

    def _pair(self, part: str) -> tuple[str, Any] | None:
        """(key, value) of a ``key: scalar`` line at column 0, else None (the same reading as
        :func:`_parse_line`, by ``str.partition``: most lines of a large table are met once)."""
        pairs = self._pairs
        if part in pairs:
            return pairs[part]
        key_text, colon, rest = part.partition(": ")
        text = rest.strip(" ")
        key = self._key(key_text) if colon and text else None
        if key is None or "\n" in part or text[0] in "[{":
            pairs[part] = None  # not this shape (a flow collection must be built anew)
        else:
            pairs[part] = (key, self._scalars.value(text))
        return pairs[part]

    def _key(self, text: str) -> str | None:
        """``text`` as a mapping key when it is an identifier (typed by the loader), else None."""
        if text not in self._keys:
            ok = _IDENTIFIER.match(text) is not None
            self._keys[text] = self._scalars.key(text) if ok else None
        return self._keys[text]

    def _row(self, chunk: str, parts: list[str], pairs: list[tuple[str, Any] | None]) -> Any:
        """A row with lines not met before or a nested mapping (``key:`` then ``key: scalar``
        lines at column 4); in any other shape, read by :func:`_read_lines`."""
        row: dict[str, Any] = {}
        count = len(parts)
        i = 0
        while i < count:
            pair = pairs[i] or self._pair(parts[i])
            if pair is not None:
                key, value = pair
                i += 1
            else:
                opened = self._open_key(parts[i])
                if opened is None:
                    return self._alone(chunk)
                key = opened
                nested: dict[str, Any] = {}
                i += 1
                while i < count and (inner := self._pair_in(parts[i])) is not None:
                    if inner[0] in nested:
                        raise _Unsupported  # a repeated key: PyYAML's reading decides
                    nested[inner[0]] = inner[1]
                    i += 1
                if i < count and parts[i].startswith(" "):
                    return self._alone(chunk)  # deeper nesting or a list: line by line
                value = nested or None
            if key in row:
                raise _Unsupported
            row[key] = value
        return row

    def _open_key(self, part: str) -> str | None:
        """The key of a ``key:`` line at column 0 (its value below), else None."""
        return self._key(part[:-1]) if part.endswith(":") else None

    def _pair_in(self, part: str) -> tuple[str, Any] | None:
        """(key, value) of a ``key: scalar`` line at column 4 (two more after the split)."""
        if part not in self._inner:
            self._inner[part] = self._pair(part[2:]) if part.startswith("  ") else None
        return self._inner[part]

    def _alone(self, chunk: str) -> Any:
        items = _read_lines("row:\n- " + chunk, self._scalars)["row"]
        if not isinstance(items, list) or len(items) != 1:
            raise _Unsupported
        return items[0]


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


def _read_lines(text: str, scalars: _Scalars) -> dict[str, Any]:
    """The mapping in ``text``, read a line at a time (any nesting the subset allows)."""
    root: dict[str, Any] = {}
    # Open containers, innermost last: (column, container). A mapping's column is that of its
    # keys, a sequence's that of its dashes.
    stack: list[tuple[int, Any]] = [(0, root)]
    pending: tuple[dict[str, Any], str, int] | None = None  # "key:" awaiting its value
    seen: dict[str, _Parsed] = {}  # a large file repeats most of its lines
    # The common line, "key: scalar" continuing the innermost mapping, takes one look-up: the
    # lines of that kind already met, by column, as (key, value). ``plain`` holds those of the
    # innermost mapping's column, or none while that is not a mapping or a "key:" is pending.
    plain_by_column: dict[int, dict[str, tuple[str, Any]]] = {}
    no_plain: dict[str, tuple[str, Any]] = {}
    plain = no_plain
    target: Any = root
    for line in text.split("\n"):
        known = plain.get(line)
        if known is not None:
            if known[0] in target:
                raise _Unsupported  # a repeated key: PyYAML's reading decides
            target[known[0]] = known[1]
            continue
        parsed = seen.get(line)
        if parsed is None:
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if line.startswith(("---", "...", "%")):
                raise _Unsupported
            parsed = seen[line] = _parse_line(line, scalars)
            column, dash, key, value, mutable = parsed
            if key is not None and not dash and not mutable and value is not _EMPTY:
                plain_by_column.setdefault(column, {})[line] = (key, value)
                if line in plain:  # a new line of the common kind (a unique name, say)
                    if key in target:
                        raise _Unsupported
                    target[key] = value
                    continue
        column, dash, key, value, mutable = parsed
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
                target, plain = top, no_plain
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
            plain = no_plain
        else:
            target[key] = value
            plain = plain_by_column.get(column) or no_plain
    if pending is not None:
        pending[0][pending[1]] = None
    return root
