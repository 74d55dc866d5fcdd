"""Keep compiled libraries from writing to the process's standard output.

Some extensions print from C/C++ straight to file descriptor 1 (HiGHS prints its banner when a
solver object is created), bypassing ``sys.stdout``; on a pipe that text lands inside
``--json`` output. :func:`quiet_stdout_fd` points fd 1 at the null device for the duration.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator

__all__ = ["quiet_stdout_fd"]


def _flush_c_stdio() -> None:
    """Flush the C library's stdout buffer (text a library printed but has not written yet)."""
    # No C runtime symbol table (e.g. Windows): nothing to flush from here.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def quiet_stdout_fd() -> Iterator[None]:
    """Discard whatever is written to file descriptor 1 inside the block."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no fd 1 (closed, or replaced by an object)
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
