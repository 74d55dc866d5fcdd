"""The serving software stack: engine, version, and what the engine does by default.

A stack is an input of the serving estimator, like the chip and the workload: the same H100
serves faster on a 2025 engine than on a 2024 one (better kernels, CUDA graphs everywhere,
overlap scheduling). Each engine lists its default capabilities (``chunked_prefill``,
``graphs``, ``fp8_kv``, ``static_shapes``, ``speculative``, ``disaggregated``) and maps each
version to a *generation* (the release year of its version line). The achievable efficiency
hangs off (chip family, generation) in ``perf/data/serving_efficiency.yaml``.

Engines and versions are data (``perf/data/serving_stacks.yaml``, with sources); a new engine
is one entry there. Without a stack, :func:`default_stack` gives the family's default engine at
its newest generation: plans and ``estimate serve`` assume today's software.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from xpuplan.errors import InputError, UnknownNameError

__all__ = [
    "CAPABILITIES",
    "Engine",
    "ServingStack",
    "default_stack",
    "engine_names",
    "get_engine",
    "parse_stack",
]

CAPABILITIES: tuple[str, ...] = (
    "chunked_prefill",
    "graphs",
    "fp8_kv",
    "static_shapes",
    "speculative",
    "disaggregated",
)


@dataclass(frozen=True)
class Engine:
    """One serving engine: its default capabilities and version -> generation table."""

    name: str
    aliases: tuple[str, ...]
    default_for: tuple[str, ...]
    capabilities: dict[str, bool]
    versions: tuple[tuple[tuple[int, ...], int], ...]  # (first version, generation), ascending
    source: str
    logical_core_size: dict[str, int] = dataclasses.field(default_factory=dict)
    # first version whose per-request host work per iteration is not overlapped with the
    # chips (None: the engine hides it, e.g. a C++ executor or an overlap scheduler)
    exposed_host_from: tuple[int, ...] | None = None
    # routed load (tokens x top_k / experts) from which the backend runs a MoE layer densely,
    # every token through every expert (0: never; grouped GEMMs compute only routed tokens)
    moe_all_experts_load: float = 0.0

    @property
    def newest_generation(self) -> int:
        return self.versions[-1][1]

    def generation(self, version: str | None) -> int:
        """Generation of ``version`` (None or unparsable: the newest)."""
        key = _version_key(version)
        if key is None:
            return self.newest_generation
        generation = self.versions[0][1]
        for first, gen in self.versions:
            if key >= first:
                generation = gen
        return generation

    def exposes_host_work(self, version: str | None) -> bool:
        """Whether ``version`` (None: the newest) runs its per-request host work each
        iteration on the critical path (``exposed_host_from`` in the YAML)."""
        if self.exposed_host_from is None:
            return False
        key = _version_key(version)
        return key is None or key >= self.exposed_host_from

    def logical_cores_per_chip(self, physical_cores: int, architecture: str) -> int:
        """Cores the engine addresses per chip: physical cores / the default logical-core size
        of the architecture (Neuron LNC; 1 elsewhere)."""
        size = self.logical_core_size.get(architecture, 1)
        return max(physical_cores // size, 1)

    def can(self, capability: str) -> bool:
        if capability not in CAPABILITIES:
            raise UnknownNameError("engine capability", capability, CAPABILITIES)
        return self.capabilities.get(capability, False)


@dataclass(frozen=True)
class ServingStack:
    """Engine + version (None: the newest) as given; ``generation`` derived from the table."""

    engine: str
    version: str | None
    generation: int

    @property
    def label(self) -> str:
        return f"{self.engine} {self.version or f'(generation {self.generation})'}"

    def can(self, capability: str) -> bool:
        return get_engine(self.engine).can(capability)

    def exposes_host_work(self) -> bool:
        """Per-request host work on the critical path of every iteration (the engine's
        ``exposed_host_from``; a development build counts as its base release)."""
        return get_engine(self.engine).exposes_host_work(self.version)

    def backend_key(self, software_stack: str) -> str:
        """``engine@backend``: the engine's implementation on a chip's software stack (vLLM on
        CUDA and vLLM's Neuron plugin schedule differently); keys the engine's overhead."""
        return f"{self.engine}@{software_stack}"

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "version": self.version, "generation": self.generation}


def _version_key(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    numbers = re.findall(r"\d+", version.split("+")[0])
    return tuple(int(n) for n in numbers[:3]) if numbers else None


@cache
def _engines() -> dict[str, Engine]:
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/serving_stacks.yaml")
        .read_text(encoding="utf-8")
    )
    raw = yaml.safe_load(text)["engines"]
    engines: dict[str, Engine] = {}
    for name, entry in raw.items():
        versions = []
        for row in entry["versions"]:
            key = _version_key(str(row["from"]))
            if key is None:
                raise InputError(f"serving_stacks.yaml {name}: bad version {row['from']!r}")
            versions.append((key, int(row["generation"])))
        engines[name] = Engine(
            name=name,
            aliases=tuple(entry.get("aliases") or ()),
            default_for=tuple(entry.get("default_for") or ()),
            capabilities={k: bool(v) for k, v in entry["capabilities"].items()},
            versions=tuple(sorted(versions)),
            source=str(entry["source"]),
            logical_core_size={
                k: int(v) for k, v in (entry.get("logical_core_size") or {}).items()
            },
            exposed_host_from=_version_key(str(entry["exposed_host_from"]))
            if entry.get("exposed_host_from")
            else None,
            moe_all_experts_load=float(entry.get("moe_all_experts_load") or 0.0),
        )
    return engines


def engine_names() -> tuple[str, ...]:
    """The engines xpuplan knows (``perf/data/serving_stacks.yaml``)."""
    return tuple(_engines())


def get_engine(name: str) -> Engine:
    """An engine by name or alias (case-insensitive)."""
    key = name.strip().lower()
    for engine in _engines().values():
        if key == engine.name or key in engine.aliases:
            return engine
    raise UnknownNameError("serving engine", name, engine_names())


def default_stack(family: str) -> ServingStack:
    """The default engine of a chip family at its newest generation (today's software)."""
    for engine in _engines().values():
        if family in engine.default_for:
            return ServingStack(engine.name, None, engine.newest_generation)
    engine = get_engine("vllm")
    return ServingStack(engine.name, None, engine.newest_generation)


def parse_stack(text: str | None, family: str) -> ServingStack:
    """``"vllm"``, ``"vllm==0.8.5"``, ``"tensorrt-llm@0.17"`` or ``"sglang 0.4.6"``; None or
    empty: :func:`default_stack`."""
    if text is None or not text.strip():
        return default_stack(family)
    match = re.fullmatch(r"\s*([A-Za-z][\w.\-]*?)\s*(?:(?:==|@|\s)\s*v?([\w.+\-]+))?\s*", text)
    if match is None:
        raise InputError(
            f"stack: {text!r} is not 'ENGINE' or 'ENGINE==VERSION' "
            f"(engines: {', '.join(engine_names())})"
        )
    engine = get_engine(match.group(1))
    version = match.group(2)
    if version is not None and _version_key(version) is None:
        raise InputError(f"stack: version {version!r} of {engine.name} has no number in it")
    return ServingStack(engine.name, version, engine.generation(version))
