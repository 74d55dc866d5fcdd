"""TensorRT-LLM's DeepSeek-R1 performance guide: its max-throughput runs -> validation cases.

Source: NVIDIA/TensorRT-LLM,
``docs/source/blogs/Best_perf_practice_on_DeepSeek-R1_in_TensorRT-LLM.md`` at commit
01c4ece911eb569e72cf4177f83238a0520641c2 ("How to get best performance on DeepSeek-R1 in
TensorRT LLM"). Each run below was typed from its "Benchmark" command and its "Expected Result
Format" printout (``trtllm-bench ... throughput``, PyTorch backend), numbers
unchanged; the guide says the two B200 runs were "reproduced with TensorRT LLM commit
b6261862419c33d6ce2313aff1e7116067d6037d".

What each run is (the guide's commands):

* 8 GPUs, ``--tp 8 --ep 8`` with ``enable_attention_dp: true``: attention data-parallel over
  the 8 ranks (each its own sequences, a full copy of the MLA weights), the 256 routed experts
  split 32 per rank; no speculative decoding (the max-throughput runs do not use MTP);
* ``--concurrency C`` = 8 x ``--max_batch_size`` (the per-rank batch): C requests in flight,
  each replaced when it completes (trtllm-bench's closed loop), ``--num_requests`` = 16 x C;
* a synthetic dataset from ``benchmarks/cpp/prepare_dataset.py ... token-norm-dist
  --input-mean 1024 --output-mean 2048 --input-stdev 0 --output-stdev 0``. The FP8-KV B200 run
  reads ``${YOUR_DATA_PATH}`` without its own generation command; its printout gives
  (Total Token - Total Output Throughput) / Request Throughput = 1,042 input tokens per
  request (the other two give 1,024), and Total Output / Request Throughput = 2,048 output;
* checkpoints: ``nvidia/DeepSeek-R1-0528-FP4`` (NVFP4 experts, FP8 KV cache:
  ``kv_cache_dtype: fp8``), ``nvidia/DeepSeek-R1-FP4`` with the default 16-bit KV cache, and
  DeepSeek's FP8 ``deepseek-ai/DeepSeek-R1`` on H200 (no ``kv_cache_dtype``: 16-bit cache);
* metric: ``Total Output Throughput (tokens/sec)`` of the 8 GPUs; per GPU = / 8 (arithmetic).

Left out, with the reason: the two min-latency runs (batch 1, MTP with 3 draft layers on "a
real dataset"): their speed depends on MTP's acceptance rate, which the guide does not print
and which a case would have to assume.

Usage::

    python scripts/transcribe_trtllm_deepseek_r1.py [OUT.yaml]

(default OUT: ``src/xpuplan/validation/data/infer-trtllm-deepseek-r1.yaml``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from xpuplan.validation.cases import write_cases

COMMIT = "01c4ece911eb569e72cf4177f83238a0520641c2"
REPO_PATH = (
    "NVIDIA/TensorRT-LLM:docs/source/blogs/Best_perf_practice_on_DeepSeek-R1_in_TensorRT-LLM.md"
)
URL = (
    "https://github.com/NVIDIA/TensorRT-LLM/blob/" + COMMIT
    + "/docs/source/blogs/Best_perf_practice_on_DeepSeek-R1_in_TensorRT-LLM.md"
)  # fmt: skip
TITLE = "How to get best performance on DeepSeek-R1 in TensorRT LLM (TensorRT-LLM docs blog)"
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1]
    / "src/xpuplan/validation/data/infer-trtllm-deepseek-r1.yaml"
)

GPUS: dict[str, tuple[str, str]] = {
    "b200": ("NVIDIA B200 180GB (DGX B200)", "nvidia-b200"),
    "h200": ("NVIDIA H200 SXM 141GB", "nvidia-h200-sxm"),
}

# (slug, section, GPU, checkpoint, precision, max_batch_size per rank, max_num_tokens,
#  kv_cache_free_gpu_mem_fraction, the printout's figures)
Run = tuple[str, str, str, str, str, int, int, float, dict[str, float]]
RUNS: list[Run] = [
    ("b200-fp4-fp8kv", "B200 max-throughput for R1-0528 with FP8 KV cache", "b200",
     "nvidia/DeepSeek-R1-0528-FP4", "FP4 weights (NVFP4), FP8 KV cache", 896, 2048, 0.93,
     {"requests_per_s": 21.0675, "output": 43146.2042, "total": 65100.6376}),
    ("b200-fp4-bf16kv", "B200 max-throughput for R1 with FP16 KV cache", "b200",
     "nvidia/DeepSeek-R1-FP4", "FP4 weights (NVFP4), bf16 KV cache (the default 16-bit cache)",
     384, 1536, 0.85,
     {"requests_per_s": 17.7657, "output": 36384.0838, "total": 54576.1257}),
    ("h200-fp8", "H200 max-throughput", "h200",
     "deepseek-ai/DeepSeek-R1", "FP8 weights (block-scaled), bf16 KV cache (the default)",
     128, 1151, 0.8,
     {"requests_per_s": 5.61, "output": 11489.2671, "total": 17233.9007}),
]  # fmt: skip

# The architecture is the bundled ``deepseek-r1`` preset (deepseek-ai/DeepSeek-R1 config.json:
# 61 layers, the first 3 dense, 256 routed experts of 2,048 + 1 shared, top-8, MLA): the
# reader resolves the name to it, so the case names the model and its sequence length only.
MODEL_NOTES = (
    "architecture: the bundled deepseek-r1 preset (deepseek-ai/DeepSeek-R1 config.json: 61 "
    "layers, MLA with kv_lora_rank 512, 256 routed experts top-8 + 1 shared; 671B total / 37B "
    "activated, DeepSeek-V3 report); seq_len = input + output"
)


def _model(seq_len: int) -> dict[str, Any]:
    """The model block: the preset's name, the sequence length and where the dims come from."""
    return {"name": "DeepSeek-R1", "seq_len": seq_len, "notes": MODEL_NOTES}


