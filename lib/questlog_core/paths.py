"""Find the root of the questlog checkout: the folder that holds its pyproject.toml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from questlog_core.errors import QuestlogError

MARKER = "pyproject.toml"


@cache
def repo_root() -> Path:
    """Return the nearest folder above this file that holds pyproject.toml (the checkout's root)."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / MARKER).is_file():
            return folder
    raise QuestlogError(f"no {MARKER} in any folder above {here}: questlog_core is not running from a checkout")
