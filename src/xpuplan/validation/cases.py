"""Schema of a validation file: measured results of real training and inference runs.

The format is the one of ``data/public.yaml`` (documented in its README): top-level keys
``schema_version``, ``description``, ``cases`` (plus optional provenance blocks), and per case
``id``, ``source``, ``kind``, ``model``, ``hardware``, ``parallelism``, ``batch``, ``precision``,
``framework``, ``metrics``, ``conditions``, ``confidence``, ``notes``. ``null`` means the source
does not say. Unknown extra keys are kept (files from other sources may carry more provenance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xpuplan.errors import ValidationFileError

__all__ = [
    "BatchInfo",
    "CaseSkipped",
    "HardwareInfo",
    "MoEDescription",
    "ModelDescription",
    "ParallelismInfo",
    "RejectedCase",
    "SourceInfo",
    "ValidationCase",
    "load_cases",
    "read_cases",
    "write_cases",
]


class CaseSkipped(Exception):
    """A predictor cannot predict this case; ``reason`` says why (shown in the report)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class SourceInfo(_Block):
    title: str | None = None
    url: str | None = None
    repo_path: str | None = None
    commit: str | None = None
    table: str | None = None


class MoEDescription(_Block):
    num_experts: int | None = Field(default=None, ge=1)
    top_k: int | None = Field(default=None, ge=1)
    expert_ffn: int | None = Field(default=None, ge=1)
    shared_experts: int | None = Field(default=None, ge=0)
    total_params: float | None = Field(default=None, gt=0)
    active_params: float | None = Field(default=None, gt=0)


class ModelDescription(_Block):
    name: str
    layers: int | None = Field(default=None, ge=1)
    hidden: int | None = Field(default=None, ge=1)
    heads: int | None = Field(default=None, ge=1)
    kv_heads: int | None = Field(default=None, ge=1)
    ffn: int | None = Field(default=None, ge=1)
    vocab: int | None = Field(default=None, ge=1)
    seq_len: int | None = Field(default=None, ge=1)
    params: float | None = Field(default=None, gt=0)
    moe: MoEDescription | None = None
    notes: str | None = None


class HardwareInfo(_Block):
    accelerator: str
    accelerator_id: str
    family: str
    count: int = Field(ge=1, description="chips or GPUs, never cores")
    system: str | None = None
    nodes: int | str | None = None
    accelerators_per_node: int | None = Field(default=None, ge=1)
    interconnect: str | None = None
    notes: str | None = None


class ParallelismInfo(_Block):
    tp: int | None = Field(default=None, ge=1)
    pp: int | None = Field(default=None, ge=1)
    dp: int | None = Field(default=None, ge=1)
    cp: int | None = Field(default=None, ge=1)
    ep: int | None = Field(default=None, ge=1)
    zero: int | str | None = None
    fsdp: bool | str | None = None
    sequence_parallel: bool | str | None = None
    recompute: str | bool | None = None
    virtual_pp: int | None = Field(default=None, ge=1)
    notes: str | None = None


class BatchInfo(_Block):
    global_batch_seqs: int | None = Field(default=None, ge=1)
    global_batch_tokens: int | None = Field(default=None, ge=1)
    micro_batch: int | None = Field(default=None, ge=1)
    per_device_batch: int | float | None = Field(default=None, gt=0)
    grad_accum_steps: int | None = Field(default=None, ge=1)
    notes: str | None = None


