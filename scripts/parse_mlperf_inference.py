"""Parse the LLM results of an MLPerf Inference results repository into validation cases.

Usage:
  python scripts/parse_mlperf_inference.py RESULTS_DIR --commit SHA [--repo OWNER/NAME]
      [--round v5.0] [--division closed] [--out FILE] [--missing-note TEXT] [--append]

RESULTS_DIR is a checkout (or a partial copy with the same layout) of e.g.
``mlcommons/inference_results_v5.0``. For every submitter ``<division>/<submitter>``, system and
LLM benchmark it reads ``results/<system>/<benchmark>/<scenario>/performance/run_1/
mlperf_log_summary.txt`` and ``systems/<system>.json`` (accelerator name and count, framework),
and ``measurements/<system>/<benchmark>/<scenario>/*.json`` when present (weight precision). It
writes one ``kind: infer`` case per result in the schema of ``public.yaml`` (docs/
validation-schema.md) with a ``workload`` block naming the dataset entry of
``src/xpuplan/validation/data/infer_workloads.yaml``.

Metrics are MLPerf's own: ``tokens_per_s`` is "Tokens per second" (Offline) or "Completed tokens
per second" (Server, Interactive: the tokens/s achieved at the scheduled Poisson rate);
``samples_per_s`` likewise; TTFT/TPOT p99 and mean in ms; the scenario's limits as
``constraint_*`` metrics (never predicted) and in ``conditions``. GPT-J counts no tokens: loadgen
reports samples/s only (tokens are inferred with a fixed factor), so its cases carry samples_per_s
and the server's p99 latency.

``--append`` keeps the cases and ``left_out`` of the existing output and adds the results of
RESULTS_DIR that it lacks (a partial copy read in several passes); a -99/-99.9 result with the
figure of a kept case is left out as its duplicate.

Nothing is skipped silently: the description of the output lists how many results were found,
how many were written and every result left out with its reason (invalid run, no LLM
benchmark this script knows, edge scenario, CPU-only system, accelerator not in the catalog, no
system description, unreadable summary, duplicate of another submission of the same run).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "src/xpuplan/catalog/data/accelerators.yaml"
DEFAULT_OUT = ROOT / "src/xpuplan/validation/data/mlperf-inference-v5.0.yaml"
WORKLOADS = ROOT / "src/xpuplan/validation/data/infer_workloads.yaml"
NS_PER_MS = 1e6

# Architecture of each benchmark's model (public config.json of the checkpoint MLPerf names).
_LLAMA2_70B = {
    "layers": 80,
    "hidden": 8192,
    "heads": 64,
    "kv_heads": 8,
    "ffn": 28672,
    "vocab": 32000,
    "seq_len": None,
    "params": 70e9,
    "moe": None,
}
_MODELS: dict[str, dict[str, Any]] = {
    "llama2-70b": {
        "name": "Llama 2 70B Chat",
        "dataset": "mlperf-llama2-70b",
        "notes": "OpenOrca dataset, 24,576 samples",
        **_LLAMA2_70B,
    },
    "llama2-70b-interactive": {
        "name": "Llama 2 70B Chat",
        "dataset": "mlperf-llama2-70b",
        "notes": "OpenOrca dataset, 24,576 samples; Interactive latency limits",
        **_LLAMA2_70B,
    },
    "llama3.1-405b": {
        "name": "Llama 3.1 405B Instruct",
        "dataset": "mlperf-llama3.1-405b",
        "notes": "long-context mix (LongBench, LongDataCollections, RULER, GSM8K, MBXP), "
        "8,313 samples",
        "layers": 126,
        "hidden": 16384,
        "heads": 128,
        "kv_heads": 8,
        "ffn": 53248,
        "vocab": 128256,
        "seq_len": None,
        "params": 405e9,
        "moe": None,
    },
    "llama3.1-8b": {
        "name": "Llama 3.1 8B Instruct",
        "dataset": "mlperf-llama3.1-8b",
        "notes": "CNN/DailyMail summarization, 13,368 samples",
        "layers": 32,
        "hidden": 4096,
        "heads": 32,
        "kv_heads": 8,
        "ffn": 14336,
        "vocab": 128256,
        "seq_len": None,
        "params": 8e9,
        "moe": None,
    },
    "mixtral-8x7b": {
        "name": "Mixtral 8x7B Instruct",
        "dataset": "mlperf-mixtral-8x7b",
        "notes": "OpenOrca+GSM8K+MBXP mix, 15,000 samples",
        "layers": 32,
        "hidden": 4096,
        "heads": 32,
        "kv_heads": 8,
        "ffn": 14336,
        "vocab": 32000,
        "seq_len": None,
        "params": None,
        "moe": {
            "num_experts": 8,
            "top_k": 2,
            "expert_ffn": 14336,
            "total_params": 46.7e9,
            "active_params": 12.9e9,
        },
    },
    "gptj": {
        "name": "GPT-J 6B (CNN/DailyMail fine-tuned)",
        "dataset": "mlperf-gptj",
        "notes": "CNN/DailyMail summarization, 13,368 samples; beam search 4",
        "layers": 28,
        "hidden": 4096,
        "heads": 16,
        "kv_heads": 16,
        "ffn": 16384,
        "vocab": 50400,
        "seq_len": 2048,
        "params": 6.05e9,
        "moe": None,
    },
    "deepseek-r1": {
        "name": "DeepSeek-R1",
        "dataset": "mlperf-deepseek-r1",
        "notes": "reasoning mix, 4,388 samples",
        "layers": 61,
        "hidden": 7168,
        "heads": 128,
        "kv_heads": 128,
        "ffn": 18432,
        "vocab": 129280,
        "seq_len": None,
        "params": None,
        "moe": {
            "num_experts": 256,
            "top_k": 8,
            "expert_ffn": 2048,
            "shared_experts": 1,
            "total_params": 671e9,
            "active_params": 37e9,
        },
    },
}
# Result directory names (the accuracy suffix dropped) -> model key.
_BENCHMARK_ALIASES = {
    "llama2-70b": "llama2-70b",
    "llama2-70b-interactive": "llama2-70b-interactive",
    "llama3.1-405b": "llama3.1-405b",
    "llama3_1-405b": "llama3.1-405b",
    "llama3.1-8b": "llama3.1-8b",
    "llama3_1-8b": "llama3.1-8b",
    "mixtral-8x7b": "mixtral-8x7b",
    "gptj": "gptj",
    "deepseek-r1": "deepseek-r1",
}
# Scenarios a case can describe (llama2-70b-interactive runs as Server); the edge scenarios
# (SingleStream, MultiStream) are reported as left out.
_SCENARIOS = ("Offline", "Server")
# Words that mark a result directory as a language-model benchmark (reported if unknown).
_LLM_WORDS = ("llama", "gpt", "mixtral", "deepseek", "qwen", "mistral")

# Accelerator names as submitters write them -> catalog id. First match wins; order matters
# (GH200 before H200, H100 NVL before H100).
_ACCELERATORS: list[tuple[str, str]] = [
    (r"gb300", "nvidia-gb300"),
    (r"gb200", "nvidia-gb200"),
    (r"\bb300", "nvidia-b300"),
    (r"\bb200", "nvidia-b200"),
    (r"gh200.*96\s*gb", "nvidia-gh200-96gb"),
    (r"gh200", "nvidia-gh200"),
    (r"h200.*nvl", "nvidia-h200-nvl"),
    (r"h200", "nvidia-h200-sxm"),
    (r"h100.*nvl", "nvidia-h100-nvl"),
    (r"h100.*pcie", "nvidia-h100-pcie"),
    (r"h100", "nvidia-h100-sxm"),
    (r"h800", "nvidia-h800-sxm"),
    (r"rtx\s*pro\s*6000", "nvidia-rtx-pro-6000-bse"),
    (r"l40s", "nvidia-l40s"),
    (r"\bl4\b", "nvidia-l4"),
    (r"a100.*80\s*gb.*pcie", "nvidia-a100-80gb-pcie"),
    (r"a100.*80\s*gb", "nvidia-a100-80gb-sxm"),
    (r"a100", "nvidia-a100-40gb-sxm"),
    (r"mi355x", "amd-mi355x"),
    (r"mi350x", "amd-mi350x"),
    (r"mi325x", "amd-mi325x"),
    (r"mi300x", "amd-mi300x"),
    (r"tpu.*(v6e|trillium)|trillium", "google-tpu-v6e"),
    (r"tpu.*v5e", "google-tpu-v5e"),
    (r"tpu.*v5p", "google-tpu-v5p"),
    (r"gaudi\s*3", "intel-gaudi3"),
    (r"gaudi\s*2", "intel-gaudi2"),
    (r"inferentia\s*2|inf2", "aws-inferentia2"),
    (r"trainium\s*2|trn2", "aws-trainium2"),
]
_FAMILY = {"nvidia": "nvidia", "amd": "amd", "google": "tpu", "aws": "aws", "intel": "intel"}

# mlperf_log_summary.txt lines this script reads (name -> regex on the whole text).
_FIELDS = {
    "scenario": r"^Scenario\s*:\s*(\S+)",
    "mode": r"^Mode\s*:\s*(\S+)",
    "result": r"^Result is\s*:\s*(\S+)",
    "samples_per_s": r"^(?:Completed samples per second|Samples per second)\s*:\s*([\d.eE+-]+)",
    "tokens_per_s": r"^(?:Completed tokens per second|Tokens per second)(?: \(inferred\))?"
    r"\s*:\s*([\d.eE+-]+)",
    "tokens_inferred": r"^(?:Completed tokens per second|Tokens per second) \((inferred)\)",
    "scheduled_samples_per_s": r"^Scheduled samples per second\s*:\s*([\d.eE+-]+)",
    "latency_p99_ns": r"^99\.00 percentile latency \(ns\)\s*:\s*(\d+)",
    "ttft_mean_ns": r"^Mean First Token latency \(ns\)\s*:\s*(\d+)",
    "ttft_p99_ns": r"^99\.00 percentile first token latency \(ns\)\s*:\s*(\d+)",
    "tpot_mean_ns": r"^Mean Time to Output Token \(ns\)\s*:\s*(\d+)",
    "tpot_p99_ns": r"^99\.00 percentile time to output token \(ns\)\s*:\s*(\d+)",
    "ttft_limit_ns": r"^ttft_latency \(ns\)\s*:\s*(\d+)",
    "tpot_limit_ns": r"^tpot_latency \(ns\)\s*:\s*(\d+)",
    "target_latency_ns": r"^target_latency \(ns\)\s*:\s*(\d+)",
}


@dataclass(frozen=True)
class Found:
    """One result directory: where it is and what it is."""

    submitter: str
    system: str
    benchmark: str  # directory name, e.g. llama2-70b-99.9
    scenario_dir: str
    summary: Path


def parse_summary(text: str) -> dict[str, Any]:
    """The fields of an mlperf_log_summary.txt (strings for words, floats for numbers)."""
    out: dict[str, Any] = {}
    for name, pattern in _FIELDS.items():
        match = re.search(pattern, text, flags=re.MULTILINE)
        if match:
            value = match.group(1)
            words = ("scenario", "mode", "result", "tokens_inferred")
            out[name] = value if name in words else float(value)
    inferred = re.search(
        r"^(?:Completed tokens per second|Tokens per second) \(inferred\)\s*:\s*([\d.eE+-]+)",
        text,
        re.MULTILINE,
    )
    if inferred:  # GPT-J: MLPerf reports the inferred figure (samples/s x 69) as its result
        out["tokens_per_s"] = float(inferred.group(1))
    return out


def benchmark_key(directory: str) -> str | None:
    """Model key of a result directory (``llama2-70b-99.9`` -> ``llama2-70b``), or None."""
    base = re.sub(r"-99(\.9)?$", "", directory.lower())
    return _BENCHMARK_ALIASES.get(base)


def accelerator_id(name: str, known: set[str]) -> str | None:
    """Catalog id of a submitter's accelerator name, or None when the catalog lacks it."""
    lowered = name.lower()
    for pattern, acc_id in _ACCELERATORS:
        if re.search(pattern, lowered):
            return acc_id if acc_id in known else None
    return None


