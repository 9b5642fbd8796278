"""Simulator configuration: one frozen dataclass; CLI flags default to QUESTLOG_LOADGEN_* variables."""

from __future__ import annotations

import argparse
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from questlog_core.settings import add_arguments, read, setting

from questlog_loadgen.errors import SettingsError

PREFIX = "QUESTLOG_LOADGEN_"
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _doc(text: str, default: Any) -> Any:
    return setting(default, text)


@dataclass(frozen=True)
class Settings:
    """What to simulate and how to send it; defaults point at the local stack."""

    api_url: str = _doc("Base URL of the ingest API.", "http://127.0.0.1:5000")
    api_key: str = _doc("Value of the X-Api-Key header (empty: none).", "")
    seed: int = _doc("Seed of the population and its behaviour.", 42)
    run_id: str = _doc("Run id, the prefix of every user_id and part of the event_id seed (default: random).", "")
    players: int = _doc("Number of players.", 300)
    days: int = _doc("Days of history, ending at --anchor (1-28: the API refuses events older than 30 days).", 3)
    anchor: str = _doc("RFC 3339 end of the simulated history (default: now).", "")
    sessions_per_day: float = _doc("Mean sessions per active player-day.", 3.0)
    events_per_session: float = _doc("Mean events per session.", 16.0)
    duplicate_rate: float = _doc("Share of valid events sent a second time with the same event_id.", 0.01)
    malformed_rate: float = _doc("Share of extra malformed events (the API rejects them).", 0.005)
    late_rate: float = _doc("Share of sessions buffered offline and sent hours later.", 0.04)
    skew_rate: float = _doc("Share of players whose device clock is off.", 0.15)
    batch_size: int = _doc("Events per POST /v1/events (1-1000).", 250)
    rate: float = _doc("Target events per second (0: as fast as the API answers).", 1000.0)
    max_retries: int = _doc("Retries of one batch after 503 or a connection error.", 5)
    max_retry_wait_s: float = _doc("Upper bound on one wait between retries (honours Retry-After).", 30.0)
    timeout_s: float = _doc("HTTP timeout of one request, in seconds.", 30.0)
    max_seconds: float = _doc("Give up sending after this many seconds.", 600.0)
    truth_path: str = _doc("Where to write the ground truth JSON (default: var/loadgen/truth-<run_id>.json).", "")
    progress: bool = _doc("Show a progress bar.", True)

    def __post_init__(self) -> None:
        checks = [
            ("api_url", self.api_url.startswith(("http://", "https://")), "must start with http(s)://"),
            (
                "run_id",
                not self.run_id or bool(_RUN_ID.match(self.run_id)),
                "must be 1-40 of a-z, 0-9 and '-', starting with a letter or digit",
            ),
            ("players", self.players >= 1, "must be >= 1"),
            ("days", 1 <= self.days <= 28, "must be between 1 and 28"),
            ("sessions_per_day", self.sessions_per_day > 0, "must be > 0"),
            ("events_per_session", self.events_per_session >= 1, "must be >= 1"),
            ("batch_size", 1 <= self.batch_size <= 1000, "must be between 1 and 1000"),
            ("rate", self.rate >= 0, "must be >= 0"),
            ("max_retries", self.max_retries >= 0, "must be >= 0"),
            ("max_retry_wait_s", self.max_retry_wait_s >= 0, "must be >= 0"),
            ("timeout_s", self.timeout_s > 0, "must be > 0"),
            ("max_seconds", self.max_seconds > 0, "must be > 0"),
        ]
        checks += [
            (n, 0 <= getattr(self, n) <= 0.5, "must be between 0 and 0.5")
            for n in ("duplicate_rate", "malformed_rate", "late_rate", "skew_rate")
        ]
        for name, ok, why in checks:
            if not ok:
                raise SettingsError(f"{_names(name)} {why}, got {getattr(self, name)!r}")
        self.anchor_time()

    def anchor_time(self) -> datetime:
        """Return the end of the simulated history as an aware UTC time."""
        if not self.anchor:
            return datetime.now(UTC)
        try:
            when = datetime.fromisoformat(self.anchor)
        except ValueError as exc:
            raise SettingsError(f"{_names('anchor')} must be an RFC 3339 time, got {self.anchor!r}") from exc
        if when.tzinfo is None:
            raise SettingsError(f"{_names('anchor')} needs a UTC offset, got {self.anchor!r}")
        return when.astimezone(UTC)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read QUESTLOG_LOADGEN_* variables; fail naming the variable when one is wrong."""
        env = os.environ if env is None else env
        return cls(**read(cls, PREFIX, env, SettingsError))

    @classmethod
    def from_args(cls, argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Parse CLI flags whose defaults come from the environment; give a run id when none is set."""
        base = cls.from_env(env)
        parser = argparse.ArgumentParser(
            prog="python -m questlog_loadgen.simulate",
            description="Simulate players and post their events to the API.",
        )
        add_arguments(parser, base, PREFIX)
        values = vars(parser.parse_args(argv))
        if not values["run_id"]:
            values["run_id"] = "sim" + secrets.token_hex(3)
        if not values["truth_path"]:
            values["truth_path"] = f"var/loadgen/truth-{values['run_id']}.json"
        return cls(**values)


def _names(name: str) -> str:
    return f"{PREFIX}{name.upper()} (--{name.replace('_', '-')})"
