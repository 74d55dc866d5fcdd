"""Error messages name the value received and the nearest allowed ones."""

import pytest

from xpuplan.errors import InputError, UnknownNameError, did_you_mean
from xpuplan.units import parse_count, parse_duration_s

IDS = ["nvidia-h100-sxm", "nvidia-h100-pcie", "nvidia-h100-nvl", "amd-mi300x", "google-tpu-v5p"]


def test_close_spelling_gets_one_suggestion() -> None:
    assert did_you_mean("amd-mi300", IDS) == "amd-mi300x"
    assert did_you_mean("NVIDIA-H100-SXM", IDS) == "nvidia-h100-sxm"
    assert did_you_mean("zzz", IDS) is None


def test_a_fragment_of_several_names_lists_them() -> None:
    error = UnknownNameError("accelerator", "h100", IDS, "xpuplan catalog accelerators")
    assert str(error) == (
        "unknown accelerator 'h100'; did you mean one of 'nvidia-h100-nvl', "
        "'nvidia-h100-pcie', 'nvidia-h100-sxm'? (xpuplan catalog accelerators)"
    )


def test_nothing_close_says_only_what_was_received() -> None:
    assert str(UnknownNameError("region", "mars-1", IDS)) == "unknown region 'mars-1'"


@pytest.mark.parametrize(
    ("text", "value"), [("15T", 15e12), ("2.5e12", 2.5e12), ("300B", 3e11), ("7k", 7e3)]
)
def test_parse_count(text: str, value: float) -> None:
    assert parse_count(text, "--tokens") == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "seconds"), [("60d", 60 * 86400), ("12h", 43200), ("90min", 5400), ("2w", 1209600)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration_s(text, "--deadline") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["abc", "-5", "0", "1e999", "5x"])
def test_bad_quantities_name_the_field_and_value(text: str) -> None:
    with pytest.raises(InputError, match=rf"--tokens: .*{text!r}"):
        parse_count(text, "--tokens")
