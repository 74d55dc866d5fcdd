"""xpuplan train (being written)."""


def train() -> None:
    """Not yet available."""
