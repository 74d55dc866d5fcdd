"""Write the `workload` block of every inference case whose text states its request mix.

Usage: python scripts/parse_case_workloads.py FILE [FILE ...]   (rewrites the files in place)

The block (documented in docs/validation-schema.md) is read from what the case already says, never
guessed:

* MLPerf cases (``scenario=`` in ``conditions``): ``dataset`` is the key of the benchmark's entry
  in ``src/xpuplan/validation/data/infer_workloads.yaml``; the means are copied from that entry
  (null where MLPerf publishes none).
* Fixed-length tables: "ISL a/OSL b" (trtllm-bench, all requests queued at once) and
  "input a tokens, output b tokens" (fixed batch: ``max_concurrency`` = the batch).
* guidellm runs: ``prompt_tokens=`` / ``generated_tokens=`` (or "~a input / ~b output tokens"),
  concurrency from "N concurrent users" / "max concurrency N users" / "with N users";
  synchronous mode = 1.
* Derived means stated in the case ("mean ISL a, mean OSL b").
* JetStream ShareGPT runs: the dataset and its filters, lengths not published (null).

Cases that already have a ``workload`` block are left as they are. The block is inserted as text
at the end of each case, so the rest of the file keeps its formatting.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ROOT / "src/xpuplan/validation/data/infer_workloads.yaml"


def _text(case: dict[str, Any]) -> str:
    parts = [
        case.get("conditions"),
        case.get("notes"),
        (case.get("batch") or {}).get("notes"),
        (case.get("model") or {}).get("notes"),
        (case.get("parallelism") or {}).get("notes"),
    ]
    return " | ".join(str(p) for p in parts if p)


def _mlperf_entry(case: dict[str, Any], entries: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    model = case.get("model") or {}
    text = f"{model.get('name', '')} {model.get('notes') or ''}".lower()
    for key, entry in entries.items():
        if all(word in text for word in entry["match"]):
            return key, entry
    raise SystemExit(f"{case['id']}: MLPerf case without a dataset entry in {WORKLOADS.name}")


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() else value  # type: ignore[return-value]


def _concurrency(text: str, batch: int | None) -> int | None:
    lowered = text.lower()
    if re.search(r"mode synchronous|synchronous row|synchronous = 1 request", lowered):
        return 1
    for pattern in (
        r"(\d+) concurrent users",
        r"max concurrency (\d+) users",
        r"with (\d+) users",
        r"(\d+) guidellm users",
    ):
        match = re.search(pattern, lowered)
        if match:
            return int(match.group(1))
    return batch


def workload_for(case: dict[str, Any], entries: dict[str, Any]) -> dict[str, Any] | None:
    """The workload block a case's own text states, or None when it states no request mix."""
    if case.get("kind") != "infer":
        return None
    text = _text(case)
    lowered = text.lower()
    batch = (case.get("batch") or {}).get("global_batch_seqs")
    scenario = re.search(r"scenario\s*=?\s*(offline|server|interactive)", lowered)
    if "mlperf" in f"{(case.get('model') or {}).get('name', '')} {text}".lower() and scenario:
        key, entry = _mlperf_entry(case, entries)
        name = scenario.group(1)
        how = {
            "offline": "all samples issued at once (maximum throughput)",
            "server": "Poisson arrivals at the highest rate meeting the p99 latency limits",
            "interactive": "Poisson arrivals under the tighter Interactive p99 latency limits",
        }[name]
        return {
            "input_tokens_mean": entry.get("input_tokens_mean"),
            "output_tokens_mean": entry.get("output_tokens_mean"),
            "max_concurrency": None,
            "request_rate": None,
            "dataset": key,
            "notes": (
                f"MLPerf {name.capitalize()}: {how}; lengths are the dataset's published means "
                f"({WORKLOADS.name}: {key}; null where MLPerf publishes none). The request rate "
                "is what the submitter tuned, i.e. the measured result, so it is not an input."
            ),
        }
    isl = re.search(r"isl\s*(\d+)\s*/\s*osl\s*(\d+)", lowered)
    if isl:
        return {
            "input_tokens_mean": int(isl.group(1)),
            "output_tokens_mean": int(isl.group(2)),
            "max_concurrency": None,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (stdev 0)",
            "notes": "every request has exactly these lengths; all requests queued at once "
            "(maximum throughput), so concurrency is limited only by the engine",
        }
    fixed = re.search(r"input\s+(\d+)\s+tokens?,\s*output\s+(\d+)\s+tokens?", lowered)
    if fixed:
        return {
            "input_tokens_mean": int(fixed.group(1)),
            "output_tokens_mean": int(fixed.group(2)),
            "max_concurrency": batch,
            "request_rate": None,
            "dataset": "synthetic fixed lengths",
            "notes": "fixed batch of equal-length requests (static batching at max_concurrency)",
        }
    emulated = re.search(r"prompt_tokens=([\d,]+).*?generated_tokens=([\d,]+)", lowered)
    approx = re.search(r"~([\d,]+) input / ~([\d,]+) output tokens", lowered)
    if emulated or approx:
        found = emulated or approx
        assert found is not None
        return {
            "input_tokens_mean": _number(found.group(1)),
            "output_tokens_mean": _number(found.group(2)),
            "max_concurrency": _concurrency(text, None),
            "request_rate": None,
            "dataset": "guidellm emulated (synthetic) prompts",
            "notes": "guidellm emulated lengths as configured"
            + (" (stated approximately)" if approx and not emulated else "")
            + "; synchronous mode sends one request at a time, throughput mode keeps "
            "max_concurrency users busy",
        }
    derived = re.search(r"mean isl ([\d.]+), mean osl ([\d.]+)", lowered)
    if derived:
        return {
            "input_tokens_mean": _number(derived.group(1)),
            "output_tokens_mean": _number(derived.group(2)),
            "max_concurrency": None,
            "request_rate": None,
            "dataset": "OpenOrca (GPT-4 subset), MLPerf calibration prompts",
            "notes": "means derived in the case from the run's total input and output tokens; "
            "offline: all prompts submitted at once",
        }
    if "sharegpt" in lowered:
        return {
            "input_tokens_mean": None,
            "output_tokens_mean": None,
            "max_concurrency": None,
            "request_rate": None,
            "dataset": "ShareGPT_V3_unfiltered_cleaned_split, filtered to input <= 1024 and "
            "input + output <= 2048 tokens",
            "notes": "request rate inf: all prompts sent at once; the server's decode slots "
            "(batch.global_batch_seqs) bound concurrency; the source publishes no length means",
        }
    return None


