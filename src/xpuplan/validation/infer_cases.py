"""Predict ``kind: infer`` validation cases with the serving estimator.

How a case is read (documented in ``docs/serving-estimator.md``):

* **Lengths**: the case's ``workload`` block first (``input_tokens_mean``,
  ``output_tokens_mean``, ``max_concurrency``, ``request_rate``, ``dataset``), then the
  dataset's entry in ``data/infer_workloads.yaml`` (published means: exponential lengths; only
  a cap: uniform on [1, cap]), then free text (``ISL a/OSL b``, ``input a tokens, output b
  tokens``, ``mean input 10,000 tokens``, ``prompt_tokens=a ... generated_tokens=b``).
* **Stack**: the engine named in the framework text and the version after it (Neuron: the SDK
  release), else the publication's year (MLPerf round); it picks the efficiency (family x
  generation, engine overhead) and whether KV reads are padded to static shapes.
* **MLPerf Inference** (``scenario=Offline|Server|Interactive``): weights in the lowest
  floating-point format with a peak (FP4, else FP8); every ``tp`` in 1, 2, 4, 8 within a node
  (and for MoE models also ``ep = tp``) is evaluated in one vectorized call and the best kept;
  Offline = the largest batch that fits;
  Server / Interactive = the highest rate meeting the case's ``constraint_*`` (or the
  benchmark's) p99 limits. A benchmark harness's quirk (``harnesses`` in the YAML: AMD's v4.1
  vLLM batcher window) applies only to its round, submitters, scenario and framework.
* **Offline tables** (TensorRT-LLM ``trtllm-bench``, JetStream "rate inf"): the offline maximum
  at the stated layout; a stated engine batch caps the decode slots.
* **Fixed-batch runs** (Neuron tables, vLLM ``benchmark_latency``): static batching; Neuron TP
  degrees count (logical) NeuronCores.
* **Client concurrency** (guidellm ``mode synchronous|throughput``, ``N users``, a
  ``max_concurrency`` with no engine batch): a closed loop of that many users; TTFT from
  Little's law when every slot is busy.
* **Request rate** (``request_rate``, ``--request-rate N``, ``N QPS``): an open loop of Poisson
  arrivals at that rate; past capacity the replicas run at capacity and no TTFT is predicted.
* **Generated tokens**: a run that measured both output tokens/s and requests/s generated
  their ratio per request (a configured output length is only the target).
* **Other words**: accelerator ids (``validation.accelerator_ids``), weight formats (NVFP4,
  AWQ, W8A8, ...), metric names (:data:`METRIC_ALIASES`), a per-device or written batch, an
  MLPerf benchmark found from the case id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml

from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import Accelerator
from xpuplan.errors import XpuplanError
from xpuplan.models.describe import spec_from_description
from xpuplan.models.spec import ModelSpec
from xpuplan.perf.serving import (
    STATUS_MESSAGES,
    WEIGHT_PRECISIONS,
    build_candidates,
    serving_capacity_arrays,
)
from xpuplan.perf.serving.candidates import reads_padded_kv
from xpuplan.perf.serving.engine import ServingStack, default_stack, get_engine, parse_stack
from xpuplan.perf.serving.estimate import expert_parallel_options
from xpuplan.perf.serving_efficiency import ServingEfficiency, efficiency_for
from xpuplan.validation.accelerator_ids import resolve_accelerator
from xpuplan.validation.cases import CaseSkipped, ValidationCase
from xpuplan.validation.run import ValidationReport

__all__ = [
    "METRIC_ALIASES",
    "InferPrediction",
    "InferSetting",
    "PreparedCase",
    "case_stack",
    "error_table",
    "installed_accelerator",
    "interpret_case",
    "metric_kind",
    "predict_infer_case",
    "predict_many",
    "predict_prepared",
    "prepare_infer_case",
    "reading_notes",
    "resolve_accelerator",
]

Scenario = Literal["offline", "server", "interactive", "static", "closed", "open"]

# Layouts a submitter tunes over when the case does not state one.
_TP_CHOICES = (1, 2, 4, 8)
# Year of each MLPerf Inference round's submission deadline (the software stack's vintage).
_MLPERF_ROUND_YEAR = {"v3.1": 2023, "v4.0": 2024, "v4.1": 2024, "v5.0": 2025, "v5.1": 2025}
# Engines named in a case's framework text, in the order they are looked for (specific first).
_ENGINE_WORDS = (
    ("tensorrt-llm", "tensorrt-llm"),
    ("trt-llm", "tensorrt-llm"),
    ("trtllm", "tensorrt-llm"),
    ("sglang", "sglang"),
    ("vllm", "vllm"),
    ("text-generation-inference", "tgi"),
    ("tgi", "tgi"),
    ("jetstream-pytorch", "jetstream-pytorch"),
    ("jetstream", "jetstream"),
    ("saxml", "saxml"),
    ("maxtext", "jetstream"),
    ("neuronx-distributed", "nxd-inference"),
    ("nxd", "nxd-inference"),
    ("optimum-neuron", "nxd-inference"),
    ("transformers neuronx", "nxd-inference"),
    ("transformers-neuronx", "nxd-inference"),
    ("neuron", "nxd-inference"),
    ("tensorrt", "tensorrt-llm"),
)


@dataclass(frozen=True)
class InferSetting:
    """What a case measured, in the estimator's terms."""

    scenario: Scenario
    input_len: float
    output_len: float
    input_len_scv: float
    output_len_scv: float
    weight_precision: str
    tp: int | None  # None: choose the best of _TP_CHOICES
    pp: int
    tp_unit: Literal["chips", "cores"]
    cores_per_chip: float | None  # Neuron cores a core-counted TP uses per chip
    batch: float | None  # static / closed loop: sequences per replica
    ttft_p99_ms: float | None
    tpot_p99_ms: float | None
    dispatch_window_s: float = 0.0  # the benchmark harness's batching window (0: none)
    stack: ServingStack | None = None  # the engine (and generation) the case ran
    users: float | None = None  # closed loop: clients in flight over the whole deployment
    slots: float | None = None  # engine decode slots per replica stated by the case
    beams: float = 1.0  # beam-search hypotheses per request (MLPerf GPT-J: 4)
    scheduler_steps: float = 1.0  # decode iterations per scheduler call (vLLM V0 multi-step)
    ep: int = 1  # expert-parallel ranks (MoE; attention data-parallel over them)
    kv_precision: str | None = None  # stated KV-cache format (None: the checkpoint's default)
    request_rate: float | None = None  # open loop: requests/s arriving at the whole deployment


