"""Collective costs against hand-derived alpha-beta numbers (Thakur et al. 2005; NCCL busbw)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xpuplan.perf import comm

GB = 1e9


def test_ring_allreduce_by_hand() -> None:
    # 1 GB over 8 chips, 450 GB/s one way (H100 NVLink 900 GB/s bidirectional / 2), 5 us per step:
    # 2*7*5e-6 + 2*7/8 * 1e9 / 450e9 = 7e-5 + 3.8889e-3
    t = comm.ring_allreduce_time_s(1 * GB, 8, 450.0, 5e-6)
    assert float(t) == pytest.approx(7e-5 + 2 * 7 / 8 / 450, rel=1e-12)


def test_reduce_scatter_and_allgather_are_half_an_allreduce() -> None:
    rs = comm.reduce_scatter_time_s(4 * GB, 16, 100.0, 1e-5)
    ag = comm.allgather_time_s(4 * GB, 16, 100.0, 1e-5)
    ar = comm.ring_allreduce_time_s(4 * GB, 16, 100.0, 1e-5)
    assert float(rs + ag) == pytest.approx(float(ar))
    # by hand: 15e-5 + 15/16 * 4e9 / 100e9 = 0.03765
    assert float(rs) == pytest.approx(15e-5 + 15 / 16 * 0.04)


def test_single_chip_costs_nothing() -> None:
    assert float(comm.ring_allreduce_time_s(GB, 1, 100.0, 1e-3)) == 0.0
    assert float(comm.alltoall_time_s(GB, 1, 100.0, 1e-3)) == 0.0


def test_vectorized_broadcasting() -> None:
    n = np.array([2, 4, 8, 16])
    t = comm.ring_allreduce_time_s(np.array([[GB], [2 * GB]]), n, 100.0)
    assert t.shape == (2, 4)
    assert np.all(np.diff(t, axis=1) > 0)
    assert np.allclose(t[1], 2 * t[0])


def test_link_bandwidth_conventions() -> None:
    switched = comm.TOPOLOGY_CODES["switched"]
    torus2d = comm.TOPOLOGY_CODES["torus2d"]
    torus3d = comm.TOPOLOGY_CODES["torus3d"]
    # NVSwitch: half of the bidirectional 900 GB/s towards any peer.
    assert float(comm.link_gbytes_per_s(900.0, switched, 8, 8)) == 450.0
    # TPU v5e 2D torus, 400 GB/s bidirectional over 4 ports: a 16-chip row of a 16x16 slice uses
    # one dimension (2 ports, 100 GB/s one way); the whole slice uses both (200 GB/s).
    assert float(comm.link_gbytes_per_s(400.0, torus2d, 16, 256)) == 100.0
    assert float(comm.link_gbytes_per_s(400.0, torus2d, 256, 256)) == 200.0
    # v5p 4x4x4 slice: a 4-chip group spans one of three dimensions.
    assert float(comm.link_gbytes_per_s(1200.0, torus3d, 4, 64)) == pytest.approx(200.0)
    assert float(comm.link_gbytes_per_s(1200.0, torus3d, 64, 64)) == pytest.approx(600.0)


def test_hierarchical_allreduce_by_hand() -> None:
    # 64 chips = 8 per node x 8 nodes; 1 GB; NVLink 450 GB/s, network 50 GB/s per chip, no latency.
    # In node: 2*7/8 * 1/450 = 3.9 ms; across nodes, each GPU's 1/8 GB shard over its own NIC:
    # 2*7/8 * 0.125/50 = 4.4 ms; pipelined rings: the slower one (NIC-bound, as NCCL-tests show).
    t = comm.hierarchical_allreduce_time_s(GB, 64, 8, 450.0, 0.0, 50.0, 0.0)
    assert float(t) == pytest.approx(2 * 7 / 8 * 0.125 / 50)
    # Inside one domain it is the plain ring.
    inner = comm.hierarchical_allreduce_time_s(GB, 8, 8, 450.0, 0.0, 50.0, 0.0)
    assert float(inner) == pytest.approx(float(comm.ring_allreduce_time_s(GB, 8, 450.0)))


def test_scaleout_bits_to_bytes() -> None:
    assert float(comm.scaleout_gbytes_per_s(400.0)) == 50.0


@given(
    nbytes=st.floats(1e3, 1e11),
    n=st.integers(2, 4096),
    bw=st.floats(1.0, 2000.0),
)
def test_ring_allreduce_bandwidth_bounds(nbytes: float, n: int, bw: float) -> None:
    # Bus bandwidth identity: busbw = (S / t) * 2(n-1)/n equals the link bandwidth without latency.
    t = float(comm.ring_allreduce_time_s(nbytes, n, bw))
    assert nbytes / t * 2 * (n - 1) / n == pytest.approx(bw * 1e9, rel=1e-9)
    assert float(comm.tree_allreduce_time_s(nbytes, n, bw)) >= t
