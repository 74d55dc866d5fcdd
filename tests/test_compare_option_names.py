"""``compare --option`` can name every instance type of the catalog, spaces and brackets
included, and its "did you mean" hint is itself a readable option."""

from __future__ import annotations

import re

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.errors import InputError
from xpuplan.plan import parse_option


def test_every_offering_of_the_catalog_can_be_named() -> None:
    catalog = load_catalog()
    spaced = 0
    for o in catalog.offerings:
        spaced += " " in o.instance
        parsed = parse_option(f"{o.provider}:{o.instance}@{o.region} x3 pricing=spot tp=2")
        assert (parsed.provider, parsed.instance, parsed.region) == (
            o.provider,
            o.instance,
            o.region,
        )
        assert (parsed.instances, parsed.pricing, parsed.layout) == (3, "spot", (("tp", "2"),))
        plain = parse_option(f"{o.provider}:{o.instance}")
        assert (plain.instance, plain.instances, plain.region) == (o.instance, 1, None)
    assert spaced > 10  # the catalog does hold such names (44 of 94 types when filed)


@pytest.mark.parametrize("text", ["aws p5", "aws:", "aws:p5 x2 x3", "aws:p5\nx2"])
def test_unreadable_options(text: str) -> None:
    with pytest.raises(InputError, match=r"^options"):
        parse_option(text)


def test_spaced_names_compare_and_the_hint_is_an_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["compare", "--model", "llama-3.2-1b", "--tokens", "10B"]
    good = ["--option", "runpod:H100 SXM (Community Cloud) x1",
            "--option", "tensorwave:MI300X (per GPU) x8"]  # fmt: skip
    assert run([*argv, *good]) == 0
    assert "MI300X (per GPU)" in capsys.readouterr().out
    assert run([*argv, "--option", "runpod:H100 SXM (Community Clod) x1"]) == 2
    err = capsys.readouterr().err
    hint = re.search(r"did you mean '([^']+)'", err)
    assert hint, err
    assert parse_option(hint.group(1)).instance == "H100 SXM (Community Cloud)"
    assert run([*argv, "--option", hint.group(1) + " x1"]) == 0
