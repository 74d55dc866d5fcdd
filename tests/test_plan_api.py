"""The planner's public API is explicit and pinned."""

from __future__ import annotations

import xpuplan.energy
import xpuplan.fleet
import xpuplan.plan
import xpuplan.search


def test_public_api_is_pinned() -> None:
    assert sorted(xpuplan.plan.__all__) == [
        "DEFAULT_DEADLINE_S",
        "DEFAULT_GLOBAL_BATCH_TOKENS",
        "DEFAULT_SEQ_LEN",
        "LARGE_MODEL_GLOBAL_BATCH_TOKENS",
        "TrainingOption",
        "compare_options",
        "compare_vendors",
        "default_global_batch_tokens",
        "parse_option",
        "plan_serving",
        "plan_training",
    ]
    assert sorted(xpuplan.fleet.__all__) == [
        "DEFAULT_TIME_LIMIT_S",
        "FleetProblem",
        "FleetSolution",
        "best_single_type",
        "solve_fleet",
    ]
    assert sorted(xpuplan.energy.__all__) == [
        "EnergyBreakdown",
        "PowerModel",
        "chip_power_w",
        "run_energy",
    ]
    for module in (xpuplan.plan, xpuplan.fleet, xpuplan.energy, xpuplan.search):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
