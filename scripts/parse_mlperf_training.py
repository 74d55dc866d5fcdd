"""Parse MLPerf Training v3.1 / v4.0 closed-division result logs into validation cases.

Reads a local git snapshot of ``mlcommons/training_results_v3.1`` or ``_v4.0`` (no work tree
needed: files are read with ``git show``) and writes one YAML file in the schema of
``src/xpuplan/validation/data/public.yaml`` with one ``train`` case per (system, benchmark):
GPT-3 175B (``gpt3``) and Llama-2-70B LoRA (``llama2_70b_lora``).

Usage::

    python scripts/parse_mlperf_training.py REPO_GIT_DIR ROUND OUT.yaml
    # e.g. /work/.mirror/mlcommons+training_results_v4.0/repo v4.0 \
    #      src/xpuplan/validation/data/mlperf-training-v4.0.yaml

How throughput is taken from a log (``:::MLLOG`` JSON lines):

* Progress (trained amount) is read from event metadata: ``samples_count`` (LoRA: sequences),
  ``epoch_num`` / ``first_epoch_num`` + ``epoch_count`` (GPT-3: tokens; the GPT-3 benchmark counts
  training progress in tokens, 2,048 per sequence).
* With ``eval_start``/``eval_stop`` markers the training segments are run_start -> first
  eval_start and each eval_stop -> next eval_start; eval time is excluded. The first segment
  (compilation, warm-up) is dropped and the rest summed: steady-state throughput =
  sum(progress) / sum(time).
* Without eval markers but with ``block_start``/``block_stop``, the blocks (which then include
  the evaluation) are used the same way; ``conditions`` says so.
* Otherwise the run average (final progress / (run_stop - run_start)).

Per system the case reports the median over its converged runs, and the mean samples to
convergence. The layout (TP, PP, CP, virtual PP, micro-batch, fp8) comes from the submitter's
``config_*.sh`` when one matches the system's node count unambiguously; else it is null.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCHMARKS = ("gpt3", "llama2_70b_lora")
GPT3_SEQ_LEN = 2048  # MLPerf GPT-3 rules: sequence length 2,048 (C4, SentencePiece)
LORA_SEQ_LEN = 8192  # MLPerf Llama-2-70B LoRA rules: 8,192 tokens, SCROLLS GovReport

# Public architecture facts (GPT-3: Brown et al. 2020 Table 2.1; Llama 2 70B: its config.json).
MODELS: dict[str, dict[str, Any]] = {
    "gpt3": {
        "name": "GPT-3 175B (MLPerf Training gpt3)",
        "layers": 96,
        "hidden": 12288,
        "heads": 96,
        "kv_heads": 96,
        "ffn": 49152,
        "vocab": None,
        "seq_len": GPT3_SEQ_LEN,
        "params": 175e9,
        "moe": None,
        "notes": "GPT-3 175B dims (Brown et al. 2020); vocab of the MLPerf C4 SentencePiece "
        "model not stated in the logs. Training resumes from the reference checkpoint "
        "(init_checkpoint_step in the log).",
    },
    "llama2_70b_lora": {
        "name": "Llama 2 70B (MLPerf Training llama2_70b_lora)",
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "ffn": 28672,
        "vocab": 32000,
        "seq_len": LORA_SEQ_LEN,
        "params": 68.98e9,
        "moe": None,
        "notes": "meta-llama/Llama-2-70b-hf config.json; LoRA fine-tuning on SCROLLS "
        "GovReport, sequences packed/padded to 8,192 tokens.",
    },
}

ACCELERATORS: list[tuple[str, str, str]] = [
    # (regex on the system json's accelerator_model_name, accelerator_id, family)
    (r"H100.*PCI", "nvidia-h100-pcie", "nvidia"),
    (r"H100.*NVL", "nvidia-h100-nvl", "nvidia"),
    (r"H100", "nvidia-h100-sxm", "nvidia"),
    (r"H200", "nvidia-h200-sxm", "nvidia"),
    (r"A100.*80", "nvidia-a100-80gb-sxm", "nvidia"),
    (r"A100", "nvidia-a100-40gb-sxm", "nvidia"),
    (r"L40S", "nvidia-l40s", "nvidia"),
    (r"Gaudi.*2", "intel-gaudi2", "intel"),
    (r"v5p", "google-tpu-v5p", "tpu"),
    (r"v5e|v5l|v5 ?lite", "google-tpu-v5e", "tpu"),
    (r"MI300X", "amd-mi300x", "amd"),
]

SKIP_PARTS = ("/NeMo/", "/Megatron-LM/", "/TransformerEngine/", "/apex/", "/3rdparty/")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        errors="replace",
    ).stdout


def read(repo: Path, path: str) -> str:
    return git(repo, "show", f"HEAD:{path}")


@dataclass
class Run:
    path: str
    converged: bool
    throughput: float | None  # progress units per second
    method: str
    progress_final: float | None
    keys: dict[str, Any] = field(default_factory=dict)


def _events(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        i = line.find(":::MLLOG ")
        if i < 0:
            continue
        try:
            out.append(json.loads(line[i + 9 :]))
        except json.JSONDecodeError:
            continue
    return out


def _progress(event: dict[str, Any]) -> float | None:
    meta = event.get("metadata") or {}
    for key in ("samples_count", "epoch_num"):
        if isinstance(meta.get(key), int | float):
            return float(meta[key])
    return None


def parse_log(path: str, text: str) -> Run:
    events = _events(text)
    keys: dict[str, Any] = {}
    for e in events:
        if e.get("event_type") == "POINT_IN_TIME" and e["key"] not in (
            "tracked_stats",
            "eval_accuracy",
        ):
            keys.setdefault(e["key"], e.get("value"))
    run_start = next((e for e in events if e["key"] == "run_start"), None)
    run_stop = next((e for e in events if e["key"] == "run_stop"), None)
    converged = bool(run_stop and (run_stop.get("metadata") or {}).get("status") == "success")
    # Final progress: run_stop's samples_count, else the last eval's epoch_num / samples_count.
    final = _progress(run_stop) if run_stop else None
    if final is None:
        evals = [_progress(e) for e in events if e["key"] in ("eval_accuracy", "eval_stop")]
        evals = [p for p in evals if p is not None]
        final = max(evals) if evals else None
    segments: list[tuple[float, float]] = []  # (progress, seconds)
    method = "run average"
    starts = [e for e in events if e["key"] == "eval_start"]
    stops = [e for e in events if e["key"] == "eval_stop"]
    if run_start and starts and stops:
        t0, p0 = run_start["time_ms"], 0.0
        stop_iter = iter(sorted(stops, key=lambda e: e["time_ms"]))
        for s in sorted(starts, key=lambda e: e["time_ms"]):
            p = _progress(s)
            if p is None:
                segments = []
                break
            if p > p0 and s["time_ms"] > t0:
                segments.append((p - p0, (s["time_ms"] - t0) / 1000))
            nxt = next(stop_iter, None)
            if nxt is None:
                break
            t0, p0 = nxt["time_ms"], _progress(nxt) or p
        if segments:
            method = "steady state between evaluations (eval time excluded, first block dropped)"
    if not segments:
        opened: dict[str, Any] | None = run_start  # a first block may open at run_start
        last_stop = 0.0
        for e in events:
            if e["key"] == "block_start":
                opened = e
            elif e["key"] == "block_stop" and opened is not None:
                # Amount: the stop's progress minus the previous stop's (some loggers write
                # block_start's samples_count in steps, so it is not trusted), else the start's
                # epoch_count.
                stop_p = _progress(e)
                count = (opened.get("metadata") or {}).get("epoch_count")
                if stop_p is not None:
                    amount, last_stop = stop_p - last_stop, stop_p
                elif isinstance(count, int | float):
                    amount = float(count)
                else:
                    amount = 0.0
                seconds = (e["time_ms"] - opened["time_ms"]) / 1000
                if amount > 0 and seconds > 0:
                    segments.append((amount, seconds))
                opened = None
        if segments:
            method = (
                "steady state over block_start/block_stop blocks (first block dropped); the log "
                "has no eval_start/eval_stop markers, so evaluation time inside blocks is included"
            )
    throughput: float | None = None
    if len(segments) >= 2:
        use = segments[1:]
        throughput = sum(a for a, _ in use) / sum(s for _, s in use)
    elif run_start and run_stop and final:
        throughput = final / ((run_stop["time_ms"] - run_start["time_ms"]) / 1000)
        method = "run average (run_start to run_stop, evaluations included)"
    return Run(path, converged, throughput, method, final, keys)


# --- submitter config scripts -------------------------------------------------------------

_EXPORT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$")


def _shell_value(raw: str, env: dict[str, str]) -> str | None:
    value = raw.split(" #", 1)[0].strip().strip("'\"")

    def assign(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name not in env:
            env[name] = default
        return env[name]

    value = re.sub(r"\$\{(\w+):=([^}]*)\}", assign, value)
    value = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1), m.group(2)), value)
    value = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)
    if "$(" in value or "`" in value:
        return None
    return value


def eval_config(repo: Path, path: str, env: dict[str, str], depth: int = 0) -> dict[str, str]:
    """Evaluate the ``export`` lines of a config script (and the scripts it sources)."""
    folder = path.rsplit("/", 1)[0]
    try:
        text = read(repo, path)
    except subprocess.CalledProcessError:
        return env
    in_if = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if re.match(r"^if\b", stripped):
            in_if += 1
            continue
        if stripped.startswith("fi"):
            in_if = max(0, in_if - 1)
            continue
        if in_if:
            continue  # conditional branches are not evaluated
        src = re.match(r"^(?:source|\.)\s+.*?/?([\w.-]+\.sh)\s*$", stripped)
        if src and depth < 3:
            eval_config(repo, f"{folder}/{src.group(1)}", env, depth + 1)
            continue
        m = _EXPORT.match(stripped)
        if m:
            value = _shell_value(m.group(2), env)
            if value is not None:
                env[m.group(1)] = value
    return env


def find_config(
    repo: Path,
    files: list[str],
    submitter: str,
    bench: str,
    system: str,
    nodes: int,
    per_node: int,
    chip: str,
) -> tuple[str | None, str]:
    """The submitter's config script for this system, when exactly one fits its size."""
    prefix = f"{submitter}/benchmarks/{bench}/"
    configs = [
        f
        for f in files
        if f.startswith(prefix)
        and re.search(r"/config_[^/]*\.sh$", f)
        and not any(p in f for p in SKIP_PARTS)
        and not re.search(r"config_(common|fp8|shared)", f)
    ]
    exact = [f for f in configs if system.lower() in f.lower()]
    if len(exact) == 1:
        return exact[0], "config named after the system"
    by_nodes = [f for f in configs if re.search(rf"/config_[A-Za-z0-9-]*_{nodes}x{per_node}x", f)]
    if chip and len({f.rsplit("/", 1)[1] for f in by_nodes}) > 1:
        by_nodes = [f for f in by_nodes if chip.lower() in f.rsplit("/", 1)[1].lower()]
    names = {f.rsplit("/", 1)[1] for f in by_nodes}
    if len(names) == 1:
        return by_nodes[0], "config whose name starts with the system's node count"
    if not configs:
        return None, "no config script found"
    return None, f"no unambiguous config among {len(configs)} for {nodes} nodes"


