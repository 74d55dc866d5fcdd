"""TensorRT-LLM Performance Overview: every measured throughput row not yet shipped -> cases.

Source: NVIDIA's TensorRT-LLM "Performance Overview" page,
https://nvidia.github.io/TensorRT-LLM/performance/perf-overview.html, i.e.
``NVIDIA/TensorRT-LLM:docs/source/performance/perf-overview.md`` at commit
00f37686aa854010d68bcbd0f4ab000221541ca6 (the v1.0-era version that adds "RTX 6000 Pro
Blackwell Server Edition" tables: "(NEW for v1.0)"). ``TABLES`` below were typed from its
"Throughput Measurements" section, numbers unchanged (thousands separators dropped); an empty
cell is no measurement and is typed ``None`` and skipped.

What the benchmark is (the page's "Reproducing Benchmarked Results" section):

* ``trtllm-bench --model $model_name throughput --backend pytorch`` (the PyTorch backend, "Starting
  with v0.19"); ``--tp $tp_size --pp $pp_size`` as each table column states (TP x PP GPUs);
  MoE models (Llama 4 Scout / Maverick, Qwen3-235B-A22B, Qwen3-30B-A3B) add ``--ep $ep_size``
  and ``enable_attention_dp: true`` in the LLM-API options (the page does not print the EP size
  of any column; its yaml shows ``enable_attention_dp`` nested under ``cuda_graph_config``,
  read here as the LLM-API option of that name);
* a synthetic dataset from ``benchmarks/cpp/prepare_dataset.py ... token-norm-dist
  --input-mean=$isl --output-mean=$osl --input-stdev=0 --output-stdev=0``: every request has
  exactly ISL input and OSL output tokens (random token ids); ``$num_requests`` per ISL/OSL
  pair from the page's table (``NUM_REQUESTS``);
* "an offline maximum throughput scenario such that all requests are queued in rapid
  succession" (a local client fed at an infinite rate): the engine's own scheduler sets the
  concurrency;
* ``cuda_graph_config: enable_padding: true`` with batch sizes 1 ... 8192;
  ``--kv_cache_free_gpu_mem_fraction 0.95`` "in many cases", 0.90 (the default) or lower on
  out-of-memory;
* metric: ``Total Output Throughput (tokens/sec)`` of the whole TP x PP group; the per-GPU
  value in the cases is that figure / (TP x PP) (arithmetic, not printed by the page);
* weights quantized with ModelOpt, NVIDIA's published checkpoints (``CHECKPOINTS``); FP4 on
  Blackwell (B200, GB200, RTX 6000 Pro), FP8 on Hopper (H100, H200), as each column states.

Hardware as the page lists it: H100 SXM 80GB (DGX H100), H200 SXM 141GB (DGX H200), B200 180GB
(DGX B200), GB200 192GB (GB200 NVL72), RTX 6000 Pro Blackwell Server Edition. The page names no
RTX server; the card has no NVLink (the catalog's ``nvidia-rtx-pro-6000-bse``: PCIe Gen5 x16
only), so its multi-GPU layouts run over PCIe.

Left out, with the reason:

* every (model, GPU, layout, ISL, OSL) whose case id already exists in the bundled
  ``data/public.yaml`` (the 35 ``trtllm-perfoverview-*`` cases of the same page and commit:
  Llama 3.1 8B, 3.3 70B and 3.1 405B, 3-5 ISL/OSL rows per column); the ids are read from that
  file at generation time so no row is shipped twice, and the script stops if a shipped value
  differs from the table typed here;
* empty table cells (e.g. Llama 4 Maverick B200 500/2000 and 5000/500, several H100 and RTX
  cells): not measured;
* the MoE tables (Llama 4 Scout and Maverick, Qwen3-235B-A22B, Qwen3-30B-A3B; 182 cells, typed
  in ``TABLES``): the page runs them with ``--ep`` at an EP size it does not print, and with an
  ``enable_attention_dp`` that its yaml nests under ``cuda_graph_config``, where the LLM API
  may not read it, so whether attention ran data-parallel is not known. The two readings
  bracket the measurements (median signed error with ep = TP, attention tensor-parallel /
  data-parallel, 2026-12-03, a fit that included these rows): Llama 4 Maverick -31 % / +22 %,
  Qwen3-235B-A22B -31 % / +46 %, Qwen3-30B-A3B on the RTX cards -55 % / -25 %, Llama 4 Scout
  +11 % / +40 %; rows whose layout is unknown by a factor of two in throughput would fit the
  calibration to a guess. The MoE serving path stays checked by the MLPerf Mixtral rows, the
  Trainium2 gpt-oss run, the Inferentia2 Qwen3-30B-A3B runs and the SGL-JAX Qwen3-30B-A3B run;
* DeepSeek R1 (its FP4 checkpoint is listed, but the page points to a separate performance
  guide and has no table for it);
* the sample ``PERFORMANCE OVERVIEW`` printout in the page (an unnamed illustrative run).

Usage::

    python scripts/transcribe_trtllm_perf_overview.py [OUT.yaml]

(default OUT: ``src/xpuplan/validation/data/infer-trtllm-perf-overview.yaml``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from xpuplan.validation.cases import load_cases, write_cases
from xpuplan.validation.run import bundled_public_file

COMMIT = "00f37686aa854010d68bcbd0f4ab000221541ca6"
URL = "https://nvidia.github.io/TensorRT-LLM/performance/perf-overview.html"
REPO_PATH = "NVIDIA/TensorRT-LLM:docs/source/performance/perf-overview.md"
TITLE = "TensorRT-LLM Performance Overview (docs/source/performance/perf-overview.md)"
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1]
    / "src/xpuplan/validation/data/infer-trtllm-perf-overview.yaml"
)

# The page's "$num_requests" table: (ISL, OSL) -> requests in the synthetic dataset.
NUM_REQUESTS: dict[tuple[int, int], int] = {
    (128, 128): 30000,
    (128, 2048): 3000,
    (128, 4096): 1500,
    (1000, 2000): 1500,
    (2048, 128): 3000,
    (2048, 2048): 1500,
    (5000, 500): 1500,
    (1000, 1000): 3000,
    (500, 2000): 3000,
    (20000, 2000): 1000,
}

# GPU slug -> (accelerator as the page names it, catalog id).
GPUS: dict[str, tuple[str, str]] = {
    "h100": ("NVIDIA H100 SXM 80GB (DGX H100)", "nvidia-h100-sxm"),
    "h200": ("NVIDIA H200 SXM 141GB (DGX H200)", "nvidia-h200-sxm"),
    "b200": ("NVIDIA B200 180GB (DGX B200)", "nvidia-b200"),
    "gb200": ("NVIDIA GB200 192GB (GB200 NVL72)", "nvidia-gb200"),
    "rtxpro6000": ("NVIDIA RTX 6000 Pro Blackwell Server Edition", "nvidia-rtx-pro-6000-bse"),
}

# The tables as printed, in page order: (model slug, table name, columns, rows). A column is
# (GPU slug, TP, PP, precision) from its header ("B200<br/>TP1 (FP4)", "**4 GPUs**<br/>TP2,PP2
# (FP4)"); a row is (ISL, OSL, one value per column or None for an empty cell).
Column = tuple[str, int, int, str]
Row = tuple[int, int, tuple[int | None, ...]]
TABLES: list[tuple[str, str, list[Column], list[Row]]] = [
    ("llama4scout", "Llama 4 Scout throughput table",
     [("b200", 1, 1, "FP4"), ("gb200", 1, 1, "FP4"), ("h200", 4, 1, "FP8"), ("h100", 4, 1, "FP8")],
     [(128, 128, (25342, 19954, 30354, None)),
      (128, 2048, (14699, 15238, 34316, 15130)),
      (128, 4096, (8932, 9556, 21332, 8603)),
      (500, 2000, (11977, 11795, 24630, 12399)),
      (1000, 1000, (10591, 7738, 21636, 12129)),
      (1000, 2000, (9356, 8581, 18499, 9838)),
      (2048, 128, (3137, 3295, 3699, 3253)),
      (2048, 2048, (7152, 7464, 14949, 7972)),
      (5000, 500, (2937, 3107, 4605, 3342)),
      (20000, 2000, (1644, 1767, 2105, None))]),
    ("llama4scout", "Llama 4 Scout RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 2, 2, "FP4"), ("rtxpro6000", 4, 2, "FP4")],
     [(128, 128, (18644, 23454)),
      (128, 2048, (12321, 21035)),
      (128, 4096, (7643, 13421)),
      (1000, 1000, (9476, 15781)),
      (1000, 2000, (8919, 16434)),
      (2048, 128, (2615, 2941)),
      (2048, 2048, (6208, 10410)),
      (5000, 500, (2662, None))]),
    ("llama3.370b", "Llama 3.3 70B throughput table",
     [("b200", 1, 1, "FP4"), ("gb200", 1, 1, "FP4"), ("h200", 1, 1, "FP8"), ("h100", 2, 1, "FP8")],
     [(128, 128, (11147, 12189, 3803, 6378)),
      (128, 2048, (9922, 11309, 4336, 6651)),
      (128, 4096, (6831, 7849, 2872, 4199)),
      (500, 2000, (7762, 9028, 3666, 5222)),
      (1000, 1000, (7007, 7326, 2909, 4205)),
      (1000, 2000, (6271, 6513, 2994, 4146)),
      (2048, 128, (1339, 1450, 442, 762)),
      (2048, 2048, (4783, 5646, 2003, 3082)),
      (5000, 500, (1459, 1602, 566, 898)),
      (20000, 2000, (665, 755, 283, 437))]),
    ("llama3.370b", "Llama 3.3 70B RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 1, 1, "FP4"), ("rtxpro6000", 1, 2, "FP4"), ("rtxpro6000", 1, 4, "FP4"),
      ("rtxpro6000", 1, 8, "FP4")],
     [(128, 128, (3264, 6172, 9641, 11881)),
      (128, 2048, (2422, 4993, 7922, 9833)),
      (128, 4096, (1349, 2893, 4978, 7352)),
      (500, 2000, (1856, 4114, 6939, 9435)),
      (1000, 1000, (1787, 3707, 5961, 8166)),
      (1000, 2000, (1594, 2993, 5274, 6943)),
      (2048, 128, (393, 813, 1511, 2495)),
      (2048, 2048, (1074, 2336, 3870, 6078)),
      (5000, 500, (401, 812, 1511, 2491)),
      (20000, 2000, (142, 319, 630, 1148))]),
    ("qwen3-235b-a22b", "Qwen3-235B-A22B throughput table",
     [("b200", 8, 1, "FP4"), ("h200", 8, 1, "FP8"), ("h100", 8, 1, "FP8")],
     [(128, 128, (63362, 30429, None)),
      (128, 2048, (66057, 42821, 19658)),
      (128, 4096, (39496, 26852, 12447)),
      (500, 2000, (57117, 28026, 18351)),
      (1000, 1000, (42391, 23789, 14898)),
      (1000, 2000, (34105, 22061, 15136)),
      (2048, 128, (7329, 3331, None)),
      (2048, 2048, (26854, 16672, 9924)),
      (5000, 500, (8190, 3623, 3225)),
      (20000, 2000, (4453, 1876, None))]),
    ("qwen3-235b-a22b", "Qwen3-235B-A22B RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 2, 4, "FP4")],
     [(128, 128, (18890,)),
      (128, 2048, (12494,)),
      (128, 4096, (7715,)),
      (500, 2000, (11157,)),
      (1000, 1000, (10697,)),
      (1000, 2000, (10109,)),
      (2048, 128, (3181,)),
      (2048, 2048, (6712,)),
      (5000, 500, (3173,))]),
    ("qwen3-30b-a3b", "Qwen3-30B-A3B throughput table",
     [("b200", 1, 1, "FP4"), ("gb200", 1, 1, "FP4")],
     [(128, 128, (39827, 24107)),
      (128, 2048, (37844, 31311)),
      (128, 4096, (24953, 26337)),
      (500, 2000, (27817, 20604)),
      (1000, 1000, (25828, 17481)),
      (1000, 2000, (22051, 17177)),
      (2048, 128, (6251, 6595)),
      (2048, 2048, (17554, 14719)),
      (5000, 500, (6142, 5908)),
      (20000, 2000, (2944, 3203))]),
    ("qwen3-30b-a3b", "Qwen3-30B-A3B RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 1, 1, "FP4"), ("rtxpro6000", 2, 1, "FP4"), ("rtxpro6000", 4, 1, "FP4"),
      ("rtxpro6000", 8, 1, "FP4")],
     [(128, 128, (28011, 32646, 36819, 39490)),
      (128, 2048, (12540, 22744, 35715, 52676)),
      (128, 4096, (7491, 15049, 28139, 33895)),
      (500, 2000, (10695, 17266, 26175, 44088)),
      (1000, 1000, (9910, 16431, 24046, 31785)),
      (1000, 2000, (8378, 13323, 25131, 28881)),
      (2048, 128, (3257, 3785, 4311, 4798)),
      (2048, 2048, (5908, 10679, 18134, 22391)),
      (5000, 500, (2530, 3799, 5212, 5965)),
      (20000, 2000, (871, 1558, 2551, None))]),
    ("llama4maverick", "Llama 4 Maverick throughput table",
     [("b200", 8, 1, "FP4"), ("h200", 8, 1, "FP8"), ("h100", 8, 1, "FP8")],
     [(128, 128, (124323, 63994, None)),
      (128, 2048, (112676, 40572, 10829)),
      (128, 4096, (68170, 24616, 6744)),
      (500, 2000, (None, 37835, 10108)),
      (1000, 1000, (79617, 31782, 9677)),
      (1000, 2000, (63766, 34734, 9151)),
      (2048, 128, (18088, 7307, None)),
      (2048, 2048, (52195, 20957, 6916)),
      (5000, 500, (None, 8456, 3457)),
      (20000, 2000, (12678, 4106, None))]),
    ("llama4maverick", "Llama 4 Maverick RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 4, 2, "FP4")],
     [(128, 128, (30583,)),
      (128, 2048, (19146,)),
      (128, 4096, (12165,)),
      (500, 2000, (17870,)),
      (1000, 1000, (15954,)),
      (1000, 2000, (12456,)),
      (2048, 128, (4463,)),
      (2048, 2048, (10727,)),
      (5000, 500, (4613,))]),
    ("llama3.1405b", "Llama 3.1 405B throughput table",
     [("b200", 4, 1, "FP4"), ("gb200", 4, 1, "FP4"), ("h200", 8, 1, "FP8"), ("h100", 8, 1, "FP8")],
     [(128, 128, (6281, 6740, 3814, 3627)),
      (128, 2048, (8020, 8151, 5348, 4340)),
      (128, 4096, (6345, 6608, 4741, 3116)),
      (500, 2000, (6244, 6540, 4724, 3994)),
      (1000, 1000, (5209, 5389, 3330, 2919)),
      (1000, 2000, (4933, 5135, 3722, 2895)),
      (2048, 128, (749, 797, 456, 453)),
      (2048, 2048, (4212, 4407, 2948, 2296)),
      (5000, 500, (1048, 1112, 650, 610)),
      (20000, 2000, (672, 739, 505, 345))]),
    ("llama3.1405b", "Llama 3.1 405B RTX 6000 Pro Blackwell Server Edition table",
     [("rtxpro6000", 1, 8, "FP4")],
     [(128, 128, (4452,)),
      (128, 2048, (2981,)),
      (1000, 1000, (2369,)),
      (1000, 2000, (1931,)),
      (2048, 128, (579,)),
      (2048, 2048, (1442,))]),
    ("llama3.18b", "Llama 3.1 8B throughput table",
     [("h200", 1, 1, "FP8"), ("h100", 1, 1, "FP8")],
     [(128, 128, (27911, 28312)),
      (128, 2048, (26221, 22714)),
      (128, 4096, (18027, 14325)),
      (500, 2000, (20770, 17660)),
      (1000, 1000, (17744, 15220)),
      (1000, 2000, (16828, 13899)),
      (2048, 128, (3538, 3450)),
      (2048, 2048, (12194, 9305)),
      (5000, 500, (3902, 3459)),
      (20000, 2000, (1804, 1351))]),
]  # fmt: skip

# The page's "FP4 Models" / "FP8 Models" lists (NVIDIA ModelOpt checkpoints); None: the page
# lists no checkpoint for a precision its tables use (name assumed by NVIDIA's naming scheme).
CHECKPOINTS: dict[tuple[str, str], str | None] = {
    ("llama3.18b", "FP8"): "nvidia/Llama-3.1-8B-Instruct-FP8",
    ("llama3.370b", "FP4"): "nvidia/Llama-3.3-70B-Instruct-FP4",
    ("llama3.370b", "FP8"): "nvidia/Llama-3.3-70B-Instruct-FP8",
    ("llama3.1405b", "FP4"): "nvidia/Llama-3.1-405B-Instruct-FP4",
    ("llama3.1405b", "FP8"): "nvidia/Llama-3.1-405B-Instruct-FP8",
    ("llama4maverick", "FP8"): "nvidia/Llama-4-Maverick-17B-128E-Instruct-FP8",
    ("llama4maverick", "FP4"): None,
    ("llama4scout", "FP4"): None,
    ("llama4scout", "FP8"): None,
    ("qwen3-235b-a22b", "FP4"): "nvidia/Qwen3-235B-A22B-FP4",
    ("qwen3-235b-a22b", "FP8"): "nvidia/Qwen3-235B-A22B-FP8",
    ("qwen3-30b-a3b", "FP4"): "nvidia/Qwen3-30B-A3B-FP4",
}
# What the checkpoint would be called where the page lists none.
ASSUMED_CHECKPOINT: dict[str, str] = {
    "llama4maverick": "nvidia/Llama-4-Maverick-17B-128E-Instruct-{p}",
    "llama4scout": "nvidia/Llama-4-Scout-17B-16E-Instruct-{p}",
}

_LLAMA3_NOTE = (
    "dims from the Hugging Face config.json of {repo} (num_hidden_layers, hidden_size, "
    "num_attention_heads, num_key_value_heads, intermediate_size, vocab_size); params = "
    "parameters counted from that config (untied LM head)"
)
_LLAMA4_NOTE = (
    "dims from the Hugging Face config.json of {repo} (text_config: num_hidden_layers 48, "
    "hidden_size 5120, num_attention_heads 40, num_key_value_heads 8, head_dim 128, "
    "vocab_size 202048, intermediate_size 8192 = each routed and the shared expert, "
    "intermediate_size_mlp 16384 = the dense MLP, here ffn); chunked local attention "
    "(attention_chunk_size 8192) on the RoPE layers, global NoPE attention every 4th layer "
    "(no_rope_layers), not expressible in the schema: the KV cache is modelled as full "
    "attention on all 48 layers (matters only beyond 8192 tokens, i.e. ISL 20000)"
)
_QWEN3_NOTE = (
    "dims from the Hugging Face config.json of {repo} (num_hidden_layers, hidden_size, "
    "num_attention_heads, num_key_value_heads, head_dim 128 (heads x head_dim != hidden), "
    "intermediate_size = ffn (unused: decoder_sparse_step 1, mlp_only_layers [] make every "
    "layer MoE), moe_intermediate_size = expert_ffn, num_experts, num_experts_per_tok, no "
    "shared expert, vocab_size); params and moe total/active counted from that config "
    "(model card: {card})"
)

# Public architectures (each model's Hugging Face config.json).
MODELS: dict[str, dict[str, Any]] = {
    "llama3.18b": dict(
        name="Llama 3.1 8B", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
        vocab=128256, params=8.03e9,
        notes=_LLAMA3_NOTE.format(repo="meta-llama/Llama-3.1-8B-Instruct"),
    ),
    "llama3.370b": dict(
        name="Llama 3.3 70B", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
        vocab=128256, params=70.55e9,
        notes=_LLAMA3_NOTE.format(repo="meta-llama/Llama-3.3-70B-Instruct"),
    ),
    "llama3.1405b": dict(
        name="Llama 3.1 405B", layers=126, hidden=16384, heads=128, kv_heads=8, ffn=53248,
        vocab=128256, params=405.85e9,
        notes=_LLAMA3_NOTE.format(repo="meta-llama/Llama-3.1-405B-Instruct"),
    ),
    "llama4scout": dict(
        name="Llama 4 Scout 17B-16E", layers=48, hidden=5120, heads=40, kv_heads=8, ffn=16384,
        vocab=202048, params=109e9, head_dim=128,
        moe=dict(num_experts=16, top_k=1, expert_ffn=8192, shared_experts=1,
                 total_params=109e9, active_params=17e9),
        notes=_LLAMA4_NOTE.format(repo="meta-llama/Llama-4-Scout-17B-16E-Instruct")
        + "; interleave_moe_layer_step 1: every layer is MoE (16 routed experts, top-1, sigmoid "
        "router, plus 1 shared expert), so ffn is unused; params and moe total/active = the "
        "model card's 109B total / 17B active (the card's total includes the vision encoder; "
        "the text decoder counted from the config is 107.8B total, 17.2B active)",
    ),
    "llama4maverick": dict(
        name="Llama 4 Maverick 17B-128E", layers=48, hidden=5120, heads=40, kv_heads=8,
        ffn=16384, vocab=202048, params=400e9, head_dim=128,
        moe=dict(num_experts=64, top_k=1, expert_ffn=8192, shared_experts=1,
                 total_params=400e9, active_params=17e9),
        notes=_LLAMA4_NOTE.format(repo="meta-llama/Llama-4-Maverick-17B-128E-Instruct")
        + "; interleave_moe_layer_step 2: 24 MoE layers (128 routed experts of 8192, top-1, "
        "plus 1 shared expert of 8192) alternate with 24 dense layers (MLP 16384 = two "
        "8192-wide expert-equivalents). The schema has one MoE layout for all layers, so the "
        "case describes the cost-equivalent uniform model: 48 layers, each with 64 routed "
        "experts (top-1) + 1 shared expert. It has the same routed-expert weights "
        "(48 x 64 = 24 x 128) and the same active FFN work per token (2 expert-widths per "
        "layer = 1 routed + 1 shared + 2 dense per MoE/dense pair), and counts 397.7B total / "
        "17.2B active against 400.7B / 17.2B for the real layout (it misses 24 x 1 "
        "expert-width of dense weights); num_experts 64 is therefore not the model's 128. "
        "params and moe total/active = the model card's 400B total / 17B active",
    ),
    "qwen3-235b-a22b": dict(
        name="Qwen3-235B-A22B", layers=94, hidden=4096, heads=64, kv_heads=4, ffn=12288,
        vocab=151936, params=235.09e9, head_dim=128,
        moe=dict(num_experts=128, top_k=8, expert_ffn=1536, shared_experts=0,
                 total_params=235.09e9, active_params=22.19e9),
        notes=_QWEN3_NOTE.format(repo="Qwen/Qwen3-235B-A22B", card="235B total, 22B activated"),
    ),
    "qwen3-30b-a3b": dict(
        name="Qwen3-30B-A3B", layers=48, hidden=2048, heads=32, kv_heads=4, ffn=6144,
        vocab=151936, params=30.53e9, head_dim=128,
        moe=dict(num_experts=128, top_k=8, expert_ffn=768, shared_experts=0,
                 total_params=30.53e9, active_params=3.35e9),
        notes=_QWEN3_NOTE.format(repo="Qwen/Qwen3-30B-A3B", card="30.5B total, 3.3B activated"),
    ),
}  # fmt: skip

MOE = {"llama4scout", "llama4maverick", "qwen3-235b-a22b", "qwen3-30b-a3b"}


def case_id(model: str, gpu: str, tp: int, pp: int, precision: str, isl: int, osl: int) -> str:
    layout = f"tp{tp}" + (f"-pp{pp}" if pp > 1 else "")
    return f"trtllm-perfoverview-{model}-{gpu}-{layout}-{precision.lower()}-isl{isl}-osl{osl}"


def _checkpoint(model: str, precision: str) -> str:
    listed = CHECKPOINTS[(model, precision)]
    if listed is not None:
        return f"checkpoint {listed}"
    assumed = ASSUMED_CHECKPOINT[model].format(p=precision)
    return f"checkpoint not in the page's FP4/FP8 model lists (presumably {assumed})"


def _model(model: str, precision: str, isl: int, osl: int) -> dict[str, Any]:
    arch = MODELS[model]
    block: dict[str, Any] = {
        k: arch[k] for k in ("name", "layers", "hidden", "heads", "kv_heads", "ffn", "vocab")
    }
    block["seq_len"] = isl + osl
    block["params"] = arch["params"]
    if "head_dim" in arch:
        block["head_dim"] = arch["head_dim"]
    block["moe"] = dict(arch["moe"]) if "moe" in arch else None  # a copy: no YAML aliases
    block["notes"] = f"{arch['notes']}; seq_len = ISL + OSL; {_checkpoint(model, precision)}"
    return block


def _hardware(gpu: str, count: int) -> dict[str, Any]:
    accelerator, accelerator_id = GPUS[gpu]
    rtx = gpu == "rtxpro6000"
    return {
        "accelerator": accelerator,
        "family": "nvidia",
        "count": count,
        "system": None,
        "nodes": None,
        "accelerators_per_node": None,
        "interconnect": "PCIe (no NVLink on the RTX PRO 6000 Blackwell Server Edition; the "
        "page names no server)"
        if rtx and count > 1
        else None,
        "accelerator_id": accelerator_id,
    }


def _parallelism(model: str, gpu: str, tp: int, pp: int) -> dict[str, Any]:
    notes = []
    if model in MOE:
        notes.append(
            "MoE run: trtllm-bench --ep $ep_size (EP size not printed) with "
            "enable_attention_dp: true"
        )
    if gpu == "rtxpro6000":
        notes.append(f"TP{tp},PP{pp} as the column header states ({tp * pp} GPUs)")
    return {
        "tp": tp,
        "pp": pp,
        "dp": None,
        "cp": None,
        "ep": None,
        "zero": None,
        "fsdp": None,
        "sequence_parallel": None,
        "recompute": None,
        "virtual_pp": None,
        "notes": "; ".join(notes) or None,
    }


def case(model: str, table: str, column: Column, isl: int, osl: int, value: int) -> dict[str, Any]:
    gpu, tp, pp, precision = column
    gpus = tp * pp
    group = "TP group" if pp == 1 else f"TP x PP group ({gpus} GPUs)"
    divisor = "TP" if pp == 1 else "(TP x PP)"
    return {
        "id": case_id(model, gpu, tp, pp, precision, isl, osl),
        "source": {
            "title": TITLE,
            "url": URL,
            "repo_path": REPO_PATH,
            "table": table,
            "commit": COMMIT,
        },
        "kind": "infer",
        "model": _model(model, precision, isl, osl),
        "hardware": _hardware(gpu, gpus),
        "parallelism": _parallelism(model, gpu, tp, pp),
        "batch": {
            "global_batch_seqs": None,
            "global_batch_tokens": None,
            "micro_batch": None,
            "per_device_batch": None,
            "grad_accum_steps": None,
            "notes": f"max-throughput offline: {NUM_REQUESTS[(isl, osl)]} synthetic requests, "
            f"fixed ISL {isl}/OSL {osl} (stdev 0), all queued at once; CUDA graphs up to batch "
            "8192; kv_cache_free_gpu_mem_fraction 0.90-0.95",
        },
        "precision": precision,
        "framework": "TensorRT-LLM trtllm-bench (PyTorch backend, ~v1.0)",
        "metrics": {
            "output_tokens_per_s_total": value,
            "output_tokens_per_s_per_gpu": round(value / gpus, 3),
        },
        "conditions": f"metric = Total Output Throughput (tokens/sec) for the whole {group}; "
        "per-GPU value is arithmetic",
        "confidence": "table",
        "notes": None,
        "derivation": f"arith: output_tokens_per_s_per_gpu = table value / {divisor}",
        "workload": {
            "input_tokens_mean": isl,
            "output_tokens_mean": osl,
            "max_concurrency": None,
            "request_rate": None,
            "dataset": "synthetic fixed lengths (stdev 0)",
            "notes": "every request has exactly these lengths; all requests queued at once "
            "(maximum throughput), so concurrency is limited only by the engine",
        },
    }


def shipped() -> dict[str, float]:
    """The ``trtllm-perfoverview-*`` cases already in the bundled public.yaml: id -> total."""
    return {
        c.id: c.metrics["output_tokens_per_s_total"]
        for c in load_cases(bundled_public_file())
        if c.id.startswith("trtllm-perfoverview-")
    }


def build() -> tuple[list[dict[str, Any]], list[str]]:
    """The new cases, and the ids left out because public.yaml already ships them."""
    existing = shipped()
    cases: list[dict[str, Any]] = []
    skipped: list[str] = []
    typed: set[str] = set()
    for model, table, columns, rows in TABLES:
        for isl, osl, values in rows:
            if len(values) != len(columns):
                raise SystemExit(
                    f"{table} {isl}/{osl}: {len(values)} values, {len(columns)} columns"
                )
            for column, value in zip(columns, values, strict=True):
                if value is None:
                    continue
                cid = case_id(model, column[0], column[1], column[2], column[3], isl, osl)
                if cid in typed:
                    raise SystemExit(f"{cid}: typed twice")
                typed.add(cid)
                if model in MOE:
                    continue
                if cid in existing:
                    if existing[cid] != value:
                        raise SystemExit(
                            f"{cid}: public.yaml has {existing[cid]}, the table {value}"
                        )
                    skipped.append(cid)
                    continue
                cases.append(case(model, table, column, isl, osl, value))
    unknown = sorted(set(existing) - typed)
    if unknown:
        raise SystemExit(f"public.yaml cases not in the typed tables: {unknown}")
    return cases, skipped


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print(__doc__)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    cases, skipped = build()
    write_cases(
        out,
        cases,
        description=(
            "TensorRT-LLM Performance Overview (NVIDIA/TensorRT-LLM "
            "docs/source/performance/perf-overview.md at commit "
            f"{COMMIT}), transcribed by scripts/transcribe_trtllm_perf_overview.py: every "
            "measured Total Output Throughput cell (trtllm-bench throughput, PyTorch backend, "
            "synthetic fixed ISL/OSL, all requests queued at once) that data/public.yaml does "
            f"not already ship ({len(skipped)} cells there are left out) of the dense models: the "
            "remaining ISL/OSL rows of Llama 3.1 8B, 3.3 70B and 3.1 405B on H100/H200/B200/GB200 "
            "and their RTX 6000 Pro Blackwell Server Edition tables (TP x PP on 1-8 GPUs, PCIe). "
            "The MoE tables are typed in the script and left out (expert and attention data "
            "parallelism at an unprinted EP size; the script says why). Empty cells are "
            "not measurements and are skipped; numbers unchanged, per-GPU values = table value "
            "/ GPUs."
        ),
        families={"nvidia": "NVIDIA"},
    )
    print(
        f"wrote {len(cases)} cases to {out} ({len(skipped)} already in public.yaml)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
