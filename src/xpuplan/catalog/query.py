"""Pure look-ups over a :class:`Catalog`: filter and sort the three tables, and turn rows into
JSON-ready records. The ``xpuplan catalog`` commands are thin shells over these functions.

Region selectors (same meaning as the planner's ``--regions``):

* ``eu``: regions in the EU or the EEA (region row ``eu`` or ``eea``);
* ``us``: regions in the United States;
* a two-letter ISO 3166-1 country code (``DE``, ``fr``);
* a region code (``us-east-1``), matched in every provider that has it.

Unknown vendors, providers, accelerators, regions and pricing models raise
:class:`~xpuplan.errors.UnknownNameError` with the nearest valid name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, cast

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import PRICING_MODELS, Accelerator, Offering, PricingModel, Region
from xpuplan.errors import InputError, UnknownNameError
from xpuplan.jsontypes import as_dict, js, json_key

__all__ = [
    "ANY_PRICING",
    "CatalogQuery",
    "OfferingRow",
    "accelerator_record",
    "find_accelerators",
    "find_offerings",
    "find_regions",
    "offering_record",
    "region_record",
]

ANY_PRICING = "any"


@dataclass(frozen=True)
class CatalogQuery:
    """Filters shared by the three listings; ``None`` / ``False`` means no restriction.

    ``pricing`` selects the price used for ``max_usd_per_chip_hour`` and for sorting; offerings
    without a price under it are left out, unless it is ``"any"`` (then the cheapest price
    of any model is used and unpriced offerings are kept).
    """

    vendor: str | None = None
    provider: str | None = None
    region: str | None = None
    eu: bool = False
    accelerator: str | None = None
    max_usd_per_chip_hour: float | None = None
    pricing: str = "on_demand"


@dataclass(frozen=True)
class OfferingRow:
    """An offering with the price the query selected and where its region is; its JSON is the
    offering's keys followed by that price and location (null when unknown)."""

    offering: Annotated[Offering, js(flatten=True)]
    pricing: Annotated[
        str | None,
        js(
            enum=[*PRICING_MODELS, None],
            description="the pricing model usd_per_chip_hour is for; null when the offering "
            "has no price",
        ),
    ]
    usd_per_chip_hour: Annotated[
        float | None,
        js(
            minimum=0,
            description="instance price / chips_per_instance under 'pricing'; null without "
            "that price",
        ),
    ]
    region: Annotated[Region | None, js(omit=True)]  # printed as region_country, region_eu

    @property
    @json_key(after="usd_per_chip_hour")
    def region_country(
        self,
    ) -> Annotated[
        str | None,
        js(description="ISO 3166-1 alpha-2 of the region, null when the catalog has no region row"),
    ]:
        return self.region.country if self.region else None

    @property
    @json_key(after="region_country")
    def region_eu(
        self,
    ) -> Annotated[
        bool | None,
        js(description="whether the region is in the EU; null without a region row"),
    ]:
        return self.region.eu if self.region else None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _vendor_keys(accelerator: Accelerator) -> set[str]:
    return {accelerator.vendor.lower(), accelerator.vendor_family}


def _check_names(catalog: Catalog, query: CatalogQuery) -> None:
    if query.pricing != ANY_PRICING and query.pricing not in PRICING_MODELS:
        raise UnknownNameError(
            "pricing model", query.pricing, (*PRICING_MODELS, ANY_PRICING), "pricing"
        )
    if query.vendor is not None:
        names = set().union(*(_vendor_keys(a) for a in catalog.accelerators))
        if query.vendor.lower() not in names:
            raise UnknownNameError("vendor", query.vendor, sorted(names), "vendor")
    if query.provider is not None:
        providers = {o.provider for o in catalog.offerings} | {r.provider for r in catalog.regions}
        if query.provider not in providers:
            raise UnknownNameError(
                "provider", query.provider, sorted(providers), "xpuplan catalog offerings"
            )
    if query.accelerator is not None:
        catalog.accelerator(query.accelerator)  # raises with a suggestion
    if query.max_usd_per_chip_hour is not None and not query.max_usd_per_chip_hour > 0:
        raise InputError(f"max_usd_per_chip_hour: {query.max_usd_per_chip_hour} must be > 0")


def _region_keys(catalog: Catalog, selector: str | None, eu: bool) -> set[tuple[str, str]] | None:
    """(provider, code) pairs allowed by the region selector and --eu; None = all."""
    allowed: set[tuple[str, str]] | None = None
    if selector is not None:
        token = selector.strip()
        low = token.lower()
        offered = {(o.provider, o.region) for o in catalog.offerings}
        rows = {(r.provider, r.code) for r in catalog.regions}
        if low == "eu":
            allowed = {(r.provider, r.code) for r in catalog.regions if r.eu or r.eea}
        elif low == "us":
            allowed = {(r.provider, r.code) for r in catalog.regions if r.country == "US"}
        elif len(token) == 2 and token.isalpha():
            countries = {r.country for r in catalog.regions}
            if token.upper() not in countries:
                raise UnknownNameError(
                    "country", token, sorted(countries), "use eu, us, an ISO country or a region"
                )
            allowed = {(r.provider, r.code) for r in catalog.regions if r.country == token.upper()}
        else:
            codes = {code for _, code in offered | rows}
            if token not in codes:
                raise UnknownNameError(
                    "region", token, sorted(codes), "use eu, us, an ISO country or a region code"
                )
            allowed = {(p, c) for p, c in offered | rows if c == token}
    if eu:
        eu_keys = {(r.provider, r.code) for r in catalog.regions if r.eu or r.eea}
        allowed = eu_keys if allowed is None else allowed & eu_keys
    return allowed


