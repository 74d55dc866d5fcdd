"""Bundled model presets and name-or-path resolution.

Each preset is a JSON file under ``models/data/presets/``: ``name``, ``source`` (the Hugging
Face config.json or the paper it copies), ``as_of``, ``notes`` and ``config`` (the config.json
keys that define the architecture, read by :func:`~xpuplan.models.hf.spec_from_hf_config`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xpuplan.errors import ModelConfigError, UnknownNameError
from xpuplan.models.hf import (
    MAX_MODEL_NAME_CHARS,
    hub_config,
    is_hub_id,
    load_hf_config,
    one_line_text,
    spec_from_hf_config,
)
from xpuplan.models.spec import ModelSpec

__all__ = ["get_preset", "list_presets", "preset_key", "preset_record", "resolve_model"]

_PRESET_DIR = ("data", "presets")


@cache
def _records() -> dict[str, dict[str, Any]]:
    folder = resources.files("xpuplan.models").joinpath(*_PRESET_DIR)
    records: dict[str, dict[str, Any]] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        try:
            record = json.loads(entry.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ModelConfigError(
                f"bundled preset {entry.name}: malformed JSON at line {error.lineno} "
                f"column {error.colno}: {error.msg}"
            ) from None
        records[str(record["name"])] = record
    return dict(sorted(records.items()))


def list_presets() -> list[str]:
    """Names of the bundled presets, sorted."""
    return list(_records())


def preset_record(name: str) -> dict[str, Any]:
    """The raw preset record (name, source, as_of, notes, config)."""
    records = _records()
    if name not in records:
        raise UnknownNameError("model", name, records, "xpuplan model list")
    return dict(records[name])


@cache
def get_preset(name: str) -> ModelSpec:
    """The spec of bundled preset ``name``; unknown names get a did-you-mean."""
    record = preset_record(name)
    spec = spec_from_hf_config(
        record["config"],
        name=record["name"],
        path=f"bundled preset {name}",
        source=str(record["source"]),
    )
    notes = (str(record["notes"]),) if record.get("notes") else ()
    return replace(spec, notes=spec.notes + notes)


def preset_key(text: str) -> str:
    """Lower-case alphanumerics only: 'Llama 3.1 70B' and 'llama-3.1-70b' share a key."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def resolve_model(name_or_path: str, env: Mapping[str, str] | None = None) -> ModelSpec:
    """A preset name, a path to a config.json or a folder holding one, or a Hugging Face Hub
    id (``meta-llama/Llama-3.1-8B``: its config.json from the local Hub cache, else downloaded
    with ``huggingface_hub`` when installed; ``env`` defaults to the process environment)."""
    if name_or_path in _records():
        return get_preset(name_or_path)
    keys = {preset_key(n): n for n in _records()}
    if preset_key(name_or_path) in keys:
        return get_preset(keys[preset_key(name_or_path)])
    if not name_or_path.strip() or len(name_or_path) > MAX_MODEL_NAME_CHARS:
        raise ModelConfigError(
            f"model {one_line_text(name_or_path)[:60]!r}: must be a preset name, a path or a "
            f"Hugging Face id of 1 to {MAX_MODEL_NAME_CHARS} characters "
            f"(got {len(name_or_path)})"
        )
    path = Path(name_or_path)
    try:
        exists = path.exists()
    except (OSError, ValueError) as error:  # a component over the file system's name limit
        raise ModelConfigError(
            f"model path {one_line_text(name_or_path)[:60]!r}...: cannot be read "
            f"({type(error).__name__}: {getattr(error, 'strerror', None) or error})"
        ) from None
    if not exists and is_hub_id(name_or_path) and not name_or_path.endswith(".json"):
        return load_hf_config(hub_config(name_or_path, os.environ if env is None else env))
    if exists or name_or_path.endswith(".json") or "/" in name_or_path:
        return load_hf_config(path)
    raise UnknownNameError(
        "model", name_or_path, _records(), "xpuplan model list, or give a path to config.json"
    )
