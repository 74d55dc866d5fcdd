"""xpuplan: a vendor-neutral planner for AI compute.

Where should a training run or a serving fleet go (chip, cloud, region, parallel layout), at
what cost, time, energy and CO2, and what does avoiding lock-in cost? The catalog is always
an argument, so every function below is pure::

    import xpuplan
    catalog = xpuplan.load_catalog()
    result = xpuplan.plan_training("llama-3.1-70b", "2T", catalog=catalog, deadline="30d")
"""

from xpuplan._version import __version__
from xpuplan.catalog.catalog import Catalog
from xpuplan.catalog.load import load_catalog
from xpuplan.catalog.schema import Accelerator, Offering, Region
from xpuplan.errors import (
    CatalogError,
    InfeasibleError,
    InputError,
    ModelConfigError,
    UnknownNameError,
    ValidationFileError,
    XpuplanError,
)
from xpuplan.models import (
    ModelSpec,
    count_params,
    forward_flops_per_token,
    get_preset,
    kv_cache_bytes_per_token,
    list_presets,
    load_hf_config,
    resolve_model,
    training_flops_per_token,
)
from xpuplan.perf.layout import Layout
from xpuplan.perf.serving import estimate_serving
from xpuplan.perf.training import best_layout, estimate_training
from xpuplan.plan import compare_options, plan_serving, plan_training
from xpuplan.report import render_html, write_report
from xpuplan.search.filters import OfferingFilter
from xpuplan.validation.run import validate_files

__all__ = [
    "Accelerator",
    "Catalog",
    "CatalogError",
    "InfeasibleError",
    "InputError",
    "Layout",
    "ModelConfigError",
    "ModelSpec",
    "Offering",
    "OfferingFilter",
    "Region",
    "UnknownNameError",
    "ValidationFileError",
    "XpuplanError",
    "__version__",
    "best_layout",
    "compare_options",
    "count_params",
    "estimate_serving",
    "estimate_training",
    "forward_flops_per_token",
    "get_preset",
    "kv_cache_bytes_per_token",
    "list_presets",
    "load_catalog",
    "load_hf_config",
    "plan_serving",
    "plan_training",
    "render_html",
    "resolve_model",
    "training_flops_per_token",
    "validate_files",
    "write_report",
]