def find_results(root: Path, division: str) -> list[Found]:
    """Every performance summary of the division, LLM or not (filtered later, with reasons)."""
    found = []
    pattern = "*/results/*/*/*/performance/run_1/mlperf_log_summary.txt"
    for path in sorted((root / division).glob(pattern)):
        rel = path.relative_to(root / division).parts
        found.append(Found(rel[0], rel[2], rel[3], rel[4], path))
    return found


def find_readme_results(root: Path, division: str) -> list[tuple[str, str, Path]]:
    """(submitter, system, README) of every system whose results README is present."""
    found = []
    for path in sorted((root / division).glob("*/results/*/README.md")):
        rel = path.relative_to(root / division).parts
        found.append((rel[0], rel[2], path))
    return found


def _is_llm(directory: str) -> bool:
    return any(word in directory.lower() for word in _LLM_WORDS)


def _system(root: Path, division: str, found: Found) -> tuple[dict[str, Any], str] | None:
    """The system description and the file it came from: ``systems/<system>.json``, else the
    same table as rendered in ``results/<system>/README.md`` (``<tr><td>key</td><td>value``)."""
    base = root / division / found.submitter
    path = base / "systems" / f"{found.system}.json"
    if path.is_file():
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded, f"systems/{found.system}.json"
    readme = base / "results" / found.system / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8", errors="replace")
    rows = dict(re.findall(r"<tr><td>([a-z_]+)</td><td>([^<]*)</td></tr>", text))
    title = re.search(r"<h2>[^<]*? - ([^<]+)</h2>", text)
    if title and "system_name" not in rows:
        rows["system_name"] = title.group(1)
    if "accelerator_model_name" not in rows:
        return None
    return rows, f"results/{found.system}/README.md"