def _int(env: dict[str, str], *names: str) -> int | None:
    for n in names:
        v = env.get(n)
        if v is not None and re.fullmatch(r"\d+", v.strip()):
            return int(v)
    return None


def _truthy(v: str | None) -> bool | None:
    if v is None:
        return None
    return v.strip().lower() in ("1", "true", "yes")


def other_layout(
    repo: Path, files: list[str], submitter: str, bench: str, system: str, nodes: int
) -> tuple[dict[str, Any], str | None]:
    """Layout from a submitter's launch script or README when there is no NVIDIA-style config.

    * MaxText (Google, v4.0): ``<impl>/<tpu>.sh`` named after the slice (e.g. ``v5p-1024``),
      its ``ici_*``/``dcn_*_parallelism``, ``per_device_batch_size``, ``quantization`` and
      ``remat_policy``.
    * Megatron-DeepSpeed (Intel, v4.0): the README's ``run`` command with ``--num-nodes <nodes>``.
    * PAX (Google, v3.1): the README's run line names the experiment; ``...Int8`` with
      ``ENABLE_LOCAL_AQT=true`` means int8 (AQT) matmuls. No layout.
    """
    prefix = f"{submitter}/benchmarks/{bench}/"
    slice_name = re.search(r"(v\d+[a-z]*-\d+)", system)
    if slice_name:
        scripts = [
            f for f in files if f.startswith(prefix) and f.endswith(f"/{slice_name.group(1)}.sh")
        ]
        if len(scripts) == 1:
            text = read(repo, scripts[0])
            found = {
                k: int(v) for k, v in re.findall(r"\b((?:ici|dcn)_[a-z]+_parallelism)=(\d+)", text)
            }

            def axis(name: str) -> int:
                return found.get(f"ici_{name}_parallelism", 1) * found.get(
                    f"dcn_{name}_parallelism", 1
                )

            pdb = re.search(r"\bper_device_batch_size=([\d.]+)", text)
            quant = re.search(r"\bquantization=(\w+)", text)
            remat = re.search(r"\bremat_policy=(\w+)", text)
            if found:
                return {
                    "tp": axis("tensor"),
                    "fsdp_degree": axis("fsdp"),
                    "data": axis("data"),
                    "per_device_batch": float(pdb.group(1)) if pdb else None,
                    "precision": quant.group(1) if quant else None,
                    "recompute": remat.group(1) if remat else None,
                    "mesh": ", ".join(f"{k}={v}" for k, v in sorted(found.items())),
                }, scripts[0]
    readmes = [
        f for f in files if f.startswith(prefix) and f.endswith("README.md") and f.count("/") <= 5
    ]
    for path in readmes:
        text = read(repo, path)
        for line in text.splitlines():
            if (
                re.search(rf"--num-nodes {nodes}\b", line)
                and "--tensor-model-parallel-size" in line
            ):

                def flag(name: str, src: str = line) -> int | None:
                    m = re.search(rf"--{name} (\d+)", src)
                    return int(m.group(1)) if m else None

                return {
                    "tp": flag("tensor-model-parallel-size"),
                    "pp": flag("pipeline-model-parallel-size"),
                    "dp": flag("data-parallel-size"),
                    "micro": flag("micro-batch-size"),
                    "precision": "fp8" if "--use-fp8" in line else None,
                }, path
        m = re.search(r"ENABLE_LOCAL_AQT=true.*EXP_NAME=(\w*Int8\w*)", text)
        if m:
            return {"precision": "int8", "note": f"experiment {m.group(1)}"}, path
    return {}, None


