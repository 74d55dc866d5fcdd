"""``python -m xpuplan``: the same command line as the ``xpuplan`` script."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    try:
        from xpuplan.cli import main
    except KeyboardInterrupt:  # Ctrl-C while the package imports
        print("error: interrupted", file=sys.stderr)
        sys.exit(2)
    main()
