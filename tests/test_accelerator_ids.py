"""How a validation case's accelerator id resolves to a catalog entry."""

from __future__ import annotations

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.validation.accelerator_ids import ALIASES, resolve_accelerator
from xpuplan.validation.cases import CaseSkipped

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("written", "catalog_id"),
    [
        ("nvidia-h100-sxm", "nvidia-h100-sxm"),  # as written
        ("NVIDIA_H200_SXM", "nvidia-h200-sxm"),  # case and separators
        ("nvidia-rtx-pro-6000", "nvidia-rtx-pro-6000-bse"),  # the one entry extending it
        ("nvidia-h200-sxm-141gb", "nvidia-h200-sxm"),  # a form factor after the chip
        ("google-tpu-v6e-8", "google-tpu-v6e"),  # a slice size after the chip
        ("nvidia-gb200-nvl72", "nvidia-gb200"),
        ("aws-trn2", "aws-trainium2"),  # cloud instance family
        ("trn1", "aws-trainium1"),
        ("aws-inf2-48xlarge", "aws-inferentia2"),
        ("google-trillium", "google-tpu-v6e"),  # marketing name
        ("google-ironwood", "google-tpu7x-ironwood"),
        ("tpu-v5-lite-pod", "google-tpu-v5e"),
        # by words: vendor and product-line words around the chip, a board generation
        ("nvidia-h100-sxm5-80gb", "nvidia-h100-sxm"),
        ("NVIDIA H100 80GB HBM3", "nvidia-h100-sxm"),  # nvidia-smi's name of the SXM5 board
        ("AMD Instinct MI300X", "amd-mi300x"),
        ("amd-instinct-mi325x", "amd-mi325x"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "nvidia-rtx-pro-6000-bse"),
        ("Gaudi 3", "intel-gaudi3"),  # adjacent words joined
        ("TPU v6e", "google-tpu-v6e"),
        ("Trainium2", "aws-trainium2"),
        ("NVIDIA H100 PCIe", "nvidia-h100-pcie"),
        # the memory stated picks among equally specific entries
        ("A100-SXM4-80GB", "nvidia-a100-80gb-sxm"),
        ("nvidia-a100-sxm4-40gb", "nvidia-a100-40gb-sxm"),
    ],
)
def test_written_ids_resolve(written: str, catalog_id: str) -> None:
    assert resolve_accelerator(CATALOG, written).id == catalog_id


def test_a_name_of_several_entries_is_not_guessed() -> None:
    with pytest.raises(CaseSkipped, match=r"names 3 catalog entries .*nvidia-h100-nvl"):
        resolve_accelerator(CATALOG, "nvidia-h100")


@pytest.mark.parametrize("written", ["nvidia-h1", "no-such-chip", "nvidia-h1000"])
def test_unknown_ids_are_skipped(written: str) -> None:
    with pytest.raises(CaseSkipped, match="not in the catalog"):
        resolve_accelerator(CATALOG, written)


def test_the_free_text_name_resolves_what_the_id_leaves_open() -> None:
    h100 = resolve_accelerator(CATALOG, "nvidia-h100", "NVIDIA H100 SXM5 80GB")
    assert h100.id == "nvidia-h100-sxm"
    with pytest.raises(CaseSkipped, match="names 3 catalog entries"):
        resolve_accelerator(CATALOG, "nvidia-h100", "a GPU")


def test_every_alias_names_a_catalog_entry() -> None:
    assert all(CATALOG.has_accelerator(target) for target in ALIASES.values())