def lengths(figures: dict[str, float]) -> tuple[int, int]:
    """(input, output) tokens per request from the printout: (total - output) / requests and
    output / requests, rounded to whole tokens."""
    rate = figures["requests_per_s"]
    return round((figures["total"] - figures["output"]) / rate), round(figures["output"] / rate)


def case(run: Run) -> dict[str, Any]:
    slug, section, gpu, checkpoint, precision, per_rank, max_tokens, kv_fraction, figures = run
    isl, osl = lengths(figures)
    concurrency = 8 * per_rank
    accelerator, accelerator_id = GPUS[gpu]
    return {
        "id": f"trtllm-dsr1-guide-{slug}-tp8-ep8-adp-c{concurrency}-isl{isl}-osl{osl}",
        "source": {
            "title": TITLE,
            "url": URL,
            "repo_path": REPO_PATH,
            "table": f'section "{section}", Expected Result Format printout',
            "commit": COMMIT,
            "as_of": "2026-12-03",
        },
        "kind": "infer",
        "model": _model(isl + osl),
        "hardware": {
            "accelerator": accelerator,
            "family": "nvidia",
            "count": 8,
            "system": None,
            "nodes": 1,
            "accelerators_per_node": 8,
            "interconnect": "NVLink (8 GPUs, NVSwitch)",
            "accelerator_id": accelerator_id,
        },
        "parallelism": {
            "tp": 8,
            "pp": 1,
            "dp": None,
            "cp": None,
            "ep": 8,
            "zero": None,
            "fsdp": None,
            "sequence_parallel": None,
            "recompute": None,
            "virtual_pp": None,
            "notes": "trtllm-bench --tp 8 --ep 8 with enable_attention_dp: true (attention "
            "data-parallel over the 8 ranks, experts expert-parallel)",
        },
        "batch": {
            "global_batch_seqs": concurrency,
            "global_batch_tokens": None,
            "micro_batch": None,
            "per_device_batch": per_rank,
            "grad_accum_steps": None,
            "notes": f"--max_batch_size {per_rank} per rank x 8 ranks = {concurrency} decode "
            f"slots per replica; --max_num_tokens {max_tokens}; --kv_cache_free_gpu_mem_fraction "
            f"{kv_fraction}",
        },
        "precision": f"{precision}; checkpoint {checkpoint}",
        "framework": "TensorRT-LLM trtllm-bench (PyTorch backend, commit b6261862)",
        "metrics": {
            "output_tokens_per_s_total": figures["output"],
            "output_tokens_per_s_per_gpu": round(figures["output"] / 8, 4),
            "requests_per_s": figures["requests_per_s"],
        },
        "conditions": f"trtllm-bench throughput --concurrency {concurrency}: {concurrency} "
        "concurrent users (closed loop: a finished request is replaced by the next), "
        f"--num_requests {16 * concurrency}; metric = Total Output Throughput (tokens/sec) of "
        "the 8 GPUs and Request Throughput (req/sec), as printed",
        "confidence": "table (one published run per configuration)",
        "notes": None,
        "derivation": "arith: output_tokens_per_s_per_gpu = Total Output Throughput / 8; "
        "input / output tokens per request = (Total Token - Total Output) / Request "
        "Throughput and Total Output / Request Throughput",
        "workload": {
            "input_tokens_mean": isl,
            "output_tokens_mean": osl,
            "max_concurrency": concurrency,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (prepare_dataset.py token-norm-dist, stdev 0)",
            "notes": "every request has the same lengths; a closed loop of --concurrency clients",
        },
    }


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    write_cases(
        out,
        [case(run) for run in RUNS],
        description=(
            "TensorRT-LLM's DeepSeek-R1 performance guide (NVIDIA/TensorRT-LLM "
            f"docs/source/blogs/Best_perf_practice_on_DeepSeek-R1_in_TensorRT-LLM.md at commit "
            f"{COMMIT}), transcribed by scripts/transcribe_trtllm_deepseek_r1.py: its three "
            "max-throughput trtllm-bench runs of DeepSeek-R1 on 8 GPUs (B200 NVFP4 with FP8 and "
            "16-bit KV cache, H200 FP8), TP 8 / EP 8 with attention data parallelism, synthetic "
            "1K-in / 2K-out requests in a closed loop. The two min-latency runs (MTP, acceptance "
            "not printed) are left out; the script's docstring says why."
        ),
        families={"nvidia": "NVIDIA"},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
