"""xpuplan serve (being written)."""


def serve() -> None:
    """Not yet available."""
