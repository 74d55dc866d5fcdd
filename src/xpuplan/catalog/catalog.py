"""The Catalog container: three validated tables and lookups with helpful errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from xpuplan.catalog.schema import Accelerator, Offering, Region
from xpuplan.errors import UnknownNameError

__all__ = ["Catalog"]


@dataclass(frozen=True)
class Catalog:
    """Accelerators, offerings and regions. Pure data: build one and pass it in."""

    accelerators: tuple[Accelerator, ...]
    offerings: tuple[Offering, ...]
    regions: tuple[Region, ...]
    _by_id: dict[str, Accelerator] = field(init=False, repr=False, compare=False)
    _regions: dict[tuple[str, str], Region] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {a.id: a for a in self.accelerators})
        object.__setattr__(self, "_regions", {(r.provider, r.code): r for r in self.regions})

    def accelerator(self, accelerator_id: str) -> Accelerator:
        """The accelerator with this id; unknown ids raise with the nearest match."""
        try:
            return self._by_id[accelerator_id]
        except KeyError:
            raise UnknownNameError(
                "accelerator", accelerator_id, self._by_id, "xpuplan catalog accelerators"
            ) from None

    def has_accelerator(self, accelerator_id: str) -> bool:
        return accelerator_id in self._by_id

    def region(self, provider: str, code: str) -> Region | None:
        """The region row of an offering, or None when the catalog has none for it."""
        return self._regions.get((provider, code))

    def offerings_for(self, accelerator_id: str) -> Iterator[Offering]:
        return (o for o in self.offerings if o.accelerator_id == accelerator_id)
