"""Which offerings a plan may use: pricing model, regions, providers and vendors.

Region selectors (``--regions``), combined by union:

* ``eu``: regions located in the EU or the EEA (the region row's ``eu`` or ``eea`` flag);
* ``us``: regions located in the United States (country ``US``);
* a two-letter ISO 3166-1 country code (``DE``, ``fr``): regions in that country;
* a region code (``us-east-1``) or ``provider:code`` (``gcp:europe-west4``).

Offerings whose region has no row in the catalog cannot be placed in a country and are
excluded by the first three selectors (the filter report counts them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Any

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import PRICING_MODELS, Offering, Region
from xpuplan.errors import InfeasibleError, InputError, UnknownNameError

__all__ = [
    "BEST",
    "PRICING_CHOICES",
    "OfferingFilter",
    "SelectedOffering",
    "allowed_models",
    "region_matcher",
    "select_offerings",
    "split_list",
    "vendor_keys",
]

# ``--pricing best`` (the default): per offering, the cheapest way to rent it that the user
# allows. Spot joins only with ``allow_spot``: it can be taken away (see search.pricing).
BEST = "best"
PRICING_CHOICES: tuple[str, ...] = (BEST, *PRICING_MODELS)
# Pricing models a continuously running fleet (serving) may use, cheapest wins; capacity
# blocks end after at most a few months, so they serve only when nothing else is priced.
_CONTINUOUS = ("on_demand", "commit_1y", "commit_3y")


def split_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """Flags given as repeated options and/or comma lists: ``["a,b", "c"]`` -> ``(a, b, c)``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)


@dataclass(frozen=True)
class OfferingFilter:
    """User restrictions on offerings; empty tuples mean 'no restriction'."""

    pricing: str = BEST
    allow_spot: bool = False
    regions: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    exclude_vendors: tuple[str, ...] = ()
    accelerators: tuple[str, ...] = ()

    def describe(self) -> dict[str, object]:
        return {
            "pricing": self.pricing,
            "allow_spot": self.allow_spot,
            "regions": list(self.regions),
            "providers": list(self.providers),
            "vendors": list(self.vendors),
            "exclude_vendors": list(self.exclude_vendors),
            "accelerators": list(self.accelerators),
        }


@dataclass(frozen=True)
class SelectedOffering:
    """An offering that passed the filters, with its price and region row (None if unknown)."""

    offering: Offering
    usd_per_hour: float
    region: Region | None
    pricing: str = "on_demand"  # the pricing model usd_per_hour is quoted in


def allowed_models(flt: OfferingFilter) -> tuple[str, ...]:
    """The pricing models a filter lets a plan use."""
    if flt.pricing != BEST:
        return (flt.pricing,)
    models = ("on_demand", "capacity_block", "commit_1y", "commit_3y")
    return (*models, "spot") if flt.allow_spot else models


def _standing_price(offering: Offering, models: tuple[str, ...]) -> tuple[str, float]:
    """The cheapest allowed price for open-ended use (serving), with its pricing model."""
    prices = offering.usd_per_hour
    continuous = [m for m in models if m in prices and (m in _CONTINUOUS or m == "spot")]
    pool = continuous or [m for m in models if m in prices]
    price, best = min((prices[m], m) for m in pool)
    return best, price


def vendor_keys(vendor: str, family: str) -> set[str]:
    return {vendor.lower(), family.lower()}


def region_matcher(catalog: Catalog, selectors: tuple[str, ...]) -> set[tuple[str, str]]:
    """The (provider, region code) pairs the selectors allow, validated against the catalog."""
    offered = {(o.provider, o.region) for o in catalog.offerings}
    allowed: set[tuple[str, str]] = set()
    codes = {code for _, code in offered} | {r.code for r in catalog.regions}
    countries = {r.country for r in catalog.regions}
    for raw in selectors:
        token = raw.strip()
        low = token.lower()
        if low == "eu":
            allowed |= {(r.provider, r.code) for r in catalog.regions if r.eu or r.eea}
        elif low == "us":
            allowed |= {(r.provider, r.code) for r in catalog.regions if r.country == "US"}
        elif len(token) == 2 and token.isalpha():
            country = token.upper()
            if country not in countries:
                raise UnknownNameError(
                    "region country",
                    country,
                    sorted(countries),
                    "countries are ISO 3166-1 codes of catalog regions",
                )
            allowed |= {(r.provider, r.code) for r in catalog.regions if r.country == country}
        elif ":" in token:
            provider, code = token.split(":", 1)
            if (provider, code) not in offered and catalog.region(provider, code) is None:
                raise UnknownNameError(
                    "region",
                    token,
                    sorted(f"{p}:{c}" for p, c in offered),
                    "use eu, us, a country code or provider:region",
                )
            allowed.add((provider, code))
        else:
            if token not in codes:
                raise UnknownNameError(
                    "region", token, sorted(codes), "use eu, us, a country code or a region code"
                )
            allowed |= {(p, c) for p, c in offered if c == token}
            allowed |= {(r.provider, r.code) for r in catalog.regions if r.code == token}
    return allowed


