"""Where the local stack keeps its scripts, logs, pids and data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from questlog_core.paths import repo_root

ROOT = repo_root()


@dataclass(frozen=True)
class Paths:
    """Folders of one local stack."""

    root: Path
    var: Path

    @classmethod
    def from_env(cls) -> Paths:
        """Use QUESTLOG_VAR when set, else <repo>/var."""
        return cls(ROOT, Path(os.environ.get("QUESTLOG_VAR", ROOT / "var")))

    def log(self, service: str) -> Path:
        """Return the log file of a service."""
        return self.var / "log" / f"{service}.log"

    def pid(self, service: str) -> Path:
        """Return the pid file of a service."""
        return self.var / "run" / f"{service}.pid"

    def script(self, name: str) -> Path:
        """Return a script under stack/bin."""
        return self.root / "stack" / "bin" / name
