"""A SkyPilot task YAML for a planner result.

SkyPilot (https://docs.skypilot.co, "SkyPilot YAML") describes a job as ``num_nodes`` copies of
one per-node ``resources`` block; ``resources.any_of`` lists alternatives its optimizer may pick
from (the cheapest available one). We write the chosen plan first and, as further ``any_of``
entries, the next-ranked plans that need the same number of nodes (other regions, providers or
vendors), so SkyPilot can fail over between them. Plans needing a different node count, or on
providers or chips SkyPilot does not know, are listed as comments.

Names: ``infra: <cloud>/<region>``, ``accelerators: <Name>:<count per node>``; a TPU slice is
one accelerator ``tpu-v5p-128`` on one node (see ``skypilot_names.yaml``). ``setup`` and ``run``
are left as commented placeholders for the user.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import importlib.util
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from xpuplan import __version__
from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.schema import one_line
from xpuplan.errors import InputError
from xpuplan.report.io import result_kind

__all__ = [
    "NodeSpec",
    "SkyPilotNames",
    "node_spec",
    "skypilot_names",
    "skypilot_task_yaml",
]


@dataclass(frozen=True)
class SkyPilotNames:
    """The name tables of ``skypilot_names.yaml``."""

    clouds: frozenset[str]
    zone_clouds: frozenset[str]
    accelerators: Mapping[str, Mapping[str, Any]]
    tpus: Mapping[str, Mapping[str, Any]]
    source: str
    as_of: str
    single_node_clouds: frozenset[str] = frozenset()
    no_spot_clouds: frozenset[str] = frozenset()
    instance_clouds: frozenset[str] = frozenset()
    catalog_clouds: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)

    def accelerator_name(
        self, accelerator_id: str, provider: str, instance: str | None = None
    ) -> str | None:
        """SkyPilot's name of a (non-TPU) accelerator on ``provider`` (and ``instance``), or
        None if SkyPilot has no name for it."""
        row = self.accelerators.get(accelerator_id)
        if row is None:
            return None
        by_instance = row.get("by_instance") or {}
        if instance in by_instance:
            return str(by_instance[instance])
        by_provider = row.get("by_provider") or {}
        return str(by_provider.get(provider, row["name"]))


@functools.cache
def skypilot_names() -> SkyPilotNames:
    """Load the bundled name tables (once, on first use)."""
    text = resources.files("xpuplan.export").joinpath("skypilot_names.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return SkyPilotNames(
        clouds=frozenset(data["clouds"]),
        zone_clouds=frozenset(data.get("zone_clouds") or ()),
        accelerators=data["accelerators"],
        tpus=data["tpus"],
        source=str(data["source"]),
        as_of=str(data["as_of"]),
        single_node_clouds=frozenset(data.get("single_node_clouds") or ()),
        no_spot_clouds=frozenset(data.get("no_spot_clouds") or ()),
        instance_clouds=frozenset(data.get("instance_clouds") or ()),
        catalog_clouds={
            str(k): frozenset(v) for k, v in (data.get("catalog_clouds") or {}).items()
        },
    )


@dataclass(frozen=True)
class NodeSpec:
    """What one plan asks SkyPilot for: where, which accelerator per node, how many nodes."""

    infra: str
    accelerators: str
    num_nodes: int
    use_spot: bool


def _sky_catalog_path(cloud: str) -> Path:
    """Where SkyPilot keeps its downloaded catalog of ``cloud`` (``~/.sky/catalogs/v8``; the
    schema version of skypilot 0.14, ``sky/skylet/constants.py``)."""
    return Path.home() / ".sky" / "catalogs" / "v8" / cloud / "vms.csv"


@functools.lru_cache(maxsize=32)
def _sky_catalog_rows(path: Path, mtime_ns: int) -> frozenset[tuple[str, int, str]]:
    """(accelerator name, count per VM, region) of every row of a SkyPilot catalog file."""
    rows: set[tuple[str, int, str]] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                count = round(float(row.get("AcceleratorCount") or 0))
            except ValueError:
                continue
            name, region = row.get("AcceleratorName") or "", row.get("Region") or ""
            if name and count > 0:
                rows.add((name, count, region))
    return frozenset(rows)


def sky_catalog_rows(cloud: str) -> frozenset[tuple[str, int, str]] | None:
    """The rows of SkyPilot's own catalog of ``cloud`` when SkyPilot is installed and has
    downloaded it (read from its file: no import of SkyPilot, no network), else None."""
    if importlib.util.find_spec("sky") is None:
        return None
    path = _sky_catalog_path(cloud)
    try:
        return _sky_catalog_rows(path, path.stat().st_mtime_ns)
    except (OSError, csv.Error, UnicodeDecodeError):
        return None


def _per_node_chips(plan: Mapping[str, Any], catalog: Catalog | None) -> int:
    """Chips per SkyPilot node: the instance's chips, or a whole NVLink/Infinity Fabric board
    (8, 4 or 2) where the catalog prices single GPUs of a larger server (per-GPU rows)."""
    chips, instances = int(plan["chips"]), int(plan["instances"])
    per_instance = max(chips // max(instances, 1), 1)
    if per_instance > 1 or catalog is None:
        return per_instance
    if plan["provider"] in skypilot_names().instance_clouds:
        return 1  # a 1-chip machine type (trn2.3xlarge): each instance is a node
    domain = 1
    for o in catalog.offerings:
        if (o.provider, o.region, o.instance) == (
            plan["provider"],
            plan["region"],
            plan["instance"],
        ):
            accelerator = catalog.accelerator(o.accelerator_id)
            domain = o.scaleup_domain_chips or accelerator.scaleup_domain_chips
            break
    return next((n for n in (8, 4, 2) if n <= domain and chips % n == 0), 1)


def _infra(provider: str, region: str, catalog: Catalog | None) -> str:
    """``cloud/region``, or ``cloud/region/zone`` where the catalog's region is a zone."""
    if provider not in skypilot_names().zone_clouds:
        return f"{provider}/{region}"
    row = catalog.region(provider, region) if catalog is not None else None
    # Without the region's country the zone cannot be placed: let SkyPilot choose.
    return provider if row is None else f"{provider}/{row.country}/{region}"


