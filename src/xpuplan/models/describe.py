"""Build a :class:`ModelSpec` from a plain Megatron-style model description.

The validation-case schema (``shared/validation/README.md``) describes a model with ``name``,
``layers``, ``hidden``, ``heads``, ``kv_heads``, ``ffn``, ``vocab``, ``seq_len``, ``params``
and ``moe`` (``experts``/``num_experts``, ``top_k``, ``expert_ffn``, ``shared_experts``,
``total_params``, ``active_params``); ``null`` means the source did not say. Optional extra
keys: ``head_dim``, ``tied_embeddings``, ``gated_mlp``.

Rules, in order:

1. When the name names a bundled preset ("Llama 3.1 70B", "Mixtral 8x22B", "GPT3-175B
   pre-training") and every dimension the description gives agrees with it, the preset's
   exact architecture is used with the description's ``seq_len``.
2. Otherwise the spec is built from the description with the defaults of the family the
   name suggests:

   * **Llama / Mistral / Mixtral / Qwen** (and any name with "llama"): SwiGLU, RMSNorm,
     RoPE, no biases, untied head; a null ``ffn`` is Meta's rule ``256 * ceil(8h / 3 / 256)``
     (``multiple_of = 256`` in meta-llama's ``model.py``); null vocab 32000 (Llama 2).
   * **MaxText synthetic dense** configs: the ``base.yml`` of Dec 2023 (commit 76bd53b0f,
     quoted in the validation cases): ``head_dim`` 256, a two-matrix ReLU MLP
     (``mlp_activations: [relu]``), RMSNorm, no biases, logits via the embedding (tied).
     Their stated nominal sizes (16B ... 1024B) are only reproduced by the two-matrix MLP.
   * **MPT** (llm-foundry): ``MPTConfig`` defaults: ``no_bias=False`` (biases everywhere,
     LayerNorm with bias), ``learned_pos_emb=True`` next to ALiBi, tied embeddings, GELU MLP
     with ``expansion_ratio`` 4; null vocab 50368 (the llm-foundry pretraining yamls).
   * **GPT / Megatron** (and any other name): Megatron-LM GPT: LayerNorm with bias, biases
     on every linear, learned absolute positions, GELU MLP with ``ffn = 4 * hidden``
     (``--ffn-hidden-size`` default), tied embeddings unless the stated size says otherwise
     (below), vocab 51200 when null (GPT-2's 50257 padded to a multiple of 128 x TP 8 as in
     Narayanan et al. 2021, section 5.1: "vocabulary size V = 51,200").

   Null ``heads`` is ``hidden / 128`` (head size 128, Megatron-LM's GPT configs), null
   ``kv_heads`` is ``heads`` (multi-head attention).
3. ``params`` (or a size in the name such as "GPT-7.1B") is a cross-check only: a spec more
   than 10 % away from it gets a note. For GPT-family descriptions that say nothing about
   tying, the stated size decides between tied and untied output weights (Megatron-Core's
   scaling configs are only reproduced untied); this is the one field it may choose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from xpuplan.errors import ModelConfigError
from xpuplan.models.counts import count_params
from xpuplan.models.presets import get_preset, list_presets, preset_key
from xpuplan.models.spec import ModelSpec, MoESpec

__all__ = ["CROSS_CHECK_TOLERANCE", "nominal_params", "spec_from_description"]

# Beyond this relative gap to the stated size the spec carries a note.
CROSS_CHECK_TOLERANCE = 0.10

Family = Literal["llama", "maxtext", "mpt", "gpt"]
_LLAMA_WORDS = ("llama", "mistral", "mixtral", "qwen")

# Megatron-LM GPT configs use 128-wide heads (Narayanan et al. 2021, table 1: h / a = 128).
_DEFAULT_HEAD_DIM = 128
# MaxText base.yml (Dec 2023): head_dim 256.
_MAXTEXT_HEAD_DIM = 256
# Narayanan et al. 2021, section 5.1: GPT vocabulary padded to 51,200.
_MEGATRON_VOCAB = 51200
# llm-foundry scripts/train/yamls/pretrain/mpt-*.yaml: vocab_size 50368.
_MPT_VOCAB = 50368
# Llama 2 tokenizer (Touvron et al. 2023): 32,000 tokens.
_LLAMA_VOCAB = 32000
# meta-llama model.py: hidden_dim = multiple_of * ceil((2 * 4h / 3) / multiple_of).
_LLAMA_MULTIPLE_OF = 256


def _family(name: str) -> Family:
    lowered = name.lower()
    if "maxtext" in lowered:
        return "maxtext"
    if any(word in lowered for word in _LLAMA_WORDS):
        return "llama"
    if "mpt" in lowered:
        return "mpt"
    return "gpt"


def nominal_params(name: str) -> float | None:
    """The size a name states ("GPT-7.1B" -> 7.1e9); None for "8x7B" or no size."""
    for match in re.finditer(r"(?<![\dx.])(\d+(?:\.\d+)?)\s*([BMT])\b", name, re.IGNORECASE):
        scale = {"m": 1e6, "b": 1e9, "t": 1e12}[match.group(2).lower()]
        return float(match.group(1)) * scale
    return None


# DeepSeek-R1's distilled models keep their base model's architecture (DeepSeek-R1 model
# card, "DeepSeek-R1-Distill Models": Llama-70B from Llama-3.3-70B-Instruct, Llama-8B from
# Llama-3.1-8B, Qwen-7B from Qwen2.5-Math-7B, whose architecture is Qwen2.5-7B's), keyed by
# what follows "distill" in the name's key; a distilled model not listed has no preset.
DISTILLED_BASES: dict[str, str] = {
    "llama70b": "llama-3.3-70b",
    "llama8b": "llama-3.1-8b",
    "qwen7b": "qwen2.5-7b",
}


def _matching_preset(name: str) -> str | None:
    """The bundled preset whose key is the longest prefix of the name's key (a Hub id's
    organization dropped: ``meta-llama/Llama-3.3-70B-Instruct``); a distilled model takes its
    base model's (:data:`DISTILLED_BASES`), never its teacher's."""
    base = re.sub(r"\(.*?\)", " ", name).rsplit("/", 1)[-1]
    key = preset_key(base)
    distilled = re.search(r"distill(.*)", key)
    if distilled is not None:
        tail = distilled.group(1)
        return next((p for k, p in DISTILLED_BASES.items() if tail.startswith(k)), None)
    best: str | None = None
    for preset in list_presets():
        candidate = preset_key(preset)
        if key.startswith(candidate) and (best is None or len(candidate) > len(preset_key(best))):
            tail = key[len(candidate) :]
            if not tail or not tail[0].isdigit():
                best = preset
    return best


class _Description:
    """Typed access to a description; errors name the model and the field."""

    def __init__(self, desc: Mapping[str, Any], name: str) -> None:
        self.desc = desc
        self.name = name
        moe = desc.get("moe")
        if moe is not None and not isinstance(moe, Mapping):
            raise self.fail("moe", moe, "a mapping or null")
        self.moe: Mapping[str, Any] = moe or {}

    def fail(self, field: str, value: Any, allowed: str) -> ModelConfigError:
        return ModelConfigError(f"model {self.name!r}: {field} is {value!r}; expected {allowed}")

    def int_(
        self, field: str, source: Mapping[str, Any] | None = None, *, minimum: int = 1
    ) -> int | None:
        value = (self.desc if source is None else source).get(field)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise self.fail(field, value, f"{allowed} or null")
        return value

    def number(self, field: str, source: Mapping[str, Any] | None = None) -> float | None:
        value = (self.desc if source is None else source).get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(field, value, "a positive number or null")
        if not math.isfinite(value):
            raise self.fail(field, value, "a finite number")
        return float(value)

    def bool_(self, field: str) -> bool | None:
        value = self.desc.get(field)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(field, value, "true, false or null")

    def moe_int(self, *fields: str, minimum: int = 1) -> int | None:
        for field in fields:
            value = self.int_(field, self.moe, minimum=minimum)
            if value is not None:
                return value
        return None


def _disagreements(d: _Description, preset: ModelSpec) -> list[str]:
    expected: dict[str, int | None] = {
        "layers": preset.n_layers,
        "hidden": preset.d_model,
        "heads": preset.n_heads,
        "kv_heads": preset.n_kv_heads,
        "vocab": preset.vocab_size,
        "head_dim": preset.head_dim,
    }
    ffn_options = {preset.ffn_dim}
    if preset.moe is not None:
        ffn_options.add(preset.moe.expert_ffn_dim)
    out = [
        f"{field} {d.int_(field)} vs {value}"
        for field, value in expected.items()
        if d.int_(field) is not None and d.int_(field) != value
    ]
    ffn = d.int_("ffn")
    if ffn is not None and ffn not in ffn_options:
        out.append(f"ffn {ffn} vs {preset.ffn_dim}")
    experts = d.moe_int("experts", "num_experts")
    preset_experts = preset.moe.n_routed_experts if preset.moe else None
    if experts is not None and experts != preset_experts:
        out.append(f"experts {experts} vs {preset_experts}")
    return out


def _moe_from(d: _Description, ffn: int) -> MoESpec | None:
    experts = d.moe_int("experts", "num_experts", "n_routed_experts")
    if experts is None:
        return None
    top_k = d.moe_int("top_k", "num_experts_per_tok")
    if top_k is None:
        raise d.fail("moe.top_k", None, "a positive integer when moe.experts is given")
    if top_k > experts:
        raise d.fail("moe.top_k", top_k, f"at most moe.experts ({experts})")
    return MoESpec(
        n_routed_experts=experts,
        top_k=top_k,
        expert_ffn_dim=d.moe_int("expert_ffn") or ffn,
        n_shared_experts=d.moe_int("shared_experts", "n_shared_experts", minimum=0) or 0,
    )


def _from_fields(d: _Description, family: Family, seq_len: int | None) -> ModelSpec:
    layers, hidden = d.int_("layers"), d.int_("hidden")
    if layers is None or hidden is None:
        missing = "layers" if layers is None else "hidden"
        raise ModelConfigError(
            f"model {d.name!r}: {missing} is null and no bundled preset matches the name; "
            "give layers, hidden and heads (or a preset name, see xpuplan model list)"
        )
    head_dim = d.int_("head_dim")
    if head_dim is None and family == "maxtext":
        head_dim = _MAXTEXT_HEAD_DIM
    heads = d.int_("heads")
    if heads is None:
        heads = max(1, hidden // (head_dim or _DEFAULT_HEAD_DIM))
    if head_dim is None:
        if hidden % heads:
            raise d.fail("heads", heads, f"a divisor of hidden ({hidden}) or a head_dim")
        head_dim = hidden // heads
    kv_heads = d.int_("kv_heads") or heads
    if kv_heads > heads or heads % kv_heads:
        raise d.fail("kv_heads", kv_heads, f"a divisor of heads ({heads})")
    gated = d.bool_("gated_mlp")
    if gated is None:
        gated = family == "llama"
    ffn = d.int_("ffn")
    if ffn is None:
        if family == "llama" and gated:
            ffn = _LLAMA_MULTIPLE_OF * math.ceil(8 * hidden / 3 / _LLAMA_MULTIPLE_OF)
        else:
            ffn = 4 * hidden
    vocab = (
        d.int_("vocab")
        or {
            "llama": _LLAMA_VOCAB,
            "maxtext": _LLAMA_VOCAB,
            "mpt": _MPT_VOCAB,
            "gpt": _MEGATRON_VOCAB,
        }[family]
    )
    gpt_like = family in ("gpt", "mpt")
    tied = d.bool_("tied_embeddings")
    fields: dict[str, Any] = {
        "name": d.name,
        "n_layers": layers,
        "d_model": hidden,
        "n_heads": heads,
        "n_kv_heads": kv_heads,
        "head_dim": head_dim,
        "ffn_dim": ffn,
        "vocab_size": vocab,
        "max_seq_len": seq_len or 4096,
        "gated_mlp": gated,
        "tied_embeddings": tied if tied is not None else family != "llama",
        "qkv_bias": gpt_like,
        "attn_out_bias": gpt_like,
        "mlp_bias": gpt_like,
        "norm": "layernorm" if gpt_like else "rmsnorm",
        "learned_pos_emb": gpt_like,
        "moe": _moe_from(d, ffn),
        "source": f"model description {d.name!r} ({family} family defaults)",
    }
    spec = ModelSpec(**fields)
    stated = d.number("params") or nominal_params(d.name)
    if family == "gpt" and tied is None and stated is not None:
        untied = replace(spec, tied_embeddings=False)
        if abs(count_params(untied).total - stated) < abs(count_params(spec).total - stated):
            spec = replace(untied, notes=("untied output weights: closer to the stated size",))
    return spec


def _cross_check(spec: ModelSpec, d: _Description) -> ModelSpec:
    notes = list(spec.notes)
    counts = count_params(spec)
    checks = [
        ("params", d.number("params") or nominal_params(d.name), counts.total),
        ("moe.total_params", d.number("total_params", d.moe), counts.total),
        ("moe.active_params", d.number("active_params", d.moe), counts.active),
    ]
    for field, stated, counted in checks:
        if stated is not None and abs(counted / stated - 1) > CROSS_CHECK_TOLERANCE:
            notes.append(
                f"{field}: counted {counted / 1e9:.2f}B vs stated {stated / 1e9:.2f}B "
                f"({counted / stated - 1:+.0%})"
            )
    return replace(spec, notes=tuple(notes))


def spec_from_description(desc: Mapping[str, Any], *, name: str | None = None) -> ModelSpec:
    """A spec for a validation-style model description (rules in the module docstring)."""
    if not isinstance(desc, Mapping):
        raise ModelConfigError(f"model description must be a mapping, got {type(desc).__name__}")
    model_name = name or desc.get("name")
    if not isinstance(model_name, str) or not model_name.strip():
        raise ModelConfigError("model description: name is missing; give the model a name")
    d = _Description(desc, model_name)
    seq_len = d.int_("seq_len")
    preset_name = _matching_preset(model_name)
    if preset_name is not None:
        preset = get_preset(preset_name)
        differences = _disagreements(d, preset)
        if not differences:
            spec = replace(
                preset,
                name=model_name,
                max_seq_len=seq_len or preset.max_seq_len,
                notes=(*preset.notes, f"architecture of bundled preset {preset_name}"),
            )
            return _cross_check(spec, d)
        family = _family(model_name)
        spec = _from_fields(d, family, seq_len)
        note = f"differs from preset {preset_name} ({', '.join(differences)}); built from fields"
        return _cross_check(replace(spec, notes=(*spec.notes, note)), d)
    return _cross_check(_from_fields(d, _family(model_name), seq_len), d)
