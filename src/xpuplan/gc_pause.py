"""Pause Python's cyclic garbage collector around allocation-heavy, cycle-free work.

Loading or searching a large catalog (200,000 offerings) allocates millions of small objects
that never form reference cycles; each full collection pass walks all of them, which made
such work several times slower. Reference counting still frees everything as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused_gc"]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disable cyclic collection inside the block; restore the caller's setting after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
