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
   ``google-tpu-v6e``);
6. its words: the catalog entries whose id words (vendor and memory size aside) or whose
   name's words all appear among the id's, with a form factor's generation dropped
   (``sxm5`` is ``sxm``) and adjacent words also read joined (``gaudi 3`` is ``gaudi3``); the
   most specific such entry, and among equally specific ones the entry whose memory the id
   states (``A100-SXM4-80GB``, ``NVIDIA H100 SXM5 80GB``, ``AMD Instinct MI300X``);
7. the same rules applied to the case's free-text ``accelerator`` name, when the id names no
   entry or several (``nvidia-h100`` beside "H100 SXM5 80GB").

A name that fits several entries (``nvidia-h100``: SXM, PCIe or NVL) is not guessed: the case
is skipped with the candidates named.
"""

from __future__ import annotations

import re
from itertools import pairwise

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
    # what nvidia-smi calls the SXM5 board (the PCIe card is "H100 PCIe", the NVL "H100 NVL")
    "h100-80gb-hbm3": "nvidia-h100-sxm",
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


_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)gb$")


def _words(text: str) -> list[str]:
    """Lower-case words of a chip name, a form factor's generation dropped (sxm5 -> sxm)."""
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower())
    return [re.sub(r"^sxm\d$", "sxm", w) for w in words]


def _core(words: list[str]) -> frozenset[str]:
    """The words that identify a chip: no vendor word, no memory size."""
    return frozenset(w for w in words if w not in _VENDORS and not _MEMORY.match(w))


def _by_words(catalog: Catalog, name: str) -> list[Accelerator]:
    """Rule 6: the most specific catalog entries whose id or name words all appear in
    ``name`` (adjacent words also joined), narrowed by a stated memory size."""
    words = _words(name)
    present = set(words) | {a + b for a, b in pairwise(words)}
    best: list[Accelerator] = []
    best_size = 0
    for acc in catalog.accelerators:
        # the name up to its first parenthesis ("TPU v6e (Trillium)"): what it is called
        keys = (_core(_words(acc.id)), _core(_words(acc.name.split("(")[0])))
        size = max((len(k) for k in keys if k and k <= present), default=0)
        if size > best_size:
            best, best_size = [acc], size
        elif size and size == best_size:
            best.append(acc)
    stated_gb = [float(m.group(1)) for w in words if (m := _MEMORY.match(w))]
    if len(best) > 1 and stated_gb:
        fits = [a for a in best if any(abs(a.hbm_gb - gb) <= 1.0 for gb in stated_gb)]
        best = fits or best
    return best


def resolve_accelerator(
    catalog: Catalog, accelerator_id: str, accelerator_name: str | None = None
) -> Accelerator:
    """The catalog accelerator a case's ``accelerator_id`` (else its free-text
    ``accelerator_name``) names (rules in the module docstring); CaseSkipped when it names
    none, or several."""
    try:
        return _resolve(catalog, accelerator_id)
    except CaseSkipped:
        if not accelerator_name or not accelerator_name.strip():
            raise
        try:
            return _resolve(catalog, accelerator_name)
        except CaseSkipped:
            pass
        raise


def _resolve(catalog: Catalog, accelerator_id: str) -> Accelerator:
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
    matched = _by_words(catalog, accelerator_id)
    if len(matched) == 1:
        return matched[0]
    if len(matched) > 1:
        extending = [a.id for a in matched]
    if extending:
        raise CaseSkipped(
            f"accelerator {accelerator_id!r} names {len(extending)} catalog entries "
            f"({', '.join(sorted(extending))}); state one"
        )
    raise CaseSkipped(f"accelerator {accelerator_id!r} is not in the catalog")
