"""Transformer architectures: specs, config.json readers, presets and exact counts."""