def select_offerings(catalog: Catalog, flt: OfferingFilter) -> tuple[SelectedOffering, ...]:
    """Offerings that pass every filter, each with its price under ``flt.pricing``.

    Unknown names raise :class:`UnknownNameError`; a filter that removes the last offering
    raises :class:`InfeasibleError` naming it.
    """
    if flt.pricing not in PRICING_CHOICES:
        raise UnknownNameError("pricing model", flt.pricing, PRICING_CHOICES)
    models = allowed_models(flt)
    # One pass reads every field the filters need: a large catalog's rows do not stay in the
    # CPU cache from one pass to the next, and each filter below is then C calls over indices.
    columns = list(zip(*map(_FILTER_FIELDS, catalog.offerings), strict=True))
    acc_col, provider_col, region_col, price_col = columns or ((), (), (), ())
    place_col = list(zip(provider_col, region_col, strict=True))  # (provider, region code)
    providers = set(provider_col)
    for p in flt.providers:
        if p not in providers:
            raise UnknownNameError("provider", p, sorted(providers), "xpuplan catalog offerings")
    vendor_names = set()
    for acc in catalog.accelerators:
        vendor_names |= vendor_keys(acc.vendor, acc.vendor_family)
    for v in (*flt.vendors, *flt.exclude_vendors):
        if v.lower() not in vendor_names:
            raise UnknownNameError("vendor", v, sorted(vendor_names))
    for a in flt.accelerators:
        catalog.accelerator(a)  # raises with a suggestion when unknown
    allowed_regions = region_matcher(catalog, flt.regions) if flt.regions else None

    def kept(rows: list[int], column: Sequence[object], test: Callable[[Any], bool]) -> list[int]:
        return list(compress(rows, map(test, map(column.__getitem__, rows))))

    stages: list[tuple[str, list[int]]] = []
    known = {a.id for a in catalog.accelerators}
    rows = list(compress(range(len(acc_col)), map(known.__contains__, acc_col)))
    stages.append(("catalog offerings", rows))
    wanted_models = set(models)
    rows = kept(rows, price_col, lambda prices: not wanted_models.isdisjoint(prices))
    label = flt.pricing + (" with spot" if flt.allow_spot and flt.pricing == BEST else "")
    stages.append((f"pricing={label}", rows))
    if flt.providers:
        rows = kept(rows, provider_col, flt.providers.__contains__)
        stages.append((f"providers={','.join(flt.providers)}", rows))
    if flt.vendors or flt.exclude_vendors:
        wanted = {v.lower() for v in flt.vendors}
        unwanted = {v.lower() for v in flt.exclude_vendors}

        def vendor_ok(accelerator_id: str) -> bool:
            acc = catalog.accelerator(accelerator_id)
            keys = vendor_keys(acc.vendor, acc.vendor_family)
            return (not wanted or bool(keys & wanted)) and not keys & unwanted

        ok = {a: vendor_ok(a) for a in known}
        rows = kept(rows, acc_col, ok.__getitem__)
        label = ",".join(flt.vendors) or "all"
        if flt.exclude_vendors:
            label += " excluding " + ",".join(flt.exclude_vendors)
        stages.append((f"vendors={label}", rows))
    if flt.accelerators:
        rows = kept(rows, acc_col, flt.accelerators.__contains__)
        stages.append((f"accelerators={','.join(flt.accelerators)}", rows))
    if allowed_regions is not None:
        rows = kept(rows, place_col, allowed_regions.__contains__)
        stages.append((f"regions={','.join(flt.regions)}", rows))

    for (name, left), (prev_name, prev) in zip(stages[1:], stages[:-1], strict=True):
        if not left:
            raise InfeasibleError(
                f"{name}: removes the last offerings ({len(prev)} left after {prev_name}, 0 after)"
            )
    if not rows:
        raise InputError("the catalog has no offerings")
    out = []
    # Many rows share one price table and one region: work each out once, not per row.
    standing: dict[tuple[tuple[str, float], ...], tuple[str, float]] = {}
    regions: dict[tuple[str, str], Region | None] = {}
    picked = zip(
        map(catalog.offerings.__getitem__, rows),
        map(price_col.__getitem__, rows),
        map(place_col.__getitem__, rows),
        strict=True,
    )
    for offering, price_table, place in picked:
        prices = tuple(price_table.items())
        found = standing.get(prices)
        if found is None:
            found = standing[prices] = _standing_price(offering, models)
        if place not in regions:
            regions[place] = catalog.region(*place)
        out.append(SelectedOffering(offering, found[1], regions[place], found[0]))
    return tuple(out)


# (accelerator id, provider, region code, prices) of an offering.
_FILTER_FIELDS = attrgetter("accelerator_id", "provider", "region", "usd_per_hour")
