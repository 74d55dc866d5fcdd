"""The simple-YAML reader of large catalog files reads what PyYAML reads, or defers to it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from xpuplan.catalog import load as catalog_load
from xpuplan.catalog.fastyaml import read_simple_yaml
from xpuplan.catalog.load import _Loader, check_catalog_file, load_catalog
from xpuplan.errors import CatalogError


def _pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


READ_FAST = [
    "a: 1\nb: yes\nc: '2026-01-01'\nd: 2026-01-01\ne: [1, 2, x]\nf: {}\ng: ~\nh:\n",
    "i: 'it''s'\nj: \"q\"\nk: -1\nl: .inf\nm: 0x1F\nn: 1_000\no: on\np: a#b\nq: 1:20\n",
    "t:\n  - x\n  - 2\nu:\n  k: v\n  l:\n    - 1\n",
    "offerings:\n-   a: 1\n    b: [ ]\nregions:\n",
    "a:\n- b: 1\n  c: 2\n# a comment\n\n- d:\n    e: 3\n  f: 1.0e+3\n",
    "a: x:y\nb: -x\nc: 2001-12-14t21:59:43.10-05:00\n",
]
DEFERRED = [
    "a: 1 # comment\n",  # a comment after a value
    "- a\n",  # a top-level sequence
    "a: |\n  x\n",  # a block scalar
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "a: !!str 1\n",  # tags
    "yes: 1\n",  # a key YAML reads as a bool
    "a: b\na: c\n",  # a repeated key
    "a: 'x\n  y'\n",  # a multi-line quoted scalar
    "a: x\n  y\n",  # a multi-line plain scalar
    'a: "x\\ty"\n',  # an escape
    "a: [a, 'b']\n",  # a quoted flow item
    "a:\n\t- 1\n",  # a tab
    "---\na: 1\n",  # a document marker
    "# only a comment\n",
    "a: [1\n",  # broken: PyYAML reports it
    "a:\n  b: 1\n c: 2\n",  # broken indentation
]


@pytest.mark.parametrize("text", READ_FAST)
def test_simple_yaml_is_read_as_pyyaml_reads_it(text: str) -> None:
    fast = read_simple_yaml(text, _Loader)
    assert fast is not None
    assert json.dumps(fast, sort_keys=True, default=str) == json.dumps(
        _pyyaml(text), sort_keys=True, default=str
    )
    assert fast == _pyyaml(text)


@pytest.mark.parametrize("text", DEFERRED)
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert read_simple_yaml(text, _Loader) is None


_SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
    st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=12),
    st.lists(st.integers(0, 64), max_size=4),
)
_ROWS = st.lists(
    st.dictionaries(
        st.sampled_from(["provider", "region", "on", "yes", "x_1", "notes", "n"]),
        st.one_of(_SCALARS, st.dictionaries(st.sampled_from(["spot", "on_demand"]), _SCALARS)),
        max_size=5,
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(rows=_ROWS, style=st.sampled_from([None, False]))
def test_dumped_tables_read_the_same_either_way(rows: list[dict[str, Any]], style: Any) -> None:
    text = yaml.dump({"offerings": rows}, Dumper=yaml.SafeDumper, default_flow_style=style)
    fast = read_simple_yaml(text, _Loader)
    if fast is not None:
        assert fast == _pyyaml(text)


def _big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_of: str) -> Path:
    monkeypatch.setattr(catalog_load, "_FAST_YAML_MIN_CHARS", 0)  # take the fast path
    rows = [
        {
            "provider": "aws",
            "region": "us-east-1",
            "instance": f"bench-{i}.48xlarge",
            "accelerator_id": "nvidia-h100-sxm",
            "chips_per_instance": 8,
            "usd_per_hour": {"on_demand": 20.0 + i},
            "source": "test row",
            "as_of": as_of,
        }
        for i in range(3)
    ]
    path = tmp_path / "big.yaml"
    path.write_text(yaml.dump({"offerings": rows}, Dumper=yaml.SafeDumper), encoding="utf-8")
    return path


def test_fast_path_loads_and_reports_problems_like_pyyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = load_catalog(extra_files=[_big_file(tmp_path, monkeypatch, "2026-12-01")])
    assert sum(o.instance.startswith("bench-") for o in catalog.offerings) == 3
    bad = _big_file(tmp_path, monkeypatch, "2026-13-01")
    problems = check_catalog_file(bad)
    assert len(problems) == 3 and "as_of" in str(problems[0]) and "2026-13-01" in str(problems[0])
    with pytest.raises(CatalogError, match="as_of"):
        load_catalog(extra_files=[bad])


_NAMES = st.text(st.sampled_from("abz-.0179"), max_size=8).map(lambda text: "n" + text)
_PLAIN_ROWS = st.lists(
    st.dictionaries(
        st.sampled_from(["a_prices", "instance", "region", "chips", "z_prices", "notes"]),
        st.one_of(
            _NAMES,
            st.integers(0, 10**6),
            st.floats(0.5, 1e5),
            st.dictionaries(st.sampled_from(["spot", "on_demand"]), st.floats(0.5, 1e5)),
            st.lists(st.integers(1, 64), max_size=3),
        ),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(
    tables=st.dictionaries(st.sampled_from(["offerings", "regions", "on"]), _PLAIN_ROWS),
    line=st.integers(0, 60),
    insert=st.sampled_from(["", "# note", "  # note", "- x: 1", "    deeper: 1", "  - 3"]),
)
def test_tables_read_a_row_at_a_time_as_pyyaml_reads_them(
    tables: dict[str, list[dict[str, Any]]], line: int, insert: str
) -> None:
    """Tables in PyYAML's dump shape (nested mappings first, last or between; block lists;
    unique names), read whole, and with a comment, blank or stray line put in anywhere."""
    text = yaml.dump(tables, Dumper=yaml.SafeDumper)
    if tables and "on" not in tables:  # "on" is a bool key: PyYAML's to read
        assert read_simple_yaml(text, _Loader) == _pyyaml(text)
    lines = text.split("\n")
    lines.insert(min(line, len(lines)), insert)
    edited = "\n".join(lines)
    fast = read_simple_yaml(edited, _Loader)
    if fast is not None:
        assert fast == _pyyaml(edited)
    else:
        with contextlib.suppress(yaml.YAMLError):  # broken by the stray line: PyYAML says so
            _pyyaml(edited)
