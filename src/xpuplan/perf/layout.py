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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from xpuplan.errors import InputError
from xpuplan.models.spec import ModelSpec

__all__ = [
    "CP_MIN_SEQ_LEN",
    "MAX_PP",
    "PRECISIONS",
    "RECOMPUTE_CODES",
    "Layout",
    "LayoutArrays",
    "ModelShape",
    "Precision",
    "Recompute",
    "check_layout",
    "layout_grid",
    "pp_ok",
    "tp_ok",
]

Recompute = Literal["none", "selective", "full"]
Precision = Literal["bf16", "fp8"]
# Integer codes for the vectorized core.
RECOMPUTE_CODES: dict[str, int] = {"none": 0, "selective": 1, "full": 2}
PRECISIONS: tuple[str, ...] = ("bf16", "fp8")


def tp_ok(n_heads: int, tp: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """The one TP rule: tensor parallelism splits whole attention heads (tp divides them)."""
    return np.asarray(np.mod(n_heads, np.asarray(tp)) == 0)


def pp_ok(n_layers: int, pp: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """The one PP rule: every stage holds at least one layer. Stages may be uneven (Megatron
    ``--decoder-first/last-pipeline-num-layers``; Llama 3 405B ran 126 layers on 16 stages); the
    busiest holds ceil(layers / pp), which sets its time and memory (perf.memory.stage_layers)."""
    return np.asarray(np.asarray(pp) <= n_layers)


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
    if layout.virtual_pp > 1:
        if layout.pp == 1:
            raise InputError("layout: virtual_pp > 1 needs pp > 1 (interleaved pipeline)")
        # Stages may be uneven (ceil(layers / pp) on the busiest); chunks must fit in it.
        per_stage = -(-model.n_layers // layout.pp)
        if layout.virtual_pp > per_stage:
            raise InputError(
                f"layout: virtual_pp={layout.virtual_pp} is more chunks than the "
                f"{per_stage} layers of the busiest pipeline stage"
            )
    if layout.ep > 1:
        if model.moe is None:
            raise InputError(f"layout: ep={layout.ep} needs a mixture-of-experts model")
        if model.moe.n_routed_experts % layout.ep:
            raise InputError(
                f"layout: ep={layout.ep} must divide the {model.moe.n_routed_experts} experts"
            )
        if (layout.dp * layout.cp) % layout.ep:
            raise InputError(
                f"layout: ep={layout.ep} must divide dp*cp={layout.dp * layout.cp} "
                "(experts are spread over the data-parallel devices)"
            )
    if global_batch_seqs is not None:
        per_step = layout.dp * layout.micro_batch
        if global_batch_seqs % per_step:
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


@dataclass(frozen=True)
class LayoutArrays:
    """Layout degrees per candidate (broadcastable integer-valued arrays)."""

    dp: npt.ArrayLike
    tp: npt.ArrayLike = 1
    pp: npt.ArrayLike = 1
    cp: npt.ArrayLike = 1
    ep: npt.ArrayLike = 1
    shard: npt.ArrayLike = 1  # devices sharing sharded states (1 for zero == 0)
    zero: npt.ArrayLike = 1
    recompute: npt.ArrayLike = 1  # layout.RECOMPUTE_CODES
    sequence_parallel: npt.ArrayLike = True
    micro_batch: npt.ArrayLike = 1
    virtual_pp: npt.ArrayLike = 1
    recompute_layers: npt.ArrayLike = np.inf  # with full recompute: layers per stage (inf: all)

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


# Candidate values of the layout search (powers of two for TP/CP, as every framework requires
# TP to divide the heads and typically stays within a power-of-two NVLink/ICI group).
_TP_CHOICES = (1, 2, 4, 8, 16, 32, 64)
_CP_CHOICES = (1, 2, 4, 8)
_MICRO_CHOICES = (1, 2, 4, 8, 16, 32)
# Context parallelism is only worth its ring exchange for long sequences (Megatron-Core uses it
# from 8k-16k tokens up); below this it is not searched.
CP_MIN_SEQ_LEN = 8192
# Deepest pipeline searched: Llama 3 405B trained with 16 stages (Dubey et al. 2024, section
# 3.3.2); 64 leaves room for far larger models.
MAX_PP = 64


def _divisors(n: int, limit: int) -> list[int]:
    return [d for d in range(1, min(n, limit) + 1) if n % d == 0]


def layout_grid(
    model: ModelSpec,
    devices: int,
    *,
    seq_len: int,
    fixed: dict[str, Any] | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """Every layout of ``devices`` worth scoring, as flat arrays (one element per candidate).

    Searched: tp (powers of two dividing the heads), pp (divisors of the layers, at most
    64), cp (1-8, only for sequences of at least ``CP_MIN_SEQ_LEN``), ep (divisors of the
    experts), zero 1 or 3, recompute selective or full, micro-batch 1-32, and for pp > 1 the
    plain or the interleaved schedule (two layers per chunk). ``fixed`` pins any of ``tp``,
    ``pp``, ``cp``, ``ep``, ``dp``, ``zero``, ``recompute``, ``micro_batch``, ``virtual_pp``
    and ``sequence_parallel`` to one value.
    """
    import itertools

    import numpy as np

    pins = {k: v for k, v in (fixed or {}).items() if v is not None}
    tps = [t for t in _TP_CHOICES if tp_ok(model.n_heads, t) and t <= devices]
    pps = [p for p in _divisors(devices, MAX_PP) if pp_ok(model.n_layers, p)]
    cps = [c for c in _CP_CHOICES if c == 1 or seq_len >= CP_MIN_SEQ_LEN]
    eps = _divisors(model.moe.n_routed_experts, devices) if model.moe is not None else [1]
    zeros = [1, 3]
    recomputes = [RECOMPUTE_CODES["selective"], RECOMPUTE_CODES["full"]]
    micros = list(_MICRO_CHOICES)
    if "tp" in pins:
        tps = [int(pins["tp"])]
    if "pp" in pins:
        pps = [int(pins["pp"])]
    if "cp" in pins:
        cps = [int(pins["cp"])]
    if "ep" in pins:
        eps = [int(pins["ep"])]
    if "zero" in pins:
        zeros = [int(pins["zero"])]
    if "recompute" in pins:
        recomputes = [RECOMPUTE_CODES[str(pins["recompute"])]]
    if "micro_batch" in pins:
        micros = [int(pins["micro_batch"])]
    rows: list[tuple[int, ...]] = []
    for tp, pp, cp, ep in itertools.product(tps, pps, cps, eps):
        if devices % (tp * pp * cp):
            continue
        dp = devices // (tp * pp * cp)
        if "dp" in pins and dp != int(pins["dp"]):
            continue
        if ep > 1 and (dp * cp) % ep:
            continue
        per_stage = -(-model.n_layers // pp)
        vpps = [1]
        if pp > 1 and per_stage % 2 == 0 and per_stage > 2:
            vpps.append(per_stage // 2)
        if "virtual_pp" in pins:
            vpps = [int(pins["virtual_pp"])]
        for zero, rc, micro, vpp in itertools.product(zeros, recomputes, micros, vpps):
            rows.append((dp, tp, pp, cp, ep, zero, rc, micro, vpp))
    table = np.array(rows, dtype=np.int64).reshape(-1, 9)
    names = ("dp", "tp", "pp", "cp", "ep", "zero", "recompute", "micro_batch", "virtual_pp")
    grid = {name: table[:, i] for i, name in enumerate(names)}
    grid["shard"] = np.where(grid["zero"] >= 1, grid["dp"], 1)
    grid["sequence_parallel"] = np.full(len(table), bool(pins.get("sequence_parallel", True)))
    return grid
