"""Memory per device during training, itemized (numpy-vectorized over candidate layouts).

Model states (Rajbhandari et al. 2020, "ZeRO", section 3.1): mixed-precision Adam keeps 2 bytes
of bf16 weights, 2 bytes of bf16 gradients and K = 12 bytes of optimizer state per parameter
(fp32 master weights, momentum and variance). ZeRO stage 1 shards the optimizer states over the
``shard`` data-parallel devices, stage 2 also the gradients, stage 3 (FSDP FULL_SHARD) also the
weights; stage 3 then needs buffers for the gathered weights of the layer being computed and the
one being prefetched.

Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
Models", section 4): without recomputation a GPT layer stores ``s b h (34 + 5 a s / h)`` bytes,
``s b h (10 + 24 / t + 5 a s / (h t))`` with tensor parallelism t, and ``s b h (34 / t + ...)``
with sequence parallelism. We count the same tensors term by term so GQA, gated MLPs and other
widths are handled, and assume (i) flash attention, which never stores the ``a s^2`` score
matrices (Dao et al. 2022), so selective recomputation stores what no-recomputation stores, and
(ii) no dropout (modern LLM pre-training), which removes the two ``s b h`` dropout masks. With
these two changes the per-layer count for the GPT shape is ``32 s b h`` bytes. Full
recomputation stores only each layer's input (2 s b h, divided by t with sequence parallelism)
plus one layer's full activations while that layer's backward runs. Partial (block)
recomputation of r of a stage's L layers (Megatron-Core ``--recompute-method block
--recompute-num-layers r``) stores the inputs of those r layers and the full activations of the
other L - r.

Named checkpoints (JAX/XLA, MaxText): a ``remat_policy`` saves only the tensors it names
(``jax.checkpoint_policies.save_only_these_names``) plus each scanned layer's input (the argument
of the rematerialized function), and rematerializes everything else, norms and element-wise work
included, during the backward; the ``*_offloaded`` and ``custom`` policies move the tensors they
list to pinned host memory instead (``save_and_offload_only_these_names``), so those take no HBM.
The names and what each policy saves are MaxText's (``src/maxtext/layers/decoders.py``
``get_remat_policy`` and ``minimal_policy``; ``utils/maxtext_utils.py``
``get_save_and_offload_names``; ``configs/base.yml``, commit e591f30c, 2026-08): see
:data:`MAXTEXT_REMAT_SAVES`. A layer under such a policy stores the saved tensors' elements per
token (:func:`saved_elements_per_token`), and the layer being differentiated holds its full
activations once, as with full recomputation.

Model states with the parameter as the master copy (PyTorch FSDP ``MixedPrecision(param_dtype=
torch.bfloat16)``, whose docs say the sharded parameters stay in full precision and are cast to
``param_dtype`` only for the forward and backward; MaxText ``weight_dtype: float32``,
``dtype: bfloat16``, ``grad_dtype: float32``, Adam ``mu_dtype`` inheriting ``weight_dtype``): 4
bytes of fp32 parameter, the gradient buffer and 8 bytes of Adam moments, with no separate bf16
copy: 4 + 4 + 8 = 16 bytes per parameter with fp32 gradients, where Megatron's distributed
optimizer keeps 2 + 4 + 12 = 18. The bf16 copies of the gathered layers are the ZeRO-3 buffers.

Pipeline parallelism with the 1F1B schedule keeps ``pp`` micro-batches in flight on the first
stage (Narayanan et al. 2021), ``pp (1 + (pp - 1) / (pp v))`` with v interleaved chunks
(Korthikanti et al. 2022, section 4.2.3). The LM-head logits of one micro-batch (bf16 logits and
the fp32 softmax, vocab / t wide) live on the last stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from xpuplan.errors import InputError
from xpuplan.perf.layout import ModelShape
from xpuplan.units import GIGA

__all__ = [
    "ADAM_MOMENT_BYTES",
    "ADAM_OPTIMIZER_BYTES",
    "GRAD_BYTES",
    "HBM_USABLE_FRACTION",
    "MASTER_PARAM_BYTES",
    "MAXTEXT_REMAT_SAVES",
    "SAVE_ALL",
    "WEIGHT_BYTES",
    "MemoryArrays",
    "activation_bytes_per_token_per_layer",
    "memory_arrays",
    "params_per_device",
    "remat_saves",
    "saved_elements_per_token",
    "stage_layers",
]

FloatArray = npt.NDArray[np.float64]

WEIGHT_BYTES = 2.0  # bf16 compute copy (ZeRO section 3.1)
GRAD_BYTES = 2.0  # bf16 gradients (ZeRO section 3.1)
ADAM_OPTIMIZER_BYTES = 12.0  # fp32 master + Adam m + v (ZeRO "K = 12")
ADAM_MOMENT_BYTES = 8.0  # fp32 Adam m + v, when the fp32 parameter itself is the master
MASTER_PARAM_BYTES = 4.0  # fp32 parameter kept as the master copy (FSDP, MaxText)
ACTIVATION_BYTES = 2.0  # bf16 activations
LOGIT_BYTES = 2.0 + 4.0  # bf16 logits + fp32 softmax / loss gradient per vocabulary entry
# Share of the vendor's HBM capacity the training process can fill: the runtime (CUDA context,
# XLA/Neuron runtime), allocator fragmentation and workspace take the rest. Assumption (order
# of what PyTorch's caching allocator and the CUDA context leave unusable on an 80 GB GPU).
HBM_USABLE_FRACTION = 0.9


# Named tensors a layer can keep for its backward (bits of a ``saves`` mask). The layer input is
# kept by every policy (the argument of the rematerialized layer) unless offloaded to the host.
LAYER_INPUT, QKV, CONTEXT, OUT_PROJ, MLP_IN, MLP_OUT = (1 << i for i in range(6))
SAVE_ALL = -1  # no named policy: PyTorch-style selective recomputation keeps every activation
_QKV_NAMES = ("query_proj", "key_proj", "value_proj", "kv_proj", "qkv_proj")
_NAME_BITS = {
    "decoder_layer_input": LAYER_INPUT,
    **dict.fromkeys(_QKV_NAMES, QKV),
    "context": CONTEXT,
    "out_proj": OUT_PROJ,
    **dict.fromkeys(("mlpwi", "mlpwi_0", "mlpwi_1"), MLP_IN),
    "mlpwo": MLP_OUT,
}
_MINIMAL = (*_QKV_NAMES, "out_proj", "mlpwi_0", "mlpwi_1", "mlpwi", "mlpwo")
# MaxText remat_policy -> the names kept in HBM (decoders.py get_remat_policy; the offloaded
# policies save nothing on the device, maxtext_utils.get_save_and_offload_names).
MAXTEXT_REMAT_SAVES: dict[str, tuple[str, ...]] = {
    "minimal_with_context": (*_MINIMAL, "context"),
    "minimal_flash": (*_MINIMAL, "context"),
    "minimal": _MINIMAL,
    "save_dot_with_context_except_mlp": (*_QKV_NAMES, "context", "out_proj"),
    "save_dot_except_mlpwi": (*_QKV_NAMES, "out_proj", "mlpwo"),
    "save_dot_except_mlp": (*_QKV_NAMES, "out_proj"),
    "save_qkv_proj": _QKV_NAMES,
    "save_out_proj": ("out_proj",),
    "qkv_proj_offloaded": (),
    "minimal_offloaded": (),
    "full": (),
}


def remat_saves(policy: str | None, offloaded: tuple[str, ...] = ()) -> int:
    """The ``saves`` mask of a MaxText ``remat_policy`` (:data:`MAXTEXT_REMAT_SAVES`), minus
    the tensors a ``custom`` policy moves to the host (``offloaded``, MaxText names, e.g.
    ``decoder_layer_input``); :data:`SAVE_ALL` for None (no named policy). A ``custom``
    policy keeps nothing but the layer input in HBM unless it is offloaded too."""
    if policy is None:
        return SAVE_ALL
    if policy != "custom" and policy not in MAXTEXT_REMAT_SAVES:
        allowed = ", ".join([*MAXTEXT_REMAT_SAVES, "custom"])
        raise InputError(f"remat_policy {policy!r} is unknown; allowed: {allowed}")
    for name in offloaded:
        if name not in _NAME_BITS:
            raise InputError(
                f"offloaded tensor {name!r} is unknown; allowed: {', '.join(_NAME_BITS)}"
            )
    mask = LAYER_INPUT
    for name in MAXTEXT_REMAT_SAVES.get(policy, ()):
        mask |= _NAME_BITS[name]
    for name in offloaded:
        mask &= ~_NAME_BITS[name]
    return mask


def saved_elements_per_token(shape: ModelShape, saves: npt.ArrayLike) -> FloatArray:
    """Elements per token a layer keeps under the named tensors of ``saves`` (bits), before any
    tensor-parallel split: layer input d_model; q/k/v outputs ``qkv_out``; attention context
    ``d_attn``; o-projection output d_model; MLP up-projection outputs (two for gated MLPs,
    ``mlpwi_0`` and ``mlpwi_1``); down-projection output d_model."""
    m = np.asarray(saves, dtype=np.int64)
    h = float(shape.d_model)
    mlp_width = shape.ffn_dim * (1.0 - shape.moe_layer_fraction) + (
        shape.top_k * shape.expert_ffn_dim * shape.moe_layer_fraction
    )
    widths = (
        (LAYER_INPUT, h),
        (QKV, float(shape.qkv_out)),
        (CONTEXT, float(shape.d_attn)),
        (OUT_PROJ, h),
        (MLP_IN, mlp_width * (shape.mlp_mats - 1)),
        (MLP_OUT, h),
    )
    out = np.zeros(m.shape, dtype=np.float64)
    for bit, width in widths:
        out = out + np.where((m & bit) != 0, width, 0.0)
    return out


@dataclass(frozen=True)
class MemoryArrays:
    """Bytes per device by component; ``total`` is their sum."""

    weights: FloatArray
    gradients: FloatArray
    optimizer: FloatArray
    activations: FloatArray
    logits: FloatArray
    buffers: FloatArray
    total: FloatArray
    usable: FloatArray
    fits: npt.NDArray[np.bool_]

    def gb(self) -> dict[str, FloatArray]:
        """The components in GB (1e9 bytes)."""
        return {
            "weights": self.weights / GIGA,
            "gradients": self.gradients / GIGA,
            "optimizer": self.optimizer / GIGA,
            "activations": self.activations / GIGA,
            "logits": self.logits / GIGA,
            "buffers": self.buffers / GIGA,
        }


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def params_per_device(
    shape: ModelShape, tp: npt.ArrayLike, pp: npt.ArrayLike, ep: npt.ArrayLike
) -> FloatArray:
    """Parameters held by the most loaded device before data-parallel sharding.

    The busiest stage holds ceil(layers / pp) layers (Megatron allows uneven stages, e.g.
    Llama 3 405B's 126 layers on 16 stages); the embedding sits on the first stage and the LM
    head on the last, so the larger of the two adds to the busiest stage (both when pp == 1).
    Routed experts are further split over ``ep``; everything is split over ``tp``.
    """
    tp_, pp_, ep_ = _f(tp), _f(pp), _f(ep)
    n = shape.n_layers
    share = stage_layers(n, pp_) / n  # fraction of the layers on the busiest stage
    expert = shape.expert_weights_per_layer * n
    other_layers = shape.params_layers - expert
    # Final norm (and anything else outside the layers) sits with the head on the last stage.
    last = shape.params_total - shape.params_layers - shape.params_embedding
    ends = np.where(pp_ > 1, max(shape.params_embedding, last), shape.params_embedding + last)
    return (other_layers * share + expert * share / ep_ + ends) / tp_


def stage_layers(n_layers: int, pp: npt.ArrayLike) -> FloatArray:
    """Layers on the busiest pipeline stage: ceil(n_layers / pp) (equal to n_layers / pp when
    pp divides the layers)."""
    return np.ceil(n_layers / _f(pp) - 1e-9)


def activation_bytes_per_token_per_layer(
    shape: ModelShape,
    tp: npt.ArrayLike,
    sequence_parallel: npt.ArrayLike,
    *,
    fp8: npt.ArrayLike = False,
    frozen_mlp: bool = False,
) -> FloatArray:
    """Bytes a layer stores per token for its backward without recomputation (flash, no dropout).

    Replicated across TP ranks unless sequence parallelism splits them: the inputs of the two
    norms and of the two projections that follow them (4 x d_model elements; Korthikanti's
    "10 s b h" without its two dropout masks). Split by TP: the q/k/v outputs, the attention
    output (the o-projection input), the MLP up-projection outputs (two for gated MLPs) and the
    activation output (the down-projection input).

    ``fp8``: Transformer Engine saves the fp8 copy of each linear's input for the weight-gradient
    GEMM (1 byte instead of 2 for the four linear inputs: the two norm outputs, the attention
    output and the activation output). ``frozen_mlp`` (LoRA on attention only): the MLP's
    linears have no weight gradient, so their inputs (second norm output, activation output)
    are not kept; the gated activation still keeps its own inputs.
    """
    tp_ = _f(tp)
    sp = np.asarray(sequence_parallel, dtype=bool)
    h = float(shape.d_model)
    # attention: LN input h, LN output (qkv input) h, q/k/v outputs, attention output (o input);
    # MLP: LN input h, LN output (MLP input) h, up-projection outputs, activation output.
    mlp_width = shape.ffn_dim * (1.0 - shape.moe_layer_fraction) + (
        shape.top_k * shape.expert_ffn_dim * shape.moe_layer_fraction
    )
    mlp_in, act_out = (0.0, 0.0) if frozen_mlp else (h, mlp_width)
    linear_in_rep = h + mlp_in  # the two norm outputs (replicated unless SP)
    linear_in_split = shape.d_attn + act_out  # attention output, activation output
    other_rep = 2.0 * h  # the two norm inputs
    other_split = shape.qkv_out + mlp_width * (shape.mlp_mats - 1)
    fp8_ = np.asarray(fp8, dtype=bool)
    scale = np.where(fp8_, 0.5, 1.0) if np.any(fp8_) else 1.0  # fp8 copies of linear inputs
    replicated = other_rep + scale * linear_in_rep
    split = other_split + scale * linear_in_split
    elements = np.where(sp, (replicated + split) / tp_, replicated + split / tp_)
    return ACTIVATION_BYTES * elements


def _named_bytes(
    shape: ModelShape, saves: npt.NDArray[np.int64], tp: FloatArray, sp: npt.NDArray[np.bool_]
) -> FloatArray:
    """Bytes per token of a layer's named saved tensors on one device: the TP-split ones (q/k/v,
    context, MLP: heads and MLP width sharded) over ``tp``; the layer input and the two d_model
    outputs too with sequence parallelism (MaxText shards ``activation_embed`` over tensor)."""
    model_wide = saved_elements_per_token(shape, saves & (LAYER_INPUT | OUT_PROJ | MLP_OUT))
    split = saved_elements_per_token(shape, saves & (QKV | CONTEXT | MLP_IN))
    return ACTIVATION_BYTES * (np.where(sp, model_wide / tp, model_wide) + split / tp)


def memory_arrays(
    shape: ModelShape,
    *,
    hbm_gb: npt.ArrayLike,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    cp: npt.ArrayLike,
    ep: npt.ArrayLike,
    shard: npt.ArrayLike,
    zero: npt.ArrayLike,
    recompute: npt.ArrayLike,
    sequence_parallel: npt.ArrayLike,
    micro_batch: npt.ArrayLike,
    n_micro: npt.ArrayLike,
    virtual_pp: npt.ArrayLike,
    usable_fraction: float = HBM_USABLE_FRACTION,
    flash: npt.ArrayLike = True,
    trainable_per_device: npt.ArrayLike | None = None,
    base_weight_bytes: float | None = None,
    fp8: npt.ArrayLike = False,
    frozen_mlp: bool = False,
    grad_bytes: npt.ArrayLike = GRAD_BYTES,
    recompute_fraction: npt.ArrayLike = 1.0,
    master_is_param: npt.ArrayLike = False,
    selective_saves: npt.ArrayLike = SAVE_ALL,
    full_saves: npt.ArrayLike = SAVE_ALL,
    device_params: npt.ArrayLike | None = None,
    stage_layer_count: npt.ArrayLike | None = None,
) -> MemoryArrays:
    """Itemized bytes per device and whether they fit in ``usable_fraction`` of the HBM.

    ``hbm_gb`` is the capacity in decimal GB (``xpuplan.units.hbm_bytes`` / 1e9).
    ``trainable_per_device``: with a frozen base (LoRA) only these parameters have gradients
    and optimizer states; ``base_weight_bytes`` the bytes per frozen weight (QLoRA NF4).
    Without ``flash`` attention and without recomputation the softmax output and dropout mask
    (``5 a s`` bytes per token and layer, Korthikanti et al. 2022) are stored too.
    ``grad_bytes``: bytes of the gradient buffer per parameter (Megatron keeps fp32 main
    gradients, 4; a bf16 gradient stack, 2). ``recompute_fraction``: with full recomputation,
    the share of the stage's layers recomputed (block method; 1 = every layer).
    ``master_is_param``: the fp32 parameter is the optimizer's master copy (FSDP mixed
    precision, MaxText): 4 bytes of parameter and 8 of Adam moments instead of 2 + 12 (full
    training only). ``selective_saves`` / ``full_saves``: the named-tensor masks
    (:func:`remat_saves`) a layer keeps under selective / full recomputation on a stack with
    named checkpoints; :data:`SAVE_ALL` (default) keeps the Korthikanti count above.
    ``device_params`` / ``stage_layer_count``: :func:`params_per_device` and
    :func:`stage_layers` of this layout, where the caller has them (else computed here)."""
    tp_, pp_, cp_ = _f(tp), _f(pp), _f(cp)
    zero_ = np.asarray(zero)
    shard_ = np.maximum(_f(shard), 1.0)
    p_dev = params_per_device(shape, tp_, pp_, ep) if device_params is None else _f(device_params)
    w_bytes = WEIGHT_BYTES if base_weight_bytes is None else base_weight_bytes
    trained = p_dev if trainable_per_device is None else _f(trainable_per_device)
    # The devices sharing one copy of the weights (ZeRO-3), gradients (ZeRO-2+) and optimizer
    # states (ZeRO-1+)
    weight_shards = np.where(zero_ >= 3, shard_, 1.0)
    weights = w_bytes * p_dev / weight_shards
    optimizer_bytes: FloatArray | float = ADAM_OPTIMIZER_BYTES
    if trainable_per_device is not None:  # adapters in bf16 beside the frozen base
        weights = weights + WEIGHT_BYTES * trained / weight_shards
    else:
        # The fp32 parameter is the master: sharded like the weights; below ZeRO-3 the bf16
        # compute copy of every layer stays allocated beside it (FSDP SHARD_GRAD_OP, NO_SHARD).
        master = np.asarray(master_is_param, dtype=bool)
        if np.any(master):
            as_master = MASTER_PARAM_BYTES * p_dev / weight_shards + np.where(
                zero_ >= 3, 0.0, WEIGHT_BYTES * p_dev
            )
            weights = np.where(master, as_master, weights)
            optimizer_bytes = np.where(master, ADAM_MOMENT_BYTES, ADAM_OPTIMIZER_BYTES)
    gradients = _f(grad_bytes) * trained / np.where(zero_ >= 2, shard_, 1.0)
    optimizer = optimizer_bytes * trained / np.where(zero_ >= 1, shard_, 1.0)

    tokens = _f(micro_batch) * shape.seq_len / cp_  # tokens of one micro-batch on one device
    sp = np.asarray(sequence_parallel, dtype=bool) & (tp_ > 1)
    full_layer = (
        activation_bytes_per_token_per_layer(shape, tp_, sp, fp8=fp8, frozen_mlp=frozen_mlp)
        * tokens
    )
    layer_input = ACTIVATION_BYTES * shape.d_model * tokens / np.where(sp, tp_, 1.0)
    rc = np.asarray(recompute)
    if not np.all(flash):  # materialized scores (none with flash attention)
        scores = 5.0 * shape.n_heads * shape.seq_len / cp_ / tp_ * tokens
        full_layer = full_layer + np.where(np.asarray(flash, dtype=bool) | (rc >= 1), 0.0, scores)
    frac = np.clip(_f(recompute_fraction), 0.0, 1.0)
    sel = np.asarray(selective_saves, dtype=np.int64)
    full_mask = np.asarray(full_saves, dtype=np.int64)
    named = sel >= 0
    any_named = bool(np.any(named) or np.any(full_mask >= 0))  # else no policy terms computed
    # Full recomputation of a share frac of the layers keeps their inputs only (every layer:
    # the input alone, as frac * input + 0 * full_layer is).
    full_rc = layer_input if np.all(frac == 1.0) else frac * layer_input + (1.0 - frac) * full_layer
    stored_full = (
        np.where(full_mask < 0, full_rc, _named_bytes(shape, full_mask, tp_, sp) * tokens)
        if any_named
        else full_rc
    )
    stored_selective = (
        np.where((rc == 1) & named, _named_bytes(shape, sel, tp_, sp) * tokens, full_layer)
        if any_named
        else full_layer
    )
    stored_per_layer = np.where(rc >= 2, stored_full, stored_selective)
    layers_per_stage = (
        stage_layers(shape.n_layers, pp_) if stage_layer_count is None else _f(stage_layer_count)
    )
    v = np.maximum(_f(virtual_pp), 1.0)
    # (the interleaving factor is computed only where some candidate interleaves)
    interleaved = np.where(v > 1, 1.0 + (pp_ - 1.0) / (pp_ * v), 1.0) if np.any(v > 1) else 1.0
    in_flight = np.where(pp_ > 1, np.minimum(_f(n_micro), pp_) * interleaved, 1.0)
    # With full recomputation one layer's activations are rebuilt during its backward.
    # (so does a layer under a named policy: it rematerializes the rest before its backward).
    rematerialized = (rc >= 2) | ((rc == 1) & named) if any_named else rc >= 2
    working = np.where(rematerialized, full_layer, 0.0)
    activations = stored_per_layer * layers_per_stage * in_flight + working
    logits = LOGIT_BYTES * tokens * shape.vocab / tp_
    layer_params = (shape.params_layers / shape.n_layers) / tp_
    buffers = np.where(zero_ >= 3, 2.0 * WEIGHT_BYTES * layer_params, 0.0)
    total = weights + gradients + optimizer + activations + logits + buffers
    usable = _f(hbm_gb) * GIGA * usable_fraction
    return MemoryArrays(
        weights=weights,
        gradients=gradients,
        optimizer=optimizer,
        activations=activations,
        logits=logits,
        buffers=buffers,
        total=total,
        usable=usable,
        fits=total <= usable,
    )
