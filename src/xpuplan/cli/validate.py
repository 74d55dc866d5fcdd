"""xpuplan validate (being written)."""


def validate() -> None:
    """Not yet available."""
