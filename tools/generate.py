"""Write every file derived from schemas/: the lake's DDL, the all_events view, docs/tables.md and the
API's OpenAPI document. Run: make generate (or python tools/generate.py [--check]).

--check writes nothing and exits 1 naming each stale file (the unit tests fail on the same drift).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from questlog_api import openapi
from questlog_core import codegen
from questlog_core.paths import repo_root
from questlog_core.registry import default_registry

ROOT = repo_root()


def outputs() -> dict[Path, str]:
    """Every generated file and the text it should hold, from the checkout's schemas/."""
    registry = default_registry()
    return {**codegen.outputs(registry), openapi.OUTPUT: openapi.render(registry)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        name = path.relative_to(ROOT)
        if path.is_file() and path.read_text() == text:
            continue
        if args.check:
            stale.append(name)
            print(f"stale: {name}; run make generate", file=sys.stderr)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
