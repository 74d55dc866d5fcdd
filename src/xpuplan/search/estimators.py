"""Adapters from the planner's candidate arrays to the analytic estimators of ``xpuplan.perf``.

The planner does not estimate anything itself: :class:`RooflineTrainingEvaluator` gathers one
row of :func:`xpuplan.perf.training.hardware_arrays` per candidate and calls the vectorized
core :func:`~xpuplan.perf.training.estimate_training_arrays`; :class:`RooflineServingEvaluator`
does the same with :func:`~xpuplan.perf.serving.build_candidates` and
:func:`~xpuplan.perf.serving.serving_capacity_arrays`. Both follow the conventions of the
scalar front ends (``estimate_training``, ``estimate_serving``) so that a brute-force loop over
the scalar API reproduces the planner exactly:

* a chip is one device (``devices_per_chip = 1``);
* the scale-up domain of a candidate is its hardware group's domain capped at its chip count
  (``estimate_training``'s default); the network is the instance's NIC divided by its chips;
* ZeRO shards over the whole data-parallel group (``dp_shard = dp``); sequence parallelism is
  on with TP.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from xpuplan.models.counts import kv_cache_bytes_per_token
from xpuplan.perf import serving as serving_core
from xpuplan.perf import training as training_core
from xpuplan.perf.efficiency import load_efficiency
from xpuplan.perf.layout import LayoutArrays, ModelShape, pp_ok, tp_ok
from xpuplan.perf.serving_efficiency import efficiency_for
from xpuplan.perf.stack import stack_for_accelerator
from xpuplan.search.results import Source
from xpuplan.search.serving import (
    ServingEvaluation,
    ServingWorkload,
    kv_transfer_s,
    prefill_pool_capacity_rps,
)
from xpuplan.search.space import HardwareGroup
from xpuplan.search.training import TrainingEvaluation, TrainingWorkload

__all__ = ["RooflineServingEvaluator", "RooflineTrainingEvaluator", "serving_layout"]

IntArray = NDArray[np.int64]


@cache
def _shape(model: Any, seq_len: int) -> ModelShape:
    return ModelShape.from_spec(model, seq_len)


class RooflineTrainingEvaluator:
    """The planner's view of :mod:`xpuplan.perf.training` (see the module docstring)."""

    def __init__(self) -> None:
        self._hw: dict[tuple[object, ...], training_core.HardwareArrays] = {}

    def _hardware(
        self, groups: Sequence[HardwareGroup], precision: str
    ) -> training_core.HardwareArrays:
        key = (
            precision,
            *(
                (g.accelerator, g.scaleup_domain_chips, g.network_gbits_per_s_per_chip)
                for g in groups
            ),
        )
        if key not in self._hw:  # one row per hardware group, built once per search
            self._hw = {
                key: training_core.hardware_arrays(
                    [g.accelerator for g in groups],
                    precision=precision,
                    domain_chips=[g.scaleup_domain_chips for g in groups],
                    scaleout_gbits_per_s_per_chip=[g.network_gbits_per_s_per_chip for g in groups],
                    stack=[stack_for_accelerator(g.accelerator.software_stack) for g in groups],
                )
            }
        return self._hw[key]

    def __call__(
        self,
        workload: TrainingWorkload,
        groups: Sequence[HardwareGroup],
        layouts: LayoutArrays,
    ) -> TrainingEvaluation:
        """Evaluate every row; the core runs once per hardware group present (a loop over at
        most a few dozen groups), so each group's hardware numbers broadcast as scalars."""
        shape = _shape(workload.model, workload.seq_len)
        base = self._hardware(groups, workload.precision)
        n = len(layouts)
        # Rows usually arrive ordered by group: then each group is a slice (views, no copies).
        in_order = bool(np.all(layouts.group[1:] >= layouts.group[:-1]))
        order = np.arange(n) if in_order else np.argsort(layouts.group, kind="stable")
        sorted_groups = layouts.group[order]
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]][:n])
        ends = np.r_[starts[1:], n][: starts.shape[0]]
        empty = np.empty(0, dtype=np.float64)
        out: dict[str, NDArray[np.float64]] = {
            "step_time_s": empty,
            "mfu": empty,
            "memory_gb": empty,
            "usable_memory_gb": empty,
        }
        fits = np.zeros(n, dtype=bool)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            rows: slice | NDArray[np.intp] = slice(start, end) if in_order else order[start:end]
            part = layouts.slice(start, end) if in_order else layouts.take(order[start:end])
            hw = base.take(np.array([int(part.group[0])]))
            hw = dataclasses.replace(
                hw, domain_devices=np.minimum(hw.domain_devices, part.devices.astype(np.float64))
            )
            result = training_core.estimate_training_arrays(
                shape,
                hw,
                part,
                part.global_batch_seqs,
                finetune=workload.finetune or training_core.FULL_TRAINING,
            )
            columns = {
                "step_time_s": result.step_time_s,
                "mfu": result.mfu,
                "memory_gb": result.memory_gb,
                "usable_memory_gb": result.usable_memory_gb,
                **{f"mem:{k}": v for k, v in result.memory_parts_gb.items()},
                **{f"time:{k}": v for k, v in result.parts_s.items()},
            }
            for name, values in columns.items():
                if out.get(name, empty).shape[0] != n:
                    out[name] = np.empty(n, dtype=np.float64)
                out[name][rows] = values
            fits[rows] = result.feasible
        return TrainingEvaluation(
            step_time_s=out["step_time_s"],
            mfu=out["mfu"],
            memory_gb=out["memory_gb"],
            hbm_gb=out["usable_memory_gb"],
            fits=fits,
            memory_breakdown_gb={k[4:]: v for k, v in out.items() if k.startswith("mem:")},
            time_breakdown_s={k[5:]: v for k, v in out.items() if k.startswith("time:")},
        )

    def sources(self, group: HardwareGroup) -> tuple[Source, ...]:
        table = load_efficiency()
        acc = group.accelerator
        params = table.for_accelerator(acc.id, acc.vendor_family)
        stack = stack_for_accelerator(acc.software_stack)
        return (
            Source(
                "software_stack",
                f"training/{acc.id}: {stack.name} ({stack.description})",
                "xpuplan/perf/stack.py: " + stack.source,
                None,
                tuple(f"{k}={v}" for k, v in stack.to_dict().items() if k not in ("source",)),
            ),
            Source(
                "efficiency",
                f"training/{acc.id} ({table.rule(acc.id, acc.vendor_family)})",
                "xpuplan/perf/data/training_efficiency.yaml: "
                + str(table.meta.get("source", "training efficiency table")),
                str(table.meta.get("as_of")) if table.meta.get("as_of") else None,
                tuple(f"{k}={v:g}" for k, v in params.to_dict().items()),
            ),
        )


