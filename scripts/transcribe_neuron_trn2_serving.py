"""AWS Neuron documentation: measured Trainium2 serving runs -> validation cases.

Source: the AWS Neuron SDK documentation (``aws-neuron/aws-neuron-sdk``, rendered at
awsdocs-neuron.readthedocs-hosted.com), in two groups.

1. The NxD Inference tutorials, which print the LLMPerf output of a measured run on one
   trn2.48xlarge (16 Trainium2 chips, 128 physical NeuronCores; logical NeuronCore config LNC=2,
   so TP 64 spans all 16 chips) (``ROWS``):

   * ``trn2-llama3.3-70b-tutorial.rst`` at commit 06f33784 (2024-12-18, "Llama 3.3-70B inference
     sample - 2.21 release"), Scenario 1 (bf16, no speculative decoding);
   * ``trn2-llama3.1-405b-speculative-tutorial.rst`` at commit ba1c08b0 (2025-02-04), Scenario 1
     ("base configuration using bf16 weights", no speculative decoding).

   Each run: ``inference_demo`` compile with ``--tp-degree 64 --batch-size 1 --seq-len 12800``,
   ``vllm serve --max-num-seqs 1 --tensor-parallel-size 64`` (vLLM with the NxD Inference
   backend), LLMPerf ``token_benchmark_ray.py --mean-input-tokens 10000 --stddev-input-tokens 0
   --mean-output-tokens 1500 --stddev-output-tokens 0 --num-concurrent-requests 1
   --max-num-completed-requests 50``. ``ROWS`` below were typed from the printed output, numbers
   unchanged (seconds converted to milliseconds).

2. The vLLM Neuron plugin tutorials (``vllm-neuron/docs/tutorials``) at commit a3247f5b
   (2026-08-17, "Neuron Release 2.32.0"), the *non-speculative baseline* of each EAGLE3 tutorial
   (``BENCH_ROWS``): Step 1 launches ``vllm serve`` without speculation and Step 2 prints
   "Representative numbers for this pairing on ``trn2.48xlarge``" as ``baseline=`` next to
   ``eagle3=`` (the "Benchmarks" table repeats them rounded: "Measured with the ... ``vllm bench
   serve`` command"). The client is ``vllm bench serve --dataset-name sonnet --sonnet-input-len
   512 --sonnet-output-len 128 --max-concurrency N`` (prefix caching off on the server):

   * ``tutorial-eagle3-speculative-decoding-llama-3-1.md``: Llama 3.1 8B Instruct,
     ``--tensor-parallel-size 8 --max-num-seqs 2``, ``--num-prompts 50 --max-concurrency 2``;
   * ``tutorial-eagle3-speculative-decoding-gpt-oss.md``: gpt-oss-120b run in BF16 (the
     checkpoint's MXFP4 expert weights dequantized at load: "Trn2 does not support the MXFP4
     runtime path"), ``--tensor-parallel-size 16 --max-num-seqs 1``, ``--num-prompts 30
     --max-concurrency 1``.

   ``--tensor-parallel-size`` counts logical NeuronCores; LNC=2 is the Trn2 default
   (``about-neuron/arch/neuron-features/logical-neuroncore-config.rst``: "With LNC=2 (default),
   these are grouped into 4 Logical NeuronCores" per chip), so TP 8 uses 2 chips and TP 16 uses
   4 chips of the instance. The gpt-oss tutorial agrees: "at TP8 the target weights do not fit in
   per-core HBM" (~234 GB of BF16 weights do not fit 2 x 96 GB, do fit 4 x 96 GB); the Llama
   tutorial's "all 8 Neuron devices for ``--tensor-parallel-size 8``" is read as the 8
   NeuronCores. The printed lengths are the requested ones (no measured means are printed); the
   printed figures agree with ~128 generated tokens per request: concurrency x 128 / (TTFT + 127
   x TPOT) = 184.6 and 112.2 tokens/s against the printed 184.44 and 112.13.

Left out, with the reason:

* the speculative-decoding scenarios (Scenario 2 of both NxD Inference tutorials: draft model /
  fused speculation, FP8 weights; the ``eagle3=`` columns and acceptance figures of both vLLM
  Neuron EAGLE3 tutorials): the serving estimator does not model speculative decoding;
* the 70B tutorial's later sample output (commit ba1c08b0 onward, "Overall Output Throughput:
  36.56"): its TTFT p75 (30.5 s) is 37x its p50 (0.81 s) at one request in flight, i.e. requests
  queued behind one another, so its throughput is not a steady-state figure (rule applied before
  any prediction: TTFT p75 > 10 x p50 at concurrency 1). The vLLM Neuron baselines print no
  TTFT p75, so the rule cannot be applied to them; the throughput check above shows no queueing;
* ``llama70b_perf_comparison.csv`` (06f33784, ba1c08b0) and ``llama405b_perf_comparison.csv``
  (ba1c08b0): the same runs as the printed outputs, rounded (575.6 ms / 19.8 ms / 47; 814.2 /
  19.6 / 36, the queued run; 2442 / 37.9 / 25.46), so nothing new;
* ``trn2-llama3.3-70b-apc-tutorial.rst`` (87b7d009, 2025-06-24; the same figures in the .ipynb
  of 56af36ca onward), Scenario 1 "Average time across 10 requests: .388 seconds" (prefix
  caching off): ten chat requests sent one at a time with a shared markdown table as prompt and
  no ``max_tokens``; neither the prompt length in tokens nor the generated length is printed;
* the same tutorial's table ``llama70b_apc_perf_comparison.csv``, column "TTFT (P50 in ms)
  without prefix caching" (math.math 342.81, dynamic sonnet 1k 123.08, dynamic sonnet 2k 592.8,
  HumanEval 89.7; the with-prefix-caching column is not modelled in any case): the tutorial says
  only "the same model configurations" (TP 64, compiled batch 4, ``--max-num-seqs 4``); it
  states no benchmark client, concurrency or request rate, no output length and no input length
  for math.math or HumanEval ("1k"/"2k" name the sonnet prompt sizes; the 2.24 release notes:
  "a Sonnet dataset with 2K prompt length"). The figures also show unstated queueing: 592.8 ms
  for a ~2k-token prompt against 575.7 ms for a 10,000-token prompt at one request in flight
  with the same model and TP degree (``ROWS``), so the number of requests in flight matters and
  is not known;
* ``trn2-llama3.3-70b-dp-tutorial.rst`` (4eba310f, 473f4adf, 094394bc) and its .ipynb (56af36ca
  to 86a92868): no measured numbers, only the benchmark script and "up to 2x throughput
  improvement with non optimized configurations" in the conclusion;
* ``trn2-llama3.3-70b-fp8.rst`` (539a73c5, ee7d6e00): no measured numbers (compile, serve and a
  curl test only);
* ``trn2-llama3.1-405b-tutorial.rst`` (all ten versions, 2086a70a to db1586c3): no measured
  numbers (optimization guide and code samples only);
* also searched, no measured Trn2 serving numbers: the NxD Inference disaggregated-inference,
  Qwen3-MoE, Llama 4, Qwen2/3-VL and Pixtral tutorials, ``llm-inference-benchmarking-guide.rst``
  and the vLLM Neuron prefix-caching benchmark tutorial (it prints no results); the
  multi-LoRA tutorials are out of scope (LoRA is not modelled);
* the Neuron performance pages list no Trn2 table (``about-neuron/benchmarks`` holds Inf1, Inf2
  and Trn1 only), and no Trn2 *training* throughput table was found in the Neuron docs.

Usage::

    python scripts/transcribe_neuron_trn2_serving.py OUT.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from xpuplan.validation.cases import write_cases

REPO = "aws-neuron/aws-neuron-sdk"
DOCS = "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/libraries/nxd-inference/tutorials/"

# (key, model key, file stem, commit, commit date, Neuron SDK, output tokens mean,
#  overall output tokens/s, ITL p50 s, ITL mean s, TTFT p50 s, TTFT mean s, TTFT p99 s,
#  e2e p50 s, e2e mean s)
ROWS: list[tuple[str, str, str, str, str, str, float, float, float, float, float, float,
                 float, float, float]] = [
    ("llama3.3-70b", "llama3.3-70b", "trn2-llama3.3-70b-tutorial",
     "06f33784", "2024-12-18", "2.21", 1501.0, 47.479805693322504,
     0.019832020386432607, 0.019860720100291072, 0.5756837059743702, 1.536737611917779,
     25.081049750000144, 30.3268030770123, 31.32914203199558),
    ("llama3.1-405b", "llama3.1-405b", "trn2-llama3.1-405b-speculative-tutorial",
     "ba1c08b0", "2025-02-04", "2.21", 1787.92, 24.421011092151268,
     0.037929154633788834, 0.03790912092492011, 2.441959390998818, 5.451600373298861,
     79.22927707570342, 70.09642704750877, 73.19207735829521),
]  # fmt: skip

# How the Neuron SDK release of each run is known (the tutorials do not print it).
SDK_NOTES: dict[str, str] = {
    "llama3.3-70b": "the commit that added the tutorial is titled '2.21 release'",
    "llama3.1-405b": "assumed: the docs commit of 2025-02-04 falls between releases 2.21.1 "
    "(2025-01-14) and 2.22 (2025-04-03)",
}

VLLM_NEURON_COMMIT = ("a3247f5b", "2026-08-17")  # "Neuron Release 2.32.0 (#1382)"

# vLLM Neuron EAGLE3 tutorials, Step 2's printed comparison, ``baseline=`` column only:
# (key, model key, file stem, Neuron SDK as the tutorial's prerequisite states it, TP (logical
#  NeuronCores), chips, --max-num-seqs, --max-model-len, --max-concurrency, --num-prompts,
#  output_throughput tok/s, median_tpot_ms, median_ttft_ms)
BENCH_ROWS: list[tuple[str, str, str, str, int, int, int, int, int, int, float, float,
                       float]] = [
    ("llama3.1-8b", "llama3.1-8b", "tutorial-eagle3-speculative-decoding-llama-3-1", "2.32",
     8, 2, 2, 2048, 2, 50, 184.44, 10.52, 51.07),
    ("gpt-oss-120b", "gpt-oss-120b", "tutorial-eagle3-speculative-decoding-gpt-oss", "2.31",
     16, 4, 1, 768, 1, 30, 112.13, 7.00, 252.33),
]  # fmt: skip

# What else each baseline's server ran with (the tutorial's Step 1 command).
BENCH_SERVER: dict[str, str] = {
    "llama3.1-8b": "vllm serve meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 8 "
    "--max-num-seqs 2 --max-model-len 2048 --no-enable-prefix-caching",
    "gpt-oss-120b": "vllm serve openai/gpt-oss-120b --dtype bfloat16 --tensor-parallel-size 16 "
    "--max-num-seqs 1 --max-model-len 768 --max-num-batched-tokens 512 "
    "--no-enable-prefix-caching, neuron_config quantization bf16, compile buckets pinned to "
    "the benchmark shape (512-token prefill, one sequence), greedy on-device sampling",
}

BENCH_PRECISION: dict[str, str] = {
    "llama3.1-8b": "bf16 (vLLM --dtype default 'auto': the checkpoint's torch_dtype bfloat16)",
    "gpt-oss-120b": "bf16 (--dtype bfloat16, neuron_config quantization 'bf16'; the checkpoint's "
    "MX-format expert weights are dequantized to BF16 at load)",
}

# Public architectures (each model's Hugging Face config.json).
MODELS: dict[str, dict[str, Any]] = {
    "llama3.3-70b": dict(
        name="Llama 3.3 70B Instruct (meta-llama/Llama-3.3-70B-Instruct)", layers=80,
        hidden=8192, heads=64, kv_heads=8, ffn=28672, vocab=128256, params=70.6e9,
    ),
    "llama3.1-405b": dict(
        name="Llama 3.1 405B Instruct (meta-llama/Llama-3.1-405B-Instruct)", layers=126,
        hidden=16384, heads=128, kv_heads=8, ffn=53248, vocab=128256, params=405.9e9,
    ),
    "llama3.1-8b": dict(
        name="Llama 3.1 8B Instruct (meta-llama/Llama-3.1-8B-Instruct)", layers=32,
        hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, params=8.03e9,
    ),
    "gpt-oss-120b": dict(
        name="gpt-oss-120b (openai/gpt-oss-120b)", layers=36, hidden=2880, heads=64, kv_heads=8,
        ffn=2880, vocab=201088, params=116.83e9, head_dim=64,
        moe=dict(num_experts=128, top_k=4, expert_ffn=2880, shared_experts=0,
                 total_params=116.83e9, active_params=5.13e9),
    ),
}  # fmt: skip


def _hardware(chips: int, system: str) -> dict[str, Any]:
    return {
        "accelerator": "AWS Trainium2",
        "accelerator_id": "aws-trainium2",
        "family": "aws",
        "count": chips,
        "system": system,
        "nodes": 1,
        "accelerators_per_node": 16,
        "interconnect": "NeuronLink-v3 (4x4 2D torus within the instance)",
    }


def _parallelism(tp: int, sequence_parallel: bool | None, notes: str) -> dict[str, Any]:
    return {
        "tp": tp,
        "pp": 1,
        "dp": 1,
        "cp": None,
        "ep": None,
        "zero": None,
        "fsdp": None,
        "sequence_parallel": sequence_parallel,
        "recompute": None,
        "virtual_pp": None,
        "notes": notes,
    }


def _batch(seqs: int, notes: str) -> dict[str, Any]:
    return {
        "global_batch_seqs": seqs,
        "global_batch_tokens": None,
        "micro_batch": None,
        "per_device_batch": None,
        "grad_accum_steps": None,
        "notes": notes,
    }


def case(row: tuple[Any, ...]) -> dict[str, Any]:
    (key, model_key, stem, commit, date, sdk, out_mean, throughput, itl_p50, itl_mean,
     ttft_p50, ttft_mean, ttft_p99, e2e_p50, e2e_mean) = row  # fmt: skip
    arch = MODELS[model_key]
    ms = 1e3
    return {
        "id": f"neuron-trn2-nxdi-{key}-tp64-bs1-in10000-out1500-sdk{sdk}-{date[:7]}",
        "source": {
            "title": f"AWS Neuron NxD Inference tutorial '{stem}' (Scenario 1, bf16)",
            "url": f"https://github.com/{REPO}/blob/{commit}/libraries/nxd-inference/tutorials/"
            f"{stem}.rst",
            "repo_path": f"{REPO}:libraries/nxd-inference/tutorials/{stem}.rst",
            "commit": f"{commit} ({date})",
            "table": "Scenario 1 'Measure performance using LLMPerf' sample output",
            "as_of": date,
            "rendered": f"{DOCS}{stem}.html",
        },
        "kind": "infer",
        "model": {
            **{k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn")},
            "vocab": arch["vocab"],
            "seq_len": 12800,
            "params": arch["params"],
            "moe": None,
            "notes": "dims from the model's public config.json; seq_len = the compiled --seq-len",
        },
        "hardware": _hardware(
            16, "trn2.48xlarge (16 Trainium2 chips, 128 physical NeuronCores, LNC=2)"
        ),
        "parallelism": _parallelism(
            64,
            True,
            "TP 64 counts logical NeuronCores (NEURON_RT_VIRTUAL_CORE_SIZE=2: two "
            "physical cores each), i.e. 4 per chip over all 16 chips; --sequence-parallel-enabled, "
            "fused QKV, QKV/attention/MLP NKI kernels, on-device sampling",
        ),
        "batch": _batch(
            1,
            "compiled --batch-size 1, vllm --max-num-seqs 1; input 10000 tokens, "
            "output 1500 tokens requested; one request in flight",
        ),
        "precision": "bf16 (--torch-dtype bfloat16)",
        "framework": "vLLM (Neuron) with NxD Inference (neuronx-distributed-inference), "
        f"Neuron SDK {sdk} ({SDK_NOTES[key]})",
        "metrics": {
            "output_tokens_per_s": round(throughput, 3),
            "tpot_p50_ms": round(itl_p50 * ms, 3),
            "ttft_p50_ms": round(ttft_p50 * ms, 1),
            "e2e_latency_median_ms": round(e2e_p50 * ms, 1),
        },
        "conditions": "LLMPerf token_benchmark_ray.py, 50 completed requests, one concurrent "
        "request, fixed input 10000 / output 1500 tokens (stddev 0); output_tokens_per_s = "
        "'Overall Output Throughput'; tpot_p50_ms = inter_token_latency p50; medians as printed",
        "confidence": "medium (one published sample run; the tutorial says numbers vary slightly)",
        "notes": f"Means as printed: inter-token {itl_mean * ms:.3f} ms, "
        f"TTFT {ttft_mean * ms:.1f} ms "
        f"(p99 {ttft_p99 * ms:.0f} ms: a few requests queued), end-to-end {e2e_mean * ms:.0f} ms; "
        f"mean output {out_mean:g} tokens. Medians are recorded because the means carry those "
        "queued outliers.",
        "workload": {
            "input_tokens_mean": 10000,
            "output_tokens_mean": out_mean,
            "max_concurrency": 1,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (LLMPerf sonnet prompts)",
            "notes": "fixed batch of equal-length requests (static batching at max_concurrency); "
            "output mean is LLMPerf's measured number_output_tokens mean",
        },
    }


def bench_case(row: tuple[Any, ...]) -> dict[str, Any]:
    (key, model_key, stem, sdk, tp, chips, max_seqs, max_len, concurrency, prompts, throughput,
     tpot_p50, ttft_p50) = row  # fmt: skip
    commit, date = VLLM_NEURON_COMMIT
    arch = MODELS[model_key]
    path = f"vllm-neuron/docs/tutorials/{stem}.md"
    model: dict[str, Any] = {
        k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn")
    }
    model |= {"vocab": arch["vocab"], "seq_len": max_len, "params": arch["params"]}
    if "head_dim" in arch:
        model["head_dim"] = arch["head_dim"]
    model["moe"] = arch.get("moe")
    model["notes"] = "dims from the model's public config.json; seq_len = vllm --max-model-len" + (
        "; params and moe total/active from OpenAI's gpt-oss model card (116.83B total, 5.13B "
        "active)"
        if "moe" in arch
        else ""
    )
    return {
        "id": f"neuron-trn2-vllm-neuron-{key}-tp{tp}-c{concurrency}-in512-out128-sdk{sdk}-"
        f"{date[:7]}",
        "source": {
            "title": f"AWS vLLM Neuron tutorial '{stem}' (Step 1 non-speculative baseline)",
            "url": f"https://github.com/{REPO}/blob/{commit}/{path}",
            "repo_path": f"{REPO}:{path}",
            "commit": f"{commit} ({date})",
            "table": "Step 2 'Representative numbers for this pairing on trn2.48xlarge', "
            "baseline= column (repeated rounded in the 'Benchmarks' table)",
            "as_of": date,
        },
        "kind": "infer",
        "model": model,
        "hardware": _hardware(
            chips,
            f"trn2.48xlarge (16 Trainium2 chips); {tp} logical NeuronCores at LNC=2 "
            f"= {chips} chips used",
        ),
        "parallelism": _parallelism(
            tp,
            None,
            f"--tensor-parallel-size {tp} counts logical NeuronCores (LNC=2, the Trn2 "
            f"default: two physical cores each), i.e. 4 per chip over {chips} chips",
        ),
        "batch": _batch(
            max_seqs,
            f"vllm --max-num-seqs {max_seqs} (engine decode slots); client "
            f"--max-concurrency {concurrency}",
        ),
        "precision": BENCH_PRECISION[key],
        "framework": "vLLM with the vLLM Neuron plugin (vllm-neuron), "
        f"Neuron SDK {sdk} or later (the tutorial's prerequisite; published with the 2.32.0 "
        "release)",
        "metrics": {
            "output_tokens_per_s": throughput,
            "tpot_p50_ms": tpot_p50,
            "ttft_p50_ms": ttft_p50,
        },
        "conditions": f"vllm bench serve, sonnet dataset, --sonnet-input-len 512 "
        f"--sonnet-output-len 128, --num-prompts {prompts}, --max-concurrency {concurrency} "
        f"(at most {concurrency} in flight), no request rate limit; server: "
        f"{BENCH_SERVER[key]}; "
        "output_tokens_per_s = output_throughput, tpot_p50_ms = median_tpot_ms, ttft_p50_ms = "
        "median_ttft_ms, as printed",
        "confidence": "medium (one published run; the tutorial calls the numbers 'illustrative'; "
        "chips used inferred from TP and the default LNC=2)",
        "notes": "Non-speculative baseline of an EAGLE3 tutorial (the EAGLE3 figures are left "
        "out). Lengths are the requested ones; the printed figures agree with ~128 generated "
        "tokens per request (concurrency x 128 / (TTFT + 127 x TPOT)).",
        "workload": {
            "input_tokens_mean": 512,
            "output_tokens_mean": 128,
            "max_concurrency": concurrency,
            "request_rate": None,
            "dataset": "vLLM sonnet dataset (sonnet.txt poem lines), fixed lengths 512 in / "
            "128 out requested",
            "notes": "fixed batch of equal-length requests (static batching at max_concurrency): "
            "with no rate limit the client sends --max-concurrency requests at once and the "
            "next ones as those complete, all of the same requested lengths (no measured means "
            "printed)",
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    cases = [case(r) for r in ROWS] + [bench_case(r) for r in BENCH_ROWS]
    write_cases(
        argv[1],
        cases,
        description=(
            "Measured serving runs on one trn2.48xlarge (Trainium2) printed in the AWS Neuron "
            "documentation (aws-neuron/aws-neuron-sdk, pinned commits), transcribed by "
            "scripts/transcribe_neuron_trn2_serving.py: Llama 3.3 70B and 3.1 405B (NxD "
            "Inference tutorials, LLMPerf, TP 64 on 16 chips) and the non-speculative baselines "
            "of the vLLM Neuron EAGLE3 tutorials (Llama 3.1 8B on 2 chips, gpt-oss-120b on 4 "
            "chips, vllm bench serve). Speculative-decoding figures, one queued (non-steady) "
            "sample output and the prefix-caching tutorial's table (no client, concurrency or "
            "lengths stated) are left out; the script's docstring says why and lists the "
            "tutorials that print no numbers. AWS publishes no Trn2 table on its Neuron "
            "performance pages."
        ),
        families={"aws": "AWS Trainium / Inferentia"},
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