def _block(workload: dict[str, Any]) -> list[str]:
    dumped = yaml.safe_dump(
        {"workload": workload}, sort_keys=False, width=100, allow_unicode=True
    ).splitlines()
    return ["  " + line for line in dumped]


def rewrite(path: Path, entries: dict[str, Any]) -> int:
    """Insert the workload blocks into one file; returns how many were added."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cases = yaml.safe_load("\n".join(lines))["cases"]
    starts = [i for i, line in enumerate(lines) if line.startswith("- id:")]
    if len(starts) != len(cases):
        raise SystemExit(f"{path}: {len(starts)} '- id:' lines but {len(cases)} cases")
    ends = [*starts[1:], len(lines)]
    added = 0
    for start, end, case in reversed(list(zip(starts, ends, cases, strict=True))):
        if not lines[start].endswith(str(case["id"])):
            raise SystemExit(f"{path}: line {start + 1} is not case {case['id']!r}")
        if "workload" in case:
            continue
        workload = workload_for(case, entries)
        if workload is None:
            continue
        stop = end
        while stop > start and not lines[stop - 1].strip():
            stop -= 1
        lines[stop:stop] = _block(workload)
        added += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return added


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    entries = yaml.safe_load(WORKLOADS.read_text(encoding="utf-8"))["workloads"]
    for name in argv:
        print(f"{name}: {rewrite(Path(name), entries)} workload blocks added")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
