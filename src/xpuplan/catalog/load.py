"""Load the bundled catalog and merge user override files over it.

The bundled tables live in ``xpuplan/catalog/data/*.yaml`` (read with importlib.resources, never
from the source tree). A user file has the same shape: a mapping with any of the top-level keys
``accelerators``, ``offerings`` and ``regions``, each a list of rows. A row replaces the bundled
row with the same key (accelerator ``id``; offering ``(provider, region, instance)``; region
``(provider, code)``) and is added otherwise.

Override order, later wins: bundled data, then the files named in the ``XPUPLAN_CATALOG``
variable of ``env`` (``os.pathsep``-separated), then ``extra_files`` (the ``--catalog`` flag).

Every problem is reported as a :class:`CatalogProblem` naming the file, the table, the row, the
field, the value received and what is allowed. :func:`load_catalog` raises the first one as a
:class:`~xpuplan.errors.CatalogError`; :func:`check_catalog_file` returns all of them.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple, cast

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.fastyaml import read_simple_yaml
from xpuplan.catalog.schema import TEXT_RULE, Accelerator, Offering, Region, one_line
from xpuplan.errors import CatalogError, InputError, did_you_mean
from xpuplan.gc_pause import paused_gc

__all__ = [
    "BUNDLED_FILES",
    "ENV_VAR",
    "TABLES",
    "CatalogProblem",
    "check_catalog_file",
    "load_catalog",
    "override_paths",
    "row_key",
]

ENV_VAR = "XPUPLAN_CATALOG"
TABLES: tuple[str, ...] = ("accelerators", "offerings", "regions")
BUNDLED_FILES: tuple[str, ...] = ("accelerators.yaml", "offerings.yaml", "regions.yaml")
_MODELS: dict[str, type[BaseModel]] = {
    "accelerators": Accelerator,
    "offerings": Offering,
    "regions": Region,
}
_Row = Accelerator | Offering | Region


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that leaves dates as text, so the schema (not the YAML library)
    validates them and a bad date like 2026-13-01 becomes a normal catalog problem."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


@dataclass(frozen=True)
class CatalogProblem:
    """One thing wrong in a catalog file, with everything needed to fix it."""

    file: str
    table: str | None
    row: int | None
    key: str | None
    field: str | None
    value: Any
    allowed: str

    def __str__(self) -> str:
        where = self.file
        if self.table is not None:
            where += f": {self.table}"
            if self.row is not None:
                where += f"[{self.row}]"
            if self.key:
                where += f" ({self.key})"
        if self.field is None:
            return f"{where}: {self.allowed}"
        return f"{where}: field {self.field!r} = {_show(self.value)}: {self.allowed}"


class _Located(NamedTuple):
    """A validated row and where it came from (for error messages after merging). A named
    tuple: a large override file makes one per row, and a tuple is the cheapest to build."""

    row: _Row
    file: str
    table: str
    row_index: int  # position in its table of its file
    key: tuple[str, ...]  # row_key(row), computed once


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def row_key(row: _Row) -> tuple[str, ...]:
    """The merge key of a row: id / (provider, region, instance) / (provider, code)."""
    if isinstance(row, Accelerator):
        return (row.id,)
    if isinstance(row, Offering):
        return (row.provider, row.region, row.instance)
    return (row.provider, row.code)


def _raw_key(table: str, raw: Mapping[str, Any]) -> str:
    names = {
        "accelerators": ("id",),
        "offerings": ("provider", "region", "instance"),
        "regions": ("provider", "code"),
    }[table]
    parts = [one_line(str(raw.get(n))) for n in names if raw.get(n) is not None]
    return "/".join(parts)


def _allowed_text(error: Mapping[str, Any], model: type[BaseModel], field: str | None) -> str:
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "invalid"))
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(model.model_fields))
        return f"unknown field; allowed fields: {allowed}"
    if kind == "string_pattern_mismatch" and "\\x00" in str(error.get("ctx", {}).get("pattern")):
        return TEXT_RULE
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{message} (write dates as YYYY-MM-DD)"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if field is not None and field in model.model_fields:
        description = model.model_fields[field].description
        if description:
            message += f" ({description})"
    return message


def _validate_rows(
    data: Mapping[str, Any], label: str
) -> tuple[list[_Located], list[CatalogProblem]]:
    rows: list[_Located] = []
    problems: list[CatalogProblem] = []
    for table, value in data.items():
        if table not in _MODELS:
            problems.append(
                CatalogProblem(
                    label,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"unknown table {table!r}; allowed top-level keys: {', '.join(TABLES)}",
                )
            )
            continue
        if value is None:
            continue
        if not isinstance(value, list):
            problems.append(
                CatalogProblem(
                    label, table, None, None, None, type(value).__name__, "must be a list of rows"
                )
            )
            continue
        model = _MODELS[table]
        seen: dict[tuple[str, ...], int] = {}
        bulk = _validate_all(table, value)
        if bulk is not None:
            # Every row is valid: only the checks across fields and keys remain.
            if _add_valid_rows(rows, problems, bulk, label, table):
                continue
            for index, valid in enumerate(bulk):  # a repeated key: name each repeat
                _add_row(rows, problems, seen, valid, label, table, index)
            continue
        for index, raw in enumerate(value):
            if not isinstance(raw, Mapping):
                problems.append(
                    CatalogProblem(
                        label, table, index, None, None, raw, "each row must be a mapping"
                    )
                )
                continue
            key = _raw_key(table, raw)
            try:
                row = model.model_validate(dict(raw))
            except ValidationError as error:
                for item in error.errors():
                    loc = [str(part) for part in item.get("loc", ())]
                    field = ".".join(loc) if loc else None
                    top = loc[0] if loc else None
                    value_in = raw.get(top) if top is not None else None
                    if item.get("type") == "missing":
                        value_in = None
                    elif len(loc) > 1 and item.get("input") is not None:
                        value_in = item.get("input")
                    problems.append(
                        CatalogProblem(
                            label,
                            table,
                            index,
                            key,
                            field,
                            value_in,
                            _allowed_text(item, model, top),
                        )
                    )
                continue
            assert isinstance(row, Accelerator | Offering | Region)
            _add_row(rows, problems, seen, row, label, table, index)
    return rows, problems


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(table: str) -> TypeAdapter[Any]:
    """A validator of a whole table (built once: building one compiles the schema)."""
    if table not in _ADAPTERS:
        types: dict[str, Any] = {
            "accelerators": list[Accelerator],
            "offerings": list[Offering],
            "regions": list[Region],
        }
        _ADAPTERS[table] = TypeAdapter(types[table])
    return _ADAPTERS[table]


def _validate_all(table: str, value: list[Any]) -> list[_Row] | None:
    """All rows of a table validated in one call into pydantic-core (no Python per row), or
    None when any row is invalid (then each row is checked alone, to report every problem)."""
    if not all(isinstance(raw, Mapping) for raw in value):
        return None
    try:
        return list(_adapter(table).validate_python(value))
    except ValidationError:
        return None


# The merge key of each table's rows, read in one C call per row (see row_key).
_KEY_FIELDS: dict[str, attrgetter[Any]] = {
    "accelerators": attrgetter("id", "id"),  # two fields return a tuple: keep the first
    "offerings": attrgetter("provider", "region", "instance"),
    "regions": attrgetter("provider", "code"),
}


def _add_valid_rows(
    rows: list[_Located],
    problems: list[CatalogProblem],
    bulk: list[_Row],
    label: str,
    table: str,
) -> bool:
    """:func:`_add_row` over a whole table of valid rows a column at a time (a 200,000-row
    file in a fraction of a second), or False, adding nothing, when a key repeats (then
    :func:`_add_row` names each repeat)."""
    keys: list[tuple[str, ...]] = list(map(_KEY_FIELDS[table], bulk))
    if table == "accelerators":
        keys = [key[:1] for key in keys]
    if len(set(keys)) != len(keys):
        return False
    for index in _maybe_cross_field_problems(bulk, table):
        row = bulk[index]
        problems.extend(_row_problems(row, label, table, index, "/".join(keys[index])))
    n = len(bulk)
    rows.extend(map(_Located, bulk, repeat(label, n), repeat(table, n), range(n), keys))
    return True


def _maybe_cross_field_problems(bulk: list[_Row], table: str) -> list[int]:
    """Rows that :func:`_row_problems` must look at (for offerings, only the uncommon ones)."""
    if table != "offerings":
        return list(range(len(bulk)))
    offerings = cast(list[Offering], bulk)
    return [
        index
        for index, row in enumerate(offerings)
        if not row.usd_per_hour
        or row.price_as_of
        or row.allowed_chip_counts is not None
        or row.max_chips is not None
    ]


def _add_row(
    rows: list[_Located],
    problems: list[CatalogProblem],
    seen: dict[tuple[str, ...], int],
    row: _Row,
    label: str,
    table: str,
    index: int,
) -> None:
    """Check a valid row across its fields and against the file's other keys; keep it."""
    merge_key = row_key(row)
    key = "/".join(merge_key)  # a valid row's text is printable on one line
    found = _row_problems(row, label, table, index, key)
    if found:
        problems.extend(found)
    if merge_key in seen:
        problems.append(
            CatalogProblem(
                label,
                table,
                index,
                key,
                None,
                None,
                f"duplicate key {key!r} (also row {seen[merge_key]}); "
                "each key may appear once per file",
            )
        )
        return
    seen[merge_key] = index
    rows.append(_Located(row, label, table, index, merge_key))


