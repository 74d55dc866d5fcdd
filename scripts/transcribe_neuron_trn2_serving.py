"""AWS Neuron documentation: measured Trainium2 serving runs -> validation cases.

Source: the NxD Inference tutorials of the AWS Neuron SDK documentation
(``aws-neuron/aws-neuron-sdk``, rendered at awsdocs-neuron.readthedocs-hosted.com), which print the
LLMPerf output of a measured run on one trn2.48xlarge (16 Trainium2 chips, 128 physical
NeuronCores; logical NeuronCore config LNC=2, so TP 64 spans all 16 chips):

* ``trn2-llama3.3-70b-tutorial.rst`` at commit 06f33784 (2024-12-18, "Llama 3.3-70B inference
  sample - 2.21 release"), Scenario 1 (bf16, no speculative decoding);
* ``trn2-llama3.1-405b-speculative-tutorial.rst`` at commit ba1c08b0 (2025-02-04), Scenario 1
  ("base configuration using bf16 weights", no speculative decoding).

Each run: ``inference_demo`` compile with ``--tp-degree 64 --batch-size 1 --seq-len 12800``,
``vllm serve --max-num-seqs 1 --tensor-parallel-size 64`` (vLLM with the NxD Inference backend),
LLMPerf ``token_benchmark_ray.py --mean-input-tokens 10000 --stddev-input-tokens 0
--mean-output-tokens 1500 --stddev-output-tokens 0 --num-concurrent-requests 1
--max-num-completed-requests 50``. ``ROWS`` below were typed from the printed output, numbers
unchanged (seconds converted to milliseconds).

Left out, with the reason:

* the speculative-decoding scenarios (Scenario 2 of both tutorials: draft model / fused
  speculation, FP8 weights): the serving estimator does not model speculative decoding;
* the 70B tutorial's later sample output (commit ba1c08b0 onward, "Overall Output Throughput:
  36.56"): its TTFT p75 (30.5 s) is 37x its p50 (0.81 s) at one request in flight, i.e. requests
  queued behind one another, so its throughput is not a steady-state figure (rule applied before
  any prediction: TTFT p75 > 10 x p50 at concurrency 1);
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
}  # fmt: skip


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
        "hardware": {
            "accelerator": "AWS Trainium2",
            "accelerator_id": "aws-trainium2",
            "family": "aws",
            "count": 16,
            "system": "trn2.48xlarge (16 Trainium2 chips, 128 physical NeuronCores, LNC=2)",
            "nodes": 1,
            "accelerators_per_node": 16,
            "interconnect": "NeuronLink-v3 (4x4 2D torus within the instance)",
        },
        "parallelism": {
            "tp": 64,
            "pp": 1,
            "dp": 1,
            "cp": None,
            "ep": None,
            "zero": None,
            "fsdp": None,
            "sequence_parallel": True,
            "recompute": None,
            "virtual_pp": None,
            "notes": "TP 64 counts logical NeuronCores (NEURON_RT_VIRTUAL_CORE_SIZE=2: two "
            "physical cores each), i.e. 4 per chip over all 16 chips; --sequence-parallel-enabled, "
            "fused QKV, QKV/attention/MLP NKI kernels, on-device sampling",
        },
        "batch": {
            "global_batch_seqs": 1,
            "global_batch_tokens": None,
            "micro_batch": None,
            "per_device_batch": None,
            "grad_accum_steps": None,
            "notes": "compiled --batch-size 1, vllm --max-num-seqs 1; input 10000 tokens, "
            "output 1500 tokens requested; one request in flight",
        },
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


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    cases = [case(r) for r in ROWS]
    write_cases(
        argv[1],
        cases,
        description=(
            "Measured Llama serving runs on one trn2.48xlarge (16 Trainium2) printed in the AWS "
            "Neuron NxD Inference tutorials (aws-neuron/aws-neuron-sdk, pinned commits), "
            "transcribed by scripts/transcribe_neuron_trn2_serving.py. Speculative-decoding "
            "scenarios and one queued (non-steady) sample output are left out; the script's "
            "docstring says why. AWS publishes no Trn2 table on its Neuron performance pages."
        ),
        families={"aws": "AWS Trainium / Inferentia"},
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
