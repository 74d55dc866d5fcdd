"""Write the generated JSON Schemas into src/xpuplan/schemas/ (or, with --check, say which differ).

python scripts/build_schemas.py          # regenerate after changing a result type
python scripts/build_schemas.py --check  # exit 1 if a shipped file is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xpuplan.schemas.build import GENERATED, build_schema, render_schema

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "src" / "xpuplan" / "schemas"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    stale = []
    for name in GENERATED:
        path = SCHEMA_DIR / f"{name}.schema.json"
        text = render_schema(build_schema(name))
        if not path.exists() or path.read_text("utf-8") != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, "utf-8")
    verb = "out of date" if args.check else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "all generated schemas are up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
