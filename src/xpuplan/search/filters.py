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

from collections.abc import Sequence
from dataclasses import dataclass

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
    providers = {o.provider for o in catalog.offerings}
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

    stages: list[tuple[str, list[Offering]]] = []
    known = {a.id for a in catalog.accelerators}
    rows = [o for o in catalog.offerings if o.accelerator_id in known]
    stages.append(("catalog offerings", rows))
    wanted_models = set(models)
    rows = [o for o in rows if not wanted_models.isdisjoint(o.usd_per_hour)]
    label = flt.pricing + (" with spot" if flt.allow_spot and flt.pricing == BEST else "")
    stages.append((f"pricing={label}", rows))
    if flt.providers:
        rows = [o for o in rows if o.provider in flt.providers]
        stages.append((f"providers={','.join(flt.providers)}", rows))
    if flt.vendors or flt.exclude_vendors:
        wanted = {v.lower() for v in flt.vendors}
        unwanted = {v.lower() for v in flt.exclude_vendors}

        def vendor_ok(o: Offering) -> bool:
            acc = catalog.accelerator(o.accelerator_id)
            keys = vendor_keys(acc.vendor, acc.vendor_family)
            return (not wanted or bool(keys & wanted)) and not keys & unwanted

        rows = [o for o in rows if vendor_ok(o)]
        label = ",".join(flt.vendors) or "all"
        if flt.exclude_vendors:
            label += " excluding " + ",".join(flt.exclude_vendors)
        stages.append((f"vendors={label}", rows))
    if flt.accelerators:
        rows = [o for o in rows if o.accelerator_id in flt.accelerators]
        stages.append((f"accelerators={','.join(flt.accelerators)}", rows))
    if allowed_regions is not None:
        rows = [o for o in rows if (o.provider, o.region) in allowed_regions]
        stages.append((f"regions={','.join(flt.regions)}", rows))

    for (name, kept), (prev_name, prev) in zip(stages[1:], stages[:-1], strict=True):
        if not kept:
            raise InfeasibleError(
                f"{name}: removes the last offerings ({len(prev)} left after {prev_name}, 0 after)"
            )
    if not rows:
        raise InputError("the catalog has no offerings")
    out = []
    # Many rows share one price table (and one region): work each out once, not per row.
    standing: dict[tuple[tuple[str, float], ...], tuple[str, float]] = {}
    for o in rows:
        prices = tuple(o.usd_per_hour.items())
        found = standing.get(prices)
        if found is None:
            found = standing[prices] = _standing_price(o, models)
        out.append(
            SelectedOffering(
                offering=o,
                usd_per_hour=found[1],
                region=catalog.region(o.provider, o.region),
                pricing=found[0],
            )
        )
    return tuple(out)