def serving_layout(group_domain: IntArray, replica_chips: IntArray) -> tuple[IntArray, IntArray]:
    """(tp, pp) of a replica: TP over the largest power of two inside the scale-up domain, then
    pipeline stages across domains (Megatron's placement rule, Narayanan et al. 2021)."""
    domain = np.maximum(group_domain, 1)
    pow2_domain = 2 ** np.floor(np.log2(domain)).astype(np.int64)
    tp = np.minimum(replica_chips, pow2_domain)
    return tp.astype(np.int64), (replica_chips // tp).astype(np.int64)


@cache
def _serving_provenance() -> dict[str, tuple[str, str | None]]:
    """(source, as_of) of each vendor family's serving efficiency, from the bundled YAML."""
    text = (
        resources.files("xpuplan.perf")
        .joinpath("data/serving_efficiency.yaml")
        .read_text(encoding="utf-8")
    )
    raw = yaml.safe_load(text) or {}
    defaults = raw.get("defaults") or {}
    out = {"default": (str(defaults.get("source", "")), _text(defaults.get("as_of")))}
    for family, entry in (raw.get("families") or {}).items():
        if isinstance(entry, dict) and entry.get("source"):
            out[str(family)] = (str(entry["source"]), _text(entry.get("as_of")))
    return out


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _pool_capacities(
    workload: ServingWorkload,
    groups: Sequence[HardwareGroup],
    group: IntArray,
    replica_chips: IntArray,
    cands: serving_core.ServingCandidates,
    usable: NDArray[np.bool_],
    common: dict[str, Any],
) -> dict[str, NDArray[np.float64]]:
    """Each candidate as a prefill replica and as a decode replica of disaggregated pools.

    Both come from the ``disaggregated`` scheduler of :mod:`xpuplan.perf.serving`: a decode
    replica runs the largest batch whose p99 TPOT (never interrupted by prefills) meets the
    target within its KV capacity; its rate is the scheduler's per replica-equivalent rate
    lambda over the decode share (1 - rho) of the chips. A prefill replica's unloaded p99 TTFT
    is the scheduler's (batch in progress + own batch + KV transfer over the host links); where
    the instance's network (catalog ``network_gbits_per_s`` per chip) is slower than those, the
    difference is added. Its rate within the TTFT target is
    :func:`~xpuplan.search.serving.prefill_pool_capacity_rps`. The decode replica's network
    also bounds how many prompts' KV it can receive per second.
    """
    model = workload.model
    n = group.shape[0]
    decode = serving_core.serving_capacity_arrays(
        model, cands, batching="disaggregated", tpot_p99_ms=workload.tpot_p99_s * 1e3, **common
    )
    prefill = serving_core.serving_capacity_arrays(
        model, cands, batching="disaggregated", batch=np.ones(n), **common
    )
    kv_bytes = (
        workload.input_tokens
        * kv_cache_bytes_per_token(model, 1.0, workload.input_tokens)
        * cands.kv_bytes_per_element
    )
    efficiency = cands.efficiency["pcie_gbytes_per_s"]
    net = (
        np.array(
            [
                np.nan if g.network_gbits_per_s_per_chip is None else g.network_gbits_per_s_per_chip
                for g in groups
            ],
            dtype=np.float64,
        )[group]
        / 8.0
    )  # Gb/s -> GB/s
    chips = replica_chips.astype(np.float64)
    host_s = kv_transfer_s(kv_bytes, efficiency * chips)
    net_s = np.where(np.isfinite(net), kv_transfer_s(kv_bytes, net * chips), host_s)
    ttft_idle = prefill.ttft_p99_s + np.maximum(net_s - host_s, 0.0)
    pre_ok = usable & (prefill.status == 0)
    pre_rps, pre_ttft = prefill_pool_capacity_rps(
        prefill.prefill_busy_s, np.where(pre_ok, ttft_idle, np.inf), workload.ttft_p99_s
    )
    # one output token: the prefill makes it, there is nothing for a decode pool to do
    dec_ok = usable & (decode.status == 0) & (workload.output_tokens > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        decode_rps = decode.rate_per_s / np.maximum(1.0 - decode.prefill_share, 1e-12)
    ingress_rps = 1.0 / np.maximum(net_s, host_s)  # prompts' KV per second it can receive
    dec_rps = np.where(dec_ok, np.minimum(decode_rps, ingress_rps), 0.0)
    return {
        "prefill_capacity_rps": np.asarray(pre_rps, dtype=np.float64),
        "prefill_ttft_p99_s": np.asarray(pre_ttft, dtype=np.float64),
        "decode_capacity_rps": np.asarray(dec_rps, dtype=np.float64),
        "decode_tpot_p99_s": np.where(dec_ok, decode.tpot_p99_s, np.nan).astype(np.float64),
    }


class RooflineServingEvaluator:
    """The planner's view of :mod:`xpuplan.perf.serving` (see the module docstring)."""

    def __call__(
        self,
        workload: ServingWorkload,
        groups: Sequence[HardwareGroup],
        group: IntArray,
        replica_chips: IntArray,
    ) -> ServingEvaluation:
        domain = np.array([g.scaleup_domain_chips for g in groups], dtype=np.int64)
        tp, pp = serving_layout(domain[group], replica_chips)
        model = workload.model
        usable = tp_ok(model.n_heads, tp) & pp_ok(model.n_layers, pp)
        # MoE: experts spread over the replica's chips by expert parallelism when they divide
        experts = model.moe.n_routed_experts if model.moe is not None else 0
        ep = np.where((experts > 0) & (experts % np.maximum(tp * pp, 1) == 0), tp * pp, 1)
        cands = serving_core.build_candidates(
            [g.accelerator for g in groups],
            group,
            tp,
            pp,
            weight_precision=workload.precision,
            ep=ep,
        )
        common: dict[str, Any] = {
            "input_len": float(workload.input_tokens),
            "output_len": float(workload.output_tokens),
        }
        at_slo = serving_core.serving_capacity_arrays(
            model,
            cands,
            ttft_p99_ms=workload.ttft_p99_s * 1e3,
            tpot_p99_ms=workload.tpot_p99_s * 1e3,
            **common,
        )
        idle = serving_core.serving_capacity_arrays(
            model, cands, batch=np.ones(group.shape[0]), **common
        )
        fits = usable & ~np.isin(idle.status, (1, 2, 5))
        ok = fits & (at_slo.status == 0)
        capacity = np.where(ok, at_slo.rate_per_s, 0.0)
        hbm = np.array([g.accelerator.hbm_gb for g in groups], dtype=np.float64)[group]
        pools = _pool_capacities(workload, groups, group, replica_chips, cands, usable, common)
        return ServingEvaluation(
            capacity_rps=np.asarray(capacity, dtype=np.float64),
            fits=np.asarray(fits, dtype=bool),
            memory_gb=np.asarray(idle.weights_gb_per_chip, dtype=np.float64),
            hbm_gb=hbm,
            ttft_min_s=np.where(fits, idle.ttft_p99_s, np.nan),
            tpot_min_s=np.where(fits, idle.tpot_p99_s, np.nan),
            layout={"tp": tp, "pp": pp, "ep": ep.astype(np.int64)},
            ttft_p99_s=np.where(ok, at_slo.ttft_p99_s, np.nan).astype(np.float64),
            tpot_p99_s=np.where(ok, at_slo.tpot_p99_s, np.nan).astype(np.float64),
            **pools,
        )

    def sources(self, group: HardwareGroup) -> tuple[Source, ...]:
        family = group.accelerator.vendor_family
        provenance = _serving_provenance()
        source, as_of = provenance.get(family, provenance["default"])
        params = efficiency_for(family, architecture=group.accelerator.generation)
        return (
            Source(
                "efficiency",
                f"serving/{family}",
                "xpuplan/perf/data/serving_efficiency.yaml: " + source,
                as_of,
                tuple(f"{k}={v:g}" for k, v in params.to_dict().items()),
            ),
        )
