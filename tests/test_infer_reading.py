"""How inference cases are read: workload block first, stacks, harness quirks, id prefixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xpuplan.catalog.load import load_catalog
from xpuplan.cli import run
from xpuplan.validation.cases import CaseSkipped, ValidationCase, load_cases
from xpuplan.validation.infer_calibration import latency_by_kind
from xpuplan.validation.infer_cases import (
    case_stack,
    interpret_case,
    metric_kind,
    predict_infer_case,
    resolve_accelerator,
)
from xpuplan.validation.run import bundled_case_files

CATALOG = load_catalog()
MODEL = {"name": "Llama-3.1-8B", "layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 8,
         "ffn": 14336, "vocab": 128256}  # fmt: skip


def _case(**changes: Any) -> ValidationCase:
    raw: dict[str, Any] = {
        "id": "synthetic",
        "kind": "infer",
        "model": MODEL,
        "hardware": {"accelerator": "x", "accelerator_id": "nvidia-h100-sxm", "family": "nvidia",
                     "count": 1},
        "parallelism": {"tp": 1},
        "batch": {"notes": "ISL 128/OSL 2048, all queued at once"},
        "framework": "TensorRT-LLM 0.17",
        "precision": "fp8",
        "metrics": {"output_tokens_per_s": 1000.0},
    }  # fmt: skip
    raw.update(changes)
    return ValidationCase.model_validate(raw)


def test_workload_block_wins_over_free_text() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    text_only = interpret_case(_case(), h100)
    assert (text_only.input_len, text_only.output_len) == (128.0, 2048.0)
    block = _case(workload={"input_tokens_mean": 500, "output_tokens_mean": 300})
    setting = interpret_case(block, h100)
    assert (setting.input_len, setting.output_len) == (500.0, 300.0)


def test_dataset_text_names_its_length_statistics() -> None:
    """A client benchmark's dataset (ShareGPT, filtered) is read from the workload block's
    ``dataset`` text when the case states no means; stated means still win."""
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    batch = {"notes": "request rate inf, all requests sent at once", "global_batch_seqs": 64}
    sharegpt = {"dataset": "ShareGPT_V3_unfiltered_cleaned_split, filtered to input <= 1024"}
    setting = interpret_case(_case(batch=batch, workload=sharegpt), h100)
    assert setting.scenario == "offline"
    assert (setting.input_len, setting.output_len) == (229.7, 203.1)
    assert setting.input_len_scv == 1.0
    stated = interpret_case(
        _case(batch=batch, workload={**sharegpt, "input_tokens_mean": 100}), h100
    )
    assert (stated.input_len, stated.output_len) == (100.0, 203.1)
    with pytest.raises(CaseSkipped, match="lengths not stated"):
        interpret_case(_case(batch=batch, workload={"dataset": "an unnamed corpus"}), h100)


def test_llama_405b_inputs_from_the_published_cap() -> None:
    """MLPerf Llama 3.1 405B: MLCommons publishes the input cap (20,000 tokens, the rules'
    ingress table) and the output mean (684.68), not an input mean: uniform on [1, 20000]
    gives a mean of (20000 + 1) / 2 = 10,000.5 and scv (19999^2 / 12) / 10000.5^2 = 0.3333."""
    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    case = cases["mlperf-inf-v5.0-llama3-1-405b-offline-nvidia-h200-sxm-141gbx8-trt"]
    setting = interpret_case(case, CATALOG.accelerator("nvidia-h200-sxm"))
    assert setting.input_len == pytest.approx(10000.5)
    assert setting.input_len_scv == pytest.approx(0.33330, abs=1e-4)
    assert setting.output_len == pytest.approx(684.68)


def test_jetstream_pytorch_is_its_own_engine() -> None:
    """JetStream-PyTorch (PyTorch/XLA under JetStream's orchestrator) keeps its own overhead
    offset; JetStream on MaxText/JAX stays the TPU default."""
    from xpuplan.perf.serving.engine import default_stack

    v5e = CATALOG.accelerator("google-tpu-v5e")
    torch = _case(framework="JetStream-PyTorch (PyTorch/XLA + JetStream orchestrator)")
    jax = _case(framework="JetStream experimental/jax (pure JAX, Pallas paged attention)")
    assert case_stack(torch, v5e).engine == "jetstream-pytorch"
    assert case_stack(jax, v5e).engine == "jetstream"
    assert default_stack("tpu").engine == "jetstream"


def test_llama_8b_summaries_read_as_articles_not_the_cap() -> None:
    """MLPerf Llama 3.1 8B (CNN/DailyMail): prompts are news articles (~920 tokens with the
    template), not uniform on the 8,000-token truncation cap (4,000), and summaries run to the
    128-token generation cap."""
    raw = {
        "model": {**MODEL, "name": "Llama 3.1 8B Instruct (MLPerf llama3.1-8b)"},
        "conditions": "scenario=Offline; result VALID",
        "workload": {"dataset": "mlperf-llama3.1-8b"},
        "metrics": {"tokens_per_s": 1000.0},
    }
    setting = interpret_case(_case(**raw), CATALOG.accelerator("nvidia-h100-sxm"))
    assert setting.scenario == "offline"
    assert (setting.input_len, setting.output_len) == (920.0, 128.0)


@pytest.mark.parametrize(
    "notes",
    ["mean input 10,000 tokens, mean output 1,000 tokens, all queued at once",
     "input 10,000 tokens, output 1,000 tokens, offline"],
)  # fmt: skip
def test_lengths_with_thousands_separators(notes: str) -> None:
    setting = interpret_case(_case(batch={"notes": notes}), CATALOG.accelerator("nvidia-h100-sxm"))
    assert (setting.input_len, setting.output_len) == (10000.0, 1000.0)


def test_case_stack_reads_engine_version_or_publication_year() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    assert case_stack(_case(), h100).generation == 2025
    old = _case(framework="TensorRT 10.2.0, CUDA 12.4", id="mlperf-inf-v4.1-x")
    assert case_stack(old, h100).engine == "tensorrt-llm"
    assert case_stack(old, h100).generation == 2024  # the round's year, not TensorRT's version
    assert case_stack(_case(framework="vLLM 0.4.3+rocm614"), h100).generation == 2024
    # development builds are dated by the publication (MLPerf v5.0: 2025), not their number
    for dev in ("vLLM 0.6.5.dev964+mlperf50, ROCm 6.3.1", "vLLM 0.0.0.dev1+mlperf50"):
        stack = case_stack(_case(framework=dev, id="mlperf-inf-v5.0-x"), h100)
        assert (stack.engine, stack.generation) == ("vllm", 2025)
        assert stack.version is not None and stack.version.endswith(".dev")  # its base release


def test_catalog_id_prefix_resolves_to_the_one_entry() -> None:
    assert resolve_accelerator(CATALOG, "nvidia-rtx-pro-6000").id == "nvidia-rtx-pro-6000-bse"
    with pytest.raises(CaseSkipped, match="not in the catalog"):
        resolve_accelerator(CATALOG, "nvidia-h1")


def test_harness_window_only_for_its_round_submitter_and_scenario() -> None:
    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    windows = {}
    for case in cases.values():
        if case.kind != "infer" or "mi3" not in case.hardware.accelerator_id:
            continue
        try:
            setting = interpret_case(
                case, resolve_accelerator(CATALOG, case.hardware.accelerator_id)
            )
        except CaseSkipped:
            continue
        windows[case.id] = setting.dispatch_window_s
    assert windows["mlperf-inf-v4.1-llama2-70b-99-server-amd-8xmi300x-2xepyc-turin"] == 0.3
    amd = cases["mlperf-inf-v4.1-llama2-70b-99-server-amd-8xmi300x-2xepyc-turin"]
    as_interactive = amd.model_copy(
        update={"conditions": (amd.conditions or "").replace("Server", "Interactive")}
    )
    mi300x = CATALOG.accelerator("amd-mi300x")
    assert interpret_case(as_interactive, mi300x).scenario == "interactive"
    assert interpret_case(as_interactive, mi300x).dispatch_window_s == 0.0
    assert any("v5.0" in i and "server" in i for i in windows)
    assert all(w == 0.0 for i, w in windows.items() if "v5.0" in i)


def test_closed_loop_clients_follow_littles_law() -> None:
    case = _case(
        hardware={"accelerator": "x", "accelerator_id": "aws-inferentia2", "family": "aws",
                  "count": 4},
        parallelism={"tp": 8},
        batch={"global_batch_seqs": 8, "notes": "compiled batch size 8 per replica"},
        framework="optimum-neuron vLLM plugin, Neuron SDK 2.24",
        precision="bf16",
        conditions="guidellm 64 concurrent users; mode throughput",
        workload={"input_tokens_mean": 1500, "output_tokens_mean": 250},
        metrics={"output_tokens_per_s": 400.0, "requests_per_s": 1.6, "ttft_mean_ms": 1.0,
                 "tpot_mean_ms": 1.0},
    )  # fmt: skip
    setting = interpret_case(case, CATALOG.accelerator("aws-inferentia2"))
    assert setting.scenario == "closed" and setting.users == 64 and setting.slots == 8
    predicted = predict_infer_case(case, CATALOG)
    e2e = predicted["ttft_mean_ms"] + 249 * predicted["tpot_mean_ms"]
    assert e2e / 1e3 == pytest.approx(64 / predicted["requests_per_s"], rel=1e-6)


def test_a_loaded_closed_loop_waits_for_the_iteration_in_progress() -> None:
    """With other users decoding, a request lands inside an iteration that also carries their
    prefills: its TTFT is the queueing model's first-token time (the row's), never less than
    its own prefill and one step; a lone user, or a loop of one-token requests, is not."""
    import dataclasses

    from xpuplan.validation.infer_cases import _metrics

    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    case = cases["nim-1.8.0-llama3.3-70b-fp8-h100-tp2-in5000-out500-c25"]
    setting = interpret_case(case, CATALOG.accelerator("nvidia-h100-sxm"))
    assert setting.scenario == "closed" and setting.users == 25
    row = {
        "output_tokens_per_s": 600.0, "rate_per_s": 1000.0, "prefill_latency_s": 0.30,
        "step_s": 0.05, "ttft_mean_s": 0.50, "ttft_p50_s": 0.45, "ttft_p99_s": 0.9,
        "tpot_mean_s": 0.04, "tpot_p50_s": 0.04, "tpot_p99_s": 0.06,
    }  # fmt: skip
    # rate so high that Little's law leaves no wait: only the iteration model remains
    assert _metrics(case, setting, row, 1.0, 2.0)["ttft_mean_ms"] == pytest.approx(500.0)
    alone = dataclasses.replace(setting, users=1.0)
    assert _metrics(case, alone, row, 1.0, 2.0)["ttft_mean_ms"] == pytest.approx(350.0)
    one_token = dataclasses.replace(setting, output_len=1.0)
    assert _metrics(case, one_token, row, 1.0, 2.0)["ttft_mean_ms"] == pytest.approx(350.0)


def test_a_closed_loops_ttft_quantiles_follow_its_mean() -> None:
    """Users queued for a slot (Little's law) wait alike: the wait shifts p50 and p99 with the
    mean; a lone user's shorter TTFT scales them down. p50 <= p99 and both positive."""
    import dataclasses

    from xpuplan.validation.infer_cases import _metrics

    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    case = cases["nim-1.8.0-llama3.3-70b-fp8-h100-tp2-in5000-out500-c25"]
    case = case.model_copy(
        update={"metrics": {**case.metrics, "ttft_p50_ms": 1.0, "ttft_p99_ms": 1.0}}
    )
    setting = interpret_case(case, CATALOG.accelerator("nvidia-h100-sxm"))
    row = {
        "output_tokens_per_s": 600.0, "rate_per_s": 1.0, "prefill_latency_s": 0.30,
        "step_s": 0.05, "ttft_mean_s": 0.50, "ttft_p50_s": 0.45, "ttft_p99_s": 0.9,
        "tpot_mean_s": 0.04, "tpot_p50_s": 0.04, "tpot_p99_s": 0.06,
    }  # fmt: skip
    loaded = _metrics(case, setting, row, 1.0, 2.0)
    wait = loaded["ttft_mean_ms"] - 500.0
    # 25 users / 1 req/s - 499 x 40 ms = 5.04 s: Little's law binds
    assert loaded["ttft_mean_ms"] == pytest.approx(5040.0)
    assert loaded["ttft_p50_ms"] == pytest.approx(450.0 + wait)
    assert loaded["ttft_p99_ms"] == pytest.approx(900.0 + wait)
    alone = _metrics(case, dataclasses.replace(setting, users=1.0), {**row, "rate_per_s": 50.0},
                     1.0, 2.0)  # fmt: skip
    assert alone["ttft_mean_ms"] == pytest.approx(350.0)
    assert 0.0 < alone["ttft_p50_ms"] <= alone["ttft_p99_ms"]
    assert alone["ttft_p50_ms"] == pytest.approx(450.0 * 350.0 / 500.0)


def test_cross_validate_infer_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = load_cases(bundled_case_files()[0])
    keep = [c for c in public if c.kind == "infer"][:12]
    import yaml

    path = tmp_path / "few.yaml"
    path.write_text(
        yaml.safe_dump({"cases": [c.model_dump(exclude_none=True) for c in keep]}),
        encoding="utf-8",
    )
    assert (
        run(["validate", str(path), "--kind", "infer", "--cross-validate", "family", "--json"]) == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["kind"] == "infer" and payload["group_by"] == "family"
    assert payload["overall"]["n"] >= 1


def test_prediction_states_the_stack_it_assumed() -> None:
    case = _case(workload={"input_tokens_mean": 500, "output_tokens_mean": 300})
    predicted = predict_infer_case(case, CATALOG)
    notes = getattr(predicted, "assumptions", ())
    assert any(n.startswith("stack tensorrt-llm 0.17") for n in notes)


def test_generated_tokens_from_the_measured_ratio() -> None:
    """guidellm asked for 250 output tokens, but the run measured 360 output tokens/s at 2.0
    requests/s: each request generated 360 / 2.0 = 180 tokens (the engine stopped early)."""
    case = _case(
        hardware={"accelerator": "x", "accelerator_id": "aws-inferentia2", "family": "aws",
                  "count": 4},
        parallelism={"tp": 8},
        batch={"global_batch_seqs": 32},
        framework="optimum-neuron vLLM plugin, Neuron SDK 2.24",
        precision="bf16",
        conditions="guidellm 32 concurrent users; mode throughput",
        workload={"input_tokens_mean": 1500, "output_tokens_mean": 250},
        metrics={"output_tokens_per_s": 360.0, "requests_per_s": 2.0},
    )  # fmt: skip
    inf2 = CATALOG.accelerator("aws-inferentia2")
    assert interpret_case(case, inf2).output_len == 180.0
    only_tokens = case.model_copy(update={"metrics": {"output_tokens_per_s": 360.0}})
    assert interpret_case(only_tokens, inf2).output_len == 250.0


def test_expert_parallel_degree_is_read() -> None:
    """SGL-JAX's Qwen3-30B-A3B run on v6e-16 states TP 16 / EP 16: the experts are split over
    the 16 chips (all-to-all), not tensor-parallel."""
    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    case = cases["sgljax-v6e16-qwen3-30b-a3b-tp16-c16-in1024-out1024-0.1.0-2026-06"]
    accelerator = resolve_accelerator(CATALOG, case.hardware.accelerator_id)
    assert interpret_case(case, accelerator).ep == 16
    assert interpret_case(_case(), CATALOG.accelerator("nvidia-h100-sxm")).ep == 1


@pytest.mark.parametrize(
    ("model", "dataset", "ttft_ms", "tpot_ms"),
    [
        ("Llama 3.1 8B Instruct (MLPerf llama3.1-8b-interactive)", "mlperf-llama3.1-8b", 500, 30),
        ("Llama 3.1 405B (MLPerf llama3.1-405b-interactive)", "mlperf-llama3.1-405b", 4500, 80),
        ("DeepSeek-R1 (MLPerf deepseek-r1-interactive)", "mlperf-deepseek-r1", 1500, 15),
    ],
)
def test_interactive_mlperf_benchmarks_take_their_own_limits(
    model: str, dataset: str, ttft_ms: float, tpot_ms: float
) -> None:
    # loadgen/mlperf.conf: the interactive variants have tighter limits than Server's; reading
    # an Interactive result under Server's limits would overstate its throughput
    case = _case(
        id="mlperf-synthetic-interactive",
        model={**MODEL, "name": model},
        conditions="scenario=Interactive; result VALID",
        workload={"dataset": dataset},
    )
    setting = interpret_case(case, CATALOG.accelerator("nvidia-b200"))
    assert setting.scenario == "interactive"
    assert (setting.ttft_p99_ms, setting.tpot_p99_ms) == (ttft_ms, tpot_ms)


def test_metrics_under_other_names_are_predicted_as_the_same_quantity() -> None:
    """A closed loop of 8 users reported only with other tables' names: ITL is the TPOT,
    per-accelerator and per-user rates are the throughput over the chips and 1 / TPOT, and the
    total token rate adds the prompts (requests/s x input length)."""
    names = (
        "requests_per_s", "output_tokens_per_s", "tpot_mean_ms", "ttft_p50_ms",
        "tpot_p99_ms", "e2e_latency_median_ms", "tokens_per_s_per_accelerator",
    )  # fmt: skip
    aliases = (
        "itl_mean_ms", "itl_p99_ms", "ttft_median_ms", "e2e_latency_p50_ms",
        "output_tokens_per_s_per_accelerator", "tokens_per_s_per_gpu", "tokens_per_s_per_user",
        "total_tokens_per_s", "input_tokens_per_s",
    )  # fmt: skip
    batch = {"notes": "8 concurrent users (closed loop)"}
    workload = {"input_tokens_mean": 512, "output_tokens_mean": 256, "max_concurrency": 8}
    # measured requests/s and output tokens/s give the tokens a request generated: 256
    measured = {**dict.fromkeys(names, 1.0), "output_tokens_per_s": 256.0}
    base = predict_infer_case(_case(batch=batch, workload=workload, metrics=measured), CATALOG)
    other = predict_infer_case(
        _case(batch=batch, workload=workload, metrics=dict.fromkeys(aliases, 1.0)), CATALOG
    )
    assert set(other) == set(aliases)
    assert other["itl_mean_ms"] == base["tpot_mean_ms"]
    assert other["itl_p99_ms"] == base["tpot_p99_ms"]
    assert other["ttft_median_ms"] == base["ttft_p50_ms"]
    assert other["e2e_latency_p50_ms"] == base["e2e_latency_median_ms"]
    assert other["output_tokens_per_s_per_accelerator"] == base["tokens_per_s_per_accelerator"]
    assert other["tokens_per_s_per_gpu"] == base["tokens_per_s_per_accelerator"]
    assert other["tokens_per_s_per_user"] == pytest.approx(1e3 / base["tpot_mean_ms"])
    assert other["input_tokens_per_s"] == pytest.approx(base["requests_per_s"] * 512)
    assert other["total_tokens_per_s"] == pytest.approx(
        base["output_tokens_per_s"] + other["input_tokens_per_s"]
    )
    assert metric_kind("itl_mean_ms") == "tpot"
    assert latency_by_kind({"itl_p50_ms": 7.0, "ttft_mean_ms": 90.0}) == {
        "tpot": 7.0, "ttft": 90.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("precision", "weights"),
    [
        ("NVFP4 weights, FP8 KV cache", "fp4"),
        ("MXFP4 (OCP microscaling)", "fp4"),
        ("bf16 weights, fp8 KV cache", "bf16"),
        ("FP8 (E4M3) dynamic", "fp8"),
        ("W8A8-FP8 checkpoint", "fp8"),
        ("AWQ 4-bit", "int4"),
        ("W4A16 GPTQ", "int4"),
        ("W8A8 SmoothQuant", "int8"),
        ("bfloat16", "bf16"),
        ("float16", "fp16"),
        (None, "bf16"),
    ],
)
def test_weight_formats_under_their_other_names(precision: str | None, weights: str) -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    assert interpret_case(_case(precision=precision), h100).weight_precision == weights


def test_a_stated_request_rate_is_an_open_loop_at_that_load() -> None:
    """benchmark_serving at a Poisson rate: below capacity the deployment completes the
    requests as they come (throughput = rate x output) with a finite TTFT; past capacity it
    runs at its capacity and the queue grows (no steady TTFT or end-to-end time)."""
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    metrics = {"requests_per_s": 1.0, "output_tokens_per_s": 256.0, "ttft_mean_ms": 1.0,
               "tpot_mean_ms": 1.0, "e2e_latency_mean_ms": 1.0}  # fmt: skip
    workload = {"input_tokens_mean": 512, "output_tokens_mean": 256, "request_rate": 2.0}
    case = _case(batch={"notes": "benchmark_serving"}, workload=workload, metrics=metrics)
    setting = interpret_case(case, h100)
    assert (setting.scenario, setting.request_rate) == ("open", 2.0)
    light = predict_infer_case(case, CATALOG)
    assert light["requests_per_s"] == pytest.approx(2.0)
    assert light["output_tokens_per_s"] == pytest.approx(2.0 * 256)
    assert 0.0 < light["ttft_mean_ms"] < light["e2e_latency_mean_ms"]
    # the same rate written in the text only
    text = _case(batch={"notes": "vllm bench serve --request-rate 2"}, metrics=metrics,
                 workload={"input_tokens_mean": 512, "output_tokens_mean": 256})  # fmt: skip
    assert interpret_case(text, h100).request_rate == 2.0
    flood = _case(
        batch={"notes": "benchmark_serving"}, metrics=metrics,
        workload={**workload, "request_rate": 1e4},
    )  # fmt: skip
    heavy = predict_infer_case(flood, CATALOG)
    assert 2.0 < heavy["requests_per_s"] < 1e4  # capacity, not the offered load
    assert "ttft_mean_ms" not in heavy and "e2e_latency_mean_ms" not in heavy
    assert heavy["tpot_mean_ms"] > light["tpot_mean_ms"]


@pytest.mark.parametrize(
    ("notes", "lengths"),
    [
        ("ISL=1024, OSL=128", (1024.0, 128.0)),
        ("isl1024-osl128", (1024.0, 128.0)),
        ("input length 1024, output length 128, all queued at once", (1024.0, 128.0)),
        ("prompt length 512 and generation length 256", (512.0, 256.0)),
        ("max_input_length 2048 max_new_tokens 256", (2048.0, 256.0)),
        ("input: 2,048 tokens; output: 128 tokens", (2048.0, 128.0)),
        ("in 1024 / out 128", (1024.0, 128.0)),
        ("1024 input tokens and 128 output tokens", (1024.0, 128.0)),
    ],
)
def test_lengths_written_in_other_words(notes: str, lengths: tuple[float, float]) -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    setting = interpret_case(_case(batch={"notes": f"{notes}; batch 8"}), h100)
    assert (setting.input_len, setting.output_len) == lengths


@pytest.mark.parametrize(
    ("changes", "lengths"),
    [
        # stated in the case's notes rather than its batch notes or conditions
        ({"notes": "ISL 2048 / OSL 256, closed loop"}, (2048.0, 256.0)),
        # stated only by the id, as the TensorRT-LLM guides' and sweeps' ids do
        ({"id": "dsr1-b200-tp8-c1024-isl1042-osl2048"}, (1042.0, 2048.0)),
        ({"id": "sweep-v6e4-qwen3-8b-tp4-c16-in4096-out1024-2025-09"}, (4096.0, 1024.0)),
    ],
)
def test_lengths_stated_elsewhere_than_the_batch_notes(
    changes: dict[str, Any], lengths: tuple[float, float]
) -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    setting = interpret_case(_case(batch={"notes": "batch 8"}, **changes), h100)
    assert (setting.input_len, setting.output_len) == lengths


def test_numbers_near_length_words_are_not_lengths() -> None:
    with pytest.raises(CaseSkipped, match="lengths not stated"):
        interpret_case(
            _case(batch={"notes": "tp 8 in 2025, 3 output files; batch 8"}),
            CATALOG.accelerator("nvidia-h100-sxm"),
        )


def test_a_batch_written_in_the_notes_is_a_static_batch() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    for notes in ("batch size 8, ISL 128/OSL 2048", "bs=8; ISL 128/OSL 2048"):
        setting = interpret_case(_case(batch={"notes": notes}), h100)
        assert (setting.scenario, setting.batch) == ("static", 8.0)


@pytest.mark.parametrize(
    "written",
    [
        {"workload": {"input_tokens_mean": 1024, "output_tokens_mean": 128, "max_concurrency": 16}},
        {"batch": {"notes": "ISL 1024/OSL 128, vllm bench serve --max-concurrency 16"}},
        {"batch": {"notes": "ISL 1024/OSL 128, 16 concurrent requests"}},
    ],
)
def test_a_client_concurrency_without_an_engine_batch_is_a_closed_loop(
    written: dict[str, Any],
) -> None:
    setting = interpret_case(_case(**written), CATALOG.accelerator("nvidia-h100-sxm"))
    assert (setting.scenario, setting.users) == ("closed", 16.0)


def test_a_measured_request_rate_is_not_an_arrival_rate() -> None:
    notes = "ISL 1024/OSL 128, batch size 8, achieved 12 requests/s"
    setting = interpret_case(_case(batch={"notes": notes}), CATALOG.accelerator("nvidia-h100-sxm"))
    assert (setting.scenario, setting.request_rate) == ("static", None)


def test_an_mlperf_dataset_named_without_mlperf_gives_its_lengths() -> None:
    """A JetStream or vendor run on MLPerf's OpenOrca sample, its model not named as MLPerf's:
    Llama 2 70B's published means; OpenOrca mixed with GSM8K and MBXP is Mixtral's set."""
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    batch = {"notes": "all queued at once"}
    orca = interpret_case(_case(batch=batch, workload={"dataset": "OpenOrca (GPT-4)"}), h100)
    assert (orca.input_len, orca.output_len) == (222.33, 294.45)
    mix = _case(batch=batch, workload={"dataset": "OpenOrca + GSM8K + MBXP"})
    assert interpret_case(mix, h100).output_len == 144.84


def test_a_per_device_batch_counts_over_the_chips() -> None:
    """JetStream / MaxText state per_device_batch_size: 24 per chip on 8 chips is 192 slots,
    and without anything else a static batch of 192 sequences."""
    v6e = CATALOG.accelerator("google-tpu-v6e")
    hardware = {"accelerator": "x", "accelerator_id": "google-tpu-v6e", "family": "tpu",
                "count": 8}  # fmt: skip
    queued = _case(
        hardware=hardware, framework="JetStream MaxText",
        batch={"per_device_batch": 24, "notes": "ISL 1024/OSL 128, all queued at once"},
    )  # fmt: skip
    assert interpret_case(queued, v6e).slots == 192.0
    fixed = _case(hardware=hardware, batch={"per_device_batch": 24, "notes": "ISL 1024/OSL 128"})
    setting = interpret_case(fixed, v6e)
    assert (setting.scenario, setting.batch) == ("static", 192.0)


@pytest.mark.parametrize(
    ("case_id", "name", "output_len"),
    [
        # the benchmark named only by the case id
        ("mlperf-inf-v5.0-llama3.1-8b-offline-x", "Llama 3.1 8B Instruct", None),
        # "gptj" for the entry's "gpt-j"
        ("mlperf-gptj-offline-x", "GPTJ 6B", 69.0),
    ],
)
def test_an_mlperf_benchmark_named_by_its_id_or_without_hyphens(
    case_id: str, name: str, output_len: float | None
) -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    model = {**MODEL, "name": name}
    case = _case(id=case_id, model=model, conditions="scenario=Offline", batch={})
    setting = interpret_case(case, h100)
    assert setting.scenario == "offline"
    if output_len is not None:
        assert setting.output_len == output_len


def test_an_mlperf_scenario_named_only_by_the_id() -> None:
    h100 = CATALOG.accelerator("nvidia-h100-sxm")
    model = {**MODEL, "name": "Llama 3.1 8B Instruct"}
    case = _case(id="mlperf-inf-v5.0-llama3.1-8b-server-x", model=model, batch={})
    assert interpret_case(case, h100).scenario == "server"
