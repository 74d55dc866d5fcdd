"""The catalog: accelerators, offerings and regions, with provenance on every row."""
