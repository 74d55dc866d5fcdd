"""Which catalog accelerator a validation case's ``accelerator_id`` names.

Published results name chips in their own words: a system's form factor after the chip
(``nvidia-h200-sxm-141gb``), a short product line (``nvidia-rtx-pro-6000`` for the catalog's
Server Edition), a cloud's instance-family name (``aws-trn2``) or a TPU's marketing name
(``google-trillium``). A case is resolved, in order, by:

1. its id as written;
2. its id normalized (lower case, spaces and underscores as hyphens);
3. a cloud or marketing name in :data:`ALIASES` (its first hyphen-separated words, after the
   vendor's);
4. the one catalog id that extends it (``nvidia-rtx-pro-6000`` -> ``...-bse``);
5. the longest catalog id whose words it starts with (``google-tpu-v6e-8`` ->
   ``google-tpu-v6e``).

A name that fits several entries (``nvidia-h100``: SXM, PCIe or NVL) is not guessed: the case
is skipped with the candidates named.
"""

from __future__ import annotations

import re

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator
from xpuplan.validation.cases import CaseSkipped

__all__ = ["ALIASES", "resolve_accelerator"]

# Cloud and marketing names of catalog chips: AWS instance families (trn1/trn2/trn3, inf2:
# "Amazon EC2 Trn2 instances", aws.amazon.com/ec2/instance-types), Google's TPU names ("TPU
# v5 lite" / v5litepod is v5e, Trillium is v6e, Ironwood is TPU7x: cloud.google.com/tpu/docs
# system-architecture pages).
ALIASES: dict[str, str] = {
    "trn1": "aws-trainium1",
    "trn2": "aws-trainium2",
    "trn3": "aws-trainium3",
    "inf2": "aws-inferentia2",
    "v5litepod": "google-tpu-v5e",
    "v5lite": "google-tpu-v5e",
    "tpu-v5-lite": "google-tpu-v5e",
    "trillium": "google-tpu-v6e",
    "ironwood": "google-tpu7x-ironwood",
    "tpu7x": "google-tpu7x-ironwood",
    "tpu-v7": "google-tpu7x-ironwood",
}
_VENDORS = ("nvidia", "amd", "aws", "amazon", "google", "intel", "meta")


def _normalized(name: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[\s_]+", "-", name.strip().lower())).strip("-")


def _alias(name: str) -> str | None:
    words = name.split("-")
    if words and words[0] in _VENDORS:
        words = words[1:]
    for size in (3, 2, 1):  # the longest alias first ("tpu-v5-lite" before "tpu")
        key = "-".join(words[:size])
        if len(words) >= size and key in ALIASES:
            return ALIASES[key]
    return None


def resolve_accelerator(catalog: Catalog, accelerator_id: str) -> Accelerator:
    """The catalog accelerator a case's ``accelerator_id`` names (rules in the module
    docstring); CaseSkipped when it names none, or several."""
    if catalog.has_accelerator(accelerator_id):
        return catalog.accelerator(accelerator_id)
    name = _normalized(accelerator_id)
    if catalog.has_accelerator(name):
        return catalog.accelerator(name)
    alias = _alias(name)
    if alias is not None and catalog.has_accelerator(alias):
        return catalog.accelerator(alias)
    ids = [a.id for a in catalog.accelerators]
    extending = [i for i in ids if i.startswith(name + "-")]
    if len(extending) == 1:
        return catalog.accelerator(extending[0])
    extended = [i for i in ids if name.startswith(i + "-")]
    if extended:
        return catalog.accelerator(max(extended, key=len))
    if extending:
        raise CaseSkipped(
            f"accelerator {accelerator_id!r} names {len(extending)} catalog entries "
            f"({', '.join(sorted(extending))}); state one"
        )
    raise CaseSkipped(f"accelerator {accelerator_id!r} is not in the catalog")
