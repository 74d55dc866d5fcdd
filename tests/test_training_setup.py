"""estimate_training_setup: the layout a user states, or the fastest one with their pins."""

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.errors import InputError
from xpuplan.models.presets import get_preset
from xpuplan.perf.training import default_global_batch_seqs, estimate_training_setup


def test_default_batch_is_about_4m_tokens_and_a_multiple_of_the_chips() -> None:
    # 4,194,304 tokens / 4,096 = 1,024 sequences, already a multiple of 64 chips.
    assert default_global_batch_seqs(4096, 64) == 1024
    # 1,024 rounds up to the next multiple of 48 chips: 22 x 48 = 1,056.
    assert default_global_batch_seqs(4096, 48) == 1056


def test_stated_layout_is_used_as_given() -> None:
    acc = load_catalog().accelerator("nvidia-h100-sxm")
    est = estimate_training_setup(get_preset("llama-3.1-8b"), acc, 16, seq_len=4096, tp=2, pp=2)
    layout = est.layout
    assert (layout.tp, layout.pp, layout.dp, layout.zero, layout.micro_batch) == (2, 2, 4, 1, 1)
    assert layout.recompute == "selective"


def test_pins_are_kept_when_the_layout_is_searched() -> None:
    acc = load_catalog().accelerator("nvidia-h100-sxm")
    est = estimate_training_setup(get_preset("llama-3.1-8b"), acc, 16, seq_len=4096, tp=4)
    assert est.layout.tp == 4
    assert any("layout chosen by search" in note for note in est.notes)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tp": 3, "pp": 1}, "does not divide the 16 chips"),
        ({"zero": 5}, "allowed ZeRO stages"),
        ({"recompute": "some"}, "recompute 'some'"),
    ],
)
def test_bad_setups_are_one_line_errors(kwargs: dict[str, object], match: str) -> None:
    acc = load_catalog().accelerator("nvidia-h100-sxm")
    with pytest.raises(InputError, match=match):
        estimate_training_setup(get_preset("llama-3.1-8b"), acc, 16, seq_len=4096, **kwargs)  # type: ignore[arg-type]