def _row_problems(row: _Row, label: str, table: str, index: int, key: str) -> list[CatalogProblem]:
    """Checks that involve several fields of one row (the schema checks single fields)."""
    found: list[CatalogProblem] = []

    def problem(field: str, value: Any, allowed: str) -> None:
        found.append(CatalogProblem(label, table, index, key, field, value, allowed))

    if isinstance(row, Offering) and (
        row.usd_per_hour
        and not row.price_as_of
        and row.allowed_chip_counts is None
        and (row.max_chips is None or row.max_chips >= row.chips_per_instance)
    ):
        return found  # the common row: nothing across fields to check
    if isinstance(row, Offering):
        counts = row.allowed_chip_counts or ()
        bad = [n for n in counts if n % row.chips_per_instance]
        if bad:
            problem(
                "allowed_chip_counts",
                bad,
                f"every count must be a multiple of chips_per_instance={row.chips_per_instance}",
            )
        if row.max_chips is not None and row.max_chips < row.chips_per_instance:
            problem(
                "max_chips",
                row.max_chips,
                f"must be >= chips_per_instance={row.chips_per_instance}",
            )
        if not row.usd_per_hour and not row.notes:
            problem(
                "usd_per_hour",
                {},
                "give at least one price (USD per instance-hour), or notes saying why none "
                "is known",
            )
        extra_dates = set(row.price_as_of) - set(row.usd_per_hour)
        if extra_dates:
            problem(
                "price_as_of",
                sorted(extra_dates),
                "dates only for pricing models that have a price in usd_per_hour",
            )
    elif isinstance(row, Region) and row.eu and not row.eea:
        problem("eea", row.eea, "an EU region is also in the EEA (eea: true)")
    return found