# --- cases --------------------------------------------------------------------------------


def accelerator(name: str) -> tuple[str | None, str | None]:
    for pattern, acc_id, family in ACCELERATORS:
        if re.search(pattern, name, re.IGNORECASE):
            return acc_id, family
    return None, None


def build_case(
    repo: Path, round_: str, commit: str, files: list[str], submitter: str, system: str, bench: str
) -> tuple[dict[str, Any] | None, str]:
    sys_path = f"{submitter}/systems/{system}.json"
    try:
        sysinfo = json.loads(read(repo, sys_path))
    except (subprocess.CalledProcessError, json.JSONDecodeError):
        return None, f"{sys_path}: missing or unreadable"
    if str(sysinfo.get("division", "")).lower() != "closed":
        return None, f"{system}: division {sysinfo.get('division')!r}"
    acc_name = str(sysinfo.get("accelerator_model_name", ""))
    acc_id, family = accelerator(acc_name)
    if acc_id is None or family is None:
        return None, f"{system}: accelerator {acc_name!r} not in the catalog map"
    nodes = int(str(sysinfo.get("number_of_nodes", "0")) or 0)
    per_node = int(str(sysinfo.get("accelerators_per_node", "0")) or 0)
    count = nodes * per_node
    logs = sorted(
        f
        for f in files
        if re.fullmatch(
            rf"{re.escape(submitter)}/results/{re.escape(system)}/{bench}/result_[^/]+\.txt", f
        )
    )
    runs = [parse_log(f, read(repo, f)) for f in logs]
    good = [r for r in runs if r.converged and r.throughput]
    if not good or count <= 0:
        return None, f"{system}/{bench}: no converged run with a throughput ({len(runs)} logs)"
    keys = good[0].keys
    if str(keys.get("submission_division", "closed")).lower() != "closed":
        return None, f"{system}/{bench}: log division {keys.get('submission_division')!r}"
    gbs = keys.get("global_batch_size")
    gas = keys.get("gradient_accumulation_steps")
    throughput = statistics.median(r.throughput for r in good if r.throughput)
    progress = statistics.mean(r.progress_final for r in good if r.progress_final)
    methods = sorted({r.method for r in good})
    if bench == "gpt3":
        seq_len = int(keys.get("max_sequence_length") or GPT3_SEQ_LEN)
        tokens_per_s = throughput
        seqs_per_s = throughput / seq_len
        samples_to_converge = progress / seq_len
    else:
        seq_len = LORA_SEQ_LEN
        seqs_per_s = throughput
        tokens_per_s = throughput * seq_len
        samples_to_converge = progress
    step_time_s = (gbs / seqs_per_s) if isinstance(gbs, int) and gbs > 0 else None

    cfg_path, cfg_how = find_config(
        repo, files, submitter, bench, system, nodes, per_node, acc_id.split("-")[1]
    )
    env: dict[str, str] = {}
    if cfg_path:
        env = eval_config(repo, cfg_path, {"DGXNNODES": str(nodes)})
    tp = _int(env, "TENSOR_MODEL_PARALLEL", "TP")
    pp = _int(env, "PIPELINE_MODEL_PARALLEL", "PP")
    cp = _int(env, "CONTEXT_PARALLEL", "CP")
    vpp = _int(env, "INTERLEAVED_PIPELINE")
    micro = _int(env, "MICRO_BATCH_SIZE", "MBS")
    sp = _truthy(env.get("SEQ_PARALLEL", env.get("SP")))
    fp8 = _truthy(env.get("FP8"))
    dp = None
    if tp and (pp or bench != "gpt3"):
        denom = tp * (pp or 1) * (cp or 1)
        if count % denom == 0:
            dp = count // denom
    if (
        micro is None
        and dp
        and isinstance(gbs, int)
        and isinstance(gas, int)
        and gas > 0
        and gbs % (dp * gas) == 0
    ):
        micro = gbs // (dp * gas)
    precision = "fp8" if fp8 else None
    fsdp: bool | None = None
    recompute: str | None = None
    per_device_batch: float | None = None
    layout_extra = ""
    if not cfg_path:
        other, other_path = other_layout(repo, files, submitter, bench, system, nodes)
        if other_path:
            cfg_how = f"read from {other_path}"
            if "fsdp_degree" in other:
                tp = other["tp"]
                pp = 1
                dp = count // tp if tp and count % tp == 0 else None
                fsdp = other["fsdp_degree"] > 1
                recompute = other["recompute"]
                per_device_batch = other["per_device_batch"]
                layout_extra = (
                    f" MaxText mesh {other['mesh']}; dp = chips / tp (FSDP shards over the "
                    "data axis)."
                )
            elif "tp" in other:
                tp, pp, dp, micro = other["tp"], other["pp"], other["dp"], other["micro"]
            elif "note" in other:
                layout_extra = f" {other['note']} (int8 AQT matmuls); layout not stated."
            precision = other.get("precision") or precision
    framework = sysinfo.get("framework") or None

    case_id = f"mlperf-train-v{round_}-{bench}-{submitter}-{system}".lower()
    case_id = re.sub(r"[^a-z0-9.]+", "-", case_id).strip("-")
    model = dict(MODELS[bench])
    model["seq_len"] = seq_len
    cond = (
        f"Throughput = median over {len(good)} converged runs of {len(runs)} logs; per run: "
        + "; ".join(methods)
        + ". Whole system. "
        + (
            "GPT-3 progress is logged in tokens (seq 2,048, C4); sequences/s = tokens/s / 2,048. "
            if bench == "gpt3"
            else "LoRA progress is logged in sequences of 8,192 tokens (GovReport); "
            "tokens_per_s counts padded positions (8,192 per sequence). "
        )
        + "step_time_s = global batch / sequences per second (derived). "
        "samples_to_converge_seqs = mean over converged runs of the final logged progress."
    )
    layout_note = (
        f"Layout from {cfg_path} ({cfg_how})."
        if cfg_path
        else (
            f"Layout {cfg_how}.{layout_extra}"
            if cfg_how.startswith("read from")
            else f"Layout not taken: {cfg_how}."
        )
    )
    if cfg_path and micro is not None and _int(env, "MICRO_BATCH_SIZE", "MBS") is None:
        layout_note += " micro_batch derived as global_batch / (dp x gradient_accumulation_steps)."
    case: dict[str, Any] = {
        "id": case_id,
        "source": {
            "title": f"MLPerf Training v{round_} closed, {submitter} {system} ({bench})",
            "url": f"https://github.com/mlcommons/training_results_v{round_}",
            "repo_path": (
                f"mlcommons/training_results_v{round_}:{submitter}/results/{system}/{bench}/"
            ),
            "commit": commit,
            "table": f"result_*.txt MLLOG logs; {sys_path}" + (f"; {cfg_path}" if cfg_path else ""),
        },
        "kind": "train",
        "model": model,
        "hardware": {
            "accelerator": acc_name,
            "accelerator_id": acc_id,
            "family": family,
            "count": count,
            "system": str(keys.get("submission_platform") or sysinfo.get("system_name")),
            "nodes": nodes,
            "accelerators_per_node": per_node,
            "interconnect": sysinfo.get("accelerator_interconnect") or None,
        },
        "parallelism": {
            "tp": tp,
            "pp": pp if bench == "gpt3" or pp else None,
            "dp": dp,
            "cp": cp,
            "ep": None,
            "zero": None,
            "fsdp": fsdp,
            "sequence_parallel": sp,
            "recompute": recompute,
            "virtual_pp": vpp,
            "notes": layout_note,
        },
        "batch": {
            "global_batch_seqs": gbs if isinstance(gbs, int) else None,
            "global_batch_tokens": gbs * seq_len if isinstance(gbs, int) else None,
            "micro_batch": micro,
            "per_device_batch": per_device_batch,
            "grad_accum_steps": gas if isinstance(gas, int) else None,
        },
        "precision": precision,
        "framework": framework,
        "metrics": {
            "tokens_per_s": round(tokens_per_s, 1),
            "sequences_per_s": round(seqs_per_s, 4),
            "step_time_s": round(step_time_s, 4) if step_time_s else None,
            "samples_to_converge_seqs": round(samples_to_converge, 1),
        },
        "conditions": cond,
        "confidence": "high (raw result logs)" if cfg_path else "medium (logs; layout unknown)",
        "notes": (
            f"init_checkpoint_step {keys.get('init_checkpoint_step')}"
            if bench == "gpt3"
            else f"lora_rank {keys.get('lora_rank')}, lora_alpha {keys.get('lora_alpha')}"
        )
        + (
            "; precision: config exports FP8=True"
            if fp8
            else f"; precision {precision} (launch script/README)"
            if precision
            else "; precision not stated in the files read"
        )
        + ".",
    }
    if bench == "llama2_70b_lora":
        targets = None
        tnote = "adapter targets not stated in the submission files we read"
        peft = [
            f
            for f in files
            if f.startswith(f"{submitter}/benchmarks/{bench}/")
            and f.endswith("megatron_gpt_peft_tuning_config.yaml")
            and not any(p in f for p in SKIP_PARTS)
        ]
        if peft:
            m = re.search(r"target_modules:\s*\[([^\]]*)\]", read(repo, peft[0]))
            if m:
                targets = [t.strip(" '\"") for t in m.group(1).split(",") if t.strip()]
                tnote = (
                    f"NeMo target_modules from {peft[0]}; 'attention' = fused QKV and "
                    "output projection"
                )
        case["finetune"] = {
            "method": "lora",
            "rank": keys.get("lora_rank"),
            "alpha": keys.get("lora_alpha"),
            "targets": targets,
            "notes": tnote,
        }
    return case, "ok"


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__)
        return 2
    repo, round_, out = Path(argv[1]), argv[2], Path(argv[3])
    commit = git(repo, "rev-parse", "HEAD").strip()
    files = git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    pairs = sorted(
        {
            (m.group(1), m.group(2), m.group(3))
            for f in files
            if (
                m := re.fullmatch(
                    r"([^/]+)/results/([^/]+)/(gpt3|llama2_70b_lora)/result_[^/]+\.txt", f
                )
            )
        }
    )
    cases = []
    for submitter, system, bench in pairs:
        base = re.sub(r"-(ac|dc)-power$", "", submitter)
        if base != submitter and (base, system, bench) in pairs:
            # The power-measurement submissions repeat the same system and software as the
            # performance one (own runs, with power logs); one case per system is kept.
            print(f"skip {submitter}/{system}/{bench}: duplicate of {base}", file=sys.stderr)
            continue
        case, why = build_case(repo, round_, commit, files, submitter, system, bench)
        if case is None:
            print(f"skip {submitter}/{system}/{bench}: {why}", file=sys.stderr)
            continue
        cases.append(case)
        print(f"ok   {case['id']}: {case['metrics']['tokens_per_s']} tok/s", file=sys.stderr)
    doc = {
        "schema_version": 1,
        "description": (
            f"MLPerf Training v{round_} closed division, GPT-3 175B and Llama-2-70B LoRA: "
            "throughput, samples to convergence, batch and layout parsed from the submitters' "
            "result logs, systems/*.json and config scripts by scripts/parse_mlperf_training.py. "
            "Same schema as public.yaml; LoRA cases carry a top-level finetune block."
        ),
        "derivations": {
            "throughput": "see each case's conditions (steady state with evals excluded, or not)",
            "step_time_s": "global_batch_seqs / sequences_per_s",
        },
        "families": {
            "nvidia": "NVIDIA GPUs",
            "tpu": "Google TPUs",
            "intel": "Intel Gaudi",
            "amd": "AMD Instinct GPUs",
        },
        "cases": cases,
    }
    out.write_text(
        yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True), encoding="utf-8"
    )
    print(f"wrote {len(cases)} cases to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
