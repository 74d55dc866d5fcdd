"""AMD's published Primus (Megatron-LM backend) training throughput -> validation cases.

Source: AMD's ROCm blog "Primus Projection: Estimate Memory and Performance Before You Train"
(2026-05-14, ``ROCm/rocm-blogs:blogs/software-tools-optimization/primus-projection/README.md``
at commit 5f2d6c1577aea3285f06e2d011ba5730184e1a77), section "Validation: Projected vs.
Measured Results". Its tables reprint the measured multi-node results of AMD's "Performance
results with AMD ROCm software" page (section "AI Training"), each with the Docker image and
release date of the measured runs:

* MI325X, dense Llama 3.1 (``rocm/primus:v26.1``, released 2026-01-21): model, precision,
  "Batch", sequence length, FSDP, TP, PP, CP, EP, "1-Node (tok/s/GPU)", "Measured 8-Node
  (tok/s/GPU)";
* MI355X, Mixtral 8x22B (``rocm/primus:v26.2``, released 2026-04-04): the same columns with VPP
  and without the 1-node figure.

The stored copies of the AMD page itself stop before its training section, so the blog's
reprint is the source read. ``ROWS`` below were typed from the blog text, numbers unchanged. The
"Projected" columns are the blog's own estimates and are not read.

How the figures are read:

* "Measured 8-Node (tok/s/GPU)": tokens per second per GPU over 8 nodes of 8 GPUs (64 GPUs), as
  ``tokens_per_s_per_device``; ``tokens_per_s`` = per GPU x 64 (derived).
* "1-Node (tok/s/GPU)": one node of 8 GPUs, same configuration. Kept for Llama 3.1 8B only: the
  table prints the same 1,135 for the 70B FP8 (micro-batch 4) and 70B BF16 (micro-batch 1) rows,
  which cannot both be measurements of those two runs, so neither is used.
* "Batch": Primus' ``micro_batch_size`` (sequences per GPU per micro-step; Primus' Megatron
  configs name only micro and global batch, and the global batch is not printed), recorded as
  ``micro_batch``; the global batch is left null.
* "FSDP: Yes": Megatron-LM with PyTorch FSDP2 (Primus ``use_torch_fsdp2``), parameters,
  gradients and optimizer states sharded over all data-parallel GPUs (``fsdp: true``); "No":
  Megatron's distributed optimizer (``fsdp: false``, the stack's ZeRO-1).
* Recomputation, sequence parallelism and interconnect are not printed: null. Primus' example
  configs for these models (``AMD-AGI/Primus:examples/megatron/configs/MI325X/``) change between
  commits (micro-batch 1-4, global batch 16-128, block recomputation of up to 72 of 80 layers)
  and the blog names no commit for the measured runs, so none of their values is used.
* Framework: Primus with its Megatron-LM backend (AMD's ROCm fork of Megatron-LM / Megatron-Core),
  read with the package's ``megatron-core`` stack.

Usage::

    python scripts/transcribe_amd_rocm_training.py OUT.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from xpuplan.validation.cases import write_cases

BLOG_URL = "https://rocm.blogs.amd.com/software-tools-optimization/primus-projection/README.html"
BLOG_REPO_PATH = "ROCm/rocm-blogs:blogs/software-tools-optimization/primus-projection/README.md"
BLOG_COMMIT = "5f2d6c1577aea3285f06e2d011ba5730184e1a77"
BLOG_DATE = "2026-05-14"
PAGE_URL = "https://www.amd.com/en/developer/resources/rocm-hub/dev-ai/performance-results.html"

# Docker image key -> (image, release date, Primus version, GPU, table heading in the blog)
IMAGES: dict[str, tuple[str, str, str, str, str]] = {
    "v26.1": (
        "rocm/primus:v26.1",
        "2026-01-21",
        "26.1",
        "mi325x",
        "AMD Instinct MI325X GPU - Dense Models (Llama 3.1)",
    ),
    "v26.2": (
        "rocm/primus:v26.2",
        "2026-04-04",
        "26.2",
        "mi355x",
        "AMD Instinct MI355X GPU - MoE Models (Mixtral 8x22B)",
    ),
}

GPUS: dict[str, dict[str, Any]] = {
    "mi325x": dict(accelerator="AMD Instinct MI325X", accelerator_id="amd-mi325x"),
    "mi355x": dict(accelerator="AMD Instinct MI355X", accelerator_id="amd-mi355x"),
}

# Public architectures (each model's Hugging Face config.json).
MODELS: dict[str, dict[str, Any]] = {
    "llama3.1-8b": dict(
        name="Llama 3.1 8B", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
        vocab=128256, params=8.03e9, moe=None,
    ),
    "llama3.1-70b": dict(
        name="Llama 3.1 70B", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
        vocab=128256, params=70.6e9, moe=None,
    ),
    "mixtral-8x22b": dict(
        name="Mixtral 8x22B", layers=56, hidden=6144, heads=48, kv_heads=8, ffn=16384,
        vocab=32768, params=140.6e9,
        moe=dict(num_experts=8, top_k=2, expert_ffn=16384, total_params=140.6e9,
                 active_params=39.1e9),
    ),
}  # fmt: skip


# (image, model, precision, batch, seq, fsdp, tp, pp, vpp, cp, ep, nodes, tokens/s/GPU, column)
Row = tuple[str, str, str, int, int, bool, int, int, int | None, int, int, int, float, str]
ROWS: list[Row] = [
    ("v26.1", "llama3.1-8b", "fp8", 2, 8192, False, 1, 1, None, 1, 1, 8, 16186, "Measured 8-Node"),
    ("v26.1", "llama3.1-8b", "fp8", 2, 8192, False, 1, 1, None, 1, 1, 1, 16224, "1-Node"),
    ("v26.1", "llama3.1-70b", "fp8", 4, 8192, True, 1, 1, None, 1, 1, 8, 1726, "Measured 8-Node"),
    ("v26.1", "llama3.1-70b", "bf16", 1, 8192, True, 1, 1, None, 1, 1, 8, 1174, "Measured 8-Node"),
    ("v26.2", "mixtral-8x22b", "bf16", 1, 8192, False, 1, 4, 2, 1, 8, 8, 3475, "Measured 8-Node"),
]  # fmt: skip


def case(row: Row) -> dict[str, Any]:
    image_key, key, precision, micro, seq, fsdp, tp, pp, vpp, cp, ep, nodes, per_gpu, column = row
    image, released, primus, gpu, heading = IMAGES[image_key]
    arch = MODELS[key]
    gpus = nodes * 8
    dp = gpus // (tp * pp * cp)
    layout = f"tp{tp}pp{pp}" + (f"vpp{vpp}" if vpp else "") + (f"ep{ep}" if ep > 1 else "")
    fsdp_text = "Yes (PyTorch FSDP2 over all data-parallel GPUs)" if fsdp else "No"
    return {
        "id": f"amd-primus-{primus}-{key}-{gpu}-{gpus}gpu-{precision}-{layout}",
        "source": {
            "title": "ROCm blog 'Primus Projection: Estimate Memory and Performance Before You "
            "Train', reprinting AMD's 'Performance results with AMD ROCm software' (AI Training)",
            "url": BLOG_URL,
            "repo_path": BLOG_REPO_PATH,
            "commit": BLOG_COMMIT,
            "table": f"Validation: Projected vs. Measured Results / {heading} "
            f"(Docker {image}, released {released}); column '{column} (tok/s/GPU)'",
            "as_of": BLOG_DATE,
            "page": PAGE_URL,
        },
        "kind": "train",
        "model": {
            **{k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn")},
            "vocab": arch["vocab"],
            "seq_len": seq,
            "params": arch["params"],
            "moe": arch["moe"],
            "notes": "dims from the model's public config.json (the table names the model)",
        },
        "hardware": {
            **GPUS[gpu],
            "family": "amd",
            "count": gpus,
            "system": None,
            "nodes": nodes,
            "accelerators_per_node": 8,
            "interconnect": None,
        },
        "parallelism": {
            "tp": tp,
            "pp": pp,
            "dp": dp,
            "cp": cp,
            "ep": ep,
            "zero": None,
            "fsdp": fsdp,
            "sequence_parallel": None,
            "recompute": None,
            "virtual_pp": vpp,
            "notes": f"TP/PP/CP/EP{'/VPP' if vpp else ''} and FSDP ({fsdp_text}) as printed; "
            "dp = GPUs / (tp x pp x cp) (derived)",
        },
        "batch": {
            "global_batch_seqs": None,
            "global_batch_tokens": None,
            "micro_batch": micro,
            "per_device_batch": None,
            "grad_accum_steps": None,
            "notes": "the table's 'Batch' column, read as Primus micro_batch_size (sequences per "
            "GPU per micro-step); the global batch is not printed",
        },
        "precision": precision,
        "framework": f"Primus {primus} with its Megatron-LM backend (ROCm Megatron-LM fork, "
        f"Megatron-Core), Docker {image}",
        "metrics": {
            "tokens_per_s": float(per_gpu * gpus),
            "tokens_per_s_per_device": float(per_gpu),
        },
        "conditions": f"'{column} (tok/s/GPU)' as printed, {nodes} node(s) x 8 GPUs; "
        "tokens_per_s = per GPU x GPUs (derived). Pre-training, mock data, Docker image "
        f"{image} released {released}; the blog's 'Projected' column is not read.",
        "confidence": "medium (AMD's measured figures reprinted in an AMD blog; host system, "
        "network, recomputation and global batch not printed)",
        "notes": None,
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
            "AMD Instinct MI325X and MI355X pre-training throughput (Primus, Megatron-LM "
            "backend) from AMD's 'Performance results with AMD ROCm software' page as reprinted "
            "in the ROCm blog 'Primus Projection' (2026-05-14), transcribed by "
            "scripts/transcribe_amd_rocm_training.py. Left out: the 70B rows' 1-node figure "
            "(printed identically for two different runs), the blog's projected figures, and "
            "the page's single-node PyTorch/Megatron-LM/JAX MaxText tables for MI300X/MI325X/"
            "MI355X, which no stored copy of the page reaches."
        ),
        families={"amd": "AMD Instinct"},
        width=120,
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
