"""Report configuration: one frozen dataclass; CLI flags default to QUESTLOG_REPORT_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from questlog_core.settings import SettingsError, read, setting

PREFIX = "QUESTLOG_REPORT_"


@dataclass(frozen=True)
class Settings:
    """Where the report reads and writes; defaults point at the local stack."""

    out: str = setting("reports", "Output folder.")
    trino_host: str = setting("127.0.0.1", "Trino host.")
    trino_port: int = setting(8080, "Trino HTTP port.", minimum=1)
    user_prefix: str = setting("", "Only players whose user_id starts with this (e.g. one load run); empty: all.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read QUESTLOG_REPORT_* variables; fail naming the variable when one is wrong."""
        return cls(**read(cls, PREFIX, os.environ if env is None else env, SettingsError))
