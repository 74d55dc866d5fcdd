"""Transcribe NVIDIA's NeMo / Megatron-Bridge training performance tables into validation cases.

Sources (markdown tables in git, read with ``git show`` from a local snapshot):

* ``NVIDIA-NeMo/Megatron-Bridge``: ``docs/performance-summary.md`` and
  ``docs/performance-summary-archive.md`` (NeMo containers 25.09 to 26.08; DGX-H100, B200, B300,
  GB200, GB300; BF16, FP8, MXFP8, NVFP4; pre-training, SFT, LoRA).
* ``NVIDIA/NeMo``: ``docs/source/performance/performance_summary.md`` (NeMo 24.07, DGX-H100, FP8,
  pre-training, SFT and LoRA), when a snapshot of that repository is given.

Usage::

    python scripts/transcribe_nemo_perf.py BRIDGE_GIT_DIR [NEMO_GIT_DIR] OUT.yaml

Rules (also in the output's ``description``):

* One case per table row and precision. A cell ``A (B)`` whose precision cell reads
  ``P1 (P2)`` is two measurements: ``A`` under P1 and ``B`` under P2 (layout cells without
  parentheses apply to both).
* The 25.09 tables carry no precision column and use parentheses for a second, unnamed
  configuration; they are left out rather than guessed.
* Only dense models whose architecture is public and listed in ``MODELS`` are transcribed; MoE
  and hybrid (Mamba) rows are counted in the description and left out.
* Metrics are per GPU as printed: ``tokens_per_s_per_device`` and ``tflops_per_device`` (NVIDIA's
  "Model TFLOP/sec/GPU"); ``tokens_per_s`` (whole system) = per GPU x GPUs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

# Public architectures (Hugging Face config.json of each model; GPT-3 sizes from NeMo's
# GPT-3 configs). vocab: the tokenizer's size.
MODELS: dict[str, dict[str, Any]] = {
    "LLAMA3_8B": {
        "name": "Llama 3 8B",
        "layers": 32,
        "hidden": 4096,
        "heads": 32,
        "kv_heads": 8,
        "ffn": 14336,
        "vocab": 128256,
        "params": 8.03e9,
    },
    "LLAMA3_70B": {
        "name": "Llama 3 70B",
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "ffn": 28672,
        "vocab": 128256,
        "params": 70.6e9,
    },
    "LLAMA3.1_405B": {
        "name": "Llama 3.1 405B",
        "layers": 126,
        "hidden": 16384,
        "heads": 128,
        "kv_heads": 8,
        "ffn": 53248,
        "vocab": 128256,
        "params": 405.9e9,
    },
    "LLAMA2-7B": {
        "name": "Llama 2 7B",
        "layers": 32,
        "hidden": 4096,
        "heads": 32,
        "kv_heads": 32,
        "ffn": 11008,
        "vocab": 32000,
        "params": 6.74e9,
    },
    "LLAMA2-13B": {
        "name": "Llama 2 13B",
        "layers": 40,
        "hidden": 5120,
        "heads": 40,
        "kv_heads": 40,
        "ffn": 13824,
        "vocab": 32000,
        "params": 13.0e9,
    },
    "LLAMA2-70B": {
        "name": "Llama 2 70B",
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "ffn": 28672,
        "vocab": 32000,
        "params": 68.98e9,
    },
    "GPT3-175B": {
        "name": "GPT-3 175B",
        "layers": 96,
        "hidden": 12288,
        "heads": 96,
        "kv_heads": 96,
        "ffn": 49152,
        "vocab": None,
        "params": 175e9,
    },
    "LLAMA3-8B": None,  # aliases filled below
    "LLAMA3-70B": None,
}
MODELS["LLAMA3-8B"] = MODELS["LLAMA3_8B"]
MODELS["LLAMA3-70B"] = MODELS["LLAMA3_70B"]

SYSTEMS = {
    "DGX-H100": ("NVIDIA H100 SXM 80GB (DGX-H100)", "nvidia-h100-sxm", 8),
    "DGX-B200": ("NVIDIA B200 (DGX-B200)", "nvidia-b200", 8),
    "DGX-B300": ("NVIDIA B300 (DGX-B300)", "nvidia-b300", 8),
    "DGX-GB200": ("NVIDIA GB200 (DGX-GB200 NVL72)", "nvidia-gb200", 4),
    "DGX-GB300": ("NVIDIA GB300 (DGX-GB300 NVL72)", "nvidia-gb300", 4),
}

PRECISIONS = {
    "BF16": "bf16",
    "FP8": "fp8",
    "FP8-CS": "fp8",
    "FP8-DS": "fp8",
    "FP8-MX": "mxfp8",
    "MXFP8": "mxfp8",
    "NVFP4": "nvfp4",
}


def git_show(repo: Path, path: str, ref: str = "HEAD") -> tuple[str, str]:
    """The last commit at or before ``ref`` that touched ``path``, and the file there."""
    commit = subprocess.run(
        ["git", "--git-dir", str(repo), "log", "-1", "--format=%H", ref, "--", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    text = subprocess.run(
        ["git", "--git-dir", str(repo), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return commit, text


def _split(cell: str) -> tuple[str, str | None]:
    """``'A (B)'`` -> ``('A', 'B')``; ``'A'`` -> ``('A', None)``."""
    m = re.fullmatch(r"\s*([^()]*?)\s*\(([^()]*)\)\s*", cell)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    return cell.strip(), None


def _num(cell: str | None) -> float | None:
    if cell is None:
        return None
    cell = cell.replace(",", "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", cell):
        return float(cell)
    return None


def _int(cell: str | None) -> int | None:
    v = _num(cell)
    return int(v) if v is not None else None


def tables(text: str) -> list[dict[str, Any]]:
    """Every markdown table with the headings it sits under."""
    out: list[dict[str, Any]] = []
    release = task = model = system = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if m := re.match(r"^##\s+(\S+)\s+NeMo Container", line):
            release, task, model, system = m.group(1), "Pre-Training", None, None
        elif m := re.match(r"^###\s+(.*?)\s+Performance", line):
            task = m.group(1)
            model = system = None
        elif m := re.match(r"^####\s+Model:\s*(.+?)\s*$", line):
            model, system = m.group(1), None
        elif m := re.match(r"^####\s+System:\s*(\S+)", line):
            system, model = m.group(1), None
        elif (
            line.startswith("|")
            and i + 1 < len(lines)
            and re.match(r"^\|[-| :]+\|$", lines[i + 1].strip())
        ):
            header = [c.strip() for c in line.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            out.append(
                {
                    "release": release,
                    "task": task,
                    "model": model,
                    "system": system,
                    "header": header,
                    "rows": rows,
                }
            )
            continue
        i += 1
    return out


def _col(header: list[str], *names: str) -> int | None:
    for n in names:
        for k, h in enumerate(header):
            if h.lower().replace(" ", "") == n.lower().replace(" ", ""):
                return k
    return None


def cases_from(
    text: str, repo_name: str, path: str, commit: str, default_precision: str | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    cases: list[dict[str, Any]] = []
    left_out: dict[str, int] = {}
    for table in tables(text):
        h = table["header"]
        release = table["release"] or "24.07"
        if release == "25.09":
            left_out["25.09 (no precision column, unnamed parenthetical configs)"] = left_out.get(
                "25.09 (no precision column, unnamed parenthetical configs)", 0
            ) + len(table["rows"])
            continue
        idx = {
            key: _col(h, *names)
            for key, names in {
                "model": ("Model",),
                "system": ("System",),
                "task": ("Task",),
                "gpus": ("#-GPUs", "#GPUs"),
                "precision": ("Precision",),
                "gbs": ("GBS",),
                "mbs": ("MBS",),
                "seq": ("Sequence Length", "Packed Sequence Length"),
                "fsdp": ("FSDP",),
                "tp": ("TP",),
                "pp": ("PP",),
                "cp": ("CP",),
                "vp": ("VP",),
                "ep": ("EP",),
                "ga": ("GA",),
                "tok": ("Tokens / sec / GPU",),
                "tflops": ("Model TFLOP / sec / GPU",),
            }.items()
        }
        for row in table["rows"]:
            if len(row) != len(h):
                left_out["rows whose cell count differs from the header"] = (
                    left_out.get("rows whose cell count differs from the header", 0) + 1
                )
                continue

            def cell(key: str, r: list[str] = row, ix: dict[str, int | None] = idx) -> str | None:
                k = ix[key]
                return r[k] if k is not None else None

            model_key = (cell("model") or table["model"] or "").split(" (")[0].strip()
            system_key = cell("system") or table["system"] or "DGX-H100"
            task = cell("task") or table["task"] or "Pre-Training"
            arch = MODELS.get(model_key)
            if arch is None:
                left_out[f"model not transcribed (MoE/hybrid/unknown dims): {model_key}"] = (
                    left_out.get(f"model not transcribed (MoE/hybrid/unknown dims): {model_key}", 0)
                    + 1
                )
                continue
            if system_key not in SYSTEMS:
                left_out[f"system {system_key}"] = left_out.get(f"system {system_key}", 0) + 1
                continue
            prec_cell = cell("precision") or default_precision or ""
            p1, p2 = _split(prec_cell)
            variants = [(p1, 0)] + ([(p2, 1)] if p2 else [])
            for prec_raw, which in variants:

                def pick(key: str, w: int = which) -> str | None:
                    c = cell(key)
                    if c is None:
                        return None
                    a, b = _split(c)
                    return b if (w == 1 and b is not None) else a

                precision = PRECISIONS.get(prec_raw.upper())
                tok = _num(pick("tok"))
                gpus = _int(pick("gpus"))
                if precision is None or tok is None or gpus is None:
                    left_out["rows without precision, GPU count or throughput"] = (
                        left_out.get("rows without precision, GPU count or throughput", 0) + 1
                    )
                    continue
                acc_name, acc_id, per_node = SYSTEMS[system_key]
                tp, pp, cp = _int(pick("tp")), _int(pick("pp")), _int(pick("cp"))
                ep = _int(pick("ep"))
                vp = _int(pick("vp"))
                fsdp_raw = pick("fsdp")
                fsdp = None if fsdp_raw is None else (_int(fsdp_raw) or 0) > 0
                dp = None
                if tp and pp and gpus % (tp * pp * (cp or 1)) == 0:
                    dp = gpus // (tp * pp * (cp or 1))
                seq = _int(pick("seq"))
                gbs = _int(pick("gbs"))
                tflops = _num(pick("tflops"))
                task_l = task.lower()
                kind_tag = "lora" if "lora" in task_l else "sft" if "sft" in task_l else "pretrain"
                case_id = (
                    f"nemo-{release}-{kind_tag}-{model_key}-{system_key}-{gpus}gpu-{prec_raw}"
                    f"-tp{tp}pp{pp}cp{cp}vp{vp}-mbs{pick('mbs')}-gbs{gbs}"
                ).lower()
                case_id = re.sub(r"[^a-z0-9.]+", "-", case_id).strip("-")
                case: dict[str, Any] = {
                    "id": case_id,
                    "source": {
                        "title": f"NVIDIA NeMo {release} container performance summary ({task})",
                        "url": f"https://github.com/{repo_name}/blob/{commit}/{path}",
                        "repo_path": f"{repo_name}:{path}",
                        "commit": commit,
                        "table": f"## {release} NeMo Container / {task} / "
                        + (
                            f"Model: {table['model']}"
                            if table["model"]
                            else f"System: {system_key}"
                        ),
                    },
                    "kind": "train",
                    "model": {
                        "name": arch["name"],
                        "layers": arch["layers"],
                        "hidden": arch["hidden"],
                        "heads": arch["heads"],
                        "kv_heads": arch["kv_heads"],
                        "ffn": arch["ffn"],
                        "vocab": arch["vocab"],
                        "seq_len": seq,
                        "params": arch["params"],
                        "moe": None,
                        "notes": "dims from the model's public config (the table names the model)",
                    },
                    "hardware": {
                        "accelerator": acc_name,
                        "accelerator_id": acc_id,
                        "family": "nvidia",
                        "count": gpus,
                        "system": system_key,
                        "nodes": gpus // per_node if gpus % per_node == 0 else None,
                        "accelerators_per_node": per_node,
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
                        "virtual_pp": vp,
                        "notes": "layout as printed; dp = GPUs / (tp x pp x cp) (derived)"
                        + ("; FSDP column > 0 (Megatron FSDP)" if fsdp else ""),
                    },
                    "batch": {
                        "global_batch_seqs": gbs,
                        "global_batch_tokens": gbs * seq if gbs and seq else None,
                        "micro_batch": _int(pick("mbs")),
                        "per_device_batch": None,
                        "grad_accum_steps": _int(pick("ga")),
                    },
                    "precision": precision,
                    "framework": f"NeMo {release} container"
                    + (
                        " (Megatron-Bridge)"
                        if "Bridge" in repo_name
                        else " (NeMo 2 / Megatron-Core)"
                    ),
                    "metrics": {
                        "tokens_per_s_per_device": tok,
                        "tokens_per_s": tok * gpus,
                        "tflops_per_device": tflops,
                    },
                    "conditions": (
                        f"{task} throughput per GPU as printed by NVIDIA (tokens/sec/GPU; "
                        "'Model TFLOP/sec/GPU' by NVIDIA's model-FLOP convention). Precision "
                        f"cell '{prec_cell}' -> this case is '{prec_raw}'. tokens_per_s = per GPU "
                        "x GPUs "
                        "(derived). Synthetic or packed data, steady state; NVIDIA performance "
                        "recipes (scripts/performance in Megatron-Bridge)."
                    ),
                    "confidence": "high (vendor table, transcribed by script)",
                    "notes": None,
                }
                if kind_tag == "lora":
                    case["finetune"] = {
                        "method": "lora",
                        "rank": None,
                        "alpha": None,
                        "targets": None,
                        "notes": "rank and targets not printed in the table",
                    }
                if kind_tag == "sft":
                    case["notes"] = "full-parameter supervised fine-tuning (SFT), packed sequences"
                cases.append(case)
    return cases, left_out


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__)
        return 2
    out = Path(argv[-1])
    bridge = Path(argv[1])
    all_cases: list[dict[str, Any]] = []
    left: dict[str, int] = {}
    sources = [
        (bridge, "NVIDIA-NeMo/Megatron-Bridge", "docs/performance-summary.md", None, "HEAD"),
        (
            bridge,
            "NVIDIA-NeMo/Megatron-Bridge",
            "docs/performance-summary-archive.md",
            None,
            "HEAD",
        ),
    ]
    if len(argv) == 4:
        # NVIDIA/NeMo removed this page in d31653f792 (moved to the docs site); the version
        # before that commit is the NeMo 24.07 table ("at FP8 precision" says its text).
        sources.append(
            (
                Path(argv[2]),
                "NVIDIA/NeMo",
                "docs/source/performance/performance_summary.md",
                "FP8",
                "d31653f792^",
            )
        )
    for repo, name, path, default_precision, ref in sources:
        commit, text = git_show(repo, path, ref)
        cases, left_out = cases_from(text, name, path, commit, default_precision)
        all_cases.extend(cases)
        for k, v in left_out.items():
            left[k] = left.get(k, 0) + v
    seen: set[str] = set()
    unique = []
    for c in all_cases:
        if c["id"] in seen:
            continue  # a release printed on both pages
        seen.add(c["id"])
        unique.append(c)
    doc = {
        "schema_version": 1,
        "description": (
            "NVIDIA NeMo / Megatron-Bridge published training performance tables (tokens/sec/GPU, "
            "model TFLOP/sec/GPU, layouts) transcribed by scripts/transcribe_nemo_perf.py. "
            "Dense models only. Left out (rows): "
            + "; ".join(f"{k}: {v}" for k, v in sorted(left.items()))
        ),
        "families": {"nvidia": "NVIDIA GPUs"},
        "cases": unique,
    }
    out.write_text(yaml.safe_dump(doc, sort_keys=False, width=120), encoding="utf-8")
    print(
        f"wrote {len(unique)} cases to {out}; left out {sum(left.values())} rows", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
