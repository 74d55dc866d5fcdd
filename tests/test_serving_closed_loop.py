"""A closed loop of more users than the KV cache holds: the engine runs what fits and queues
the rest (the measured throughput plateaus), so the reading caps the running batch at the KV
capacity instead of calling the layout infeasible."""

from __future__ import annotations

import numpy as np

from xpuplan.catalog.load import load_catalog
from xpuplan.models.presets import get_preset
from xpuplan.perf.serving import STATUS_MESSAGES, build_candidates, serving_capacity_arrays
from xpuplan.validation.cases import load_cases
from xpuplan.validation.infer_cases import predict_infer_case
from xpuplan.validation.run import bundled_case_files


def _arrays(batch: float, queue_excess: bool) -> object:
    accelerator = load_catalog().accelerator("nvidia-l4")
    cands = build_candidates([accelerator], [0], [1])
    return serving_capacity_arrays(
        get_preset("llama-3.1-8b"),
        cands,
        input_len=4096,
        output_len=1024,
        batch=np.array([batch]),
        queue_excess=queue_excess,
    )


def test_a_stated_batch_beyond_the_kv_cache_is_infeasible_and_says_so() -> None:
    r = _arrays(10_000.0, queue_excess=False)
    assert not r.feasible[0]
    assert STATUS_MESSAGES[int(r.status[0])].startswith("the stated batch's KV cache")


def test_queued_users_run_at_the_kv_capacity() -> None:
    r = _arrays(10_000.0, queue_excess=True)
    assert r.feasible[0]
    assert 1 <= r.batch[0] == r.max_batch[0] < 10_000
    assert r.output_tokens_per_s[0] == _arrays(float(r.max_batch[0]), False).output_tokens_per_s[0]


def test_bundled_sweep_plateaus_past_the_kv_capacity() -> None:
    """SGL-JAX, Qwen3-32B, input 4096 on TPU v6e-4: 64 and 256 users measure the same output
    tok/s (785.3 and 785.06); both are predicted, at one throughput."""
    cases = {c.id: c for f in bundled_case_files() for c in load_cases(f)}
    catalog = load_catalog()
    ids = [f"sgljax-v6e4-qwen3-32b-tp4-c{n}-in4096-out1024-2025-09" for n in (64, 256)]
    low, high = (predict_infer_case(cases[i], catalog)["output_tokens_per_s"] for i in ids)
    assert low == high > 0


def test_an_estimate_at_an_oversized_batch_shows_the_closest_layout() -> None:
    """Llama 3.1 70B on 8 x L4 (24 GB) at a stated batch of 100,000: no layout holds that
    batch, so the estimate shows one whose weights fit (not 8 replicas of tp 1, 141 GB each)
    and names the binding limit with the batch asked and the batch that fits."""
    from xpuplan.perf.serving import estimate_serving

    est = estimate_serving(
        get_preset("llama-3.1-70b"),
        load_catalog().accelerator("nvidia-l4"),
        count=8,
        input_len=4096,
        output_len=1024,
        batch=100_000,
    )
    assert not est.feasible
    assert est.status == STATUS_MESSAGES[5]
    assert est.tp * est.pp == 8
    assert est.batch_per_replica == 100_000 > est.max_batch_per_replica >= 1
