"""Intel Gaudi 2 published LLM training throughput -> validation cases.

Source: Intel's "Model Performance Data for Intel Gaudi 2 AI Accelerators" training page
(https://www.intel.com/content/www/us/en/developer/platform/gaudi/model-performance-gaudi2-training.html),
table "Large Language Model (LLM) Throughput: Intel Gaudi 2 Accelerator", in two published
versions: Intel Gaudi software (SynapseAI) 1.18.0 with PyTorch 2.4.0, and 1.19.0 with PyTorch 2.5.1.
The page is HTML (no repository); ``ROWS`` below were transcribed by hand from the page text
(columns: model, # HPU, sequence length, precision, batch size, throughput tokens/sec), one row
per table row, numbers unchanged. The page prints no layout and no framework for these rows.

Layout: where ``HabanaAI/Megatron-DeepSpeed`` README (commit 470cc02) gives an example command for
the same model, HPU count and precision, its TP/PP/DP, micro-batch and ZeRO stage are recorded with
a note saying so; otherwise null. "Batch Size" is recorded as the global batch in sequences
(the README's recipes set the global batch; the page does not say which batch it means), with a
note.

Usage::

    python scripts/transcribe_gaudi_perf.py OUT.yaml
"""

from __future__ import annotations

import sys
from typing import Any

from xpuplan.validation.cases import write_cases

URL = (
    "https://www.intel.com/content/www/us/en/developer/platform/gaudi/"
    "model-performance-gaudi2-training.html"
)
README = "HabanaAI/Megatron-DeepSpeed:README.md (commit 470cc029c8df028891f1a38e162da459d36dc0ae)"

# (software version, PyTorch version, model key, HPUs, seq len, precision, batch, tokens/s)
ROWS: list[tuple[str, str, str, int, int, str, int, float]] = [
    ("1.18.0", "2.4.0", "llama2-7b", 8, 4096, "fp8", 1024, 68464),
    ("1.18.0", "2.4.0", "llama2-13b", 16, 4096, "fp8", 256, 58282),
    ("1.18.0", "2.4.0", "llama2-70b", 64, 4096, "fp8", 1024, 54274),
    ("1.18.0", "2.4.0", "llama3.1-8b", 8, 8192, "fp8", 128, 36309),
    ("1.18.0", "2.4.0", "llama3.1-70b", 64, 8192, "fp8", 128, 43677),
    ("1.19.0", "2.5.1", "llama2-7b", 8, 4096, "fp8", 1024, 70523),
    ("1.19.0", "2.5.1", "llama2-13b", 16, 4096, "fp8", 256, 59397),
    ("1.19.0", "2.5.1", "llama2-70b", 64, 4096, "fp8", 1024, 54614),
    ("1.19.0", "2.5.1", "llama3.1-8b", 8, 8192, "fp8", 128, 37440),
    ("1.19.0", "2.5.1", "llama3.1-70b", 64, 8192, "fp8", 128, 43332),
]

# Public architectures (each model's Hugging Face config.json).
MODELS: dict[str, dict[str, Any]] = {
    "llama2-7b": dict(
        name="Llama 2 7B", layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008,
        vocab=32000, params=6.74e9,
    ),
    "llama2-13b": dict(
        name="Llama 2 13B", layers=40, hidden=5120, heads=40, kv_heads=40, ffn=13824,
        vocab=32000, params=13.0e9,
    ),
    "llama2-70b": dict(
        name="Llama 2 70B", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
        vocab=32000, params=68.98e9,
    ),
    "llama3.1-8b": dict(
        name="Llama 3.1 8B", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
        vocab=128256, params=8.03e9,
    ),
    "llama3.1-70b": dict(
        name="Llama 3.1 70B", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
        vocab=128256, params=70.6e9,
    ),
}  # fmt: skip