def _price(offering: Offering, pricing: str) -> tuple[str | None, float | None]:
    if pricing != ANY_PRICING:
        value = offering.usd_per_chip_hour(cast(PricingModel, pricing))
        return (pricing, value) if value is not None else (None, None)
    best: tuple[str | None, float | None] = (None, None)
    for model in offering.usd_per_hour:
        value = offering.usd_per_chip_hour(model)
        if value is not None and (best[1] is None or value < best[1]):
            best = (model, value)
    return best


def find_offerings(catalog: Catalog, query: CatalogQuery) -> tuple[OfferingRow, ...]:
    """Offerings matching ``query``, cheapest per chip-hour first (unpriced last)."""
    _check_names(catalog, query)
    regions = _region_keys(catalog, query.region, query.eu)
    rows: list[OfferingRow] = []
    for offering in catalog.offerings:
        if not catalog.has_accelerator(offering.accelerator_id):
            continue
        chip = catalog.accelerator(offering.accelerator_id)
        if query.vendor is not None and query.vendor.lower() not in _vendor_keys(chip):
            continue
        if query.provider is not None and offering.provider != query.provider:
            continue
        if query.accelerator is not None and offering.accelerator_id != query.accelerator:
            continue
        if regions is not None and (offering.provider, offering.region) not in regions:
            continue
        pricing, usd = _price(offering, query.pricing)
        if usd is None and query.pricing != ANY_PRICING:
            continue
        if query.max_usd_per_chip_hour is not None and (
            usd is None or usd > query.max_usd_per_chip_hour
        ):
            continue
        rows.append(
            OfferingRow(offering, pricing, usd, catalog.region(offering.provider, offering.region))
        )
    rows.sort(
        key=lambda r: (
            r.usd_per_chip_hour is None,
            r.usd_per_chip_hour or 0.0,
            r.offering.provider,
            r.offering.region,
            r.offering.instance,
        )
    )
    return tuple(rows)


def _offering_filters_used(query: CatalogQuery) -> bool:
    return (
        query.provider is not None
        or query.region is not None
        or query.eu
        or query.max_usd_per_chip_hour is not None
    )


def find_accelerators(catalog: Catalog, query: CatalogQuery) -> tuple[Accelerator, ...]:
    """Accelerators matching ``query``, sorted by vendor, family and id.

    Offering filters (provider, region, --eu, price ceiling) keep the accelerators that have at
    least one matching offering.
    """
    _check_names(catalog, query)
    chips: Iterable[Accelerator] = catalog.accelerators
    if query.vendor is not None:
        chips = [a for a in chips if query.vendor.lower() in _vendor_keys(a)]
    if query.accelerator is not None:
        chips = [a for a in chips if a.id == query.accelerator]
    if _offering_filters_used(query):
        offered = {row.offering.accelerator_id for row in find_offerings(catalog, query)}
        chips = [a for a in chips if a.id in offered]
    return tuple(sorted(chips, key=lambda a: (a.vendor, a.family, a.id)))


def find_regions(catalog: Catalog, query: CatalogQuery) -> tuple[Region, ...]:
    """Region rows matching ``query`` (provider, region, --eu), sorted by provider and code.

    Vendor, accelerator and price filters keep the regions that have a matching offering.
    """
    _check_names(catalog, query)
    keys = _region_keys(catalog, query.region, query.eu)
    rows = [r for r in catalog.regions if keys is None or (r.provider, r.code) in keys]
    if query.provider is not None:
        rows = [r for r in rows if r.provider == query.provider]
    if (
        query.vendor is not None
        or query.accelerator is not None
        or query.max_usd_per_chip_hour is not None
    ):
        offered = {(o.offering.provider, o.offering.region) for o in find_offerings(catalog, query)}
        rows = [r for r in rows if (r.provider, r.code) in offered]
    return tuple(sorted(rows, key=lambda r: (r.provider, r.code)))


def accelerator_record(accelerator: Accelerator) -> dict[str, Any]:
    """Every field of the row (dates as ISO strings) and its ``vendor_family``, ready for JSON."""
    return as_dict(accelerator)


def offering_record(row: OfferingRow) -> dict[str, Any]:
    """Every field of the offering plus the selected price and the region's location."""
    return row.to_dict()


def region_record(region: Region) -> dict[str, Any]:
    """Every field of the region row, ready for JSON."""
    return as_dict(region)
