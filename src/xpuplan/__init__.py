"""xpuplan: a vendor-neutral planner for AI compute."""

__version__ = "0.1.0"
