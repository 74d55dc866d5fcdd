"""xpuplan catalog ... through the real CLI entry point (exit codes, JSON, one-line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xpuplan.cli import run


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    assert run(argv) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def test_accelerators_json_lists_the_families(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["catalog", "accelerators", "--json"])
    assert len(rows) >= 35
    families = {r["family"] for r in rows}
    assert {"Trainium2", "TPU v5p", "GB200", "MI300X", "TPU7x", "B300"} <= families
    assert all(r["source"] and r["as_of"] for r in rows)


def test_trainium2_offerings_have_a_price(capsys: pytest.CaptureFixture[str]) -> None:
    # AWS sells Trn2 through Capacity Blocks (aws.amazon.com/ec2/capacityblocks/pricing lists
    # trn2.48xlarge at $35.7608/h in us-east-2 = $2.235 per chip-hour); no on-demand list price.
    argv = ["catalog", "offerings", "--accelerator", "aws-trainium2", "--json"]
    rows = _json(capsys, [*argv, "--pricing", "capacity_block"])
    assert rows and all(isinstance(r["usd_per_chip_hour"], float) for r in rows)
    assert all(r["source"] and r["as_of"] for r in rows)
    by_instance = {(r["instance"], r["region"]): r["usd_per_chip_hour"] for r in rows}
    assert by_instance[("trn2.48xlarge", "us-east-2")] == pytest.approx(35.7608 / 16)


def test_offerings_sorted_cheapest_first(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["catalog", "offerings", "--vendor", "nvidia", "--eu", "--json"])
    prices = [float(str(r["usd_per_chip_hour"])) for r in rows]
    assert prices == sorted(prices) and prices
    assert all(r["region_eu"] for r in rows if r["region_country"] not in ("NO", "IS", "LI"))


def test_price_ceiling(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["catalog", "offerings", "--max-usd-per-chip-hour", "1.0", "--pricing", "spot"]
    rows = _json(capsys, [*argv, "--json"])
    assert rows and all(float(str(r["usd_per_chip_hour"])) <= 1.0 for r in rows)


def test_regions_json_for_country(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["catalog", "regions", "--region", "FI", "--json"])
    assert {r["country"] for r in rows} == {"FI"}


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["catalog", "regions", "--provider", "nebius"]) == 0
    assert "Mäntsälä" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["catalog", "offerings", "--vendor", "nvidea"], "unknown vendor 'nvidea'; did you mean"),
        (["catalog", "accelerators", "--provider", "awz"], "unknown provider 'awz'"),
        (["catalog", "regions", "--accelerator", "h100"], "unknown accelerator 'h100'"),
    ],
)
def test_bad_names_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], pattern: str
) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert pattern in err


def test_catalog_flag_merges_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "offerings:\n"
        "  - {provider: aws, region: us-east-2, instance: trn2.48xlarge,\n"
        "     accelerator_id: aws-trainium2, chips_per_instance: 16,\n"
        "     usd_per_hour: {on_demand: 32.0}, source: my quote, as_of: 2026-11-01}\n",
        encoding="utf-8",
    )
    argv = ["catalog", "offerings", "--accelerator", "aws-trainium2", "--catalog", str(path)]
    rows = _json(capsys, [*argv, "--json"])
    assert {"trn2.48xlarge": 2.0}.items() <= {
        str(r["instance"]): r["usd_per_chip_hour"] for r in rows
    }.items()


def test_check_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "offerings:\n"
        "  - {provider: aws, region: x, instance: y, accelerator_id: nvidia-h10,\n"
        "     chips_per_instance: 8, usd_per_hour: {on_demand: 1.0}, source: quote,\n"
        "     as_of: 2026-11-01}\n"
        "  - {provider: aws, region: x, instance: z, accelerator_id: nvidia-h100-sxm,\n"
        "     chips_per_instance: 8, usd_per_hour: {on_demand: -1.0}, as_of: 2026-13-01}\n",
        encoding="utf-8",
    )
    assert run(["catalog", "check", str(path)]) == 2
    err = capsys.readouterr().err
    for expected in ("'accelerator_id' = 'nvidia-h10'", "'usd_per_hour", "'source'", "'as_of'"):
        assert expected in err
    assert "4 problem(s)" in err


def test_check_ok_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("regions: []\n", encoding="utf-8")
    assert run(["catalog", "check", str(good)]) == 0
    assert "ok" in capsys.readouterr().out
    assert run(["catalog", "check", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and len(err.splitlines()) == 1
