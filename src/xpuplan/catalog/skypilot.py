"""Import prices from the catalog a user's own SkyPilot keeps up to date (``~/.sky/catalogs/v8``).

SkyPilot (github.com/skypilot-org/skypilot) refreshes per-cloud CSV files from the clouds' price
APIs. :func:`import_skypilot` reads ``<dir>/<cloud>/vms*.csv`` for AWS, Azure and GCP and returns
catalog override rows (the ``offerings`` table of an override file, see
:mod:`xpuplan.catalog.load`) that replace the bundled rows' on-demand and spot prices:

* only instance types the bundled catalog knows are imported (the bundled row gives the
  accelerator, chips per instance, network and capacity); a new region of a known instance
  type is added with that shape;
* AWS and Azure rows give an instance's price per availability zone: the cheapest zone wins;
* GCP bills GPU VMs as a host-VM row plus a GPU row (``H100`` x8 ...) of the same zone, summed
  here as GCP bills them; TPU rows (``tpu-v5litepod-8``) are priced per slice and become the
  per-chip price of the bundled ``*-slice`` row;
* every imported price keeps its source (the CSV path) and its date (the file's modification
  date, when SkyPilot last refreshed it); pricing models SkyPilot does not carry (capacity
  blocks, commitments) keep their bundled values and dates.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Offering
from xpuplan.errors import InputError

__all__ = [
    "DEFAULT_SKYPILOT_DIR",
    "PriceChange",
    "SkypilotImport",
    "import_skypilot",
]

DEFAULT_SKYPILOT_DIR = Path("~/.sky/catalogs/v8")
_CLOUDS = ("aws", "azure", "gcp")
# GCP GPU rows name the GPU; the bundled row's accelerator says which name to pair it with.
_GCP_GPU_NAMES: dict[str, tuple[str, ...]] = {
    "nvidia-h100-sxm": ("H100", "H100-MEGA"),
    "nvidia-h200-sxm": ("H200",),
    "nvidia-b200": ("B200",),
    "nvidia-a100-40gb-sxm": ("A100",),
    "nvidia-a100-80gb-sxm": ("A100-80GB",),
    "nvidia-l4": ("L4",),
}
# GCP TPU rows: accelerator name prefix -> (bundled instance, TensorCores per chip in the name).
_GCP_TPUS: dict[str, tuple[str, int]] = {
    "tpu-v5litepod-": ("v5litepod-slice", 1),
    "tpu-v6e-": ("v6e-slice", 1),
    "tpu-v5p-": ("v5p-slice", 2),
    "tpu-v4-": ("v4-slice", 2),
}


@dataclass(frozen=True)
class PriceChange:
    """One price the import changes: bundled -> imported (None where there was none)."""

    provider: str
    region: str
    instance: str
    pricing: str
    bundled_usd_per_hour: float | None
    imported_usd_per_hour: float

    @property
    def ratio(self) -> float | None:
        """bundled / imported (2.0: the bundled price is twice SkyPilot's)."""
        if self.bundled_usd_per_hour is None:
            return None
        return self.bundled_usd_per_hour / self.imported_usd_per_hour

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "instance": self.instance,
            "pricing": self.pricing,
            "bundled_usd_per_hour": self.bundled_usd_per_hour,
            "imported_usd_per_hour": self.imported_usd_per_hour,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class SkypilotImport:
    """Override rows built from a SkyPilot catalog, and what they change."""

    directory: str
    files: tuple[str, ...]
    offerings: tuple[dict[str, Any], ...]
    changes: tuple[PriceChange, ...]
    skipped_instances: tuple[str, ...] = field(default=())

    def to_override(self) -> dict[str, Any]:
        """The override file's content (``{"offerings": [...]}``)."""
        return {"offerings": [dict(o) for o in self.offerings]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "skypilot_import",
            "directory": self.directory,
            "files": list(self.files),
            "offerings": len(self.offerings),
            "changes": [c.to_dict() for c in self.changes],
            "skipped_instances": list(self.skipped_instances),
        }


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if value > 0 and value < 1e6 else None


def _cheapest(
    prices: dict[tuple[str, str, str], float], key: tuple[str, str, str], value: float
) -> None:
    if key not in prices or value < prices[key]:
        prices[key] = value


def _aws_azure(path: Path) -> dict[tuple[str, str, str], float]:
    """(instance, region, pricing) -> cheapest price over the region's zones."""
    prices: dict[tuple[str, str, str], float] = {}
    for row in _rows(path):
        instance, region = row.get("InstanceType") or "", row.get("Region") or ""
        if not instance or not region:
            continue
        for column, model in (("Price", "on_demand"), ("SpotPrice", "spot")):
            value = _number(row.get(column))
            if value is not None:
                _cheapest(prices, (instance, region, model), value)
    return prices


def _gcp(path: Path, bundled: dict[str, Offering]) -> dict[tuple[str, str, str], float]:
    """GCP: host VM + GPU rows of the same zone summed; TPU slices per chip."""
    hosts: dict[tuple[str, str], dict[str, tuple[str, float | None, float | None]]] = defaultdict(
        dict
    )
    gpus: dict[tuple[str, str], dict[tuple[str, int], tuple[float | None, float | None]]] = (
        defaultdict(dict)
    )
    prices: dict[tuple[str, str, str], float] = {}
    for row in _rows(path):
        region, zone = row.get("Region") or "", row.get("AvailabilityZone") or ""
        od, spot = _number(row.get("Price")), _number(row.get("SpotPrice"))
        instance, name = row.get("InstanceType") or "", row.get("AcceleratorName") or ""
        if instance:
            hosts[(region, zone)][instance] = (instance, od, spot)
            continue
        for prefix, (slice_name, cores) in _GCP_TPUS.items():
            if name.startswith(prefix) and slice_name in bundled:
                size = _number(name[len(prefix) :])
                if size is None:
                    break
                chips = max(size / cores, 1.0)
                for value, model in ((od, "on_demand"), (spot, "spot")):
                    if value is not None:
                        _cheapest(prices, (slice_name, region, model), value / chips)
                break
        else:
            count = _number(row.get("AcceleratorCount"))
            if name and count is not None:
                gpus[(region, zone)][(name, int(count))] = (od, spot)
    for (region, zone), by_instance in hosts.items():
        for instance, (_, host_od, host_spot) in by_instance.items():
            offering = bundled.get(instance)
            if offering is None:
                continue
            names = _GCP_GPU_NAMES.get(offering.accelerator_id, ())
            mega = instance.startswith("a3-mega")
            names = tuple(n for n in names if n.endswith("-MEGA") == mega) or names
            for name in names:
                part = gpus[(region, zone)].get((name, offering.chips_per_instance))
                if part is None:
                    continue
                for host, gpu, model in (
                    (host_od, part[0], "on_demand"),
                    (host_spot, part[1], "spot"),
                ):
                    if host is not None and gpu is not None:
                        _cheapest(prices, (instance, region, model), host + gpu)
                break
    return prices


def import_skypilot(
    directory: str | Path, catalog: Catalog, today: dt.date | None = None
) -> SkypilotImport:
    """Override rows from the SkyPilot catalog in ``directory`` (see the module docstring).

    Raises :class:`InputError` when the directory holds no ``<cloud>/vms*.csv`` file.
    """
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise InputError(
            f"import-skypilot: {str(root)!r} is not a directory; pass the SkyPilot catalog "
            "folder (default ~/.sky/catalogs/v8, filled by `sky check` / `sky show-gpus`)"
        )
    files: list[str] = []
    offerings: list[dict[str, Any]] = []
    changes: list[PriceChange] = []
    skipped: set[str] = set()
    for cloud in _CLOUDS:
        paths = sorted((root / cloud).glob("vms*.csv"))
        if not paths:
            continue
        path = paths[0]
        files.append(str(path))
        date = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date()
        if today is not None:
            date = min(date, today)
        bundled_rows = [o for o in catalog.offerings if o.provider == cloud]
        by_instance = {o.instance: o for o in bundled_rows}
        by_key = {(o.region, o.instance): o for o in bundled_rows}
        prices = _gcp(path, by_instance) if cloud == "gcp" else _aws_azure(path)
        grouped: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        for (instance, region, model), value in prices.items():
            if instance not in by_instance:
                skipped.add(f"{cloud}:{instance}")
                continue
            grouped[(instance, region)][model] = round(value, 6)
        source = f"SkyPilot catalog {path} (imported; file dated {date})"
        for (instance, region), new in sorted(grouped.items()):
            base = by_key.get((region, instance)) or by_instance[instance]
            same_region = (region, instance) in by_key
            row = base.model_dump(mode="json", exclude_none=True)
            old_prices = dict(base.usd_per_hour) if same_region else {}
            old_dates = {m: str(base.price_as_of.get(m, base.as_of)) for m in old_prices}
            kept = {m: p for m, p in old_prices.items() if m not in new}
            row["region"] = region
            row["usd_per_hour"] = {**kept, **new}
            dates = {m: old_dates[m] for m in kept} | {m: str(date) for m in new}
            row["price_as_of"] = dates
            row["as_of"] = min(dates.values())
            row["source"] = f"{', '.join(sorted(new))}: {source}" + (
                f"; {', '.join(sorted(kept))}: {base.source}" if kept else ""
            )
            row["confidence"] = "medium"
            row.pop("notes", None)
            offerings.append(row)
            for model, value in sorted(new.items()):
                before = old_prices.get(model)  # type: ignore[call-overload]
                if before is None or abs(before - value) > 1e-3 * before:
                    changes.append(PriceChange(cloud, region, instance, model, before, value))
    if not files:
        raise InputError(
            f"import-skypilot: no <cloud>/vms*.csv file under {str(root)!r} (looked for "
            f"{', '.join(_CLOUDS)})"
        )
    return SkypilotImport(
        directory=str(root),
        files=tuple(files),
        offerings=tuple(offerings),
        changes=tuple(changes),
        skipped_instances=tuple(sorted(skipped)),
    )