def _weight_precision(root: Path, division: str, found: Found) -> str | None:
    folder = (
        root / division / found.submitter / "measurements" / found.system / found.benchmark
    ) / found.scenario_dir
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        weights = data.get("weight_data_types")
        if weights:
            return f"weights {str(weights).strip().lower()}"
    return None


def readme_results(text: str) -> dict[tuple[str, str], tuple[float, str]]:
    """The results table of a ``results/<system>/README.md``: (benchmark, scenario) -> (value,
    unit). Columns follow the table header (Server then Offline in the datacenter layout); a
    ``N/A`` cell (scenario not submitted) keeps its column and yields no entry."""
    out: dict[tuple[str, str], tuple[float, str]] = {}
    pair = r'<td class="units">[^<]*</td>\s*<td class="perf">[^<]*</td>'
    na = r'<td class="na"[^>]*>[^<]*</td>'
    row = re.compile(
        r'<td class="model">([^<]+)</td><td class="acc-target">[^<]*</td>'
        rf"((?:\s*(?:{pair}|{na}))+)"
    )
    cell = re.compile(r'<td class="units">([^<]*)</td>\s*<td class="perf">([^<]*)</td>|' + na)
    scenarios = re.findall(r'<th colspan="2">(\w+)</th>', text) or ["Server", "Offline"]
    for match in row.finditer(text):
        cells = [(m.group(1), m.group(2)) for m in cell.finditer(match.group(2))]
        for scenario, (unit, value) in zip(scenarios, cells, strict=False):
            if unit is None:  # N/A: this scenario was not submitted
                continue
            try:
                out[(match.group(1).strip(), scenario)] = (float(value), unit.strip())
            except ValueError:
                continue
    return out


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def _ms(ns: float | None) -> float | None:
    return None if ns is None else round(ns / NS_PER_MS, 6)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def build_case(
    found: Found,
    summary: dict[str, Any],
    system: dict[str, Any],
    acc_id: str,
    vendor: str,
    precision: str | None,
    source: dict[str, str],
) -> dict[str, Any]:
    """One validation case (schema of public.yaml) from a parsed result."""
    key = benchmark_key(found.benchmark)
    assert key is not None
    model = dict(_MODELS[key])
    dataset = model.pop("dataset")
    notes = model.pop("notes")
    scenario = str(summary.get("scenario", found.scenario_dir))
    if key.endswith("-interactive") and scenario == "Server":
        scenario = "Interactive"  # v5.0 runs llama2-70b-interactive as a Server scenario
    per_node = _int(system.get("accelerators_per_node"))
    nodes = _int(system.get("number_of_nodes"))
    count = (per_node or 0) * (nodes or 1)
    # the README table has no number_of_nodes: system names state the total, NVIDIA-style
    # ("..._aarch64x72_TRT") or AMD-style ("32xMI300X_...")
    named = re.search(r"x(\d+)(?:_|$)", found.system) or re.match(r"(\d+)x", found.system)
    if nodes is None and named and per_node and int(named.group(1)) % per_node == 0:
        count = int(named.group(1))
        nodes = count // per_node
    nodes = nodes or 1
    metrics: dict[str, float | None] = {}
    if "tokens_per_s" in summary:
        metrics["tokens_per_s"] = summary["tokens_per_s"]
    metrics["samples_per_s"] = summary.get("samples_per_s")
    if scenario != "Offline":
        metrics["ttft_p99_ms"] = _ms(summary.get("ttft_p99_ns"))
        metrics["ttft_mean_ms"] = _ms(summary.get("ttft_mean_ns"))
        metrics["tpot_p99_ms"] = _ms(summary.get("tpot_p99_ns"))
        metrics["tpot_mean_ms"] = _ms(summary.get("tpot_mean_ns"))
        if key == "gptj":
            metrics["e2e_latency_p99_ms"] = _ms(summary.get("latency_p99_ns"))
        metrics["constraint_ttft_ms"] = _ms(summary.get("ttft_limit_ns"))
        metrics["constraint_tpot_ms"] = _ms(summary.get("tpot_limit_ns"))
        if key == "gptj":
            metrics["constraint_e2e_p99_ms"] = _ms(summary.get("target_latency_ns"))
    if "tokens_per_s" in summary and count:
        metrics["tokens_per_s_per_accelerator"] = round(summary["tokens_per_s"] / count, 4)
    metrics = {k: v for k, v in metrics.items() if v is not None and v > 0}
    limits = ", ".join(
        f"{name} p99 <= {metrics[f'constraint_{name}_ms']:g} ms"
        for name in ("ttft", "tpot")
        if f"constraint_{name}_ms" in metrics
    )
    how = {
        "Offline": "Offline: all samples issued at once, maximum throughput",
        "Server": f"Server: Poisson arrivals, tokens/s achieved at the scheduled rate ({limits})",
        "Interactive": "Interactive (llama2-70b-interactive, run as the Server scenario): "
        f"Poisson arrivals, tokens/s achieved at the scheduled rate ({limits})",
    }.get(scenario, scenario)
    rel = (
        f"{source['division']}/{found.submitter}/results/{found.system}/{found.benchmark}/"
        f"{found.scenario_dir}"
    )
    return {
        "id": _slug(
            f"mlperf-inf-{source['round']}-{found.benchmark}-{scenario}-{found.submitter}-"
            f"{found.system}"
        ),
        "source": {
            "title": f"MLPerf Inference {source['round']} results "
            f"({source['division']}, datacenter)",
            "url": f"https://github.com/{source['repo']}/tree/{source['commit']}/{rel}",
            "repo_path": f"{source['repo']}:{rel}/performance/run_1/mlperf_log_summary.txt",
            "table": None,
            "commit": source["commit"],
        },
        "kind": "infer",
        "model": {
            "name": f"{model.pop('name')} (MLPerf {found.benchmark})",
            **model,
            "notes": notes,
        },
        "hardware": {
            "accelerator": str(system.get("accelerator_model_name", "")).strip(),
            "accelerator_id": acc_id,
            "family": _FAMILY.get(vendor, vendor),
            "count": count,
            "system": str(system.get("system_name", found.system)).strip() or found.system,
            "nodes": nodes,
            "accelerators_per_node": per_node,
            "interconnect": str(system.get("accelerator_interconnect") or "").strip() or None,
        },
        "parallelism": {"tp": None, "pp": None, "dp": None, "ep": None},
        "batch": {"global_batch_seqs": None},
        "precision": precision,
        "framework": str(system.get("framework") or "").strip() or None,
        "metrics": metrics,
        "conditions": f"scenario={scenario}; result {summary.get('result', '?')}; {how}; "
        + (
            "tokens/s inferred by loadgen (token_latency_scaling_factor 69 tokens per sample); "
            if "tokens_inferred" in summary
            else ""
        )
        + f"submitter {found.submitter}; system status {system.get('status', 'not stated')}",
        "confidence": "raw logs",
        "notes": None,
        "workload": {
            "input_tokens_mean": None,
            "output_tokens_mean": None,
            "max_concurrency": None,
            "request_rate": None,
            "dataset": dataset,
            "notes": "lengths: the dataset entry in infer_workloads.yaml; the request rate "
            "(Server/Interactive) is the submitter's tuned result, not an input",
        },
    }


