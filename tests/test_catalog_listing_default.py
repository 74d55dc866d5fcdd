"""`xpuplan catalog offerings` lists every matching row by default, whatever its pricing model."""

import json

import pytest

from xpuplan.cli import run


def test_trainium2_offerings_are_listed_with_a_price(capsys: pytest.CaptureFixture[str]) -> None:
    # Trainium2 has capacity-block and spot prices but no on-demand one in the catalog.
    assert run(["catalog", "offerings", "--accelerator", "aws-trainium2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "the default listing must not hide offerings without an on-demand price"
    assert any(row["usd_per_hour"] for row in rows)
    assert all(row["source"] and row["as_of"] for row in rows)


def test_an_explicit_pricing_model_still_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "catalog",
            "offerings",
            "--accelerator",
            "aws-trainium2",
            "--pricing",
            "on_demand",
            "--json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == []
