"""Build the bundled offerings and regions tables from the team's reference data.

Usage: python scripts/build_catalog.py [SHARED_DATA_DIR]   (default /work/shared/data)

Reads ``prices.yaml`` and ``regions.yaml`` of the reference data plus the hand-curated rows in
``scripts/catalog_curated.yaml`` (prices and regions found later, each with its own source),
and writes ``src/xpuplan/catalog/data/offerings.yaml`` and ``regions.yaml``. The package never
reads the reference data at run time; this script is the only bridge.

Rules (also written into the generated files' headers):
- One offering per (provider, region, instance); ``usd_per_hour`` maps each pricing model
  (1yr_commit -> commit_1y, 3yr_commit -> commit_3y) to the price of one instance-hour.
- Rows marked ``superseded`` and rows without a price are skipped.
- When two sources price the same (offering, pricing model), the one with the later date wins;
  the other is named in ``notes``.
- Vague source dates become a conservative concrete date (the earliest day the value is known
  to be valid); see ``SOURCE_DATES``.
- TPU prices are per chip-hour: the offering has chips_per_instance 1 and the valid slice sizes
  as ``allowed_chip_counts``.
- Provider-wide neocloud list prices ("(provider default)") are attached to the provider's data
  centers listed in ``PROVIDER_DEFAULT_REGIONS``.
- Hyperscaler instances with fewer chips than the accelerator's scale-up domain get
  scaleup_domain_chips = chips_per_instance; neocloud per-GPU rows keep the chip's domain.
- Curated rows are applied last: a curated offering merges its prices into the generated row
  with the same key (curated wins per pricing model), a curated region replaces the row.
- Curated ``price_tables`` are compact transcriptions of one dated source (one provider, one
  pricing model, many instances x regions); each cell becomes a curated offering row with the
  table's source/as_of/confidence and the instance's shape from the table's ``instances``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "xpuplan" / "catalog" / "data"
CURATED = ROOT / "scripts" / "catalog_curated.yaml"

PRICING = {
    "on_demand": "on_demand",
    "spot": "spot",
    "capacity_block": "capacity_block",
    "1yr_commit": "commit_1y",
    "3yr_commit": "commit_3y",
}

# Concrete dates for the reference data's vague source dates. Conservative = the earliest day at
# which the value is known to hold, so staleness is never understated.
SOURCE_DATES = {
    # "2026 (snapshot; values match datareceipts 2026-11-09 and dstack PR #4110 2026-08-06)":
    # the snapshot agrees with an independent read on 2026-08-06, the earlier confirmation.
    "sky8_aws": dt.date(2026, 8, 6),
    # "2026 (snapshot)": only the year is known -> its first day.
    "sky8_azure": dt.date(2026, 1, 1),
    "sky8_gcp": dt.date(2026, 1, 1),
    # "early/mid 2025 (before 2025-06 AWS GPU price cut)" -> first day of 2025.
    "sky7_aws_old": dt.date(2025, 1, 1),
    # "2024-Q4" -> first day of the quarter.
    "aws_capblock": dt.date(2024, 10, 1),
    # "2026-09-25/26" -> the first of the two days.
    "silybench": dt.date(2026, 9, 25),
}

# Instance names that carry no accelerator id in the reference data but map to one here.
ACCELERATOR_FIXUPS = {
    ("aws", "p6-b300.48xlarge"): "nvidia-b300",
    ("azure", "Standard_NC24ads_A100_v4"): "nvidia-a100-80gb-pcie",
}

# Neocloud list prices that hold in every data center of the provider ("(provider default)").
PROVIDER_DEFAULT_REGIONS = {
    "runpod": ("US-TX-3", "EU-RO-1", "EU-SE-1"),
    "lambda": ("us-east-1",),
    "nebius": ("eu-north1", "us-central1"),
    "hyperstack": ("CANADA-1", "NORWAY-1"),
}

# TPU slices, in chips (chips_per_instance = 1, prices per chip-hour).
# v5e / v6e: docs.cloud.google.com/tpu/docs/v5e and v6e list slices of 1, 4, 8 (single host)
# and 16..256 chips (multi-host, 2D torus up to the 256-chip pod).
# v5p: docs.cloud.google.com/tpu/docs/v5p table of common shapes (2x2x1 .. 16x16x24 = 6144).
# v4: docs.cloud.google.com/tpu/docs/v4 shapes from 2x2x1 (4 chips) to the 4096-chip pod.
TPU_SLICES: dict[str, tuple[int, ...]] = {
    "google-tpu-v5e": (1, 4, 8, 16, 32, 64, 128, 256),
    "google-tpu-v6e": (1, 4, 8, 16, 32, 64, 128, 256),
    "google-tpu-v5p": (4, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 6144),
    "google-tpu-v4": (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
    "google-tpu7x-ironwood": (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 9216),
}
TPU_INSTANCE = {
    "google-tpu-v5e": "v5litepod-slice",
    "google-tpu-v6e": "v6e-slice",
    "google-tpu-v5p": "v5p-slice",
    "google-tpu-v4": "v4-slice",
    "google-tpu7x-ironwood": "tpu7x-slice",
}
# Accelerators whose scale-up domain spans several instances (racks, TPU slices, UltraServers);
# for all others an instance with fewer chips than the accelerator's domain gets
# scaleup_domain_chips = chips_per_instance (e.g. p5.4xlarge: one H100, no NVLink peer).
MULTI_INSTANCE_DOMAINS = {
    "nvidia-gb200",
    "nvidia-gb300",
    "aws-trainium2",
    "aws-trainium3",
    *TPU_SLICES,
}
# Instance rows that duplicate a per-chip TPU price (same price, bigger unit) are dropped.
SKIP_INSTANCES = {("gcp", "tpu-v4-8")}
# Single rows judged unreliable by the reference data itself.
SKIP_ROWS = {
    # gpuhunt v4 spot 3.686 > on-demand 3.22 per chip; the note says it is the spot price of a
    # whole v4-8 (4 chips) -> unreliable either way.
    ("gcp", "tpu-v4", "us-central2", "spot"),
    # trn2.48xlarge 85.964 from an old snapshot without accelerator metadata; flagged as
    # "probably not" a valid on-demand price by the reference data.
    ("aws", "trn2.48xlarge", "us-east-2", "on_demand"),
}


# ------------------------------------------------------------------ capacity, PUE and grid
# AWS EC2 Capacity Blocks for ML: at most 64 instances per block, 1 to 182 days (AWS EC2 User
# Guide "Capacity Blocks for ML", summarised by dev.classmethod.jp 2026-02-08).
CAPACITY_BLOCK_MAX_INSTANCES = 64
CAPACITY_BLOCK_MAX_DAYS = 182
CAPACITY_BLOCK_SOURCE = (
    "AWS EC2 User Guide, Capacity Blocks for ML: up to 64 instances per block, 1-182 days "
    "(read via dev.classmethod.jp/articles/ec2-capacity-blocks-for-ml-instance-cb-vs-"
    "ultraserver-cb, 2026-02-08)"
)
# Published cluster sizes, by (provider, instance prefix): the largest total one buyer can
# rent as one cluster, per the provider's own product page.
CLUSTER_LIMITS: tuple[tuple[str, str, int, str], ...] = (
    (
        "aws",
        "p5",
        20_000,
        "aws.amazon.com/ec2/instance-types/p5: EC2 UltraClusters of up to 20,000 H100/H200 GPUs",
    ),
    (
        "aws",
        "p4d",
        4_000,
        "aws.amazon.com/ec2/instance-types/p4: EC2 UltraClusters of 4,000+ "
        "A100 GPUs (the published figure, used as the limit)",
    ),
    (
        "aws",
        "trn1",
        30_000,
        "aws.amazon.com/ec2/instance-types/trn1: EC2 UltraClusters of up to 30,000 Trainium chips",
    ),
    (
        "oracle",
        "BM.GPU.GB",
        131_072,
        "OCI Zettascale announcement 2024-09: superclusters of up to 131,072 Blackwell GPUs",
    ),
    (
        "lambda",
        "8x ",
        1_536,
        "Lambda 1-Click Clusters: 16 to over 1,500 GPUs (Lambda's tour of its Columbus B200 "
        "cluster, 2025-11, read via a transcript summary; low confidence)",
    ),
)
# Without a published figure: conservative defaults (hyperscaler / neocloud), always noted.
DEFAULT_HYPERSCALER_MAX_CHIPS = 4_096
DEFAULT_NEOCLOUD_MAX_CHIPS = 1_024
HYPERSCALERS = ("aws", "gcp", "azure", "oracle")
# TPU multi-slice (data parallelism over the data-center network between slices; Google Cloud
# "Cloud TPU Multislice overview"). Largest totals from Google's own statements; the DCN
# bandwidth per chip is the accelerator row's scaleout_gbits_per_s_per_chip (sourced there).
TPU_MULTISLICE: dict[str, tuple[int, str]] = {
    "google-tpu-v5e": (
        50_944,
        "Google Cloud blog 2023-11 'largest distributed training job': 50,944 TPU v5e chips "
        "(199 slices of 256) in one Multislice job",
    ),
    "google-tpu-v6e": (
        100_000,
        "Google Cloud Trillium GA blog 2024-12: over 100,000 Trillium chips in one Jupiter "
        "network fabric",
    ),
}
# TPU types without a published multi-slice total: at most this many of the largest slice.
DEFAULT_TPU_SLICES = 4
# PUE of providers that publish none: the industry average of the Uptime Institute Global
# Data Center Survey 2024 (1.56, respondents' largest data center), labelled assumed.
INDUSTRY_PUE = 1.56
INDUSTRY_PUE_SOURCE = (
    "assumed: industry average PUE 1.56, Uptime Institute Global Data Center Survey 2024 "
    "(the provider publishes no PUE)"
)
# Grid intensity of a country, for sites whose exact grid zone is not published (low
# confidence; the country's average generation mix).
COUNTRY_GRID: dict[str, tuple[float, str]] = {
    "US": (
        392.78,
        "Cloud Carbon Footprint default for an unknown AWS region (US-weighted "
        "average of its US grid factors); country-level proxy",
    ),
    "CA": (
        170.0,
        "Ember 2023 via Our World in Data carbon-intensity-electricity: Canada "
        "170 gCO2e/kWh; country-level proxy",
    ),
    "NO": (7.62, "Cloud Carbon Footprint Azure factor for Norway; country-level proxy"),
    "RO": (
        215.68,
        "lowcarbonpower.org Romania 2023 (Ember data): 215.68 gCO2e/kWh; country-level proxy",
    ),
    "AT": (
        111.0,
        "Ember 2023 via Our World in Data carbon-intensity-electricity: Austria "
        "111 gCO2e/kWh; country-level proxy",
    ),
}


def _fill_energy(regions: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Give every region a PUE and a grid intensity, saying where each comes from."""
    for row in regions.values():
        if row.get("pue") is None:
            row["pue"] = INDUSTRY_PUE
            row["pue_source"] = INDUSTRY_PUE_SOURCE
            row["pue_assumed"] = True
        if row.get("grid_gco2_per_kwh") is None:
            if row.get("grid_proxy_gco2_per_kwh") is not None:
                row["grid_gco2_per_kwh"] = row["grid_proxy_gco2_per_kwh"]
                row["grid_source"] = (
                    "proxy: Google's 2024 figure for a GCP region on the same grid zone "
                    "(grid_proxy_gco2_per_kwh)"
                )
            elif row["country"] in COUNTRY_GRID:
                value, source = COUNTRY_GRID[row["country"]]
                row["grid_gco2_per_kwh"] = value
                row["grid_source"] = source