def _catalog_ids() -> tuple[set[str], dict[str, str]]:
    rows = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    rows = rows["accelerators"] if isinstance(rows, dict) else rows
    return {r["id"] for r in rows}, {r["id"]: str(r.get("vendor", "")).lower() for r in rows}


def _limits(entries: dict[str, Any], key: str, scenario: str) -> dict[str, float]:
    """The benchmark's latency limits (ns) from infer_workloads.yaml, for README-only results."""
    dataset = _MODELS[key]["dataset"]
    limits = (entries.get(dataset, {}).get("scenarios") or {}).get(scenario.lower(), {})
    names = {"ttft_p99_ms": "ttft_limit_ns", "tpot_p99_ms": "tpot_limit_ns"}
    names["e2e_p99_ms"] = "target_latency_ns"
    return {names[k]: float(v) * NS_PER_MS for k, v in limits.items() if k in names}


def _collect(
    root: Path, division: str, entries: dict[str, Any], left_out: list[str]
) -> tuple[list[tuple[Found, dict[str, Any], str]], int, int]:
    """Every LLM result with its parsed figures and where they came from; summaries first, then
    the results tables of the systems' READMEs for results whose summary is absent."""
    results: list[tuple[Found, dict[str, Any], str]] = []
    all_found = find_results(root, division)
    seen = set()
    for found in all_found:
        if not _is_llm(found.benchmark):
            continue
        seen.add((found.submitter, found.system, found.benchmark, found.scenario_dir))
        where = f"{found.submitter}/{found.system}/{found.benchmark}/{found.scenario_dir}"
        if benchmark_key(found.benchmark) is None:
            left_out.append(f"{where}: LLM benchmark this script does not describe")
            continue
        if found.scenario_dir not in _SCENARIOS:
            left_out.append(f"{where}: scenario {found.scenario_dir} not described")
            continue
        try:
            summary = parse_summary(found.summary.read_text(encoding="utf-8", errors="replace"))
        except OSError as error:
            left_out.append(f"{where}: summary unreadable ({error.strerror})")
            continue
        if summary.get("result") != "VALID":
            left_out.append(f"{where}: result {summary.get('result', 'not stated')}")
            continue
        if "samples_per_s" not in summary:
            left_out.append(f"{where}: no samples/s line in the summary")
            continue
        results.append((found, summary, "performance/run_1/mlperf_log_summary.txt"))
    from_readme = 0
    for submitter, system, readme in find_readme_results(root, division):
        table = readme_results(readme.read_text(encoding="utf-8", errors="replace"))
        for (benchmark, scenario), (value, unit) in sorted(table.items()):
            if not _is_llm(benchmark) or (submitter, system, benchmark, scenario) in seen:
                continue
            from_readme += 1
            where = f"{submitter}/{system}/{benchmark}/{scenario}"
            key = benchmark_key(benchmark)
            if key is None:
                left_out.append(f"{where}: LLM benchmark this script does not describe")
                continue
            if scenario not in _SCENARIOS:
                left_out.append(f"{where}: scenario {scenario} not described")
                continue
            row: dict[str, Any] = {"scenario": scenario, "result": "VALID"}
            row["tokens_per_s" if unit.lower().startswith("tokens") else "samples_per_s"] = value
            interactive = key.endswith("-interactive") and scenario == "Server"
            row.update(_limits(entries, key, "Interactive" if interactive else scenario))
            path = root / division / submitter / "results" / system / benchmark / scenario
            results.append((Found(submitter, system, benchmark, scenario, path), row, "README"))
    return results, len(seen), from_readme


