"""Read a Hugging Face ``config.json`` into a :class:`ModelSpec`.

Supported ``model_type`` values: llama (Llama 2, 3, 3.1, 3.2, 3.3), mistral, mixtral, qwen2,
qwen2_moe, qwen3, qwen3_moe, deepseek_v2, deepseek_v3, gemma2, gemma3 (and its ``text_config``),
gemma3_text, gpt2, gpt_neox, mpt, falcon, phi3, gpt_oss, olmo2. Another ``model_type`` with the
standard keys (hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
vocab_size) is read as a Llama-style decoder with a warning. ``rope_scaling`` and other
numerics-only keys are ignored: they change no count. DeepSeek-V3's multi-token-prediction
module (``num_nextn_predict_layers``) is not counted, as in DeepSeek's "671B" (the checkpoint's
extra ~14B are that module; DeepSeek-V3 technical report, section 2.2). Vision towers of
multimodal configs (Gemma 3) are not counted: the spec is the text decoder.

Each architecture's structure (which projections carry biases, how many norms a layer has,
which layers use a sliding window) follows the corresponding ``modeling_*.py`` in
huggingface/transformers; the comments name the config key that decides it.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from xpuplan.errors import ModelConfigError
from xpuplan.models.spec import MLASpec, ModelSpec, MoESpec

__all__ = ["SUPPORTED_MODEL_TYPES", "load_hf_config", "read_config_file", "spec_from_hf_config"]

_Config = Mapping[str, Any]


class _Reader:
    """Typed access to config keys; every failure names the key and the file."""

    def __init__(self, config: _Config, where: str, model_type: str) -> None:
        self.config = config
        self.where = where
        self.model_type = model_type

    def fail(self, message: str) -> ModelConfigError:
        return ModelConfigError(f"{self.where}: {message} (model_type {self.model_type!r})")

    def has(self, key: str) -> bool:
        return self.config.get(key) is not None

    def int_(self, key: str, default: int | None = None, *, minimum: int = 1) -> int:
        value = self.config.get(key)
        if value is None:
            if default is None:
                raise self.fail(f"missing key {key!r}")
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"key {key!r} must be an integer, got {value!r}")
        if value < minimum:
            raise self.fail(f"key {key!r} must be >= {minimum}, got {value}")
        return value

    def opt_int(self, key: str, *, minimum: int = 1) -> int | None:
        return self.int_(key, minimum=minimum) if self.has(key) else None

    def first_int(self, keys: tuple[str, ...], default: int | None = None) -> int:
        for key in keys:
            if self.has(key):
                return self.int_(key)
        if default is None:
            raise self.fail(f"missing key {keys[0]!r}")
        return default

    def bool_(self, key: str, default: bool) -> bool:
        value = self.config.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(f"key {key!r} must be true or false, got {value!r}")
        return value

    def str_list(self, key: str) -> list[str] | None:
        value = self.config.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"key {key!r} must be a list of strings")
        return list(value)


def _heads(r: _Reader, hidden: int, heads: int, kv_heads: int) -> int:
    """head_dim from the config, else hidden / heads (which must divide)."""
    if r.has("head_dim"):
        return r.int_("head_dim")
    if hidden % heads:
        raise r.fail(
            f"hidden_size {hidden} is not divisible by num_attention_heads {heads} "
            "and no head_dim is given"
        )
    return hidden // heads


def _check_kv(r: _Reader, heads: int, kv_heads: int, key: str = "num_key_value_heads") -> None:
    if kv_heads > heads or heads % kv_heads:
        raise r.fail(f"{key} {kv_heads} does not divide num_attention_heads {heads}")


def _check_moe(r: _Reader, experts: int, top_k: int) -> None:
    if top_k > experts:
        raise r.fail(f"num_experts_per_tok {top_k} exceeds the number of experts {experts}")


def _layer_kinds(r: _Reader, n_layers: int) -> tuple[int | None, int | None]:
    """(sliding_window, n_global_layers) from ``layer_types`` when the config lists them."""
    types = r.str_list("layer_types")
    if types is None:
        return None, None
    if len(types) != n_layers:
        raise r.fail(f"layer_types lists {len(types)} layers but num_hidden_layers is {n_layers}")
    n_local = sum(t == "sliding_attention" for t in types)
    if n_local == 0:
        return None, None
    return r.int_("sliding_window"), n_layers - n_local


def _llama_like(r: _Reader, name: str, **overrides: Any) -> ModelSpec:
    """The Llama-style decoder most families share; ``overrides`` replace spec fields."""
    hidden = r.int_("hidden_size")
    layers = r.int_("num_hidden_layers")
    heads = r.int_("num_attention_heads")
    kv_heads = r.int_("num_key_value_heads", heads)
    _check_kv(r, heads, kv_heads)
    head_dim = _heads(r, hidden, heads, kv_heads)
    attention_bias = r.bool_("attention_bias", False)
    fields: dict[str, Any] = {
        "name": name,
        "n_layers": layers,
        "d_model": hidden,
        "n_heads": heads,
        "n_kv_heads": kv_heads,
        "head_dim": head_dim,
        "ffn_dim": r.int_("intermediate_size"),
        "vocab_size": r.int_("vocab_size"),
        "max_seq_len": r.int_("max_position_embeddings", 4096),
        "tied_embeddings": r.bool_("tie_word_embeddings", False),
        "qkv_bias": attention_bias,
        "attn_out_bias": attention_bias,
        "mlp_bias": r.bool_("mlp_bias", False),
    }
    window, n_global = _layer_kinds(r, layers)
    if window is None and r.has("sliding_window") and r.bool_("use_sliding_window", True):
        # Mistral-style: every layer uses the window (modeling_mistral.py).
        window, n_global = r.int_("sliding_window"), 0
    if window is not None and window < fields["max_seq_len"]:
        fields["sliding_window"] = window
        fields["n_global_layers"] = n_global
    fields.update(overrides)
    return ModelSpec(**fields)


def _mixtral(r: _Reader, name: str) -> ModelSpec:
    experts, top_k = r.int_("num_local_experts"), r.int_("num_experts_per_tok")
    _check_moe(r, experts, top_k)
    moe = MoESpec(n_routed_experts=experts, top_k=top_k, expert_ffn_dim=r.int_("intermediate_size"))
    return _llama_like(r, name, moe=moe)


def _qwen_sparse_layers(r: _Reader, layers: int, has_experts: bool) -> int:
    """Dense layers of Qwen MoE configs (``decoder_sparse_step``, ``mlp_only_layers``)."""
    if not has_experts:
        return layers
    step = r.int_("decoder_sparse_step", 1)
    only_mlp = set(r.config.get("mlp_only_layers") or [])
    sparse = [i for i in range(layers) if i not in only_mlp and (i + 1) % step == 0]
    return layers - len(sparse)


def _qwen2(r: _Reader, name: str) -> ModelSpec:
    # Qwen2: biases on q, k, v only (modeling_qwen2.py). The window applies only with
    # use_sliding_window, to the layers from max_window_layers on.
    spec = _llama_like(r, name, qkv_bias=True, attn_out_bias=False)
    if r.bool_("use_sliding_window", False) and r.has("sliding_window"):
        full = min(r.int_("max_window_layers", spec.n_layers, minimum=0), spec.n_layers)
        return _replace(spec, sliding_window=r.int_("sliding_window"), n_global_layers=full)
    return _replace(spec, sliding_window=None, n_global_layers=None)


def _qwen2_moe(r: _Reader, name: str) -> ModelSpec:
    base = _qwen2(r, name)
    experts, top_k = r.int_("num_experts"), r.int_("num_experts_per_tok")
    _check_moe(r, experts, top_k)
    shared_ffn = r.int_("shared_expert_intermediate_size", 0, minimum=0)
    moe = MoESpec(
        n_routed_experts=experts,
        top_k=top_k,
        expert_ffn_dim=r.int_("moe_intermediate_size"),
        n_shared_experts=1 if shared_ffn else 0,
        shared_expert_ffn_dim=shared_ffn,
        n_dense_layers=_qwen_sparse_layers(r, base.n_layers, True),
        shared_expert_gate=bool(shared_ffn),  # sigmoid gate Linear(hidden, 1)
    )
    return _replace(base, moe=moe)


def _qwen3(r: _Reader, name: str) -> ModelSpec:
    # Qwen3: per-head RMSNorm on q and k, no q/k/v bias (modeling_qwen3.py).
    spec = _llama_like(r, name, qk_norm=True)
    if not (r.bool_("use_sliding_window", False) and r.has("sliding_window")):
        spec = _replace(spec, sliding_window=None, n_global_layers=None)
    return spec


def _qwen3_moe(r: _Reader, name: str) -> ModelSpec:
    base = _qwen3(r, name)
    experts, top_k = r.int_("num_experts"), r.int_("num_experts_per_tok")
    _check_moe(r, experts, top_k)
    moe = MoESpec(
        n_routed_experts=experts,
        top_k=top_k,
        expert_ffn_dim=r.int_("moe_intermediate_size"),
        n_dense_layers=_qwen_sparse_layers(r, base.n_layers, True),
    )
    return _replace(base, moe=moe)


def _deepseek(r: _Reader, name: str) -> ModelSpec:
    hidden = r.int_("hidden_size")
    layers = r.int_("num_hidden_layers")
    heads = r.int_("num_attention_heads")
    mla = MLASpec(
        q_lora_rank=r.int_("q_lora_rank", 0, minimum=0),
        kv_lora_rank=r.int_("kv_lora_rank"),
        qk_nope_head_dim=r.int_("qk_nope_head_dim"),
        qk_rope_head_dim=r.int_("qk_rope_head_dim"),
        v_head_dim=r.int_("v_head_dim"),
    )
    moe = None
    if r.has("n_routed_experts"):
        experts, top_k = r.int_("n_routed_experts"), r.int_("num_experts_per_tok")
        _check_moe(r, experts, top_k)
        if r.int_("moe_layer_freq", 1) != 1:
            raise r.fail("moe_layer_freq other than 1 is not supported")
        moe = MoESpec(
            n_routed_experts=experts,
            top_k=top_k,
            expert_ffn_dim=r.int_("moe_intermediate_size"),
            n_shared_experts=r.int_("n_shared_experts", 0, minimum=0),
            n_dense_layers=min(r.int_("first_k_dense_replace", 0, minimum=0), layers),
            # DeepSeek-V3's noaux_tc routing adds a per-expert score-correction bias.
            router_bias=r.config.get("topk_method") == "noaux_tc",
        )
    return ModelSpec(
        name=name,
        n_layers=layers,
        d_model=hidden,
        n_heads=heads,
        n_kv_heads=heads,  # MLA reconstructs K and V per head from the shared latent
        head_dim=mla.qk_nope_head_dim + mla.qk_rope_head_dim,
        ffn_dim=r.int_("intermediate_size"),
        vocab_size=r.int_("vocab_size"),
        max_seq_len=r.int_("max_position_embeddings", 4096),
        tied_embeddings=r.bool_("tie_word_embeddings", False),
        qkv_bias=r.bool_("attention_bias", False),
        attn_out_bias=r.bool_("attention_bias", False),
        moe=moe,
        mla=mla,
    )


def _gemma(r: _Reader, name: str, *, qk_norm: bool) -> ModelSpec:
    """Gemma 2/3: GeGLU, tied embeddings, pre- and post-norms around attention and MLP."""
    spec = _llama_like(
        r,
        name,
        tied_embeddings=r.bool_("tie_word_embeddings", True),
        norms_per_layer=4,  # input, post_attention, pre_feedforward, post_feedforward
        qk_norm=qk_norm,
        sliding_window=None,
        n_global_layers=None,
    )
    layers = spec.n_layers
    window, n_global = _layer_kinds(r, layers)
    if window is None and r.has("sliding_window"):
        if r.model_type == "gemma2":
            # Gemma2: even layers slide, odd layers are global (modeling_gemma2.py).
            window, n_global = r.int_("sliding_window"), layers // 2
        else:
            # Gemma3: every sliding_window_pattern-th layer is global.
            pattern = r.int_("sliding_window_pattern", 6)
            window, n_global = r.int_("sliding_window"), layers // pattern
    if window is None:
        return spec
    return _replace(spec, sliding_window=window, n_global_layers=n_global)


def _gpt2(r: _Reader, name: str) -> ModelSpec:
    hidden = r.first_int(("n_embd", "hidden_size"))
    heads = r.first_int(("n_head", "num_attention_heads"))
    if hidden % heads:
        raise r.fail(f"n_embd {hidden} is not divisible by n_head {heads}")
    return ModelSpec(
        name=name,
        n_layers=r.first_int(("n_layer", "num_hidden_layers")),
        d_model=hidden,
        n_heads=heads,
        n_kv_heads=heads,
        head_dim=hidden // heads,
        ffn_dim=r.int_("n_inner", 4 * hidden),  # GPT-2: n_inner None means 4 * n_embd
        vocab_size=r.int_("vocab_size"),
        max_seq_len=r.first_int(("n_positions", "n_ctx", "max_position_embeddings")),
        gated_mlp=False,
        tied_embeddings=r.bool_("tie_word_embeddings", True),
        qkv_bias=True,
        attn_out_bias=True,
        mlp_bias=True,
        norm="layernorm",
        learned_pos_emb=True,
    )


def _gpt_neox(r: _Reader, name: str) -> ModelSpec:
    bias = r.bool_("attention_bias", True)
    return _llama_like(
        r,
        name,
        gated_mlp=False,
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=True,
        norm="layernorm",
        parallel_attn_mlp=r.bool_("use_parallel_residual", True),
        norms_per_layer=2,  # input_layernorm and post_attention_layernorm, parallel or not
    )


def _mpt(r: _Reader, name: str) -> ModelSpec:
    # MPT: ALiBi, tied embeddings, LayerNorms and linears without bias when no_bias (the
    # transformers MptConfig default). llm-foundry's MPTConfig defaults to no_bias=False and
    # a learned position table next to ALiBi (learned_pos_emb=True); those keys are honored.
    hidden = r.int_("d_model")
    heads = r.int_("n_heads")
    if hidden % heads:
        raise r.fail(f"d_model {hidden} is not divisible by n_heads {heads}")
    bias = not r.bool_("no_bias", True)
    return ModelSpec(
        name=name,
        n_layers=r.int_("n_layers"),
        d_model=hidden,
        n_heads=heads,
        n_kv_heads=heads,
        head_dim=hidden // heads,
        ffn_dim=r.int_("expansion_ratio", 4) * hidden,
        vocab_size=r.int_("vocab_size"),
        max_seq_len=r.int_("max_seq_len", 2048),
        gated_mlp=False,
        tied_embeddings=True,
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bias,
        norm="layernorm",
        norm_bias=bias,
        learned_pos_emb=r.bool_("learned_pos_emb", False),
    )


def _falcon(r: _Reader, name: str) -> ModelSpec:
    hidden = r.int_("hidden_size")
    heads = r.first_int(("num_attention_heads", "n_head"))
    new_arch = r.bool_("new_decoder_architecture", False)
    if new_arch:
        kv_heads = r.first_int(("num_kv_heads", "n_head_kv"), heads)
    elif r.bool_("multi_query", True):
        kv_heads = 1
    else:
        kv_heads = heads
    _check_kv(r, heads, kv_heads, "num_kv_heads")
    if hidden % heads:
        raise r.fail(f"hidden_size {hidden} is not divisible by num_attention_heads {heads}")
    parallel = r.bool_("parallel_attn", True)
    # new_decoder_architecture: ln_attn and ln_mlp; else one shared norm when parallel.
    norms = r.int_("num_ln_in_parallel_attn", 2) if new_arch else (1 if parallel else 2)
    bias = r.bool_("bias", False)
    return ModelSpec(
        name=name,
        n_layers=r.first_int(("num_hidden_layers", "n_layer")),
        d_model=hidden,
        n_heads=heads,
        n_kv_heads=kv_heads,
        head_dim=hidden // heads,
        ffn_dim=r.int_("ffn_hidden_size", 4 * hidden),
        vocab_size=r.int_("vocab_size"),
        max_seq_len=r.int_("max_position_embeddings", 2048),
        gated_mlp=False,
        tied_embeddings=r.bool_("tie_word_embeddings", True),
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bias,
        norm="layernorm",
        parallel_attn_mlp=parallel,
        norms_per_layer=norms,
    )


def _gpt_oss(r: _Reader, name: str) -> ModelSpec:
    experts = r.int_("num_local_experts")
    top_k = r.first_int(("num_experts_per_tok", "experts_per_token"))
    _check_moe(r, experts, top_k)
    moe = MoESpec(
        n_routed_experts=experts,
        top_k=top_k,
        expert_ffn_dim=r.int_("intermediate_size"),
        router_bias=True,  # router is Linear(hidden, experts) with bias (modeling_gpt_oss.py)
    )
    return _llama_like(
        r,
        name,
        qkv_bias=r.bool_("attention_bias", True),
        attn_out_bias=r.bool_("attention_bias", True),
        mlp_bias=True,  # gate_up_proj_bias and down_proj_bias on every expert
        attention_sinks=True,
        moe=moe,
    )


def _olmo2(r: _Reader, name: str) -> ModelSpec:
    # OLMo2: q_norm over all heads, k_norm over all kv heads; post-attention and
    # post-feedforward norms only (modeling_olmo2.py).
    return _llama_like(r, name, qk_norm=True, qk_norm_per_head=False, norms_per_layer=2)


def _replace(spec: ModelSpec, **changes: Any) -> ModelSpec:
    return replace(spec, **changes)


_READERS: dict[str, Callable[[_Reader, str], ModelSpec]] = {
    "llama": _llama_like,
    "mistral": _llama_like,
    "phi3": _llama_like,
    "mixtral": _mixtral,
    "qwen2": _qwen2,
    "qwen2_moe": _qwen2_moe,
    "qwen3": _qwen3,
    "qwen3_moe": _qwen3_moe,
    "deepseek_v2": _deepseek,
    "deepseek_v3": _deepseek,
    "gemma2": lambda r, n: _gemma(r, n, qk_norm=False),
    "gemma3": lambda r, n: _gemma(r, n, qk_norm=True),
    "gemma3_text": lambda r, n: _gemma(r, n, qk_norm=True),
    "gpt2": _gpt2,
    "gpt_neox": _gpt_neox,
    "mpt": _mpt,
    "falcon": _falcon,
    "gpt_oss": _gpt_oss,
    "olmo2": _olmo2,
}
SUPPORTED_MODEL_TYPES: tuple[str, ...] = tuple(sorted(_READERS))
_STANDARD_KEYS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
)


def spec_from_hf_config(
    config: Mapping[str, Any], *, name: str, path: str | None = None, source: str = ""
) -> ModelSpec:
    """Build a spec from a parsed ``config.json``; errors name the key and ``path``."""
    where = path or f"config of {name!r}"
    if not isinstance(config, Mapping):
        raise ModelConfigError(f"{where}: expected a JSON object, got {type(config).__name__}")
    model_type = config.get("model_type")
    text_config = config.get("text_config")
    if isinstance(text_config, Mapping):
        # Multimodal wrappers (Gemma 3) keep the decoder under text_config.
        merged = dict(text_config)
        merged.setdefault("model_type", f"{model_type}_text" if model_type else None)
        if model_type == "gemma3":
            merged["model_type"] = "gemma3_text"
        return spec_from_hf_config(merged, name=name, path=path, source=source)
    if not isinstance(model_type, str) or not model_type:
        model_type = "unknown"
    reader = _READERS.get(model_type)
    r = _Reader(config, where, model_type)
    if reader is None:
        missing = [k for k in _STANDARD_KEYS if not r.has(k)]
        if missing:
            raise r.fail(
                f"unsupported model_type and missing key {missing[0]!r}; supported: "
                + ", ".join(SUPPORTED_MODEL_TYPES)
            )
        warnings.warn(
            f"{where}: model_type {model_type!r} is not one xpuplan knows; read as a "
            "Llama-style decoder from its standard keys",
            stacklevel=2,
        )
        reader = _llama_like
    spec = reader(r, name)
    return _replace(spec, source=source or spec.source or where)


def read_config_file(path: str | Path) -> tuple[dict[str, Any], Path]:
    """Parse ``path`` (a config.json or a folder holding one); returns (config, file)."""
    file = Path(path)
    if file.is_dir():
        file = file / "config.json"
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelConfigError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelConfigError(f"{file}: cannot read ({error})") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelConfigError(
            f"{file}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(config, dict):
        raise ModelConfigError(f"{file}: expected a JSON object, got {type(config).__name__}")
    return config, file


def load_hf_config(path: str | Path) -> ModelSpec:
    """Read a ``config.json`` (or a model folder containing one) into a spec."""
    config, file = read_config_file(path)
    name = file.parent.name if file.name == "config.json" and file.parent.name else file.stem
    return spec_from_hf_config(config, name=name or "model", path=str(file), source=str(file))


# A Hugging Face Hub model id: "org/name" (letters, digits, '-', '_', '.'; 96 characters at most
# each side, as the Hub allows).
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")
MAX_MODEL_NAME_CHARS = 1024  # longer than any preset, path component (255) or Hub id


def is_hub_id(text: str) -> bool:
    """Whether ``text`` is spelt like a Hugging Face Hub model id (``meta-llama/Llama-3.1-8B``)."""
    return bool(_HUB_ID.fullmatch(text)) and ".." not in text


def hub_cache_dir(env: Mapping[str, str]) -> Path:
    """The Hugging Face Hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else
    ~/.cache/huggingface/hub (the ``huggingface_hub`` library's own rule)."""
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    home = env.get("HF_HOME") or str(
        Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    )
    return Path(home).expanduser() / "hub"


def cached_hub_config(repo_id: str, env: Mapping[str, str]) -> Path | None:
    """The ``config.json`` of ``repo_id`` in the local Hub cache (the snapshot ``refs/main``
    points at, else any snapshot holding one), or None."""
    repo = hub_cache_dir(env) / f"models--{repo_id.replace('/', '--')}"
    snapshots = repo / "snapshots"
    try:
        ref = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        ref = ""
    candidates = [snapshots / ref / "config.json"] if ref else []
    try:
        candidates += sorted(snapshots.glob("*/config.json"))
    except OSError:
        return None
    return next((c for c in candidates if c.is_file()), None)


def hub_config(repo_id: str, env: Mapping[str, str]) -> Path:
    """A local path to ``repo_id``'s ``config.json``: from the Hub cache, else downloaded with
    ``huggingface_hub`` (when installed and HF_HUB_OFFLINE is not set). Raises
    :class:`ModelConfigError` saying what to do when neither works."""
    cached = cached_hub_config(repo_id, env)
    if cached is not None:
        return cached
    where = f"Hugging Face model {repo_id!r}"
    if env.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise ModelConfigError(
            f"{where}: not in the local cache ({hub_cache_dir(env)}) and HF_HUB_OFFLINE is set; "
            "download it once online, or give the path to its config.json"
        )
    try:
        from huggingface_hub import hf_hub_download  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ModelConfigError(
            f"{where}: not in the local cache ({hub_cache_dir(env)}) and huggingface_hub is "
            "not installed; pip install huggingface_hub, or give the path to its config.json"
        ) from None
    try:
        return Path(hf_hub_download(repo_id, "config.json"))
    except Exception as error:  # the library's errors: network, gated repo, not found
        raise ModelConfigError(
            f"{where}: cannot download config.json ({type(error).__name__}: "
            f"{one_line_text(str(error))[:200]}); log in for gated models "
            "(huggingface-cli login) or give the path to its config.json"
        ) from None


def one_line_text(text: str) -> str:
    """``text`` with runs of whitespace (line breaks included) as single spaces."""
    return " ".join(text.split())