class ValidationCase(BaseModel):
    """One measured result and the configuration it ran under."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str = Field(min_length=1)
    kind: str = Field(description="train | infer | whole_run | claim")
    source: SourceInfo = Field(default_factory=SourceInfo)
    model: ModelDescription
    hardware: HardwareInfo
    parallelism: ParallelismInfo = Field(default_factory=ParallelismInfo)
    batch: BatchInfo = Field(default_factory=BatchInfo)
    precision: str | None = None
    framework: str | None = None
    metrics: dict[str, float | None]
    conditions: str | None = None
    confidence: str | None = None
    notes: str | None = None

    def measured(self) -> dict[str, float]:
        """The metrics with a value (nulls dropped)."""
        return {k: float(v) for k, v in self.metrics.items() if v is not None}

    @property
    def text(self) -> str:
        """Every free-text field of the case, lower-cased (for convention look-ups)."""
        parts = [
            self.conditions,
            self.notes,
            self.precision,
            self.framework,
            self.parallelism.notes,
            self.model.notes,
            self.batch.notes,
        ]
        return " | ".join(p for p in parts if p).lower()


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(case)"
    extra = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{loc}: {first['msg']}{extra}"


@dataclass(frozen=True)
class RejectedCase:
    """A case of a validation file that breaks the schema: skipped, with the reason."""

    id: str
    kind: str
    family: str
    accelerator_id: str
    reason: str


def _read_file(file: Path) -> list[Any]:
    try:
        raw: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationFileError(
            f"{file}: cannot read validation file ({error.strerror})"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFileError(f"{file}: not valid YAML{where}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
        raise ValidationFileError(f"{file}: expected a mapping with a 'cases' list at the top")
    return list(raw["cases"])


def _text(block: Any, key: str) -> str:
    value = block.get(key) if isinstance(block, dict) else None
    return value if isinstance(value, str) else "?"


def _case_problem(item: Any, seen: set[str]) -> tuple[ValidationCase | None, str]:
    """The validated case, or None and the reason it breaks the schema."""
    if not isinstance(item, dict):
        return None, f"expected a mapping, got {type(item).__name__}"
    hardware = item.get("hardware")
    if isinstance(hardware, dict) and "count" in hardware and hardware["count"] is None:
        return None, "hardware.count: not given (null); predicting needs the chip count"
    try:
        case = ValidationCase.model_validate(item)
    except ValidationError as error:
        return None, _one_line(error)
    bad = [k for k, v in case.metrics.items() if v is not None and not math.isfinite(v)]
    if bad:
        return None, f"metrics.{bad[0]}: {case.metrics[bad[0]]} is not a finite number"
    if case.id in seen:
        return None, "duplicate case id"
    return case, ""


def read_cases(path: str | Path) -> tuple[list[ValidationCase], list[RejectedCase]]:
    """Every case of a validation file that follows the schema, and every one that does not
    (with its reason), so one bad case does not stop the rest from being predicted.

    A file that cannot be read or lacks a top-level ``cases`` list raises
    :class:`ValidationFileError`.
    """
    file = Path(path)
    cases: list[ValidationCase] = []
    rejected: list[RejectedCase] = []
    seen: set[str] = set()
    for index, item in enumerate(_read_file(file)):
        case, reason = _case_problem(item, seen)
        if case is not None:
            seen.add(case.id)
            cases.append(case)
            continue
        case_id = item.get("id") if isinstance(item, dict) else None
        label = str(case_id) if isinstance(case_id, str | int) and case_id != "" else ""
        rejected.append(
            RejectedCase(
                id=label or f"{file.name}#{index + 1}",
                kind=_text(item, "kind"),
                family=_text(item.get("hardware") if isinstance(item, dict) else None, "family"),
                accelerator_id=_text(
                    item.get("hardware") if isinstance(item, dict) else None, "accelerator_id"
                ),
                reason=f"invalid case: {reason}",
            )
        )
    return cases, rejected


def load_cases(path: str | Path) -> list[ValidationCase]:
    """Read and validate every case of a validation YAML file.

    Raises :class:`ValidationFileError` naming the file (and the case id) on any problem; see
    :func:`read_cases` to skip bad cases instead.
    """
    file = Path(path)
    cases, rejected = read_cases(file)
    if rejected:
        first = rejected[0]
        label = f"case {first.id!r}" if "#" not in first.id else f"case #{first.id.split('#')[-1]}"
        raise ValidationFileError(f"{file}: {label}: {first.reason.removeprefix('invalid case: ')}")
    return cases


def write_cases(
    path: str | Path,
    cases: list[dict[str, Any]],
    *,
    description: str,
    families: dict[str, str],
    width: int = 100,
) -> None:
    """Write ``cases`` as a validation YAML file (what :func:`load_cases` reads): the
    transcription scripts under ``scripts/`` share this layout."""
    document = {
        "schema_version": 1,
        "description": description,
        "families": families,
        "cases": cases,
    }
    text = yaml.safe_dump(document, sort_keys=False, width=width)
    Path(path).write_text(text, encoding="utf-8")
