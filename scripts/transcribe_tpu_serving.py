"""SGLang-JAX documentation: measured serving runs on Cloud TPU v6e (Trillium) -> validation cases.

Source: the ``sgl-project/sglang-jax`` repository (SGL-JAX, a JAX inference engine for TPUs), two
documents, both printing ``sgl_jax.bench_serving`` results of runs on TPU v6e slices in BF16.

1. ``docs/performance/qwen3_benchmark.md`` at commit 24f84739 (2025-09-13, "feat: add
   Qwen3-8B/Qwen3-32B benchmark performance docs (#172)"; unchanged until the file was folded
   into the cookbook by 2d97c787, 2026-07-08), section "Detailed Performance Data" of
   "Qwen3-8B Performance Results" and "Qwen3-32B Performance Results" (``SWEEP_ROWS``). Test date
   2025-09-12, one TPU v6e-4 host (4 chips), TP 4, two engines on the same host and client:

   * SGL-JAX at main-10f32e49 (``--tp-size=4 --mem-fraction-static=0.8 --chunked-prefill-size=2048
     --max-running-requests 256 --page-size=128 --disable-radix-cache --dtype=bfloat16``);
   * vLLM at main-5931b7e5 on TPU (``--tensor_parallel_size=4 --max-model-len=9216
     --no-enable-prefix-caching``; the document does not say which TPU backend of vLLM that
     commit ran, nor its ``--max-num-seqs``).

   Client: ``sgl_jax.bench_serving --dataset-name random --random-range-ratio 1
   --warmup-requests 0``, input 1024 / 4096 / 8192 tokens x output 1 / 1024 tokens x
   ``--max-concurrency`` 8 / 16 / 32 / 64 / 128 / 256, ``--num-prompts`` = 3 x concurrency, no
   request-rate limit (a closed loop of ``concurrency`` users). The document's methodology: TTFT
   is taken from the output-length-1 runs, ITL and throughputs from the output-length-1024 runs.
   So each table row becomes two cases per engine: the 1024-output run (output tokens/s and ITL,
   recorded as ``tpot_mean_ms``) and the 1-output run (mean TTFT; a "TTFT(ms)" column is read as
   the mean, as ``bench_serving`` prints it first). Generated tokens per request of the 1024-output
   runs are derived from the printed columns: input length x output tok/s / input tok/s (SGL-JAX:
   1024 in every row; vLLM: 1024 on Qwen3-32B, 929-984 on Qwen3-8B, where it stopped
   some requests early).

2. The SGL-JAX cookbook (``docs/cookbook/autoregressive/``) at commit f549302b (2026-06-11,
   "docs(cookbook): add structured cookbook for autoregressive recipes (#1175)"), section
   "4.2 Speed", "Test Results" (``COOKBOOK_ROWS``), tested build sglang-jax 0.1.0, each printing
   the full ``Serving Benchmark Result`` block of one run:

   * ``Llama/Llama3.1.md``: Llama 3.1 8B Instruct on v6e-4, TP 4, random 512 -> 512 (no range
     ratio given: lengths vary; means from the printed totals), 100 prompts, concurrency 16;
   * ``Qwen/Qwen.md``: Qwen-7B-Chat on v6e-4, TP 4, random 512 -> 128 with
     ``--random-range-ratio 1`` (fixed lengths), 100 prompts, concurrency 8;
   * ``Llama/Llama3.3-70B.md``: Llama 3.3 70B Instruct on v6e-16 (4 hosts x 4 chips), TP 16,
     random 1024 -> 1024 (lengths vary), 100 prompts, concurrency 16;
   * ``Qwen/Qwen3-MoE.md``: Qwen3-30B-A3B on v6e-16, TP 16 / EP 16 (``--moe-backend epmoe``),
     random 1024 -> 1024 (lengths vary), 100 prompts, concurrency 16.

   The v6e-16 outputs were later cut to a one-line "Historical v6e-16 baseline" (88c48d89,
   2026-07-14); the Llama 3.1 and Qwen-7B blocks are unchanged at the repository's newest
   commit cddbf6f1 (2026-08-21).

Numbers are typed unchanged from the source (ms and tok/s as printed). Model dimensions come from
each model's Hugging Face config.json: for Llama 3.1 8B, Llama 3.3 70B, Qwen3-8B, Qwen3-32B and
Qwen3-30B-A3B the config.json values bundled as presets in ``src/xpuplan/models/data/presets``;
for Qwen-7B-Chat (not a preset) the public config.json values hidden_size 4096, 32 layers,
32 heads (no GQA), intermediate_size 22016 (the fused width of its two gated branches of 11008
each), vocab 151936, typed from the model card's config, not re-read here.

Left out, with the reason:

* nothing of the sweep: where the client concurrency exceeds what the HBM left after the
  weights holds (Qwen3-32B at input 4096 from 32 users; the measured output tok/s plateaus,
  SGL-JAX 789.45 / 785.30 / 785.44 / 785.06 tok/s from 32 to 256 users), the engine runs what
  fits and queues the rest, and so does the package's closed-loop reading (its users beyond the
  KV capacity wait in the engine's queue);
* the vLLM TPU blog post (vllm-project/vllm-project.github.io ``_posts/2025-10-16-vllm-tpu.md``):
  relative claims only ("3.6x", "2.1x") and throughput curves as images;
* the Gemma 4 vLLM blog post and the vLLM TPU (tpu-inference) repository: no measured tables
  (the repository's ``scripts/vllm/benchmarking/README.md`` shows only an ``XX`` template; its
  support matrices are pass/fail), and the blog links its numbers to recipes kept out here;
* gclouduniverse/reproducibility ``Serving/TPU-v6`` and ``Serving/Trillium`` READMEs (JetStream
  MaxText / PyTorch sample outputs on v6e): these recipes were carried over into the TPU recipes
  repository that this project keeps as unseen test data, so their figures are not used; the
  Llama2-7B sample also queues everything (mean TTFT 130 s);
* AI-Hypercomputer/JetStream (README, benchmarks, docs, experimental) and jetstream-pytorch
  ``benchmarks/summary.md``: only v5e figures that ``serving-tpu-inferentia.yaml`` already holds
  (JetStream-PyTorch 2024 table, experimental JAX Llama2-7B OpenOrca run); no v6e or v5p figures;
* AI-Hypercomputer/maxtext ``MaxText/inference_mlperf/README.md`` and its Trillium scripts:
  commands only, no printed results; the MaxText model-tiering page is training throughput;
* MLPerf Inference v5.0: Google's only TPU system (trillium_x4_flax) ran SDXL, no LLM;
* the SGL-JAX cookbook's v7x (TPU7x) rows: outside the v5e / v5p / v6e scope of this file;
* the SGL-JAX cookbook's other v6e runs: Gemma 2 27B (half its layers use a 4K sliding window,
  which the model description here cannot express), DeepSeek-V2-Lite, DeepSeek-V3/R1 (MLA,
  FP8 block quantization), Kimi-Linear and Ling-2.6 (linear attention), MiMo-V2-Flash and
  MiMo-V2.5-Pro (sliding-window hybrids), MiMo-7B (multi-token-prediction head), Grok-2 (base
  model, run printed without full configuration), GLM-4.5-Air (only a one-line summary kept);
* the Qwen3-32B "Build verification" block of ``Qwen/Qwen3.md`` (c=16, 100 prompts): no input
  or output length totals and no range ratio, so the request lengths are not known;
* Google Cloud tutorials (TPU vLLM on v6e, GKE TPU Trillium vLLM, AI Hypercomputer Qwen
  tutorials) and Cloud blog posts on vLLM on TPUs: only their opening text is reachable here, so
  no printed benchmark output could be read and checked;
* community posts (dev.to Gemma 4 on v6e-4 series, rvLLM README): speculative decoding, custom
  engines or unstated request lengths.

Usage::

    python scripts/transcribe_tpu_serving.py OUT.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from xpuplan.validation.cases import write_cases

REPO = "sgl-project/sglang-jax"
SWEEP_COMMIT = ("24f8473995c9c4cfda030c439e3b580960fe9645", "2025-09-13")
SWEEP_PATH = "docs/performance/qwen3_benchmark.md"
SWEEP_TEST_DATE = "2025-09-12"
COOKBOOK_COMMIT = ("f549302b9f642e7487f19d04b105f129065268ce", "2026-06-11")

# "Detailed Performance Data" tables of qwen3_benchmark.md, columns in the source's order:
# (model key, ISL, OSL, batch size (= --max-concurrency), TTFT ms SGL-JAX, TTFT ms vLLM,
#  ITL ms SGL-JAX, ITL ms vLLM, input tok/s SGL-JAX, input tok/s vLLM, output tok/s SGL-JAX,
#  output tok/s vLLM)
SWEEP_ROWS: list[tuple[str, int, int, int, float, float, float, float, float, float, float,
                       float]] = [
    ("qwen3-8b", 1024, 1024, 8, 117.55, 183.57, 5.99, 9.02, 1311.49, 871.40, 1311.49, 815.38),
    ("qwen3-8b", 1024, 1024, 16, 234.88, 345.81, 6.62, 9.98, 2243.06, 1541.83, 2243.06, 1427.84),
    ("qwen3-8b", 1024, 1024, 32, 469.26, 675.75, 8.18, 13.20, 3682.22, 2319.11, 3682.22, 2183.37),
    ("qwen3-8b", 1024, 1024, 64, 940.87, 1346.38, 11.11, 18.34, 5296.60, 3337.44, 5296.60,
     3043.58),
    ("qwen3-8b", 1024, 1024, 128, 1885.82, 2716.48, 17.06, 28.25, 6731.67, 4195.94, 6731.67,
     3900.00),
    ("qwen3-8b", 1024, 1024, 256, 3793.50, 5496.67, 30.00, 56.81, 7571.84, 4320.85, 7571.84,
     4051.08),
    ("qwen3-8b", 4096, 1024, 8, 523.78, 729.73, 6.61, 12.05, 4477.33, 2542.74, 1119.33, 598.59),
    ("qwen3-8b", 4096, 1024, 16, 1057.61, 1656.71, 9.00, 15.85, 6354.77, 3788.42, 1588.69,
     883.27),
    ("qwen3-8b", 4096, 1024, 32, 2139.54, 3447.90, 13.48, 25.04, 8206.54, 4704.65, 2051.63,
     1130.40),
    ("qwen3-8b", 4096, 1024, 64, 4108.43, 6594.65, 21.13, 42.20, 10115.17, 5621.33, 2528.79,
     1304.04),
    ("qwen3-8b", 4096, 1024, 128, 8369.21, 12434.49, 33.68, 77.03, 10824.54, 6292.28, 2706.13,
     1426.83),
    ("qwen3-8b", 4096, 1024, 256, 16892.56, 24489.54, 33.78, 100.87, 10978.87, 5888.17, 2744.72,
     1376.88),
    ("qwen3-8b", 8192, 1024, 8, 1202.65, 1754.79, 7.98, 13.40, 6941.47, 4370.66, 867.68, 500.85),
    ("qwen3-8b", 8192, 1024, 16, 2431.33, 4096.75, 11.48, 19.08, 9180.14, 5809.26, 1147.52,
     691.81),
    ("qwen3-8b", 8192, 1024, 32, 4876.89, 8250.31, 19.22, 33.01, 10640.91, 6674.53, 1330.11,
     787.90),
    ("qwen3-8b", 8192, 1024, 64, 9797.87, 16565.67, 31.98, 58.86, 11670.14, 7437.75, 1458.77,
     873.82),
    ("qwen3-8b", 8192, 1024, 128, 19583.63, 31509.04, 31.88, 102.19, 11888.43, 6784.33, 1486.05,
     793.81),
    ("qwen3-8b", 8192, 1024, 256, 38895.87, 56454.02, 31.87, 103.73, 12086.94, 6821.50, 1510.87,
     799.38),
    ("qwen3-32b", 1024, 1024, 8, 356.59, 469.74, 18.29, 22.81, 427.69, 342.46, 427.69, 342.46),
    ("qwen3-32b", 1024, 1024, 16, 715.11, 933.90, 19.16, 24.63, 803.46, 623.96, 803.46, 623.96),
    ("qwen3-32b", 1024, 1024, 32, 1429.91, 1868.16, 22.17, 31.66, 1355.93, 955.96, 1355.93,
     955.96),
    ("qwen3-32b", 1024, 1024, 64, 2864.06, 3734.00, 29.48, 42.45, 1977.45, 1391.29, 1977.45,
     1391.29),
    ("qwen3-32b", 1024, 1024, 128, 5732.96, 7442.95, 34.05, 63.94, 2130.61, 1583.09, 2130.61,
     1583.09),
    ("qwen3-32b", 1024, 1024, 256, 11500.61, 14985.60, 34.27, 68.14, 2122.98, 1652.79, 2122.98,
     1652.79),
    ("qwen3-32b", 4096, 1024, 8, 1557.02, 1910.64, 19.88, 28.18, 1492.67, 1072.84, 373.17,
     268.21),
    ("qwen3-32b", 4096, 1024, 16, 3145.14, 3869.19, 22.45, 35.61, 2505.69, 1630.30, 626.42,
     407.57),
    ("qwen3-32b", 4096, 1024, 32, 6364.04, 7998.06, 34.42, 55.21, 3157.80, 2057.92, 789.45,
     514.48),
    ("qwen3-32b", 4096, 1024, 64, 12329.34, 16108.16, 35.32, 73.64, 3141.21, 1690.00, 785.30,
     422.50),
    ("qwen3-32b", 4096, 1024, 128, 25060.27, 32453.86, 35.32, 72.52, 3141.75, 1733.57, 785.44,
     433.39),
    ("qwen3-32b", 4096, 1024, 256, 50766.15, 64171.18, 35.34, 73.58, 3140.25, 1707.17, 785.06,
     426.79),
    ("qwen3-32b", 8192, 1024, 8, 3510.68, 4414.04, 21.85, 31.04, 2527.24, 1665.42, 315.90,
     208.18),
    ("qwen3-32b", 8192, 1024, 16, 7105.47, 8973.12, 26.94, 41.67, 3775.36, 2439.44, 471.92,
     304.93),
    ("qwen3-32b", 8192, 1024, 32, 14355.59, 17856.06, 33.45, 62.43, 3349.42, 1697.07, 418.68,
     212.13),
    ("qwen3-32b", 8192, 1024, 64, 28849.51, 36082.81, 33.43, 142.77, 3482.01, 1592.38, 435.25,
     199.05),
    ("qwen3-32b", 8192, 1024, 128, 57299.20, 75751.47, 33.41, 143.24, 3457.24, 1584.61, 432.16,
     198.08),
    ("qwen3-32b", 8192, 1024, 256, 113927.80, 154356.17, 33.38, 144.88, 3492.01, 1547.29,
     436.50, 193.41),
]  # fmt: skip

# The two engines of the sweep: (key, framework text, server command as the source prints it,
# --max-running-requests of the server or None when not stated).
SWEEP_ENGINES: dict[str, tuple[str, str, int | None]] = {
    "sgljax": (
        "SGLang-JAX (sgl-jax) at main-10f32e49 (tested 2025-09-12)",
        "python3 -u -m sgl_jax.launch_server --model-path MODEL --trust-remote-code --tp-size=4 "
        "--device=tpu --mem-fraction-static=0.8 --chunked-prefill-size=2048 --download-dir=/tmp "
        "--dtype=bfloat16 --max-running-requests 256 --skip-server-warmup --page-size=128 "
        "--disable-radix-cache",
        256,
    ),
    "vllm": (
        "vLLM on TPU at main-5931b7e5 (tested 2025-09-12; the TPU backend of that commit is not "
        "stated)",
        "vllm serve MODEL --download_dir /tmp --swap-space 16 --disable-log-requests "
        "--tensor_parallel_size=4 --trust-remote-code --max-model-len=9216 "
        "--no-enable-prefix-caching",
        None,
    ),
}

# Cookbook "4.2 Speed" blocks at COOKBOOK_COMMIT: (key, model key, file, chips, hosts, tp, ep,
#  --max-running-requests (None: not set), ISL requested, OSL requested, fixed lengths
#  (--random-range-ratio 1), --max-concurrency, --num-prompts, total input tokens, total
#  generated tokens, duration s, request throughput req/s, output tok/s, mean TTFT ms,
#  mean TPOT ms, median TPOT ms, mean ITL ms, mean E2E ms)
COOKBOOK_ROWS: list[tuple[str, str, str, int, int, int, int | None, int | None, int, int, bool,
                          int, int, int, int, float, float, float, float, float, float, float,
                          float]] = [
    ("llama3.1-8b", "llama3.1-8b", "Llama/Llama3.1.md", 4, 1, 4, None, 64, 512, 512, False,
     16, 100, 26497, 25820, 17.82, 5.61, 1448.91, 35.33, 9.94, 9.84, 9.87, 2574.53),
    ("qwen-7b-chat", "qwen-7b-chat", "Qwen/Qwen.md", 4, 1, 4, None, None, 512, 128, True,
     8, 100, 51200, 12800, 15.30, 6.53, 836.41, 88.91, 8.64, 8.53, 8.65, 1186.80),
    ("llama3.3-70b", "llama3.3-70b", "Llama/Llama3.3-70B.md", 16, 4, 16, None, 256, 1024, 1024,
     False, 16, 100, 50561, 52444, 59.45, 1.68, 882.17, 113.86, 16.33, 16.47, 16.30, 8647.20),
    ("qwen3-30b-a3b", "qwen3-30b-a3b", "Qwen/Qwen3-MoE.md", 16, 4, 16, 16, 256, 1024, 1024,
     False, 16, 100, 50561, 52444, 35.53, 2.81, 1476.18, 75.77, 9.88, 9.97, 9.83, 5223.28),
]  # fmt: skip

# Percentiles printed only by the Qwen-7B-Chat block: (median TTFT, p99 TTFT, p99 TPOT,
# median E2E, p99 E2E), ms.
COOKBOOK_EXTRA: dict[str, tuple[float, float, float, float, float]] = {
    "qwen-7b-chat": (91.86, 208.40, 9.14, 1176.99, 1350.29),
}

# Server flags of each cookbook run (section "2.3 Launch" of the same file and commit).
COOKBOOK_SERVER: dict[str, str] = {
    "llama3.1-8b": "sgl_jax.launch_server --model-path meta-llama/Llama-3.1-8B-Instruct "
    "--tp-size 4 --device tpu --dtype bfloat16 --mem-fraction-static 0.88 --page-size 128 "
    "--max-running-requests 64 --skip-server-warmup",
    "qwen-7b-chat": "sgl_jax.launch_server --model-path Qwen/Qwen-7B-Chat --tp-size 4 --device "
    "tpu --dtype bfloat16 --mem-fraction-static 0.8 --max-prefill-tokens 8192 --random-seed 3 "
    "--skip-server-warmup",
    "llama3.3-70b": "sgl_jax.launch_server --model-path meta-llama/Llama-3.3-70B-Instruct "
    "--tp-size 16 --device tpu --dtype bfloat16 --mem-fraction-static 0.85 "
    "--chunked-prefill-size 2048 --page-size 128 --max-running-requests 256 "
    "--skip-server-warmup (GKE indexed job, 4 hosts)",
    "qwen3-30b-a3b": "sgl_jax.launch_server --model-path Qwen/Qwen3-30B-A3B --tp-size 16 "
    "--ep-size 16 --moe-backend epmoe --device tpu --dtype bfloat16 --mem-fraction-static 0.9 "
    "--chunked-prefill-size 2048 --page-size 128 --max-running-requests 256 "
    "--skip-server-warmup (GKE indexed job, 4 hosts)",
}

# Public architectures (each model's Hugging Face config.json; see the module docstring).
MODELS: dict[str, dict[str, Any]] = {
    "qwen3-8b": dict(
        name="Qwen3-8B (Qwen/Qwen3-8B)", layers=36, hidden=4096, heads=32, kv_heads=8,
        ffn=12288, vocab=151936, params=8.19e9, head_dim=128,
    ),
    "qwen3-32b": dict(
        name="Qwen3-32B (Qwen/Qwen3-32B)", layers=64, hidden=5120, heads=64, kv_heads=8,
        ffn=25600, vocab=151936, params=32.8e9, head_dim=128,
    ),
    "qwen3-30b-a3b": dict(
        name="Qwen3-30B-A3B (Qwen/Qwen3-30B-A3B)", layers=48, hidden=2048, heads=32, kv_heads=4,
        ffn=768, vocab=151936, params=30.5e9, head_dim=128,
        moe=dict(num_experts=128, top_k=8, expert_ffn=768, shared_experts=0,
                 total_params=30.5e9, active_params=3.3e9),
    ),
    "llama3.1-8b": dict(
        name="Llama 3.1 8B Instruct (meta-llama/Llama-3.1-8B-Instruct)", layers=32,
        hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256, params=8.03e9,
    ),
    "llama3.3-70b": dict(
        name="Llama 3.3 70B Instruct (meta-llama/Llama-3.3-70B-Instruct)", layers=80,
        hidden=8192, heads=64, kv_heads=8, ffn=28672, vocab=128256, params=70.6e9,
    ),
    "qwen-7b-chat": dict(
        name="Qwen-7B-Chat (Qwen/Qwen-7B-Chat)", layers=32, hidden=4096, heads=32, kv_heads=32,
        ffn=11008, vocab=151936, params=7.72e9, head_dim=128,
    ),
}  # fmt: skip

MODEL_NOTES: dict[str, str] = {
    "qwen3-8b": "dims from the model's public config.json (xpuplan preset qwen3-8b); params "
    "8.19B from the model card",
    "qwen3-32b": "dims from the model's public config.json (xpuplan preset qwen3-32b); params "
    "32.8B from the model card",
    "qwen3-30b-a3b": "dims from the model's public config.json (xpuplan preset qwen3-30b-a3b: "
    "48 MoE layers, 128 experts, 8 active, moe_intermediate_size 768); total 30.5B / active "
    "3.3B from the model card",
    "llama3.1-8b": "dims from the model's public config.json (xpuplan preset llama-3.1-8b)",
    "llama3.3-70b": "dims from the model's public config.json (xpuplan preset llama-3.3-70b)",
    "qwen-7b-chat": "dims from the model's public config.json (hidden 4096, 32 layers, 32 heads "
    "without GQA, intermediate_size 22016 = two gated branches of 11008, vocab 151936); params "
    "~7.72B counted from those dims (untied embeddings)",
}


def _model(key: str, seq_len: int | None, seq_note: str) -> dict[str, Any]:
    arch = MODELS[key]
    model: dict[str, Any] = {
        k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn")
    }
    model |= {"vocab": arch["vocab"], "seq_len": seq_len, "params": arch["params"]}
    if "head_dim" in arch:
        model["head_dim"] = arch["head_dim"]
    model["moe"] = arch.get("moe")
    model["notes"] = f"{MODEL_NOTES[key]}; {seq_note}"
    return model


def _hardware(chips: int, hosts: int) -> dict[str, Any]:
    topology = {4: "2x2", 16: "4x4"}[chips]
    system = (
        f"Cloud TPU v6e-{chips} slice ({topology} topology, {hosts} host"
        f"{'s' if hosts > 1 else ''} x 4 chips)"
    )
    return {
        "accelerator": "Google Cloud TPU v6e (Trillium)",
        "accelerator_id": "google-tpu-v6e",
        "family": "tpu",
        "count": chips,
        "system": system,
        "nodes": hosts,
        "accelerators_per_node": 4,
        "interconnect": "ICI (2D torus within the slice)",
    }


def _parallelism(tp: int, ep: int | None, notes: str) -> dict[str, Any]:
    return {
        "tp": tp,
        "pp": 1,
        "dp": 1,
        "cp": None,
        "ep": ep,
        "zero": None,
        "fsdp": None,
        "sequence_parallel": None,
        "recompute": None,
        "virtual_pp": None,
        "notes": notes,
    }


def _batch(slots: int | None, notes: str) -> dict[str, Any]:
    return {
        "global_batch_seqs": slots,
        "global_batch_tokens": None,
        "micro_batch": None,
        "per_device_batch": None,
        "grad_accum_steps": None,
        "notes": notes,
    }


def _sweep_source(model_key: str) -> dict[str, Any]:
    commit, date = SWEEP_COMMIT
    title = "Qwen3-8B" if model_key == "qwen3-8b" else "Qwen3-32B"
    return {
        "title": "SGL-JAX performance benchmark results (docs/performance/qwen3_benchmark.md)",
        "url": f"https://github.com/{REPO}/blob/{commit}/{SWEEP_PATH}",
        "repo_path": f"{REPO}:{SWEEP_PATH}",
        "commit": f"{commit[:8]} ({date})",
        "table": f"'{title} Performance Results', 'Detailed Performance Data'",
        "as_of": SWEEP_TEST_DATE,
    }


def sweep_case(row: tuple[Any, ...], engine: str, ttft_run: bool) -> dict[str, Any]:
    """One engine's column of one sweep row: the 1024-output run (throughput, ITL) or, with
    ``ttft_run``, the 1-output run (TTFT)."""
    (model_key, isl, osl, conc, ttft_sgl, ttft_vllm, itl_sgl, itl_vllm, in_sgl, in_vllm, out_sgl,
     out_vllm) = row  # fmt: skip
    sgl = engine == "sgljax"
    framework, server, slots = SWEEP_ENGINES[engine]
    ttft, itl = (ttft_sgl, itl_sgl) if sgl else (ttft_vllm, itl_vllm)
    in_tps, out_tps = (in_sgl, out_sgl) if sgl else (in_vllm, out_vllm)
    out_len = 1 if ttft_run else osl
    generated = None if ttft_run else round(isl * out_tps / in_tps, 1)
    label = "SGL-JAX" if sgl else "vLLM"
    prompts = 3 * conc
    if ttft_run:
        metrics: dict[str, Any] = {"ttft_mean_ms": ttft}
        measured = f"'TTFT(ms)_{'SGL_JAX' if sgl else 'vLLM'}' = {ttft} ms, read as the mean"
        other = (
            f"Same row, 1024-output run: ITL {itl} ms, input {in_tps} tok/s, output "
            f"{out_tps} tok/s (separate cases)."
        )
    else:
        metrics = {"output_tokens_per_s": out_tps, "tpot_mean_ms": itl}
        measured = (
            f"output_tokens_per_s = 'Output_Throughput(tok/s)_{label.replace('-', '_')}', "
            f"tpot_mean_ms = 'ITL(ms)_{label.replace('-', '_')}' (inter-token latency, read as "
            f"the mean per-token time); input tok/s {in_tps}"
        )
        other = (
            f"TTFT of this row ({ttft} ms) comes from the 1-output run (a separate case). "
            f"Generated tokens per request {generated:g} = {isl} x {out_tps} / {in_tps} (input "
            "length x output / input tok/s)."
        )
    return {
        "id": f"{'sgljax' if sgl else 'vllm-tpu'}-v6e4-{model_key}-tp4-c{conc}-in{isl}-"
        f"out{out_len}-2025-09",
        "source": _sweep_source(model_key),
        "kind": "infer",
        "model": _model(
            model_key,
            None if sgl else 9216,
            "seq_len: the SGL-JAX server sets no context length"
            if sgl
            else "seq_len = vLLM --max-model-len",
        ),
        "hardware": _hardware(4, 1),
        "parallelism": _parallelism(
            4,
            None,
            "tensor parallel over the 4 chips of the host "
            f"({'--tp-size=4' if sgl else '--tensor_parallel_size=4'})",
        ),
        "batch": _batch(
            None,
            (
                f"--max-running-requests {slots} (a cap on running requests, not a compiled "
                "batch: SGL-JAX pads to precompiled batch buckets; never binding here)"
                if sgl
                else "vLLM --max-num-seqs not stated"
            )
            + f"; client --max-concurrency {conc}, {prompts} prompts",
        ),
        "precision": "bf16 (--dtype=bfloat16)" if sgl else "bf16 (checkpoint dtype bfloat16)",
        "framework": framework,
        "metrics": metrics,
        "conditions": f"sgl_jax.bench_serving --backend {'sgl-jax' if sgl else 'vllm'} "
        f"--dataset-name random --random-input {isl} --random-output {out_len} "
        f"--random-range-ratio 1 --num-prompts {prompts} --max-concurrency {conc} "
        f"--warmup-requests 0: {conc} concurrent users, closed loop, no request-rate limit; "
        f"server: {server}; {measured}",
        "confidence": "medium (one published sweep; no warmup requests, 3 prompts per user)",
        "notes": f"{label} column of the {isl}/{osl} batch-{conc} row. {other}",
        "workload": {
            "input_tokens_mean": isl,
            "output_tokens_mean": out_len if ttft_run else generated,
            "max_concurrency": conc,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (bench_serving random prompts, range ratio 1)",
            "notes": "closed loop: each of the concurrent users sends its next request when the "
            "previous one completes"
            + (
                ""
                if ttft_run
                else "; output mean = generated tokens per request derived from the printed "
                "input and output throughputs"
            ),
        },
    }


def cookbook_case(row: tuple[Any, ...]) -> dict[str, Any]:
    (key, model_key, path, chips, hosts, tp, ep, slots, isl, osl, fixed, conc, prompts, in_total,
     out_total, duration, req_tps, out_tps, ttft, tpot, tpot_p50, itl, e2e) = row  # fmt: skip
    commit, date = COOKBOOK_COMMIT
    repo_path = f"docs/cookbook/autoregressive/{path}"
    in_mean, out_mean = in_total / prompts, out_total / prompts
    metrics: dict[str, Any] = {
        "output_tokens_per_s": out_tps,
        "requests_per_s": req_tps,
        "ttft_mean_ms": ttft,
        "tpot_mean_ms": tpot,
        "tpot_p50_ms": tpot_p50,
        "e2e_latency_mean_ms": e2e,
    }
    if key in COOKBOOK_EXTRA:
        ttft_p50, ttft_p99, tpot_p99, e2e_p50, e2e_p99 = COOKBOOK_EXTRA[key]
        metrics |= {
            "ttft_p50_ms": ttft_p50,
            "ttft_p99_ms": ttft_p99,
            "tpot_p99_ms": tpot_p99,
            "e2e_latency_median_ms": e2e_p50,
            "e2e_latency_p99_ms": e2e_p99,
        }
    lengths = (
        f"--random-input {isl} --random-output {osl} --random-range-ratio 1"
        if fixed
        else f"--random-input-len {isl} --random-output-len {osl} (no range ratio given: request "
        "lengths vary up to the requested values)"
    )
    par_notes = f"--tp-size {tp}" + (
        f" --ep-size {ep} (experts spread over all {chips} chips, --moe-backend epmoe)"
        if ep
        else ""
    )
    if hosts > 1:
        par_notes += f"; one TP group across the {hosts} hosts of the slice over ICI"
    return {
        "id": f"sgljax-v6e{chips}-{key}-tp{tp}-c{conc}-in{isl}-out{osl}-0.1.0-{date[:7]}",
        "source": {
            "title": f"SGL-JAX cookbook '{path}' (sglang-jax 0.1.0)",
            "url": f"https://github.com/{REPO}/blob/{commit}/{repo_path}",
            "repo_path": f"{REPO}:{repo_path}",
            "commit": f"{commit[:8]} ({date})",
            "table": "'4.2 Speed', 'Test Results' (Serving Benchmark Result block)",
            "as_of": date,
        },
        "kind": "infer",
        "model": _model(model_key, None, "seq_len: the server sets no context length"),
        "hardware": _hardware(chips, hosts),
        "parallelism": _parallelism(tp, ep, par_notes),
        "batch": _batch(
            None,
            (
                f"--max-running-requests {slots} (a cap on running requests, above the client "
                "concurrency; not a compiled batch)"
                if slots
                else "--max-running-requests not set (engine default)"
            )
            + f"; client --max-concurrency {conc}, {prompts} prompts",
        ),
        "precision": "bf16 (--dtype bfloat16)",
        "framework": "SGLang-JAX (sgl-jax) 0.1.0 build, cookbook snapshot of 2026-06",
        "metrics": metrics,
        "conditions": f"sgl_jax.bench_serving, random dataset, {lengths}, --num-prompts "
        f"{prompts} --max-concurrency {conc}: {conc} concurrent users, closed loop, no "
        f"request-rate limit; server: {COOKBOOK_SERVER[key]}; metrics as printed (Mean E2E "
        "Latency, Mean TTFT, Mean / Median TPOT)",
        "confidence": "medium (one published run of the cookbook's tested build)",
        "notes": f"Printed totals: {in_total} input and {out_total} generated tokens over "
        f"{prompts} requests in {duration} s; mean ITL {itl} ms.",
        "workload": {
            "input_tokens_mean": round(in_mean, 2),
            "output_tokens_mean": round(out_mean, 2),
            "max_concurrency": conc,
            "request_rate": None,
            "dataset": (
                "synthetic fixed lengths (bench_serving random prompts, range ratio 1)"
                if fixed
                else "bench_serving random prompts, lengths varying up to the requested ones"
            ),
            "notes": "closed loop: each of the concurrent users sends its next request when the "
            "previous one completes; means = printed totals / successful requests",
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    cases = [
        sweep_case(row, engine, ttft_run)
        for row in SWEEP_ROWS
        for engine in SWEEP_ENGINES
        for ttft_run in (False, True)
    ] + [cookbook_case(row) for row in COOKBOOK_ROWS]
    write_cases(
        argv[1],
        cases,
        description=(
            "Measured serving runs on Cloud TPU v6e (Trillium) printed in the SGL-JAX "
            "documentation (sgl-project/sglang-jax, pinned commits), transcribed by "
            "scripts/transcribe_tpu_serving.py: the 2025-09 Qwen3-8B / Qwen3-32B sweep on one "
            "v6e-4 host comparing SGL-JAX with vLLM on TPU (input 1024/4096/8192, output "
            "1024 for throughput and ITL, output 1 for TTFT, 8-256 concurrent users), and the "
            "cookbook's single-run results of sglang-jax 0.1.0 (Llama 3.1 8B and Qwen-7B-Chat "
            "on v6e-4, Llama 3.3 70B and Qwen3-30B-A3B on v6e-16). No new v5e or v5p serving "
            "measurement was found; the script's docstring lists the sources examined and "
            "left out and why."
        ),
        families={"tpu": "Google TPUs"},
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
