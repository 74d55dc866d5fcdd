"""The public API is explicit: this list changes only on purpose."""

import xpuplan

EXPECTED = {
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
}


def test_all_is_pinned() -> None:
    assert set(xpuplan.__all__) == EXPECTED


def test_every_name_resolves() -> None:
    for name in xpuplan.__all__:
        assert getattr(xpuplan, name) is not None, name


def test_errors_share_one_root() -> None:
    for name in ("CatalogError", "InputError", "ModelConfigError", "UnknownNameError"):
        assert issubclass(getattr(xpuplan, name), xpuplan.InputError)
    assert issubclass(xpuplan.InputError, xpuplan.XpuplanError)
    assert issubclass(xpuplan.InfeasibleError, xpuplan.XpuplanError)


def test_quick_start_runs_on_the_bundled_catalog() -> None:
    catalog = xpuplan.load_catalog()
    result = xpuplan.plan_training("llama-3.1-8b", "100B", catalog=catalog, deadline="30d", top=3)
    best = result.plans[0]
    assert best.cost_usd > 0 and best.wall_time_s <= 30 * 86400
