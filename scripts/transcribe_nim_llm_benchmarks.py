"""NVIDIA NIM for LLMs benchmarking page: measured TensorRT-LLM serving runs -> validation cases.

Source: "NVIDIA NIM LLMs Benchmarking", section Performance
(https://docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance, markdown at ``performance.md``),
which prints AIPerf concurrency sweeps (closed loop: N clients, each sending its next request when
the previous one completes) of NIM containers, whose engine is TensorRT-LLM. Transcribed here:
``Llama-3.3-70b-instruct Results``, container version 1.8.0, ``2 x H100 80G``, ``fp8 TP2``:

* ``5000 Input Tokens / 500 Output Tokens``: concurrency 1, 5, 25 and 50;
* ``500 Input Tokens / 2000 Output Tokens``: concurrency 1.

``ROWS`` were typed from the page, numbers unchanged. These are the set's only small-batch
TensorRT-LLM measurements: MLPerf and the TensorRT-LLM performance overview run thousands of
sequences at once, so without them the engine's per-iteration cost is read only through
large-batch steps.

Left out, with the reason:

* concurrency 100 to 250 of the 5000/500 table: their TTFT (8.0 to 88.6 s) is 20 to 218 times
  the single-client TTFT while throughput stays at ~920 tokens/s, i.e. clients queue outside the
  engine at a batch limit the page does not state (rule applied before any prediction: TTFT
  above 10 x the concurrency-1 TTFT);
* the rest of the 500/2000 table and the Llama 3.1 8B and 70B tables: the page excerpt read
  does not show their GPU, precision and parallelism headers;
* version 1.5.0 of the 70B table: the same setup on an older container; one version per setup.

The GPU is read as H100 SXM (80 GB HBM3): the page writes "H100 80G"; NVIDIA's NIM support
matrices list the 80 GB H100 as "H100 80GB HBM3", the SXM part (the PCIe card is HBM2e).

Usage::

    python scripts/transcribe_nim_llm_benchmarks.py OUT.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from xpuplan.validation.cases import write_cases

URL = "https://docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance"

# (input tokens, output tokens, concurrency, TTFT ms, ITL ms, output tokens/s)
ROWS: list[tuple[int, int, int, float, float, float]] = [
    (5000, 500, 1, 406.77, 18.58, 51.67),
    (5000, 500, 5, 546.7, 21.83, 218.48),
    (5000, 500, 25, 688.69, 38.75, 623.4),
    (5000, 500, 50, 834.51, 59.73, 814.37),
    (500, 2000, 1, 47.77, 18.91, 52.85),
]

MODEL: dict[str, Any] = {
    "name": "Llama 3.3 70B Instruct (meta/llama-3.3-70b-instruct NIM)",
    "layers": 80,
    "hidden": 8192,
    "heads": 64,
    "kv_heads": 8,
    "ffn": 28672,
    "vocab": 128256,
    "seq_len": 131072,
    "params": 70.6e9,
    "moe": None,
    "notes": "dims from meta-llama/Llama-3.3-70B-Instruct config.json",
}


def case(row: tuple[int, int, int, float, float, float]) -> dict[str, Any]:
    isl, osl, users, ttft_ms, itl_ms, tokens_per_s = row
    return {
        "id": f"nim-1.8.0-llama3.3-70b-fp8-h100-tp2-in{isl}-out{osl}-c{users}",
        "source": {
            "title": "NVIDIA NIM LLMs Benchmarking, Performance: Llama-3.3-70b-instruct Results",
            "url": URL,
            "repo_path": None,
            "commit": None,
            "table": f"Version 1.8.0, 2 x H100 80G, fp8 TP2, {isl} Input Tokens / {osl} Output "
            f"Tokens, row Concurrency {users}",
            "as_of": "2026-07-20",
        },
        "kind": "infer",
        "model": MODEL,
        "hardware": {
            "accelerator": "NVIDIA H100 80GB (SXM, HBM3)",
            "accelerator_id": "nvidia-h100-sxm",
            "family": "nvidia",
            "count": 2,
            "system": "2 x H100 80G (page wording); read as the SXM part, see the script",
            "nodes": 1,
            "accelerators_per_node": 2,
            "interconnect": "NVLink",
        },
        "parallelism": {
            "tp": 2,
            "pp": 1,
            "dp": 1,
            "ep": None,
            "notes": "NIM profile fp8 TP2",
        },
        "batch": {
            "global_batch_seqs": None,
            "notes": f"AIPerf concurrency {users}: {users} concurrent users, closed loop",
        },
        "precision": "fp8",
        "framework": "TensorRT-LLM backend of NVIDIA NIM (container "
        "meta/llama-3.3-70b-instruct 1.8.0, 2025)",
        "metrics": {
            "output_tokens_per_s": tokens_per_s,
            "ttft_mean_ms": ttft_ms,
            "tpot_mean_ms": itl_ms,
        },
        "conditions": f"AIPerf concurrency mode, {users} concurrent users; synthetic prompts of "
        f"{isl} input tokens, {osl} output tokens; 'TTFT (ms)' and 'ITL (ms)' as printed "
        "(ITL recorded as tpot_mean_ms), 'Throughput(Tokens/s)' = output tokens/s",
        "confidence": "medium (vendor table typed from the page; GPU variant read as SXM)",
        "notes": None,
        "workload": {
            "input_tokens_mean": isl,
            "output_tokens_mean": osl,
            "max_concurrency": users,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (AIPerf)",
            "notes": "closed loop: each of the concurrent users sends its next request when the "
            "previous one completes",
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
            "Measured TensorRT-LLM serving runs (NVIDIA NIM containers) from NVIDIA's NIM LLMs "
            "Benchmarking page, transcribed by scripts/transcribe_nim_llm_benchmarks.py; rows "
            "left out and why are in the script's docstring."
        ),
        families={"nvidia": "NVIDIA GPUs"},
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
