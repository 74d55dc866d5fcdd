"""Fuzz the command line: 10,000 mutated commands and input files (tests/fuzzing.py), with counts.

Run: ``python benchmarks/fuzz.py [--examples 10000] [--seed 0]``.
Prints how many runs ended with exit code 0, 2 and 3, how many broke a rule (an exception or
traceback, another exit code, NaN or infinity in output, a file left behind on error), and the
first few broken ones. The same strategies run 200 examples in ``tests/test_cli_fuzz.py``.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import FuzzCase, check_run, fuzz_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    broken: list[str] = []

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(fuzz_cases())
    def one(case: FuzzCase) -> None:
        counts[f"command {case.command}"] += 1
        with tempfile.TemporaryDirectory() as folder:
            try:
                code = check_run(case, Path(folder))
            except BaseException as error:
                counts["broken"] += 1
                if len(broken) < 10:
                    last = traceback.format_exception(error)[-1].strip()
                    broken.append(f"{case.argv} file={case.file_text!r:.200}: {last[:600]}")
                return
        counts[f"exit {code}"] += 1

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one()
    seconds = time.perf_counter() - start
    runs = sum(v for k, v in counts.items() if k.startswith("exit ")) + counts["broken"]
    print(f"examples={runs} seconds={seconds:.0f}")
    for key in sorted(counts):
        print(f"{key}: {counts[key]}")
    for text in broken:
        print(f"BROKEN {text}")


if __name__ == "__main__":
    main()
