"""Training layout: how a model is split over devices (DP, FSDP/ZeRO, TP, PP, CP, EP) and batched.

Devices versus chips
--------------------
Every degree counts *devices*. A device is a chip unless ``devices_per_chip`` says otherwise:
AWS Neuron counts NeuronCores (Trainium1 has 2 per chip, Trainium2 8 physical / 4 logical with
the default LNC=2), so a Neuron layout "TP=32" on 16 Trainium1 chips has ``devices_per_chip=2``.
Google TPU v4/v5p slice names count TensorCores (a v5p-128 is 64 chips) but JAX drives the two
TensorCores of a chip as one "megacore" device, so TPU layouts use ``devices_per_chip=1``.

Degrees
-------
``devices = dp * tp * pp * cp`` (Megatron-LM's rule; expert parallelism ``ep`` reuses the DP x CP
devices of a layer and must divide ``dp * cp``, Megatron-Core MoE docs). ``dp`` counts model
replicas in the data dimension; of these, ``dp_shard`` share one copy of the sharded states
(ZeRO 1-3 / FSDP; ``dp_shard == dp`` is full sharding, ``1 < dp_shard < dp`` hybrid sharding
(PyTorch HYBRID_SHARD, MaxText ICI-FSDP x DCN-DP)). ``zero`` says what is sharded over
``dp_shard`` (Rajbhandari et al. 2020): 1 optimizer states, 2 + gradients, 3 (= FSDP FULL_SHARD)
+ weights.

Batch
-----
``micro_batch`` is the number of sequences one model replica (a TP x PP x CP group) processes
at once; ``global_batch_seqs = dp * micro_batch * n_micro`` where ``n_micro`` is the number of
gradient-accumulation steps (pp = 1) or pipeline micro-batches (pp > 1).

One type, one search, one set of rules
--------------------------------------
:class:`Layout` is one layout; :class:`LayoutArrays` is its array twin (one element per
candidate; ``LayoutArrays.from_layout`` and ``LayoutArrays.layout(i)`` convert). The one
enumerator, :func:`enumerate_layouts`, crosses the values a :class:`LayoutGrid` allows and keeps
the rows that pass the rules below; ``best_layout`` (``estimate train``), ``plan train`` and
``compare`` all call it. Each rule is written once, as a vectorized function:

* :func:`tp_ok`: tp divides the attention heads; :func:`tp_in_domain`: tp within the scale-up
  domain (tensor parallelism only pays off over the scale-up fabric, Narayanan et al. 2021
  section 3.3);
* :func:`pp_ok`: every stage holds at least one layer (uneven stages allowed);
* :func:`cp_ok`: context parallelism only for sequences of at least :data:`CP_MIN_SEQ_LEN`;
* :func:`ep_ok`: ep divides the routed experts and ``dp * cp``;
* :func:`virtual_pp_ok`: interleaved chunks fit in the busiest stage;
* :func:`grad_accum_for`: the micro-batches per step that keep the global batch within the
  grid's tolerance of the requested one.

:func:`check_layout` applies the rules a single stated layout must meet to run at all (the
search-only rules, tp within the domain, cp for long sequences and the batch tolerance, say
what is worth searching, not what can run).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from xpuplan.errors import InputError
from xpuplan.models.spec import ModelSpec

__all__ = [
    "BATCH_TOLERANCE",
    "CP_MIN_SEQ_LEN",
    "MAX_PP",
    "PRECISIONS",
    "RECOMPUTE_CODES",
    "Layout",
    "LayoutArrays",
    "LayoutGrid",
    "ModelShape",
    "Precision",
    "Recompute",
    "check_layout",
    "cp_ok",
    "enumerate_layouts",
    "ep_ok",
    "grad_accum_for",
    "pp_ok",
    "tp_in_domain",
    "tp_ok",
    "virtual_pp_ok",
]

Recompute = Literal["none", "selective", "full"]
Precision = Literal["bf16", "fp8"]
# Integer codes for the vectorized core.
RECOMPUTE_CODES: dict[str, int] = {"none": 0, "selective": 1, "full": 2}
PRECISIONS: tuple[str, ...] = ("bf16", "fp8")


IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

# Context parallelism is only worth its ring exchange for long sequences (Megatron-Core uses it
# from 8k-16k tokens up); below this it is not searched.
CP_MIN_SEQ_LEN = 8192
# Deepest pipeline searched: Llama 3 405B trained with 16 stages (Dubey et al. 2024, section
# 3.3.2); 64 leaves room for far larger models.
MAX_PP = 64
# How far the effective global batch (dp x micro_batch x grad_accum sequences) may differ from
# the requested one when the planner chooses the layout. Practitioners round batch sizes to the
# parallel layout all the time; 10% keeps the optimisation recipe essentially unchanged (a
# modelling choice, not a measurement). ``estimate train`` keeps a stated batch exactly (0).
BATCH_TOLERANCE = 0.10


def tp_ok(n_heads: int, tp: npt.ArrayLike) -> BoolArray:
    """The one TP rule: tensor parallelism splits whole attention heads (tp divides them)."""
    return np.asarray(np.mod(n_heads, np.asarray(tp)) == 0)


def tp_in_domain(tp: npt.ArrayLike, domain_devices: npt.ArrayLike) -> BoolArray:
    """Search rule: tensor parallelism stays inside one scale-up domain (its all-reduces run
    every layer; over the scale-out network they cost more than they save, Narayanan et al.
    2021 section 3.3)."""
    return np.asarray(np.asarray(tp) <= np.asarray(domain_devices))


def pp_ok(n_layers: int, pp: npt.ArrayLike) -> BoolArray:
    """The one PP rule: every stage holds at least one layer. Stages may be uneven (Megatron
    ``--decoder-first/last-pipeline-num-layers``; Llama 3 405B ran 126 layers on 16 stages); the
    busiest holds ceil(layers / pp), which sets its time and memory (perf.memory.stage_layers)."""
    return np.asarray(np.asarray(pp) <= n_layers)


def cp_ok(seq_len: int, cp: npt.ArrayLike) -> BoolArray:
    """Search rule: context parallelism only for sequences of at least :data:`CP_MIN_SEQ_LEN`."""
    return np.asarray((np.asarray(cp) == 1) | (seq_len >= CP_MIN_SEQ_LEN))


def ep_ok(n_experts: int, ep: npt.ArrayLike, dp: npt.ArrayLike, cp: npt.ArrayLike) -> BoolArray:
    """The one EP rule: ep divides the routed experts (none: ep = 1) and the data x context
    devices of a layer that the experts are spread over (Megatron-Core MoE docs)."""
    ep_ = np.asarray(ep)
    if not n_experts:
        return np.asarray(ep_ == 1)
    return np.asarray((np.mod(n_experts, ep_) == 0) & (np.mod(np.asarray(dp) * cp, ep_) == 0))


def virtual_pp_ok(n_layers: int, pp: npt.ArrayLike, virtual_pp: npt.ArrayLike) -> BoolArray:
    """The one interleaving rule: virtual_pp > 1 needs pp > 1 and at most one layer per chunk
    on the busiest stage (ceil(layers / pp) layers; Narayanan et al. 2021 section 2.2)."""
    pp_, v = np.asarray(pp), np.asarray(virtual_pp)
    per_stage = -(-n_layers // np.maximum(pp_, 1))
    return np.asarray((v == 1) | ((pp_ > 1) & (v >= 1) & (v <= per_stage)))


def grad_accum_for(
    global_batch_seqs: int, dp: npt.ArrayLike, micro_batch: npt.ArrayLike, tolerance: float
) -> tuple[IntArray, BoolArray]:
    """The one batch rule: micro-batches per step ``round(B / (dp * micro_batch))`` and whether
    the effective batch stays within ``tolerance`` (a fraction) of the requested ``B`` with at
    least one micro-batch. ``tolerance=0`` asks dp * micro_batch to divide ``B`` exactly."""
    per_step = np.asarray(dp, dtype=np.int64) * np.asarray(micro_batch, dtype=np.int64)
    ga = np.rint(global_batch_seqs / per_step).astype(np.int64)
    off = np.abs(per_step * ga - global_batch_seqs)
    return ga, np.asarray((ga >= 1) & (off <= tolerance * global_batch_seqs + 1e-9))


@dataclass(frozen=True)
class Layout:
    """Parallel degrees and batching of one training run (degrees count devices)."""

    dp: int = 1
    tp: int = 1
    pp: int = 1
    cp: int = 1
    ep: int = 1
    zero: int = 1  # 0 (plain DDP) .. 3 (FSDP full shard); Megatron's distributed optimizer is 1
    dp_shard: int | None = None  # devices sharing sharded states; None means all of dp
    sequence_parallel: bool = True  # Megatron SP (Korthikanti et al. 2022); only matters with tp>1
    recompute: Recompute = "selective"
    micro_batch: int = 1
    virtual_pp: int = 1  # interleaved 1F1B model chunks per stage (Narayanan et al. 2021)
    devices_per_chip: int = 1
    # With recompute="full": layers per pipeline stage that are recomputed, the others keep
    # their activations (Megatron-Core --recompute-method block --recompute-num-layers N);
    # None recomputes every layer.
    recompute_layers: int | None = None

    @property
    def devices(self) -> int:
        return self.dp * self.tp * self.pp * self.cp

    @property
    def chips(self) -> int:
        return self.devices // self.devices_per_chip

    @property
    def shard(self) -> int:
        """Devices that share one copy of the sharded states (1 when zero == 0)."""
        if self.zero == 0:
            return 1
        return self.dp if self.dp_shard is None else self.dp_shard

    def n_micro(self, global_batch_seqs: int) -> int:
        """Micro-batches per step per replica (grad accumulation or pipeline micro-batches)."""
        return global_batch_seqs // (self.dp * self.micro_batch)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["dp_shard"] = self.shard
        return out


def check_layout(
    layout: Layout,
    model: ModelSpec,
    *,
    chips: int | None = None,
    global_batch_seqs: int | None = None,
) -> None:
    """Raise a one-line :class:`InputError` when the layout cannot run ``model``."""
    for name in ("dp", "tp", "pp", "cp", "ep", "micro_batch", "virtual_pp", "devices_per_chip"):
        value = getattr(layout, name)
        if not isinstance(value, int) or value < 1:
            raise InputError(f"layout: {name}={value!r} must be a positive integer")
    if layout.zero not in (0, 1, 2, 3):
        raise InputError(f"layout: zero={layout.zero!r} must be 0, 1, 2 or 3")
    if layout.recompute not in RECOMPUTE_CODES:
        raise InputError(
            f"layout: recompute={layout.recompute!r}; allowed: {', '.join(RECOMPUTE_CODES)}"
        )
    if layout.recompute_layers is not None and (
        not isinstance(layout.recompute_layers, int) or layout.recompute_layers < 1
    ):
        raise InputError(
            f"layout: recompute_layers={layout.recompute_layers!r} must be a positive integer "
            "(layers per stage recomputed with recompute='full') or None (all)"
        )
    if chips is not None and layout.devices != chips * layout.devices_per_chip:
        per = (
            f" x {layout.devices_per_chip} devices per chip" if layout.devices_per_chip > 1 else ""
        )
        raise InputError(
            f"layout: dp*tp*pp*cp = {layout.dp}*{layout.tp}*{layout.pp}*{layout.cp} = "
            f"{layout.devices} devices, but {chips} chips{per} = "
            f"{chips * layout.devices_per_chip}; make the product match"
        )
    if layout.dp_shard is not None and (layout.dp_shard < 1 or layout.dp % layout.dp_shard):
        raise InputError(
            f"layout: dp_shard={layout.dp_shard} must divide dp={layout.dp} "
            "(hybrid sharding groups)"
        )
    if not tp_ok(model.n_heads, layout.tp):
        raise InputError(
            f"layout: tp={layout.tp} must divide the {model.n_heads} attention heads of "
            f"{model.name or 'the model'}"
        )
    if not pp_ok(model.n_layers, layout.pp):
        raise InputError(
            f"layout: pp={layout.pp} is more pipeline stages than the {model.n_layers} layers of "
            f"{model.name or 'the model'}"
        )
    if not virtual_pp_ok(model.n_layers, layout.pp, layout.virtual_pp):
        if layout.pp == 1:
            raise InputError("layout: virtual_pp > 1 needs pp > 1 (interleaved pipeline)")
        # Stages may be uneven (ceil(layers / pp) on the busiest); chunks must fit in it.
        per_stage = -(-model.n_layers // layout.pp)
        raise InputError(
            f"layout: virtual_pp={layout.virtual_pp} is more chunks than the "
            f"{per_stage} layers of the busiest pipeline stage"
        )
    experts = model.moe.n_routed_experts if model.moe is not None else 0
    if not ep_ok(experts, layout.ep, layout.dp, layout.cp):
        if model.moe is None:
            raise InputError(f"layout: ep={layout.ep} needs a mixture-of-experts model")
        if experts % layout.ep:
            raise InputError(f"layout: ep={layout.ep} must divide the {experts} experts")
        raise InputError(
            f"layout: ep={layout.ep} must divide dp*cp={layout.dp * layout.cp} "
            "(experts are spread over the data-parallel devices)"
        )
    if global_batch_seqs is not None:
        per_step = layout.dp * layout.micro_batch
        if not grad_accum_for(global_batch_seqs, layout.dp, layout.micro_batch, 0.0)[1]:
            raise InputError(
                f"layout: global batch {global_batch_seqs} sequences is not a multiple of "
                f"dp*micro_batch = {layout.dp}*{layout.micro_batch} = {per_step}"
            )


@dataclass(frozen=True)
class ModelShape:
    """The per-model numbers the vectorized estimator needs, computed once from the counts.

    Matmul weights are split by where they live: attention projections and dense MLPs (split
    by TP), routed experts (split by TP and EP) and the embedding / LM head. ``*_per_layer``
    values are means over the layers (leading dense layers of a MoE averaged in).
    """

    name: str
    seq_len: int
    n_layers: int
    d_model: int
    d_attn: int  # n_heads * head_dim (MLA: n_heads * v_head_dim)
    qkv_out: int  # output width of the q, k and v projections together
    n_heads: int
    ffn_dim: int  # dense MLP intermediate size (0 when every layer is MoE)
    mlp_mats: int  # 3 for gated MLPs (SwiGLU), 2 for plain
    vocab: int
    attn_weights_per_layer: float  # q, k, v, o matmul weights
    dense_mlp_weights_per_layer: float  # dense MLP weights, averaged over layers
    expert_weights_per_layer: float  # all routed experts of a layer, averaged over layers
    active_expert_weights_per_layer: float  # top_k routed + shared experts, averaged
    expert_ffn_dim: int
    n_experts: int
    top_k: int
    moe_layer_fraction: float
    params_total: float
    params_layers: float  # all layers (norms included)
    params_embedding: float  # embedding + position table
    params_head: float  # untied LM head (0 when tied)
    model_flops_per_token: float  # training, non-causal attention, no recompute (counts.py)
    forward_flops_per_token: float  # forward, non-causal
    attn_score_flops_per_token: float  # forward QK^T + AV, non-causal
    attn_score_flops_per_token_causal: float  # forward QK^T + AV actually executed (causal)
    head_flops_per_token: float  # forward LM head

    @classmethod
    def from_spec(cls, spec: ModelSpec, seq_len: int) -> ModelShape:
        from xpuplan.models import counts

        params = counts.count_params(spec)
        flops = counts.forward_flops_per_token(spec, seq_len, causal=False)
        causal = counts.forward_flops_per_token(spec, seq_len, causal=True)
        n = spec.n_layers
        attn = float(flops.attention_proj) / (2.0 * n)
        mlp_mats = 3 if spec.gated_mlp else 2
        moe = spec.moe
        n_moe = counts.n_moe_layers(spec)
        dense_layers = n - n_moe
        dense_ffn = (moe.dense_ffn_dim or spec.ffn_dim) if moe is not None else spec.ffn_dim
        dense_mlp = dense_layers * mlp_mats * spec.d_model * dense_ffn / n
        expert_all = expert_active = 0.0
        if moe is not None:
            per_expert = mlp_mats * spec.d_model * moe.expert_ffn_dim
            shared_ffn = moe.shared_expert_ffn_dim or moe.expert_ffn_dim
            shared = moe.n_shared_experts * mlp_mats * spec.d_model * shared_ffn
            router = spec.d_model * moe.n_routed_experts
            expert_all = n_moe * (moe.n_routed_experts * per_expert + shared + router) / n
            expert_active = n_moe * (moe.top_k * per_expert + shared + router) / n
        d_attn = spec.d_attn if spec.mla is None else spec.n_heads * spec.mla.v_head_dim
        if spec.mla is None:
            qkv_out = (spec.n_heads + 2 * spec.n_kv_heads) * spec.head_dim
        else:
            m = spec.mla
            qkv_out = spec.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
        return cls(
            name=spec.name,
            seq_len=seq_len,
            n_layers=n,
            d_model=spec.d_model,
            d_attn=d_attn,
            qkv_out=qkv_out,
            n_heads=spec.n_heads,
            ffn_dim=dense_ffn if dense_layers else 0,
            mlp_mats=mlp_mats,
            vocab=spec.vocab_size,
            attn_weights_per_layer=attn,
            dense_mlp_weights_per_layer=dense_mlp,
            expert_weights_per_layer=expert_all,
            active_expert_weights_per_layer=expert_active,
            expert_ffn_dim=moe.expert_ffn_dim if moe is not None else 0,
            n_experts=moe.n_routed_experts if moe is not None else 0,
            top_k=moe.top_k if moe is not None else 0,
            moe_layer_fraction=n_moe / n,
            params_total=float(params.total),
            params_layers=float(sum(counts.layer_params(spec))),
            params_embedding=float(params.embedding + params.position),
            params_head=float(params.head),
            model_flops_per_token=counts.TRAINING_TO_FORWARD * flops.total,
            forward_flops_per_token=flops.total,
            attn_score_flops_per_token=flops.attention_scores,
            attn_score_flops_per_token_causal=causal.attention_scores,
            head_flops_per_token=flops.head,
        )


_INT_FIELDS = (
    "pair",
    "group",
    "dp",
    "tp",
    "pp",
    "cp",
    "ep",
    "shard",
    "zero",
    "recompute",
    "micro_batch",
    "virtual_pp",
    "grad_accum",
)
_RECOMPUTE_NAMES: dict[int, Recompute] = {0: "none", 1: "selective", 2: "full"}


@dataclass(frozen=True, init=False)
class LayoutArrays:
    """Layouts as integer arrays, one element per candidate: the array twin of :class:`Layout`.

    Every field broadcasts (a scalar stands for all candidates). ``pair`` and ``group`` place a
    candidate of :func:`enumerate_layouts`: the (hardware, device count) pair it was enumerated
    for and that hardware's row of ``HardwareArrays`` (both 0 for a single one).
    ``grad_accum`` is the micro-batches per step per replica (``n_micro``), so
    ``global_batch_seqs = dp * micro_batch * grad_accum``; ``shard`` the devices sharing one
    copy of the sharded states (``Layout.shard``)."""

    pair: IntArray
    group: IntArray
    dp: IntArray
    tp: IntArray
    pp: IntArray
    cp: IntArray
    ep: IntArray
    shard: IntArray
    zero: IntArray
    recompute: IntArray  # RECOMPUTE_CODES
    sequence_parallel: BoolArray
    micro_batch: IntArray
    virtual_pp: IntArray
    grad_accum: IntArray
    recompute_layers: FloatArray  # with full recompute: layers per stage recomputed (inf: all)

    def __init__(
        self,
        dp: npt.ArrayLike,
        tp: npt.ArrayLike = 1,
        pp: npt.ArrayLike = 1,
        cp: npt.ArrayLike = 1,
        ep: npt.ArrayLike = 1,
        shard: npt.ArrayLike = 1,
        zero: npt.ArrayLike = 1,
        recompute: npt.ArrayLike = 1,
        sequence_parallel: npt.ArrayLike = True,
        micro_batch: npt.ArrayLike = 1,
        virtual_pp: npt.ArrayLike = 1,
        grad_accum: npt.ArrayLike = 1,
        pair: npt.ArrayLike = 0,
        group: npt.ArrayLike = 0,
        recompute_layers: npt.ArrayLike = np.inf,
    ) -> None:
        # Stored as numpy arrays (no copy for int64 ones); the dataclass is frozen.
        ints: tuple[npt.ArrayLike, ...] = (pair, group, dp, tp, pp, cp, ep, shard, zero)
        ints += (recompute, micro_batch, virtual_pp, grad_accum)
        for name, value in zip(_INT_FIELDS, ints, strict=True):
            object.__setattr__(self, name, np.asarray(value, dtype=np.int64))
        object.__setattr__(self, "sequence_parallel", np.asarray(sequence_parallel, dtype=bool))
        object.__setattr__(self, "recompute_layers", np.asarray(recompute_layers, dtype=float))

    @classmethod
    def from_layout(cls, layout: Layout) -> LayoutArrays:
        return cls(
            dp=layout.dp,
            tp=layout.tp,
            pp=layout.pp,
            cp=layout.cp,
            ep=layout.ep,
            shard=layout.shard,
            zero=layout.zero,
            recompute=RECOMPUTE_CODES[layout.recompute],
            sequence_parallel=layout.sequence_parallel,
            micro_batch=layout.micro_batch,
            virtual_pp=layout.virtual_pp,
            recompute_layers=np.inf
            if layout.recompute_layers is None
            else float(layout.recompute_layers),
        )

    def layout(self, i: int = 0, *, devices_per_chip: int = 1) -> Layout:
        """Row ``i`` as a :class:`Layout`."""

        def at(a: npt.NDArray[Any]) -> int:
            return int(a if a.ndim == 0 else a[i])

        dp, zero, shard = at(self.dp), at(self.zero), at(self.shard)
        r = self.recompute_layers
        rl = float(r if r.ndim == 0 else r[i])
        return Layout(
            dp=dp,
            tp=at(self.tp),
            pp=at(self.pp),
            cp=at(self.cp),
            ep=at(self.ep),
            zero=zero,
            dp_shard=None if zero == 0 or shard == dp else shard,
            sequence_parallel=bool(at(self.sequence_parallel)),
            recompute=_RECOMPUTE_NAMES[at(self.recompute)],
            micro_batch=at(self.micro_batch),
            virtual_pp=at(self.virtual_pp),
            devices_per_chip=devices_per_chip,
            recompute_layers=None if math.isinf(rl) else int(rl),
        )

    def __len__(self) -> int:
        shape = np.broadcast_shapes(*(getattr(self, f.name).shape for f in fields(self)))
        return int(np.prod(shape))

    def take(self, index: npt.ArrayLike) -> LayoutArrays:
        """Rows ``index`` (scalar fields stay scalar)."""
        idx = np.asarray(index)
        return LayoutArrays(
            **{
                f.name: (a if (a := getattr(self, f.name)).ndim == 0 else a[idx])
                for f in fields(self)
            }
        )

    def slice(self, start: int, stop: int) -> LayoutArrays:
        """Rows ``start:stop`` as views (no copy)."""
        return LayoutArrays(
            **{
                f.name: (a if (a := getattr(self, f.name)).ndim == 0 else a[start:stop])
                for f in fields(self)
            }
        )

    @property
    def devices(self) -> IntArray:
        return np.asarray(self.dp * self.tp * self.pp * self.cp, dtype=np.int64)

    @property
    def global_batch_seqs(self) -> IntArray:
        return np.asarray(self.dp * self.micro_batch * self.grad_accum, dtype=np.int64)


_PIN_KEYS = (
    "tp",
    "pp",
    "dp",
    "cp",
    "ep",
    "zero",
    "recompute",
    "micro_batch",
    "virtual_pp",
    "sequence_parallel",
)


@dataclass(frozen=True)
class LayoutGrid:
    """The values each layout knob may take; :func:`enumerate_layouts` tries every allowed
    combination. One grid serves ``best_layout`` (``estimate train``) and ``plan train``.

    Defaults: tp powers of two to 64 (tp must divide the heads, and frameworks keep it within a
    power-of-two NVLink/ICI group); pp 1 to :data:`MAX_PP` (uneven stages allowed); cp 1-8;
    ep every divisor of the routed experts; dp whatever fills the devices; micro-batch 1-32
    (powers of two); ZeRO 1 (distributed optimizer) or 3 (FSDP); recomputation none,
    selective or full; the plain 1F1B schedule plus, with pp > 1 and an even number (more
    than 2) of layers on the busiest stage, the interleaved one with two layers per chunk
    (Narayanan et al. 2021 section 2.2); sequence parallelism on. ``batch_tolerance``: how far
    the effective global batch may round from the requested one (the planner's
    :data:`BATCH_TOLERANCE`; ``best_layout`` keeps a stated batch exactly)."""

    tp: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    pp: tuple[int, ...] | None = None  # None: 1 .. MAX_PP
    cp: tuple[int, ...] = (1, 2, 4, 8)
    ep: tuple[int, ...] | None = None  # None: every divisor of the routed experts
    dp: tuple[int, ...] | None = None  # None: whatever fills the devices
    micro_batch: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    zero: tuple[int, ...] = (1, 3)
    # Selective first: with fused attention it costs no time over none and saves memory, so a
    # search's exact ties (first candidate wins) go to it.
    recompute: tuple[str, ...] = ("selective", "none", "full")
    virtual_pp: tuple[int, ...] | None = None  # None: plain, plus two layers per chunk
    sequence_parallel: bool = True
    batch_tolerance: float = BATCH_TOLERANCE

    def pinned(self, fixed: Mapping[str, Any] | None) -> LayoutGrid:
        """This grid with each given knob (``tp``, ``pp``, ``dp``, ``cp``, ``ep``, ``zero``,
        ``recompute``, ``micro_batch``, ``virtual_pp``, ``sequence_parallel``) pinned to one
        value; ``None`` values leave the knob searched. Raises a one-line InputError for an
        unknown knob or a value outside what the knob allows."""
        changes: dict[str, Any] = {}
        for key, value in (fixed or {}).items():
            if value is None:
                continue
            if key not in _PIN_KEYS:
                raise InputError(f"layout pin {key!r}: allowed {', '.join(_PIN_KEYS)}")
            if key == "recompute":
                if value not in RECOMPUTE_CODES:
                    raise InputError(
                        f"layout pin recompute={value!r}: allowed {', '.join(RECOMPUTE_CODES)}"
                    )
                changes[key] = (str(value),)
            elif key == "sequence_parallel":
                changes[key] = bool(value)
            else:
                number = _whole(key, value)
                low = 0 if key == "zero" else 1
                if number < low or (key == "zero" and number > 3):
                    allowed = "0, 1, 2 or 3" if key == "zero" else "a positive integer"
                    raise InputError(f"layout pin {key}={value!r}: must be {allowed}")
                changes[key] = (number,)
        return replace(self, **changes)


def _whole(key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(f"layout pin {key}={value!r}: must be a whole number") from None
    if isinstance(value, float | str) and str(number) != str(value).strip().removesuffix(".0"):
        raise InputError(f"layout pin {key}={value!r}: must be a whole number")
    return number


def _product(*axes: npt.ArrayLike) -> list[IntArray]:
    """Every combination of the axes (first axis slowest), as flat arrays."""
    grids = np.meshgrid(*(np.asarray(a, dtype=np.int64) for a in axes), indexing="ij")
    return [g.ravel() for g in grids]


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def enumerate_layouts(
    model: ModelSpec,
    devices: npt.ArrayLike,
    *,
    seq_len: int,
    global_batch_seqs: int,
    grid: LayoutGrid | None = None,
    domain_devices: npt.ArrayLike | None = None,
    group: npt.ArrayLike | None = None,
    removed: dict[str, int] | None = None,
) -> LayoutArrays:
    """Every layout the grid allows that passes the rules, for each (hardware, device count)
    pair, as flat arrays ordered by pair (numpy throughout; no loop per candidate).

    ``devices`` lists the device count of each pair, ``domain_devices`` its scale-up domain in
    devices (default: no limit) and ``group`` its hardware row (default 0). ``removed``, when
    given, is filled with how many candidates each rule removed, in the order applied (so the
    last non-zero entry of an empty search names the constraint that removed the last ones).
    """
    grid = grid or LayoutGrid()
    counts = removed if removed is not None else {}
    pair_devices = np.atleast_1d(np.asarray(devices, dtype=np.int64))
    n_pairs = pair_devices.shape[0]
    pair_domain = np.broadcast_to(
        np.asarray(pair_devices if domain_devices is None else domain_devices, dtype=np.int64),
        (n_pairs,),
    )
    pair_group = np.broadcast_to(np.asarray(0 if group is None else group, np.int64), (n_pairs,))
    experts = model.moe.n_routed_experts if model.moe is not None else 0

    def keep(rule: str, ok: BoolArray, *arrays: IntArray) -> list[IntArray]:
        counts[rule] = counts.get(rule, 0) + int(ok.size - np.count_nonzero(ok))
        return [a[ok] for a in arrays]

    # 1. model-parallel degrees of each pair: tp x pp x cp must divide the devices. The rules
    # on one knob's values apply to the axes before the product (counted as if after it).
    axes = {
        "tp": np.asarray(grid.tp, dtype=np.int64),
        "pp": np.asarray(grid.pp if grid.pp is not None else range(1, MAX_PP + 1), np.int64),
        "cp": np.asarray(grid.cp, dtype=np.int64),
    }
    for knob, rule in (
        ("tp", f"tp must divide the {model.n_heads} heads"),
        ("pp", f"pp must be at most the {model.n_layers} layers"),
        ("cp", f"cp > 1 only for sequences of {CP_MIN_SEQ_LEN}+ tokens"),
    ):
        values = axes[knob]
        if knob == "tp":
            ok = tp_ok(model.n_heads, values)
        elif knob == "pp":
            ok = pp_ok(model.n_layers, values)
        else:
            ok = cp_ok(seq_len, values)
        others = n_pairs * int(np.prod([a.size for k, a in axes.items() if k != knob]))
        counts[rule] = counts.get(rule, 0) + int(ok.size - np.count_nonzero(ok)) * others
        axes[knob] = values[ok]
    p, tp, pp, cp = _product(np.arange(n_pairs), axes["tp"], axes["pp"], axes["cp"])
    p, tp, pp, cp = keep(
        "tp must fit in the scale-up domain", tp_in_domain(tp, pair_domain[p]), p, tp, pp, cp
    )
    dev = pair_devices[p]
    p, tp, pp, cp = keep(
        "tp*pp*cp must divide the devices", np.mod(dev, tp * pp * cp) == 0, p, tp, pp, cp
    )
    dp = pair_devices[p] // (tp * pp * cp)
    if grid.dp is not None:
        p, tp, pp, cp, dp = keep("dp pinned", np.isin(dp, grid.dp), p, tp, pp, cp, dp)

    # 2. expert parallelism, out of the data x context devices.
    if grid.ep is not None:
        ep_values: Sequence[int] = grid.ep
    else:
        ep_values = _divisors(experts) if experts else [1]
    rows, ep = _product(np.arange(p.shape[0]), ep_values)
    p, tp, pp, cp, dp = (a[rows] for a in (p, tp, pp, cp, dp))
    p, tp, pp, cp, dp, ep = keep(
        "ep must divide the experts and dp*cp", ep_ok(experts, ep, dp, cp), p, tp, pp, cp, dp, ep
    )

    # 3. micro-batch and gradient accumulation: the global batch within the tolerance.
    rows, mb = _product(np.arange(p.shape[0]), grid.micro_batch)
    p, tp, pp, cp, dp, ep = (a[rows] for a in (p, tp, pp, cp, dp, ep))
    ga, ok = grad_accum_for(global_batch_seqs, dp, mb, grid.batch_tolerance)
    tol = f"within {grid.batch_tolerance:.0%}" if grid.batch_tolerance else "exactly"
    p, tp, pp, cp, dp, ep, mb, ga = keep(
        f"dp*micro_batch must split the global batch of {global_batch_seqs} sequences {tol}",
        ok,
        p,
        tp,
        pp,
        cp,
        dp,
        ep,
        mb,
        ga,
    )

    # 4. pipeline schedule: plain, plus interleaved (two layers per chunk) where it applies.
    per_stage = -(-model.n_layers // pp)  # the busiest stage (uneven stages allowed)
    if grid.virtual_pp is None:
        can = (pp > 1) & (per_stage % 2 == 0) & (per_stage > 2)
        rows = np.repeat(np.arange(p.shape[0]), 1 + can)
        second = np.r_[False, rows[1:] == rows[:-1]] if rows.size else rows.astype(bool)
        vpp = np.where(second, per_stage[rows] // 2, 1).astype(np.int64)
    else:
        rows, vpp = _product(np.arange(p.shape[0]), grid.virtual_pp)
    p, tp, pp, cp, dp, ep, mb, ga = (a[rows] for a in (p, tp, pp, cp, dp, ep, mb, ga))
    p, tp, pp, cp, dp, ep, mb, ga, vpp = keep(
        "virtual_pp must fit in the busiest pipeline stage",
        virtual_pp_ok(model.n_layers, pp, vpp),
        p,
        tp,
        pp,
        cp,
        dp,
        ep,
        mb,
        ga,
        vpp,
    )

    # 5. ZeRO stage and recomputation: no structural rule.
    recompute = [RECOMPUTE_CODES[r] for r in grid.recompute]
    rows, zero, rc = _product(np.arange(p.shape[0]), grid.zero, recompute)
    p, tp, pp, cp, dp, ep, mb, ga, vpp = (a[rows] for a in (p, tp, pp, cp, dp, ep, mb, ga, vpp))
    return LayoutArrays(
        pair=p,
        group=pair_group[p],
        dp=dp,
        tp=tp,
        pp=pp,
        cp=cp,
        ep=ep,
        shard=np.where(zero >= 1, dp, 1),
        zero=zero,
        recompute=rc,
        sequence_parallel=grid.sequence_parallel,
        micro_batch=mb,
        virtual_pp=vpp,
        grad_accum=ga,
    )
