"""Fuzz every command's flags and input files (catalog overrides, config.json, validation files,
PLAN.json): never a traceback, never NaN or infinity in output, exit code 0, 2 or 3 only, and
no file left behind on error. 200 examples here; ``benchmarks/fuzz.py`` runs 10,000."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from fuzzing import FuzzCase, check_run, fuzz_cases


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(fuzz_cases())
def test_cli_fuzz(case: FuzzCase) -> None:
    with tempfile.TemporaryDirectory() as folder:
        check_run(case, Path(folder))