def _fill_capacity(
    offerings: dict[tuple[str, str, str], dict[str, Any]], domains: dict[str, int]
) -> None:
    """Give every offering a maximum chip count with its source (see the tables above)."""
    for row in offerings.values():
        provider, instance, acc = row["provider"], row["instance"], row["accelerator_id"]
        chips = row["chips_per_instance"]
        if "capacity_block" in row.get("usd_per_hour", {}):
            row["capacity_block_max_instances"] = CAPACITY_BLOCK_MAX_INSTANCES
            row["capacity_block_max_days"] = CAPACITY_BLOCK_MAX_DAYS
        if acc in TPU_SLICES:
            largest = TPU_SLICES[acc][-1]
            if acc in TPU_MULTISLICE:
                limit, source = TPU_MULTISLICE[acc]
            else:
                limit = DEFAULT_TPU_SLICES * largest
                source = (
                    f"default: {DEFAULT_TPU_SLICES} slices of {largest} chips over DCN (no "
                    "published multi-slice limit read); raise with --max-chips"
                )
            multiples = [
                largest * k
                for k in (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384)
                if largest * k <= limit
            ]
            row["allowed_chip_counts"] = list(TPU_SLICES[acc]) + multiples
            row["max_chips"] = max(row["allowed_chip_counts"])
            row["max_chips_source"] = source
            row["scaleup_domain_chips"] = largest
            continue
        fixed_shape = provider in ("aws", "gcp", "azure")
        node = min(domains.get(acc, 1), 8)
        if fixed_shape and chips < node and row.get("network_gbits_per_s") is None:
            row["scaleup_domain_chips"] = chips
            row["training_max_chips"] = chips
            row["training_max_chips_source"] = (
                "single instance: this shape has fewer chips than a full node and no published "
                "scale-out network, so a training job stays on one instance"
            )
        elif provider == "lambda" and instance.startswith("1x "):
            row["training_max_chips"] = chips
            row["training_max_chips_source"] = (
                "single instance: Lambda's 1x rows are single-GPU instances without a cluster "
                "network (its multi-node clusters are the 8x rows)"
            )
        elif provider == "runpod" and "(Community" in instance:
            row["training_max_chips"] = 8
            row["training_max_chips_source"] = (
                "one node: RunPod Community Cloud rents GPUs on individual hosts without a "
                "cluster network (Instant Clusters are a Secure Cloud product)"
            )
        for prov, prefix, limit, source in CLUSTER_LIMITS:
            if provider == prov and instance.startswith(prefix):
                row["max_chips"] = limit
                row["max_chips_source"] = source
                break
        else:
            if row.get("max_chips") is None:
                default = (
                    DEFAULT_HYPERSCALER_MAX_CHIPS
                    if provider in HYPERSCALERS
                    else DEFAULT_NEOCLOUD_MAX_CHIPS
                )
                row["max_chips"] = max(default, chips)
                row["max_chips_source"] = (
                    f"default: no published cluster size read for {provider}:{instance}; "
                    f"conservative {default:,} chips (raise with --max-chips or a catalog "
                    "override)"
                )