def node_spec(plan: Mapping[str, Any], catalog: Catalog | None = None) -> NodeSpec | str:
    """The SkyPilot resources of one plan, or the reason SkyPilot cannot launch it as planned
    (a cloud or accelerator it does not know, a cloud whose catalog does not list the
    accelerator, several nodes on a single-node cloud, spot where there is none, or a pricing
    model SkyPilot cannot buy)."""
    names = skypilot_names()
    provider, accelerator_id = str(plan.get("provider")), str(plan.get("accelerator_id"))
    pricing = plan.get("pricing")
    use_spot = pricing == "spot"
    if provider not in names.clouds:
        return f"provider {provider!r} is not a SkyPilot cloud"
    region = str(plan.get("region"))
    if one_line(region) != region:
        return f"region {region!r} holds a control character or line break"
    if pricing == "capacity_block":
        return (
            "capacity-block pricing: SkyPilot would launch it on demand at another price "
            "(reserve the block and name it under aws.specific_reservations in SkyPilot's "
            "config)"
        )
    if use_spot and provider in names.no_spot_clouds:
        return f"SkyPilot has no spot instances on {provider}"
    try:
        chips = int(plan["chips"])
        infra = _infra(provider, str(plan["region"]), catalog)
        if accelerator_id in names.tpus:
            tpu = names.tpus[accelerator_id]
            return NodeSpec(infra, f"{tpu['prefix']}-{chips * int(tpu['per_chip'])}", 1, use_spot)
        name = names.accelerator_name(accelerator_id, provider, str(plan.get("instance")))
        if name is None:
            return f"accelerator {accelerator_id!r} has no SkyPilot name"
        per_node = _per_node_chips(plan, catalog)
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"PLAN.json: a plan lacks a usable {error} field") from None
    listed = names.catalog_clouds.get(name)
    if listed is not None and provider not in listed:
        return f"SkyPilot's catalog has no {name} on {provider}"
    if chips % per_node:
        return f"{chips} chips do not split into nodes of {per_node}"
    if chips // per_node > 1 and provider in names.single_node_clouds:
        return f"SkyPilot runs single-node clusters only on {provider} (needs {chips // per_node})"
    rows = None if provider in names.zone_clouds else sky_catalog_rows(provider)
    if rows is not None and (name, per_node, str(plan["region"])) not in rows:
        return (
            f"SkyPilot's catalog ({_sky_catalog_path(provider)}) has no {name}:{per_node} "
            f"machine in {provider}/{plan['region']}"
        )
    return NodeSpec(infra, f"{name}:{per_node}", chips // per_node, use_spot)


def _chips_per_instance(entry: Mapping[str, Any], catalog: Catalog | None) -> int:
    if isinstance(entry.get("chips_per_instance"), int):
        return int(entry["chips_per_instance"])
    if catalog is not None:
        for o in catalog.offerings:
            if (o.provider, o.region, o.instance) == (
                entry["provider"],
                entry["region"],
                entry["instance"],
            ):
                return o.chips_per_instance
    # Without the catalog: instances are rented whole, so chips / instances (rounded down).
    return max(int(entry["chips"]) // max(int(entry["instances"]), 1), 1)


def _serving_unit(entry: Mapping[str, Any], catalog: Catalog | None) -> dict[str, Any]:
    """A fleet entry as SkyServe sees it: ``replicas`` copies of a ``chips``-chip unit on
    ``instances`` nodes. A replica smaller than an instance shares it: then one service replica
    is a whole instance running several engine copies (``engines_per_node``)."""
    per_replica = int(entry["chips_per_replica"])
    per_instance = _chips_per_instance(entry, catalog)
    if per_instance == 1 or per_replica >= per_instance:
        # Per-chip rows (board sizing in node_spec) or replicas spanning whole instances.
        instances = max(per_replica // per_instance, 1)
        return {**entry, "chips": per_replica, "instances": instances, "engines_per_node": 1}
    return {
        **entry,
        "chips": per_instance,
        "instances": 1,
        "replicas": int(entry["instances"]),
        "engines_per_node": per_instance // per_replica,
    }


def _plans_of(result: Mapping[str, Any], catalog: Catalog | None) -> list[Mapping[str, Any]]:
    kind = result_kind(result, "PLAN.json")
    if kind != "serving_plan":
        return [p for p in result["plans"] if isinstance(p, Mapping)]
    entries = result["fleet"].get("entries") or []
    try:
        return [_serving_unit(e, catalog) for e in entries if isinstance(e, Mapping)]
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"PLAN.json: a fleet entry lacks a usable {error} field") from None


def _describe(plan: Mapping[str, Any]) -> str:
    parts = [
        f"{plan.get('accelerator_id')} x{plan.get('chips')} on {plan.get('provider')} "
        f"{plan.get('instance')} ({plan.get('region')})"
    ]
    role = plan.get("role")
    if role in ("prefill", "decode"):
        parts.append(f"{role} pool of a disaggregated fleet")
    if "replicas" in plan:
        engines = int(plan.get("engines_per_node", 1))
        parts.append(
            f"{plan['replicas']} replica{'' if plan['replicas'] == 1 else 's'}"
            + (
                f" of {engines} engines (tp={plan['chips_per_replica']}) each"
                if engines > 1
                else ""
            )
        )
    for key, text in (("wall_time_s", "{:,.1f} days"), ("cost_usd", "${:,.0f}")):
        value = plan.get(key)
        if isinstance(value, int | float) and math.isfinite(value):
            parts.append(text.format(value / 86400.0 if key == "wall_time_s" else value))
    return ", ".join(parts)


def skypilot_task_yaml(
    result: Mapping[str, Any],
    *,
    catalog: Catalog | None = None,
    plan: int | None = None,
    max_candidates: int = 5,
    name: str | None = None,
) -> str:
    """The SkyPilot task of plan number ``plan`` (1 = best; None: the best plan SkyPilot can
    launch) of a planner result, as YAML text.

    Other plans of the result needing the same number of nodes follow as ``any_of``
    alternatives, at most ``max_candidates`` in all. For a serving plan, ``plan`` numbers the
    fleet's replica types and the task runs that type's replicas as nodes (a SkyServe service
    spec is left to the user).
    """
    plans = _plans_of(result, catalog)
    if max_candidates < 1:
        raise InputError(f"max_candidates: {max_candidates} must be at least 1")
    if plan is None:
        specs = [node_spec(p, catalog) for p in plans]
        plan = next((i for i, spec in enumerate(specs, 1) if not isinstance(spec, str)), 0)
        if plan == 0:
            raise InputError(
                f"PLAN.json: none of its {len(plans)} plans can run on SkyPilot "
                f"(plan 1: {specs[0]}); plan again with providers="
                + ",".join(
                    sorted(
                        skypilot_names().clouds
                        & {"aws", "azure", "gcp", "lambda", "nebius", "runpod"}
                    )
                )
            )
    if not 1 <= plan <= len(plans):
        raise InputError(f"plan: {plan} is not between 1 and {len(plans)} (plans in the file)")
    chosen = node_spec(plans[plan - 1], catalog)
    if isinstance(chosen, str):
        raise InputError(f"plan={plan}: cannot export to SkyPilot: {chosen}")
    picked: list[tuple[Mapping[str, Any], NodeSpec]] = [(plans[plan - 1], chosen)]
    skipped: list[str] = []
    seen = {(chosen.infra, chosen.accelerators)}
    serving = result.get("kind") == "serving_plan"
    for number, other in enumerate(plans, 1):
        if number == plan:
            continue
        spec = node_spec(other, catalog)
        if isinstance(spec, str):
            reason = spec
        elif serving:
            reason = f"a service of its own (--plan {number})"
        elif spec.num_nodes != chosen.num_nodes or spec.use_spot != chosen.use_spot:
            spot = " on spot" if spec.use_spot else ""
            reason = f"needs num_nodes {spec.num_nodes}{spot} (--plan {number})"
        elif (spec.infra, spec.accelerators) in seen:
            continue  # the same resources as a candidate already listed
        elif len(picked) >= max_candidates:
            reason = f"beyond --max-candidates {max_candidates} (--plan {number})"
        else:
            picked.append((other, spec))
            seen.add((spec.infra, spec.accelerators))
            continue
        skipped.append(f"{_describe(other)}: {reason}")
    return _render(result, picked, skipped, name)


def _task_name(result: Mapping[str, Any], name: str | None) -> str:
    if name:
        return name
    workload = result.get("workload") if isinstance(result.get("workload"), Mapping) else {}
    model = str((workload or {}).get("model") or "job")
    slug = "".join(c if c.isalnum() else "-" for c in model.lower()).strip("-")
    return f"xpuplan-{slug}"[:60].rstrip("-")


_TRAIN_RUN = (
    "# run: |",
    '#   MASTER_ADDR=$(echo "$SKYPILOT_NODE_IPS" | head -n1)',
    "#   torchrun --nnodes=$SKYPILOT_NUM_NODES --nproc-per-node=$SKYPILOT_NUM_GPUS_PER_NODE \\",
    "#     --node-rank=$SKYPILOT_NODE_RANK --master-addr=$MASTER_ADDR --master-port=8008 \\",
    "#     train.py",
)
_SERVE_RUN = (
    "# run: |",
    "#   vllm serve MODEL --port 8000 --tensor-parallel-size $SKYPILOT_NUM_GPUS_PER_NODE",
)
_SERVE_PORT = 8000  # the port the placeholder server listens on and SkyServe probes
# A pool of a disaggregated fleet: SkyServe balances requests over one service's replicas but
# does not connect two services, so the engine must run in its pool's role and a proxy must
# send each request to a prefill replica, then its KV cache to a decode replica (vLLM's
# disaggregated prefill: --kv-transfer-config with kv_role kv_producer / kv_consumer).
_POOL_NOTE = (
    "# This service is the {role} pool of a disaggregated fleet: run the engine as a {role}",
    '# instance (vLLM: --kv-transfer-config \'{{"kv_role":"{kv_role}", ...}}\') and route',
    "# requests through a prefill/decode proxy; the other pool is another --plan of this file.",
)
_KV_ROLE = {"prefill": "kv_producer", "decode": "kv_consumer"}


def _render(
    result: Mapping[str, Any],
    picked: Sequence[tuple[Mapping[str, Any], NodeSpec]],
    skipped: Sequence[str],
    name: str | None,
) -> str:
    names = skypilot_names()
    chosen_plan, chosen = picked[0]
    serving = result.get("kind") == "serving_plan"
    lines = [
        f"# SkyPilot {'service' if serving else 'task'} written by xpuplan {__version__} from a "
        f"{result.get('kind')} result.",
        "# Candidates in the planner's order; SkyPilot launches the cheapest one available.",
    ]
    lines += [f"#   - {_describe(p)}" for p, _ in picked]
    if skipped:
        lines.append("# Not included:")
        lines += [f"#   - {text}" for text in skipped]
    lines.append(f"# Accelerator names as SkyPilot spells them, as of {names.as_of}.")
    task: dict[str, Any] = {"name": _task_name(result, name)}
    resources: dict[str, Any] = {"use_spot": chosen.use_spot}
    if serving:
        lines.append("# Launch with 'sky serve up'; each fleet entry is one service (--plan N).")
        role = chosen_plan.get("role")
        if role in _KV_ROLE:
            lines += [text.format(role=role, kv_role=_KV_ROLE[role]) for text in _POOL_NOTE]
        task["service"] = {"readiness_probe": "/health", "replicas": chosen_plan["replicas"]}
        resources["ports"] = _SERVE_PORT
    task["num_nodes"] = chosen.num_nodes
    resources["any_of"] = [{"infra": s.infra, "accelerators": s.accelerators} for _, s in picked]
    task["resources"] = resources
    body = yaml.safe_dump(task, sort_keys=False, default_flow_style=False)
    placeholders = [
        "",
        "# Fill in and uncomment:",
        "# workdir: .",
        "# setup: |",
        "#   pip install -r requirements.txt",
        *(_SERVE_RUN if serving else _TRAIN_RUN),
    ]
    # The task itself is YAML from the emitter; comments carry text from PLAN.json, so each is
    # kept on its own line (a line break in a region name cannot start a `run:` field).
    comments = [one_line(line) for line in lines]
    return "\n".join(comments) + "\n" + body + "\n".join(placeholders) + "\n"
