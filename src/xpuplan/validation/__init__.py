"""Validation against measured results: case schema, per-kind predictors and the report."""
