"""Alpha-beta costs of collectives on switched, ring, torus and scale-out fabrics (vectorized).

Bandwidth convention
--------------------
Vendors state scale-up bandwidth as the *bidirectional aggregate per chip* (NVLink 4: 900 GB/s
= 18 links x 25 GB/s x 2 directions; TPU v5p ICI 1,200 GB/s; Trainium2 NeuronLink 1,280 GB/s).
A chip can *send* at most half of that while it receives the other half, so every formula here
takes ``bw_gbytes_per_s`` = the **unidirectional per-chip injection bandwidth** the collective
can use, and :func:`link_gbytes_per_s` turns a vendor figure plus topology into it. Scale-out
figures (EFA / InfiniBand / DCN) are quoted per direction in Gb/s per chip, so they only need
``/ 8`` (:func:`scaleout_gbytes_per_s`).

With that convention the formulas are the textbook bandwidth-optimal ones (Thakur, Rabenseifner
and Gropp 2005, "Optimization of Collective Communication Operations in MPICH", IJHPCA 19(1);
Patarasuk and Yuan 2009 for the ring all-reduce) and match NCCL's "bus bandwidth" convention
(NCCL tests doc PERFORMANCE.md: busbw = algbw x 2(n-1)/n for all-reduce, x (n-1)/n for
reduce-scatter / all-gather), i.e. a collective that reaches ``busbw == bw`` takes exactly the
time these functions return without the latency term.

``nbytes`` is always the *full* logical buffer: the whole gradient for all-reduce and
reduce-scatter, the whole gathered tensor for all-gather, the whole per-chip send buffer for
all-to-all. Every argument broadcasts (numpy arrays of candidates or plain floats).

Topology codes (:data:`TOPOLOGY_CODES`): a switched domain (NVSwitch, NVL72) lets every chip use
its full injection bandwidth towards any peer; on a ring or a k-dimensional torus a collective
over a group that spans only some of the dimensions can use only the ports of those dimensions
(Google TPU v4 paper, Jouppi et al. 2023, section 2: 6 ICI links per chip in a 3D torus; v5e and
v6e 4 links in a 2D torus).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from xpuplan.units import GIGA

__all__ = [
    "TOPOLOGY_CODES",
    "TOPOLOGY_DIMS",
    "ArrayLike",
    "allgather_time_s",
    "alltoall_time_s",
    "hierarchical_allgather_time_s",
    "hierarchical_allreduce_time_s",
    "hierarchical_alltoall_time_s",
    "hierarchical_reduce_scatter_time_s",
    "link_gbytes_per_s",
    "p2p_time_s",
    "reduce_scatter_time_s",
    "ring_allreduce_time_s",
    "scaleout_gbytes_per_s",
    "topology_code",
    "torus_dims_spanned",
    "tree_allreduce_time_s",
]

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]

# Integer codes so a candidate array can carry its topology.
TOPOLOGY_CODES: dict[str, int] = {"switched": 0, "ring": 1, "torus2d": 2, "torus3d": 3, "none": 4}
# Number of torus dimensions per code (a ring is a 1-D torus; switched/none have no dimensions).
TOPOLOGY_DIMS = np.array([0, 1, 2, 3, 0], dtype=np.float64)


def topology_code(name: str) -> int:
    """The integer code of a catalog ``scaleup_topology`` name."""
    return TOPOLOGY_CODES[name]


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def scaleout_gbytes_per_s(gbits_per_s_per_chip: ArrayLike) -> FloatArray:
    """Per-direction scale-out bandwidth of one chip in GB/s from the Gb/s network figure."""
    return _f(gbits_per_s_per_chip) / 8.0


def torus_dims_spanned(
    group_chips: ArrayLike, fabric_chips: ArrayLike, topology: ArrayLike
) -> FloatArray:
    """How many torus dimensions a group of ``group_chips`` spans inside a ``fabric_chips`` slice.

    A slice of N chips on a d-dimensional torus has sides of about N^(1/d); a group of n chips
    laid out along the fewest dimensions spans ceil(d log n / log N) of them (at least 1, at most
    d). For switched fabrics the result is 0 (no dimension restriction).
    """
    n = np.maximum(_f(group_chips), 1.0)
    fabric = np.maximum(_f(fabric_chips), n)
    dims = TOPOLOGY_DIMS[np.asarray(topology, dtype=np.int64)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(fabric > 1.0, np.log(n) / np.log(fabric), 1.0)
    spanned = np.ceil(dims * ratio - 1e-9)
    return np.where(dims > 0, np.clip(spanned, 1.0, np.maximum(dims, 1.0)), 0.0)


def link_gbytes_per_s(
    bidirectional_gbytes_per_s: ArrayLike,
    topology: ArrayLike,
    group_chips: ArrayLike = 2,
    fabric_chips: ArrayLike = 2,
) -> FloatArray:
    """Unidirectional injection bandwidth (GB/s) a collective over ``group_chips`` can use.

    Switched (and "none", e.g. a PCIe bridge pair): half the bidirectional aggregate. Ring or
    torus with d dimensions and 2d ports: each spanned dimension contributes its two ports
    (bidirectional rings in both directions), i.e. aggregate/2 x spanned/d.
    """
    half = _f(bidirectional_gbytes_per_s) / 2.0
    dims = TOPOLOGY_DIMS[np.asarray(topology, dtype=np.int64)]
    spanned = torus_dims_spanned(group_chips, fabric_chips, topology)
    fraction = np.where(dims > 0, spanned / np.maximum(dims, 1.0), 1.0)
    return half * fraction


def _bw_bytes_per_s(bw_gbytes_per_s: ArrayLike) -> FloatArray:
    return _f(bw_gbytes_per_s) * GIGA


def ring_allreduce_time_s(
    nbytes: ArrayLike, n: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """Ring all-reduce: 2(n-1) steps of S/n bytes (Patarasuk and Yuan 2009; Thakur et al. 2005).

    t = 2(n-1) alpha + 2 (n-1)/n S / B. Zero for n <= 1.
    """
    n_ = np.maximum(_f(n), 1.0)
    t = 2.0 * (n_ - 1.0) / n_ * _f(nbytes) / _bw_bytes_per_s(bw_gbytes_per_s)
    if np.any(latency_s):  # (no latency term to add for alpha = 0)
        t = 2.0 * (n_ - 1.0) * _f(latency_s) + t
    return np.where(n_ > 1.0, t, 0.0)


def tree_allreduce_time_s(
    nbytes: ArrayLike, n: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """Pipelined double-binary-tree all-reduce (NCCL >= 2.4; Sanders et al. 2009).

    Latency grows with the tree depth, 2 ceil(log2 n) alpha; with two trees each carrying half the
    data, the bandwidth term approaches the ring's 2 S / B for large messages. Zero for n <= 1.
    """
    n_ = np.maximum(_f(n), 1.0)
    depth = np.ceil(np.log2(n_))
    t = 2.0 * depth * _f(latency_s) + 2.0 * _f(nbytes) / _bw_bytes_per_s(bw_gbytes_per_s)
    return np.where(n_ > 1.0, t, 0.0)


def reduce_scatter_time_s(
    nbytes: ArrayLike, n: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """Ring reduce-scatter of an S-byte buffer: t = (n-1) alpha + (n-1)/n S / B."""
    n_ = np.maximum(_f(n), 1.0)
    t = (n_ - 1.0) / n_ * _f(nbytes) / _bw_bytes_per_s(bw_gbytes_per_s)
    if np.any(latency_s):  # (no latency term to add for alpha = 0)
        t = (n_ - 1.0) * _f(latency_s) + t
    return np.where(n_ > 1.0, t, 0.0)


def allgather_time_s(
    nbytes: ArrayLike, n: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """Ring all-gather producing an S-byte buffer: t = (n-1) alpha + (n-1)/n S / B."""
    return reduce_scatter_time_s(nbytes, n, bw_gbytes_per_s, latency_s)


def alltoall_time_s(
    nbytes: ArrayLike, n: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """All-to-all where each chip holds S bytes and keeps 1/n: t = (n-1) alpha + (n-1)/n S / B.

    Exact for a switched fabric (pairwise exchange, Thakur et al. 2005 section 4.5). On a ring or
    torus the bisection bounds it instead; :func:`link_gbytes_per_s` already reduces B to the
    spanned dimensions, and the caller can pass a further bisection factor in ``bw``.
    """
    return reduce_scatter_time_s(nbytes, n, bw_gbytes_per_s, latency_s)


def p2p_time_s(
    nbytes: ArrayLike, bw_gbytes_per_s: ArrayLike, latency_s: ArrayLike = 0.0
) -> FloatArray:
    """One point-to-point transfer: t = alpha + S / B."""
    return _f(latency_s) + _f(nbytes) / _bw_bytes_per_s(bw_gbytes_per_s)


def _split(n: ArrayLike, inner_n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    n_ = np.maximum(_f(n), 1.0)
    inner = np.clip(_f(inner_n), 1.0, n_)
    return inner, np.maximum(n_ / inner, 1.0)


def hierarchical_allreduce_time_s(
    nbytes: ArrayLike,
    n: ArrayLike,
    inner_n: ArrayLike,
    inner_bw_gbytes_per_s: ArrayLike,
    inner_latency_s: ArrayLike,
    outer_bw_gbytes_per_s: ArrayLike,
    outer_latency_s: ArrayLike,
) -> FloatArray:
    """All-reduce over n = inner_n x outer_n chips, inner_n of them per scale-up domain.

    Inside a domain each chip reduce-scatters and all-gathers the S-byte buffer over scale-up
    (2 (inner_n-1)/inner_n S / B_in); across domains each chip all-reduces its 1/inner_n shard
    over its own scale-out link (2 (outer_n-1)/outer_n S / inner_n / B_out): a domain's network
    bandwidth is inner_n x the per-chip figure (rail-optimized GPU clusters, TPU multislice over
    DCN). NCCL's multi-channel rings pipeline the two kinds of hops, so the slower one sets the
    time (NCCL-tests PERFORMANCE.md: multi-node bus bandwidth is bounded by the NICs); the
    latency terms add. With inner_n == n this is the plain ring; with inner_n == 1 a flat
    ring over the network.
    """
    inner, outer = _split(n, inner_n)
    s = _f(nbytes)
    inside = ring_allreduce_time_s(s, inner, inner_bw_gbytes_per_s, 0.0)
    outside = ring_allreduce_time_s(s / inner, outer, outer_bw_gbytes_per_s, 0.0)
    latency = 2.0 * (inner - 1.0) * _f(inner_latency_s) + 2.0 * (outer - 1.0) * _f(outer_latency_s)
    return np.where(_f(n) > 1.0, np.maximum(inside, outside) + latency, 0.0)


def hierarchical_reduce_scatter_time_s(
    nbytes: ArrayLike,
    n: ArrayLike,
    inner_n: ArrayLike,
    inner_bw_gbytes_per_s: ArrayLike,
    inner_latency_s: ArrayLike,
    outer_bw_gbytes_per_s: ArrayLike,
    outer_latency_s: ArrayLike,
) -> FloatArray:
    """Reduce-scatter over inner_n x outer_n chips: half of :func:`hierarchical_allreduce_time_s`
    ((inner_n-1)/inner_n S / B_in inside, (outer_n-1)/outer_n S / inner_n / B_out across,
    pipelined)."""
    inner, outer = _split(n, inner_n)
    s = _f(nbytes)
    inside = reduce_scatter_time_s(s, inner, inner_bw_gbytes_per_s, 0.0)
    outside = reduce_scatter_time_s(s / inner, outer, outer_bw_gbytes_per_s, 0.0)
    latency = (inner - 1.0) * _f(inner_latency_s) + (outer - 1.0) * _f(outer_latency_s)
    return np.where(_f(n) > 1.0, np.maximum(inside, outside) + latency, 0.0)


# All-gather over inner_n x outer_n chips mirrors the reduce-scatter (same hops, same bytes).
hierarchical_allgather_time_s = hierarchical_reduce_scatter_time_s


def hierarchical_alltoall_time_s(
    nbytes: ArrayLike,
    n: ArrayLike,
    inner_n: ArrayLike,
    inner_bw_gbytes_per_s: ArrayLike,
    inner_latency_s: ArrayLike,
    outer_bw_gbytes_per_s: ArrayLike,
    outer_latency_s: ArrayLike,
) -> FloatArray:
    """All-to-all over inner_n x outer_n chips: of the S bytes a chip holds, (inner_n-1)/n go to
    peers of its domain over scale-up and (n - inner_n)/n leave it over the chip's scale-out link.
    The two parts run concurrently, so the slower one sets the time."""
    n_ = np.maximum(_f(n), 1.0)
    inner, outer = _split(n, inner_n)
    s = _f(nbytes)
    inside = (inner - 1.0) * _f(inner_latency_s) + (inner - 1.0) / n_ * s / _bw_bytes_per_s(
        inner_bw_gbytes_per_s
    )
    outside = np.where(
        outer > 1.0,
        (outer - 1.0) * _f(outer_latency_s)
        + (n_ - inner) / n_ * s / _bw_bytes_per_s(outer_bw_gbytes_per_s),
        0.0,
    )
    return np.where(n_ > 1.0, np.maximum(inside, outside), 0.0)