def _primary(summary: dict[str, Any]) -> float:
    return float(summary.get("tokens_per_s") or summary.get("samples_per_s") or 0.0)


def _deduplicated(
    results: list[tuple[Found, dict[str, Any], str]], left_out: list[str]
) -> list[tuple[Found, dict[str, Any], str]]:
    """One result per run: -99 and -99.9 submissions of one run (same figure) are one
    measurement, and llama2-70b-interactive's Offline is the llama2-70b Offline run."""
    kept: list[tuple[Found, dict[str, Any], str]] = []
    for found, summary, origin in results:
        where = f"{found.submitter}/{found.system}/{found.benchmark}/{found.scenario_dir}"
        key = benchmark_key(found.benchmark) or found.benchmark
        if key.endswith("-interactive") and found.scenario_dir == "Offline":
            left_out.append(f"{where}: duplicate of the llama2-70b Offline run")
            continue
        same = [
            other
            for other, other_summary, _ in kept
            if (other.submitter, other.system, other.scenario_dir)
            == (found.submitter, found.system, found.scenario_dir)
            and benchmark_key(other.benchmark) == key
            # README tables round to 2 decimals: equal within 0.1% is the same figure
            and abs(_primary(other_summary) - _primary(summary)) <= 1e-3 * _primary(summary)
        ]
        if same:
            left_out.append(f"{where}: duplicate of {same[0].benchmark} (same run, same figure)")
            continue
        kept.append((found, summary, origin))
    return kept


