"""``xpuplan catalog accelerators|offerings|regions|check``: list and validate catalog rows.

Each listing parses its flags into a :class:`~xpuplan.catalog.query.CatalogQuery`, calls one
function of :mod:`xpuplan.catalog.query` and renders a rich table or JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from xpuplan.catalog.load import check_catalog_file
from xpuplan.catalog.query import (
    ANY_PRICING,
    CatalogQuery,
    accelerator_record,
    find_accelerators,
    find_offerings,
    find_regions,
    offering_record,
    region_record,
)
from xpuplan.catalog.schema import PRICING_MODELS
from xpuplan.catalog.skypilot import DEFAULT_SKYPILOT_DIR, import_skypilot
from xpuplan.cli.common import (
    CatalogOption,
    JsonOption,
    check_choice,
    console,
    err_console,
    load_cli_catalog,
    print_json,
)
from xpuplan.report import terminal
from xpuplan.report.io import write_text_atomic

__all__ = ["app"]

app = typer.Typer(
    help="Browse the catalog (accelerators, offerings, regions) and check override files.",
    no_args_is_help=True,
)

VendorOption = Annotated[
    str | None, typer.Option("--vendor", help="NVIDIA, AMD, Google/tpu, AWS, Intel, ...")
]
ProviderOption = Annotated[str | None, typer.Option("--provider", help="aws, gcp, azure, ...")]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="Region code, or eu / us / an ISO country code (DE, FR)."),
]
EuOption = Annotated[bool, typer.Option("--eu", help="Only regions in the EU/EEA.")]
AcceleratorOption = Annotated[
    str | None, typer.Option("--accelerator", help="Accelerator id, e.g. nvidia-h100-sxm.")
]
MaxPriceOption = Annotated[
    float | None,
    typer.Option("--max-usd-per-chip-hour", help="Price ceiling per chip-hour under --pricing."),
]
PricingOption = Annotated[
    str,
    typer.Option(
        "--pricing",
        help="on_demand, spot, commit_1y, commit_3y, capacity_block, or any (default: the "
        "cheapest price of any model; unpriced offerings are listed too).",
    ),
]


def _query(
    vendor: str | None,
    provider: str | None,
    region: str | None,
    eu: bool,
    accelerator: str | None,
    max_usd: float | None,
    pricing: str,
) -> CatalogQuery:
    check_choice("--pricing", pricing, (*PRICING_MODELS, ANY_PRICING))
    return CatalogQuery(
        vendor=vendor,
        provider=provider,
        region=region,
        eu=eu,
        accelerator=accelerator,
        max_usd_per_chip_hour=max_usd,
        pricing=pricing,
    )


@app.command("accelerators")
def accelerators(
    vendor: VendorOption = None,
    provider: ProviderOption = None,
    region: RegionOption = None,
    eu: EuOption = False,
    accelerator: AcceleratorOption = None,
    max_usd_per_chip_hour: MaxPriceOption = None,
    pricing: PricingOption = "any",
    catalog: CatalogOption = None,
    json_out: JsonOption = False,
) -> None:
    """List accelerators with their dense peaks, memory and scale-up fabric."""
    query = _query(vendor, provider, region, eu, accelerator, max_usd_per_chip_hour, pricing)
    rows = find_accelerators(load_cli_catalog(catalog), query)
    if json_out:
        print_json([accelerator_record(a) for a in rows])
    else:
        terminal.print_accelerators(console, rows)


@app.command("offerings")
def offerings(
    vendor: VendorOption = None,
    provider: ProviderOption = None,
    region: RegionOption = None,
    eu: EuOption = False,
    accelerator: AcceleratorOption = None,
    max_usd_per_chip_hour: MaxPriceOption = None,
    pricing: PricingOption = "any",
    catalog: CatalogOption = None,
    json_out: JsonOption = False,
) -> None:
    """List rentable offerings (instance, region, price per chip-hour), cheapest first."""
    query = _query(vendor, provider, region, eu, accelerator, max_usd_per_chip_hour, pricing)
    rows = find_offerings(load_cli_catalog(catalog), query)
    if json_out:
        print_json([offering_record(r) for r in rows])
    else:
        terminal.print_offerings(console, rows, pricing)


@app.command("regions")
def regions(
    vendor: VendorOption = None,
    provider: ProviderOption = None,
    region: RegionOption = None,
    eu: EuOption = False,
    accelerator: AcceleratorOption = None,
    max_usd_per_chip_hour: MaxPriceOption = None,
    pricing: PricingOption = "any",
    catalog: CatalogOption = None,
    json_out: JsonOption = False,
) -> None:
    """List regions with country, EU/EEA status, grid carbon intensity and PUE."""
    query = _query(vendor, provider, region, eu, accelerator, max_usd_per_chip_hour, pricing)
    rows = find_regions(load_cli_catalog(catalog), query)
    if json_out:
        print_json([region_record(r) for r in rows])
    else:
        terminal.print_regions(console, rows)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Catalog override YAML file to validate.")],
    json_out: JsonOption = False,
) -> None:
    """Validate an override file against the schema and the bundled catalog; list EVERY problem.

    Exit code 0 when the file is valid, 2 when it has problems.
    """
    problems = check_catalog_file(file)
    if json_out:
        print_json(
            [
                {
                    "file": p.file,
                    "table": p.table,
                    "row": p.row,
                    "key": p.key,
                    "field": p.field,
                    "value": p.value,
                    "allowed": p.allowed,
                    "message": str(p),
                }
                for p in problems
            ]
        )
    elif not problems:
        console.print(f"{file}: ok", markup=False, highlight=False)
    for problem in [] if json_out else problems:
        err_console.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    if problems:
        if not json_out:
            err_console.print(f"{len(problems)} problem(s) in {file}", markup=False)
        raise typer.Exit(code=2)


@app.command("import-skypilot")
def import_skypilot_command(
    directory: Annotated[
        Path,
        typer.Argument(help="SkyPilot catalog folder (default ~/.sky/catalogs/v8)."),
    ] = DEFAULT_SKYPILOT_DIR,
    out: Annotated[
        Path,
        typer.Option("--out", help="Override file to write (use it with --catalog FILE)."),
    ] = Path("xpuplan-skypilot.yaml"),
    json_out: JsonOption = False,
    catalog: CatalogOption = None,
) -> None:
    """Import prices from your SkyPilot catalog into a catalog override file.

    Known instance types get SkyPilot's on-demand and spot prices (with its source and date);
    pass the written file to any command with --catalog FILE, or list it in XPUPLAN_CATALOG.
    """
    result = import_skypilot(directory, load_cli_catalog(catalog))
    text = yaml.safe_dump(result.to_override(), sort_keys=False, allow_unicode=True)
    header = (
        f"# Written by `xpuplan catalog import-skypilot {result.directory}`: SkyPilot prices\n"
        "# overriding the bundled catalog. Use with --catalog THIS_FILE or XPUPLAN_CATALOG.\n"
    )
    write_text_atomic(out, header + text, field="--out")
    if json_out:
        print_json(result.to_dict() | {"out": str(out)})
        return
    terminal.print_skypilot_import(console, result, str(out))