# README example commands matching (model, HPUs, precision): tp, pp, dp, micro-batch, zero, ckpt.
README_LAYOUTS: dict[tuple[str, int], dict[str, Any]] = {
    ("llama3.1-8b", 8): dict(tp=4, pp=1, dp=2, micro=None, zero=1, ckp="HL_CKP_ACT=2"),
    ("llama3.1-70b", 64): dict(tp=8, pp=1, dp=8, micro=None, zero=1, ckp="HL_CKP_ACT=2"),
    ("llama2-13b", 16): dict(tp=2, pp=2, dp=4, micro=2, zero=1, ckp="HL_CKP_ACT=2"),
    ("llama2-7b", 8): dict(tp=1, pp=1, dp=8, micro=1, zero=1, ckp="HL_CKP_ACT=2"),
}


def case(row: tuple[str, str, str, int, int, str, int, float]) -> dict[str, Any]:
    version, torch_version, key, hpus, seq, precision, batch, tokens_per_s = row
    arch = MODELS[key]
    layout = README_LAYOUTS.get((key, hpus))
    if layout:
        par_note = (
            f"Not printed on the performance page. From the {README} example command for the "
            f"same model, HPU count and precision ({layout['ckp']}); our mapping."
        )
    else:
        par_note = "Not printed on the performance page; no matching README example."
    return {
        "id": f"gaudi2-intel-perf-{version}-{key}-{hpus}hpu-{precision}",
        "source": {
            "title": f"Intel Gaudi 2 model performance data, training (software {version})",
            "url": URL,
            "repo_path": None,
            "commit": None,
            "table": "Large Language Model (LLM) Throughput: Intel Gaudi 2 Accelerator",
        },
        "kind": "train",
        "model": {
            **{k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn")},
            "vocab": arch["vocab"],
            "seq_len": seq,
            "params": arch["params"],
            "moe": None,
            "notes": "dims from the model's public config.json (the page names the model)",
        },
        "hardware": {
            "accelerator": "Intel Gaudi 2 (HL-225H)",
            "accelerator_id": "intel-gaudi2",
            "family": "intel",
            "count": hpus,
            "system": "HLS-Gaudi2 (8 x HL-225H, 2 x Xeon Platinum 8380)",
            "nodes": hpus // 8,
            "accelerators_per_node": 8,
            "interconnect": None,
        },
        "parallelism": {
            "tp": layout["tp"] if layout else None,
            "pp": layout["pp"] if layout else None,
            "dp": layout["dp"] if layout else None,
            "cp": None,
            "ep": None,
            "zero": layout["zero"] if layout else None,
            "fsdp": None,
            "sequence_parallel": None,
            "recompute": None,
            "virtual_pp": None,
            "notes": par_note,
        },
        "batch": {
            "global_batch_seqs": batch,
            "global_batch_tokens": batch * seq,
            "micro_batch": layout["micro"] if layout else None,
            "per_device_batch": None,
            "grad_accum_steps": None,
            "notes": "the page's 'Batch Size' column, read as the global batch in sequences",
        },
        "precision": precision,
        "framework": f"Intel Gaudi software {version}, PyTorch {torch_version} "
        "(training framework not printed for these rows)",
        "metrics": {
            "tokens_per_s": float(tokens_per_s),
            "tokens_per_s_per_device": round(tokens_per_s / hpus, 1),
        },
        "conditions": "Throughput (tokens/sec) as printed, whole system of '# HPU' cards; "
        "tokens_per_s_per_device = tokens_per_s / HPUs (derived).",
        "confidence": "medium (vendor table transcribed by hand; layout from README examples)",
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
            "Intel Gaudi 2 LLM training throughput from Intel's model performance page "
            "(software 1.18.0 and 1.19.0), transcribed by scripts/transcribe_gaudi_perf.py. "
            "Gaudi 3 training figures were not found in a form we could read; left out."
        ),
        families={"intel": "Intel Gaudi"},
        width=120,
    )
    print(f"wrote {len(cases)} cases to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