def parse(root: Path, source: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Cases and an account of what was found and left out (with reasons)."""
    known, vendors = _catalog_ids()
    entries = yaml.safe_load(WORKLOADS.read_text(encoding="utf-8"))["workloads"]
    cases: list[dict[str, Any]] = []
    benchmarks: Counter[str] = Counter()
    left_out: list[str] = []
    division = source["division"]
    results, summaries, from_readme = _collect(root, division, entries, left_out)
    # a summary and a README row of the same run: the summary sorts first and is kept
    results.sort(key=lambda r: (r[2] != "performance/run_1/mlperf_log_summary.txt", r[0].benchmark))
    for found, summary, origin in _deduplicated(results, left_out):
        where = f"{found.submitter}/{found.system}/{found.benchmark}/{found.scenario_dir}"
        described = _system(root, division, found)
        if described is None:
            left_out.append(f"{where}: no system description (systems JSON or results README)")
            continue
        system, system_file = described
        name = str(system.get("accelerator_model_name", ""))
        if not _int(system.get("accelerators_per_node")) and name.strip() in ("", "N/A"):
            host = str(system.get("host_processor_model_name") or "host CPU").strip()
            left_out.append(f"{where}: no accelerator (CPU-only system, {host})")
            continue
        acc_id = accelerator_id(name, known)
        if acc_id is None:
            left_out.append(f"{where}: accelerator {name.strip()!r} not in the catalog")
            continue
        if not _int(system.get("accelerators_per_node")):
            left_out.append(f"{where}: accelerators_per_node not stated")
            continue
        precision = _weight_precision(root, division, found)
        case = build_case(
            found, summary, system, acc_id, vendors.get(acc_id, ""), precision, source
        )
        case["hardware"]["notes"] = f"system description from {system_file}"
        if origin == "README":
            case["source"]["repo_path"] = (
                f"{source['repo']}:{division}/{found.submitter}/results/{found.system}/README.md"
            )
            case["confidence"] = "results table of the system README (summary log not read)"
        cases.append(case)
        benchmarks[found.benchmark] += 1
    ids = Counter(c["id"] for c in cases)
    duplicates = [i for i, n in ids.items() if n > 1]
    if duplicates:
        raise SystemExit(f"duplicate case ids: {duplicates[:5]}")
    account = {
        "summaries_found": len(find_results(root, division)),
        "llm_results_found": summaries + from_readme,
        "llm_summaries": summaries,
        "llm_readme_rows": from_readme,
        "cases_written": len(cases),
        "left_out": left_out,
        "by_benchmark": dict(benchmarks),
    }
    return cases, account


def case_where(case: dict[str, Any]) -> str:
    """``submitter/system/benchmark/scenario`` of a written case (from its results URL), the key
    that ``left_out`` lines start with."""
    rel = str(case["source"]["url"]).split("/tree/", 1)[1].split("/", 2)[2]
    submitter, _results, system, benchmark, scenario = rel.split("/")[:5]
    return f"{submitter}/{system}/{benchmark}/{scenario}"


def _case_primary(case: dict[str, Any]) -> float:
    metrics = case.get("metrics") or {}
    return float(metrics.get("tokens_per_s") or metrics.get("samples_per_s") or 0.0)


def merge(
    prior: dict[str, Any], cases: list[dict[str, Any]], account: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The cases and account of ``prior`` (an earlier output of this script) extended by a new
    parse: prior cases are kept unchanged; a new result becomes a case unless a prior case
    already holds it or the same run's figure (-99/-99.9 of one run); a left-out line is
    replaced when the new parse accounts for the same result, and dropped when it became a case.
    For adding results read from a partial copy without re-reading the earlier ones."""
    kept = list(prior.get("cases") or [])
    held = {case_where(c) for c in kept}
    fresh_left: list[str] = []
    for case in cases:
        where = case_where(case)
        if where in held:
            continue
        submitter, system, benchmark, scenario = where.split("/")
        same = [
            other
            for other in kept
            if case_where(other).split("/")[:2] == [submitter, system]
            and case_where(other).split("/")[3] == scenario
            and benchmark_key(case_where(other).split("/")[2]) == benchmark_key(benchmark)
            and abs(_case_primary(other) - _case_primary(case)) <= 1e-3 * _case_primary(case)
        ]
        if same:
            first = case_where(same[0]).split("/")[2]
            fresh_left.append(f"{where}: duplicate of {first} (same run, same figure)")
            continue
        kept.append(case)
        held.add(where)
    fresh_left += [line for line in account["left_out"] if line.split(": ", 1)[0] not in held]
    fresh = {line.split(": ", 1)[0] for line in fresh_left}
    left_out = [
        line for line in prior.get("left_out") or [] if line.split(": ", 1)[0] not in held | fresh
    ] + fresh_left
    before = re.search(r"(\d+) performance summaries", str(prior.get("description", "")))
    benchmarks: Counter[str] = Counter(case_where(c).split("/")[2] for c in kept)
    merged = {
        "summaries_found": (int(before.group(1)) if before else 0) + account["summaries_found"],
        "llm_results_found": len(kept) + len(left_out),
        "cases_written": len(kept),
        "left_out": left_out,
        "by_benchmark": dict(benchmarks),
    }
    return kept, merged


def render(cases: list[dict[str, Any]], account: dict[str, Any], source: dict[str, str]) -> str:
    """The output file: schema header, an honest description, the cases."""
    reasons = Counter(line.split(": ", 1)[1].split(" '")[0] for line in account["left_out"])
    description = (
        f"MLPerf Inference {source['round']} {source['division']}-division LLM results "
        f"({', '.join(sorted(account['by_benchmark']))}), all submitters and scenarios found, "
        f"parsed by scripts/parse_mlperf_inference.py from {source['repo']} at commit "
        f"{source['commit']} (performance/run_1/mlperf_log_summary.txt and systems/<system>.json; "
        "where a summary is absent, the results table and system table of "
        "results/<system>/README.md). "
        f"{account['summaries_found']} performance summaries found; "
        f"{account['llm_results_found']} LLM results in all (summaries and README results-table "
        f"rows); {account['cases_written']} written; {len(account['left_out'])} left "
        f"out (listed in left_out with the reason: "
        + "; ".join(f"{n} x {r}" for r, n in reasons.most_common())
        + "). "
        + source.get("missing_note", "")
    ).strip()
    document = {
        "schema_version": 1,
        "description": description,
        "source": {
            "repo": source["repo"],
            "commit": source["commit"],
            "parsed_by": "scripts/parse_mlperf_inference.py",
            "as_of": source["as_of"],
        },
        "left_out": account["left_out"],
        "cases": cases,
    }
    return yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--commit", required=True, help="commit of the results repository")
    parser.add_argument("--repo", default="mlcommons/inference_results_v5.0")
    parser.add_argument("--round", default="v5.0")
    parser.add_argument("--division", default="closed")
    parser.add_argument("--as-of", default="2026-12-02")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--missing-note", default="", help="appended to the description")
    parser.add_argument(
        "--append",
        action="store_true",
        help="keep the cases and left_out of the existing --out file and add what RESULTS_DIR "
        "holds beyond them (see merge())",
    )
    args = parser.parse_args(argv)
    if not (args.results_dir / args.division).is_dir():
        print(f"error: {args.results_dir / args.division} is not a directory", file=sys.stderr)
        return 2
    source = {
        "repo": args.repo,
        "commit": args.commit,
        "round": args.round,
        "division": args.division,
        "as_of": args.as_of,
        "missing_note": args.missing_note,
    }
    cases, account = parse(args.results_dir, source)
    if args.append and args.out.is_file():
        prior = yaml.safe_load(args.out.read_text(encoding="utf-8"))
        cases, account = merge(prior, cases, account)
    args.out.write_text(render(cases, account, source), encoding="utf-8")
    print(
        f"{args.out}: {account['cases_written']} cases from {account['llm_results_found']} LLM "
        f"results ({len(account['left_out'])} left out)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