def _date(row: dict[str, Any], source_key: str, sources: dict[str, Any]) -> dt.date:
    if source_key in SOURCE_DATES:
        return SOURCE_DATES[source_key]
    text = str(row.get("as_of") or sources.get(source_key, {}).get("as_of", ""))
    return dt.date.fromisoformat(text[:10])


def _instance_scaleup(instances: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["cloud"], i["instance"]): i for i in instances}


def _offerings(
    prices: dict[str, Any], domains: dict[str, int]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    sources = prices["sources"]
    shapes = _instance_scaleup(prices["instances"])
    best: dict[tuple[str, str, str, str], tuple[dt.date, dict[str, Any]]] = {}
    losers: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for row in prices["prices"]:
        if row.get("superseded") or row.get("usd_per_hour") is None:
            continue
        cloud, instance = row["cloud"], row["instance"]
        if (cloud, instance) in SKIP_INSTANCES:
            continue
        accelerator = row.get("accelerator_id") or ACCELERATOR_FIXUPS.get((cloud, instance))
        if accelerator is None:
            continue
        model = PRICING[row["pricing_model"]]
        regions = (
            PROVIDER_DEFAULT_REGIONS[cloud]
            if row["region"] in ("(provider default)", "(any)")
            else (row["region"],)
        )
        for region in regions:
            if (cloud, instance, region, row["pricing_model"]) in SKIP_ROWS:
                continue
            date = _date(row, row["source"], sources)
            entry = dict(
                row, accelerator_id=accelerator, region=region, _date=date, _orig=row["region"]
            )
            key = (cloud, region, instance, model)
            if key in best:
                old_date, old = best[key]
                if date > old_date:
                    losers[key].append(f"{old['usd_per_hour']} ({old['source']}, {old_date})")
                    best[key] = (date, entry)
                else:
                    losers[key].append(f"{row['usd_per_hour']} ({row['source']}, {date})")
            else:
                best[key] = (date, entry)

    grouped: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for (cloud, region, instance, model), (_, entry) in best.items():
        grouped[(cloud, region, instance)][model] = entry

    offerings: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (cloud, region, instance), by_model in grouped.items():
        first = next(iter(by_model.values()))
        accelerator = first["accelerator_id"]
        per_model_source: dict[str, list[str]] = defaultdict(list)
        notes: list[str] = []
        for model, entry in sorted(by_model.items()):
            per_model_source[sources[entry["source"]]["desc"]].append(model)
            if entry.get("notes"):
                notes.append(f"{model}: {entry['notes']}")
            for lost in losers.get((cloud, region, instance, model), []):
                notes.append(f"{model}: other source gave {lost}")
        source_text = "; ".join(
            f"{', '.join(models)}: {desc}" for desc, models in per_model_source.items()
        )
        dates = {model: entry["_date"] for model, entry in by_model.items()}
        as_of = min(dates.values())
        is_tpu = accelerator in TPU_SLICES
        row: dict[str, Any] = {
            "provider": cloud,
            "region": region,
            "instance": TPU_INSTANCE[accelerator] if is_tpu else instance,
            "accelerator_id": accelerator,
            "chips_per_instance": 1 if is_tpu else int(first["chips_per_instance"]),
            "usd_per_hour": {m: float(e["usd_per_hour"]) for m, e in sorted(by_model.items())},
        }
        if any(d != as_of for d in dates.values()):
            row["price_as_of"] = {m: d for m, d in sorted(dates.items())}
        if is_tpu:
            row["allowed_chip_counts"] = list(TPU_SLICES[accelerator])
            row["max_chips"] = TPU_SLICES[accelerator][-1]
            notes.insert(
                0,
                "Per-chip price of a TPU slice; rentable totals are the slice sizes in "
                "allowed_chip_counts (docs.cloud.google.com/tpu/docs).",
            )
        chips = row["chips_per_instance"]
        # Hyperscaler VMs are fixed shapes: a 1-GPU p5.4xlarge has no NVLink peer. Neocloud
        # per-GPU prices rent GPUs out of full HGX/UBB nodes, so their domain stays the chip's.
        fixed_shape = cloud in ("aws", "gcp", "azure")
        if (
            fixed_shape
            and accelerator not in MULTI_INSTANCE_DOMAINS
            and chips < domains.get(accelerator, 1)
        ):
            row["scaleup_domain_chips"] = chips
        shape = shapes.get((cloud, instance))
        if shape and shape.get("scaleout_gbits_per_s"):
            row["network_gbits_per_s"] = float(shape["scaleout_gbits_per_s"])
        if first["_orig"] in ("(provider default)", "(any)"):
            notes.append(
                "Provider-wide list price per GPU-hour, the same in every data center; GPU "
                "stock varies by data center."
            )
        row["source"] = source_text
        row["as_of"] = as_of
        conf = {e.get("confidence") for e in by_model.values()} - {None}
        if conf:
            row["confidence"] = min(conf, key=["low", "medium", "high"].index)
        if notes:
            row["notes"] = " ".join(dict.fromkeys(notes))
        offerings[(cloud, region, row["instance"])] = row
    return offerings


def _regions(regions: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in regions["regions"]:
        grid_source = r.get("grid_source")
        parts = []
        if grid_source:
            parts.append(f"grid: {grid_source}")
        if r.get("pue_source"):
            parts.append(f"PUE: {r['pue_source']}")
        if r.get("google_proxy_region"):
            parts.append(
                f"proxy: Google 2024 value of GCP region {r['google_proxy_region']} "
                "(same grid zone)"
            )
        row: dict[str, Any] = {
            "provider": r["cloud"],
            "code": r["region"],
            "city": r.get("location"),
            "country": r["country"],
            "eu": bool(r["eu"]),
            "eea": bool(r["eea"]),
            "grid_gco2_per_kwh": r.get("grid_gco2_per_kwh"),
            "pue": r.get("pue"),
        }
        if r.get("google_2024_same_grid_zone_gco2_per_kwh") is not None:
            row["grid_proxy_gco2_per_kwh"] = r["google_2024_same_grid_zone_gco2_per_kwh"]
        if r.get("google_cfe_2024") is not None:
            row["cfe_fraction"] = r["google_cfe_2024"]
        row["source"] = "; ".join(parts) or "reference data regions.yaml"
        # regions.yaml was compiled 2026-11-22 from sources read that day.
        row["as_of"] = dt.date(2026, 11, 22)
        if r.get("confidence"):
            row["confidence"] = r["confidence"]
        notes = [r["notes"]] if r.get("notes") else []
        if row["grid_gco2_per_kwh"] is None:
            notes.append(
                "No grid factor for this region in the source; grid_proxy_gco2_per_kwh "
                "(same grid zone) is the best available figure."
                if "grid_proxy_gco2_per_kwh" in row
                else "No grid factor found for this region."
            )
        if notes:
            row["notes"] = " ".join(notes)
        out[(row["provider"], row["code"])] = row
    return out


def _price_table_rows(
    table: dict[str, Any], domains: dict[str, int], known_regions: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Expand one curated price table into curated offering rows (one per instance x region)."""
    provider, model = table["provider"], table["pricing_model"]
    rows: list[dict[str, Any]] = []
    for instance, by_region in table["prices"].items():
        shape = table["instances"][instance]
        accelerator, chips = shape["accelerator_id"], int(shape["chips_per_instance"])
        for region, price in by_region.items():
            if (provider, region) not in known_regions:
                raise ValueError(f"price table {table['source'][:40]!r}: unknown region {region}")
            row: dict[str, Any] = {
                "provider": provider,
                "region": region,
                "instance": instance,
                "accelerator_id": accelerator,
                "chips_per_instance": chips,
                "usd_per_hour": {model: float(price)},
                "source": table["source"],
                "as_of": table["as_of"],
            }
            for field in ("scaleup_domain_chips", "network_gbits_per_s", "max_chips"):
                if shape.get(field) is not None:
                    row[field] = shape[field]
            fixed_shape = provider in ("aws", "gcp", "azure")
            if (
                "scaleup_domain_chips" not in row
                and fixed_shape
                and accelerator not in MULTI_INSTANCE_DOMAINS
                and chips < domains.get(accelerator, 1)
            ):
                row["scaleup_domain_chips"] = chips
            if table.get("confidence"):
                row["confidence"] = table["confidence"]
            notes = [n for n in (table.get("notes"), shape.get("notes")) if n]
            if notes:
                row["notes"] = " ".join(notes)
            rows.append(row)
    return rows


def _apply_curated(
    offerings: dict[tuple[str, str, str], dict[str, Any]],
    regions: dict[tuple[str, str], dict[str, Any]],
    curated: dict[str, Any],
    domains: dict[str, int],
) -> None:
    for row in curated.get("regions", []):
        regions[(row["provider"], row["code"])] = dict(row)
    table_rows = [
        row
        for table in curated.get("price_tables", [])
        for row in _price_table_rows(table, domains, set(regions))
    ]
    for row in [*curated.get("offerings", []), *table_rows]:
        key = (row["provider"], row["region"], row["instance"])
        base = offerings.get(key)
        if base is None:
            offerings[key] = dict(row)
            continue
        merged = dict(base)
        dates = dict(base.get("price_as_of") or dict.fromkeys(base["usd_per_hour"], base["as_of"]))
        for model in row["usd_per_hour"]:
            dates[model] = row["as_of"]
        merged["usd_per_hour"] = {**base["usd_per_hour"], **row["usd_per_hour"]}
        merged["as_of"] = min(dates.values())
        if len(set(dates.values())) > 1:
            merged["price_as_of"] = dict(sorted(dates.items()))
        models = ", ".join(row["usd_per_hour"])
        merged["source"] = f"{base['source']}; {models}: {row['source']}"
        extra = [base.get("notes"), row.get("notes")]
        merged["notes"] = " ".join(n for n in extra if n) or None
        for field in ("network_gbits_per_s", "scaleup_domain_chips", "max_chips"):
            if row.get(field) is not None:
                merged[field] = row[field]
        levels = [c for c in (row.get("confidence"), base.get("confidence")) if c]
        if levels:
            merged["confidence"] = min(levels, key=["low", "medium", "high"].index)
        offerings[key] = {k: v for k, v in merged.items() if v is not None}


class _NoAliasDumper(yaml.SafeDumper):
    """Write every value in full: no YAML anchors for repeated objects (dates)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(path: Path, header: str, table: str, rows: list[dict[str, Any]]) -> None:
    text = yaml.dump(
        {table: rows},
        Dumper=_NoAliasDumper,
        sort_keys=False,
        width=100,
        allow_unicode=True,
    )
    path.write_text(header + text, encoding="utf-8")


def main(argv: list[str]) -> int:
    shared = Path(argv[1]) if len(argv) > 1 else Path("/work/shared/data")
    prices = yaml.safe_load((shared / "prices.yaml").read_text(encoding="utf-8"))
    regions_data = yaml.safe_load((shared / "regions.yaml").read_text(encoding="utf-8"))
    curated = yaml.safe_load(CURATED.read_text(encoding="utf-8")) or {}
    accelerators = yaml.safe_load((OUT_DIR / "accelerators.yaml").read_text(encoding="utf-8"))
    domains = {a["id"]: a["scaleup_domain_chips"] for a in accelerators["accelerators"]}
    offerings = _offerings(prices, domains)
    regions = _regions(regions_data)
    _apply_curated(offerings, regions, curated, domains)
    _fill_capacity(offerings, domains)
    _fill_energy(regions)
    header = (
        "# GENERATED by scripts/build_catalog.py from the team's reference data (compiled\n"
        "# 2026-11-22) and scripts/catalog_curated.yaml. Edit those, then re-run the script.\n"
        "# usd_per_hour = price of ONE instance-hour per pricing model; TPU rows are per chip.\n"
    )
    _dump(
        OUT_DIR / "offerings.yaml", header, "offerings", [offerings[k] for k in sorted(offerings)]
    )
    _dump(OUT_DIR / "regions.yaml", header, "regions", [regions[k] for k in sorted(regions)])
    print(f"offerings: {len(offerings)}  regions: {len(regions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