@cache
def _workload_file() -> dict[str, Any]:
    text = (
        resources.files("xpuplan.validation")
        .joinpath("data/infer_workloads.yaml")
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _workloads() -> dict[str, dict[str, Any]]:
    workloads: dict[str, dict[str, Any]] = _workload_file()["workloads"]
    return workloads


def _mlperf_round(case: ValidationCase) -> str | None:
    text = " ".join(filter(None, (case.id, case.source.title, case.source.repo_path))).lower()
    match = re.search(r"(?:inf(?:erence)?[-_ ]?|results_)(v\d\.\d)", text)
    return match.group(1) if match else None


def _submitter(case: ValidationCase) -> str | None:
    """MLPerf submitter: the ``closed/<submitter>/`` directory of the results repository."""
    for text in (case.source.repo_path, case.source.url):
        match = re.search(r"closed/([^/]+)/", text or "")
        if match:
            return match.group(1).lower()
    return None


def _harness_window_s(case: ValidationCase, scenario: str) -> float:
    """The dispatch window of the case's benchmark harness (``harnesses`` in the YAML), or 0:
    a harness applies only to its MLPerf round, submitters, scenarios and framework."""
    framework = (case.framework or "").lower()
    round_, submitter = _mlperf_round(case), _submitter(case)
    for entry in (_workload_file().get("harnesses") or {}).values():
        if (
            round_ in entry["rounds"]
            and submitter in entry["submitters"]
            and scenario in entry["scenarios"]
            and all(word in framework for word in entry["framework_match"])
        ):
            return float(entry["dispatch_window_s"])
    return 0.0


def _workload_block(case: ValidationCase) -> dict[str, Any]:
    block = (case.model_extra or {}).get("workload")
    return block if isinstance(block, dict) else {}


def _dataset_entry(case: ValidationCase) -> dict[str, Any] | None:
    """The ``infer_workloads.yaml`` entry named by the workload block's ``dataset``, else the
    one with the most ``dataset_match`` words that all appear in that ``dataset`` text, else the
    first whose ``match`` words all appear in the model name or notes or the case id."""
    key = _workload_block(case).get("dataset")
    if isinstance(key, str) and key in _workloads():
        return _workloads()[key]
    dataset = str(key or "").lower()
    # the model's name and notes, and the case id (MLPerf ids name the benchmark), also with
    # separators dropped ("gptj" for "gpt-j", "llama3.1 8b")
    text = f"{case.model.name} {case.model.notes or ''} {case.id}".lower()
    squashed = re.sub(r"[-_ ]", "", text)
    named = [
        entry
        for entry in _workloads().values()
        if entry.get("dataset_match") and all(w in dataset for w in entry["dataset_match"])
    ]
    if named:  # the most specific ("openorca" + "gsm8k" is Mixtral's mix, not Llama 2's)
        return max(named, key=lambda entry: len(entry["dataset_match"]))
    for entry in _workloads().values():
        words = entry.get("match") or []
        if words and all(w in text or re.sub(r"[-_ ]", "", w) in squashed for w in words):
            return entry
    return None


def _number(text: str) -> float:
    return float(text.replace(",", ""))


_NUM = r"(\d[\d,]*(?:\.\d+)?)"


def _lengths_from_text(text: str) -> tuple[float, float] | None:
    """Lengths stated in free text (the fallback when the case has no workload block)."""
    sep = r"[\s=:~]*"  # "ISL=1024", "input length: 1024", "input ~128"
    gap = r"[^.|]{0,40}?"  # within one sentence
    patterns = (
        rf"isl\s*{_NUM}\s*/\s*osl\s*{_NUM}",
        rf"input\s+~?{_NUM}\s+tokens?,?\s*(?:and\s+)?output\s+~?{_NUM}\s+tokens?",
        rf"mean\s+input\s+~?{_NUM}\s+tokens?.*?(?:mean\s+)?output\s+~?{_NUM}\s+tokens?",
        rf"prompt_tokens\s*=\s*{_NUM}.*?generated_tokens\s*=\s*{_NUM}",
        rf"~?{_NUM}\s+input\s*/\s*~?{_NUM}\s+output",
        # "ISL=1024, OSL=128", "isl 1024 osl 128", "isl1024-osl128"
        rf"\bisl{sep}{_NUM}{gap}\bosl{sep}{_NUM}",
        # "input length 1024, output length 128", "input len=512 / output len=256",
        # "prompt length 1024 and generation length 128", "max_input_length 2048 ...
        # max_new_tokens 256", "input: 2,048 tokens; output: 128 tokens"
        rf"\b(?:max[\s_-]*)?(?:input|prompt)(?:[\s_-]*(?:length|len|tokens|size))?{sep}{_NUM}"
        rf"{gap}\b(?:output|generation|completion|decode|max[\s_-]*new[\s_-]*tokens)"
        rf"(?:[\s_-]*(?:length|len|tokens|size))?{sep}{_NUM}",
        rf"\bin{sep}{_NUM}\s*[/,]\s*out{sep}{_NUM}",  # "in 1024 / out 128"
        rf"(?:^|[-_\s])in-?{_NUM}-out-?{_NUM}(?:$|[-_\s])",  # an id's "-in128-out2048-"
        # "1024 input tokens and 128 output tokens", "1024 in / 128 out"
        rf"\b{_NUM}\s*(?:input|prompt)\b(?:\s+tokens?)?{gap}\b{_NUM}\s*(?:output|generated)\b",
        rf"\b{_NUM}\s*in\s*/\s*{_NUM}\s*out\b",
    )
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return _number(match.group(1)), _number(match.group(2))
    return None


def _uniform_scv(cap: float) -> float:
    """Squared coefficient of variation of a length uniform on [1, cap] (max entropy)."""
    return ((cap - 1.0) ** 2 / 12.0) / ((cap + 1.0) / 2.0) ** 2


def _mean_and_scv(
    stated: Any, entry: dict[str, Any] | None, field: str, fixed: bool
) -> tuple[float, float] | None:
    """(mean, scv) of a length: stated in the case, else the dataset's published mean
    (exponential: max entropy given a mean), else uniform on [1, cap] (max entropy given a
    cap); fixed-length runs have scv 0."""
    mean_key, cap_key = f"{field}_tokens_mean", f"{field}_tokens_max"
    if isinstance(stated, int | float) and stated > 0:
        return float(stated), 0.0 if fixed else 1.0
    if entry is None:
        return None
    if entry.get(mean_key):
        return float(entry[mean_key]), 1.0
    if entry.get(cap_key):
        cap = float(entry[cap_key])
        return (cap + 1.0) / 2.0, _uniform_scv(cap)
    return None


def case_stack(case: ValidationCase, accelerator: Accelerator) -> ServingStack:
    """The serving engine a case ran and its generation: the engine named in the framework
    text with the release written after it; without one (or a development build such as
    ``0.6.5.dev964``), the year of the publication (MLPerf round, else the latest 20xx year in
    the source, id and conditions)."""
    text = " ".join(filter(None, (case.framework, case.conditions))).lower()
    engine_name = None
    version = None
    dev_build = None  # a development build's version text: its code is its base release's
    for word, name in _ENGINE_WORDS:
        at = text.find(word)
        if at < 0:
            continue
        engine_name = name
        if name == "nxd-inference":  # Neuron stacks are versioned by the Neuron SDK release
            after = re.search(r"neuron\s+sdk\s*~?v?(\d+(?:\.\d+){1,2})", text)
            version = after.group(1) if after else None
        elif word != "tensorrt":  # "TensorRT 10.2" is TensorRT's version, not TensorRT-LLM's
            after = re.match(r"[\s:]*~?v?(\d+(?:\.\d+){1,2})(\.dev)?", text[at + len(word) :])
            # a development build ("0.6.5.dev964+mlperf50": commits after the last release;
            # "0.0.0.dev1") is no release: it is dated by its publication instead
            release = after is not None and after.group(2) is None and after.group(1) != "0.0.0"
            version = after.group(1) if after and release else None
            dev_build = f"{after.group(1)}.dev" if after and not release else None
        break
    stack = (
        default_stack(accelerator.vendor_family)
        if engine_name is None
        else parse_stack(engine_name, accelerator.vendor_family)
    )
    engine = get_engine(stack.engine)
    if version is not None:
        return ServingStack(engine.name, version, engine.generation(version))
    round_ = _mlperf_round(case)
    if round_ in _MLPERF_ROUND_YEAR:
        year = _MLPERF_ROUND_YEAR[round_]
    else:
        source = " ".join(
            filter(None, (case.id, case.source.commit, case.source.table, case.conditions))
        )
        years = [int(y) for y in re.findall(r"\b(20[12]\d)\b", source)]
        year = max(years) if years else engine.newest_generation
    oldest = engine.versions[0][1]
    generation = min(max(year, oldest), engine.newest_generation)
    return ServingStack(engine.name, dev_build, generation)


def _lowest_float_format(accelerator: Accelerator) -> str:
    for precision in ("fp4", "fp8"):
        if accelerator.peak_tflops(precision):
            return precision
    return "bf16"


# Other spellings of the weight formats: NVIDIA's NVFP4 and the OCP MXFP4 / MXFP8 block formats
# are 4- and 8-bit floats, E4M3 / E5M2 are the FP8 encodings, "W4A16" / AWQ / GPTQ checkpoints
# hold 4-bit integer weights, "W8A8" 8-bit ones (an FP8 "W8A8-FP8" is FP8), bfloat16 / float16
# are the 16-bit formats.
_PRECISION_WORDS: tuple[tuple[str, str], ...] = (
    (r"(?:nv|mx)?fp4", "fp4"),
    (r"w8a8[-_ ]?fp8|(?:mx)?fp8|e4m3|e5m2", "fp8"),
    (r"int4|w4a16|w4a8|awq|gptq", "int4"),
    (r"int8|w8a8", "int8"),
    (r"bf16|bfloat16", "bf16"),
    (r"fp16|float16", "fp16"),
)


def _stated_precision(text: str | None) -> str:
    """Weight format a case states: the one after "weights" when the text names several
    (``FP8 weights`` / ``weights fp8``), else the first in :data:`_PRECISION_WORDS` order."""
    lowered = (text or "").lower()
    for pattern, precision in _PRECISION_WORDS:
        if re.search(rf"weights\s+(?:{pattern})\b|\b(?:{pattern})\s+weights", lowered):
            return precision
    for pattern, precision in _PRECISION_WORDS:
        if re.search(rf"\b(?:{pattern})\b", lowered):
            return precision
    return "bf16"  # "not stated (default dtype)": checkpoints are bf16/fp16


def _stated_kv_precision(text: str | None) -> str | None:
    """KV-cache format the case states (``FP8 KV cache``, ``bf16 KV cache``, ``int8 KV``);
    None when it states none (the estimator's default for the checkpoint then applies)."""
    match = re.search(r"\b(fp8|bf16|fp16|int8)\s+kv\b", (text or "").lower())
    return match.group(1) if match else None


def _beams(text: str) -> float:
    """Beam-search width stated in the case (``beam search 4``, ``beam search width 4``)."""
    match = re.search(r"beam[\s_-]*(?:search)?[\s_-]*(?:width|size)?\s*[=:]?\s*(\d+)", text)
    return float(match.group(1)) if match else 1.0


def _scheduler_steps(text: str) -> float:
    """Decode iterations per scheduler call the case's engine ran with (vLLM V0 multi-step
    scheduling: ``num_scheduler_steps 10`` / ``--num-scheduler-steps 10``); 1 when unstated."""
    match = re.search(r"num[\s_-]*scheduler[\s_-]*steps\s*[=:]?\s*(\d+)", text)
    return max(float(match.group(1)), 1.0) if match else 1.0


def _replicas_stated(case: ValidationCase) -> float:
    return float(case.parallelism.dp or 1)


def interpret_case(case: ValidationCase, accelerator: Accelerator) -> InferSetting:
    """Map a case to scenario, lengths, precision, layout and stack (rules in the module
    docstring): the ``workload`` block first, the free text only as a fallback."""
    text = case.text
    work = _workload_block(case)
    entry = _dataset_entry(case)
    par = case.parallelism
    stack = case_stack(case, accelerator)
    scenario_match = re.search(r"scenario\s*[=:]?\s*(offline|server|interactive)", text)
    if scenario_match is None and _mlperf_round(case) is not None:
        # an MLPerf case whose text does not name its scenario: the id's word for it
        scenario_match = re.search(r"[-_](offline|server|interactive)\b", case.id.lower())
    if scenario_match and entry is not None:
        scenario: Scenario = scenario_match.group(1)  # type: ignore[assignment]
        if "interactive" in f"{case.id} {case.model.name}".lower() and scenario == "server":
            scenario = "interactive"
        length_in = _mean_and_scv(work.get("input_tokens_mean"), entry, "input", False)
        length_out = _mean_and_scv(work.get("output_tokens_mean"), entry, "output", False)
        if length_in is None or length_out is None:
            raise CaseSkipped(
                f"the dataset of {case.model.name!r} has no published mean or maximum "
                f"{'input' if length_in is None else 'output'} length (data/infer_workloads.yaml)"
            )
        limits = (entry.get("scenarios") or {}).get(scenario) or (
            (entry.get("scenarios") or {}).get("server", {}) if scenario != "offline" else {}
        )
        metrics = case.metrics
        tpot_limit = metrics.get("constraint_tpot_ms") or limits.get("tpot_p99_ms")
        if tpot_limit is None and limits.get("e2e_p99_ms"):
            # an end-to-end limit (GPT-J): spread over the mean output as a per-token bound
            tpot_limit = float(limits["e2e_p99_ms"]) / length_out[0]
        return InferSetting(
            scenario=scenario,
            input_len=length_in[0],
            output_len=length_out[0],
            input_len_scv=length_in[1],
            output_len_scv=length_out[1],
            weight_precision=_lowest_float_format(accelerator),
            tp=par.tp,
            pp=par.pp or 1,
            ep=par.ep or 1,
            kv_precision=_stated_kv_precision(case.precision),
            tp_unit="chips",
            cores_per_chip=None,
            batch=None,
            ttft_p99_ms=metrics.get("constraint_ttft_ms") or limits.get("ttft_p99_ms"),
            tpot_p99_ms=tpot_limit,
            dispatch_window_s=_harness_window_s(case, scenario),
            stack=stack,
            beams=_beams(text),
            scheduler_steps=_scheduler_steps(text),
        )
    dataset = str(work.get("dataset") or "").lower()
    fixed = "fixed" in dataset or "synthetic" in dataset
    notes_text = " ".join(filter(None, (case.batch.notes, case.conditions))).lower()
    # where the lengths are stated: the batch notes and conditions, else any free text of the
    # case, else its id ("...-isl1024-osl2048", "...-in128-out2048")
    stated = (
        _lengths_from_text(notes_text)
        or _lengths_from_text(text)
        or _lengths_from_text(case.id.lower().replace("_", "-"))
    )
    length_in = _mean_and_scv(work.get("input_tokens_mean"), entry, "input", fixed)
    length_out = _mean_and_scv(work.get("output_tokens_mean"), entry, "output", fixed)
    if (length_in is None or length_out is None) and stated is not None:
        length_in = length_in or (stated[0], 0.0)
        length_out = length_out or (stated[1], 0.0)
    if length_in is None or length_out is None:
        raise CaseSkipped(
            "input/output lengths not stated (no workload means, dataset statistics, 'ISL/OSL' "
            "or 'input/output N tokens')"
        )
    generated = _generated_per_request(case)
    if generated is not None:
        length_out = (generated, length_out[1])
    batch = _stated_batch(case) or _batch_from_text(notes_text)
    concurrency = work.get("max_concurrency") or _concurrency_from_text(notes_text)
    # Neuron degrees count NeuronCores (the Neuron SDK convention, stated in the schema)
    cores = (
        accelerator.software_stack == "Neuron" or "counts neuroncores" in (par.notes or "").lower()
    )
    # one replica per dp rank on all the case's chips: tp cores / chips is the number of
    # (logical) NeuronCores used per chip (2 on Inferentia2; 4 on Trainium2 with LNC=2)
    chips = case.hardware.count // (par.dp or 1)
    per_chip = par.tp / chips if cores and par.tp and chips >= 1 and par.tp % chips == 0 else None
    mode = re.search(r"mode\s*[:=]?\s*(synchronous|throughput)", text) or re.search(
        r"(synchronous|throughput)\s*(?:\([^)]*\)\s*)?mode", text
    )
    static_stated = "static" in str(work.get("notes") or "").lower()
    # a client concurrency and no engine batch: that many clients in flight (a closed loop,
    # vLLM / SGLang bench_serving --max-concurrency, genai-perf --concurrency)
    closed = (
        mode is not None
        or "concurrent users" in text
        or (concurrency is not None and batch is None and not static_stated)
    )
    static = static_stated or (not closed and concurrency is not None and batch is not None)
    rate = _request_rate(work.get("request_rate"), text)
    offline = concurrency is None and any(
        w in text
        for w in ("max-throughput", "all queued at once", "offline", "rate inf", "all requests")
    )
    if closed:
        synchronous = mode is not None and mode.group(1) == "synchronous"
        stated_users = re.search(r"(\d+)\s+(?:concurrent\s+)?users", text)
        users = (
            1.0
            if synchronous
            else float(concurrency or (stated_users and stated_users.group(1)) or batch or 1)
        )
        scenario_: Scenario = "closed"
    elif rate is not None and concurrency is None and not static:
        users, scenario_ = None, "open"
    elif offline:
        users, scenario_ = None, "offline"
    elif static or batch is not None or concurrency is not None:
        users, scenario_ = None, "static"
    else:
        raise CaseSkipped("neither a fixed batch, a client concurrency nor an offline setting")
    replicas = _replicas_stated(case)
    return InferSetting(
        scenario=scenario_,
        input_len=length_in[0],
        output_len=length_out[0],
        input_len_scv=length_in[1],
        output_len_scv=length_out[1],
        weight_precision=_stated_precision(case.precision),
        tp=par.tp,
        pp=par.pp or 1,
        ep=par.ep or 1,
        kv_precision=_stated_kv_precision(case.precision),
        tp_unit="cores" if cores else "chips",
        cores_per_chip=per_chip,
        batch=float(concurrency or batch or 1) if scenario_ == "static" else None,
        ttft_p99_ms=None,
        tpot_p99_ms=None,
        stack=stack,
        users=users,
        slots=_slots_per_replica(case, replicas) if scenario_ in ("offline", "closed") else None,
        scheduler_steps=_scheduler_steps(text),
        request_rate=rate if scenario_ == "open" else None,
    )


def _written_number(text: str, patterns: Sequence[str], minimum: float) -> float | None:
    """The number captured by the first of ``patterns`` that matches ``text`` (each pattern's
    first non-empty group), when it is at least ``minimum``; else None."""
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            value = float(next(g for g in match.groups() if g is not None))
            return value if value >= minimum else None
    return None


def _concurrency_from_text(text: str) -> float | None:
    """A client concurrency written in the notes: ``--max-concurrency 64``, ``concurrency:
    64``, ``64 concurrent requests`` (or clients, users)."""
    patterns = (
        r"\bconcurrency\s*[=:]?\s*(\d+)\b",
        r"\b(\d+)\s+concurrent\s+(?:requests|clients|users|streams)\b",
    )
    return _written_number(text, patterns, 1.0)


def _stated_batch(case: ValidationCase) -> float | None:
    """The case's engine batch over all its chips: ``global_batch_seqs``, else
    ``per_device_batch`` x chips (JetStream / MaxText ``per_device_batch_size``)."""
    if case.batch.global_batch_seqs:
        return float(case.batch.global_batch_seqs)
    per_device = case.batch.per_device_batch
    return float(per_device) * case.hardware.count if per_device else None


def _batch_from_text(text: str) -> float | None:
    """A batch written in the notes when ``global_batch_seqs`` is empty: ``batch size 8``,
    ``batch 8``, ``bs=8``, ``batch_size: 8``."""
    return _written_number(text, (r"\b(?:batch(?:[\s_-]*size)?|bs)\s*[=:]?\s*(\d+)\b",), 1.0)


def _request_rate(stated: Any, text: str) -> float | None:
    """Poisson arrival rate (requests/s, whole deployment) of an open-loop benchmark: the
    workload block's ``request_rate``, else ``request rate N`` / ``--request-rate N`` /
    ``arrival rate N`` / ``N QPS`` in the text (a measured "N requests/s" is not an arrival
    rate); None for an infinite rate (everything sent at once) or none stated."""
    if isinstance(stated, int | float) and not isinstance(stated, bool):
        return float(stated) if 0.0 < stated < math.inf else None
    number = r"(\d+(?:\.\d+)?)"
    patterns = (
        rf"(?:request|arrival)[\s_-]*rate\s*[=:]?\s*{number}\b",
        rf"\b{number}\s*qps\b|\bqps\s*[=:]?\s*{number}\b",
    )
    rate = _written_number(text, patterns, 0.0)
    return rate if rate else None


def _generated_per_request(case: ValidationCase) -> float | None:
    """Output tokens a request really generated when the run measured both its output-token
    and its request throughput (guidellm, ``benchmark_serving``): their ratio. A configured
    output length is a target the engine may stop short of (end of sequence), and a request's
    decode time and the prefills per output token follow what was generated."""
    tokens, requests = case.metrics.get("output_tokens_per_s"), case.metrics.get("requests_per_s")
    if tokens and requests and tokens > 0 and requests > 0:
        return float(tokens) / float(requests)
    return None


def _slots_per_replica(case: ValidationCase, replicas: float) -> float | None:
    """Engine decode slots (compiled or configured batch) per replica, when the case states
    them: ``global_batch_seqs`` per replica if its notes say so, else over the replicas."""
    batch = _stated_batch(case)
    if not batch:
        return None
    per_replica = "per replica" in (case.batch.notes or "").lower()
    return float(batch) if per_replica else max(float(batch) / replicas, 1.0)


def _layout_options(
    setting: InferSetting, case: ValidationCase, spec: ModelSpec
) -> list[tuple[int, int]]:
    """(tp, ep) layouts to evaluate: the stated ones, else every tp in ``_TP_CHOICES`` within
    a node dividing the chips and, for a MoE model whose case states no expert parallelism,
    also ep = tp where that divides the experts (as ``estimate serve`` searches)."""
    if setting.tp is not None:
        return [(setting.tp, setting.ep)]
    count = case.hardware.count
    node = case.hardware.accelerators_per_node or count
    tps = [t for t in _TP_CHOICES if t <= min(count, node) and count % t == 0]
    if not tps:
        raise CaseSkipped(f"no tensor-parallel size in {_TP_CHOICES} divides {count} chips")
    if setting.ep > 1:
        return [(t, setting.ep) for t in tps]
    return [(t, ep) for t in tps for ep in expert_parallel_options(spec, t)]


@dataclass(frozen=True)
class PreparedCase:
    """A case with its model, accelerator and interpretation resolved (reused by the fitter)."""

    case: ValidationCase
    spec: ModelSpec
    accelerator: Accelerator
    setting: InferSetting

    @property
    def generation(self) -> int | None:
        return None if self.setting.stack is None else self.setting.stack.generation


# What a system description writes when its GPUs have no GPU-to-GPU link (MLPerf system JSON
# "accelerator_interconnect": "N/A"), or names only the host bus.
_NO_GPU_LINK = ("n/a", "na", "none", "no", "-")


def installed_accelerator(accelerator: Accelerator, case: ValidationCase) -> Accelerator:
    """The accelerator as the case's system has it: a PCIe card whose scale-up link is an
    optional bridge (``NVLink bridge`` in the catalog's ``scaleup_interconnect``) runs tensor
    parallelism over PCIe when the system states no GPU interconnect, or only PCIe; a
    built-in link (SXM/OAM boards, NVLink switches) is never taken away by a missing field."""
    stated = (case.hardware.interconnect or "").strip().lower()
    bridge = "bridge" in (accelerator.scaleup_interconnect or "").lower()
    if bridge and (stated in _NO_GPU_LINK or stated.startswith("pcie")):
        unbridged = {"scaleup_domain_chips": 1, "scaleup_topology": "none"}
        return accelerator.model_copy(update=unbridged)
    return accelerator


def prepare_infer_case(case: ValidationCase, catalog: Catalog) -> PreparedCase:
    """Resolve a case's model, accelerator and setting; CaseSkipped when it cannot be."""
    if case.kind != "infer":
        raise CaseSkipped(f"not an inference case (kind {case.kind!r})")
    accelerator = installed_accelerator(
        resolve_accelerator(catalog, case.hardware.accelerator_id, case.hardware.accelerator), case
    )
    try:
        spec = spec_from_description(case.model.model_dump())
    except XpuplanError as error:
        raise CaseSkipped(f"model not understood: {error}") from None
    setting = interpret_case(case, accelerator)
    if setting.weight_precision not in WEIGHT_PRECISIONS:
        raise CaseSkipped(f"precision {setting.weight_precision!r} not modelled")
    return PreparedCase(case=case, spec=spec, accelerator=accelerator, setting=setting)


def _efficiency_of(prepared: PreparedCase, efficiency: ServingEfficiency) -> ServingEfficiency:
    """``efficiency`` with what the case itself fixes: its engine's static shapes, its
    harness's dispatch window and its engine's decode slots (compiled batch)."""
    s = prepared.setting
    changes: dict[str, float] = {}
    if s.stack is not None:  # the engine's static shapes, not the family's
        changes["kv_read_padded"] = 1.0 if reads_padded_kv(s.stack, prepared.accelerator) else 0.0
        # per-request host work: only where the engine version runs it every iteration
        if not s.stack.exposes_host_work():
            changes["host_s_per_sequence"] = 0.0
    if s.scheduler_steps > 1.0:
        changes["scheduler_steps"] = s.scheduler_steps
    if s.dispatch_window_s:
        changes["dispatch_window_s"] = s.dispatch_window_s
    if s.slots:
        # the stated engine batch caps the slots; a static-shape runtime compiled for it runs
        # every slot each decode step (the step model applies it only where KV reads pad)
        changes["max_sequences"] = s.slots
        changes["compiled_batch"] = s.slots
    return efficiency.replace(**changes) if changes else efficiency


def predict_prepared(
    prepared: PreparedCase, efficiency: ServingEfficiency | None = None
) -> dict[str, float]:
    """Predicted metrics of a prepared case, optionally with another efficiency (fitting:
    the efficiency of the case's family and stack generation)."""
    stack = prepared.setting.stack
    eff = efficiency or efficiency_for(
        prepared.accelerator.vendor_family,
        generation=prepared.generation,
        engine=None if stack is None else stack.backend_key(prepared.accelerator.software_stack),
        architecture=prepared.accelerator.generation,
    )
    return predict_many(prepared, [eff])[0]


def predict_many(
    prepared: PreparedCase, efficiencies: Sequence[ServingEfficiency]
) -> list[dict[str, float]]:
    """Predicted metrics of a case under each efficiency, in one vectorized estimator call
    (every efficiency x layout option is a candidate): the fitter's Jacobian in one pass.
    CaseSkipped when the first efficiency leaves no feasible layout."""
    case, spec, accelerator, s = (
        prepared.case,
        prepared.spec,
        prepared.accelerator,
        prepared.setting,
    )
    options = _layout_options(s, case, spec)
    effs = [_efficiency_of(prepared, e) for e in efficiencies]
    k, m = len(effs), len(options)
    cands = build_candidates(
        [accelerator] * k,
        np.repeat(np.arange(k), m),
        np.tile([tp for tp, _ in options], k),
        s.pp,
        weight_precision=s.weight_precision,
        tp_unit=s.tp_unit,
        cores_per_chip=s.cores_per_chip,
        efficiency=effs,
        stack=s.stack,
        ep=np.tile([ep for _, ep in options], k),
        kv_precision=s.kv_precision,
    )
    count = case.hardware.count
    chips = cands.tp * cands.pp
    replicas = np.maximum(np.floor(count / chips), 1.0)
    constrained = s.scenario in ("server", "interactive")
    batch: Any = s.batch
    if s.scenario == "closed":
        users = s.users or 1.0
        busy = np.minimum(replicas, users)  # one user keeps one replica busy
        batch = np.maximum(users / busy, 1.0)
        if s.slots:
            batch = np.minimum(batch, s.slots)
    else:
        busy = replicas
    # open loop: the stated arrivals split over the replicas
    rate = None if s.request_rate is None else s.request_rate / replicas
    r = serving_capacity_arrays(
        spec,
        cands,
        input_len=s.input_len,
        output_len=s.output_len,
        input_len_scv=s.input_len_scv,
        output_len_scv=s.output_len_scv,
        batching="static" if s.scenario == "static" else "continuous",
        batch=batch,
        ttft_p99_ms=s.ttft_p99_ms if constrained else None,
        tpot_p99_ms=s.tpot_p99_ms if constrained else None,
        replicas=replicas,
        beams=s.beams,
        rate_per_replica=rate,
        # a closed loop's users beyond the KV cache wait in the engine's queue
        queue_excess=s.scenario == "closed",
    )
    # open loop past capacity (status 4): the replica runs at its capacity, the queue grows
    runs = r.feasible | ((r.status == 4) & (s.scenario == "open"))
    total = np.where(runs & (count >= chips), r.output_tokens_per_s * busy, -np.inf)
    total = total.reshape(k, m)
    e2e = np.where(np.isfinite(r.e2e_mean_s), r.e2e_mean_s, np.inf).reshape(k, m)
    out: list[dict[str, float]] = []
    for j in range(k):
        best_option = _best_option(total[j], e2e[j])
        if not np.isfinite(total[j, best_option]):
            if j == 0:
                reason = STATUS_MESSAGES[int(r.status[best_option])]
                raise CaseSkipped(f"infeasible on {count} x {accelerator.id}: {reason}")
            out.append({})
            continue
        best = j * m + best_option
        out.append(_metrics(case, s, r.row(best), float(busy[best]), float(chips[best])))
    return out


def _best_option(total: npt.NDArray[np.float64], e2e: npt.NDArray[np.float64]) -> int:
    """The layout a tuned deployment runs: the highest throughput; among layouts that all
    carry the same stated load (an open loop below capacity), the fastest request."""
    top = float(np.max(total))
    if not np.isfinite(top):
        return int(np.argmax(total))
    tied = total >= top * (1.0 - 1e-9)
    return (
        int(np.argmin(np.where(tied, e2e, np.inf)))
        if np.any(tied & np.isfinite(e2e))
        else (int(np.argmax(total)))
    )


def _closed_loop_quantiles(row: dict[str, float], ttft_mean: float) -> tuple[float, float]:
    """TTFT p50 and p99 consistent with a mean read differently from the row's (a closed
    loop's): a wait added to the mean (users queued for a slot, Little's law) delays every
    request alike, so it shifts both quantiles; a mean below the row's (a lone user's request
    meets no iteration in progress) scales them down with it."""
    p50, p99, mean = row["ttft_p50_s"], row["ttft_p99_s"], row["ttft_mean_s"]
    if not (math.isfinite(mean) and mean > 0.0) or ttft_mean == mean:
        return p50, p99
    if ttft_mean > mean:
        return p50 + ttft_mean - mean, p99 + ttft_mean - mean
    return p50 * ttft_mean / mean, p99 * ttft_mean / mean


def _metrics(
    case: ValidationCase, s: InferSetting, row: dict[str, float], n: float, group: float
) -> dict[str, float]:
    """The case's metrics from one candidate's row (``n`` busy replicas of ``group`` chips)."""
    count = case.hardware.count
    out_total = row["output_tokens_per_s"] * n
    ms = 1e3
    n_decode = max(s.output_len - 1.0, 0.0)
    ttft_mean = row["ttft_mean_s"]
    if s.scenario == "closed" and s.users:
        # closed loop: a user's request waits for a free slot, then one iteration and its own
        # prefill; with every slot busy Little's law gives e2e = users / throughput. With other
        # users decoding, a request lands inside an iteration that carries their prefills too:
        # it waits as an arrival does (queueing.first_token_s, the row's TTFT); a lone user's
        # request, or a loop of one-token requests (Little's law alone), does not
        service = row["prefill_latency_s"] + row["step_s"]
        if math.isfinite(ttft_mean) and s.output_len > 1.0 and s.users > 1.0:
            service = max(service, ttft_mean)
        little = s.users / (row["rate_per_s"] * n) - n_decode * row["tpot_mean_s"]
        ttft_mean = max(service, little)
    ttft_p50, ttft_p99 = _closed_loop_quantiles(row, ttft_mean)
    e2e = (ttft_mean + n_decode * row["tpot_mean_s"]) * ms
    predicted = {
        "tokens_per_s": out_total,
        "tokens_per_s_per_accelerator": out_total / count,
        "samples_per_s": row["rate_per_s"] * n,
        "requests_per_s": row["rate_per_s"] * n,
        "output_tokens_per_s": out_total,
        "output_tokens_per_s_total": out_total,
        "output_tokens_per_s_per_gpu": out_total / (n * group),
        "ttft_mean_ms": ttft_mean * ms,
        "ttft_p50_ms": ttft_p50 * ms,
        "ttft_p99_ms": ttft_p99 * ms,
        "tpot_mean_ms": row["tpot_mean_s"] * ms,
        "tpot_p50_ms": row["tpot_p50_s"] * ms,
        "tpot_p99_ms": row["tpot_p99_s"] * ms,
        "e2e_latency_mean_ms": e2e,
        "e2e_latency_median_ms": e2e,
        # a request's p99 end-to-end time: its TTFT and per-token tails added (an upper
        # estimate; a static batch has no spread)
        "e2e_latency_p99_ms": e2e
        if s.scenario in ("static", "closed")
        else (row["ttft_p99_s"] + n_decode * row["tpot_p99_s"]) * ms,
    }
    requests = row["rate_per_s"] * n
    predicted["input_tokens_per_s"] = requests * s.input_len
    predicted["total_tokens_per_s"] = requests * s.input_len + out_total
    predicted["output_tokens_per_s_per_user"] = 1.0 / row["tpot_mean_s"]
    predicted.update({alias: predicted[name] for alias, name in METRIC_ALIASES.items()})
    if s.scenario == "offline":  # no latency is measured when everything is queued at once
        predicted = {
            k: v for k, v in predicted.items() if "_ms" not in k and not k.endswith("_per_user")
        }
    if s.scenario == "open" and row["status"] == 4:
        # arrivals beyond capacity: the queue, and so the first token's wait, grow without bound
        predicted = {k: v for k, v in predicted.items() if not k.startswith(("ttft", "e2e"))}
    wanted = {k for k in case.metrics if not k.startswith("constraint_")}
    return {k: v for k, v in predicted.items() if k in wanted and math.isfinite(v)}


# Other names of predicted metrics in published tables: per-accelerator figures by the
# device's name, inter-token latency (ITL, vLLM / genai-perf / guidellm: the mean gap between
# a request's output tokens, which is its TPOT), medians written as such, and NVIDIA's
# tokens/s/user (1 / TPOT).
METRIC_ALIASES: dict[str, str] = {
    "tokens_per_s_per_gpu": "tokens_per_s_per_accelerator",
    "tokens_per_s_per_chip": "tokens_per_s_per_accelerator",
    "tokens_per_s_per_device": "tokens_per_s_per_accelerator",
    "output_tokens_per_s_per_accelerator": "tokens_per_s_per_accelerator",
    "output_tokens_per_s_per_chip": "tokens_per_s_per_accelerator",
    "output_tokens_per_s_per_device": "tokens_per_s_per_accelerator",
    "tokens_per_s_per_user": "output_tokens_per_s_per_user",
    "ttft_median_ms": "ttft_p50_ms",
    "tpot_median_ms": "tpot_p50_ms",
    "itl_mean_ms": "tpot_mean_ms",
    "itl_p50_ms": "tpot_p50_ms",
    "itl_median_ms": "tpot_p50_ms",
    "itl_p99_ms": "tpot_p99_ms",
    "e2e_latency_p50_ms": "e2e_latency_median_ms",
}


class InferPrediction(dict[str, float]):
    """Predicted metrics plus how the case was read (stack, lengths, harness quirks)."""

    assumptions: tuple[str, ...] = ()


def reading_notes(prepared: PreparedCase) -> tuple[str, ...]:
    """How a case was read, in words: its stack, scenario, lengths and any harness quirk."""
    s = prepared.setting
    notes = [
        f"stack {s.stack.label}" if s.stack is not None else "stack: family default",
        f"{s.scenario}: {s.input_len:,.1f} in / {s.output_len:,.1f} out tokens "
        f"(scv {s.input_len_scv:.2f} / {s.output_len_scv:.2f}), weights {s.weight_precision}",
    ]
    if s.kv_precision is not None:
        notes.append(f"KV cache {s.kv_precision} as stated")
    if s.dispatch_window_s:
        notes.append(f"benchmark harness dispatch window {s.dispatch_window_s:g} s")
    if s.beams > 1:
        notes.append(f"beam search, {s.beams:g} hypotheses per request")
    if s.scheduler_steps > 1:
        notes.append(f"multi-step scheduling, {s.scheduler_steps:g} decode steps per call")
    if s.users:
        notes.append(f"closed loop of {s.users:g} users")
    if s.request_rate is not None:
        notes.append(f"open loop: Poisson arrivals at {s.request_rate:g} requests/s in all")
    return tuple(notes)


def predict_infer_case(case: ValidationCase, catalog: Catalog) -> dict[str, float]:
    """Predicted metrics of an ``infer`` case under its own metric names (never constraints),
    with the reading's notes as ``assumptions``."""
    prepared = prepare_infer_case(case, catalog)
    out = InferPrediction(predict_prepared(prepared))
    out.assumptions = reading_notes(prepared)
    return out


def metric_kind(name: str) -> str:
    """Group of an inference metric: throughput, ttft, tpot (inter-token latency too) or
    e2e."""
    for kind in ("ttft", "tpot", "e2e"):
        if name.startswith(kind):
            return kind
    return "tpot" if name.startswith("itl_") else "throughput"


def error_table(report: ValidationReport) -> list[dict[str, Any]]:
    """|relative error| statistics of ``infer`` cases per family and metric kind.

    Throughput counts one (the primary) metric per case; ``latency`` pools every TTFT, TPOT and
    e2e metric of the family. Rows: family (and ``all``), kind, n, median, p90, max.
    """
    groups: dict[tuple[str, str], list[float]] = {}
    for result in report.cases:
        if result.kind != "infer" or result.status != "ok":
            continue
        for family in (result.family, "all"):
            if result.primary_error is not None:
                groups.setdefault((family, "throughput"), []).append(abs(result.primary_error))
            for name, comparison in result.metrics.items():
                kind = metric_kind(name)
                if kind == "throughput":
                    continue
                for key in (kind, "latency"):
                    groups.setdefault((family, key), []).append(abs(comparison.rel_error))
    rows = []
    for (family, kind), errors in sorted(groups.items()):
        values = np.asarray(errors)
        rows.append(
            {
                "family": family,
                "kind": kind,
                "n": len(values),
                "median": float(np.median(values)),
                "p90": float(np.percentile(values, 90)),
                "max": float(values.max()),
            }
        )
    return rows
