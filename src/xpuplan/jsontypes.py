"""Result types as JSON: ``to_dict`` and the JSON Schema, both read from the type hints.

A result is a frozen dataclass. Its fields, in order, are its JSON keys; a value that is computed
rather than stored (``wall_time_days``) is a property marked once with :func:`json_key`, which
says where the key goes. A field marked ``js(flatten=True)`` lends its object's keys to its
parent (an offering row is the offering's keys plus the price the query chose); a field marked
``js(omit=True)`` is kept for the code and not printed. A pydantic model (a catalog row) is
printed as ``model_dump(mode="json")`` plus its :func:`json_key` properties, and its schema is
pydantic's, in the same spelling as the dataclasses' (no titles, ``null`` as a type).

Constraints a JSON Schema can carry (bounds, enums, descriptions, the keys of a ``dict`` field)
ride on the hint as ``Annotated[float, js(minimum=0)]``, so the schema files under
``xpuplan/schemas/`` are generated (``scripts/build_schemas.py``), never written by hand, and
cannot drift from what :func:`as_dict` prints.

Conversion (:func:`jsonable`): a nested object with its own ``to_dict`` is asked for it; other
dataclasses are walked; tuples become lists, mappings dicts, NumPy scalars Python numbers; a
non-finite float becomes ``None`` (JSON ``null``), never NaN.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import re
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import numpy as np
from pydantic import BaseModel

__all__ = ["JS", "as_dict", "finite_or_none", "js", "json_key", "json_schema", "jsonable"]

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"

F = TypeVar("F", bound=Callable[..., Any])


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or None when it is None, NaN or infinite."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class JS:
    """JSON Schema keywords for one hint (see :func:`js`)."""

    keywords: Mapping[str, Any]
    optional: bool = False
    shape: type | None = None
    extra_values: Any = None
    flatten: bool = False
    omit: bool = False


def js(
    *,
    optional: bool = False,
    shape: type | None = None,
    extra_values: Any = None,
    flatten: bool = False,
    omit: bool = False,
    **keywords: Any,
) -> JS:
    """Schema keywords for ``Annotated[T, js(...)]``, in JSON Schema's spelling
    (``minimum=0``, ``exclusiveMinimum=0``, ``minItems=1``, ``description=...``).

    ``optional``: the key may be absent from a document (files written by older versions);
    ``shape``: a ``TypedDict`` naming the keys of a ``dict`` field; ``extra_values``: the type of
    the values under keys that ``shape`` does not name (default: anything); ``flatten``: the
    field (a dataclass or pydantic model) prints its keys in its parent's place, not under its
    own name; ``omit``: the field is not printed (a computed key prints what JSON needs of it).
    """
    return JS(
        keywords=dict(keywords),
        optional=optional,
        shape=shape,
        extra_values=extra_values,
        flatten=flatten,
        omit=omit,
    )


def _is_model(cls: Any) -> bool:
    """Whether ``cls`` is a pydantic model class."""
    return isinstance(cls, type) and issubclass(cls, BaseModel)


def json_key(after: str | None) -> Callable[[F], F]:
    """Mark a property's getter as a JSON key, placed right after the key ``after`` (first
    when None). Use under ``@property``; its return hint is its schema."""

    def mark(getter: F) -> F:
        getter.__json_after__ = after  # type: ignore[attr-defined]
        return getter

    return mark


def _computed_keys(cls: type) -> list[tuple[str, str | None, Callable[[Any], Any]]]:
    out: list[tuple[str, str | None, Callable[[Any], Any]]] = []
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        for name, attr in vars(klass).items():
            getter = attr.fget if isinstance(attr, property) else None
            if getter is not None and hasattr(getter, "__json_after__") and name not in seen:
                seen.add(name)
                out.append((name, getter.__json_after__, getter))
    return out


def _field_marks(cls: type) -> dict[str, JS]:
    """The ``js(flatten=...)`` / ``js(omit=...)`` marks on the fields of the dataclass ``cls``.

    A class whose hints cannot be resolved (names imported only for type checking) has no
    schema either, and is printed field by field."""
    try:
        hints = get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        return {}
    marks: dict[str, JS] = {}
    for f in dataclasses.fields(cls):
        for m in _metadata(hints.get(f.name)):
            if isinstance(m, JS) and (m.flatten or m.omit):
                marks[f.name] = m
    return marks


# One JSON key of a class: its name, the getter of a computed key (None for a stored field) and
# whether the value's own keys are spliced into the parent (``js(flatten=True)``).
_Key = tuple[str, Callable[[Any], Any] | None, bool]


@functools.cache
def _layout(cls: type) -> tuple[_Key, ...]:
    """The JSON keys of ``cls`` (a dataclass or a pydantic model) in order."""
    if _is_model(cls):
        keys: list[_Key] = [(name, None, False) for name in cls.model_fields]  # type: ignore[attr-defined]
    else:
        marks = _field_marks(cls)
        keys = [
            (f.name, None, f.name in marks and marks[f.name].flatten)
            for f in dataclasses.fields(cls)
            if not (f.name in marks and marks[f.name].omit)
        ]
    for name, after, getter in _computed_keys(cls):
        if after is None:
            index = 0
            while index < len(keys) and keys[index][1] is not None:
                index += 1  # several first keys keep their declared order
        else:
            names = [k for k, _, _ in keys]
            if after not in names:
                raise TypeError(f"{cls.__name__}.{name}: json_key(after={after!r}) is no key")
            index = names.index(after) + 1
        keys.insert(index, (name, getter, False))
    return tuple(keys)


@functools.cache
def _has_flat(cls: type) -> bool:
    return any(flat for _, _, flat in _layout(cls))


def as_dict(obj: Any) -> dict[str, Any]:
    """The JSON object of the dataclass or pydantic model ``obj``: its fields (a flattened
    field's keys in its place) and computed keys, in order."""
    cls: type = type(obj)
    layout = _layout(cls)
    dumped: dict[str, Any] | None = obj.model_dump(mode="json") if _is_model(cls) else None
    if dumped is None and not _has_flat(cls):  # the common case, kept fast
        return {
            key: jsonable(getattr(obj, key) if getter is None else getter(obj))
            for key, getter, _ in layout
        }
    out: dict[str, Any] = {}
    for key, getter, flat in layout:
        if getter is not None:
            value = jsonable(getter(obj))
        elif dumped is not None:
            value = dumped[key]
        else:
            value = jsonable(getattr(obj, key))
        if flat:
            out.update(value)
        else:
            out[key] = value
    return out


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (see the module docstring)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the common cases first
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite_or_none(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return to_dict()
    if (dataclasses.is_dataclass(value) and not isinstance(value, type)) or isinstance(
        value, BaseModel
    ):
        return as_dict(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple: an object
        return {k: jsonable(v) for k, v in zip(value._fields, value, strict=True)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not JSON data: {value!r}")


# --- JSON Schema ------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _doc(cls: type) -> str | None:
    doc = inspect.getdoc(cls)
    if not doc or doc.startswith(f"{cls.__name__}("):  # dataclass's generated signature
        return None
    return " ".join(doc.split("\n\n", 1)[0].split())


class _Builder:
    """Walks type hints into JSON Schema; named types (dataclasses, TypedDicts, NamedTuples)
    become ``$defs`` named after the class in snake case."""

    def __init__(self, shapes: Mapping[type, Any] | None = None) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.shapes: Mapping[type, Any] = shapes or {}

    def ref(self, cls: type, extra_values: Any = None) -> dict[str, Any]:
        name = _snake(cls.__name__.removesuffix("Keys"))  # TypedDict ``XKeys`` describes x
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursion and sharing
            self.defs[name] = self.object_schema(cls, extra_values)
        return {"$ref": f"#/$defs/{name}"}

    def object_schema(self, cls: type, extra_values: Any = None) -> dict[str, Any]:
        schema: dict[str, Any] = {}
        doc = _doc(cls)
        if doc:
            schema["description"] = doc
        schema["type"] = "object"
        properties: dict[str, Any] = {}
        required: list[str] = []
        if is_typeddict(cls):
            # Under postponed annotations Python 3.11 cannot see Required/NotRequired when it
            # builds __required_keys__, so read them from the resolved hints.
            hints = get_type_hints(cls, include_extras=True)
            for key, hint in hints.items():
                needed = bool(cls.__total__)  # type: ignore[attr-defined]
                while get_origin(hint) in (Required, NotRequired):
                    needed = get_origin(hint) is Required
                    hint = get_args(hint)[0]
                properties[key] = self.schema(hint)
                if needed:
                    required.append(key)
            closed: Any = True if extra_values is None else self.schema(extra_values)
        elif dataclasses.is_dataclass(cls):
            hints = get_type_hints(cls, include_extras=True)
            for key, getter, flat in _layout(cls):
                hint = (
                    hints[key]
                    if getter is None
                    else get_type_hints(getter, include_extras=True)["return"]
                )
                if flat:
                    inner = self.object_schema(_flattened_class(cls, key, hint))
                    properties.update(inner["properties"])
                    required += inner.get("required", [])
                    continue
                properties[key] = self.schema(hint)
                if not any(isinstance(m, JS) and m.optional for m in _metadata(hint)):
                    required.append(key)
            closed = True
        elif _is_model(cls):
            # every field is printed (model_dump), so every key is required
            fields = cls.model_json_schema(mode="serialization")  # type: ignore[attr-defined]
            if "$defs" in fields:
                raise TypeError(f"{cls.__name__}: nested pydantic models are not supported")
            for key, getter, _ in _layout(cls):
                properties[key] = (
                    self.from_pydantic(fields["properties"][key])
                    if getter is None
                    else self.schema(get_type_hints(getter, include_extras=True)["return"])
                )
                required.append(key)
            closed = True
        elif issubclass(cls, tuple) and hasattr(cls, "_fields"):  # NamedTuple
            hints = get_type_hints(cls, include_extras=True)
            for key in cls._fields:
                properties[key] = self.schema(hints[key])
                required.append(key)
            closed = False
        else:
            raise TypeError(f"no JSON Schema for {cls!r}")
        schema["properties"] = properties
        if required:
            schema["required"] = required
        schema["additionalProperties"] = closed
        return schema

    def schema(self, hint: Any) -> dict[str, Any]:
        origin, args = get_origin(hint), get_args(hint)
        if origin is Annotated:
            base, *meta = args
            extras = [m for m in meta if isinstance(m, JS)]
            shape = next((m for m in extras if m.shape is not None), None)
            if shape is not None and shape.shape is not None:
                out = self.ref(shape.shape, shape.extra_values)
                if get_origin(base) in (Union, types.UnionType) and type(None) in get_args(base):
                    out = {"oneOf": [out, {"type": "null"}]}
            else:
                out = self.schema(base)
            for m in extras:
                out = out | dict(m.keywords)
            return out
        if hint is Any:
            return {}
        if hint is type(None) or hint is None:
            return {"type": "null"}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        if hint is str:
            return {"type": "string"}
        if origin is Literal:
            return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
        if origin in (Union, types.UnionType):
            return self.union([self.schema(a) for a in args])
        if origin in (tuple, list, Sequence):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise TypeError(f"fixed-length tuple {hint!r}: use a NamedTuple")
            return {"type": "array", "items": self.schema(args[0])}
        if origin in (dict, Mapping):
            values = self.schema(args[1])
            return (
                {"type": "object"}
                if values == {}
                else {
                    "type": "object",
                    "additionalProperties": values,
                }
            )
        if isinstance(hint, type) and hint in self.shapes:
            return self.schema(self.shapes[hint])
        if isinstance(hint, type) and (
            _is_model(hint)
            or dataclasses.is_dataclass(hint)
            or is_typeddict(hint)
            or (issubclass(hint, tuple) and hasattr(hint, "_fields"))
        ):
            return self.ref(hint)
        raise TypeError(f"no JSON Schema for the hint {hint!r}")

    def from_pydantic(self, node: Any) -> Any:
        """A node of pydantic's JSON Schema in this module's spelling: no ``title`` or
        ``default`` (every key is printed), ``anyOf`` with null as a nullable type."""
        if isinstance(node, list):
            return [self.from_pydantic(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {
            k: (
                {name: self.from_pydantic(v) for name, v in node[k].items()}
                if k == "properties"
                else self.from_pydantic(v)
            )
            for k, v in node.items()
            if k not in ("title", "default")
        }
        arms: list[dict[str, Any]] | None = out.pop("anyOf", None)
        return out if arms is None else self.union(arms) | out

    @staticmethod
    def union(arms: list[dict[str, Any]]) -> dict[str, Any]:
        simple = [a for a in arms if set(a) == {"type"}]
        if len(simple) == len(arms):
            names: list[str] = []
            for a in arms:
                for t in a["type"] if isinstance(a["type"], list) else [a["type"]]:
                    if t not in names:
                        names.append(t)
            return {"type": names}
        null = {"type": "null"}
        rest = [a for a in arms if a != null]
        if len(rest) == 1 and null in arms and "enum" in rest[0]:
            out = rest[0] | {"enum": [*rest[0]["enum"], None]}
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            return out
        if len(rest) == 1 and null in arms and isinstance(rest[0].get("type"), str):
            return rest[0] | {"type": [rest[0]["type"], "null"]}
        return {"oneOf": arms}


def _metadata(hint: Any) -> list[Any]:
    return list(get_args(hint)[1:]) if get_origin(hint) is Annotated else []


def _flattened_class(owner: type, key: str, hint: Any) -> type:
    """The class of a ``js(flatten=True)`` field: a dataclass or pydantic model, not optional."""
    base = get_args(hint)[0] if get_origin(hint) is Annotated else hint
    if isinstance(base, type) and (_is_model(base) or dataclasses.is_dataclass(base)):
        return base
    raise TypeError(f"{owner.__name__}.{key}: only a dataclass or a pydantic model can flatten")


def json_schema(
    root: Any,
    *,
    name: str,
    title: str,
    description: str,
    shapes: Mapping[type, Any] | None = None,
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``as_dict`` of the dataclass ``root``, or of the JSON
    of any other hint (``list[Row]``, ``A | B``); ``name`` makes its ``$id``
    (``urn:xpuplan:schema:<name>``). ``shapes`` maps a type whose own hints do not
    describe its JSON well (bounds it does not carry, keys that are data rather than a
    contract) to the hint that does (a ``TypedDict`` naming its keys, ``dict[str, float]``),
    used wherever that type appears."""
    builder = _Builder(shapes)
    if isinstance(root, type) and (_is_model(root) or dataclasses.is_dataclass(root)):
        body = builder.object_schema(root)
        body.pop("description", None)
    else:
        body = builder.schema(root)
    return {
        "$schema": SCHEMA_DRAFT,
        "$id": f"urn:xpuplan:schema:{name}",
        "title": title,
        "description": description,
        **body,
        "$defs": dict(sorted(builder.defs.items())),
    }
