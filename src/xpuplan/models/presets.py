"""Bundled model presets and name-or-path resolution.

Each preset is a JSON file under ``models/data/presets/``: ``name``, ``source`` (the Hugging
Face config.json or the paper it copies), ``as_of``, ``notes`` and ``config`` (the config.json
keys that define the architecture, read by :func:`~xpuplan.models.hf.spec_from_hf_config`).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xpuplan.errors import ModelConfigError, UnknownNameError
from xpuplan.models.hf import load_hf_config, spec_from_hf_config
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


def resolve_model(name_or_path: str) -> ModelSpec:
    """A preset name, or a path to a config.json or a folder holding one."""
    if name_or_path in _records():
        return get_preset(name_or_path)
    keys = {preset_key(n): n for n in _records()}
    if preset_key(name_or_path) in keys:
        return get_preset(keys[preset_key(name_or_path)])
    path = Path(name_or_path)
    if path.exists() or name_or_path.endswith(".json") or "/" in name_or_path:
        return load_hf_config(path)
    raise UnknownNameError(
        "model", name_or_path, _records(), "xpuplan model list, or give a path to config.json"
    )
