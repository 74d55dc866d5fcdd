"""xpuplan compare (being written)."""


def compare() -> None:
    """Not yet available."""
