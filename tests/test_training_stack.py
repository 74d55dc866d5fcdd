"""Software stacks, LoRA/QLoRA, fp8 and the memory unit of the training estimator."""

from __future__ import annotations

import json

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.errors import InputError
from xpuplan.models.presets import get_preset
from xpuplan.perf.layout import Layout, pp_ok, tp_ok
from xpuplan.perf.stack import STACKS, get_stack, stack_for_framework
from xpuplan.perf.training import Finetune, estimate_training, estimate_training_setup
from xpuplan.units import GIB, hbm_bytes

CATALOG = load_catalog()
H100 = CATALOG.accelerator("nvidia-h100-sxm")
LLAMA70 = get_preset("llama-3.1-70b")
LAYOUT = Layout(dp=2, tp=4, pp=1, micro_batch=1, recompute="selective")


def _run(**kw: object) -> float:
    args: dict[str, object] = {"seq_len": 4096, "global_batch_seqs": 16}
    args.update(kw)
    layout = args.pop("layout", LAYOUT)
    return estimate_training(LLAMA70, H100, layout, **args).step_time_s  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("framework", "when", "name"),
    [
        ("Megatron-LM", "Narayanan et al. 2021", "megatron-2021"),
        ("Megatron-LM v3", "Korthikanti 2022", "megatron-2022"),
        ("Megatron-Core r0.8.0", None, "megatron-core"),
        ("NVIDIA NeMo Framework Release 24.04", None, "nemo"),
        ("MaxText (JAX/XLA)", None, "maxtext"),
        ("PAX", None, "maxtext"),
        ("AXLearn (JAX/XLA on Neuron)", None, "axlearn"),
        ("NeuronX Distributed (Neuron SDK 2.21.0)", None, "nxd"),
        ("Composer / llm-foundry (PyTorch FSDP)", None, "fsdp"),
        ("NGC PyTorch Release 24.01 Deepspeed", None, "fsdp"),
        ("something else", None, "generic"),
    ],
)
def test_stack_follows_the_framework(framework: str, when: str | None, name: str) -> None:
    assert stack_for_framework(framework, when).name == name


def test_unknown_stack_is_one_line_error() -> None:
    with pytest.raises(InputError, match="allowed"):
        get_stack("bogus")


def test_stacks_without_overlap_or_flash_are_slower() -> None:
    modern = _run(stack=STACKS["megatron-core"])
    old = _run(stack=STACKS["megatron-2022"])  # no TP overlap, materialized attention scores
    assert old > modern


def test_lora_skips_weight_gradients_and_optimizer_states() -> None:
    full = estimate_training(LLAMA70, H100, LAYOUT, seq_len=4096, global_batch_seqs=16)
    lora = estimate_training(
        LLAMA70, H100, LAYOUT, seq_len=4096, global_batch_seqs=16, finetune=Finetune("lora", 16)
    )
    qlora = estimate_training(
        LLAMA70, H100, LAYOUT, seq_len=4096, global_batch_seqs=16, finetune=Finetune("qlora", 16)
    )
    # Forward + activation-gradient backward: about 2/3 of the matmul time of full training.
    ratio = lora.step_time_breakdown_s["matmul"] / full.step_time_breakdown_s["matmul"]
    assert 0.6 < ratio < 0.75
    assert lora.memory_gb_per_chip["optimizer"] < 0.01 * full.memory_gb_per_chip["optimizer"]
    assert lora.memory_gb_per_chip["gradients"] < 0.01 * full.memory_gb_per_chip["gradients"]
    assert qlora.memory_gb_per_chip["weights"] < 0.3 * lora.memory_gb_per_chip["weights"]
    assert lora.tokens_per_s > full.tokens_per_s
    # QLoRA dequantizes its 4-bit base every pass: more memory traffic than LoRA.
    assert qlora.step_time_breakdown_s["memory_bound"] > lora.step_time_breakdown_s["memory_bound"]


def test_bad_finetune_values_are_rejected() -> None:
    with pytest.raises(InputError, match="rank"):
        Finetune("lora", 0)
    with pytest.raises(InputError, match="allowed"):
        Finetune("dora", 8)


def test_fp8_end_to_end_speedup_is_below_the_peak_ratio() -> None:
    bf16 = estimate_training_setup(LLAMA70, H100, 64, seq_len=4096, tp=4, pp=2, precision="bf16")
    fp8 = estimate_training_setup(LLAMA70, H100, 64, seq_len=4096, tp=4, pp=2, precision="fp8")
    speedup = bf16.step_time_s / fp8.step_time_s
    assert 1.1 < speedup < 2.0  # fp8 peak is 2x, casts and non-matmul work are not


def test_nemo_stack_defaults_to_fp8_on_hopper_and_bf16_on_a100() -> None:
    nemo = get_stack("nemo")
    e = estimate_training_setup(LLAMA70, H100, 64, seq_len=4096, tp=4, pp=2, stack=nemo)
    assert e.precision == "fp8" and e.stack == "nemo"
    a100 = CATALOG.accelerator("nvidia-a100-80gb-sxm")
    e = estimate_training_setup(LLAMA70, a100, 64, seq_len=4096, tp=8, pp=2, stack=nemo)
    assert e.precision == "bf16"


def test_memory_capacity_is_read_in_gib() -> None:
    assert hbm_bytes(80.0) == 80.0 * GIB
    e = estimate_training(LLAMA70, H100, LAYOUT, seq_len=4096, global_batch_seqs=16)
    assert e.memory_gb_per_chip["capacity"] == pytest.approx(80.0 * GIB / 1e9 * 0.9)


def test_one_validity_rule_for_tp_and_pp() -> None:
    assert bool(tp_ok(64, 8)) and not bool(tp_ok(64, 3))
    # Uneven stages: Llama 3 405B's 126 layers on 16 stages are allowed.
    assert bool(pp_ok(126, 16)) and not bool(pp_ok(4, 8))


def test_llama3_405b_published_layout_fits_on_h100() -> None:
    # Meta trained Llama 3 405B with tp 8, pp 16 at 8K on 80 GB H100s; unstated recomputation
    # falls back to full recomputation where selective does not fit.
    model = get_preset("llama-3.1-405b")
    e = estimate_training_setup(
        model, H100, 1024, seq_len=8192, tp=8, pp=16, global_batch_seqs=1024
    )
    assert e.fits_memory, e.memory_gb_per_chip


def test_estimate_train_cli_lora_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["estimate", "train", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm"]
    argv += ["--count", "8", "--tp", "1", "--pp", "1", "--finetune", "qlora", "--rank", "8"]
    assert run([*argv, "--stack", "nemo", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["finetune"] == {"method": "qlora", "rank": 8, "targets": "attention"}
    assert payload["stack"] == "nemo" and payload["step_time_s"] > 0


_BASE = ["estimate", "train", "--model", "llama-3.1-8b", "--accelerator", "nvidia-h100-sxm"]
_BASE += ["--count", "8"]


@pytest.mark.parametrize(
    "argv",
    [
        [*_BASE, "--stack", "bogus"],
        [*_BASE, "--finetune", "lora", "--rank", "0"],
    ],
)
def test_estimate_train_bad_flags_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_plan_train_lora_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "train", "--model", "llama-3.1-8b", "--tokens", "1B", "--top", "1"]
    assert run([*argv, "--finetune", "lora", "--rank", "8", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["workload"]["finetune"] == {"method": "lora", "rank": 8, "targets": "attention"}
    assert payload["plans"] and payload["plans"][0]["step_time_s"] > 0