# Files larger than this are first tried with the simple-YAML reader (xpuplan.catalog.fastyaml),
# about ten times faster than PyYAML on the plain block style catalog files use; smaller files,
# the bundled ones included, go straight to PyYAML, whose time there is negligible.
_FAST_YAML_MIN_CHARS = 1_000_000


def _parse_yaml(text: str, label: str) -> tuple[Mapping[str, Any], list[CatalogProblem]]:
    """Parse a catalog file. JSON (a subset of YAML) goes to the C JSON parser; a large file
    in plain block YAML to :func:`~xpuplan.catalog.fastyaml.read_simple_yaml` (a 200,000-row
    file in a few seconds, where PyYAML's constructor, Python even under the C loader, takes
    about a minute); anything else to PyYAML, which also reports syntax errors."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            pass  # not JSON after all: YAML reports the problem with its line and column
        else:
            return _as_tables(data, label)
    if len(text) > _FAST_YAML_MIN_CHARS:
        simple = read_simple_yaml(text, _Loader)
        if simple is not None:
            return _as_tables(simple, label)
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        return {}, [
            CatalogProblem(label, None, None, None, None, None, f"not valid YAML{where}: {problem}")
        ]
    return _as_tables(data, label)


def _as_tables(data: Any, label: str) -> tuple[Mapping[str, Any], list[CatalogProblem]]:
    if data is None:
        return {}, []
    if not isinstance(data, Mapping):
        return {}, [
            CatalogProblem(
                label,
                None,
                None,
                None,
                None,
                type(data).__name__,
                f"a catalog file must be a mapping with keys {', '.join(TABLES)}",
            )
        ]
    return data, []


def _read_user_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"catalog file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(
            f"catalog file {str(path)!r} is a directory, expected a YAML file"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"catalog file {str(path)!r} cannot be read: {error}") from None


def _bundled_rows() -> tuple[list[_Located], list[CatalogProblem]]:
    package = resources.files("xpuplan.catalog").joinpath("data")
    rows: list[_Located] = []
    problems: list[CatalogProblem] = []
    for name in BUNDLED_FILES:
        label = f"<bundled>/{name}"
        data, found = _parse_yaml(package.joinpath(name).read_text(encoding="utf-8"), label)
        problems.extend(found)
        valid, found = _validate_rows(data, label)
        rows.extend(valid)
        problems.extend(found)
    return rows, problems


def override_paths(
    extra_files: Sequence[str | Path] = (), env: Mapping[str, str] | None = None
) -> list[Path]:
    """Override files in merge order: ``XPUPLAN_CATALOG`` entries first, then ``extra_files``."""
    from_env = (env or {}).get(ENV_VAR, "")
    paths = [Path(p) for p in from_env.split(os.pathsep) if p.strip()]
    return paths + [Path(p) for p in extra_files]


def _merge(layers: Iterable[list[_Located]]) -> dict[str, dict[tuple[str, ...], _Located]]:
    merged: dict[str, dict[tuple[str, ...], _Located]] = {t: {} for t in TABLES}
    for layer in layers:
        for located in layer:
            merged[located.table][located.key or row_key(located.row)] = located
    return merged


def _reference_problems(
    merged: Mapping[str, Mapping[tuple[str, ...], _Located]],
) -> list[CatalogProblem]:
    """Offerings must name a known accelerator."""
    known = {key[0] for key in merged["accelerators"]}
    problems = []
    for located in merged["offerings"].values():
        row = located.row
        assert isinstance(row, Offering)
        if row.accelerator_id not in known:
            hint = did_you_mean(row.accelerator_id, known)
            allowed = "unknown accelerator; use an id from `xpuplan catalog accelerators`"
            if hint:
                allowed += f" (did you mean {hint!r}?)"
            problems.append(
                CatalogProblem(
                    located.file,
                    located.table,
                    located.row_index,
                    "/".join(row_key(row)),
                    "accelerator_id",
                    row.accelerator_id,
                    allowed,
                )
            )
    return problems


def _build(merged: Mapping[str, Mapping[tuple[str, ...], _Located]]) -> Catalog:
    def rows(table: str) -> list[Any]:
        # Sorted by key. A valid key's texts hold no control character, so joining them with
        # "\x00" (below every other character) sorts in the same order as the tuples, and
        # one string comparison is cheaper than a tuple's (200,000 rows: a third of the time).
        by_key = merged[table]
        joined = sorted(zip(map("\x00".join, by_key), by_key.values(), strict=True))
        return [located.row for _, located in joined]

    return Catalog(
        accelerators=tuple(rows("accelerators")),
        offerings=tuple(rows("offerings")),
        regions=tuple(rows("regions")),
    )


def _raise_first(problems: Sequence[CatalogProblem]) -> None:
    if problems:
        more = len(problems) - 1
        suffix = f" (+{more} more; run `xpuplan catalog check FILE`)" if more else ""
        raise CatalogError(f"{problems[0]}{suffix}")


def load_catalog(
    extra_files: Sequence[str | Path] = (), env: Mapping[str, str] | None = None
) -> Catalog:
    """The bundled catalog, with override files merged over it (see the module docstring).

    ``env`` is read only for ``XPUPLAN_CATALOG``; pass ``os.environ`` to honour the variable
    (``None`` means no variable). Raises :class:`CatalogError` for a malformed row and
    :class:`InputError` for a file that does not exist.
    """
    with paused_gc():  # many small objects and no cycles: collection passes only cost time
        catalog = _load(extra_files, env)
        if len(catalog.offerings) >= _LARGE_CATALOG_ROWS:
            _to_oldest_generation()
        return catalog


# A catalog this large (a large override file) is handed to the oldest GC generation at once.
_LARGE_CATALOG_ROWS = 10_000


def _to_oldest_generation() -> None:
    """Move every object the collector tracks to its oldest generation, without a pass.

    A large catalog is about a million tracked objects (rows, their dicts and sets), all
    alive for as long as the catalog is. Left in the youngest generation, the first
    collections after loading would traverse them all twice (200,000 rows: about 1 s) only to
    promote them; freeze then unfreeze (CPython) moves them to the oldest generation directly,
    where only full collections look at them, as they would anyway. Other young objects of the
    process move too: their cycles, if any, are found at the next full collection instead.
    """
    if hasattr(gc, "freeze") and hasattr(gc, "unfreeze"):
        gc.freeze()
        gc.unfreeze()


def _load(extra_files: Sequence[str | Path], env: Mapping[str, str] | None) -> Catalog:
    bundled, problems = _bundled_rows()
    _raise_first(problems)
    layers = [bundled]
    for path in override_paths(extra_files, env):
        data, found = _parse_yaml(_read_user_file(path), str(path))
        _raise_first(found)
        rows, found = _validate_rows(data, str(path))
        _raise_first(found)
        layers.append(rows)
    merged = _merge(layers)
    _raise_first(_reference_problems(merged))
    return _build(merged)


def check_catalog_file(path: str | Path) -> list[CatalogProblem]:
    """Every problem in one user override file, checked against the bundled catalog.

    An empty list means the file is valid and merges cleanly. A missing file raises
    :class:`InputError`.
    """
    file = Path(path)
    data, problems = _parse_yaml(_read_user_file(file), str(file))
    rows, found = _validate_rows(data, str(file))
    problems.extend(found)
    bundled, bundled_problems = _bundled_rows()
    _raise_first(bundled_problems)
    merged = _merge([bundled, rows])
    for problem in _reference_problems(merged):
        if problem.file == str(file):
            problems.append(problem)
    return problems
